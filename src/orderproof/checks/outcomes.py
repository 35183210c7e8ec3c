"""What an answer means for its API: accepted, refused (in the API's own error shape, and under which
convention), or neither (a server error, a body that is not the API's).

The generic rules (<P>-NEGATIVE, <P>-POSITIVE) and the envelope checks read answers through
:func:`outcome`, so that "refused" means the same everywhere: sportsbook and travel refusals are
their envelope with a non-success code, at HTTP 4xx or 200 (a declared convention); the ticket
engine refuses with 400 {code, message}, or 403 / 422 whose bodies its pages do not give; bet
placement refuses with a 4xx FAILURE body.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .base import BodyNotJSON, Exchange

__all__ = ["Outcome", "outcome", "envelope_code", "describe"]

ACCEPTED, REFUSED, OTHER = "accepted", "refused", "other"


@dataclass(frozen=True)
class Outcome:
    kind: str                          # accepted | refused | other
    why: str = ""                      # for "other": what is wrong with the answer
    convention: str | None = None      # the convention a refusal's form belongs to
    option: str | None = None          # its option
    code: Any = None                   # the API's own code of a refusal, when it has one

    @property
    def accepted(self) -> bool:
        return self.kind == ACCEPTED

    @property
    def refused(self) -> bool:
        return self.kind == REFUSED


def _json(exchange: Exchange) -> Any:
    try:
        return exchange.json
    except BodyNotJSON:
        return BodyNotJSON


def describe(exchange: Exchange, limit: int = 120) -> str:
    """``HTTP 400 {"code": ...}`` in one short line, for convention evidence and reasons."""
    text = " ".join((exchange.response_text or "").split())
    if len(text) > limit:
        text = text[:limit] + "..."
    kind = exchange.response_headers.get("content-type", "")
    return f"HTTP {exchange.status}" + (f" ({kind})" if kind and "json" not in kind else "") + (f" {text}" if text else "")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def envelope_code(exchange: Exchange, success: int) -> Outcome:
    """The {code, ...} envelope of sportsbook-order (success 200) and travel-order (success 100)."""
    status = exchange.status
    body = _json(exchange)
    if status >= 500:
        return Outcome(OTHER, f"a server error: {describe(exchange)}")
    if body is BodyNotJSON or not isinstance(body, dict):
        return Outcome(OTHER, f"the answer is not the API's JSON envelope: {describe(exchange)}")
    code = body.get("code")
    if not _is_int(code):
        return Outcome(OTHER, f"the answer has no integer code: {describe(exchange)}")
    convention = f"{exchange.api}.rejection"
    if code == success:
        if 200 <= status < 300:
            return Outcome(ACCEPTED, code=code)
        return Outcome(OTHER, f"HTTP {status} carries the success code {success}: {describe(exchange)}")
    if 400 <= status < 500:
        return Outcome(REFUSED, convention=convention, option="http-4xx", code=code)
    if 200 <= status < 300:
        return Outcome(REFUSED, convention=convention, option="http-200", code=code)
    return Outcome(OTHER, f"HTTP {status} is neither a success nor a refusal: {describe(exchange)}")


def _ticket_engine(exchange: Exchange) -> Outcome:
    status = exchange.status
    body = _json(exchange)
    if status == 200:
        if isinstance(body, dict):
            return Outcome(ACCEPTED)
        return Outcome(OTHER, f"a 200 answer that is not a JSON ticket: {describe(exchange)}")
    if status == 400:
        if isinstance(body, dict) and _is_int(body.get("code")) and isinstance(body.get("message"), str):
            return Outcome(REFUSED, code=body["code"])
        return Outcome(OTHER, f"a 400 answer that is not {{code: int, message: str}}: {describe(exchange)}")
    if status in (403, 422):
        return Outcome(REFUSED, code=body.get("code") if isinstance(body, dict) else None)
    if status >= 500:
        return Outcome(OTHER, f"a server error: {describe(exchange)}")
    return Outcome(OTHER, f"HTTP {status} is not a documented status (200, 400, 403, 422): {describe(exchange)}")


def _bet_placement(exchange: Exchange) -> Outcome:
    status = exchange.status
    body = _json(exchange)
    if status >= 500:
        return Outcome(OTHER, f"a server error: {describe(exchange)}")
    if not isinstance(body, dict):
        return Outcome(OTHER, f"the answer is not JSON: {describe(exchange)}")
    if status == 200 and body.get("status") == "PLACED":
        return Outcome(ACCEPTED)
    if 400 <= status < 500 and body.get("status") == "FAILURE" and isinstance(body.get("errorCode"), str):
        return Outcome(REFUSED, code=body["errorCode"])
    return Outcome(OTHER, f"neither PLACED (200) nor a 4xx FAILURE: {describe(exchange)}")


def outcome(exchange: Exchange) -> Outcome:
    """The meaning of ``exchange``'s answer for its API."""
    if exchange.extra.get("error"):
        return Outcome(OTHER, f"no answer: {exchange.extra['error']}")
    api = exchange.api
    if api == "sportsbook-order":
        return envelope_code(exchange, 200)
    if api == "travel-order":
        return envelope_code(exchange, 100)
    if api in ("jackpot-ticket", "superbet-reserve"):
        return _ticket_engine(exchange)
    if api == "bet-placement":
        return _bet_placement(exchange)
    return Outcome(OTHER, f"no outcome reading for API {api!r}")
