"""Independent implementation of the sportsbook-order API (POST /order).

Source: seed 000_c220e78285a7d7fc.txt.  See DECISIONS.md for every open point.
State is kept in memory; the test hook at /_orderproof/provider-states sets it up and observes it.
"""
from __future__ import annotations

import json
import math
import re
import secrets
import time
from decimal import Decimal, InvalidOperation

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI(title="sportsbook-order (independent)", docs_url=None, redoc_url=None, openapi_url=None)

HOOK_ENABLED = True  # the provider-state hook exists on this test deployment only

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
CENT = Decimal("0.01")

# ISO 4217 numeric codes: our reading of the int `currency` field.
ISO_NUMERIC = {
    "EUR": 978, "USD": 840, "GBP": 826, "CNY": 156, "JPY": 392, "HKD": 344, "AUD": 36,
    "CAD": 124, "CHF": 756, "SEK": 752, "NOK": 578, "DKK": 208, "PLN": 985, "CZK": 203,
    "HUF": 348, "RON": 946, "BRL": 986, "INR": 356, "KRW": 410, "SGD": 702, "THB": 764,
    "MYR": 458, "IDR": 360, "PHP": 608, "VND": 704, "TWD": 901, "MXN": 484, "ZAR": 710,
    "NGN": 566, "KES": 404, "TRY": 949, "RUB": 643, "UAH": 980, "NZD": 554,
}

# ---------------------------------------------------------------- state (in memory)
PLAYERS: dict[str, dict] = {}          # userId -> player
BY_TOKEN: dict[str, str] = {}          # customerToken -> userId
ORDERS: dict[int, dict] = {}           # ticketId -> {"userId", "fingerprint", "response"}


def fmt_money(d: Decimal) -> str:
    if d == d.quantize(CENT):
        return str(d.quantize(CENT))
    return format(d.normalize(), "f")


# ---------------------------------------------------------------- envelope helpers
def reply(code: int, msg: str, data: dict | None = None) -> JSONResponse:
    body: dict = {"code": code, "msg": msg}
    if data is not None:
        body["data"] = data
    return JSONResponse(status_code=code, content=body)


class Invalid(Exception):
    def __init__(self, msg: str):
        super().__init__(msg)
        self.msg = msg


