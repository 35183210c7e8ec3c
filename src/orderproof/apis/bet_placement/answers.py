"""How a bet-placement answer reads: PLACED at a 2xx accepted (the seed gives the success no status:
200, or 201 for the bets it created), a 4xx FAILURE body refused, anything else (a 5xx, a body that
is not the API's) neither."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from orderproof.checks.base import Exchange
from orderproof.checks.outcomes import (
    ACCEPTED,
    OTHER,
    REFUSED,
    Outcome,
    describe,
    json_or_none,
)

ERROR_STATUS = {
    "INVALID_USER": 400, "INVALID_BET_DETAILS": 400, "INVALID_STAKE": 400, "INSUFFICIENT_FUNDS": 400,
    "USER_BLOCKED": 400, "MISSING_PARAMETER": 400, "INVALID_SESSION": 401, "AUTHENTICATION_FAILED": 403,
    "GENERAL_EXCEPTION": 500, "REQUEST_TIMED_OUT": 503,
}   # the seed's Errors table


def outcome(exchange: Exchange) -> Outcome:
    status = exchange.status
    body = json_or_none(exchange)
    if status >= 500:
        return Outcome(OTHER, f"a server error: {describe(exchange)}")
    if not isinstance(body, dict):
        return Outcome(OTHER, f"the answer is not JSON: {describe(exchange)}")
    if 200 <= status < 300 and body.get("status") == "PLACED":
        return Outcome(ACCEPTED)
    if 400 <= status < 500 and body.get("status") == "FAILURE" and isinstance(body.get("errorCode"), str):
        return Outcome(REFUSED, code=body["errorCode"])
    return Outcome(OTHER, f"neither PLACED (at a 2xx) nor a 4xx FAILURE: {describe(exchange)}")


def error_code(exchange: Exchange) -> str | None:
    body = json_or_none(exchange)
    return body.get("errorCode") if isinstance(body, dict) else None


def is_placed(exchange: Exchange) -> bool:
    return outcome(exchange).accepted


def idempotency_key(headers: Mapping[str, str]) -> str | None:
    """The X-Idempotency-Key a request carried (header names in any case), None without one."""
    return next((value for name, value in headers.items() if name.lower() == "x-idempotency-key"), None)


def uuid_key(value: Any) -> Any:
    """An id as compared: a UUID in one canonical form (the seed types requestId and betId
    String/UUID, and a service holding a UUID answers it in lower case), anything else as it is."""
    if isinstance(value, str) and len(value) == 36:
        try:
            return str(uuid.UUID(value))
        except ValueError:
            return value
    return value
