"""orderproof's response checks registered as Schemathesis checks, for plain ``schemathesis run``.

    SCHEMATHESIS_HOOKS=orderproof.schemathesis_hooks \\
        schemathesis run "$(orderproof rules --spec-path <api>)" -u http://127.0.0.1:8000 -H "X-API-Key: $KEY"

Every response check of the contracts (``jt_cents``, ``bp_echo``, ``so_ticket_echo``, ...) becomes a
Schemathesis check of the same name, run on every generated case next to the built-in checks and
selectable with ``-c`` / ``--exclude-checks``. A check applies only to the operation of its API (the
spec's ``x-orderproof-api``); a failure raises ``AssertionError`` naming the rule id, which
Schemathesis reports as "Custom check failed". The flow rules (atomicity, idempotency, balances,
auth, ...) need provider states and several calls: they run only through ``orderproof certify`` or
the pytest plugin.
"""

from __future__ import annotations

import atexit
import copy
import os
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hypothesis.strategies as st
import requests
import schemathesis
from hypothesis import assume, currently_in_test_context
from hypothesis.errors import NonInteractiveExampleWarning

from orderproof import registry
from orderproof.catalogue import Rule, load_catalogue
from orderproof.checks.base import (
    NOT_APPLICABLE,
    RESPONSE_CHECKS,
    Exchange,
    NotVerified,
)
from orderproof.core.options import RunOptions
from orderproof.engine.context import RunContext, build_context
from orderproof.engine.generation import overlay_case, request_fields
from orderproof.engine.scene import Scene

__all__ = ["TARGET_ENV", "TargetAuth", "exchange_of", "registered"]

TARGET_ENV = "ORDERPROOF_TARGET"
MAX_TRIES = 10                            # draws of a coverage case before it goes as generated
_made_real: set[Any] = set()              # bodies (as sent) already made real: a re-send keeps them
_run: dict[str, Any] = {}                 # the run context and one scene per API, made on first use


def _api_of(case: Any) -> str | None:
    definition = getattr(getattr(case.operation, "definition", None), "raw", None) or {}
    return definition.get("x-orderproof-api") if isinstance(definition, dict) else None


def exchange_of(api: str, response: Any, case: Any) -> Exchange:
    """A Schemathesis response and its case as the :class:`Exchange` every check reads."""
    mode = getattr(getattr(getattr(case, "meta", None), "generation", None), "mode", None)
    return Exchange(
        api=api,
        **request_fields(response.request),
        status=response.status_code,
        response_headers={name.lower(): ", ".join(values) for name, values in response.headers.items()},
        response_text=response.text,
        mode=getattr(mode, "value", None),
        elapsed_s=response.elapsed,
    )


def _as_schemathesis_check(rule: Rule, check: Callable[[Rule, Exchange], Any]) -> Callable:
    def run(ctx: Any, response: Any, case: Any) -> bool | None:
        if _api_of(case) != rule.api:
            return True                       # Schemathesis: truthy means "does not apply"
        try:
            return True if check(rule, exchange_of(rule.api, response, case)) is NOT_APPLICABLE else None
        except NotVerified:                   # what it needs is not known here (e.g. the operator's zone)
            return True

    run.__name__ = run.__qualname__ = rule.check
    run.__doc__ = check.__doc__
    run.__module__ = __name__
    return run


# Loading the catalogue loads every registered API package, whose checks register on import.
registered: dict[str, Callable] = {
    rule.check: schemathesis.check(_as_schemathesis_check(rule, RESPONSE_CHECKS[rule.check]))
    for rule in sorted(load_catalogue().rules, key=lambda rule: rule.check) if rule.check in RESPONSE_CHECKS
}


# --- real identities for plain `schemathesis run` (ORDERPROOF_TARGET) ---------------------------------

def _context() -> RunContext | None:
    path = os.environ.get(TARGET_ENV)
    if not path:
        return None
    if "context" not in _run:
        _run["context"] = build_context(RunOptions(target_config=Path(path), rate_limit=0))
        atexit.register(_run["context"].close)
    return _run["context"]


