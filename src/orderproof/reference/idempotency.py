"""An idempotency store: the first response to a key is the response to every repeat.

A request is keyed by ``(scope, key)`` and carries the fingerprint of its body. :func:`claim_then_process`
runs it in two transactions:

1. **claim** (short): ``INSERT`` an in-flight row; the primary key decides which of two concurrent
   duplicates owns the key. The loser sees the row: a different fingerprint is a *conflict*, a
   finished row is *replayed*, an unfinished one is *in flight* (or, when its claim is older than
   :data:`STALE_AFTER_S`, abandoned by a crashed worker and taken over).
2. **process**: the API's work and the stored response commit together, so a crash leaves either
   both or neither. A reply of 5xx (or an exception) rolls the work back and releases the claim:
   a server error does not consume the key, its retry is processed as new.

Processing in the same transaction also means the owner must still hold the claim when it stores
the response; if another worker took it over meanwhile, the work is rolled back.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from orderproof.reference.storage import Store

STALE_AFTER_S = 30.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope TEXT NOT NULL,                   -- the API, e.g. 'bet-placement'
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,             -- sha256 of the canonical request body
    owner TEXT NOT NULL,                   -- random id of the worker holding the claim
    claimed_at REAL NOT NULL,
    status INTEGER,                        -- NULL while in flight
    body BLOB,                             -- the response bytes, replayed verbatim
    completed_at REAL,
    PRIMARY KEY (scope, key)
);
"""


@dataclass(frozen=True)
class Reply:
    """An HTTP answer as bytes (always ``application/json`` in the reference)."""

    status: int
    body: bytes


@dataclass(frozen=True)
class Outcome:
    """What happened to a keyed request: ``processed``, ``replayed``, ``conflict`` or ``in-flight``.

    ``reply`` is set for ``processed`` and ``replayed``; the API answers the other two in its own shape.
    """

    kind: str
    reply: Reply | None = None


Process = Callable[[sqlite3.Connection], Reply]


class _RollBack(Exception):
    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome


def replay_stored(row: sqlite3.Row) -> Reply:
    """The stored response, byte for byte."""
    return Reply(row["status"], bytes(row["body"]))


def same_request(stored_fingerprint: str, fingerprint: str) -> bool:
    return stored_fingerprint == fingerprint


def claim_then_process(
    store: Store,
    scope: str,
    key: str,
    fingerprint: str,
    process: Process,
    *,
    replay: Callable[[sqlite3.Row], Reply] = replay_stored,
    matches: Callable[[str, str], bool] = same_request,
) -> Outcome:
    owner = secrets.token_hex(8)
    with store.transaction() as conn:
        claimed = conn.execute(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, owner, claimed_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (scope, key) DO NOTHING",
            (scope, key, fingerprint, owner, time.time()),
        ).rowcount == 1
        if not claimed:
            row = _row(conn, scope, key)
            if not matches(row["fingerprint"], fingerprint):
                return Outcome("conflict")
            if row["status"] is not None:
                return Outcome("replayed", replay(row))
            if time.time() - row["claimed_at"] < STALE_AFTER_S:
                return Outcome("in-flight")
            conn.execute(   # the first worker died between its claim and its answer: take over
                "UPDATE idempotency_keys SET owner = ?, claimed_at = ? WHERE scope = ? AND key = ?",
                (owner, time.time(), scope, key),
            )
    try:
        with store.transaction() as conn:
            reply = process(conn)
            if reply.status >= 500:
                raise _RollBack(Outcome("processed", reply))
            stored = conn.execute(
                "UPDATE idempotency_keys SET status = ?, body = ?, completed_at = ? "
                "WHERE scope = ? AND key = ? AND owner = ?",
                (reply.status, reply.body, time.time(), scope, key, owner),
            ).rowcount
            if stored != 1:
                raise _RollBack(Outcome("in-flight"))   # our claim was taken over: keep nothing
    except _RollBack as rolled_back:
        if rolled_back.outcome.kind == "processed":
            release(store, scope, key, owner)
        return rolled_back.outcome
    except BaseException:
        release(store, scope, key, owner)
        raise
    return Outcome("processed", reply)


def release(store: Store, scope: str, key: str, owner: str) -> None:
    """Forget an unfinished claim, so that the key's next request is processed as new."""
    with store.transaction() as conn:
        conn.execute(
            "DELETE FROM idempotency_keys WHERE scope = ? AND key = ? AND owner = ? AND status IS NULL",
            (scope, key, owner),
        )


def _row(conn: sqlite3.Connection, scope: str, key: str) -> sqlite3.Row:
    return conn.execute("SELECT * FROM idempotency_keys WHERE scope = ? AND key = ?", (scope, key)).fetchone()