# ---------------------------------------------------------------- field parsers
_INT_STR = re.compile(r"^-?[0-9]+$")
_NUM_STR = re.compile(r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$")


def _present(obj: dict, key: str, where: str, required: bool = True, nullable: bool = False):
    if key not in obj:
        if required:
            raise Invalid(f"{where}{key} is required")
        return None
    val = obj[key]
    if val is None:
        if required and not nullable:
            raise Invalid(f"{where}{key} must not be null")
        return None
    return val


def get_int(obj, key, where="", required=True, nullable=False, rng=INT32, minimum=None):
    val = _present(obj, key, where, required, nullable)
    if val is None:
        return None
    if isinstance(val, bool):
        raise Invalid(f"{where}{key} must be an integer")
    if isinstance(val, int):
        n = val
    elif isinstance(val, float) and math.isfinite(val) and val.is_integer():
        n = int(val)
    elif isinstance(val, str) and _INT_STR.match(val.strip() or "x"):
        n = int(val.strip())
    else:
        raise Invalid(f"{where}{key} must be an integer")
    if not (rng[0] <= n <= rng[1]):
        raise Invalid(f"{where}{key} is out of range")
    if minimum is not None and n < minimum:
        raise Invalid(f"{where}{key} must be at least {minimum}")
    return n


def get_num(obj, key, where="", required=True) -> Decimal | None:
    val = _present(obj, key, where, required)
    if val is None:
        return None
    if isinstance(val, bool):
        raise Invalid(f"{where}{key} must be a number")
    if isinstance(val, int):
        d = Decimal(val)
    elif isinstance(val, float):
        if not math.isfinite(val):
            raise Invalid(f"{where}{key} must be a finite number")
        d = Decimal(repr(val))
    elif isinstance(val, str) and _NUM_STR.match(val.strip() or "x"):
        try:
            d = Decimal(val.strip())
        except InvalidOperation:
            raise Invalid(f"{where}{key} must be a number")
    else:
        raise Invalid(f"{where}{key} must be a number")
    if not d.is_finite():
        raise Invalid(f"{where}{key} must be a finite number")
    return d


def get_money(obj, key, where="") -> Decimal:
    d = get_num(obj, key, where)
    if d <= 0:
        raise Invalid(f"{where}{key} must be greater than 0")
    if d >= Decimal("1e15"):
        raise Invalid(f"{where}{key} is too large")
    if d != d.quantize(CENT):
        raise Invalid(f"{where}{key} must have at most 2 decimal places")
    return d.quantize(CENT)


def get_str(obj, key, where="", required=True, nonempty=False):
    val = _present(obj, key, where, required, nullable=not required)
    if val is None:
        return None
    if not isinstance(val, str):
        raise Invalid(f"{where}{key} must be a string")
    if nonempty and not val.strip():
        raise Invalid(f"{where}{key} must not be empty")
    return val


def get_list(obj, key, where="", required=True, nonempty=True):
    val = _present(obj, key, where, required, nullable=not required)
    if val is None:
        return None
    if not isinstance(val, list):
        raise Invalid(f"{where}{key} must be an array")
    if nonempty and not val:
        raise Invalid(f"{where}{key} must not be empty")
    for i, item in enumerate(val):
        if not isinstance(item, dict):
            raise Invalid(f"{where}{key}[{i}] must be an object")
    return val


# ---------------------------------------------------------------- request validation
def validate_order(body) -> dict:
    if not isinstance(body, dict):
        raise Invalid("request body must be a JSON object")
    out = {}
    out["customerToken"] = get_str(body, "customerToken", nonempty=True)
    ticket_id = get_int(body, "ticketId", rng=INT64)
    if ticket_id <= 0:
        raise Invalid("ticketId must be a positive integer")
    out["ticketId"] = ticket_id
    out["orderAmount"] = get_money(body, "orderAmount")
    out["currency"] = get_int(body, "currency", minimum=0)
    q_time = get_int(body, "qTime", rng=INT64)
    if q_time <= 0:
        raise Invalid("qTime must be a positive epoch time in milliseconds")
    out["qTime"] = q_time
    out["betType"] = get_int(body, "betType", minimum=0)

    options = get_list(body, "optionArray")
    for i, o in enumerate(options):
        w = f"optionArray[{i}]."
        get_int(o, "sportNo", w, minimum=0)
        get_str(o, "tourName", w)
        get_int(o, "macthId", w, rng=INT64)
        get_str(o, "macthName", w)
        get_int(o, "gameType", w)
        get_int(o, "groupType", w)
        get_str(o, "optionId", w, nonempty=True)
        get_str(o, "betOption", w, nonempty=True)
        get_int(o, "insHomeScore", w, required=False, minimum=0)
        get_int(o, "insAwayScore", w, required=False, minimum=0)
        odds_view = get_num(o, "oddsView", w)
        if odds_view == 0:
            # zero is meaningless in every odds format; negative odds exist (American, Malay, Indonesian)
            raise Invalid(f"{w}oddsView must not be 0")
        get_int(o, "oddsFormat", w)
        get_int(o, "betStage", w)
        get_str(o, "betBar", w, required=False)

    bets = get_list(body, "betList")
    total = Decimal(0)
    for i, b in enumerate(bets):
        w = f"betList[{i}]."
        get_int(b, "comboId", w, rng=INT64, nullable=True)   # the sample sends null
        total += get_money(b, "betAmount", w)
        get_int(b, "num", w, minimum=1)
        get_int(b, "cnt", w, minimum=1)
        items = get_list(b, "comboItems", w, required=False, nonempty=False)
        for j, it in enumerate(items or []):
            ww = f"{w}comboItems[{j}]."
            get_int(it, "SubComboId", ww, rng=INT64, required=False)
            ids = _present(it, "OptionIds", ww, required=False)
            if ids is not None:
                if not isinstance(ids, list):
                    raise Invalid(f"{ww}OptionIds must be an array")
                for k in range(len(ids)):
                    get_int({"v": ids[k]}, "v", f"{ww}OptionIds[{k}]", rng=INT64)
        odds = get_num(b, "oddsEuro", w)
        if odds < 1:
            raise Invalid(f"{w}oddsEuro must be at least 1 (decimal odds)")
    if total != out["orderAmount"]:
        raise Invalid(f"orderAmount ({out['orderAmount']}) must equal the sum of betList[].betAmount ({total})")
    return out


def fingerprint(body: dict) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


# ---------------------------------------------------------------- the API
@app.post("/order")
@app.post("/backEnd/Order")
async def order(request: Request):
    ctype = request.headers.get("content-type", "")
    if ctype.split(";")[0].strip().lower() != "application/json":
        return reply(415, "Content-Type must be application/json")
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return reply(400, "request body is not valid JSON")
    try:
        req = validate_order(body)
    except Invalid as e:
        return reply(400, e.msg)

    # Everything below runs without awaiting, so it is atomic in the event loop.
    user_id = BY_TOKEN.get(req["customerToken"])
    if user_id is None:
        return reply(401, "invalid customerToken")
    player = PLAYERS[user_id]

    prior = ORDERS.get(req["ticketId"])
    if prior is not None:
        if prior["userId"] == user_id and prior["fingerprint"] == fingerprint(body):
            return reply(200, "success", prior["response"])   # idempotent replay, no second debit
        return reply(409, "ticketId already used")

    if player["blocked"]:
        return reply(403, "customer is blocked")
    code = ISO_NUMERIC.get(player["currency"])
    if code is not None and req["currency"] != code:
        return reply(400, f"currency {req['currency']} does not match the customer's currency ({code})")
    amount = req["orderAmount"]
    if player["balance"] < amount:
        return reply(402, "insufficient balance")

    player["balance"] -= amount
    now_ms = int(time.time() * 1000)
    data = {
        "amount": float(amount),
        "balance": float(player["balance"]),
        "userId": user_id,
        "ticketId": req["ticketId"],
        "orderTime": now_ms,
    }
    player["orders"].append({
        "ticketId": str(req["ticketId"]),
        "amount": fmt_money(amount),
        "balance_after": fmt_money(player["balance"]),
        "order_time": now_ms,
    })
    player["ledger"].append({
        "entry_id": len(player["ledger"]) + 1,
        "amount": fmt_money(-amount),
        "balance_after": fmt_money(player["balance"]),
        "reason": "order",
        "reference": str(req["ticketId"]),
    })
    ORDERS[req["ticketId"]] = {"userId": user_id, "fingerprint": fingerprint(body), "response": data}
    return reply(200, "success", data)


# ---------------------------------------------------------------- test hook (test deployments only)
PLAYER_PARAMS = {"balance", "currency", "blocked", "min_stake", "max_stake", "session_expired",
                 "session_expired_seconds_ago", "operator"}


def hook_error(msg: str) -> JSONResponse:
    return JSONResponse(status_code=400, content={"error": msg})


def param_decimal(params, key, default):
    v = params.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float, str)):
        raise Invalid(f"param {key} must be a decimal string or number")
    try:
        d = Decimal(str(v).strip()) if isinstance(v, str) else Decimal(repr(v) if isinstance(v, float) else v)
    except InvalidOperation:
        raise Invalid(f"param {key} must be a decimal string or number")
    if not d.is_finite():
        raise Invalid(f"param {key} must be finite")
    return d


