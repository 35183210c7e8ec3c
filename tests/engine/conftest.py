"""The engine tested on an API it has never heard of: the voucher-order package of
``tests/outside_api`` (imported from its source tree and registered for the test), served in process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orderproof import registry
from orderproof.catalogue import load_catalogue
from orderproof.checks.base import FLOW_CHECKS, RESPONSE_CHECKS
from orderproof.core.options import RunOptions
from orderproof.core.paths import PROVIDER_STATES_PATH
from orderproof.engine.context import RunContext
from orderproof.engine.target import ApiTarget, Target

OUTSIDE = Path(__file__).resolve().parent.parent / "outside_api" / "src"
SLUG = "voucher-order"
BASE = "http://testserver"


_CHECKS: dict[str, tuple[dict, Any]] = {}     # the toy's checks, kept out of the registries between tests


@pytest.fixture
def toy(monkeypatch) -> Any:
    """The voucher-order adapter and its checks, registered for this test only (its package imported
    from source; importing it registers its checks, which are taken out again after the test)."""
    monkeypatch.syspath_prepend(str(OUTSIDE))
    import voucher_api

    for table in (RESPONSE_CHECKS, FLOW_CHECKS):
        for name in [name for name, fn in table.items() if fn.__module__.startswith("voucher_api")]:
            _CHECKS[name] = (table, table.pop(name))
    for name, (table, fn) in _CHECKS.items():
        monkeypatch.setitem(table, name, fn)
    monkeypatch.setitem(registry.adapters(), SLUG, voucher_api.api)
    return voucher_api


@pytest.fixture
def toy_app(toy) -> Callable[..., Any]:
    from voucher_api.app import create_app

    return create_app


@pytest.fixture
def make_context(toy, toy_app) -> Iterator[Callable[..., RunContext]]:
    """``make_context(app=None, hook=True, **options)``: a run against the toy service in process."""
    made: list[RunContext] = []

    def make(app: Any = None, hook: bool = True, **options: Any) -> RunContext:
        app = app if app is not None else toy_app()
        target = Target("embedded", BASE, {SLUG: ApiTarget(SLUG, toy.api.path)}, "the toy voucher service", app=app,
                        provider_states_url=BASE + PROVIDER_STATES_PATH if hook else None)
        options = RunOptions(**{"profile": "quick", "seed": 1, **options})
        context = RunContext(options=options, target=target, catalogue=load_catalogue([SLUG]), seed=options.seed)
        made.append(context)
        return context

    yield make
    for context in made:
        context.transport.close()
