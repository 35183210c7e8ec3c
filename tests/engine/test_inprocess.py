"""The in-process session: the app gets what a server would give it and answers as over the wire,
requests from several threads reach it at the same time, the app is told it may block, and a slow
answer ends in the session's timeout."""

from __future__ import annotations

import asyncio
import gc
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from orderproof.core.paths import INLINE_EXTENSION
from orderproof.engine.inprocess import InProcessSession
from orderproof.reference.app import create_app
from orderproof.reference.offload import blocking


class Echo:
    """Answers with what it saw; /slow waits (blocking its thread) before answering."""

    def __init__(self) -> None:
        self.scopes: list[dict] = []
        self.bodies: list[bytes] = []
        self.threads: set[int] = set()

    async def __call__(self, scope, receive, send):
        self.scopes.append(scope)
        self.threads.add(threading.get_ident())
        message = await receive()
        self.bodies.append(message["body"])
        if scope["path"] == "/slow":
            time.sleep(0.3)
        if scope["path"] == "/forever":
            await asyncio.sleep(60)
        await send({"type": "http.response.start", "status": 201,
                    "headers": [(b"content-type", b"application/json"), (b"x-twice", b"a"), (b"x-twice", b"b")]})
        await send({"type": "http.response.body", "body": b'{"ok": ', "more_body": True})
        await send({"type": "http.response.body", "body": b"true}"})


def test_the_app_sees_a_servers_request_and_answers_as_over_the_wire():
    app = Echo()
    session = InProcessSession(app)
    response = session.post("http://testserver:8080/a%20b?x=1", data=b'{"n": 1}',
                            headers={"Content-Type": "application/json", "X-Note": "caf\u00e9"})
    assert response.status_code == 201 and response.reason == "Created"
    assert response.json() == {"ok": True}
    assert response.raw.headers.getlist("x-twice") == ["a", "b"]
    scope = app.scopes[0]
    assert (scope["method"], scope["path"], scope["raw_path"], scope["query_string"]) == \
        ("POST", "/a b", b"/a%20b", b"x=1")
    headers = dict(scope["headers"])
    assert headers[b"host"] == b"testserver:8080"
    assert headers[b"x-note"] == "caf\u00e9".encode("latin-1")           # the octets, as latin-1
    assert app.bodies == [b'{"n": 1}']
    assert INLINE_EXTENSION in scope["extensions"]


def test_requests_from_several_threads_reach_the_app_at_the_same_time():
    app = Echo()
    session = InProcessSession(app)
    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        codes = list(pool.map(lambda _: session.get("http://testserver/slow").status_code, range(4)))
    elapsed = time.perf_counter() - started
    assert codes == [201] * 4
    assert len(app.threads) == 4                      # each on its sender's thread
    assert elapsed < 4 * 0.3                           # not one after the other


def test_an_exception_before_the_answer_is_a_500_and_a_slow_answer_a_timeout():
    async def broken(scope, receive, send):
        raise RuntimeError("bug in the service")

    assert InProcessSession(broken).get("http://testserver/").status_code == 500
    with pytest.raises(requests.exceptions.ReadTimeout):
        InProcessSession(Echo()).get("http://testserver/forever", timeout=0.2)


def test_the_reference_runs_its_database_work_in_place_only_when_told_it_may():
    seen: list[int] = []

    def work() -> int:
        seen.append(threading.get_ident())
        return 7

    class Request:
        def __init__(self, extensions):
            self.scope = {"extensions": extensions}

    async def both() -> tuple[int, int]:
        return (await blocking(Request({INLINE_EXTENSION: {}}), work),
                await blocking(Request({}), work))

    assert asyncio.run(both()) == (7, 7)
    assert seen[0] == threading.get_ident() and seen[1] != threading.get_ident()


def test_the_reference_in_process_keeps_its_wal_between_requests():
    """A store keeps its connections open between requests: the write-ahead log is not checkpointed
    away after every request (which cost each request about 1.5 ms)."""
    app = create_app()
    session = InProcessSession(app)
    for _ in range(2):
        assert session.post("http://testserver/_orderproof/provider-states",
                            json={"state": "an operator exists", "params": {}}).status_code == 200
    store = app.state.store
    assert os.path.exists(store.path + "-wal")
    store.close()
    assert not any(os.path.exists(store.path + suffix) for suffix in ("", "-wal", "-shm"))


def test_the_loop_of_a_sending_thread_goes_with_the_thread():
    """Concurrent groups send from new threads each time (a thread pool per group): the event loop
    of each thread is closed when it ends, so no descriptors pile up over a long run."""
    session = InProcessSession(Echo())

    def group() -> None:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: session.get("http://testserver/x"), range(4)))

    group()
    gc.collect()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        group()
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) <= before + 2
