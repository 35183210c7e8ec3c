"""travel-order (seed 002): ``POST /api/invoice/createorder``, an ASP.NET help page's create-order call.

Request media types ``application/json``, ``text/json`` and ``application/x-www-form-urlencoded``
(the top-level scalar fields only). The body is checked against the request schema of
``openapi/travel-order.yaml`` itself (types, int32/int64 ranges, dates with an offset and up to 7
fractional digits), so the reference and the spec cannot drift apart. Nothing is required.

Answers: 200 ``{"data": {"docno", "orderno"}, "code": 100, "message": "success"}``; rejections are
HTTP 400 ``{"data": null, "code": ..., "message": ...}``: 101 invalid body, 102 unknown ``memberid``,
103 a ``localtravelroutine[].totalAmt`` that is not the sum of price x quantity of its details.
An accepted order is stored (attached to the member when ``memberid`` is given) in one transaction.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, localcontext
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import best_match
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from orderproof.apis.travel_order import api as travel_api
from orderproof.core.paths import spec_document
from orderproof.reference.errors import BadRequest, media_type, parse_json
from orderproof.reference.money import json_bytes

router = APIRouter()
PATH = travel_api.path
SPEC_URI = "urn:orderproof:travel-order"
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
_CTX = Context(prec=100, Emax=MAX_EMAX, Emin=MIN_EMIN)   # no JSON literal can overflow it

SCHEMA = """
CREATE TABLE IF NOT EXISTS travel_orders (
    orderno TEXT PRIMARY KEY,
    docno TEXT NOT NULL,
    user_id TEXT REFERENCES players(user_id),   -- the member, when memberid was given
    memberid INTEGER,
    media_type TEXT NOT NULL,
    body TEXT NOT NULL,                         -- the order as received (exact JSON)
    created TEXT NOT NULL                       -- UTC ISO 8601
);
CREATE INDEX IF NOT EXISTS travel_orders_user ON travel_orders(user_id);
"""


class Invalid(Exception):
    """Code 101: the body cannot be read or does not match the request schema."""


# --- the spec's request schemas -------------------------------------------------------------------

@cache
def _registry() -> Registry:
    spec = spec_document(travel_api.spec_path)
    return Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))


def _schema(name: str) -> dict[str, Any]:
    return {"$ref": f"{SPEC_URI}#/components/schemas/{name}"}


@cache
def _form_types() -> dict[str, str]:
    """Top-level field -> JSON type ("string", "integer", "number", "boolean") of the form body."""
    resolver = _registry().resolver()
    properties = resolver.lookup(_schema("CreateOrderForm")["$ref"]).contents["properties"]
    types = {}
    for name, schema in properties.items():
        while "$ref" in schema:
            schema = resolver.lookup(SPEC_URI + schema["$ref"]).contents
        types[name] = schema.get("type", "string")
    return types


# --- dates ------------------------------------------------------------------------------------------

DATE = re.compile(r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d+))?([Zz]|[+-]\d\d:\d\d)", re.ASCII)


@dataclass(frozen=True)
class TravelDate:
    """A .NET DateTimeOffset: the instant to the microsecond plus the 100 ns ticks of the fraction."""
    instant: datetime
    ticks: int          # the fraction of the second in 100 ns units (0 .. 9_999_999)


def _parse_date(text: str, max_fraction_digits: int) -> TravelDate:
    match = DATE.fullmatch(text)
    if not match or len(match[7] or "") > max_fraction_digits:
        raise ValueError(f"not a date with an offset and up to {max_fraction_digits} fractional digits: {text!r}")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction = (match[7] or "").ljust(7, "0")
    zone = match[8]
    offset = timedelta(0) if zone in "Zz" else (-1 if zone[0] == "-" else 1) * timedelta(
        hours=int(zone[1:3]), minutes=int(zone[4:6]))
    if abs(offset) >= timedelta(hours=24):
        raise ValueError(f"offset out of range: {text!r}")
    instant = datetime(year, month, day, hour, minute, second, int(fraction[:6]), tzinfo=timezone(offset))
    return TravelDate(instant, int(fraction))


def parse_date(text: str) -> TravelDate:
    """ISO 8601 with an offset and up to 7 fractional digits (``...37.2652335+08:00``), exactly."""
    return _parse_date(text, 7)


# --- behaviour: every point a fault may change --------------------------------------------------

def _read_json(raw: bytes) -> Any:
    try:
        return parse_json(raw, None)
    except BadRequest as bad:
        raise Invalid(str(bad)) from None


def _read_form(raw: bytes) -> dict[str, Any]:
    """A urlencoded body of top-level scalar fields, each converted to its schema type (a value
    that does not convert stays a string, so the schema check reports it)."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(raw.strip()),
                          errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise Invalid(f"the form body cannot be read: {exc}") from None
    if not pairs:           # an object without fields, as a form encodes it: every field is optional
        return {}
    types = _form_types()
    return {name: _form_value(value, types.get(name)) for name, value in pairs}


