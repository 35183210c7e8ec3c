"""Bet placement (seed 004): the operator's POST /bet, plus the orderproof provider-state hook.

Single-file FastAPI service, state in memory. See DECISIONS.md for every open point.
"""
from __future__ import annotations

import decimal
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Optional

from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

app = FastAPI(title="bet-placement (independent implementation #3)")

# --------------------------------------------------------------------------------------------
# configuration and state
# --------------------------------------------------------------------------------------------

API_KEY = os.environ.get("BET_API_KEY") or ("bp3-" + secrets.token_urlsafe(24))
HOOK_ENABLED = os.environ.get("ORDERPROOF_HOOK", "1") != "0"
SESSION_LIFETIME_S = 60 * 60          # fixed lifetime, not sliding
IDEMPOTENCY_TTL_S = 72 * 60 * 60      # stored answers are replayed for 72 hours
MAX_INT_DIGITS = 16                   # stake / decimalPrice must be < 10^16
MAX_FRACTION_DIGITS = 18              # and have at most 18 decimal places

CTX = decimal.Context(prec=80, rounding=ROUND_HALF_UP, Emax=999999, Emin=-999999,
                      traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow])

LOCK = threading.RLock()
OPERATORS: dict[str, dict] = {}
PLAYERS: dict[str, dict] = {}         # userId -> player
EVENTS: dict[int, dict] = {}
BETCARDS: dict[str, dict] = {}
BET_IDS: set[str] = set()             # every stored betId (globally unique)
IDEMPOTENCY: dict[str, dict] = {}     # key (lower-case UUID) -> {fingerprint, status, body, at}
COUNTERS = {"user": 0, "event": 100000, "market": 5000, "selection": 100, "ledger": 0,
            "operator": 0, "betcard": 0}

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DIGITS_RE = re.compile(r"^[0-9]+$")
DECIMAL_STR_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
STAGES = ("IN_PLAY", "PRE_PLAY")

# BetDetails: (name, required, kind). kind "id": non-empty string; "text": any string.
BET_FIELDS = [
    ("betId", True, "id"),
    ("sportId", True, "id"),
    ("sportName", True, "text"),
    ("sportDisplayName", True, "text"),
    ("eventId", True, "id"),
    ("eventAltId", False, "alt"),
    ("eventName", True, "text"),
    ("eventDisplayName", True, "text"),
    ("eventStage", True, "stage"),
    ("competitionId", True, "id"),
    ("competitionName", True, "text"),
    ("competitionDisplayName", True, "text"),
    ("marketTypeId", True, "id"),
    ("marketId", True, "id"),
    ("marketName", True, "text"),
    ("marketDisplayName", True, "text"),
    ("marketStage", True, "stage"),
    ("selectionId", True, "id"),
    ("selectionName", True, "text"),
    ("selectionDisplayName", True, "text"),
    ("decimalPrice", True, "price"),
    ("stake", True, "stake"),
]
TOP_FIELDS = ("requestId", "userId", "sessionToken", "timestamp", "bets")


def _next(name: str) -> int:
    COUNTERS[name] += 1
    return COUNTERS[name]


# --------------------------------------------------------------------------------------------
# JSON: numbers parsed as exact Decimals, written back with their exact digits
# --------------------------------------------------------------------------------------------

class BadJson(ValueError):
    pass


def _reject_constant(name: str) -> Any:
    raise BadJson(f"{name} is not a JSON number")


def parse_json(raw: bytes) -> Any:
    text = raw.decode("utf-8")
    return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_reject_constant)


def dumps(obj: Any, sort_keys: bool = False) -> str:
    if obj is None:
        return "null"
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if isinstance(obj, Decimal):
        return str(obj)           # exact digits as received / computed (valid JSON number)
    if isinstance(obj, int):
        return str(obj)
    if isinstance(obj, float):
        return repr(obj)
    if isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=False)
    if isinstance(obj, dict):
        items = sorted(obj.items()) if sort_keys else obj.items()
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + dumps(v, sort_keys)
                              for k, v in items) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(dumps(v, sort_keys) for v in obj) + "]"
    raise TypeError(f"cannot serialise {type(obj).__name__}")


