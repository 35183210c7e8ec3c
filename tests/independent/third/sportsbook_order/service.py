"""sportsbook-order (seed 000): a seamless-wallet ``POST /order`` call, third independent build.

One file, FastAPI, state in memory (module level). See DECISIONS.md beside this file for every
point the seed leaves open and what was decided.

Money is handled as ``decimal.Decimal`` end to end: the request body is parsed with
``parse_float=Decimal`` (so JSON numbers never pass through a binary float) and the answers are
written by a small serializer of our own that prints a Decimal as a JSON number digit for digit.
JSON integers are Python ints, so a ``ticketId`` beyond 2**53 stays exact.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

app = FastAPI(title="sportsbook-order (third independent implementation)")

# --------------------------------------------------------------------------------------------
# In-memory state
# --------------------------------------------------------------------------------------------

_LOCK = threading.Lock()
PLAYERS: dict[str, dict[str, Any]] = {}  # userId -> player
TOKENS: dict[str, str] = {}  # customerToken -> userId
OPERATORS: dict[str, dict[str, Any]] = {}  # name -> operator
ORDERS: dict[int, dict[str, Any]] = {}  # ticketId (exact int) -> stored order
_COUNTERS = {"user": 0, "ledger": 0, "operator": 0}

HOOK_ENABLED = os.environ.get("ORDERPROOF_PROVIDER_STATES", "1").strip().lower() not in (
    "0",
    "false",
    "no",
    "off",
)

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
MONEY_MAX = Decimal("1000000000000")  # 10^12 major units: a sanity bound, far above any stake
MONEY_QUANTUM = Decimal("0.0001")  # amounts carry at most 4 decimal places

# --------------------------------------------------------------------------------------------
# JSON in and out
# --------------------------------------------------------------------------------------------


class _BadJSON(Exception):
    pass


def _reject_constant(name: str) -> Any:
    raise _BadJSON(f"{name} is not valid JSON")


def parse_json(raw: bytes) -> Any:
    """Parse JSON exactly: integers as int, fractions/exponents as Decimal, no NaN/Infinity."""
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError, _BadJSON, RecursionError) as exc:
        raise _BadJSON(str(exc)) from None


def _dump(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, Decimal):
        # plain notation, digit for digit (never through a float)
        out.append(format(value, "f"))
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, dict):
        out.append("{")
        first = True
        for key, item in value.items():
            if not first:
                out.append(",")
            first = False
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _dump(item, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _dump(item, out)
        out.append("]")
    else:  # pragma: no cover - defensive
        out.append(json.dumps(str(value)))


def json_response(body: Any, status: int = 200) -> Response:
    out: list[str] = []
    _dump(body, out)
    return Response(
        content="".join(out).encode("utf-8"),
        status_code=status,
        media_type="application/json",
    )


def money_text(value: Decimal) -> str:
    """A money amount as a decimal string: at least 2 and at most 4 decimal places."""
    q = value.quantize(MONEY_QUANTUM)
    sign = "-" if q < 0 else ""
    text = format(abs(q), "f")
    if "." not in text:
        text += ".00"
    whole, frac = text.split(".")
    frac = frac.rstrip("0")
    while len(frac) < 2:
        frac += "0"
    return f"{sign}{whole}.{frac}"


def money_number(value: Decimal) -> Decimal:
    """The same amount as a Decimal whose plain rendering is ``money_text`` (a JSON number)."""
    return Decimal(money_text(value))


# --------------------------------------------------------------------------------------------
# The order envelope and refusals
# --------------------------------------------------------------------------------------------

# HTTP status -> body code: the body code is the HTTP status times ten plus a sub-code, so that a
# refusal is never mistaken for the success code 200 and the two never coincide.
R_NOT_JSON = (400, 4000)
R_INVALID = (422, 4220)
R_UNKNOWN_TOKEN = (401, 4010)
R_BLOCKED = (403, 4030)
R_DUPLICATE = (409, 4090)
R_FUNDS = (402, 4020)
R_MEDIA = (415, 4150)


class Refusal(Exception):
    def __init__(self, kind: tuple[int, int], msg: str):
        super().__init__(msg)
        self.status, self.code = kind
        self.msg = msg


def refusal_response(ref: Refusal) -> Response:
    return json_response({"code": ref.code, "msg": ref.msg, "data": None}, ref.status)


@app.exception_handler(StarletteHTTPException)
async def _http_exception(request: Request, exc: StarletteHTTPException) -> Response:
    msg = exc.detail if isinstance(exc.detail, str) else "error"
    return json_response({"code": exc.status_code * 10, "msg": msg, "data": None}, exc.status_code)


@app.exception_handler(Exception)
async def _unexpected(request: Request, exc: Exception) -> Response:  # pragma: no cover
    return json_response({"code": 5000, "msg": "internal error", "data": None}, 500)


# --------------------------------------------------------------------------------------------
# Field validation
# --------------------------------------------------------------------------------------------

_MISSING = object()
_DIGITS = re.compile(r"(0|[1-9][0-9]{0,19})")
_SIGNED_DIGITS = re.compile(r"-?(0|[1-9][0-9]{0,19})")
_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?")


def _bad(path: str, what: str) -> Refusal:
    return Refusal(R_INVALID, f"{path}: {what}")


def _get(obj: dict, key: str, path: str, required: bool = True) -> Any:
    if key in obj:
        return obj[key]
    if required:
        raise _bad(path, "is required")
    return _MISSING


def v_int(
    value: Any,
    path: str,
    lo: int,
    hi: int,
    allow_string: bool = False,
) -> int:
    """An integer field: a JSON integer (no fraction, no exponent, not a boolean), or, for the
    fields the seed's own sample sends as strings, a string of digits."""
    if isinstance(value, bool):
        raise _bad(path, "must be an integer, not a boolean")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and allow_string:
        if not _SIGNED_DIGITS.fullmatch(value):
            raise _bad(path, "must be an integer or a string of digits")
        number = int(value)
    elif isinstance(value, Decimal):
        raise _bad(path, "must be an integer (no fraction or exponent)")
    else:
        raise _bad(path, "must be an integer" + (" or a string of digits" if allow_string else ""))
    if number < lo or number > hi:
        raise _bad(path, f"must be between {lo} and {hi}")
    return number


