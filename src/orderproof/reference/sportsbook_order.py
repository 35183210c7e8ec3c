"""sportsbook-order (seed 000): a seamless-wallet debit, ``POST /order``.

The sportsbook calls the operator when a player places a ticket; the operator debits ``orderAmount``
(major units) from the player found by ``customerToken`` and answers the envelope
``{"code": 200, "msg": "success", "data": {amount, balance, userId, ticketId, orderTime}}``.

``ticketId`` is a bigint beyond 2^53: it is accepted as a JSON integer or a digit string and echoed
as a JSON integer with the exact value (the body is parsed and written without floats). A repeated
``ticketId`` with the same body replays the first response and debits nothing; with another body it
is rejected with code 409. Rejections are HTTP 400 with ``data`` null and store nothing.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response

from orderproof.reference.errors import BadRequest, fingerprint, parse_json
from orderproof.reference.idempotency import Reply
from orderproof.reference.money import decimal_places, json_bytes, text
from orderproof.reference.offload import blocking

log = logging.getLogger("orderproof.reference")

PATH = "/order"

# Envelope codes of a rejection (HTTP 400).
INVALID_REQUEST, UNKNOWN_TOKEN, INSUFFICIENT_BALANCE, PLAYER_BLOCKED, TICKET_REUSED = 400, 401, 402, 403, 409

SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id TEXT NOT NULL,               -- decimal digits: a bigint beyond 2^53 stays exact
    user_id TEXT NOT NULL REFERENCES players(user_id),
    amount TEXT NOT NULL,                  -- decimal text, major units
    balance_after TEXT NOT NULL,
    order_time INTEGER NOT NULL,           -- unix milliseconds
    fingerprint TEXT NOT NULL,             -- sha256 of the canonical request body
    response BLOB NOT NULL                 -- the answer, replayed verbatim to a repeat
);
CREATE INDEX IF NOT EXISTS orders_ticket_id ON orders (ticket_id);
"""


