"""The app factory of the embedded reference: ``create_app()``.

It loads one module per API (each exports ``router``, ``BEHAVIOUR``, ``SCHEMA`` and optionally
``snapshot``), merges their behaviours with the patches of at most one fault (a named bug) and at
most one variation (a named correct choice other than the reference's), registers their tables with
a :class:`Store` and mounts their routers and, for test environments, the provider-state hook.
"""

from __future__ import annotations

import secrets
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import ModuleType

from fastapi import FastAPI

from orderproof.core.version import __version__
from orderproof.reference import (
    bet_placement,
    sportsbook_order,
    ticket_engine,
    travel_order,
)
from orderproof.reference import provider_states as provider_states_module
from orderproof.reference.behaviour import build_behaviour
from orderproof.reference.faults import get_fault
from orderproof.reference.storage import Store
from orderproof.reference.variations import get_variation

API_MODULES: tuple[ModuleType, ...] = (sportsbook_order, ticket_engine, travel_order, bet_placement)


def combined_patch(fault: str | None, variation: str | None) -> dict:
    """The behaviours patched by ``fault`` and ``variation`` together; ``ValueError`` for an unknown
    name, or when both patch the same behaviour (the combination would silently drop one of them)."""
    fault_patch = get_fault(fault).patch if fault is not None else {}
    variation_patch = get_variation(variation).patch if variation is not None else {}
    both = sorted(set(fault_patch) & set(variation_patch))
    if both:
        raise ValueError(f"fault {fault!r} and variation {variation!r} both patch the behaviour(s) "
                         f"{', '.join(both)}: they cannot be switched on together")
    return {**fault_patch, **variation_patch}


def create_app(
    *,
    fault: str | None = None,
    variation: str | None = None,
    db_path: str | None = None,
    provider_states: bool = True,
    api_key: str | None = None,
) -> FastAPI:
    """The reference implementation of every API, optionally with one named fault (a bug the suite
    must catch) and one named variation (another conforming behaviour the suite must accept).

    ``db_path``: the SQLite file (a temporary file, removed at shutdown, when None). ``api_key``: the
    bet-placement X-API-Key (random when None; revealed by the "a player exists" provider state).
    Unknown names, and a fault and a variation patching the same behaviour, are a ``ValueError``.
    """
    patch = combined_patch(fault, variation)
    modules = list(API_MODULES)
    behaviour = build_behaviour({module.__name__: module.BEHAVIOUR for module in modules}, patch)
    store = Store(db_path)
    for module in modules:
        store.register_schema(module.SCHEMA)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="orderproof reference implementation",
        version=__version__,
        description="The embedded reference of the five APIs orderproof certifies. "
        + (f"Fault switched on: {fault}. " if fault else "No fault switched on. ")
        + (f"Variation switched on: {variation}." if variation else "No variation switched on."),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.store = store
    weakref.finalize(app, store.close)   # a temporary database goes even when the lifespan never ran
    app.state.behaviour = behaviour
    app.state.api_key = api_key or secrets.token_urlsafe(24)
    app.state.fault = fault
    app.state.variation = variation
    app.state.snapshot_providers = [module.snapshot for module in modules if hasattr(module, "snapshot")]
    for module in modules:
        app.include_router(module.router)
    if provider_states:
        app.include_router(provider_states_module.router)
    return app