def setup_player(params: dict) -> dict:
    unknown = set(params) - PLAYER_PARAMS
    if unknown:
        raise Invalid(f"unknown param(s) {sorted(unknown)} for 'a player exists'; accepted: {sorted(PLAYER_PARAMS)}")
    balance = param_decimal(params, "balance", "1000.00")
    if balance < 0:
        raise Invalid("param balance must not be negative")
    currency = params.get("currency", "EUR")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise Invalid("param currency must be an ISO 4217 code like EUR")
    blocked = params.get("blocked", False)
    if not isinstance(blocked, bool):
        raise Invalid("param blocked must be a boolean")
    min_stake = param_decimal(params, "min_stake", "0.10")
    max_stake = param_decimal(params, "max_stake", "500.00")
    for k in ("session_expired",):
        if k in params and not isinstance(params[k], bool):
            raise Invalid(f"param {k} must be a boolean")
    if "session_expired_seconds_ago" in params:
        v = params["session_expired_seconds_ago"]
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 31536000:
            raise Invalid("param session_expired_seconds_ago must be an integer in 1..31536000")
    if "operator" in params and not isinstance(params["operator"], str):
        raise Invalid("param operator must be a string")

    user_id = "u-" + secrets.token_hex(6)
    token = "ct-" + secrets.token_hex(16)
    PLAYERS[user_id] = {"userId": user_id, "customerToken": token, "balance": balance,
                        "currency": currency, "blocked": blocked, "orders": [], "ledger": []}
    BY_TOKEN[token] = user_id
    answer = {"userId": user_id, "customerToken": token, "balance": fmt_money(balance),
              "currency": currency, "blocked": blocked,
              "min_stake": fmt_money(min_stake), "max_stake": fmt_money(max_stake)}
    if currency in ISO_NUMERIC:
        answer["currency_code"] = ISO_NUMERIC[currency]
    return answer