def json_response(status: int, body: Any, headers: Optional[dict] = None) -> Response:
    return Response(content=dumps(body).encode("utf-8"), status_code=status,
                    media_type="application/json", headers=headers)


def dec_str(d: Decimal) -> str:
    """A plain decimal string (no exponent)."""
    s = format(d, "f")
    return "0" if s in ("-0", "") else s


def money_str(d: Decimal) -> str:
    """A decimal string with at least two decimals, exact."""
    if d.as_tuple().exponent > -2:
        d = d.quantize(Decimal("0.01"), context=CTX)
    return dec_str(d)


# --------------------------------------------------------------------------------------------
# bet placement
# --------------------------------------------------------------------------------------------

class Refusal(Exception):
    def __init__(self, http: int, code: str, message: str, failed_bets: Optional[list] = None):
        super().__init__(message)
        self.http, self.code, self.message, self.failed_bets = http, code, message, failed_bets

    def body(self) -> dict:
        b = {"status": "FAILURE", "errorCode": self.code, "errorMessage": self.message}
        if self.failed_bets is not None:
            b["failedBets"] = self.failed_bets
        return b


def _failure(http: int, code: str, message: str) -> Response:
    return json_response(http, Refusal(http, code, message).body())


def _is_num(v: Any) -> bool:
    return isinstance(v, Decimal) and v.is_finite()


def _failed_bet(bet: dict, reason: dict) -> dict:
    return {"betId": bet["betId"], "sportId": bet["sportId"], "eventId": bet["eventId"],
            "marketId": bet["marketId"], "selectionId": bet["selectionId"], "reason": reason}


def _fingerprint(raw: bytes, parsed: Any) -> str:
    if isinstance(parsed, dict):
        material = dumps({k: v for k, v in parsed.items() if k != "timestamp"}, sort_keys=True)
        return "json:" + hashlib.sha256(material.encode("utf-8")).hexdigest()
    return "raw:" + hashlib.sha256(raw).hexdigest()


def _validate_bet(i: int, bet: Any) -> list[str]:
    """Problems of one bet (empty list when valid)."""
    if not isinstance(bet, dict):
        return [f"bets[{i}] is not an object"]
    problems = []
    for name, required, kind in BET_FIELDS:
        if name not in bet or bet[name] is None:
            if required:
                problems.append(f"bets[{i}].{name} is missing")
            continue
        v = bet[name]
        if kind in ("id", "text", "alt", "stage") and not isinstance(v, str):
            problems.append(f"bets[{i}].{name} must be a string")
        elif kind == "id" and not v.strip():
            problems.append(f"bets[{i}].{name} must not be empty")
        elif kind == "stage" and v not in STAGES:
            problems.append(f"bets[{i}].{name} must be IN_PLAY or PRE_PLAY")
        elif kind in ("price", "stake"):
            if not _is_num(v):
                problems.append(f"bets[{i}].{name} must be a JSON number")
            elif v.adjusted() >= MAX_INT_DIGITS or v.as_tuple().exponent < -MAX_FRACTION_DIGITS:
                problems.append(f"bets[{i}].{name} is out of range")
            elif kind == "price" and v < 1:
                problems.append(f"bets[{i}].decimalPrice must be at least 1")
            elif kind == "stake" and v < 0:
                problems.append(f"bets[{i}].stake must not be negative")
    return problems


