"""The reference's SQLite store lends a transaction an idle connection and takes it back: a
connection is never lent to two transactions at once, one whose transaction failed half way is
never lent again, and nothing is left open once the store closes."""

from __future__ import annotations

import os
import sqlite3
import threading

import pytest

from orderproof.reference.storage import Store

DDL = "CREATE TABLE IF NOT EXISTS things (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"


@pytest.fixture
def store():
    store = Store()
    store.register_schema(DDL)
    yield store
    store.close()


def test_a_transaction_reuses_the_connection_the_last_one_gave_back(store):
    with store.transaction() as first:
        first.execute("INSERT INTO things (name) VALUES ('a')")
    with store.transaction() as second:
        assert second is first
        assert second.execute("SELECT count(*) FROM things").fetchone()[0] == 1


def test_concurrent_transactions_hold_different_connections(store):
    held, inside, release = [], threading.Barrier(2), threading.Event()

    def reader() -> None:
        with store.read() as conn:
            held.append(conn)
            inside.wait(timeout=5)
            release.wait(timeout=5)

    thread = threading.Thread(target=reader)
    thread.start()
    inside.wait(timeout=5)
    with store.transaction() as conn:
        conn.execute("INSERT INTO things (name) VALUES ('b')")
        assert conn is not held[0]
    release.set()
    thread.join(timeout=5)


def test_a_failed_transaction_stores_nothing_and_its_connection_stays_usable(store):
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute("INSERT INTO things (name) VALUES ('c')")
        raise RuntimeError("refused half way")
    with store.transaction() as again:
        assert again is conn                           # rolled back, so lent again
        assert again.execute("SELECT count(*) FROM things").fetchone()[0] == 0


def test_a_connection_left_in_a_transaction_is_not_lent_again(store):
    with store.transaction() as conn:
        conn.execute("INSERT INTO things (name) VALUES ('d')")
    broken = store._connect()
    broken.execute("BEGIN")                            # as if its COMMIT or ROLLBACK had failed
    store._release(broken)
    with pytest.raises(sqlite3.ProgrammingError):
        broken.execute("SELECT 1")                     # closed, not back in the pool
    with store.transaction() as conn:
        assert conn is not broken and conn.execute("SELECT count(*) FROM things").fetchone()[0] == 1


def test_closing_the_store_closes_its_idle_connections_and_removes_the_file(store):
    with store.transaction() as conn:
        conn.execute("INSERT INTO things (name) VALUES ('e')")
    store.close()
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")
    assert not any(os.path.exists(store.path + suffix) for suffix in ("", "-wal", "-shm"))