def snapshot(params: dict) -> dict:
    unknown = set(params) - {"userId"}
    if unknown:
        raise Invalid(f"unknown param(s) {sorted(unknown)} for 'a player snapshot'; accepted: ['userId']")
    uid = params.get("userId")
    if not isinstance(uid, str):
        raise Invalid("param userId (string) is required for 'a player snapshot'")
    p = PLAYERS.get(uid)
    if p is None:
        raise Invalid(f"no player with userId {uid!r}")
    return {"userId": uid, "balance": fmt_money(p["balance"]), "currency": p["currency"],
            "orders": [dict(o) for o in p["orders"]], "ledger": [dict(e) for e in p["ledger"]]}


SUPPORTED = {"a player exists", "a player snapshot"}
KNOWN = SUPPORTED | {"an operator exists", "an event exists", "a jackpot betcard exists"}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request):
    if not HOOK_ENABLED:
        return JSONResponse(status_code=404, content={"error": "not found"})
    try:
        body = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        return hook_error("body must be a JSON object {state, params, action}")
    if not isinstance(body, dict):
        return hook_error("body must be a JSON object {state, params, action}")
    state = body.get("state")
    action = body.get("action", "setup")
    params = body.get("params") or {}
    if action not in ("setup", "teardown"):
        return hook_error(f"unknown action {action!r}; accepted: setup, teardown")
    if not isinstance(params, dict):
        return hook_error("params must be an object")
    if state not in SUPPORTED:
        if state in KNOWN:
            return hook_error(f"provider state {state!r} is not supported by this target; "
                              f"supported: {sorted(SUPPORTED)}")
        return hook_error(f"unknown provider state {state!r}; supported: {sorted(SUPPORTED)}")
    try:
        if action == "teardown":
            if state == "a player exists":
                uid = params.get("userId")
                p = PLAYERS.pop(uid, None) if isinstance(uid, str) else None
                if p is not None:
                    BY_TOKEN.pop(p["customerToken"], None)
            return JSONResponse(status_code=200, content={})
        if state == "a player exists":
            return JSONResponse(status_code=200, content=setup_player(params))
        return JSONResponse(status_code=200, content=snapshot(params))
    except Invalid as e:
        return hook_error(e.msg)
