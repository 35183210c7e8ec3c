"""What an answer means for its API: accepted, refused (in the API's own error shape, and under which
convention), or neither (a server error, a body that is not the API's).

Each API's adapter reads its answers into an :class:`Outcome` (``ApiAdapter.outcome``), so that
"refused" means the same to the generic rules (<P>-NEGATIVE, <P>-POSITIVE) and to the API's own
checks. :func:`envelope_code` reads the common {code, ...} envelope with a success code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from orderproof.core.masking import mask_head

from .base import BodyNotJSON, Exchange
from .numbers import integral

__all__ = ["ACCEPTED", "OTHER", "REFUSED", "Outcome", "awaits_result", "describe", "envelope_code", "json_or_none"]

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


def json_or_none(exchange: Exchange) -> Any:
    """The answer as JSON, or :class:`BodyNotJSON` (the class) when it is not JSON."""
    try:
        return exchange.json
    except BodyNotJSON:
        return BodyNotJSON


def describe(exchange: Exchange, limit: int = 120) -> str:
    """``HTTP 400 {"code": ...}`` in one short line, for convention evidence and reasons; secrets
    masked before the line is cut."""
    text = " ".join(mask_head(exchange.response_text or "", 2 * limit).split())
    if len(text) > limit:
        text = text[:limit] + "..."
    kind = exchange.response_headers.get("content-type", "")
    return f"HTTP {exchange.status}" + (f" ({kind})" if kind and "json" not in kind else "") + (f" {text}" if text else "")


def envelope_code(exchange: Exchange, success: int, convention: str) -> Outcome:
    """A {code, ...} envelope whose ``success`` code means accepted; any other code is a refusal at
    HTTP 4xx or 200, the options ``http-4xx`` and ``http-200`` of ``convention``."""
    status = exchange.status
    body = json_or_none(exchange)
    if status >= 500:
        return Outcome(OTHER, f"a server error: {describe(exchange)}")
    if body is BodyNotJSON or not isinstance(body, dict):
        return Outcome(OTHER, f"the answer is not the API's JSON envelope: {describe(exchange)}")
    code = integral(body.get("code"))
    if code is None:
        return Outcome(OTHER, f"the answer has no integer code: {describe(exchange)}")
    if code == success:
        if 200 <= status < 300:
            return Outcome(ACCEPTED, code=code)
        return Outcome(OTHER, f"HTTP {status} carries the success code {success}: {describe(exchange)}")
    if 400 <= status < 500:
        return Outcome(REFUSED, convention=convention, option="http-4xx", code=code)
    if 200 <= status < 300:
        return Outcome(REFUSED, convention=convention, option="http-200", code=code)
    return Outcome(OTHER, f"HTTP {status} is neither a success nor a refusal: {describe(exchange)}")


# Words of a status that says a bet or ticket is no longer awaiting its result: resulted, or never live.
# "a status equivalent to 'pending'" leaves the word open (pending, open, unsettled, accepted, placed,
# active, to be settled, not yet settled, awaiting settlement, ...), so only these (or no status) are
# not equivalent, unless a word before them negates them or puts them in the future ("not", "un",
# "yet", "to" of "to be settled") or another word says the bet waits (pending, awaiting).
NOT_AWAITING = ("settled", "resulted", "void", "cancel", "won", "win", "lost", "lose", "loss", "reject",
                "fail", "refund", "push", "closed", "paid", "cashed")
NOT_YET = ("un", "not", "non", "no", "yet", "to")
WAITING = ("pend", "await", "wait", "unsettled", "unresulted", "unresolved")


def awaits_result(status: Any) -> bool:
    """Does a stored bet's status, or a ticket's result, say it is awaiting its result (a status
    equivalent to 'pending')?"""
    if not isinstance(status, str) or not status.strip():
        return False
    words = [word for word in re.split(r"[^a-z0-9]+", status.lower()) if word]
    if any(word.startswith(WAITING) for word in words):
        return True
    for place, word in enumerate(words):
        if word.startswith(NOT_AWAITING) and not any(before in NOT_YET for before in words[:place]):
            return False
    return True
