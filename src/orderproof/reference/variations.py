"""The variation registry: named, correct behaviours that differ from the reference's own choice.

The dual of ``faults.py``. The reference is one conforming implementation among many: where a seed
leaves a choice open (a rejection at HTTP 200 or 4xx, a ticket id as an integer or a digit string,
the odds a jackpot multiplies, how a potential payout is rounded, ...), a :class:`Variation` switches
on another choice the seed documents permit. The suite must accept every one of them: no MUST rule
may fail against ``create_app(variation=name)``. ``warns`` lists the SHOULD rules a variation is
expected to warn on, where a practice-based SHOULD rule (not the seed) asks for the reference's
choice; the description says why.

A variation uses the same mechanism as a fault: it replaces named behaviours of the API modules
(``behaviour.py``), so handlers never test which variation is on. A fault and a variation that patch
the same behaviour cannot be switched on together (``create_app`` raises ``ValueError``).

Long module: it is a table, one entry per variation with its function beside it, so that every
open point the suite accepts either way is read in one place.
"""

from __future__ import annotations

import dataclasses
import hmac
import json
import re
import secrets
import sqlite3
import string
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal, localcontext
from typing import Any

import jsonschema
from fastapi import Response

from orderproof.apis.ticket_engine.signing import ticket_signature
from orderproof.reference import bet_placement as bp
from orderproof.reference import idempotency
from orderproof.reference import sportsbook_order as so
from orderproof.reference import ticket_engine as te
from orderproof.reference import travel_order as to
from orderproof.reference.idempotency import Reply
from orderproof.reference.money import CENT, json_bytes

__all__ = ["Variation", "VARIATIONS", "get_variation"]


@dataclass(frozen=True)
class Variation:
    name: str                      # kebab-case, says the choice
    apis: tuple[str, ...]          # slugs in orderproof.apis.APIS whose answers it changes
    description: str
    patch: dict[str, Callable] = field(default_factory=dict)   # behaviour name -> the other correct function
    warns: tuple[str, ...] = ()    # SHOULD rule ids it is expected to warn on (a practice-based SHOULD)


SO, TO, BP = ("sportsbook-order",), ("travel-order",), ("bet-placement",)
JT, SR = ("jackpot-ticket",), ("superbet-reserve",)
TICKETS = JT + SR


# === sportsbook-order (000) =======================================================================

OWN_ORDER_CODES = {   # the reference's code -> a service's own code and message
    so.INVALID_REQUEST: (1001, "parameter error"),
    so.UNKNOWN_TOKEN: (1002, "token invalid or expired"),
    so.INSUFFICIENT_BALANCE: (1003, "balance not enough"),
    so.PLAYER_BLOCKED: (1004, "account is locked"),
    so.TICKET_REUSED: (1005, "order already exists with other content"),
}


def own_order_code(code: int, msg: str) -> tuple[int, str]:
    return OWN_ORDER_CODES.get(code, (1099, msg))


def refuse_repeated_ticket(behaviour: Any, earlier: sqlite3.Row) -> Reply:
    """A ticketId seen before is refused, same body or not: the wallet was debited once already."""
    raise so.Rejection(so.TICKET_REUSED, "duplicate ticket")


def rejection_without_data(code: int, msg: str) -> dict[str, Any]:
    return {"code": code, "msg": msg}


def unknown_token_401(code: int) -> int:
    return 401 if code == so.UNKNOWN_TOKEN else 400


def ticket_id_as_sent(ticket_id: int, sent: int | str) -> int | str:
    """The ticket id in the form the request sent it: digits for digits, an integer for an integer."""
    return str(ticket_id) if isinstance(sent, str) else ticket_id


def ticket_id_safe_integer(ticket_id: int, sent: int | str) -> int | str:
    """The ticket id as a JSON integer while a double holds it exactly (up to 2^53), its digits beyond."""
    return ticket_id if abs(ticket_id) <= 2**53 else str(ticket_id)


def read_order_unbounded(document: Any) -> Any:
    """An order whose ticketId is beyond 2^63-1 (a JSON integer or its digits) is read with the id as
    an integer of any size, as an arbitrary-precision binder (BigInteger) does."""
    sent = document.get("ticketId") if isinstance(document, dict) else None
    whole = isinstance(sent, int) and not isinstance(sent, bool)
    big = int(sent) if whole or (isinstance(sent, str) and sent.isascii() and sent.isdigit()) else None
    if big is None or big <= 2**63 - 1:
        return so.read_order(document)
    order = so.read_order({**document, "ticketId": 0})
    return dataclasses.replace(order, ticket_id=big, fingerprint=so.fingerprint({**document, "ticketId": big}),
                               ticket_id_sent=sent)


def read_order_as_the_sample(document: Any) -> Any:
    """An order read as the seed's own sample writes one: no currency (the player's own), and a bet
    without num and cnt (a single: 1 and 1) or comboId (null)."""
    if isinstance(document, dict):
        document = {"currency": 1, **document}
        if isinstance(document.get("betList"), list):
            document["betList"] = [{"comboId": None, "num": 1, "cnt": 1, **bet} if isinstance(bet, dict) else bet
                                   for bet in document["betList"]]
    return so.read_order(document)


UNKNOWN_MEMBERS = "unknown field(s)"


def read_order_strictly(document: Any) -> Any:
    """An order with members the tables do not name (at its top, in an option or a bet) is refused,
    as a binder that fails on unknown properties does; any other order is read as usual."""
    parts = [(document, so.ORDER_FIELDS)] if isinstance(document, dict) else []
    for key, fields in (("optionArray", so.OPTION_FIELDS), ("betList", so.BET_FIELDS)):
        items = document.get(key) if isinstance(document, dict) else None
        parts += [(item, fields) for item in items if isinstance(item, dict)] if isinstance(items, list) else []
    unknown = sorted({name for item, fields in parts for name in item if name not in fields})
    if unknown:
        raise so.Rejection(so.INVALID_REQUEST, f"{UNKNOWN_MEMBERS} {', '.join(unknown)[:200]}")
    return so.read_order(document)


def unknown_members_by_the_framework(code: int, msg: str) -> dict[str, Any]:
    """The refusal of unknown members in the binder's own body, {error, message}; every other
    rejection in the envelope."""
    if msg.startswith(UNKNOWN_MEMBERS):
        return {"error": "Bad Request", "message": f"request: {msg}"}
    return so.rejection_body(code, msg)