def v_str(value: Any, path: str, non_empty: bool = False, nullable: bool = False) -> str | None:
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise _bad(path, "must be a string")
    if non_empty and not value.strip():
        raise _bad(path, "must not be empty")
    if len(value) > 4096:
        raise _bad(path, "is too long")
    return value


def v_number(value: Any, path: str, allow_string: bool = False) -> Decimal:
    """A numeric (double/decimal) field as an exact Decimal."""
    if isinstance(value, bool):
        raise _bad(path, "must be a number, not a boolean")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _bad(path, "must be a finite number")
        return value
    if isinstance(value, str) and allow_string:
        if not _DECIMAL_TEXT.fullmatch(value):
            raise _bad(path, "must be a number or a decimal string")
        return Decimal(value)
    raise _bad(path, "must be a number" + (" or a decimal string" if allow_string else ""))


def v_money(value: Any, path: str) -> Decimal:
    amount = v_number(value, path)
    if amount <= 0:
        raise _bad(path, "must be greater than 0")
    if amount > MONEY_MAX:
        raise _bad(path, f"must not exceed {MONEY_MAX}")
    try:
        if amount != amount.quantize(MONEY_QUANTUM):
            raise _bad(path, "must have at most 4 decimal places")
    except InvalidOperation:  # pragma: no cover - bounded above
        raise _bad(path, "is out of range") from None
    return amount


def v_object(value: Any, path: str) -> dict:
    if not isinstance(value, dict):
        raise _bad(path, "must be an object")
    return value


def v_nonempty_array(value: Any, path: str) -> list:
    if not isinstance(value, list):
        raise _bad(path, "must be an array")
    if not value:
        raise _bad(path, "must not be empty")
    if len(value) > 1000:
        raise _bad(path, "has too many items")
    return value


