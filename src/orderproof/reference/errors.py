"""Reading a request body without trusting it.

Every API module parses its own body (never a framework model), so that each malformed input gets
the API's documented error instead of a 500 or a framework 422. :func:`parse_json` raises
:class:`BadRequest` with a short reason for anything that is not a JSON document of the accepted
media type; numbers come back exact (``Decimal`` for literals with a point or exponent, ``int``
otherwise) and ``NaN``/``Infinity`` literals are refused.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from orderproof.reference.money import json_bytes

JSON_MEDIA_TYPES = ("application/json",)
MAX_DEPTH = 32


class BadRequest(Exception):
    """The request cannot be read: the message says why (it is returned to the client)."""


def _refuse_constant(name: str) -> Any:
    raise BadRequest(f"{name} is not a JSON number")


def media_type(content_type: str | None) -> str | None:
    """``"application/json; charset=utf-8"`` -> ``"application/json"``; None when absent."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower()


def parse_json(raw: bytes, content_type: str | None, accepted: tuple[str, ...] = JSON_MEDIA_TYPES) -> Any:
    """The body as exact JSON. A missing Content-Type is read as JSON; another media type is refused."""
    kind = media_type(content_type)
    if kind is not None and kind not in accepted:
        raise BadRequest(f"unsupported media type {kind!r}; send {' or '.join(accepted)}")
    if not raw.strip():
        raise BadRequest("the request body is empty")
    try:
        document = json.loads(raw, parse_float=Decimal, parse_constant=_refuse_constant)
    except BadRequest:
        raise
    except (ValueError, RecursionError) as exc:   # JSONDecodeError, bad UTF-8, a 5000-digit integer
        raise BadRequest(f"the request body is not valid JSON: {str(exc)[:120]}") from None
    if _depth(document) > MAX_DEPTH:
        raise BadRequest(f"the request body is nested more than {MAX_DEPTH} levels deep")
    return document


def _depth(document: Any) -> int:
    deepest, stack = 0, [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            deepest = max(deepest, depth)
            stack.extend((v, depth + 1) for v in (value.values() if isinstance(value, dict) else value))
    return deepest


def fingerprint(document: Any) -> str:
    """sha256 of the canonical JSON of a parsed body (keys sorted, numbers exact)."""
    return hashlib.sha256(json_bytes(_sorted(document), scientific=True)).hexdigest()


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value