_SPORTSBOOK_ORDER = [
    Variation("so-reject-http-200", SO,
              "every rejection is answered with HTTP 200 and the envelope (code != 200, data null): the seed "
              "documents no failure status (convention sportsbook-order.rejection, option http-200)",
              {"so_rejection_status": lambda code: 200}),
    Variation("so-ticket-id-sample-key", SO,
              "data carries the ticket id under ticketID, the key of the seed's response sample, instead of the "
              "data table's ticketId (convention sportsbook-order.ticket-id-key)",
              {"so_ticket_id_key": lambda: "ticketID"}),
    Variation("so-ticket-id-string", SO,
              "data.ticketId is a string of the exact digits (\"116295584494649344\"), as the seed's request "
              "sample sends it, instead of a JSON integer (convention sportsbook-order.ticket-id-type)",
              {"so_ticket_id_json": lambda ticket_id, sent: str(ticket_id)}),
    Variation("so-ticket-id-as-sent", SO,
              "data.ticketId comes back in the form the request sent it: a digit string for \"116295584494649344\", "
              "a JSON integer for 116295584494649344 (convention sportsbook-order.ticket-id-type, option as-sent)",
              {"so_ticket_id_json": ticket_id_as_sent}),
    Variation("so-ticket-id-safe-integer", SO,
              "data.ticketId is a JSON integer up to 2^53 and a string of its digits beyond, where a double would "
              "change it (the seed types it bigint and its request sample sends the digits; convention "
              "sportsbook-order.ticket-id-type, noted, not held to one form)",
              {"so_ticket_id_json": ticket_id_safe_integer}),
    Variation("so-ticket-id-unbounded", SO,
              "a ticketId beyond 2^63-1 is taken as an integer of any size (the table types it bigint, every other "
              "id long) and data.ticketId is the string of its digits (convention sportsbook-order.ticket-id-type)",
              {"so_validate": read_order_unbounded, "so_ticket_id_json": lambda ticket_id, sent: str(ticket_id)}),
    Variation("so-own-ticket-id", SO,
              "data.ticketId is an id of the operator's own for the order (a random 18-digit bigint), not the "
              "request's ticketId: the seed's response sample answers another id than its request sample sent "
              "(convention sportsbook-order.ticket-id-value, option own)",
              {"so_echo_ticket_id": lambda ticket_id: 10**17 + secrets.randbelow(9 * 10**17)}),
    Variation("so-own-codes", SO,
              "rejections carry the service's own codes 1001.. and messages (1001 parameter error, 1002 token "
              "invalid, 1003 balance not enough, 1004 account locked, 1005 order exists): the seed lists no "
              "failure code",
              {"so_rejection_code": own_order_code}),
    Variation("so-repeat-refused", SO,
              "a ticketId repeated with the same body is refused (code 409 \"duplicate ticket\") and debits "
              "nothing, instead of replaying the first answer (convention sportsbook-order.repeat, option reject)",
              {"so_repeat": refuse_repeated_ticket}),
    Variation("so-rejection-no-data", SO,
              "rejections leave the data key out ({code, msg}) instead of data null: the table marks data "
              "optional (N)",
              {"so_rejection_body": rejection_without_data}),
    Variation("so-unknown-token-401", SO,
              "an unknown customerToken is answered with HTTP 401 (the envelope, code 401); other rejections "
              "stay HTTP 400 (convention sportsbook-order.rejection, option http-4xx: any 4xx)",
              {"so_rejection_status": unknown_token_401}),
    Variation("so-invalid-body-http-200", SO,
              "a malformed or invalid request is answered with HTTP 200 and the envelope (code 400) while a "
              "well-formed order that is refused (unknown token, balance) is HTTP 400: the seed gives no status "
              "for either, and each answer is a correct envelope",
              {"so_rejection_status": lambda code: 200 if code == so.INVALID_REQUEST else 400}),
    Variation("so-success-201", SO,
              "an accepted order is answered with HTTP 201 (a framework's default for a POST that creates), the "
              "same envelope; a repeat replays it at 201: the seed names no status",
              {"so_success_status": lambda: 201}),
    Variation("so-order-time-string", SO,
              "data.orderTime is a string of the epoch milliseconds (\"1519872502536\"), as the seed's request "
              "sample sends the other bigint, ticketId",
              {"so_order_time": lambda now_ns: str(now_ns // 1_000_000)}),
    Variation("so-balance-before", SO,
              "data.balance is the player's balance before the order (the sample's \"balance\":1000.00 beside "
              "\"amount\":100 may be either): the table does not say which balance it is",
              {"so_reported_balance": lambda balance_after, amount: balance_after + amount}, warns=("SO-BALANCE",)),
    Variation("so-unknown-members-refused", SO,
              "an order carrying members the tables do not name is refused at HTTP 400 in the JSON binder's own "
              "body ({error, message}, not the envelope): the seed says nothing of unknown fields and documents "
              "no rejection",
              {"so_validate": read_order_strictly, "so_rejection_body": unknown_members_by_the_framework}),
    Variation("so-sample-defaults", SO,
              "an order without currency, or a bet without num, cnt or comboId, is accepted as the seed's own "
              "request sample has them (currency the player's, a single bet): the table marks them Y, the sample "
              "leaves them out",
              {"so_validate": read_order_as_the_sample}),
]


# === travel-order (002) ===========================================================================

OWN_TRAVEL_CODES = {101: -1, 102: 500, 103: 501}


def omit_null_members(body: dict[str, Any]) -> dict[str, Any]:
    """A serializer configured to leave null members out (Json.NET NullValueHandling.Ignore)."""
    return {key: value for key, value in body.items() if value is not None}


def server_order_numbers(conn: sqlite3.Connection, docno: Any, now: datetime) -> tuple[str, str]:
    """The server numbers every order itself: a document number of its own (whatever the request's
    docno) and a numeric, sequential order number."""
    count = conn.execute("SELECT COUNT(*) FROM travel_orders").fetchone()[0]
    return f"DOC{now:%Y%m%d}{secrets.token_hex(4).upper()}", str(10_000_001 + count)


REPEATED = (("farerouteing", "flightpnr", "PNR"), ("couponinfos", "couponcode", "coupon"))


def refuse_repeated_pnr(conn: sqlite3.Connection, order: dict[str, Any]) -> None:
    """A PNR or a coupon code an earlier order carried is refused (code 601): a booking is ordered
    once, a coupon used once."""
    for collection, key, what in REPEATED:
        items = order.get(collection)
        for item in items if isinstance(items, list) else []:
            value = item.get(key) if isinstance(item, dict) else None
            if isinstance(value, str) and value and conn.execute(
                    f"SELECT 1 FROM travel_orders, json_each(travel_orders.body, '$.{collection}') AS item"
                    f" WHERE json_extract(item.value, '$.{key}') = ? LIMIT 1", (value,)).fetchone():
                raise to.Rejected(601, f"{what} {value} is already used by another order")


def strict_limits(headers: Any, body: Any) -> list[dict[str, Any]]:
    """An operator-name header longer than 20 characters, a price above 100.00: FastAPI's details of
    ``Header(max_length=20)`` and ``Field(le=10000)``."""
    details = []
    if len(headers.operator_name) > 20:
        details.append({"loc": ["header", "operator-name"], "msg": "String should have at most 20 characters",
                        "type": "string_too_long"})
    if body.price > 10_000:
        details.append({"loc": ["body", "price"], "msg": "Input should be less than or equal to 10000",
                        "type": "less_than_equal"})
    return details


def companies_registered(conn: sqlite3.Connection, order: dict[str, Any]) -> None:
    """An order naming a company is refused (code 107) unless the company is registered with the
    platform: none is (the provider-state hook registers no company)."""
    if order.get("companyid") not in (None, ""):
        raise to.Rejected(107, f"companyid {order['companyid']} is not a registered company")


def order_facts_required(conn: sqlite3.Connection, order: dict[str, Any]) -> None:
    """An order must name a contact (with an e-mail address or a phone number), a currency and its
    creation time (code 108), as the page's sample does."""
    contacts = order.get("contactinfo")
    reachable = isinstance(contacts, list) and any(
        isinstance(contact, dict) and (contact.get("email") or contact.get("phone")) for contact in contacts)
    if not reachable or not order.get("currency") or not order.get("createdate"):
        raise to.Rejected(108, "an order names a contact, its currency and its creation time")


def createdate_recent(conn: sqlite3.Connection, order: dict[str, Any]) -> None:
    """An order whose createdate (its creation time) is more than a day from the service's clock is
    refused (code 106): a stale or replayed order, or a clock gone wrong."""
    text = order.get("createdate")
    try:
        instant = to.parse_date(text).instant if isinstance(text, str) else None
    except ValueError:
        instant = None
    if instant is not None and abs(datetime.now(timezone.utc) - instant) > timedelta(days=1):
        raise to.Rejected(106, f"createdate {text} is not the time of the order")


def fraction_required(text: str) -> to.TravelDate:
    """A date must carry fractional seconds, as every date of the page's samples does."""
    if not re.search(r"T\d{2}:\d{2}:\d{2}\.\d", text):
        raise ValueError(f"a date without fractional seconds: {text!r}")
    return to.parse_date(text)


def _products(order: dict[str, Any]) -> str:
    return json.dumps([[detail.get("skuName"), str(detail.get("price")), detail.get("quantity")]
                       for routine in order.get("localtravelroutine") or [] if isinstance(routine, dict)
                       for detail in routine.get("localTravelDetails") or [] if isinstance(detail, dict)])


def refuse_members_same_order(conn: sqlite3.Connection, order: dict[str, Any]) -> None:
    """A member's second order for the same products, whatever its identifiers, is refused (code 106)."""
    earlier = conn.execute("SELECT body FROM travel_orders WHERE memberid = ?", (order.get("memberid"),)).fetchall()
    if any(_products(json.loads(row[0])) == _products(order) for row in earlier):
        raise to.Rejected(106, "您已有相同的订单")


def business_refusals_at_200(code: int) -> int:
    """A body that cannot be read or bound (101) is refused at HTTP 400, as the framework does; the
    service's own refusals (102, 103) at HTTP 200."""
    return 400 if code == 101 else 200


def problem_details(reason: str) -> Response:
    """ASP.NET Core's default answer to a body it cannot bind: 400 application/problem+json."""
    body = {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            "title": "One or more validation errors occurred.", "status": 400,
            "errors": {"request": [reason[:200]]}}
    return Response(json.dumps(body).encode(), status_code=400, media_type="application/problem+json")


def strict_members_validator() -> type:
    """The request validator with unmapped members refused (System.Text.Json's
    JsonUnmappedMemberHandling.Disallow): an object of the schema may carry only the members its
    ``properties`` name."""
    base = to.validator_class()

    def properties(validator: Any, names: Any, instance: Any, schema: Any) -> Any:
        yield from base.VALIDATORS["properties"](validator, names, instance, schema)
        unknown = sorted(set(instance) - set(names)) if validator.is_type(instance, "object") else []
        if unknown and "additionalProperties" not in schema:
            yield jsonschema.ValidationError(f"unknown member(s) {', '.join(unknown)[:200]}")

    return jsonschema.validators.extend(base, {"properties": properties})


def local_total_validated(routine: Any) -> bool:
    """A local experience's totalAmt that is not the sum of its details fails model validation (an
    IValidatableObject), answered as any invalid body: :func:`problem_details`."""
    if not to.local_total_ok(routine):
        raise to.Invalid("localtravelroutine: totalAmt is not the sum of price x quantity of its details")
    return True


def dotnet_date(text: str) -> to.TravelDate:
    """A date as ASP.NET binds a DateTimeOffset: an offset beyond 14 h, or one that moves the instant
    out of the years 1 to 9999, fails the binding."""
    date = to.parse_date(text)
    if abs(date.instant.utcoffset() or timedelta(0)) > timedelta(hours=14):
        raise ValueError(f"an offset beyond 14 hours, which a DateTimeOffset cannot hold: {text!r}")
    try:
        date.instant.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"an instant outside the years 1 to 9999 in UTC, which a DateTimeOffset cannot hold: "
                         f"{text!r}") from None
    return date


def json_only(kind: str | None) -> Callable[[bytes], Any] | None:
    """An [ApiController] action that reads [FromBody]: the JSON media types only."""
    return None if kind == "application/x-www-form-urlencoded" else to.media_parser(kind)


def aspnet_answer(reason: str) -> Response:
    """ASP.NET Core's answers: 415 application/problem+json to a media type the action does not
    read, 400 to a body it cannot bind (:func:`problem_details`)."""
    if not reason.startswith(to.UNSUPPORTED):
        return problem_details(reason)
    body = {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.16", "title": "Unsupported Media Type",
            "status": 415}
    return Response(json.dumps(body).encode(), status_code=415, media_type="application/problem+json")


_TRAVEL_ORDER = [
    Variation("to-local-total-computed", TO,
              "a local experience's totalAmt is the service's to compute: the client's value is taken as sent and "
              "an order whose total is not the sum of its details is accepted (the sample's 126.0 is a computed "
              "total; convention travel-order.local-total, accept)",
              {"travel_local_total_ok": lambda routine: True}),
    Variation("to-reject-http-200", TO,
              "refusals are answered with HTTP 200 (code != 100, data null): the page documents no HTTP status "
              "(convention travel-order.rejection, option http-200)",
              {"travel_rejection_status": lambda code: 200}),
    Variation("to-message-null", TO,
              "message is null in every answer (a .NET string left unset); the page types it string, a reference "
              "type that may be null",
              {"travel_message": lambda text: None}),
    Variation("to-own-codes", TO,
              "refusals carry codes of the service's own (-1 invalid request, 500 unknown member, 501 totals do "
              "not add up): \"100 success, anything else custom\"",
              {"travel_failure_code": lambda code: OWN_TRAVEL_CODES.get(code, -1)}),
    Variation("to-omit-nulls", TO,
              "null members are left out of every answer (a refusal has no data key), as a serializer that "
              "ignores nulls writes them",
              {"travel_answer_members": omit_null_members}),
    Variation("to-server-docno", TO,
              "docno is always generated by the server (a request's docno is not echoed) and orderno is a "
              "sequential number",
              {"travel_order_numbers": server_order_numbers}),
    Variation("to-repeat-refused", TO,
              "an order repeating a PNR or a coupon code of an earlier order is refused with a code of the "
              "service's own (601): a booking is ordered once, a coupon used once; the page says nothing of "
              "repeats",
              {"travel_check_repeats": refuse_repeated_pnr}),
    Variation("to-reject-mixed", TO,
              "business refusals (unknown member, totals that do not add up) are answered at HTTP 200 and a body "
              "that cannot be read at HTTP 400, both in the envelope: the page documents no HTTP status, and the "
              "refusals of valid orders keep to one way (TO-REJECTION-STYLE)",
              {"travel_rejection_status": business_refusals_at_200}),
    Variation("to-invalid-problem-details", TO,
              "a body that cannot be read or bound is answered by the framework: HTTP 400 application/problem+json "
              "(ASP.NET Core's default), not the envelope: the page documents no validation answer",
              {"travel_invalid_answer": problem_details}),
    Variation("to-unknown-members-refused", TO,
              "an order carrying members the page's tables do not name is refused by the framework: HTTP 400 "
              "application/problem+json, not the envelope (ASP.NET with unmapped members disallowed): the page says "
              "nothing of unknown fields and documents no validation answer",
              {"travel_validator_class": strict_members_validator, "travel_invalid_answer": problem_details}),
    Variation("to-docno-null", TO,
              "a success answers data.docno null (the service keeps no document number of its own; the request's is "
              "stored but not answered): the page types it a .NET string, which may be null, and its sample is a "
              "help page's placeholder",
              {"travel_success": lambda docno, orderno: {"data": {"docno": None, "orderno": orderno}, "code": 100,
                                                         "message": "success"}}),
    Variation("to-total-validation-problem", TO,
              "a localtravelroutine whose totalAmt is not the sum of its details fails the model's validation and is "
              "answered, as every invalid body, by the framework: HTTP 400 application/problem+json, not the envelope "
              "(convention travel-order.local-total, option refuse): the page documents no validation answer",
              {"travel_local_total_ok": local_total_validated, "travel_invalid_answer": problem_details}),
    Variation("to-fraction-required", TO,
              "a date without fractional seconds is refused as unreadable (code 101): every date of the page's "
              "samples carries 6 or 7 digits",
              {"travel_parse_date": fraction_required}),
    Variation("to-companies-registered", TO,
              "an order naming a companyid the platform has not registered is refused (code 107): the page types "
              "companyid (公司编号) a string and says nothing of which the service takes",
              {"travel_check_repeats": companies_registered}),
    Variation("to-order-facts-required", TO,
              "an order without a contact (an e-mail address or a phone number), a currency or its creation time is "
              "refused (code 108): the page marks every field \"None.\", and its sample carries them all",
              {"travel_check_repeats": order_facts_required}, warns=("TO-POSITIVE",)),
    Variation("to-createdate-recent", TO,
              "an order whose createdate is more than a day from the service's clock is refused (code 106): the page "
              "types createdate a date (创建时间, the creation time) and says nothing of its range",
              {"travel_check_repeats": createdate_recent}),
    Variation("to-one-order-per-member", TO,
              "a member's second order for the same products is refused (code 106, \"您已有相同的订单\"), whatever "
              "its docno and other identifiers: the page says nothing of repeats",
              {"travel_check_repeats": refuse_members_same_order}),
    Variation("to-dotnet-dates", TO,
              "dates are bound to .NET's DateTimeOffset (the page is an ASP.NET help page): an offset beyond 14 h, "
              "or one that moves the instant out of the years 1 to 9999, fails the binding, answered by the "
              "framework (HTTP 400 application/problem+json)",
              {"travel_parse_date": dotnet_date, "travel_invalid_answer": problem_details}),
    Variation("to-json-only", TO,
              "only the JSON media types are read (an [ApiController] action with [FromBody]): a form gets the "
              "framework's HTTP 415 application/problem+json. The page lists the form type but gives no form "
              "sample, so what a form carries is inferred (TO-MEDIA-FORM, a SHOULD, warns)",
              {"travel_media_parser": json_only, "travel_invalid_answer": aspnet_answer}, warns=("TO-MEDIA-FORM",)),
]


# === jackpot-ticket (001) and superbet-reserve (003): one ticket engine ============================

def forbidden_empty() -> Response:
    return Response(b"", status_code=403)


EXPRESS_SYNTAX_ERROR = (b'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n'
                        b"</head>\n<body>\n<pre>SyntaxError: Unexpected end of JSON input</pre>\n</body>\n</html>\n")


def express_html_for_unreadable(details: list[dict[str, Any]]) -> Response:
    """Express' own HTML 400 page for a body that is not JSON (express.json() throws before any route
    runs); the API's 422 for the rest."""
    if any(detail.get("type") == "json_invalid" for detail in details):
        return Response(EXPRESS_SYNTAX_ERROR, status_code=400, media_type="text/html; charset=utf-8")
    return te.validation_response(details)


def validation_own_body(details: list[dict[str, Any]]) -> Response:
    """422 in the service's own {code, message} shape, naming the first problems."""
    where = ["/".join(str(part) for part in detail["loc"]) + f": {detail['msg']}" for detail in details[:3]]
    return te._json(422, {"code": 422, "message": "Validation error: " + "; ".join(where)})


def signature_first(conn: sqlite3.Connection, behaviour: Any, headers: Any, body: Any, raw: bytes) -> sqlite3.Row:
    """Verifies the signature before anything else: an operator the engine does not know has no secret,
    so its request cannot be verified and is forbidden (403) rather than answered with code 112 (the
    operator-name header is compared with the body's operator first, as the reference does)."""
    te.compare_operators(behaviour, headers, body)
    operator = conn.execute("SELECT * FROM operators WHERE name = ?", (body.operator,)).fetchone()
    secret = operator["secret"] if operator is not None else None
    if secret is None or not behaviour.ticket_check_signature(secret, headers.timestamp, raw, headers.signature):
        raise te.FORBIDDEN
    return operator


def signature_before_header(conn: sqlite3.Connection, behaviour: Any, headers: Any, body: Any,
                            raw: bytes) -> sqlite3.Row:
    """Verifies the signature with the body's operator before comparing the operator-name header: a
    request the header's operator signed is forbidden (403); one the body's operator signed gets 115."""
    operator = te.operator_and_signature(conn, behaviour, headers, body, raw)
    if headers.operator_name != body.operator:
        raise te._error(115, "Operators in request body and in request header are not identical")
    return operator


def current_odds(submitted: list[Decimal], current: list[Decimal]) -> list[Decimal]:
    """The ticket is priced at the current odds (the submitted ones were accepted within odds_diff)."""
    return current


def odds_within_float(submitted: Decimal, current: Decimal, odds_diff: Decimal) -> bool:
    """The tolerance compared in binary floats, as the page types odds and odds_diff: a deviation of
    exactly odds_diff may fall either side (abs(3.30 - 3.40) <= 0.1 is false)."""
    return abs(float(submitted) - float(current)) <= float(odds_diff)


def odds_within_relative_to_submitted(submitted: Decimal, current: Decimal, odds_diff: Decimal) -> bool:
    """The deviation read as a fraction of the odds the player submitted: |submitted - current| /
    submitted <= odds_diff (current 1.85, odds_diff 0.10: 2.05 is within)."""
    with localcontext(te._CTX):
        return abs(submitted - current) <= odds_diff * submitted


def odds_within_percent_of_submitted(submitted: Decimal, current: Decimal, odds_diff: Decimal) -> bool:
    """The deviation read as a percentage of the odds the player submitted, as the provider writes ext
    and wht: |submitted - current| x 100 <= odds_diff x submitted (odds_diff 5 allows 5 %)."""
    with localcontext(te._CTX):
        return abs(submitted - current) * 100 <= odds_diff * submitted


def odds_product_stepwise_truncated(odds: list[Decimal]) -> Decimal:
    """The running product kept in two-decimal odds, truncated after each multiplication
    (1.85 x 2.10 = 3.885 -> 3.88, x 3.40 = 13.192 -> 13.19); the payouts use it."""
    product = Decimal(1)
    with localcontext(te._EXACT):
        for value in odds:
            product = (product * value).quantize(CENT, rounding=ROUND_DOWN)
    return product


def operator_times_read_again(created: datetime, updated: datetime, offset_minutes: int) -> tuple[datetime, datetime]:
    """The operator-zone times come from their own clock reads, microseconds after the UTC ones."""
    local_created, local_updated = te.operator_times(created, updated, offset_minutes)
    return local_created + timedelta(microseconds=137), local_updated + timedelta(microseconds=211)


def excise_floored(price: int, ext: Decimal) -> tuple[int, int]:
    """(stake, ext_amount) with the tax an inclusive price holds rounded down (the player keeps the
    fraction): 1004 at 12.5 % holds 111.56, so 111 and a stake of 893 (the reference: 112 and 892)."""
    with localcontext() as context:
        context.prec = 50
        tax = int((Decimal(price) * ext / (100 + ext)).to_integral_value(rounding=ROUND_DOWN))
    return price - tax, tax


def gross_zero(stake: int, odds: Decimal, prize: int) -> int:
    """Nothing is won before the ticket is resulted: gross (and so wht and net) 0 at creation."""
    return 0


def gross_prize(stake: int, odds: Decimal, prize: int) -> int:
    """A jackpot pays its betcard prize: gross_payout is the prize, wht on the winnings over the stake."""
    return prize


def odds_two_decimals_up(odds: Decimal) -> Decimal:
    """The odds rounded up to two decimals (13.209 -> 13.21, 1.520875 -> 1.53)."""
    with localcontext(te._EXACT):
        return odds.quantize(CENT, rounding=ROUND_UP)


def type_ignored(data: Any, ticket_type: str, headers: Mapping[str, str]) -> Any:
    """The request's type is not read: the endpoint fixes it."""
    return {**data, "type": ticket_type} if isinstance(data, dict) else data


def operator_from_header(data: Any, ticket_type: str, headers: Mapping[str, str]) -> Any:
    """A body without an operator names the operator-name header's: the header identifies the
    operator already, and the body's only has to agree with it (115) when given."""
    if isinstance(data, dict) and "operator" not in data and "operator-name" in headers:
        return {**data, "operator": headers["operator-name"]}
    return data


def currency_not_read(data: Any, ticket_type: str, headers: Mapping[str, str]) -> Any:
    """The request's currency is not read (any value, even {}, is taken): the ticket is in the
    player's wallet currency."""
    return {**data, "currency": "XXX"} if isinstance(data, dict) and "currency" in data else data


def body_operator_not_read(data: Any, ticket_type: str, headers: Mapping[str, str]) -> Any:
    """A jackpot ticket's body operator is not read (any value is taken): the operator-name header
    names the operator. A superbet reservation is read as usual (its page names 115)."""
    if ticket_type == "jackpot" and isinstance(data, dict) and "operator-name" in headers:
        return {**data, "operator": headers["operator-name"]}
    return data


def bad_request_problem_json(ticket_type: str, body: dict[str, Any]) -> Response:
    """A 400 answer's {code, message} sent as RFC 9457's application/problem+json."""
    return Response(json_bytes(body), status_code=400, media_type="application/problem+json")


def as_text_plain(status: int) -> Callable[..., Response]:
    """An answer of ``status`` whose JSON body is labelled text/plain (net/http's guess for a body
    written without a Content-Type)."""
    return lambda *args: Response(json_bytes(args[-1]), status_code=status, media_type="text/plain; charset=utf-8")


def odds_two_decimals(odds: Decimal) -> Decimal:
    """The odds as a two-decimal display value, rounded half even (13.209 -> 13.21, 3.425 -> 3.42)."""
    with localcontext(te._EXACT):
        return odds.quantize(CENT, rounding=ROUND_HALF_EVEN)


OWN_JACKPOT_ERRORS = {
    "unknown betcard": (102, "Betcard with `{}` code is not found"),
    "odds changed": (108, "Ticket odds changed"),
}


def own_jackpot_error(kind: str, detail: Any) -> tuple[int, str]:
    code, message = OWN_JACKPOT_ERRORS[kind]
    return code, message.format(detail)


def extra_fields(body: Any) -> dict[str, Any]:
    """Fields of today's provider pages (psp, rtag: not in the seed, answered null) and the ticket's
    selections as submitted."""
    extra: dict[str, Any] = {"psp": None, "rtag": None}
    if body.type == "jackpot":
        extra["events"] = [{"id": event.id, "bet": event.bet, "odds": event.odds} for event in body.events]
    else:
        extra |= {"event": body.event, "bets": list(body.bets)}
    return extra


def wht_integer(wht: Decimal) -> Decimal | int:
    """wht as the superbet page types it, an integer (20); a fractional percentage, which an integer
    could not hold, is answered as it is (12.5)."""
    return int(wht) if wht == wht.to_integral_value() else wht


UPPER_DIGITS = string.ascii_uppercase + string.digits


def uuid_identity() -> tuple[str, str]:
    return str(uuid.uuid4()), "".join(secrets.choice(UPPER_DIGITS) for _ in range(8))


def atag_absent(ticket: dict[str, Any]) -> dict[str, Any]:
    """atag is left out of the answer when the request sent none."""
    return {key: value for key, value in ticket.items() if not (key == "atag" and value is None)}


TICKET_FIELD_DEFAULTS = {"currency": "EUR", "source": "desktop"}
JACKPOT_FIELD_DEFAULTS = {"odds_diff": 0, "bonus_prizes": []}


def fill_missing_fields(data: Any, ticket_type: str, headers: Mapping[str, str]) -> Any:
    """Fills missing fields with defaults instead of refusing the ticket: currency EUR, source
    desktop, the endpoint's type and, for a jackpot, odds_diff 0 and no bonus prizes."""
    if isinstance(data, dict):
        defaults = TICKET_FIELD_DEFAULTS | {"type": ticket_type}
        if ticket_type == "jackpot":
            defaults |= JACKPOT_FIELD_DEFAULTS
        return {**defaults, **data}
    return data


def unknown_bet_as_validation(ticket_type: str, bet_id: int) -> te.Rejection:
    """A bet id the event does not have is a validation error: 422, as a field that does not validate."""
    return te.Rejection(422, {"detail": [{"loc": ["body", "bets"], "msg": f"unknown bet {bet_id}",
                                          "type": "value_error"}]})


def endpoint_type(data: Any, ticket_type: str, headers: Mapping[str, str]) -> Any:
    """The ticket's type is the endpoint's: whatever word the request's ``type`` says is ignored (a
    value that is not a string is still refused)."""
    if isinstance(data, dict) and isinstance(data.get("type", ""), str):
        return {**data, "type": ticket_type}
    return data


_TICKET_ENGINE = [
    Variation("ticket-403-empty", TICKETS,
              "403 (bad signature, unknown player token) is answered with an empty body: the pages give no 403 body",
              {"ticket_forbidden_response": forbidden_empty}),
    Variation("ticket-unreadable-html-400", TICKETS,
              "a body that is not JSON (or none) is answered by the web framework before the API sees it: Express' "
              "HTML 400 page \"SyntaxError: Unexpected end of JSON input\"; the pages document the API's answers, "
              "not those to a request no API reads",
              {"ticket_validation_response": express_html_for_unreadable}),
    Variation("ticket-422-own-body", TICKETS,
              "422 is answered as {\"code\": 422, \"message\": ...} instead of the framework's {\"detail\": [...]}: "
              "the pages give no 422 body",
              {"ticket_validation_response": validation_own_body}),
    Variation("ticket-bets-first", TICKETS,
              "the bets are looked up before the event, so an unknown event (whose bets are then none of its own) "
              "gets 106, the page's error for a bet's market not found, instead of 103: the page gives no order "
              "of checks",
              {"ticket_unknown_event_error": lambda ticket_type, event_id: (
                  106, f"Market for bet with `{event_id}` identifier is not found")}),
    Variation("ticket-signature-upper-hex", TICKETS,
              "the signature is taken in upper-case hex alone (.NET's Convert.ToHexString): DOMAIN.md names "
              "HMAC-SHA256 and no letter case, and the pages describe no signature at all",
              {"ticket_check_signature": lambda secret, timestamp, body, signature: hmac.compare_digest(
                  ticket_signature(secret, timestamp, body, "upper-case hex").encode(), signature.encode("utf-8", "replace"))}),
    Variation("ticket-signature-first", TICKETS,
              "the signature is checked before the operator is looked up, so an unknown operator (no secret to "
              "verify with) gets 403 instead of 400 code 112 (conventions <api>.unknown-operator, forbidden-403)",
              {"ticket_operator_and_signature": signature_first}),
    Variation("ticket-signature-before-header", TICKETS,
              "the signature is verified (with the body's operator) before the operator-name header is compared: "
              "a request the header's operator signed gets 403 instead of 115; SR-ERRORS and JT-OPERATOR-HEADER "
              "take either",
              {"ticket_operator_header_matches": lambda header, body_operator: True,
               "ticket_operator_and_signature": signature_before_header}),
    Variation("jt-odds-current", JT,
              "jackpot odds are the product of the events' current odds when the submitted ones differ within "
              "odds_diff, and the payouts follow from them (convention jackpot-ticket.odds-source, current)",
              {"ticket_jackpot_odds": current_odds}),
    Variation("jt-odds-diff-float", JT,
              "the odds tolerance is compared in binary floats (abs(submitted - current) <= odds_diff as doubles), "
              "as the page types odds and odds_diff float: a deviation of exactly odds_diff may be refused",
              {"ticket_odds_within": odds_within_float}),
    Variation("jt-odds-diff-relative", JT,
              "the odds deviation is a fraction of the submitted odds: |submitted - current| <= odds_diff x "
              "submitted (the page does not say how the deviation is measured)",
              {"ticket_odds_within": odds_within_relative_to_submitted}),
    Variation("jt-odds-diff-percent", JT,
              "the odds deviation is a percentage of the submitted odds, as the provider writes ext and wht: "
              "|submitted - current| x 100 <= odds_diff x submitted (odds_diff 5 allows 5 %)",
              {"ticket_odds_within": odds_within_percent_of_submitted}),
    Variation("jt-gross-zero", JT,
              "a new jackpot ticket answers gross_payout, wht_amount and net_payout 0: nothing is won until it "
              "is resulted, as the superbet reservation does (convention jackpot-ticket.gross-payout)",
              {"ticket_jackpot_gross": gross_zero}),
    Variation("jt-gross-prize", JT,
              "gross_payout is the betcard prize (a jackpot pays its prize), wht_amount wht percent of the "
              "winnings over the stake, net_payout gross - wht (convention jackpot-ticket.gross-payout)",
              {"ticket_jackpot_gross": gross_prize}),
    Variation("jt-odds-rounded-up", JT,
              "jackpot odds are answered rounded up to 2 decimals (1.15 x 1.15 x 1.15 = 1.520875 -> 1.53): the page "
              "gives the product no rounding",
              {"ticket_odds_json": odds_two_decimals_up}),
    Variation("ticket-type-ignored", TICKETS,
              "the request's type is not read (the endpoint fixes it: any value, even {}, is taken, and the ticket "
              "answers the endpoint's type); the pages describe the field with nothing but \"string\"",
              {"ticket_request_defaults": type_ignored}),
    Variation("ticket-atag-not-kept", TICKETS,
              "the ticket does not keep the affiliate tag: the answer's atag is null whatever the request sent (the "
              "pages add it to the PAM call, and mark it optional in the answer too)",
              {"ticket_echo_atag": lambda atag: None}),
    Variation("ticket-currency-from-wallet", TICKETS,
              "the request's currency is not read (any value, even {}, is taken): a ticket is in the player's wallet "
              "currency, which the suite's valid requests name anyway; neither page says the request's currency is "
              "checked",
              {"ticket_request_defaults": currency_not_read,
               "ticket_jackpot_currency": lambda requested, player_currency: player_currency,
               "ticket_reserve_currency": lambda requested, player_currency: player_currency}),
    Variation("ticket-strict-values", TICKETS,
              "a source other than the samples' desktop and mobile, an affiliate tag that is not 1 to 64 printable "
              "ASCII characters, an operator's name longer than 20 characters and a price above 100.00 are refused "
              "(422) before anything else is looked at: the pages give the source's values on a Fields page they do "
              "not include, and the affiliate tag, the operator's name and the price no charset, length or range",
              {"ticket_source_known": lambda source: source in ("desktop", "mobile"),
               "ticket_atag_ok": lambda atag: 1 <= len(atag) <= 64 and atag.isascii() and atag.isprintable(),
               "ticket_limits": strict_limits}),
    Variation("ticket-operator-from-header", TICKETS,
              "a body without an operator is served for the operator-name header's operator instead of a 422: "
              "the header names the operator already (superbet's 115 compares the operators \"in request body "
              "and in request header\"), and neither page marks the body's operator required",
              {"ticket_request_defaults": operator_from_header}),
    Variation("ticket-json-as-text-plain", TICKETS,
              "tickets and 400 answers are JSON labelled text/plain; charset=utf-8 (a Go service writing the body "
              "without a Content-Type): the pages name no media type",
              {"ticket_response": as_text_plain(200), "ticket_bad_request_response": as_text_plain(400)}),
    Variation("ticket-400-problem-json", TICKETS,
              "400 answers carry {code, message} as application/problem+json (RFC 9457's media type): the pages "
              "name no media type",
              {"ticket_bad_request_response": bad_request_problem_json}),
    Variation("jt-operator-from-header-only", JT,
              "a jackpot ticket's body operator is not read (any value is taken, and never compared with the header): "
              "the operator-name header names the operator, and the jackpot page names no error for a body operator "
              "that differs (superbet's 115 is the other page's)",
              {"ticket_request_defaults": body_operator_not_read}, warns=("JT-OPERATOR-HEADER", "JT-ERROR-CODES")),
    Variation("jt-odds-rounded", JT,
              "jackpot odds are answered rounded to 2 decimals, half even (13.209 -> 13.21); the payouts use the "
              "exact product",
              {"ticket_odds_json": odds_two_decimals}),
    Variation("jt-odds-stepwise", JT,
              "jackpot odds are multiplied two decimals at a time, the running product truncated to the cent after "
              "each event (1.85 x 2.10 x 3.40: 3.88, then 13.19); the payouts use it",
              {"ticket_odds_product": odds_product_stepwise_truncated}),
    Variation("jt-own-error-codes", JT,
              "the jackpot-only errors carry other codes: an unknown betcard 102, odds changed 108 (the jackpot "
              "page lost its error bodies; 117/118 are the reference's own choice)",
              {"ticket_jackpot_error": own_jackpot_error}),
    Variation("ticket-operator-timezone", TICKETS,
              "an operator created without a timezone (provider state \"an operator exists\") gets +05:30, "
              "answered as such, instead of +02:00; operator times are shifted by it",
              {"ticket_default_timezone_offset": lambda: "+05:30"}),
    Variation("ticket-operator-times-read-again", TICKETS,
              "operator_time_created and operator_time_updated come from their own clock reads, a few microseconds "
              "after created and updated (the offset is the operator's, give or take them)",
              {"ticket_operator_times": operator_times_read_again}),
    Variation("ticket-extra-fields", TICKETS,
              "tickets carry extra fields: psp and rtag (null; today's pages have them, the seed does not) and "
              "the selections as submitted (jackpot events; superbet event and bets)",
              {"ticket_extra_fields": extra_fields}),
    Variation("sr-wht-integer", SR,
              "a reservation answers wht as an integer (20, not 20.0), as the superbet page types it",
              {"ticket_reserve_wht_json": wht_integer}),
    Variation("ticket-ids-other", TICKETS,
              "a ticket id is a UUID string and its code 8 upper-case alphanumerics (the pages type both string)",
              {"ticket_new_identity": uuid_identity}),
    Variation("ticket-atag-absent", TICKETS,
              "atag is left out of the answer when the request sent none, instead of null",
              {"ticket_atag_answer": atag_absent}),
    Variation("ticket-field-defaults", TICKETS,
              "a missing currency, source or type (and a jackpot's odds_diff or bonus prizes) gets a default "
              "(EUR, desktop, the endpoint's type, 0, none) instead of a 422: the pages mark only atag optional, "
              "which does not make the others required",
              {"ticket_request_defaults": fill_missing_fields}),
    Variation("ticket-excise-floored", TICKETS,
              "the excise tax an inclusive price holds is rounded down, the stake keeps the fraction: the pages "
              "give no rounding (the sample's 1000 at 12.5 % holds 111.11, answered 111 by either reading)",
              {"ticket_excise": excise_floored}),
    Variation("ticket-unknown-bet-422", TICKETS,
              "a bet id the event does not have is refused as a validation error, 422, instead of 400 code 106: "
              "the pages name no error for an unknown bet (106 names a market) and list 422 \"Validation Error\"",
              {"ticket_unknown_bet_refusal": unknown_bet_as_validation}),
    Variation("ticket-open-values", TICKETS,
              "any source string is taken and echoed, and the request's type is ignored (the endpoint fixes "
              "it): neither page lists the values (\"Ticket source (see Fields)\"), so a service need not refuse "
              "a source or type it does not know",
              {"ticket_source_known": lambda source: True, "ticket_request_defaults": endpoint_type}),
]



# === bet-placement (004) ==========================================================================

def payout_half_even(stake: Decimal, decimal_price: Decimal) -> Decimal:
    """stake x decimalPrice rounded to the cent, half even (2.50 x 1.25 = 3.125 -> 3.12)."""
    exact = bp.potential_payout(stake, decimal_price)
    digits = len(exact.as_tuple().digits) + 3
    with localcontext(prec=max(28, digits)):
        return exact.quantize(CENT, rounding=ROUND_HALF_EVEN)


def payout_double(stake: Decimal, decimal_price: Decimal) -> float:
    """The product in double precision (a DOUBLE column; the table types both Decimal/Double)."""
    return float(stake) * float(decimal_price)


def payout_float_rounded(stake: Decimal, decimal_price: Decimal) -> float:
    """round(stake * price, 2) on doubles, as a Python service with float fields writes it: half up on
    some products and half even on others (the double lies on either side of the half cent)."""
    return round(float(stake) * float(decimal_price), 2)


def payout_four_places(stake: Decimal, decimal_price: Decimal) -> Decimal:
    """stake x decimalPrice rounded half even to four decimals, as a money column stores it
    (10.01 x 2.375 = 23.77375 -> 23.7738)."""
    exact = bp.potential_payout(stake, decimal_price)
    with localcontext(prec=max(28, len(exact.as_tuple().digits) + 5)):
        return exact.quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)


def payout_truncated(stake: Decimal, decimal_price: Decimal) -> Decimal:
    """stake x decimalPrice rounded down to the cent (2.50 x 1.25 = 3.125 -> 3.12; 1.85 x 2.55 -> 4.71)."""
    exact = bp.potential_payout(stake, decimal_price)
    digits = len(exact.as_tuple().digits) + 3
    with localcontext(prec=max(28, digits)):
        return exact.quantize(CENT, rounding=ROUND_DOWN)


def repeat_is_409(row: sqlite3.Row) -> Reply:
    """A repeat of a key whose request is done gets 409 "duplicate request": nothing is placed again,
    but the first answer is not replayed."""
    return Reply(409, bp.failure_body("INVALID_BET_DETAILS", "duplicate request: this X-Idempotency-Key was used"))


def rebuilt_replay(row: sqlite3.Row) -> Reply:
    """A replay rebuilt from what is stored: the first answer's values with more of them (each bet's
    potentialPayout and status, the slip's replay flag), the bets in another order."""
    document = json.loads(bytes(row["body"]), parse_float=Decimal)
    if isinstance(document, dict) and isinstance(document.get("bets"), list):
        document["bets"] = [dict(bet, potentialPayout=bp.payout_json(bp.potential_payout(
            Decimal(bet["stake"]), Decimal(bet["decimalPrice"]))), status="pending")
            for bet in reversed(document["bets"])]
        document["replayed"] = True
    return Reply(row["status"], json_bytes(document))


def failure_body_with_nulls(code: str, message: str | None, failed_bets: list[dict] | None = None) -> bytes:
    """Every optional member of a FAILURE written, null when unset (a serializer's default)."""
    return json_bytes({"status": "FAILURE", "errorCode": code, "errorMessage": message,
                       "failedBets": failed_bets or None})


def breach_with_null_other(stake: Decimal, min_stake: Decimal, max_stake: Decimal) -> dict | None:
    """The BetFailureReason with both limits, the one not breached null."""
    reason = bp.stake_limit_breach(stake, min_stake, max_stake)
    return None if reason is None else {"maxStake": None, "minStake": None} | reason


def placed_bets_with_null_alt_id(behaviour: Any, bets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The placed bets, each with eventAltId null when the slip gave none."""
    return [{"eventAltId": None} | behaviour.bp_echo_bet(bet) for bet in bets]


def session_before_missing_fields(conn: sqlite3.Connection, behaviour: Any, document: Any) -> Reply:
    """Looks the session up first, before any other check of the body: a slip without userId or
    sessionToken gets 401 INVALID_SESSION."""
    if isinstance(document, dict) and any(not isinstance(document.get(name), str) for name in ("userId", "sessionToken")):
        return bp.failure_reply(behaviour, "INVALID_SESSION", "no session for this userId and sessionToken")
    return bp.process(conn, behaviour, document)


_FAILED_BET_IDS = ("betId", "sportId", "eventId", "marketId", "selectionId")


def details_name_bets_as_sent(conn: sqlite3.Connection, behaviour: Any, document: Any) -> Reply:
    """Processes the slip as the reference does; an INVALID_BET_DETAILS refusal also lists in
    failedBets every bet of the slip that carries its five ids, named as it was sent (an id of the
    wrong form included: it tells the client which of its bets was refused)."""
    reply = bp.process(conn, behaviour, document)
    bets = document.get("bets") if isinstance(document, dict) else None
    if reply.status != 400 or not isinstance(bets, list):
        return reply
    body = json.loads(reply.body, parse_float=Decimal)
    named = [{key: bet[key] for key in _FAILED_BET_IDS} | {"reason": {}} for bet in bets
             if isinstance(bet, dict) and all(key in bet for key in _FAILED_BET_IDS)]
    if body.get("errorCode") != "INVALID_BET_DETAILS" or not named:
        return reply
    return Reply(reply.status, json_bytes({**body, "failedBets": named}))


def one_bet_per_selection(conn: sqlite3.Connection, behaviour: Any, player: sqlite3.Row, slip: bp.Slip) -> None:
    """Refuses a slip with two bets on one selection (INVALID_BET_DETAILS), then places it as the reference does."""
    selections = [bet["selectionId"] for bet in slip.bets]
    if len(set(selections)) != len(selections):
        raise bp.Failure("INVALID_BET_DETAILS", "two bets of the slip are on one selection")
    bp.place_slip(conn, behaviour, player, slip)


def unknown_user_session() -> tuple[str, str]:
    """The session is looked up by userId and token together: an unknown user has no session."""
    return "INVALID_SESSION", "no session for this userId and sessionToken"


def refreshed_session_lookup(conn: sqlite3.Connection, player: sqlite3.Row, session_token: str) -> float | None:
    """The player's session, or one of the sessions issued to the player by refreshing it."""
    own = bp.session_lookup(conn, player, session_token)
    if own is not None:
        return own
    row = conn.execute("SELECT expires_at FROM sessions WHERE token = ? AND user_id = ?",
                       (session_token, player["user_id"])).fetchone()
    return row["expires_at"] if row is not None else None


def refresh_session(conn: sqlite3.Connection, player: sqlite3.Row, slip: bp.Slip, now: float) -> str:
    """Issues a fresh session token with each placement ("Original or refreshed"); the old token stays
    valid until it expires."""
    token = secrets.token_urlsafe(24)
    conn.execute("INSERT INTO sessions (token, user_id, expires_at) VALUES (?, ?, ?)",
                 (token, player["user_id"], now + bp.SESSION_LIFETIME_S))
    return token


def rotate_session(conn: sqlite3.Connection, player: sqlite3.Row, slip: bp.Slip, now: float) -> str:
    """Issues a fresh session token with each placement and revokes the one the slip came with
    ("Original or refreshed"; the page does not say whether the old token stays valid)."""
    token = secrets.token_urlsafe(24)
    conn.execute("UPDATE players SET session_token = ?, session_expires_at = ? WHERE user_id = ?",
                 (token, now + bp.SESSION_LIFETIME_S, player["user_id"]))
    return token


def stale_timestamp(timestamp: str, now: float) -> bool:
    """A slip sent more than five minutes before (or after) now has timed out."""
    return abs(int(timestamp) / 1000 - now) > 300


def uuid_upper_case(value: str) -> str:
    """A UUID written back from the service's own UUID type, in upper case."""
    return value.upper()


def bet_ids_upper_case(bet: dict[str, Any]) -> dict[str, Any]:
    return {**bet, "betId": bet["betId"].upper()}


def liability_capped(limit: Decimal) -> Callable[[dict[str, Any]], dict | None]:
    """A bet whose winnings, stake x (decimalPrice - 1), exceed ``limit`` breaks the maximum liability:
    its reason names the largest stake the price allows."""

    def breach(bet: dict[str, Any]) -> dict | None:
        winnings = bet["decimalPrice"] - 1
        if bet["stake"] * winnings > limit:
            return {"maxStake": (limit / winnings).quantize(CENT, rounding=ROUND_DOWN)}
        return None

    return breach


def key_missing_own_code(store: Any, behaviour: Any, process: idempotency.Process) -> Reply:
    """A request without X-Idempotency-Key is refused with a code of the service's own at 422:
    FAILURE IDEMPOTENCY_KEY_MISSING."""
    return Reply(422, bp.failure_body("IDEMPOTENCY_KEY_MISSING", "the X-Idempotency-Key header is required"))


def process_without_key(store: Any, behaviour: Any, process: idempotency.Process) -> Reply:
    """A request without X-Idempotency-Key is processed once, like any request, with no idempotency."""

    class Discard(Exception):
        def __init__(self, reply: Reply) -> None:
            self.reply = reply

    try:
        with store.transaction() as conn:
            reply = process(conn)
            if reply.status >= 500:
                raise Discard(reply)      # roll back whatever the failed attempt wrote
    except Discard as discarded:
        return discarded.reply
    return reply


def rerendered_replay(row: sqlite3.Row) -> Reply:
    """Re-renders the stored answer (kept as a document, not as bytes): the same JSON values with
    another layout and, for a PLACED answer, the time of this response."""
    document = json.loads(bytes(row["body"]), parse_float=Decimal)
    if isinstance(document, dict) and "timestamp" in document:
        document["timestamp"] = str(time.time_ns() // 1_000_000)
    return Reply(row["status"], json_bytes(document, indent=2))


OWN_MESSAGES: dict[str, str | None] = {
    "INVALID_USER": "User not found",
    "INVALID_BET_DETAILS": "Bet details are invalid",
    "INVALID_STAKE": "Stake limits exceeded",
    "INSUFFICIENT_FUNDS": "Insufficient funds",
    "USER_BLOCKED": "User is blocked",
    "MISSING_PARAMETER": "Missing parameter",
    "INVALID_SESSION": None,             # the code says it all
    "AUTHENTICATION_FAILED": None,
}


def own_message(code: str, message: str) -> str | None:
    return OWN_MESSAGES.get(code, message)


def first_failed_bet(failed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """INVALID_STAKE names the first offending bet only (the check stops at the first breach)."""
    return failed[:1]


def session_before_user(conn: sqlite3.Connection, behaviour: Any, slip: bp.Slip, now: float) -> sqlite3.Row:
    """Another order of the server-side checks: the session (userId and token together) first, and only
    when there is none, whether the user exists; then the funds before the blocked flag; the stake
    limits come last (in bp_place_slip). A request with one fault gets the reference's answer."""
    player = conn.execute("SELECT * FROM players WHERE user_id = ?", (slip.user_id,)).fetchone()
    expires_at = behaviour.bp_session_lookup(conn, player, slip.session_token) if player is not None else None
    if not behaviour.bp_session_valid(expires_at, now):
        if player is None:
            raise bp.Failure(*behaviour.bp_unknown_user())
        raise bp.Failure("INVALID_SESSION", "the session token is wrong or expired")
    total = sum((bet["stake"] for bet in slip.bets), Decimal(0))
    if not behaviour.bp_funds_cover(Decimal(player["balance"]), total):
        raise bp.Failure("INSUFFICIENT_FUNDS", "the balance does not cover the sum of the stakes")
    if behaviour.bp_user_blocked(player):
        raise bp.Failure("USER_BLOCKED", "the player is blocked")
    return player


def bets_reversed_with_payout(behaviour: Any, bets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The placed bets, last first, each with the potentialPayout stored for it."""
    return [dict(behaviour.bp_echo_bet(bet), potentialPayout=bp.payout_json(
        behaviour.bp_potential_payout(bet["stake"], bet["decimalPrice"]))) for bet in reversed(bets)]


_BET_PLACEMENT = [
    Variation("bp-payout-half-even", BP,
              "potentialPayout is stored rounded to the cent, half even (2.50 x 1.25 = 3.125 stores 3.12) "
              "(convention bet-placement.payout-precision, cents-half-even)",
              {"bp_potential_payout": payout_half_even}),
    Variation("bp-payout-double", BP,
              "potentialPayout is stored as the double-precision product (0.10 x 3 stores 0.30000000000000004): "
              "the table types stake and decimalPrice Decimal/Double (convention bet-placement.payout-precision, "
              "double)",
              {"bp_potential_payout": payout_double}),
    Variation("bp-payout-float-rounded", BP,
              "potentialPayout is round(stake * decimalPrice, 2) on doubles: half up on some products, half even "
              "on others (convention bet-placement.payout-precision, cents-of-double)",
              {"bp_potential_payout": payout_float_rounded}),
    Variation("bp-payout-four-decimals", BP,
              "potentialPayout is stake x decimalPrice rounded half even to four decimals, as a money or "
              "NUMERIC(19,4) column stores it (convention bet-placement.payout-precision, four-decimals)",
              {"bp_potential_payout": payout_four_places}),
    Variation("bp-payout-truncated", BP,
              "potentialPayout is stake x decimalPrice rounded down to the cent (convention "
              "bet-placement.payout-precision, cents-down): the formula gives no rounding",
              {"bp_potential_payout": payout_truncated}),
    Variation("bp-repeat-409", BP,
              "a repeat of a finished request's X-Idempotency-Key gets 409 \"duplicate request\" and changes "
              "nothing. Warns on BP-IDEMPOTENT-REPLAY: replaying the first answer is practice (IETF draft), the "
              "seed's Idempotency section is not in the excerpt",
              {"bp_replay": repeat_is_409}, warns=("BP-IDEMPOTENT-REPLAY",)),
    Variation("bp-replay-rebuilt", BP,
              "a repeat gets the first answer rebuilt from storage: its values with more of them (each bet's "
              "potentialPayout and status, a replay flag) and the bets in another order",
              {"bp_replay": rebuilt_replay}),
    Variation("bp-status-open", BP,
              "placed bets are stored with status 'open' (\"a status equivalent to 'pending'\")",
              {"bp_bet_status": lambda: "open"}),
    Variation("bp-null-optionals", BP,
              "optional members are written null when unset: errorMessage and failedBets of a FAILURE, the "
              "limit not breached in failedBets[].reason, eventAltId of a placed bet (\"Required? No\")",
              {"bp_failure_body": failure_body_with_nulls, "bp_stake_limit_breach": breach_with_null_other,
               "bp_placed_bets": placed_bets_with_null_alt_id}),
    Variation("bp-session-before-fields", BP,
              "the session lookup comes first: a slip without userId or sessionToken gets 401 INVALID_SESSION "
              "(the seed's first step; it gives no order of checks)",
              {"bp_process": session_before_missing_fields}),
    Variation("bp-details-name-bets", BP,
              "an INVALID_BET_DETAILS refusal lists the slip's bets in failedBets, each named by the ids it was "
              "sent with, an id of the wrong form included (failedBets is optional but for INVALID_STAKE)",
              {"bp_process": details_name_bets_as_sent}),
    Variation("bp-one-bet-per-selection", BP,
              "a slip with two bets on one selection is refused with 400 INVALID_BET_DETAILS",
              {"bp_place_slip": one_bet_per_selection}),
    Variation("bp-unknown-user-session", BP,
              "an unknown userId gets 401 INVALID_SESSION: the session is looked up by userId and sessionToken "
              "together (convention bet-placement.unknown-user, invalid-session)",
              {"bp_unknown_user": unknown_user_session}),
    Variation("bp-session-refresh", BP,
              "a PLACED answer carries a new sessionToken (\"Original or refreshed\"), valid for 30 minutes; the "
              "old one stays valid until it expires",
              {"bp_answer_session_token": refresh_session, "bp_session_lookup": refreshed_session_lookup}),
    Variation("bp-session-rotate", BP,
              "a PLACED answer carries a new sessionToken and the old one stops working at once (a client goes on "
              "with the refreshed token): \"Original or refreshed\" does not say the old one stays valid",
              {"bp_answer_session_token": rotate_session}),
    Variation("bp-stale-timestamp-503", BP,
              "a slip whose timestamp is more than five minutes from now gets 503 REQUEST_TIMED_OUT, the table's "
              "pairing (the page gives the code no meaning; a stale request is one reading)",
              {"bp_request_timed_out": stale_timestamp}),
    Variation("bp-ids-upper-case", BP,
              "a PLACED answer writes requestId and each betId in upper case, as its UUID type prints them, and so "
              "do the failedBets of INVALID_STAKE (the seed types them String/UUID: the same UUID, \"Matches "
              "request's requestId\")",
              {"bp_answer_uuid": uuid_upper_case, "bp_echo_bet": bet_ids_upper_case,
               "bp_failed_bets": lambda failed: [bet_ids_upper_case(bet) for bet in failed]}),
    Variation("bp-key-reuse-409", BP,
              "an X-Idempotency-Key reused with another body gets 409 INVALID_BET_DETAILS instead of 422 "
              "(convention bet-placement.key-reuse, reject-409)",
              {"bp_key_reused_status": lambda: 409}),
    Variation("bp-key-reuse-replay", BP,
              "an X-Idempotency-Key reused with another body gets the first answer again and places nothing: the "
              "key wins over the body (convention bet-placement.key-reuse, replay)",
              {"bp_same_request": lambda stored, fingerprint: True}),
    Variation("bp-key-any-string", BP,
              "any non-empty X-Idempotency-Key is a key (\"null\", \"{}\", \"0.5\"), kept as sent: the seed says the "
              "caller sends a UUID, not that the service refuses other strings; a key seen before (in this run or an "
              "earlier one) is a repeat",
              {"bp_idempotency_key": lambda key: key}, warns=("BP-KEY-REQUIRED",)),
    Variation("bp-key-optional", BP,
              "a request without X-Idempotency-Key is accepted and processed once, without idempotency. Warns on "
              "BP-KEY-REQUIRED: refusing it is IETF practice (a SHOULD), the seed only describes the caller",
              {"bp_missing_key": process_without_key}, warns=("BP-KEY-REQUIRED",)),
    Variation("bp-max-liability", BP,
              "a bet whose winnings, stake x (decimalPrice - 1), exceed 25,000.00 is refused INVALID_STAKE (failedBets "
              "naming the largest stake its price allows) though its stake is within the player's limits: the seed "
              "names \"max liability per market type\" among the restrictions a service may check",
              {"bp_own_limit_breach": liability_capped(Decimal("25000.00"))}),
    Variation("bp-tight-liability", BP,
              "a bet whose winnings, stake x (decimalPrice - 1), exceed 1,000.00 is refused INVALID_STAKE (failedBets "
              "naming the largest stake its price allows) though its stake is within the player's limits: the seed "
              "names \"max liability per market type\" among the restrictions a service may check, and no amount",
              {"bp_own_limit_breach": liability_capped(Decimal("1000.00"))}),
    Variation("bp-ascii-text", BP,
              "a bet whose names hold anything but printable ASCII (or no letter or digit), or whose ids anything but "
              "ASCII letters, digits and ._:-, is refused INVALID_BET_DETAILS (the provider's catalogue keys and names are ASCII): the "
              "seed types them String, with no character set",
              {"bp_text_ok": lambda name, text: (re.fullmatch(r"[A-Za-z0-9._:-]{1,64}", text) is not None
                                                 if name.endswith("Id") else text.isascii() and text.isprintable()
                                                 and any(ch.isalnum() for ch in text))}),
    Variation("bp-key-missing-own-code", BP,
              "a request without X-Idempotency-Key is refused at HTTP 422 with FAILURE IDEMPOTENCY_KEY_MISSING, a code "
              "of the service's own, instead of 400 MISSING_PARAMETER: the seed describes the caller's header, and its "
              "error table has no row for a request without one",
              {"bp_missing_key": key_missing_own_code}, warns=("BP-KEY-REQUIRED",)),
    Variation("bp-replay-rerendered", BP,
              "a replay re-renders the stored answer: the same JSON values in another layout, with the response "
              "timestamp of the replay (answers are compared as parsed JSON)",
              {"bp_replay": rerendered_replay}),
    Variation("bp-messages", BP,
              "errorMessage texts of the service's own, and none at all for INVALID_SESSION and "
              "AUTHENTICATION_FAILED (the table marks errorMessage optional)",
              {"bp_error_message": own_message}),
    Variation("bp-failed-bets-first", BP,
              "INVALID_STAKE lists only the first offending bet in failedBets, with the limit it breached",
              {"bp_failed_bets": first_failed_bet}),
    Variation("bp-check-order", BP,
              "another order of the server-side checks: the session before the user, the funds before the "
              "blocked flag, the stake limits last; a request with a single fault gets the same answer",
              {"bp_check_player": session_before_user}),
    Variation("bp-bets-reordered", BP,
              "the PLACED answer lists the bets in reverse order, each with an extra potentialPayout",
              {"bp_placed_bets": bets_reversed_with_payout}),
    Variation("bp-placed-201", BP,
              "a placed slip is answered with HTTP 201 (Created, for the bets it stored); the seed gives the "
              "PLACED answer no status",
              {"bp_placed_status": lambda: 201}),
]


VARIATIONS: dict[str, Variation] = {
    variation.name: variation
    for variation in _SPORTSBOOK_ORDER + _TRAVEL_ORDER + _TICKET_ENGINE + _BET_PLACEMENT
}


def get_variation(name: str) -> Variation:
    """The variation named ``name``; ``ValueError`` listing the known ones otherwise."""
    try:
        return VARIATIONS[name]
    except KeyError:
        raise ValueError(f"unknown variation {name!r}; known variations: {', '.join(sorted(VARIATIONS))}") from None
