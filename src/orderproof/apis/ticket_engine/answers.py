"""How a ticket-engine answer reads: 200 a ticket; 400 a refusal (``{code, message}`` on the superbet
page's named situations, an error code somewhere on the jackpot page); 403 and 422 with whatever body
(the pages give none); anything else is not the engine's."""

from __future__ import annotations

import re
from typing import Any

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

# Keys that name an error code, letter case, "_" and "-" aside (the jackpot page lost its error
# bodies, so it names none: ``code``, ``error_code``, ``errorCode``, ``errCode``, ``errno``, ...).
CODE_KEYS = frozenset({"code", "errorcode", "errcode", "errorno", "errno", "errornumber"})
# Keys that hold an error code or a message (``{"error": 103}``, ``{"error": "EVENT_NOT_FOUND"}``,
# ``{"error": "Bad Request"}``): a code there is an integer or one word, never a phrase.
CODE_OR_MESSAGE_KEYS = frozenset({"error", "errorid"})
_WORD = re.compile(r"[A-Za-z0-9][\w.:-]*")


def error_code(body: Any, depth: int = 0) -> Any:
    """The error code a body carries: under a key that names one (:data:`CODE_KEYS`), an integer or
    a word; under one that may hold a message (:data:`CODE_OR_MESSAGE_KEYS`), an integer or a single
    word; at the top level or nested (a framework's ``{"detail": {"code": 103, ...}}``); None when
    there is none."""
    if depth > 4:
        return None
    if isinstance(body, dict):
        for key, code in body.items():
            name = key.lower().replace("_", "").replace("-", "") if isinstance(key, str) else None
            if name in CODE_KEYS and (is_json_int(code) or (isinstance(code, str) and code.strip())):
                return code
            if name in CODE_OR_MESSAGE_KEYS and (is_json_int(code) or (isinstance(code, str) and _WORD.fullmatch(code))):
                return code
        children = body.values()
    elif isinstance(body, list):
        children = body
    else:
        return None
    return next((code for child in children if (code := error_code(child, depth + 1)) is not None), None)


def outcome(exchange: Exchange, *, code_anywhere: bool = False) -> Outcome:
    """``code_anywhere``: a 400 is the engine's when its JSON body carries an error code anywhere (a
    page that lost its error bodies: "check error code in response body"); else (a page that shows
    ``{code: int, message: str}`` for its named situations and nothing for the others) any 400 is a
    refusal, the shape <P>-ERRORS' business."""
    status = exchange.status
    body = json_or_none(exchange)
    if status == 200:
        if isinstance(body, dict):
            return Outcome(ACCEPTED)
        return Outcome(OTHER, f"a 200 answer that is not a JSON ticket: {describe(exchange)}")
    if status == 400:
        if isinstance(body, dict) and is_json_int(body.get("code")) and isinstance(body.get("message"), str):
            return Outcome(REFUSED, code=body["code"])
        if code_anywhere and (code := error_code(body)) is not None:
            return Outcome(REFUSED, code=code)
        if code_anywhere:
            return Outcome(OTHER, f"a 400 answer whose body carries no error code: {describe(exchange)}")
        # the superbet page's {code, message} bodies are its named situations' (<P>-ERRORS judges
        # them); it says nothing of a body it cannot read, which a framework answers its own way
        return Outcome(REFUSED, code=None)
    if status in (403, 422):
        return Outcome(REFUSED, code=body.get("code") if isinstance(body, dict) else None)
    if status >= 500:
        return Outcome(OTHER, f"a server error: {describe(exchange)}")
    return Outcome(OTHER, f"HTTP {status} is not a documented status (200, 400, 403, 422): {describe(exchange)}")