def place(body: Any) -> tuple[int, dict]:
    """Every check, then the all-or-nothing write. Raises Refusal."""
    if not isinstance(body, dict):
        raise Refusal(400, "MISSING_PARAMETER", "the body must be a JSON object carrying "
                      + ", ".join(TOP_FIELDS))
    missing = [f for f in TOP_FIELDS if body.get(f) is None
               or (f == "bets" and isinstance(body.get(f), list) and not body.get(f))]
    if missing:
        raise Refusal(400, "MISSING_PARAMETER", "missing required parameter(s): " + ", ".join(missing))

    user_id, token = body["userId"], body["sessionToken"]
    request_id, ts, bets = body["requestId"], body["timestamp"], body["bets"]
    if not isinstance(user_id, str) or not user_id.strip():
        raise Refusal(400, "INVALID_USER", "userId must be a non-empty string")
    if not isinstance(token, str) or not token.strip():
        raise Refusal(401, "INVALID_SESSION", "sessionToken must be a non-empty string")
    if not isinstance(request_id, str) or not request_id.strip():
        raise Refusal(400, "MISSING_PARAMETER", "requestId must be a non-empty string")
    if not isinstance(ts, str) or not DIGITS_RE.match(ts):
        raise Refusal(400, "MISSING_PARAMETER", "timestamp must be an epoch string of digits")

    # session lookup by userId and sessionToken
    player = PLAYERS.get(user_id)
    now = time.time()
    if player is None:
        raise Refusal(401, "INVALID_SESSION", "no session for this userId and sessionToken")
    session = player["sessions"].get(token)
    if session is None:
        raise Refusal(401, "INVALID_SESSION", "no session for this userId and sessionToken")
    if session["expires_at"] <= now:
        raise Refusal(401, "INVALID_SESSION", "the session has expired")

    # bet details
    if not isinstance(bets, list):
        raise Refusal(400, "INVALID_BET_DETAILS", "bets must be an array of BetDetails")
    problems: list[str] = []
    for i, bet in enumerate(bets):
        problems.extend(_validate_bet(i, bet))
    if problems:
        raise Refusal(400, "INVALID_BET_DETAILS", "; ".join(problems[:20]))
    seen: set[str] = set()
    dups = []
    for bet in bets:
        if bet["betId"] in seen or bet["betId"] in BET_IDS:
            dups.append(_failed_bet(bet, {}))
        seen.add(bet["betId"])
    if dups:
        raise Refusal(400, "INVALID_BET_DETAILS",
                      "betId repeated in the betslip or already placed", dups)

    # balance
    total = sum((b["stake"] for b in bets), Decimal(0))
    if total > player["balance"]:
        raise Refusal(400, "INSUFFICIENT_FUNDS",
                      f"total stake {dec_str(total)} exceeds the balance")

    # regulatory restrictions
    if player["blocked"]:
        raise Refusal(400, "USER_BLOCKED", "the user is blocked from betting")
    breaches = []
    for bet in bets:
        if bet["stake"] < player["min_stake"] or bet["stake"] == 0:
            breaches.append(_failed_bet(bet, {"minStake": player["min_stake"]}))
        elif bet["stake"] > player["max_stake"]:
            breaches.append(_failed_bet(bet, {"maxStake": player["max_stake"]}))
    if breaches:
        raise Refusal(400, "INVALID_STAKE", "stake outside the allowed limits", breaches)

    # all checks passed: write everything
    placed_at = int(now * 1000)
    balance = player["balance"]
    for bet in bets:
        payout = CTX.multiply(bet["stake"], bet["decimalPrice"]).quantize(Decimal("0.01"), context=CTX)
        balance = CTX.subtract(balance, bet["stake"])
        player["bets"].append({
            "betId": bet["betId"], "requestId": request_id,
            "eventId": bet["eventId"], "marketId": bet["marketId"], "selectionId": bet["selectionId"],
            "stake": bet["stake"], "decimalPrice": bet["decimalPrice"], "potentialPayout": payout,
            "status": "open", "placedAt": placed_at, "details": bet,
        })
        player["ledger"].append({"entry_id": _next("ledger"), "amount": -bet["stake"],
                                 "balance_after": balance, "reason": "bet", "reference": bet["betId"]})
        BET_IDS.add(bet["betId"])
    player["balance"] = balance

    return 200, {
        "requestId": request_id,
        "userId": user_id,
        "sessionToken": token,
        "timestamp": str(int(time.time() * 1000)),
        "status": "PLACED",
        "bets": bets,
    }


