"""The transport seam, in process: identification headers, the request budget, the rate limit,
429 with Retry-After, and an exception inside the app observed as a 500 (never a traceback)."""

from __future__ import annotations

import time

import pytest

from orderproof import __version__
from orderproof.engine.target import ApiTarget, Target
from orderproof.engine.transport import BudgetExhausted, Transport


class App:
    """Answers 429 (Retry-After: 0) to its first request, raises on /boom, else echoes headers."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, scope, receive, send):
        assert scope["type"] == "http"
        self.calls += 1
        if scope["path"] == "/boom":
            raise RuntimeError("bug in the service")
        status, headers = (429, [(b"retry-after", b"0")]) if self.calls == 1 else (200, [])
        body = repr(sorted((k.decode(), v.decode()) for k, v in scope["headers"])).encode()
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def transport(app: App, **options) -> Transport:
    target = Target("embedded", "http://testserver", {"x": ApiTarget("x", "/x")}, "test app", app=app)
    return Transport(target, run_id="run-1", **options)


def test_identification_and_429_retry() -> None:
    app = App()
    seam = transport(app)
    reply = seam.send(seam.build("GET", "http://testserver/x"))
    assert reply.status == 200 and app.calls == 2 and seam.sent == 2
    assert f"('user-agent', 'orderproof/{__version__}')" in reply.text
    assert "('x-orderproof-run-id', 'run-1')" in reply.text


def test_budget_is_a_hard_cap() -> None:
    seam = transport(App(), max_requests=3)
    seam.send(seam.build("GET", "http://testserver/x"))        # 429 then 200: two requests
    seam.send(seam.build("GET", "http://testserver/x"))
    with pytest.raises(BudgetExhausted):
        seam.send(seam.build("GET", "http://testserver/x"))
    assert seam.sent == 3 and seam.exhausted


def test_rate_limit_spaces_requests() -> None:
    seam = transport(App(), rate_limit=20.0)
    started = time.perf_counter()
    for _ in range(5):
        seam.send(seam.build("GET", "http://testserver/x"))
    assert time.perf_counter() - started >= 5 / 20.0        # 6 requests, 5 intervals of 50 ms


def test_exception_in_app_is_a_500() -> None:
    seam = transport(App())
    reply = seam.send(seam.build("GET", "http://testserver/boom"))
    assert reply.status == 500 and reply.error is None


def test_unsendable_request_is_the_suites_problem_not_an_observation() -> None:
    from orderproof.engine.transport import Unsendable

    seam = transport(App())
    with pytest.raises(Unsendable):
        seam.send(seam.build("GET", "http://testserver/x", headers={"X-Note": "€uro"}))
