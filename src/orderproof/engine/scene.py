"""The scene one rule run works in: fixtures set up on first use (a player, an event, a betcard:
whatever provider states the API's adapter asks for), fresh identities that never repeat, and a
memo the adapter keeps between a body it filled in and the exchange that carried it.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from typing import Any

from orderproof.engine.provider_states import ProviderStates
from orderproof.engine.target import Target

__all__ = ["PLAYER_PARAMS", "PLAYER_STATE", "Scene", "fresh_big_id", "fresh_uuid"]

PLAYER_STATE = "a player exists"
PLAYER_PARAMS = {"balance": "1000000.00", "min_stake": "0.10", "max_stake": "500.00"}   # well funded


def fresh_uuid(rng: random.Random) -> str:
    """The scene's identities, from its seed alone (a replay script derives the same ones)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def fresh_big_id(rng: random.Random) -> int:
    return rng.randrange(2**53 + 1, 2**63 - 1)


class Scene:
    """Fixtures, identities and the adapter's memo for one rule run (or one shared pass)."""

    def __init__(self, target: Target, states: ProviderStates, seed: int):
        self.target = target
        self.states = states
        self.rng = random.Random(seed)     # identities that must never repeat (ids, keys)
        self._lock = threading.Lock()
        self._cache: dict[str, Any] = {}
        self._cache_lock = threading.RLock()
        self.realistic = True     # False when the last overlay kept generated values (e.g. a huge stake)
        self.memo: dict[str, Any] = {}   # the adapter's notes (current prices, betcards by code, ...)
        self.issued: list[tuple[str, Any]] = []   # every fresh identity, in order ("uuid" | "big", value)

    # identities --------------------------------------------------------------------------------
    def uuid(self) -> str:
        with self._lock:
            value = fresh_uuid(self.rng)
            self.issued.append(("uuid", value))
            return value

    def big_id(self) -> int:
        """A fresh id beyond 2^53 (a double cannot hold it exactly)."""
        with self._lock:
            value = fresh_big_id(self.rng)
            self.issued.append(("big", value))
            return value

    # fixtures ----------------------------------------------------------------------------------
    def _cached(self, key: str, make: Callable[[], Any]) -> Any:
        with self._cache_lock:             # concurrent sends of one flow share one player
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]

    def setup(self, state: str, **params: Any) -> dict[str, Any]:
        """Set up a state; without a hook, fall back to the fixture asked with default parameters."""
        if self.states.has_hook or not params:
            return self.states.setup(state, **params)
        return self.states.setup(state)

    def fixture(self, state: str, **params: Any) -> dict[str, Any]:
        """The scene's one answer to ``state`` (set up on first use, then reused)."""
        return self._cached(state, lambda: self.setup(state, **params))

    def player(self) -> dict[str, Any]:
        """A well-funded player for positive cases."""
        return self.fixture(PLAYER_STATE, **PLAYER_PARAMS)