@app.post("/bet")
async def bet_endpoint(request: Request) -> Response:
    try:
        raw = await request.body()
        # credentials
        key = request.headers.get("x-api-key")
        if key is None or not hmac.compare_digest(key.encode("utf-8"), API_KEY.encode("utf-8")):
            return _failure(403, "AUTHENTICATION_FAILED", "missing or wrong X-API-Key")
        # idempotency key
        ikey = request.headers.get("x-idempotency-key")
        if ikey is None or not ikey.strip():
            return _failure(400, "MISSING_PARAMETER", "header X-Idempotency-Key is required")
        ikey = ikey.strip()
        if not UUID_RE.match(ikey):
            return _failure(400, "MISSING_PARAMETER", "header X-Idempotency-Key must be a UUID string")
        ikey = ikey.lower()

        try:
            parsed: Any = parse_json(raw)
            parse_error = None
        except (ValueError, UnicodeDecodeError) as exc:
            parsed, parse_error = None, exc
        fp = _fingerprint(raw, parsed if parse_error is None else None)

        with LOCK:
            now = time.time()
            for k in [k for k, v in IDEMPOTENCY.items() if now - v["at"] > IDEMPOTENCY_TTL_S]:
                del IDEMPOTENCY[k]
            stored = IDEMPOTENCY.get(ikey)
            if stored is not None:
                if stored["fingerprint"] != fp:
                    return _failure(422, "IDEMPOTENCY_KEY_REUSED",
                                    "X-Idempotency-Key was already used with a different request")
                return Response(content=stored["body"], status_code=stored["status"],
                                media_type="application/json",
                                headers={"X-Idempotent-Replay": "true"})
            if parse_error is not None:
                status, body = 400, Refusal(400, "INVALID_BET_DETAILS",
                                            "the betslip is not valid JSON").body()
            else:
                try:
                    status, body = place(parsed)
                except Refusal as r:
                    status, body = r.http, r.body()
            content = dumps(body).encode("utf-8")
            if status < 500:
                IDEMPOTENCY[ikey] = {"fingerprint": fp, "status": status, "body": content, "at": now}
        return Response(content=content, status_code=status, media_type="application/json")
    except Exception as exc:  # never stored: a retry with the same key is processed as new
        return _failure(500, "GENERAL_EXCEPTION", f"unexpected error: {type(exc).__name__}")


# --------------------------------------------------------------------------------------------
# framework errors in the API's own error shape
# --------------------------------------------------------------------------------------------

@app.exception_handler(StarletteHTTPException)
async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}
    return json_response(exc.status_code, {
        "status": "FAILURE", "errorCode": codes.get(exc.status_code, "HTTP_ERROR"),
        "errorMessage": str(exc.detail)}, headers=getattr(exc, "headers", None))


# --------------------------------------------------------------------------------------------
# provider-state hook (test deployments only)
# --------------------------------------------------------------------------------------------

class HookError(Exception):
    pass


def _h_decimal(params: dict, name: str, default: str, minimum: Optional[Decimal] = None) -> Decimal:
    v = params.get(name, default)
    if isinstance(v, bool) or v is None:
        raise HookError(f"param '{name}' must be a decimal string or number")
    if isinstance(v, str):
        if not DECIMAL_STR_RE.match(v):
            raise HookError(f"param '{name}' must be a decimal string like '10.00'")
        d = Decimal(v)
    elif isinstance(v, Decimal) and v.is_finite():
        d = v
    else:
        raise HookError(f"param '{name}' must be a decimal string or number")
    if minimum is not None and d < minimum:
        raise HookError(f"param '{name}' must be at least {minimum}")
    return d


def _h_bool(params: dict, name: str, default: bool) -> bool:
    v = params.get(name, default)
    if not isinstance(v, bool):
        raise HookError(f"param '{name}' must be a boolean")
    return v


def _h_int(params: dict, name: str, default: int, lo: int, hi: Optional[int] = None) -> int:
    v = params.get(name, default)
    if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, Decimal) and v.is_finite()
                                                          and v == v.to_integral_value())):
        raise HookError(f"param '{name}' must be an integer")
    v = int(v)
    if v < lo or (hi is not None and v > hi):
        raise HookError(f"param '{name}' must be between {lo} and {hi}")
    return v


def _check_params(params: dict, allowed: tuple) -> None:
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise HookError(f"unknown param(s) {unknown}; accepted: {list(allowed)}")


def _operator_answer(op: dict) -> dict:
    return {"name": op["name"], "secret": op["secret"], "timezone_offset": op["timezone_offset"],
            "webhook_url": op["webhook_url"], "ext": dec_str(op["ext"]), "wht": dec_str(op["wht"])}