class Rejection(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code, self.msg = code, msg


@dataclass(frozen=True)
class Order:
    customer_token: str
    ticket_id: int
    amount: Decimal                        # orderAmount as sent, exact
    fingerprint: str
    ticket_id_sent: int | str = 0          # ticketId in the form it came (a JSON integer or digits)


def rejection_reply(code: int, msg: str, status: int = 400) -> Reply:
    return Reply(status, json_bytes({"code": code, "msg": msg, "data": None}))


# --- request validation (openapi/sportsbook-order.yaml, by hand) ------------------------------------

INT32, INT64 = (-(2**31), 2**31 - 1), (-(2**63), 2**63 - 1)


def _integer(bounds: tuple[int, int] = INT32):
    low, high = bounds
    return lambda value: isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _integer_or_digits(bounds: tuple[int, int], pattern: str):
    """A number the seed's own sample sends as a string (``"macthId": "10002"``, ``"gameType": "1"``)."""
    digits = re.compile(pattern)
    integer = _integer(bounds)
    low, high = bounds
    return lambda value: integer(value) or (
        isinstance(value, str) and digits.fullmatch(value) is not None and low <= int(value) <= high
    )


def _number(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or isinstance(value, Decimal)


def _number_or_decimal_text(value: Any) -> bool:
    """A double the sample sends as a string (``"oddsView": "3.0"``)."""
    if isinstance(value, str):
        return re.fullmatch(r"[0-9]{1,9}(\.[0-9]{1,9})?", value) is not None
    return _number(value)


def _string(value: Any) -> bool:
    return isinstance(value, str)


def _nullable(check):
    return lambda value: value is None or check(value)


def _array_of(check):
    return lambda value: isinstance(value, list) and all(check(item) for item in value)


def _combo_item(value: Any) -> bool:
    """The seed's ComboItem sample, PascalCase: ``{"SubComboId": 1, "OptionIds": [2, 3]}``."""
    return (
        isinstance(value, dict)
        and _integer(INT64)(value.get("SubComboId"))
        and _array_of(_integer(INT64))(value.get("OptionIds"))
    )


REQUIRED, OPTIONAL = True, False
ORDER_FIELDS = {   # name: (required, check); required means present and not null
    "customerToken": (REQUIRED, _string),
    "ticketId": (REQUIRED, _integer_or_digits((0, 2**63 - 1), r"[0-9]{1,19}")),
    "orderAmount": (REQUIRED, _number),
    "currency": (REQUIRED, _integer()),
    "qTime": (REQUIRED, _integer(INT64)),
    "betType": (REQUIRED, _integer()),
    "optionArray": (REQUIRED, lambda v: isinstance(v, list)),
    "betList": (REQUIRED, lambda v: isinstance(v, list)),
}
OPTION_FIELDS = {
    "sportNo": (REQUIRED, _integer()),
    "tourName": (REQUIRED, _string),
    "macthId": (REQUIRED, _integer_or_digits(INT64, r"[0-9]{1,19}")),
    "macthName": (REQUIRED, _string),
    "gameType": (REQUIRED, _integer_or_digits(INT32, r"[0-9]{1,9}")),
    "gameName": (OPTIONAL, _string),
    "groupType": (REQUIRED, _integer()),
    "optionId": (REQUIRED, _string),
    "betOption": (REQUIRED, _string),
    "insHomeScore": (OPTIONAL, lambda value: True),     # untyped in the seed's table: any JSON value
    "insAwayScore": (OPTIONAL, lambda value: True),
    "oddsView": (REQUIRED, _number_or_decimal_text),
    "oddsFormat": (REQUIRED, _integer()),
    "betStage": (REQUIRED, _integer()),
    "betBar": (OPTIONAL, _nullable(_string)),
}
BET_FIELDS = {
    "comboId": (REQUIRED, _nullable(_integer(INT64))),   # required but null for a single, as the sample
    "betAmount": (REQUIRED, _number),
    "num": (REQUIRED, _integer()),
    "cnt": (REQUIRED, _integer()),
    "comboItems": (OPTIONAL, _array_of(_combo_item)),
    "oddsEuro": (REQUIRED, _number),
}


def _check_object(value: Any, fields: dict, where: str) -> None:
    if not isinstance(value, dict):
        raise Rejection(INVALID_REQUEST, f"{where} must be an object")
    for name, (required, check) in fields.items():
        if name not in value:
            if required:
                raise Rejection(INVALID_REQUEST, f"missing required field {where}.{name}")
            continue
        if not check(value[name]):
            raise Rejection(INVALID_REQUEST, f"{where}.{name} has the wrong type or format")


def read_order(document: Any) -> Order:
    """The validated order; raises Rejection(400) naming the first problem."""
    _check_object(document, ORDER_FIELDS, "body")
    for i, option in enumerate(document["optionArray"]):
        _check_object(option, OPTION_FIELDS, f"optionArray[{i}]")
    for i, bet in enumerate(document["betList"]):
        _check_object(bet, BET_FIELDS, f"betList[{i}]")
    ticket_id = int(document["ticketId"])
    amount = Decimal(document["orderAmount"])
    if amount <= 0 or decimal_places(amount) > 2:
        raise Rejection(INVALID_REQUEST, "orderAmount must be positive with at most 2 decimals")
    canonical = dict(document, ticketId=ticket_id)   # 123 and "123" are the same ticket
    return Order(document["customerToken"], ticket_id, amount, fingerprint(canonical), document["ticketId"])


# --- behaviours: the correct defaults (a fault or a variation replaces some of them) ----------------

def success_code() -> int:
    return 200


def success_status() -> int:
    """The HTTP status of an accepted order: 200, the seed names none."""
    return 200


def success_msg() -> str:
    return "success"


def rejection_status(code: int) -> int:
    """The HTTP status of a rejection (``code``: the reference's envelope code): 400 for every code."""
    return 400


def rejection_code(code: int, msg: str) -> tuple[int, str]:
    """The envelope code and msg a rejection answers: the reference's own (400, 401, 402, 403, 409)."""
    return code, msg


def rejection_body(code: int, msg: str) -> dict[str, Any]:
    """A rejection's envelope: ``data`` null."""
    return {"code": code, "msg": msg, "data": None}


def ticket_id_key() -> str:
    """The key of the ticket id in data: ``ticketId``, as the data table spells it."""
    return "ticketId"


def ticket_id_json(ticket_id: int, sent: int | str) -> int | str:
    """The ticket id in data: a JSON integer with the exact value (``sent``: the request's ticketId
    as it came, an integer or digits)."""
    return ticket_id


def repeat(behaviour: Any, earlier: sqlite3.Row) -> Reply:
    """A repeated ticketId with the same body: the first answer again, at the success status
    (nothing is debited)."""
    return Reply(behaviour.so_success_status(), bytes(earlier["response"]))


def echo_ticket_id(ticket_id: int) -> int:
    return ticket_id


def echo_amount(amount: Decimal) -> Decimal:
    return amount


def reported_balance(balance_after: Decimal, amount: Decimal) -> Decimal:
    """data.balance: the wallet's after the order (``amount`` debited)."""
    return balance_after


def order_time(now_ns: int) -> int | str:
    return now_ns // 1_000_000


def validate(document: Any) -> Order:
    return read_order(document)


def find_order(conn: sqlite3.Connection, ticket_id: int) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM orders WHERE ticket_id = ? ORDER BY id LIMIT 1", (str(ticket_id),)).fetchone()


def settle(conn: sqlite3.Connection, behaviour: Any, player: sqlite3.Row, order: Order) -> Reply:
    """Check the balance, then debit it and record the order with its answer."""
    balance = Decimal(player["balance"])
    if order.amount > balance:
        raise Rejection(INSUFFICIENT_BALANCE, "insufficient balance")
    return record_order(conn, behaviour, player, order, balance - order.amount)


BEHAVIOUR = {
    "so_validate": validate,
    "so_success_code": success_code,
    "so_success_status": success_status,
    "so_success_msg": success_msg,
    "so_rejection_status": rejection_status,
    "so_rejection_code": rejection_code,
    "so_rejection_body": rejection_body,
    "so_echo_ticket_id": echo_ticket_id,
    "so_ticket_id_key": ticket_id_key,
    "so_ticket_id_json": ticket_id_json,
    "so_repeat": repeat,
    "so_echo_amount": echo_amount,
    "so_reported_balance": reported_balance,
    "so_order_time": order_time,
    "so_find_order": find_order,
    "so_settle": settle,
}


# --- the handler -----------------------------------------------------------------------------------

def record_order(
    conn: sqlite3.Connection, behaviour: Any, player: sqlite3.Row, order: Order, balance_after: Decimal
) -> Reply:
    now_ns = time.time_ns()
    ticket_id = behaviour.so_echo_ticket_id(order.ticket_id)
    reply = Reply(behaviour.so_success_status(), json_bytes({
        "code": behaviour.so_success_code(),
        "msg": behaviour.so_success_msg(),
        "data": {
            "amount": behaviour.so_echo_amount(order.amount),
            "balance": behaviour.so_reported_balance(balance_after, order.amount),
            "userId": player["user_id"],
            behaviour.so_ticket_id_key(): behaviour.so_ticket_id_json(ticket_id, order.ticket_id_sent),
            "orderTime": behaviour.so_order_time(now_ns),
        },
    }))
    conn.execute(
        "INSERT INTO ledger (user_id, amount, balance_after, reason, reference, created) "
        "VALUES (?, ?, ?, 'sportsbook-order', ?, ?)",
        (player["user_id"], text(-order.amount), text(balance_after), str(order.ticket_id), now_ns / 1e9),
    )
    conn.execute("UPDATE players SET balance = ? WHERE user_id = ?", (text(balance_after), player["user_id"]))
    conn.execute(
        "INSERT INTO orders (ticket_id, user_id, amount, balance_after, order_time, fingerprint, response) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (str(order.ticket_id), player["user_id"], text(order.amount), text(balance_after),
         now_ns // 1_000_000, order.fingerprint, reply.body),
    )
    return reply


def process(conn: sqlite3.Connection, behaviour: Any, document: Any) -> Reply:
    try:
        if isinstance(document, BadRequest):
            raise Rejection(INVALID_REQUEST, str(document))
        order = behaviour.so_validate(document)
        earlier = behaviour.so_find_order(conn, order.ticket_id)
        if earlier is not None:
            if earlier["fingerprint"] != order.fingerprint:
                raise Rejection(TICKET_REUSED, "ticketId was already used with another order")
            return behaviour.so_repeat(behaviour, earlier)
        player = conn.execute(
            "SELECT * FROM players WHERE customer_token = ?", (order.customer_token,)
        ).fetchone()
        if player is None:
            raise Rejection(UNKNOWN_TOKEN, "unknown customerToken")
        if player["blocked"]:
            raise Rejection(PLAYER_BLOCKED, "the player is blocked")
        return behaviour.so_settle(conn, behaviour, player, order)
    except Rejection as rejection:
        code, msg = behaviour.so_rejection_code(rejection.code, rejection.msg)
        return Reply(behaviour.so_rejection_status(rejection.code), json_bytes(behaviour.so_rejection_body(code, msg)))


def handle(state: Any, headers: Any, raw: bytes) -> Reply:
    try:
        document: Any = parse_json(raw, headers.get("content-type"))
    except BadRequest as bad:
        document = bad
    with state.store.transaction() as conn:
        return process(conn, state.behaviour, document)


router = APIRouter()


@router.post(PATH)
async def place_order(request: Request) -> Response:
    raw = await request.body()
    try:
        reply = await blocking(request, handle, request.app.state, request.headers, raw)
    except Exception:
        log.exception("sportsbook-order: unexpected error")
        reply = Reply(500, json_bytes({"code": 500, "msg": "internal error", "data": None}))
    return Response(reply.body, status_code=reply.status, media_type="application/json")


def snapshot(conn: sqlite3.Connection, user_id: str) -> dict[str, Any]:
    rows = conn.execute("SELECT * FROM orders WHERE user_id = ? ORDER BY id", (user_id,)).fetchall()
    return {
        "orders": [
            {"ticketId": row["ticket_id"], "amount": row["amount"], "balance_after": row["balance_after"],
             "order_time": row["order_time"]}
            for row in rows
        ]
    }