def _form_value(value: str, kind: str | None) -> Any:
    if kind == "integer" and re.fullmatch(r"[+-]?[0-9]{1,30}", value):
        return int(value)
    if kind == "number" and re.fullmatch(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,6})?", value):
        return Decimal(value)
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


PARSERS: dict[str, Callable[[bytes], Any]] = {
    "application/json": _read_json,
    "text/json": _read_json,
    "application/x-www-form-urlencoded": _read_form,
}


UNSUPPORTED = "unsupported media type"     # how the reason of a body of another media type begins


def media_parser(kind: str | None) -> Callable[[bytes], Any] | None:
    """The reader of a request media type, None when the type is not accepted (code 101)."""
    return PARSERS.get(kind or "")


def validator_class() -> type:
    """The JSON Schema validator of the request body (JSON Schema 2020-12, as OpenAPI 3.1)."""
    return Draft202012Validator


def local_total_excess(routine: Any) -> Decimal | None:
    """A local experience's ``totalAmt`` less the sum of price x quantity over its details (None when
    either is not given; a detail without price or quantity counts 0, as .NET defaults them)."""
    if not isinstance(routine, dict):
        return None
    total, details = routine.get("totalAmt"), routine.get("localTravelDetails")
    if not _is_number(total) or not isinstance(details, list) or not details:
        return None
    with localcontext(_CTX):
        return total - sum((_line(detail) for detail in details), Decimal(0))


def local_total_ok(routine: Any) -> bool:
    """A local experience's ``totalAmt`` is the sum of price x quantity over its details (checked
    when both are given)."""
    return local_total_excess(routine) in (None, 0)


def check_repeats(conn: sqlite3.Connection, order: dict[str, Any]) -> None:
    """What a service does with an order that repeats another's identifiers (a PNR, a coupon code):
    nothing, the reference stores it (a service may raise :class:`Rejected` instead)."""


def success(docno: str, orderno: str) -> dict[str, Any]:
    return {"data": {"docno": docno, "orderno": orderno}, "code": 100, "message": "success"}


def rejection(code: int, message: str) -> dict[str, Any]:
    return {"data": None, "code": code, "message": message}


def rejection_status(code: int) -> int:
    """The HTTP status of a refusal (``code``: the reference's 101, 102 or 103): 400."""
    return 400


def invalid_answer(reason: str) -> Response | None:
    """What a body that cannot be read or breaks the request schema gets: None, the envelope's
    refusal 101 (a service's framework may answer it itself instead)."""
    return None


def failure_code(code: int) -> int:
    """The envelope code of a refusal: the reference's own 101, 102, 103."""
    return code


def message(text: str | None) -> str | None:
    """The envelope's message: the reference's text."""
    return text


def answer_members(body: dict[str, Any]) -> dict[str, Any]:
    """The envelope as written: every member, null ones included (``"data": null``)."""
    return body


def order_numbers(conn: sqlite3.Connection, docno: Any, now: datetime) -> tuple[str, str]:
    """(docno, orderno) of a new order: the request's docno when it sends one (else generated) and
    an order number of the creation time and 8 random digits."""
    if not isinstance(docno, str) or not docno:
        docno = f"D{secrets.token_hex(8).upper()}"
    return docno, f"{now:%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


