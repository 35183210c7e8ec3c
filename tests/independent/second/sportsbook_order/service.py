"""Sportsbook order endpoint (seed 000): POST /order, a seamless-wallet debit.

Independent implementation written from the seed document alone; every point the document
leaves open is decided in DECISIONS.md (next to this file). State is kept in memory.

Answers: every request the service handles is answered HTTP 200 with the document's envelope
``{"code", "msg"[, "data"]}``; ``code`` 200 is success, any other code a refusal:

    1001  invalid request (unparseable JSON, missing or malformed field)
    1002  customer token not found
    1003  insufficient balance
    1004  duplicate ticketId (the ticket was already ordered; nothing is debited again)
    1005  currency does not match the player's currency
    1006  orderAmount does not equal the sum of betAmount x cnt over betList
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

app = FastAPI(title="sportsbook order (independent implementation 2)")

# --------------------------------------------------------------------------------------------
# In-memory state
# --------------------------------------------------------------------------------------------

_LOCK = threading.Lock()
_PLAYERS: dict[str, dict[str, Any]] = {}  # userId -> player
_BY_TOKEN: dict[str, str] = {}  # customerToken -> userId
_ORDERS: dict[int, dict[str, Any]] = {}  # ticketId (int) -> order
_NEXT_USER = [10000000001]

# The document types `currency` as an int and gives no code list. This service numbers
# currencies as a merchant-side index (not ISO 4217 numeric codes); currencies not listed
# get the next free index from 100 upwards, on first use.
_CURRENCY_INDEX: dict[str, int] = {"EUR": 1, "USD": 2, "GBP": 3, "CNY": 4, "JPY": 5}
_NEXT_CURRENCY = [100]

INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
MAX_DECIMALS = 8

CODE_OK = 200
CODE_INVALID = 1001
CODE_TOKEN = 1002
CODE_FUNDS = 1003
CODE_DUPLICATE = 1004
CODE_CURRENCY = 1005
CODE_AMOUNT_MISMATCH = 1006


def _currency_code(cur: str) -> int:
    if cur not in _CURRENCY_INDEX:
        _CURRENCY_INDEX[cur] = _NEXT_CURRENCY[0]
        _NEXT_CURRENCY[0] += 1
    return _CURRENCY_INDEX[cur]


# --------------------------------------------------------------------------------------------
# Money formatting (exact decimals, never floats)
# --------------------------------------------------------------------------------------------


def _money_str(d: Decimal) -> str:
    """Exact decimal text with at least two decimals ("950.00", "0.125"); no rounding."""
    n = d.normalize()
    exp = n.as_tuple().exponent
    q = d.quantize(Decimal("0.01")) if isinstance(exp, int) and exp >= -2 else n
    s = format(q, "f")
    return s[1:] if s.startswith("-") and q == 0 else s


# --------------------------------------------------------------------------------------------
# Field validation
# --------------------------------------------------------------------------------------------


class Invalid(Exception):
    pass


_MISSING = object()
_INT_STR = re.compile(r"^-?[0-9]+$")
_DEC_STR = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_TICKET_STR = re.compile(r"^[1-9][0-9]{0,18}$")


def _get(obj: dict, name: str, where: str, required: bool = True) -> Any:
    if name not in obj:
        if required:
            raise Invalid(f"{where}{name} is required")
        return _MISSING
    return obj[name]


def _as_int(v: Any, name: str, *, minimum: int | None = None, nullable: bool = False) -> int | None:
    """int/long/bigint field: a JSON integer or a string of digits (the sample sends both)."""
    if v is None:
        if nullable:
            return None
        raise Invalid(f"{name} must not be null")
    if isinstance(v, bool):
        raise Invalid(f"{name} must be an integer")
    if isinstance(v, int):
        n = v
    elif isinstance(v, str) and _INT_STR.match(v):
        n = int(v)
    else:
        # JSON numbers with a fraction or exponent (1.0, 1e3) are not integers here.
        raise Invalid(f"{name} must be an integer")
    if not INT64_MIN <= n <= INT64_MAX:
        raise Invalid(f"{name} is out of range")
    if minimum is not None and n < minimum:
        raise Invalid(f"{name} must be >= {minimum}")
    return n


def _as_dec(v: Any, name: str) -> Decimal:
    """double/decimal field: a JSON number or a decimal string; finite, at most 8 decimals."""
    if v is None or isinstance(v, bool):
        raise Invalid(f"{name} must be a number")
    if isinstance(v, int):
        d = Decimal(v)
    elif isinstance(v, Decimal):
        d = v
    elif isinstance(v, str) and _DEC_STR.match(v.strip()):
        d = Decimal(v.strip())
    else:
        raise Invalid(f"{name} must be a number")
    if not d.is_finite():
        raise Invalid(f"{name} must be finite")
    exp = d.normalize().as_tuple().exponent
    if isinstance(exp, int) and exp < -MAX_DECIMALS:
        raise Invalid(f"{name} has more than {MAX_DECIMALS} decimals")
    if abs(d) >= Decimal("1e15"):
        raise Invalid(f"{name} is out of range")
    return d


def _as_str(v: Any, name: str, *, nullable: bool = False) -> str | None:
    """string field: a JSON string; a JSON integer is taken as its digits (ids sent as numbers)."""
    if v is None:
        if nullable:
            return None
        raise Invalid(f"{name} must not be null")
    if isinstance(v, str):
        return v
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    raise Invalid(f"{name} must be a string")


def _ticket_id(v: Any) -> tuple[int, Any]:
    """ticketId (bigint): a JSON integer or a digit string, 1 .. 2^63-1. Returns (value, echo)."""
    if isinstance(v, bool) or v is None:
        raise Invalid("ticketId must be a positive integer")
    if isinstance(v, int):
        n = v
    elif isinstance(v, str) and _TICKET_STR.match(v):
        n = int(v)
    else:
        raise Invalid("ticketId must be a positive integer (a JSON integer or a digit string)")
    if not 1 <= n <= INT64_MAX:
        raise Invalid("ticketId is out of range")
    return n, v


def _validate_option(o: Any, i: int) -> None:
    w = f"optionArray[{i}]."
    if not isinstance(o, dict):
        raise Invalid(f"optionArray[{i}] must be an object")
    for name in ("sportNo", "gameType", "groupType", "oddsFormat", "betStage"):
        _as_int(_get(o, name, w), w + name, minimum=0)
    _as_int(_get(o, "macthId", w), w + "macthId")
    for name in ("tourName", "macthName", "betOption"):
        _as_str(_get(o, name, w), w + name)
    opt = _as_str(_get(o, "optionId", w), w + "optionId")
    if opt == "":
        raise Invalid(f"{w}optionId must not be empty")
    _as_dec(_get(o, "oddsView", w), w + "oddsView")
    for name in ("insHomeScore", "insAwayScore"):
        v = _get(o, name, w, required=False)
        if v is not _MISSING:
            _as_int(v, w + name, minimum=0, nullable=True)
    bar = _get(o, "betBar", w, required=False)
    if bar is not _MISSING:
        _as_str(bar, w + "betBar", nullable=True)


def _validate_bet(b: Any, i: int) -> Decimal:
    """Validates one bet and returns its total stake (betAmount x cnt)."""
    w = f"betList[{i}]."
    if not isinstance(b, dict):
        raise Invalid(f"betList[{i}] must be an object")
    cid = _get(b, "comboId", w, required=False)
    if cid is not _MISSING:
        _as_int(cid, w + "comboId", nullable=True)
    amount = _as_dec(_get(b, "betAmount", w), w + "betAmount")
    if amount <= 0:
        raise Invalid(f"{w}betAmount must be greater than 0")
    odds = _as_dec(_get(b, "oddsEuro", w), w + "oddsEuro")
    if odds <= 1:
        raise Invalid(f"{w}oddsEuro must be greater than 1 (decimal odds)")
    num = _get(b, "num", w, required=False)
    if num is not _MISSING:
        _as_int(num, w + "num", minimum=1)
    cnt = _get(b, "cnt", w, required=False)
    count = 1
    if cnt is not _MISSING:
        count = _as_int(cnt, w + "cnt", minimum=1)  # type: ignore[assignment]
    for name in ("comboItems", "comboltems"):
        items = _get(b, name, w, required=False)
        if items is _MISSING or items is None:
            continue
        if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
            raise Invalid(f"{w}{name} must be an array of objects")
    return amount * count


def _validate_order(body: dict) -> dict[str, Any]:
    ticket, ticket_echo = _ticket_id(_get(body, "ticketId", ""))
    order_amount = _as_dec(_get(body, "orderAmount", ""), "orderAmount")
    if order_amount <= 0:
        raise Invalid("orderAmount must be greater than 0")
    currency = _get(body, "currency", "", required=False)
    if currency is not _MISSING:
        currency = _as_int(currency, "currency", minimum=0)
    else:
        currency = None
    _as_int(_get(body, "qTime", ""), "qTime", minimum=0)
    _as_int(_get(body, "betType", ""), "betType", minimum=0)

    options = _get(body, "optionArray", "")
    if not isinstance(options, list) or not options:
        raise Invalid("optionArray must be a non-empty array")
    for i, o in enumerate(options):
        _validate_option(o, i)

    bets = _get(body, "betList", "")
    if not isinstance(bets, list) or not bets:
        raise Invalid("betList must be a non-empty array")
    total = sum((_validate_bet(b, i) for i, b in enumerate(bets)), Decimal(0))

    return {
        "ticket": ticket,
        "ticket_echo": ticket_echo,
        "amount": order_amount,
        "currency": currency,
        "bets_total": total,
    }


# --------------------------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------------------------


def _refuse(code: int, msg: str) -> JSONResponse:
    return JSONResponse(status_code=200, content={"code": code, "msg": msg})


def _success(user_id: str, balance: Decimal, ticket_echo: Any, amount: Decimal, order_time: int) -> Response:
    # Rendered by hand so that money stays exact decimal text and a big ticket id is never
    # passed through a float.
    ticket_json = json.dumps(ticket_echo) if isinstance(ticket_echo, str) else str(int(ticket_echo))
    body = (
        '{"code":200,"msg":"success","data":{'
        f'"userId":{json.dumps(user_id)},'
        f'"balance":{_money_str(balance)},'
        f'"ticketID":{ticket_json},'
        f'"amount":{_money_str(amount)},'
        f'"orderTime":{order_time}'
        "}}"
    )
    return Response(content=body, status_code=200, media_type="application/json")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON number {name}")


# --------------------------------------------------------------------------------------------
# POST /order
# --------------------------------------------------------------------------------------------


@app.post("/order")
async def order(request: Request) -> Response:
    raw = await request.body()
    try:
        body = json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _refuse(CODE_INVALID, "invalid request: body is not valid JSON")
    if not isinstance(body, dict):
        return _refuse(CODE_INVALID, "invalid request: body must be a JSON object")

    token = body.get("customerToken", _MISSING)
    if token is _MISSING:
        return _refuse(CODE_INVALID, "invalid request: customerToken is required")
    if not isinstance(token, str) or token == "":
        return _refuse(CODE_INVALID, "invalid request: customerToken must be a non-empty string")

    with _LOCK:
        user_id = _BY_TOKEN.get(token)
        if user_id is None:
            return _refuse(CODE_TOKEN, "customer token not found")
        player = _PLAYERS[user_id]

        try:
            req = _validate_order(body)
        except Invalid as exc:
            return _refuse(CODE_INVALID, f"invalid request: {exc}")

        if req["bets_total"] != req["amount"]:
            return _refuse(
                CODE_AMOUNT_MISMATCH,
                "orderAmount does not equal the sum of betAmount x cnt over betList",
            )
        if req["ticket"] in _ORDERS:
            return _refuse(CODE_DUPLICATE, "duplicate ticketId: this ticket was already ordered")
        if req["currency"] is not None and req["currency"] != player["currency_code"]:
            return _refuse(CODE_CURRENCY, "currency does not match the player's currency")
        if player["balance"] < req["amount"]:
            return _refuse(CODE_FUNDS, "insufficient balance")

        player["balance"] -= req["amount"]
        order_time = int(time.time() * 1000)
        rec = {
            "ticketId": str(req["ticket"]),
            "amount": req["amount"],
            "balance_after": player["balance"],
            "order_time": order_time,
            "userId": user_id,
        }
        _ORDERS[req["ticket"]] = rec
        player["orders"].append(rec)
        return _success(user_id, player["balance"], req["ticket_echo"], req["amount"], order_time)


# --------------------------------------------------------------------------------------------
# Test hook: POST /_orderproof/provider-states (test deployments only)
# --------------------------------------------------------------------------------------------

_KNOWN_STATES = (
    "an operator exists",
    "a player exists",
    "an event exists",
    "a jackpot betcard exists",
    "a player snapshot",
)
_SUPPORTED = ("a player exists", "a player snapshot")
_DEC_PARAM = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def _hook_error(msg: str) -> JSONResponse:
    return JSONResponse(status_code=400, content={"error": msg})


def _param_dec(params: dict, name: str, default: str) -> Decimal:
    v = params.get(name, default)
    if isinstance(v, bool):
        raise Invalid(f"param {name!r} must be a decimal string or a number")
    if isinstance(v, (int, Decimal)):
        d = Decimal(v)
    elif isinstance(v, str) and _DEC_PARAM.match(v):
        d = Decimal(v)
    else:
        raise Invalid(f"param {name!r} must be a decimal string or a number")
    if not d.is_finite():
        raise Invalid(f"param {name!r} must be finite")
    return d


def _param_bool(params: dict, name: str) -> bool:
    v = params.get(name, False)
    if not isinstance(v, bool):
        raise Invalid(f"param {name!r} must be a boolean")
    return v


def _setup_player(params: dict) -> dict:
    balance = _param_dec(params, "balance", "1000.00")
    if balance < 0:
        raise Invalid("param 'balance' must not be negative")
    currency = params.get("currency", "EUR")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise Invalid("param 'currency' must be a three-letter ISO 4217 code")
    blocked = _param_bool(params, "blocked")
    min_stake = _param_dec(params, "min_stake", "0.10")
    max_stake = _param_dec(params, "max_stake", "500.00")
    _param_bool(params, "session_expired")
    ago = params.get("session_expired_seconds_ago", 60)
    if isinstance(ago, bool) or not isinstance(ago, int) or not 1 <= ago <= 31536000:
        raise Invalid("param 'session_expired_seconds_ago' must be an integer 1..31536000")
    op = params.get("operator")
    if op is not None and not isinstance(op, str):
        raise Invalid("param 'operator' must be a string")
    # Other params are ignored (they concern APIs this target does not serve).

    user_id = str(_NEXT_USER[0])
    _NEXT_USER[0] += 1
    token = "ct-" + secrets.token_hex(16)
    code = _currency_code(currency)
    _PLAYERS[user_id] = {
        "userId": user_id,
        "customerToken": token,
        "balance": balance,
        "currency": currency,
        "currency_code": code,
        "blocked": blocked,
        "orders": [],
    }
    _BY_TOKEN[token] = user_id
    return {
        "userId": user_id,
        "customerToken": token,
        "balance": _money_str(balance),
        "currency": currency,
        "currency_code": code,
        "blocked": blocked,
        "min_stake": _money_str(min_stake),
        "max_stake": _money_str(max_stake),
    }


def _teardown_player(params: dict) -> dict:
    user_id = params.get("userId")
    if not isinstance(user_id, str):
        tok = params.get("customerToken")
        user_id = _BY_TOKEN.get(tok) if isinstance(tok, str) else None
    player = _PLAYERS.pop(user_id, None) if isinstance(user_id, str) else None
    if player is not None:
        _BY_TOKEN.pop(player["customerToken"], None)
        # Orders stay recorded so that their ticketIds remain used.
    return {}


def _snapshot(params: dict) -> dict:
    user_id = params.get("userId")
    if not isinstance(user_id, str):
        raise Invalid("param 'userId' (a string) is required for 'a player snapshot'")
    player = _PLAYERS.get(user_id)
    if player is None:
        raise Invalid(f"unknown userId {user_id!r}")
    return {
        "userId": user_id,
        "balance": _money_str(player["balance"]),
        "currency": player["currency"],
        "orders": [
            {
                "ticketId": o["ticketId"],
                "amount": _money_str(o["amount"]),
                "balance_after": _money_str(o["balance_after"]),
                "order_time": o["order_time"],
            }
            for o in player["orders"]
        ],
    }


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request) -> Response:
    raw = await request.body()
    try:
        req = json.loads(raw.decode("utf-8") or "null", parse_float=Decimal, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return _hook_error("the body must be a JSON object")
    if not isinstance(req, dict):
        return _hook_error("the body must be a JSON object")
    state = req.get("state")
    if not isinstance(state, str):
        return _hook_error("'state' (a string) is required; supported: " + ", ".join(_SUPPORTED))
    action = req.get("action", "setup")
    if action not in ("setup", "teardown"):
        return _hook_error(f"unknown action {action!r}; accepted: setup, teardown")
    params = req.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return _hook_error("'params' must be an object")
    if state not in _KNOWN_STATES:
        return _hook_error(f"unknown provider state {state!r}; supported: " + ", ".join(_SUPPORTED))

    with _LOCK:
        try:
            if action == "teardown":
                if state == "a player exists":
                    return JSONResponse(_teardown_player(params))
                return JSONResponse({})
            if state == "a player exists":
                return JSONResponse(_setup_player(params))
            if state == "a player snapshot":
                return JSONResponse(_snapshot(params))
        except Invalid as exc:
            return _hook_error(str(exc))
    return _hook_error(
        f"provider state {state!r} is not supported by this target (sportsbook-order); "
        "supported: " + ", ".join(_SUPPORTED)
    )