def _scene(context: RunContext, slug: str) -> Scene:
    scenes = _run.setdefault("scenes", {})
    if slug not in scenes:
        scenes[slug] = Scene(context.target, context.states, context.scene_seed(slug))
    return scenes[slug]


def _positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode.is_positive


@schemathesis.hook
def flatmap_case(context: Any, case: Any) -> st.SearchStrategy:
    """A positive case of one of the target's APIs, made real: the player, event and fixtures from
    the target's provider states, drawn as certify draws them, with that player's credentials."""
    slug, run = _api_of(case), _context()
    if run is None or slug is None or slug not in run.target.apis or not _positive(case):
        return st.just(case)

    @st.composite
    def filled(draw: Any) -> Any:
        scene = _scene(run, slug)
        try:
            player = overlay_case(slug, case, scene, lambda strategy, label="": draw(strategy))
            credentials = registry.get(slug).auth_headers(_body_bytes(case, run), scene, player)
        except NotVerified:
            return case                              # no fixture for it: the case goes as generated
        # certify also sends some bodies with generated amounts (not "realistic"): a service may
        # refuse those, which Schemathesis' positive_data_acceptance would call a failure
        assume(scene.realistic)
        case.headers = {**(case.headers or {}), **credentials}
        return case

    return filled()


@schemathesis.hook
def map_case(context: Any, case: Any) -> Any:
    """The same for the positive cases of the coverage phase, which runs outside Hypothesis."""
    slug, run = _api_of(case), _context()
    if (run is not None and slug is not None and slug in run.target.apis and _positive(case)
            and not currently_in_test_context()):
        _make_real(case, run, slug)
    return case


def _make_real(case: Any, run: RunContext, slug: str) -> None:
    """Fill a case outside Hypothesis: drawn with ``example()``, up to a few times, until the body
    is realistic; else it goes as generated."""
    scene, original = _scene(run, slug), copy.deepcopy(case.body)
    for _ in range(MAX_TRIES):
        case.body = copy.deepcopy(original)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", NonInteractiveExampleWarning)
                player = overlay_case(slug, case, scene, lambda strategy, label="": strategy.example())
            body = _body_bytes(case, run)
            credentials = registry.get(slug).auth_headers(body, scene, player)
        except NotVerified:
            break
        if scene.realistic:
            case.headers = {**(case.headers or {}), **credentials}
            _made_real.add(body)
            return
    case.body = original


class TargetAuth:
    """Declares the target's credentials to Schemathesis as configured auth, so that its own auth
    checks (``ignored_auth``) know they are real and test the service without them. The credentials
    depend on the case made real (the player; a signature over the body as sent), so
    :func:`flatmap_case` sets them: Schemathesis applies an auth provider before that hook runs."""

    def get(self, case: Any, context: Any) -> str:
        return "per case"

    def set(self, case: Any, data: Any, context: Any) -> None:
        return None


if os.environ.get(TARGET_ENV):
    schemathesis.auth(refresh_interval=None)(TargetAuth)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """The spec's examples made real (the one phase no earlier hook sees), and a fresh idempotency
    key for every call (a negative case keeps the header it broke)."""
    slug, run = _api_of(case), _context()
    if run is None or slug is None or slug not in run.target.apis:
        return
    phase = getattr(getattr(getattr(case, "meta", None), "phase", None), "name", None)
    if phase == "examples" and _positive(case) and _body_bytes(case, run) not in _made_real:
        _make_real(case, run, slug)                  # the spec's own examples: no hook before this one
    for name, value in registry.get(slug).fresh_headers(_scene(run, slug)).items():
        sent = (case.headers or {}).get(name)
        if _positive(case) or sent is None or _is_uuid(sent):
            case.headers = {**(case.headers or {}), name: value}


def _body_bytes(case: Any, run: RunContext) -> bytes | None:
    """The body exactly as Schemathesis will send it (what a signature covers)."""
    transport = case.as_transport_kwargs(base_url=run.target.base_url)
    body = requests.Request(method=transport["method"], url=transport["url"], json=transport.get("json"),
                            data=transport.get("data")).prepare().body
    return body.encode("utf-8") if isinstance(body, str) else body


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