BEHAVIOUR = {
    "travel_media_parser": media_parser,
    "travel_validator_class": validator_class,
    "travel_parse_date": parse_date,
    "travel_local_total_ok": local_total_ok,
    "travel_check_repeats": check_repeats,
    "travel_order_numbers": order_numbers,
    "travel_success": success,
    "travel_rejection": rejection,
    "travel_rejection_status": rejection_status,
    "travel_invalid_answer": invalid_answer,
    "travel_failure_code": failure_code,
    "travel_message": message,
    "travel_answer_members": answer_members,
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def _line(detail: Any) -> Decimal:
    if not isinstance(detail, dict):
        return Decimal(0)
    price, quantity = detail.get("price"), detail.get("quantity")
    return (price if _is_number(price) else 0) * (quantity if _is_number(quantity) else 0)


# --- validation -----------------------------------------------------------------------------------

def _format_checker(parse: Callable[[str], Any]) -> FormatChecker:
    checker = FormatChecker(formats=())

    def in_range(bounds: tuple[int, int]) -> Callable[[Any], bool]:
        return lambda value: not isinstance(value, int) or bounds[0] <= value <= bounds[1]

    checker.checks("int32")(in_range(INT32))
    checker.checks("int64")(in_range(INT64))
    checker.checks("date-time", raises=ValueError)(lambda value: not isinstance(value, str) or bool(parse(value)))
    return checker


def _problems(document: Any, schema_name: str, behaviour: Any) -> str | None:
    """The most relevant schema violation as ``where: why``, None when the body is valid."""
    validator = behaviour.travel_validator_class()(
        _schema(schema_name), registry=_registry(), format_checker=_format_checker(behaviour.travel_parse_date))
    error = best_match(validator.iter_errors(document))
    if error is None:
        return _bad_text(document)
    where = "/".join(str(part) for part in error.absolute_path) or "body"
    return f"{where}: {error.message[:200]}"


def _bad_text(value: Any, where: str = "body") -> str | None:
    """Strings must be valid Unicode (a lone surrogate cannot be stored or answered)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return f"{where}: not a valid Unicode string"
    elif isinstance(value, dict):
        for key, item in value.items():
            found = _bad_text(key, where) or _bad_text(item, f"{where}/{key}")
            if found:
                return found
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found = _bad_text(item, f"{where}/{i}")
            if found:
                return found
    return None


# --- the handler ----------------------------------------------------------------------------------

class Rejected(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def _answer(behaviour: Any, status: int, body: dict[str, Any]) -> Response:
    if "message" in body:
        body = dict(body, message=behaviour.travel_message(body["message"]))
    body = behaviour.travel_answer_members(body)
    return Response(json_bytes(body), status_code=status, media_type="application/json")


def _refuse(behaviour: Any, code: int, text: str) -> Response:
    return _answer(behaviour, behaviour.travel_rejection_status(code),
                   behaviour.travel_rejection(behaviour.travel_failure_code(code), text))


def _store(conn: sqlite3.Connection, behaviour: Any, order: Any, kind: str) -> dict[str, Any]:
    fields = order if isinstance(order, dict) else {}
    memberid, user_id = fields.get("memberid"), None
    if isinstance(memberid, int) and not isinstance(memberid, bool) and INT64[0] <= memberid <= INT64[1]:
        row = conn.execute("SELECT user_id FROM players WHERE memberid = ?", (memberid,)).fetchone()
        if row is None:
            raise Rejected(102, f"unknown memberid {memberid}")
        user_id = row["user_id"]
    else:
        memberid = None
    routines = fields.get("localtravelroutine")
    for i, routine in enumerate(routines if isinstance(routines, list) else []):
        if not behaviour.travel_local_total_ok(routine):
            raise Rejected(103, f"localtravelroutine/{i}/totalAmt is not the sum of price x quantity of its details")
    behaviour.travel_check_repeats(conn, fields)
    now = datetime.now(UTC)
    docno, orderno = behaviour.travel_order_numbers(conn, fields.get("docno"), now)
    conn.execute(
        "INSERT INTO travel_orders (orderno, docno, user_id, memberid, media_type, body, created)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (orderno, docno, user_id, memberid, kind, json_bytes(order, scientific=True).decode(), now.isoformat()))
    return behaviour.travel_success(docno, orderno)


@router.post(PATH, include_in_schema=False)
async def create_order(request: Request) -> Response:
    behaviour = request.app.state.behaviour
    raw = await request.body()
    kind = media_type(request.headers.get("content-type"))
    try:
        read = behaviour.travel_media_parser(kind)
        if read is None:
            raise Invalid(f"{UNSUPPORTED} {kind!r}; send application/json, text/json or "
                          "application/x-www-form-urlencoded")
        order = read(raw)
        schema_name = "CreateOrderForm" if kind == "application/x-www-form-urlencoded" else "CreateOrderRequest"
        problem = _problems(order, schema_name, behaviour)
        if problem:
            raise Invalid(problem)
        with request.app.state.store.transaction() as conn:
            answer = _store(conn, behaviour, order, kind)
    except Invalid as invalid:
        reason = str(invalid).encode("utf-8", "backslashreplace").decode("utf-8")   # no lone surrogate
        return behaviour.travel_invalid_answer(reason) or _refuse(behaviour, 101, f"invalid request: {reason}")
    except Rejected as rejected:
        return _refuse(behaviour, rejected.code, rejected.message)
    return _answer(behaviour, 200, answer)


def snapshot(conn: sqlite3.Connection, user_id: str) -> dict[str, Any]:
    """The member's orders for the "a player snapshot" provider state."""
    rows = conn.execute("SELECT docno, orderno FROM travel_orders WHERE user_id = ? ORDER BY rowid", (user_id,))
    return {"travel_orders": [dict(row) for row in rows]}

