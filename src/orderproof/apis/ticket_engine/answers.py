"""How a ticket-engine answer reads: 200 a ticket; 400 a refusal (``{code, message}`` on the superbet
page's named situations, an error code somewhere on the jackpot page); 403 and 422 with whatever body
(the pages give none); anything else is not the engine's."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from orderproof.checks.base import Exchange
from orderproof.checks.numbers import integral
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
# Keys that hold an error code, a message or an incident id (``{"error": 103}``, ``{"error":
# "EVENT_NOT_FOUND"}``, ``{"error": "Bad Request"}``, ``{"errorId": "3fa85f64-..."}``): a code there
# is an integer or one identifier-like word, never a phrase or a hex id; a code under a
# :data:`CODE_KEYS` key anywhere in the body comes first.
CODE_OR_MESSAGE_KEYS = frozenset({"error", "errorid"})
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")          # EVENT_NOT_FOUND, event-not-found, E103
_HEX_ID = re.compile(r"[0-9A-Fa-f-]{16,}")              # a UUID or another hex id: an incident's
# The kind of error, of the error object (``{"error": {"type": "EVENT_NOT_FOUND"}}``) or of the whole
# body (RFC 9457's problem ``"type": "https://jackpot.example/errors/108"``): a code there is one word,
# or the last segment of a URI (never ``about:blank``, the type of a problem that names none). A
# framework's list of validation details says each detail's type ("missing"), no error code.
ERROR_OBJECT_KEYS = frozenset({"error", "errors"})


def _named(key: Any, keys: frozenset[str]) -> bool:
    return isinstance(key, str) and key.lower().replace("_", "").replace("-", "") in keys


def _is_code(value: Any) -> bool:
    return integral(value) is not None or (isinstance(value, str) and bool(value.strip()))


def _is_word_code(value: Any) -> bool:
    return integral(value) is not None or (isinstance(value, str) and bool(_WORD.fullmatch(value))
                                  and not _HEX_ID.fullmatch(value))


def _typed(error: Any) -> Any:
    """The type of an error object, or of the first of a list of them (``{"errors": [{"type": ...}]}``)."""
    first = error[0] if isinstance(error, list) and error else error
    return first.get("type") if isinstance(first, dict) and _is_word_code(first.get("type")) else None


def _type_code(value: Any) -> Any:
    """The code a problem type names: the word, or the URI's last segment (:data:`ERROR_OBJECT_KEYS`)."""
    if not isinstance(value, str) or value == "about:blank":
        return None
    if _is_word_code(value):
        return value
    uri = urlsplit(value)
    if uri.scheme == "urn":
        last = uri.path.rsplit(":", 1)[-1]
    elif uri.scheme in ("http", "https", "") and uri.path.startswith("/") and not any(ch.isspace() for ch in value):
        last = uri.path.rstrip("/").rsplit("/", 1)[-1]
    else:
        return None
    return last if last and (last.isdigit() or _is_word_code(last)) else None


def _find(body: Any, keys: frozenset[str], accept: Callable[[Any], bool], depth: int = 0) -> Any:
    """The first value under one of ``keys`` that ``accept`` takes, at the top level or nested."""
    if depth > 4:
        return None
    if isinstance(body, dict):
        found = next((value for key, value in body.items() if _named(key, keys) and accept(value)), None)
        if found is not None:
            return found
        children: Any = body.values()
    elif isinstance(body, list):
        children = body
    else:
        return None
    return next((code for child in children if (code := _find(child, keys, accept, depth + 1)) is not None), None)


def error_code(body: Any) -> Any:
    """The error code a body carries, at the top level or nested (a framework's ``{"detail": {"code":
    103, ...}}``): under a key that names one (:data:`CODE_KEYS`), an integer or a word; else under
    one that may hold a message (:data:`CODE_OR_MESSAGE_KEYS`), an integer or one identifier-like
    word; else the type of an error object or of a problem (:data:`ERROR_OBJECT_KEYS`); None when
    there is none."""
    code = _find(body, CODE_KEYS, _is_code)
    if code is None:
        code = _find(body, CODE_OR_MESSAGE_KEYS, _is_word_code)
    if code is None:
        error = _find(body, ERROR_OBJECT_KEYS, lambda value: _typed(value) is not None)
        code = _typed(error)
    return code if code is not None or not isinstance(body, dict) else _type_code(body.get("type"))


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
        code = integral(body.get("code")) if isinstance(body, dict) else None
        if code is not None and isinstance(body.get("message"), str):
            return Outcome(REFUSED, code=code)
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