def validate_option(raw: Any, path: str) -> dict:
    obj = v_object(raw, path)
    out: dict[str, Any] = {}
    out["sportNo"] = v_int(_get(obj, "sportNo", f"{path}.sportNo"), f"{path}.sportNo", 0, INT32_MAX)
    out["tourName"] = v_str(_get(obj, "tourName", f"{path}.tourName"), f"{path}.tourName")
    out["macthId"] = v_int(
        _get(obj, "macthId", f"{path}.macthId"), f"{path}.macthId", 0, INT64_MAX, allow_string=True
    )
    out["macthName"] = v_str(_get(obj, "macthName", f"{path}.macthName"), f"{path}.macthName")
    out["gameType"] = v_int(
        _get(obj, "gameType", f"{path}.gameType"), f"{path}.gameType", 0, INT32_MAX, allow_string=True
    )
    out["groupType"] = v_int(
        _get(obj, "groupType", f"{path}.groupType"), f"{path}.groupType", 0, INT32_MAX
    )
    out["optionId"] = v_str(
        _get(obj, "optionId", f"{path}.optionId"), f"{path}.optionId", non_empty=True
    )
    out["betOption"] = v_str(
        _get(obj, "betOption", f"{path}.betOption"), f"{path}.betOption", non_empty=True
    )
    for key in ("insHomeScore", "insAwayScore"):
        value = _get(obj, key, f"{path}.{key}", required=False)
        if value is _MISSING or value is None:
            out[key] = None
        else:
            out[key] = v_int(value, f"{path}.{key}", 0, INT32_MAX)
    out["oddsView"] = v_number(
        _get(obj, "oddsView", f"{path}.oddsView"), f"{path}.oddsView", allow_string=True
    ).normalize()
    out["oddsFormat"] = v_int(
        _get(obj, "oddsFormat", f"{path}.oddsFormat"), f"{path}.oddsFormat", 0, INT32_MAX
    )
    out["betStage"] = v_int(
        _get(obj, "betStage", f"{path}.betStage"), f"{path}.betStage", 0, INT32_MAX
    )
    bar = _get(obj, "betBar", f"{path}.betBar", required=False)
    out["betBar"] = None if bar is _MISSING else v_str(bar, f"{path}.betBar", nullable=True)
    return out


def validate_combo_items(value: Any, path: str) -> list | None:
    if value is _MISSING or value is None:
        return None
    if not isinstance(value, list):
        raise _bad(path, "must be an array or null")
    items = []
    for index, raw in enumerate(value):
        ipath = f"{path}[{index}]"
        obj = v_object(raw, ipath)
        item: dict[str, Any] = {}
        sub = obj.get("SubComboId", _MISSING)
        if sub is not _MISSING and sub is not None:
            item["SubComboId"] = v_int(sub, f"{ipath}.SubComboId", 0, INT64_MAX)
        ids = obj.get("OptionIds", _MISSING)
        if ids is not _MISSING and ids is not None:
            if not isinstance(ids, list):
                raise _bad(f"{ipath}.OptionIds", "must be an array")
            norm = []
            for j, option_id in enumerate(ids):
                jpath = f"{ipath}.OptionIds[{j}]"
                if isinstance(option_id, str):
                    norm.append(v_str(option_id, jpath, non_empty=True))
                else:
                    norm.append(str(v_int(option_id, jpath, 0, INT64_MAX)))
            item["OptionIds"] = norm
        items.append(item)
    return items


def validate_bet(raw: Any, path: str, option_count: int) -> dict:
    obj = v_object(raw, path)
    out: dict[str, Any] = {}
    combo = _get(obj, "comboId", f"{path}.comboId", required=False)
    out["comboId"] = (
        None if combo is _MISSING or combo is None else v_int(combo, f"{path}.comboId", 0, INT64_MAX)
    )
    out["betAmount"] = v_money(_get(obj, "betAmount", f"{path}.betAmount"), f"{path}.betAmount")
    num = _get(obj, "num", f"{path}.num", required=False)
    out["num"] = 1 if num is _MISSING or num is None else v_int(num, f"{path}.num", 1, INT32_MAX)
    if out["num"] > option_count:
        raise _bad(f"{path}.num", f"must not exceed the number of options ({option_count})")
    cnt = _get(obj, "cnt", f"{path}.cnt", required=False)
    out["cnt"] = 1 if cnt is _MISSING or cnt is None else v_int(cnt, f"{path}.cnt", 1, INT32_MAX)
    out["comboItems"] = validate_combo_items(
        obj.get("comboItems", _MISSING), f"{path}.comboItems"
    )
    odds = v_number(_get(obj, "oddsEuro", f"{path}.oddsEuro"), f"{path}.oddsEuro")
    if odds < 1:
        raise _bad(f"{path}.oddsEuro", "must be at least 1 (decimal odds)")
    out["oddsEuro"] = odds.normalize()
    return out


