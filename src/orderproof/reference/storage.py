"""SQLite storage of the reference implementation (standard library only).

One transaction per request: a handler does all its reads and writes inside ``store.transaction()``
(``BEGIN IMMEDIATE``), so a rejected slip, ticket or order is rolled back whole and concurrent
requests are serialised by SQLite. Money is stored as decimal TEXT in major units (``"1000.00"``)
or as INTEGER cents where the API speaks cents; never as a float.

Each API module may add its own tables with :meth:`Store.register_schema` before the first request.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_IDLE_CONNECTIONS = 8          # connections a store keeps for the next transactions

CORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS operators (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    timezone_offset_minutes INTEGER NOT NULL DEFAULT 0,
    webhook_url TEXT,                      -- NULL: the ticket engine answers code 114
    ext TEXT NOT NULL DEFAULT '12.5',      -- excise tax percent (decimal text)
    wht TEXT NOT NULL DEFAULT '20.0'       -- withholding tax percent (decimal text)
);
CREATE TABLE IF NOT EXISTS players (
    user_id TEXT PRIMARY KEY,              -- bet-placement userId, sportsbook data.userId
    session_token TEXT NOT NULL UNIQUE,    -- bet-placement sessionToken
    session_expires_at REAL NOT NULL,      -- unix seconds
    token TEXT NOT NULL UNIQUE,            -- ticket engine player token
    customer_token TEXT NOT NULL UNIQUE,   -- sportsbook customerToken
    memberid INTEGER NOT NULL UNIQUE,      -- travel memberid
    operator TEXT NOT NULL REFERENCES operators(name),
    balance TEXT NOT NULL,                 -- decimal text, major units
    currency TEXT NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0,
    min_stake TEXT NOT NULL,
    max_stake TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ledger (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL REFERENCES players(user_id),
    amount TEXT NOT NULL,                  -- signed decimal text: a debit is negative
    balance_after TEXT NOT NULL,
    reason TEXT NOT NULL,                  -- e.g. 'bet-placement', 'sportsbook-order'
    reference TEXT NOT NULL,               -- the request / ticket / order it belongs to
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    event_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    started INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS markets (
    market_id INTEGER PRIMARY KEY,
    event_id INTEGER NOT NULL REFERENCES events(event_id),
    code TEXT NOT NULL,
    allowed INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS selections (
    bet_id INTEGER PRIMARY KEY,            -- the ticket engine's "event bet id"
    market_id INTEGER NOT NULL REFERENCES markets(market_id),
    event_id INTEGER NOT NULL REFERENCES events(event_id),
    name TEXT NOT NULL,
    decimal_price TEXT NOT NULL            -- current decimal odds (decimal text)
);
CREATE TABLE IF NOT EXISTS betcards (
    code TEXT PRIMARY KEY,
    prize INTEGER NOT NULL,                -- cents
    bonus_prizes TEXT NOT NULL,            -- JSON list of cents
    event_ids TEXT NOT NULL                -- JSON list of event ids
);
"""


class Store:
    """A SQLite database file in WAL mode. A transaction takes a connection of its own: an idle one
    from the store's pool, else a new one, and gives it back after (opening a connection, reading
    the schema and setting its pragmas cost about as much as a request's own statements). Concurrent
    transactions hold different connections, as separate clients would. The pooled connections also
    keep the log: when the last connection to a WAL database closes, SQLite checkpoints the log and
    removes it, which would cost every request about 1.5 ms."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        if path is None:
            fd, tmp = tempfile.mkstemp(prefix="orderproof-reference-", suffix=".sqlite3")
            os.close(fd)
            path = tmp
            self.temporary = True
        else:
            self.temporary = False
        self.path = os.fspath(path)
        self._schemas: list[str] = [CORE_SCHEMA]
        self._ready = False
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False

    def register_schema(self, ddl: str) -> None:
        """Add ``CREATE TABLE IF NOT EXISTS`` statements; applied on the next connection."""
        with self._lock:
            self._schemas.append(ddl)
            self._ready = False

    def _connect(self) -> sqlite3.Connection:
        with self._lock:
            if self._ready and self._idle:
                return self._idle.pop()
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        conn.execute("PRAGMA synchronous = NORMAL")   # WAL: no fsync per commit; still consistent after a crash
        if not self._ready:
            with self._lock:
                if not self._ready:
                    conn.execute("PRAGMA journal_mode = WAL")
                    for ddl in self._schemas:
                        conn.executescript(ddl)
                    self._ready = True
        return conn

    def _release(self, conn: sqlite3.Connection) -> None:
        """Back to the pool, unless the store is closed or the pool already holds enough."""
        if conn.in_transaction:                     # a COMMIT or ROLLBACK that failed: never lend it again
            conn.close()
            return
        with self._lock:
            if not self._closed and len(self._idle) < _IDLE_CONNECTIONS:
                self._idle.append(conn)
                return
        conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; any exception rolls everything back and propagates."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            self._release(conn)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read-only snapshot (``BEGIN DEFERRED``), for provider-state snapshots."""
        conn = self._connect()
        try:
            conn.execute("BEGIN")
            try:
                yield conn
            finally:
                conn.execute("ROLLBACK")
        finally:
            self._release(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        if self.temporary:
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.remove(self.path + suffix)
                except FileNotFoundError:
                    pass
