"""How a ticket-engine answer reads: 200 a ticket; 400 ``{code, message}``; 403 and 422 with whatever
body (the pages give none); anything else is not the engine's."""

from __future__ import annotations

from orderproof.checks.base import Exchange
from orderproof.checks.numbers import is_json_int
from orderproof.checks.outcomes import (
    ACCEPTED,
    OTHER,
    REFUSED,
    Outcome,
    describe,
    json_or_none,
)


def outcome(exchange: Exchange) -> Outcome:
    status = exchange.status
    body = json_or_none(exchange)
    if status == 200:
        if isinstance(body, dict):
            return Outcome(ACCEPTED)
        return Outcome(OTHER, f"a 200 answer that is not a JSON ticket: {describe(exchange)}")
    if status == 400:
        if isinstance(body, dict) and is_json_int(body.get("code")) and isinstance(body.get("message"), str):
            return Outcome(REFUSED, code=body["code"])
        return Outcome(OTHER, f"a 400 answer that is not {{code: int, message: str}}: {describe(exchange)}")
    if status in (403, 422):
        return Outcome(REFUSED, code=body.get("code") if isinstance(body, dict) else None)
    if status >= 500:
        return Outcome(OTHER, f"a server error: {describe(exchange)}")
    return Outcome(OTHER, f"HTTP {status} is not a documented status (200, 400, 403, 422): {describe(exchange)}")
