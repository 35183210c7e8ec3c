"""The provider-state client (Pact convention, ``openapi/provider-states.yaml``).

``setup("a player exists", balance="50.00")`` POSTs ``{"state", "params", "action": "setup"}`` to the
target's hook and returns its answer. A target without a hook may list pre-provisioned answers in
its target file (``fixtures``, keyed by state name); those serve a state asked with its default
parameters only. Anything else cannot be set up, and the rule that needed it is NOT VERIFIED with
that reason (:class:`~orderproof.checks.base.NotVerified`), never passed.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from orderproof.checks.base import NotVerified
from orderproof.core import masking
from orderproof.engine.transport import Transport

__all__ = ["ProviderStates"]

SNAPSHOT = "a player snapshot"


class ProviderStates:
    def __init__(self, transport: Transport, url: str | None,
                 fixtures: Mapping[str, list[dict[str, Any]]] | None = None):
        self.transport = transport
        self.url = url
        self.fixtures = {state: itertools.cycle(answers) for state, answers in (fixtures or {}).items()}
        self._lock = threading.Lock()
        self.calls = 0

    @property
    def has_hook(self) -> bool:
        return self.url is not None

    def setup(self, state: str, **params: Any) -> dict[str, Any]:
        if self.url is None:
            return self._from_fixtures(state, params)
        answer = self._call(state, params, "setup")
        self._remember(answer)
        return answer

    def teardown(self, state: str, **params: Any) -> None:
        if self.url is not None:
            self._call(state, params, "teardown")

    def snapshot(self, player: Mapping[str, Any]) -> dict[str, Any]:
        if self.url is None:
            raise NotVerified("the target has no provider-state hook, so the player snapshot cannot be read")
        return self._call(SNAPSHOT, {"userId": player["userId"]}, "setup")

    def _from_fixtures(self, state: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if state == SNAPSHOT:
            raise NotVerified("the target has no provider-state hook, so the player snapshot cannot be read")
        answers = self.fixtures.get(state)
        if answers is None:
            raise NotVerified(f"the target has no provider-state hook and no fixture for {state!r}")
        if params:
            given = ", ".join(f"{key}={value!r}" for key, value in params.items())
            raise NotVerified(f"the target has no provider-state hook; fixtures cannot set up {state!r} with {given}")
        with self._lock:
            answer = dict(next(answers))
        self._remember(answer)
        return answer

    def _call(self, state: str, params: Mapping[str, Any], action: str) -> dict[str, Any]:
        payload = {"state": state, "params": _jsonable(params), "action": action}
        with self._lock:
            self.calls += 1
        reply = self.transport.post_json(self.url, payload)
        if reply.error:
            raise NotVerified(f"provider state {state!r} could not be set up: {reply.error}")
        if reply.status == 404:
            raise NotVerified(f"the target has no provider-state hook (404 at {self.url})")
        if not 200 <= reply.status < 300:      # the protocol says 200; a 201 "created" is a working hook too
            raise NotVerified(f"provider state {state!r} was refused: HTTP {reply.status} {reply.text[:200]}")
        try:
            answer = json.loads(reply.content) if reply.content else None
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise NotVerified(f"provider state {state!r} answered something other than a JSON object")
        return answer

    def _remember(self, answer: Any) -> None:
        """Every credential handed out is masked in every report from now on."""
        masking.registry().learn(answer)


def _jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    def convert(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, Mapping):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        return value

    return convert(params)