def validate_order(body: Any) -> dict:
    if not isinstance(body, dict):
        raise Refusal(R_NOT_JSON, "the request body must be a JSON object")
    out: dict[str, Any] = {}
    out["customerToken"] = v_str(_get(body, "customerToken", "customerToken"), "customerToken", True)
    raw_ticket = _get(body, "ticketId", "ticketId")
    if isinstance(raw_ticket, str) and not _DIGITS.fullmatch(raw_ticket):
        raise _bad("ticketId", "must be a positive integer or a string of digits without leading zeros")
    out["ticketId"] = v_int(raw_ticket, "ticketId", 1, INT64_MAX, allow_string=True)
    out["orderAmount"] = v_money(_get(body, "orderAmount", "orderAmount"), "orderAmount")
    out["currency"] = v_int(_get(body, "currency", "currency"), "currency", 0, INT32_MAX)
    out["qTime"] = v_int(_get(body, "qTime", "qTime"), "qTime", 1, INT64_MAX)
    out["betType"] = v_int(_get(body, "betType", "betType"), "betType", 0, INT32_MAX)
    options = v_nonempty_array(_get(body, "optionArray", "optionArray"), "optionArray")
    out["optionArray"] = [validate_option(o, f"optionArray[{i}]") for i, o in enumerate(options)]
    bets = v_nonempty_array(_get(body, "betList", "betList"), "betList")
    out["betList"] = [validate_bet(b, f"betList[{i}]", len(options)) for i, b in enumerate(bets)]
    return out


def fingerprint(order: dict) -> str:
    """What makes two orders with one ticketId "the same order": everything but qTime (a retry
    may carry a fresh query time), with numbers compared by value."""
    material = {k: v for k, v in order.items() if k != "qTime"}
    material["orderAmount"] = order["orderAmount"].normalize()
    material["betList"] = [
        {**bet, "betAmount": bet["betAmount"].normalize()} for bet in order["betList"]
    ]
    return repr(material)


# --------------------------------------------------------------------------------------------
# POST /order
# --------------------------------------------------------------------------------------------


def _is_json_media(content_type: str | None) -> bool:
    if not content_type:
        return True  # no Content-Type: read the body as JSON
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


@app.post("/order")
async def order(request: Request) -> Response:
    try:
        if not _is_json_media(request.headers.get("content-type")):
            raise Refusal(R_MEDIA, "Content-Type must be application/json")
        raw = await request.body()
        try:
            body = parse_json(raw)
        except _BadJSON:
            raise Refusal(R_NOT_JSON, "the request body is not valid JSON") from None
        req = validate_order(body)
        with _LOCK:
            return place(req)
    except Refusal as ref:
        return refusal_response(ref)


def place(req: dict) -> Response:
    ticket_id = req["ticketId"]
    token = req["customerToken"]
    user_id = TOKENS.get(token)

    previous = ORDERS.get(ticket_id)
    if previous is not None:
        if user_id is not None and previous["userId"] == user_id and previous[
            "fingerprint"
        ] == fingerprint(req):
            # the same order sent again: answer the first answer, debit nothing
            return json_response(previous["answer"], 200)
        raise Refusal(R_DUPLICATE, f"ticketId {ticket_id} was already used for another order")

    if user_id is None:
        raise Refusal(R_UNKNOWN_TOKEN, "unknown customerToken")
    player = PLAYERS[user_id]
    if player["blocked"]:
        raise Refusal(R_BLOCKED, "the customer is blocked")
    amount: Decimal = req["orderAmount"]
    if player["balance"] < amount:
        raise Refusal(R_FUNDS, "insufficient balance")

    balance_after = player["balance"] - amount
    order_time = time.time_ns() // 1_000_000
    player["balance"] = balance_after
    answer = {
        "code": 200,
        "msg": "success",
        "data": {
            "userId": user_id,
            "balance": money_number(balance_after),
            "ticketId": str(ticket_id),
            "amount": amount,
            "orderTime": order_time,
        },
    }
    ORDERS[ticket_id] = {
        "userId": user_id,
        "fingerprint": fingerprint(req),
        "answer": answer,
    }
    player["orders"].append(
        {
            "ticketId": str(ticket_id),
            "amount": money_text(amount),
            "balance_after": money_text(balance_after),
            "order_time": order_time,
        }
    )
    _COUNTERS["ledger"] += 1
    player["ledger"].append(
        {
            "entry_id": _COUNTERS["ledger"],
            "amount": money_text(-amount),
            "balance_after": money_text(balance_after),
            "reason": "order",
            "reference": str(ticket_id),
        }
    )
    return json_response(answer, 200)