def _create_operator(params: dict) -> dict:
    _check_params(params, ("name", "secret", "timezone_offset", "webhook_url", "ext", "wht"))
    name = params.get("name")
    if name is None:
        name = f"op-{_next('operator')}-{secrets.token_hex(3)}"
    if not isinstance(name, str) or not name:
        raise HookError("param 'name' must be a non-empty string")
    secret = params.get("secret") or secrets.token_urlsafe(24)
    if not isinstance(secret, str):
        raise HookError("param 'secret' must be a string")
    tz = params.get("timezone_offset", "+02:00")
    if not isinstance(tz, str) or not re.match(r"^[+-][0-9]{2}:[0-9]{2}$", tz):
        raise HookError("param 'timezone_offset' must look like +02:00")
    webhook = params.get("webhook_url", "http://127.0.0.1/webhook")
    if webhook is not None and not isinstance(webhook, str):
        raise HookError("param 'webhook_url' must be a string or null")
    op = {"name": name, "secret": secret, "timezone_offset": tz, "webhook_url": webhook,
          "ext": _h_decimal(params, "ext", "12.5", Decimal(0)),
          "wht": _h_decimal(params, "wht", "20.0", Decimal(0))}
    OPERATORS[name] = op
    return op


def _create_player(params: dict) -> dict:
    _check_params(params, ("balance", "currency", "blocked", "min_stake", "max_stake",
                           "session_expired", "session_expired_seconds_ago", "operator"))
    balance = _h_decimal(params, "balance", "1000.00", Decimal(0))
    currency = params.get("currency", "EUR")
    if not isinstance(currency, str) or not re.match(r"^[A-Z]{3}$", currency):
        raise HookError("param 'currency' must be an ISO 4217 code like EUR")
    blocked = _h_bool(params, "blocked", False)
    min_stake = _h_decimal(params, "min_stake", "0.10", Decimal(0))
    max_stake = _h_decimal(params, "max_stake", "500.00", Decimal(0))
    if max_stake < min_stake:
        raise HookError("param 'max_stake' must not be below 'min_stake'")
    expired = _h_bool(params, "session_expired", False)
    ago = _h_int(params, "session_expired_seconds_ago", 60, 1, 31536000)
    op_name = params.get("operator")
    if op_name is None:
        op = _create_operator({})
    elif not isinstance(op_name, str) or not op_name:
        raise HookError("param 'operator' must be an operator name")
    else:
        op = OPERATORS.get(op_name) or _create_operator({"name": op_name})

    n = _next("user")
    user_id = f"user-{n}-{secrets.token_hex(4)}"
    token = secrets.token_urlsafe(18)
    now = time.time()
    expires = now - ago if expired else now + SESSION_LIFETIME_S
    player = {
        "userId": user_id, "balance": balance, "currency": currency, "blocked": blocked,
        "min_stake": min_stake, "max_stake": max_stake, "operator": op["name"],
        "sessions": {token: {"expires_at": expires}}, "bets": [], "ledger": [],
        "token": "tok-" + secrets.token_hex(8), "customerToken": "cust-" + secrets.token_hex(8),
        "memberid": str(70000 + n),
    }
    PLAYERS[user_id] = player
    return {
        "userId": user_id, "sessionToken": token, "token": player["token"],
        "customerToken": player["customerToken"], "memberid": player["memberid"],
        "balance": money_str(balance), "currency": currency, "blocked": blocked,
        "min_stake": money_str(min_stake), "max_stake": money_str(max_stake),
        "apiKey": API_KEY, "operator": _operator_answer(op),
    }


def _create_event(params: dict) -> dict:
    _check_params(params, ("started", "markets"))
    started = _h_bool(params, "started", False)
    markets = params.get("markets", [{"code": "1X2", "allowed": True,
                                      "prices": ["1.85", "3.40", "4.20"]}])
    if not isinstance(markets, list) or not markets:
        raise HookError("param 'markets' must be a non-empty array")
    out_markets = []
    for m in markets:
        if not isinstance(m, dict):
            raise HookError("each market must be an object")
        _check_params(m, ("code", "allowed", "prices"))
        code = m.get("code")
        if not isinstance(code, str) or not code:
            raise HookError("market 'code' is required (a string)")
        allowed = _h_bool(m, "allowed", True)
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or not prices:
            raise HookError("market 'prices' must be a non-empty array")
        sels = []
        for j, p in enumerate(prices):
            d = _h_decimal({"price": p}, "price", "1", Decimal(1))
            sels.append({"bet_id": _next("selection"), "name": str(j + 1), "decimal_price": dec_str(d)})
        out_markets.append({"market_id": _next("market"), "code": code, "allowed": allowed,
                            "selections": sels})
    ev = {"event_id": _next("event"), "name": "Home v Away", "started": started,
          "markets": out_markets}
    EVENTS[ev["event_id"]] = ev
    return ev


