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

from collections.abc import Callable
from typing import Any

import schemathesis

from orderproof.catalogue import Rule, load_catalogue
from orderproof.checks.base import NOT_APPLICABLE, RESPONSE_CHECKS, Exchange
from orderproof.engine.generation import request_fields

__all__ = ["exchange_of", "registered"]


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
        return True if check(rule, exchange_of(rule.api, response, case)) is NOT_APPLICABLE else None

    run.__name__ = run.__qualname__ = rule.check
    run.__doc__ = check.__doc__
    run.__module__ = __name__
    return run


# Loading the catalogue loads every registered API package, whose checks register on import.
registered: dict[str, Callable] = {
    rule.check: schemathesis.check(_as_schemathesis_check(rule, RESPONSE_CHECKS[rule.check]))
    for rule in sorted(load_catalogue().rules, key=lambda rule: rule.check) if rule.check in RESPONSE_CHECKS
}