# --------------------------------------------------------------------------------------------
# POST /_orderproof/provider-states (test hook; test deployments only)
# --------------------------------------------------------------------------------------------

KNOWN_STATES = (
    "an operator exists",
    "a player exists",
    "an event exists",
    "a jackpot betcard exists",
    "a player snapshot",
)
OPERATOR_PARAMS = {"name", "secret", "timezone_offset", "webhook_url", "ext", "wht"}
PLAYER_PARAMS = {
    "balance",
    "currency",
    "blocked",
    "min_stake",
    "max_stake",
    "session_expired",
    "session_expired_seconds_ago",
    "operator",
}
_DECIMAL_STRING = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_OFFSET = re.compile(r"[+-][0-9]{2}:[0-9]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")


class HookError(Exception):
    pass


def hook_decimal(value: Any, name: str, non_negative: bool = True) -> Decimal:
    if isinstance(value, bool):
        raise HookError(f"param '{name}' must be a decimal string or a number")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, Decimal) and value.is_finite():
        number = value
    elif isinstance(value, str) and _DECIMAL_STRING.fullmatch(value) and len(value) <= 40:
        number = Decimal(value)
    else:
        raise HookError(f"param '{name}' must be a decimal string or a number")
    if non_negative and number < 0:
        raise HookError(f"param '{name}' must not be negative")
    if abs(number) > MONEY_MAX or number != number.quantize(MONEY_QUANTUM):
        raise HookError(f"param '{name}' must be at most {MONEY_MAX} with at most 4 decimal places")
    return number


def hook_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise HookError(f"param '{name}' must be a boolean")
    return value


def _check_params(params: dict, allowed: set, state: str) -> None:
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise HookError(
            f"unknown param(s) {', '.join(repr(u) for u in unknown)} for state '{state}'; "
            f"accepted: {', '.join(sorted(allowed))}"
        )


def operator_answer(op: dict) -> dict:
    return {
        "name": op["name"],
        "secret": op["secret"],
        "timezone_offset": op["timezone_offset"],
        "webhook_url": op["webhook_url"],
        "ext": op["ext"],
        "wht": op["wht"],
    }


def create_operator(params: dict) -> dict:
    _check_params(params, OPERATOR_PARAMS, "an operator exists")
    name = params.get("name")
    if name is None:
        _COUNTERS["operator"] += 1
        name = f"op-{_COUNTERS['operator']}-{secrets.token_hex(3)}"
    elif not isinstance(name, str) or not name:
        raise HookError("param 'name' must be a non-empty string")
    secret = params.get("secret")
    if secret is None:
        secret = secrets.token_hex(16)
    elif not isinstance(secret, str):
        raise HookError("param 'secret' must be a string")
    offset = params.get("timezone_offset", "+02:00")
    if not isinstance(offset, str) or not _OFFSET.fullmatch(offset):
        raise HookError("param 'timezone_offset' must look like +02:00")
    webhook = params.get("webhook_url", "http://127.0.0.1/webhook")
    if webhook is not None and not isinstance(webhook, str):
        raise HookError("param 'webhook_url' must be a string or null")
    ext = hook_decimal(params.get("ext", "12.5"), "ext")
    wht = hook_decimal(params.get("wht", "20.0"), "wht")
    op = {
        "name": name,
        "secret": secret,
        "timezone_offset": offset,
        "webhook_url": webhook,
        "ext": format(ext, "f"),
        "wht": format(wht, "f"),
    }
    OPERATORS[name] = op
    return op


