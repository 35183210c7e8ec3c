"""Which generated requests are *clearly* invalid, whoever wrote the service.

Schemathesis' negative cases break the spec's request schema, and the spec is strict: it says what a
valid body looks like so that positive cases are right for every reading of the seed. A correct
service may still accept some of those cases: a Jackson or pydantic parser reads ``"3500"`` as the
integer 3500 and ``5.0`` as 5, an ASP.NET model binder takes ``null`` for an optional field, and the
seeds give no lengths, bounds or formats for most fields. Demanding their rejection would fail such
a service for a choice the seed leaves open.

So <P>-NEGATIVE judges a case only when its body breaks the *lenient* schema: the spec's request
schema with every type widened to what common parsers coerce (numeric strings and booleans for
numbers, integral numbers for integers, ``"true"``/``1`` for booleans, scalars for strings,
case-insensitive string enums and their ordinals, as Jackson and .NET bind an enum from an integer),
``null`` allowed for optional fields, only the essential fields
required (``x-orderproof-essential`` where the spec gives it: the seed's "required" may be an
inference), no type at all for the fields a service may ignore (``x-orderproof-loose``), no enum or
const for the fields whose values the spec picked where the seed lists none (``x-orderproof-open``:
the type stays), and every bound, length, pattern, format and ``additionalProperties: false`` dropped.
What is left is a missing essential field, an object where a number belongs, a word where a number
belongs, a body that is not JSON at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

import jsonschema

from orderproof import registry
from orderproof.core.paths import spec_document

__all__ = ["clearly_invalid", "is_clearly_invalid", "lenient_schema", "unreadable"]

_NUMBER_TEXT = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$"
_INTEGER_TEXT = r"^\s*[-+]?\d+(\.0*)?\s*$"
_DROPPED = {"format", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
            "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
            "additionalProperties", "unevaluatedProperties", "propertyNames", "default", "examples", "example",
            "description", "title", "readOnly", "writeOnly", "discriminator", "xml", "externalDocs", "deprecated",
            "$schema", "$id", "nullable"}
_MAX_DEPTH = 40


def _resolve(schema: Any, document: Mapping[str, Any]) -> Any:
    seen = 0
    while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/"):
        target: Any = document
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        rest = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **rest} if rest else target
        seen += 1
        if seen > 50:
            break
    return schema


def _widen_type(kind: str) -> list[dict[str, Any]]:
    if kind == "integer":              # pydantic's lax mode also reads true/false as 1/0
        return [{"type": "integer"}, {"type": "number", "multipleOf": 1}, {"type": "boolean"},
                {"type": "string", "pattern": _INTEGER_TEXT}]
    if kind == "number":
        return [{"type": "number"}, {"type": "boolean"}, {"type": "string", "pattern": _NUMBER_TEXT}]
    if kind == "boolean":
        return [{"type": "boolean"}, {"enum": [0, 1]},
                {"type": "string", "pattern": r"(?i)^\s*(true|false|0|1)\s*$"}]
    if kind == "string":
        return [{"type": ["string", "number", "boolean"]}]
    return [{"type": kind}]


def _without_values(schema: Any, document: Mapping[str, Any]) -> Any:
    """``schema`` without its ``enum`` and ``const``: any value of its type."""
    schema = _resolve(schema, document)
    if not isinstance(schema, Mapping):
        return schema
    return {key: value for key, value in schema.items() if key not in ("enum", "const")}


def _lenient(schema: Any, document: Mapping[str, Any], depth: int = 0) -> Any:
    schema = _resolve(schema, document)
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return {}
    out: dict[str, Any] = {}
    branches: list[Any] = []
    for key, value in schema.items():
        if key in _DROPPED or key.startswith("x-"):
            continue
        if key in ("allOf", "anyOf", "oneOf"):
            widened = [_lenient(branch, document, depth + 1) for branch in value]
            if key == "allOf":
                out["allOf"] = widened
            else:
                branches.append(widened)
        elif key == "properties":
            required = set(schema.get("x-orderproof-essential", schema.get("required")) or [])
            loose = set(schema.get("x-orderproof-loose") or [])      # fields a service may ignore
            opened = set(schema.get("x-orderproof-open") or [])       # values the seed does not list
            value = {name: _without_values(sub, document) if name in opened else sub for name, sub in value.items()}
            out["properties"] = {
                name: ({} if name in loose else _lenient(sub, document, depth + 1) if name in required
                       else {"anyOf": [_lenient(sub, document, depth + 1), {"type": "null"}]})
                for name, sub in value.items()
            }
        elif key == "items":             # a list may hold nulls (a .NET or Java list of objects binds them)
            out["items"] = {"anyOf": [_lenient(value, document, depth + 1), {"type": "null"}]}
        elif key == "prefixItems":
            out["prefixItems"] = [_lenient(item, document, depth + 1) for item in value]
        elif key == "enum":
            strings = [item for item in value if isinstance(item, str)]
            if strings and len(strings) == len(value):
                out["anyOf"] = [{"type": "string", "pattern": "(?i)^" + re.escape(item) + "$"} for item in strings] + [
                    {"type": "integer", "minimum": 0, "maximum": len(strings) - 1}]   # Jackson, .NET: an ordinal
            elif all(isinstance(item, (int, float)) and not isinstance(item, bool) for item in value):
                pass                      # an integer enum (a .NET enum): any number binds
            else:
                out["enum"] = value
        elif key == "type":
            kinds = value if isinstance(value, list) else [value]
            alternatives = [alt for kind in kinds for alt in _widen_type(kind)]
            out.setdefault("allOf", []).append({"anyOf": alternatives})
        elif key == "required":          # what a request cannot do without (x-orderproof-essential, when given)
            out["required"] = list(schema.get("x-orderproof-essential", value))
        elif key in ("const", "not", "if", "then", "else", "dependentRequired"):
            out[key] = value if key not in ("not", "if", "then", "else") else _lenient(value, document, depth + 1)
    for widened in branches:
        out.setdefault("allOf", []).append({"anyOf": widened})
    return out


def _document(slug: str) -> dict[str, Any]:
    return spec_document(registry.get(slug).spec_path)


@cache
def lenient_schema(slug: str, media_type: str = "application/json") -> dict[str, Any] | None:
    """The lenient request body schema of ``slug`` for ``media_type`` (None when it has no body)."""
    document = _document(slug)
    api = registry.get(slug)
    request_body = document["paths"][api.path][api.method.lower()].get("requestBody") or {}
    content = request_body.get("content") or {}
    media = content.get(media_type) or content.get("application/json") or next(iter(content.values()), None)
    if media is None:
        return None
    return _lenient(media.get("schema") or {}, document)


@cache
def _validator(slug: str, media_type: str) -> jsonschema.protocols.Validator | None:
    schema = lenient_schema(slug, media_type)
    return None if schema is None else jsonschema.Draft202012Validator(schema)


def _body_required(slug: str) -> bool:
    api = registry.get(slug)
    operation = _document(slug)["paths"][api.path][api.method.lower()]
    return bool((operation.get("requestBody") or {}).get("required"))


_UNREAD = object()      # no body to judge: none sent, not JSON, or a media type not judged


def _read(slug: str, media_type: str | None, text: str | None) -> tuple[str | None, Any]:
    """(why no API reads the request, or None; the body as read, or ``_UNREAD``), parsing it once."""
    if text is None or text == "":
        return ("the request has no body" if _body_required(slug) else None), _UNREAD
    media = (media_type or "application/json").lower()
    if media == "application/x-www-form-urlencoded":
        return None, dict(parse_qsl(text, keep_blank_values=True))
    if "json" in media:
        try:
            return None, json.loads(text)
        except ValueError:
            return "the body is not JSON", _UNREAD
    return None, _UNREAD


def unreadable(slug: str, media_type: str | None, text: str | None) -> str | None:
    """Why no API reads this request at all (no body where one is required, a JSON body that does
    not parse), or None. A framework answers such a request before the API sees it, its own way."""
    return _read(slug, media_type, text)[0]


def clearly_invalid(slug: str, media_type: str | None, text: str | None) -> str | None:
    """Why the body sent is invalid under every reasonable reading of the spec, or None when a
    correct service may accept it. Media types other than JSON and forms are not judged (None)."""
    why, body, validator = _judged(slug, media_type, text)
    if validator is None:
        return why
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is None:
        return None
    error = _past_null(error)
    where = "/".join(str(part) for part in error.absolute_path) or "the body"
    return f"{where}: {_message(error)}"


def is_clearly_invalid(slug: str, media_type: str | None, text: str | None) -> bool:
    """Whether :func:`clearly_invalid` has a reason, without finding the best one: validation stops at
    the first error (a fifth to a third less work on generated invalid bodies; the reason is wanted
    only when a rule fails)."""
    why, body, validator = _judged(slug, media_type, text)
    return why is not None if validator is None else not validator.is_valid(body)


def _judged(slug: str, media_type: str | None, text: str | None) -> tuple[str | None, Any, Any]:
    """(why no API reads the request, or None; the body as read; the lenient validator that judges
    it, or None where nothing is left to judge: no body read, or a media type not judged)."""
    why, body = _read(slug, media_type, text)
    if why is not None or body is _UNREAD:
        return why, body, None
    media = (media_type or "application/json").lower()
    return None, body, _validator(slug, media if media in ("application/x-www-form-urlencoded",) else "application/json")


def _past_null(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """The error of the branch that matters where a value may also be null (an optional field, a
    list item): "'num' is a required property", not "... is not a null"."""
    while error.validator in ("anyOf", "oneOf") and error.context:
        others = [sub for sub in error.context if not (sub.validator == "type" and sub.validator_value == "null")]
        if not others or len(others) == len(error.context):
            break
        error = jsonschema.exceptions.best_match(others)
    return error


def _message(error: jsonschema.ValidationError) -> str:
    value = _short(json.dumps(error.instance, default=str), 60)
    if error.validator == "pattern" and error.validator_value == _NUMBER_TEXT:
        return f"{value} is not a number"
    if error.validator == "pattern" and error.validator_value == _INTEGER_TEXT:
        return f"{value} is not an integer"
    if error.validator in ("anyOf", "oneOf", "type"):
        first = next((sub.validator_value for sub in (error.context or []) if sub.validator == "type"), None)
        if first is not None:
            kinds = [first] if isinstance(first, str) else list(first)
            article = "an" if kinds[0][0] in "aeiou" else "a"
            return f"{value} is not {article} {' or '.join(kinds)}"
        return f"{value} is not of a type the field takes"
    return _short(error.message)


def _short(text: str, width: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."
