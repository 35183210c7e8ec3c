"""engine.provider_states: the client of the provider-state hook (the Pact convention), and the
fixtures that stand in for it."""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from orderproof.checks.base import NotVerified
from orderproof.core import masking
from orderproof.engine.provider_states import ProviderStates
from orderproof.engine.target import ApiTarget, Target
from orderproof.engine.transport import Transport

HOOK = "http://testserver/_orderproof/provider-states"


def hook_app(answer) -> tuple[FastAPI, list]:
    calls: list = []
    app = FastAPI()

    @app.post("/_orderproof/provider-states")
    async def hook(request: Request):
        calls.append(json.loads(await request.body()))
        return answer(calls[-1])

    return app, calls


def client(app, url: str | None = HOOK, fixtures=None) -> ProviderStates:
    target = Target("embedded", "http://testserver", {"x": ApiTarget("x", "/x")}, "t", app=app)
    return ProviderStates(Transport(target, run_id="r"), url, fixtures)


def test_setup_posts_the_state_and_learns_the_secrets_it_hands_out():
    masking.reset_registry()
    app, calls = hook_app(lambda call: JSONResponse({"userId": "u1", "sessionToken": "s3cr3t-token-value"}))
    states = client(app)
    assert states.setup("a player exists", balance=__import__("decimal").Decimal("5.00")) == {
        "userId": "u1", "sessionToken": "s3cr3t-token-value"}
    assert calls == [{"state": "a player exists", "params": {"balance": "5.00"}, "action": "setup"}]
    assert masking.mask_text("token s3cr3t-token-value") == "token ***"
    assert states.snapshot({"userId": "u1"})
    assert calls[-1] == {"state": "a player snapshot", "params": {"userId": "u1"}, "action": "setup"}


def test_a_hook_that_answers_201_created_is_a_working_hook():
    app, _ = hook_app(lambda call: JSONResponse({"userId": "u2"}, status_code=201))
    assert client(app).setup("a player exists") == {"userId": "u2"}


@pytest.mark.parametrize("answer, reason", [
    (lambda call: JSONResponse({"error": "no"}, status_code=400), "was refused: HTTP 400"),
    (lambda call: PlainTextResponse("not found", status_code=404), "has no provider-state hook (404"),
    (lambda call: JSONResponse([1, 2]), "answered something other than a JSON object"),
])
def test_a_hook_that_cannot_help_makes_the_rule_not_verified(answer, reason):
    app, _ = hook_app(answer)
    with pytest.raises(NotVerified, match=reason.replace("(", r"\(")):
        client(app).setup("a player exists")


def test_without_a_hook_fixtures_serve_the_default_state_only():
    app, calls = hook_app(lambda call: JSONResponse({}))
    states = client(app, url=None, fixtures={"a player exists": [{"userId": "a"}, {"userId": "b"}]})
    assert [states.setup("a player exists")["userId"] for _ in range(3)] == ["a", "b", "a"]
    with pytest.raises(NotVerified, match="fixtures cannot set up 'a player exists' with balance='1.00'"):
        states.setup("a player exists", balance="1.00")
    with pytest.raises(NotVerified, match="no fixture for 'an event exists'"):
        states.setup("an event exists")
    with pytest.raises(NotVerified, match="the player snapshot cannot be read"):
        states.snapshot({"userId": "a"})
    assert calls == [] and not states.has_hook