def create_player(params: dict) -> dict:
    _check_params(params, PLAYER_PARAMS, "a player exists")
    balance = hook_decimal(params.get("balance", "1000.00"), "balance")
    currency = params.get("currency", "EUR")
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise HookError("param 'currency' must be a 3-letter ISO 4217 code such as EUR")
    blocked = hook_bool(params.get("blocked", False), "blocked")
    min_stake = hook_decimal(params.get("min_stake", "0.10"), "min_stake")
    max_stake = hook_decimal(params.get("max_stake", "500.00"), "max_stake")
    hook_bool(params.get("session_expired", False), "session_expired")
    ago = params.get("session_expired_seconds_ago", 60)
    if isinstance(ago, bool) or not isinstance(ago, int) or not 1 <= ago <= 31536000:
        raise HookError("param 'session_expired_seconds_ago' must be an integer 1..31536000")
    op_name = params.get("operator")
    if op_name is None:
        op = create_operator({})
    elif not isinstance(op_name, str) or not op_name:
        raise HookError("param 'operator' must be a non-empty string")
    else:
        op = OPERATORS.get(op_name) or create_operator({"name": op_name})

    _COUNTERS["user"] += 1
    user_id = str(8_800_000_000 + _COUNTERS["user"])
    token = "ct-" + secrets.token_urlsafe(18)
    PLAYERS[user_id] = {
        "userId": user_id,
        "customerToken": token,
        "balance": balance,
        "currency": currency,
        "blocked": blocked,
        "min_stake": min_stake,
        "max_stake": max_stake,
        "operator": op["name"],
        "orders": [],
        "ledger": [],
    }
    TOKENS[token] = user_id
    return {
        "userId": user_id,
        "customerToken": token,
        "balance": money_text(balance),
        "currency": currency,
        "blocked": blocked,
        "min_stake": money_text(min_stake),
        "max_stake": money_text(max_stake),
        "operator": operator_answer(op),
    }


def snapshot(params: dict) -> dict:
    _check_params(params, {"userId"}, "a player snapshot")
    user_id = params.get("userId")
    if not isinstance(user_id, str) or not user_id:
        raise HookError("param 'userId' (a string) is required for 'a player snapshot'")
    player = PLAYERS.get(user_id)
    if player is None:
        raise HookError(f"no player with userId '{user_id}'")
    return {
        "userId": user_id,
        "balance": money_text(player["balance"]),
        "currency": player["currency"],
        "orders": [dict(o) for o in player["orders"]],
        "ledger": [dict(e) for e in player["ledger"]],
    }


def teardown(state: str, params: dict) -> dict:
    if state == "a player exists":
        user_id = params.get("userId")
        if not isinstance(user_id, str):
            token = params.get("customerToken")
            user_id = TOKENS.get(token) if isinstance(token, str) else None
        player = PLAYERS.pop(user_id, None) if isinstance(user_id, str) else None
        if player is not None:
            TOKENS.pop(player["customerToken"], None)
            # the player's ticketIds stay used: a ticketId is never accepted twice
    elif state == "an operator exists":
        name = params.get("name")
        if isinstance(name, str):
            OPERATORS.pop(name, None)
    return {}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request) -> Response:
    if not HOOK_ENABLED:
        return Response(status_code=404)
    try:
        try:
            body = parse_json(await request.body())
        except _BadJSON:
            raise HookError("the body must be a JSON object") from None
        if not isinstance(body, dict):
            raise HookError("the body must be a JSON object")
        state = body.get("state")
        if state not in KNOWN_STATES:
            raise HookError(
                f"unknown provider state {state!r}; accepted: {', '.join(KNOWN_STATES)}"
            )
        action = body.get("action", "setup")
        if action is None:
            action = "setup"
        if action not in ("setup", "teardown"):
            raise HookError(f"unknown action {action!r}; accepted: setup, teardown")
        params = body.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise HookError("'params' must be an object")
        with _LOCK:
            if action == "teardown":
                return json_response(teardown(state, params))
            if state == "a player exists":
                return json_response(create_player(params))
            if state == "a player snapshot":
                return json_response(snapshot(params))
            if state == "an operator exists":
                return json_response(operator_answer(create_operator(params)))
            raise HookError(
                f"provider state {state!r} is not supported by this target "
                "(it serves sportsbook-order only)"
            )
    except HookError as err:
        return json_response({"error": str(err)}, 400)