def _create_betcard(params: dict) -> dict:
    _check_params(params, ("events", "prize", "bonus_prizes"))
    n = _h_int(params, "events", 3, 1, 100)
    prize = _h_int(params, "prize", 1000000, 0)
    bonus = params.get("bonus_prizes", [10000, 5000])
    if not isinstance(bonus, list):
        raise HookError("param 'bonus_prizes' must be an array of cents")
    bonus = [_h_int({"b": b}, "b", 0, 0) for b in bonus]
    events = [_create_event({}) for _ in range(n)]
    code = f"JP-{_next('betcard')}-{secrets.token_hex(2)}"
    card = {"betcard_code": code, "prize": prize, "bonus_prizes": bonus, "events": events}
    BETCARDS[code] = card
    return card


def _snapshot(params: dict) -> dict:
    _check_params(params, ("userId",))
    user_id = params.get("userId")
    if not isinstance(user_id, str):
        raise HookError("param 'userId' is required (a string)")
    p = PLAYERS.get(user_id)
    if p is None:
        raise HookError(f"unknown userId '{user_id}'")
    return {
        "userId": user_id, "balance": money_str(p["balance"]), "currency": p["currency"],
        "bets": [{"betId": b["betId"], "requestId": b["requestId"], "eventId": b["eventId"],
                  "marketId": b["marketId"], "selectionId": b["selectionId"],
                  "stake": dec_str(b["stake"]), "decimalPrice": dec_str(b["decimalPrice"]),
                  "potentialPayout": dec_str(b["potentialPayout"]), "status": b["status"]}
                 for b in p["bets"]],
        "orders": [], "tickets": [], "travel_orders": [],
        "ledger": [{"entry_id": e["entry_id"], "amount": dec_str(e["amount"]),
                    "balance_after": dec_str(e["balance_after"]), "reason": e["reason"],
                    "reference": e["reference"]} for e in p["ledger"]],
    }


STATES = {
    "an operator exists": lambda p: _operator_answer(_create_operator(p)),
    "a player exists": _create_player,
    "an event exists": _create_event,
    "a jackpot betcard exists": _create_betcard,
    "a player snapshot": _snapshot,
}


def _teardown(state: str, params: dict) -> dict:
    if state == "a player exists" and isinstance(params.get("userId"), str):
        p = PLAYERS.pop(params["userId"], None)
        if p:
            for b in p["bets"]:
                BET_IDS.discard(b["betId"])
    elif state == "an operator exists" and isinstance(params.get("name"), str):
        OPERATORS.pop(params["name"], None)
    return {}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request) -> Response:
    if not HOOK_ENABLED:
        return Response(status_code=404)
    try:
        req = parse_json(await request.body())
    except (ValueError, UnicodeDecodeError):
        return json_response(400, {"error": "the body must be a JSON object"})
    if not isinstance(req, dict):
        return json_response(400, {"error": "the body must be a JSON object"})
    state = req.get("state")
    action = req.get("action", "setup")
    params = req.get("params", {})
    if params is None:
        params = {}
    if state not in STATES:
        return json_response(400, {"error": f"unknown provider state {state!r}; accepted: "
                                            f"{sorted(STATES)}"})
    if action not in ("setup", "teardown"):
        return json_response(400, {"error": f"unknown action {action!r}; accepted: setup, teardown"})
    if not isinstance(params, dict):
        return json_response(400, {"error": "params must be an object"})
    try:
        with LOCK:
            if action == "teardown":
                return json_response(200, _teardown(state, params))
            return json_response(200, STATES[state](params))
    except HookError as exc:
        return json_response(400, {"error": str(exc)})
