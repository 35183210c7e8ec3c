"""Independent implementation of the jackpot ticket endpoint: POST /be/tickets.

State lives in memory (one process). See DECISIONS.md for every open point of the source
document and how it was decided here.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import List, Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

app = FastAPI(title="Jackpot ticket engine (independent implementation)")

LOCK = threading.RLock()
TIMESTAMP_WINDOW_SECONDS = 300
INT64_MAX = 2**63 - 1

# ---------------------------------------------------------------------------------------------
# In-memory state
# ---------------------------------------------------------------------------------------------
OPERATORS: dict[str, dict] = {}     # name -> operator
PLAYERS: dict[str, dict] = {}       # user_id -> player
TOKENS: dict[str, str] = {}         # ticket-engine token -> user_id
EVENTS: dict[int, dict] = {}        # event_id -> event
BETS: dict[int, tuple[int, int]] = {}  # bet_id -> (event_id, market_id)
BETCARDS: dict[str, dict] = {}      # betcard_code -> betcard
TICKETS: dict[str, dict] = {}       # ticket id -> stored ticket
COUNTERS = {"event": 100000, "market": 5000, "bet": 100, "ledger": 0}


def _next(kind: str) -> int:
    COUNTERS[kind] += 1
    return COUNTERS[kind]


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def _half_up(value: Decimal, exp: str = "1") -> Decimal:
    return value.quantize(Decimal(exp), rounding=ROUND_HALF_UP)


def _cents_to_major(cents: int) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def _fmt_dt(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _parse_offset(offset: str) -> timedelta:
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = offset[1:].split(":")
    return sign * timedelta(hours=int(hours), minutes=int(minutes))


def business_error(code: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=400, content={"code": code, "message": message})


def forbidden(message: str) -> JSONResponse:
    return JSONResponse(status_code=403, content={"detail": message})


# Error codes of this implementation (the document announces "see Error codes" but lists none).
E_INVALID_TOKEN = 101
E_PLAYER_BLOCKED = 102
E_CURRENCY = 103
E_BETCARD_NOT_FOUND = 104
E_EVENTS_MISMATCH = 105
E_BET_NOT_FOUND = 106
E_EVENT_STARTED = 107
E_MARKET_NOT_ALLOWED = 108
E_ODDS_CHANGED = 109
E_PRIZE_MISMATCH = 110
E_PRICE_TOO_LOW = 111
E_PAM_UNAVAILABLE = 112
E_INSUFFICIENT_FUNDS = 113


# ---------------------------------------------------------------------------------------------
# Request / response models
# ---------------------------------------------------------------------------------------------
Number = StrictFloat  # accepts JSON integers and floats, rejects strings and booleans


class TicketEvent(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)
    id: StrictInt = Field(ge=1, le=INT64_MAX)
    bet: StrictInt = Field(ge=1, le=INT64_MAX)
    odds: Number = Field(ge=1.0)


class TicketRequest(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)
    operator: StrictStr = Field(min_length=1)
    token: StrictStr = Field(min_length=1)
    price: StrictInt = Field(gt=0, le=INT64_MAX)
    currency: StrictStr = Field(pattern=r"^[A-Z]{3}$")
    atag: Optional[StrictStr] = None
    source: StrictStr = Field(min_length=1)
    type: StrictStr = Field(pattern=r"^jackpot$")
    odds_diff: Number = Field(ge=0)
    events: List[TicketEvent] = Field(min_length=1)
    betcard_code: StrictStr = Field(min_length=1)
    prize: StrictInt = Field(ge=0, le=INT64_MAX)
    bonus_prizes: List[StrictInt]


@app.exception_handler(RequestValidationError)
async def _validation_handler(request: Request, exc: RequestValidationError):
    return JSONResponse(status_code=422, content={"detail": _jsonable_errors(exc.errors())})


def _jsonable_errors(errors) -> list:
    out = []
    for e in errors:
        item = {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
        out.append(item)
    return out


# ---------------------------------------------------------------------------------------------
# Authentication: timestamp + operator-name + HMAC-SHA256 signature
# ---------------------------------------------------------------------------------------------
def _check_auth(request: Request, raw: bytes) -> tuple[Optional[dict], Optional[JSONResponse]]:
    ts = request.headers.get("timestamp")
    name = request.headers.get("operator-name")
    sig = request.headers.get("signature")
    if not ts or not name or not sig:
        return None, forbidden("Missing authentication headers (timestamp, operator-name, signature)")
    try:
        ts_int = int(ts.strip())
    except ValueError:
        return None, forbidden("Invalid timestamp")
    if abs(time.time() - ts_int) > TIMESTAMP_WINDOW_SECONDS:
        return None, forbidden("Timestamp outside the accepted window")
    operator = OPERATORS.get(name)
    if operator is None:
        return None, forbidden("Unknown operator")
    key = operator["secret"].encode()
    candidates = {raw.replace(b" ", b"")}
    candidates.add(b"".join(raw.split()))  # also tolerate clients that strip all whitespace
    sig_l = sig.strip().lower()
    for body in candidates:
        expected = hmac.new(key, ts.strip().encode() + body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, sig_l):
            return operator, None
    return None, forbidden("Invalid signature")


# ---------------------------------------------------------------------------------------------
# POST /be/tickets
# ---------------------------------------------------------------------------------------------
@app.post("/be/tickets")
async def create_ticket(request: Request):
    raw = await request.body()
    with LOCK:
        operator, err = _check_auth(request, raw)
        if err is not None:
            return err
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            return JSONResponse(status_code=422, content={"detail": [
                {"loc": ["body"], "msg": "Request body is not valid JSON", "type": "json_invalid"}]})
        try:
            req = TicketRequest.model_validate(payload)
        except ValidationError as exc:
            errs = []
            for e in exc.errors():
                errs.append({"loc": ["body", *e.get("loc", ())], "msg": e.get("msg"), "type": e.get("type")})
            return JSONResponse(status_code=422, content={"detail": errs})
        if req.operator != operator["name"]:
            return forbidden("Operator in body does not match the operator-name header")
        return _create_ticket(operator, req)


def _create_ticket(operator: dict, req: TicketRequest) -> JSONResponse:
    user_id = TOKENS.get(req.token)
    player = PLAYERS.get(user_id) if user_id else None
    if player is None or player["operator"] != operator["name"]:
        return business_error(E_INVALID_TOKEN, "Invalid player token")
    if player["blocked"]:
        return business_error(E_PLAYER_BLOCKED, "Player is blocked")
    if req.currency != player["currency"]:
        return business_error(E_CURRENCY, "Currency does not match the player's currency")
    betcard = BETCARDS.get(req.betcard_code)
    if betcard is None:
        return business_error(E_BETCARD_NOT_FOUND, "Betcard not found")
    submitted_ids = [e.id for e in req.events]
    if len(set(submitted_ids)) != len(submitted_ids) or set(submitted_ids) != set(betcard["event_ids"]):
        return business_error(E_EVENTS_MISMATCH,
                              "Events must contain every event of the betcard exactly once")
    current_odds: list[Decimal] = []
    for ev in req.events:
        event = EVENTS[ev.id]
        loc = BETS.get(ev.bet)
        if loc is None or loc[0] != ev.id:
            return business_error(E_BET_NOT_FOUND, f"Bet {ev.bet} not found for event {ev.id}")
        if event["started"]:
            return business_error(E_EVENT_STARTED, f"Event {ev.id} has already started")
        market = event["markets_by_id"][loc[1]]
        if not market["allowed"]:
            return business_error(E_MARKET_NOT_ALLOWED, f"Market {market['code']} is not allowed")
        current = market["prices_by_bet"][ev.bet]
        submitted = Decimal(repr(ev.odds))
        if abs(current - submitted) > Decimal(repr(req.odds_diff)):
            return business_error(E_ODDS_CHANGED, "Ticket odds changed")
        current_odds.append(current)
    if req.prize != betcard["prize"] or list(req.bonus_prizes) != list(betcard["bonus_prizes"]):
        return business_error(E_PRIZE_MISMATCH, "Prize or bonus prizes do not match the betcard")

    ext_pct = operator["ext"]
    wht_pct = operator["wht"]
    price = req.price
    ext_amount = int(_half_up(Decimal(price) * ext_pct / 100))
    stake = price - ext_amount
    if stake <= 0:
        return business_error(E_PRICE_TOO_LOW, "Price too low")
    if operator["webhook_url"] is None:
        return business_error(E_PAM_UNAVAILABLE, "Operator PAM is not configured")
    if player["balance"] < price:
        return business_error(E_INSUFFICIENT_FUNDS, "Insufficient funds")

    gross_payout = betcard["prize"]
    winnings = max(gross_payout - stake, 0)
    wht_amount = int(_half_up(Decimal(winnings) * wht_pct / 100))
    net_payout = gross_payout - wht_amount

    odds_product = Decimal(1)
    for o in current_odds:
        odds_product *= o
    odds_product = _half_up(odds_product, "0.01")

    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op_now = now + _parse_offset(operator["timezone_offset"])
    ticket_id = str(uuid.uuid4())
    ticket = {
        "id": ticket_id,
        "code": "JP" + secrets.token_hex(5).upper(),
        "price": price,
        "stake": stake,
        "currency": req.currency,
        "gross_payout": gross_payout,
        "net_payout": net_payout,
        "wht_amount": wht_amount,
        "wht": float(wht_pct),
        "ext_amount": ext_amount,
        "ext": float(ext_pct),
        "ext_type": "price",
        "status": "open",
        "result": "pending",
        "approved": True,
        "source": req.source,
        "type": "jackpot",
        "atag": req.atag if req.atag is not None else "",
        "user_id": player["user_id"],
        "created": _fmt_dt(now),
        "operator_time_created": _fmt_dt(op_now),
        "updated": _fmt_dt(now),
        "operator_time_updated": _fmt_dt(op_now),
        "odds": float(odds_product),
        "betcard_code": betcard["code"],
        "prize": betcard["prize"],
        "bonus_prizes": list(betcard["bonus_prizes"]),
    }
    player["balance"] -= price
    player["ledger"].append({
        "entry_id": _next("ledger"),
        "amount": "-" + _cents_to_major(price),
        "balance_after": _cents_to_major(player["balance"]),
        "reason": "jackpot_ticket",
        "reference": ticket_id,
    })
    TICKETS[ticket_id] = {**ticket, "operator": operator["name"],
                          "events": [e.model_dump() for e in req.events]}
    player["tickets"].append(ticket_id)
    return JSONResponse(status_code=200, content=ticket)


# ---------------------------------------------------------------------------------------------
# Test hook: POST /_orderproof/provider-states (test deployments only)
# ---------------------------------------------------------------------------------------------
class HookError(Exception):
    def __init__(self, message: str):
        self.message = message


STATE_PARAMS = {
    "an operator exists": {"name", "secret", "timezone_offset", "webhook_url", "ext", "wht"},
    "a player exists": {"balance", "currency", "blocked", "min_stake", "max_stake",
                        "session_expired", "session_expired_seconds_ago", "operator"},
    "an event exists": {"started", "markets"},
    "a jackpot betcard exists": {"events", "prize", "bonus_prizes"},
    "a player snapshot": {"userId"},
}


def _decimal_param(params: dict, key: str, default: str) -> Decimal:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise HookError(f"param '{key}' must be a decimal string or number")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise HookError(f"param '{key}' must be a decimal string or number")
    if not d.is_finite():
        raise HookError(f"param '{key}' must be finite")
    return d


def _bool_param(params: dict, key: str, default: bool) -> bool:
    value = params.get(key, default)
    if not isinstance(value, bool):
        raise HookError(f"param '{key}' must be a boolean")
    return value


def _operator_answer(op: dict) -> dict:
    return {"name": op["name"], "secret": op["secret"], "timezone_offset": op["timezone_offset"],
            "webhook_url": op["webhook_url"], "ext": str(op["ext"]), "wht": str(op["wht"])}


def _setup_operator(params: dict) -> dict:
    import re
    name = params.get("name") or f"op-{secrets.token_hex(4)}"
    secret = params.get("secret") or secrets.token_urlsafe(24)
    if not isinstance(name, str) or not isinstance(secret, str):
        raise HookError("params 'name' and 'secret' must be strings")
    tz = params.get("timezone_offset", "+02:00")
    if not isinstance(tz, str) or not re.fullmatch(r"[+-][0-9]{2}:[0-9]{2}", tz):
        raise HookError("param 'timezone_offset' must look like +02:00")
    webhook = params.get("webhook_url", "http://127.0.0.1/webhook")
    if webhook is not None and not isinstance(webhook, str):
        raise HookError("param 'webhook_url' must be a string or null")
    ext = _decimal_param(params, "ext", "12.5")
    wht = _decimal_param(params, "wht", "20.0")
    if ext < 0 or ext >= 100 or wht < 0 or wht > 100:
        raise HookError("params 'ext' and 'wht' must be percentages")
    op = {"name": name, "secret": secret, "timezone_offset": tz, "webhook_url": webhook,
          "ext": ext, "wht": wht}
    OPERATORS[name] = op
    return _operator_answer(op)


def _setup_player(params: dict) -> dict:
    import re
    balance = _decimal_param(params, "balance", "1000.00")
    currency = params.get("currency", "EUR")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise HookError("param 'currency' must be an ISO 4217 code")
    blocked = _bool_param(params, "blocked", False)
    min_stake = _decimal_param(params, "min_stake", "0.10")
    max_stake = _decimal_param(params, "max_stake", "500.00")
    _bool_param(params, "session_expired", False)
    op_name = params.get("operator")
    if op_name is None:
        op = OPERATORS[_setup_operator({})["name"]]
    else:
        if not isinstance(op_name, str) or op_name not in OPERATORS:
            raise HookError(f"unknown operator {op_name!r}")
        op = OPERATORS[op_name]
    user_id = f"user-{uuid.uuid4().hex[:12]}"
    token = f"tok-{secrets.token_urlsafe(18)}"
    player = {"user_id": user_id, "token": token, "operator": op["name"], "currency": currency,
              "balance": int(_half_up(balance * 100)), "blocked": blocked,
              "min_stake": min_stake, "max_stake": max_stake, "tickets": [], "ledger": []}
    PLAYERS[user_id] = player
    TOKENS[token] = user_id
    return {"userId": user_id, "token": token, "balance": _cents_to_major(player["balance"]),
            "currency": currency, "blocked": blocked,
            "min_stake": str(_half_up(min_stake, "0.01")), "max_stake": str(_half_up(max_stake, "0.01")),
            "operator": _operator_answer(op)}


def _create_event(params: dict) -> dict:
    started = _bool_param(params, "started", False)
    markets = params.get("markets", [{"code": "1X2", "allowed": True, "prices": ["1.85", "3.40", "4.20"]}])
    if not isinstance(markets, list) or not markets:
        raise HookError("param 'markets' must be a non-empty list")
    event_id = _next("event")
    event = {"event_id": event_id, "name": "Home v Away", "started": started, "markets_by_id": {}}
    answer_markets = []
    for m in markets:
        if not isinstance(m, dict) or not isinstance(m.get("code"), str):
            raise HookError("each market needs a string 'code'")
        unknown = set(m) - {"code", "allowed", "prices"}
        if unknown:
            raise HookError(f"unknown market params {sorted(unknown)}")
        allowed = _bool_param(m, "allowed", True)
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or not prices:
            raise HookError("market 'prices' must be a non-empty list")
        market_id = _next("market")
        market = {"market_id": market_id, "code": m["code"], "allowed": allowed, "prices_by_bet": {}}
        selections = []
        for i, p in enumerate(prices):
            price = _decimal_param({"price": p}, "price", "0")
            bet_id = _next("bet")
            market["prices_by_bet"][bet_id] = price
            BETS[bet_id] = (event_id, market_id)
            names = ["1", "X", "2"]
            selections.append({"bet_id": bet_id, "name": names[i] if len(prices) == 3 else str(i + 1),
                               "decimal_price": str(price)})
        event["markets_by_id"][market_id] = market
        answer_markets.append({"market_id": market_id, "code": m["code"], "allowed": allowed,
                               "selections": selections})
    EVENTS[event_id] = event
    answer = {"event_id": event_id, "name": event["name"], "started": started, "markets": answer_markets}
    event["answer"] = answer
    return answer


def _setup_betcard(params: dict) -> dict:
    n = params.get("events", 3)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1 or n > 1000:
        raise HookError("param 'events' must be a positive integer")
    prize = params.get("prize", 1000000)
    if isinstance(prize, bool) or not isinstance(prize, int) or prize < 0:
        raise HookError("param 'prize' must be a non-negative integer (cents)")
    bonus = params.get("bonus_prizes", [10000, 5000])
    if not isinstance(bonus, list) or any(isinstance(b, bool) or not isinstance(b, int) or b < 0 for b in bonus):
        raise HookError("param 'bonus_prizes' must be a list of non-negative integers (cents)")
    events = [_create_event({}) for _ in range(n)]
    code = f"JP-{secrets.token_hex(4)}"
    BETCARDS[code] = {"code": code, "prize": prize, "bonus_prizes": list(bonus),
                      "event_ids": [e["event_id"] for e in events]}
    return {"betcard_code": code, "prize": prize, "bonus_prizes": list(bonus), "events": events}


def _snapshot(params: dict) -> dict:
    user_id = params.get("userId")
    if not isinstance(user_id, str):
        raise HookError("param 'userId' is required")
    player = PLAYERS.get(user_id)
    if player is None:
        raise HookError(f"unknown player {user_id!r}")
    tickets = []
    for tid in player["tickets"]:
        t = TICKETS[tid]
        tickets.append({k: t[k] for k in ("id", "type", "price", "stake", "ext_amount", "gross_payout",
                                          "net_payout", "wht_amount", "status", "result", "code",
                                          "currency", "betcard_code", "prize", "bonus_prizes", "odds",
                                          "created", "operator_time_created")})
    return {"userId": user_id, "balance": _cents_to_major(player["balance"]),
            "currency": player["currency"], "tickets": tickets,
            "ledger": [dict(e) for e in player["ledger"]]}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request):
    try:
        body = await request.json()
    except Exception:
        return JSONResponse(status_code=400, content={"error": "body must be a JSON object"})
    if not isinstance(body, dict):
        return JSONResponse(status_code=400, content={"error": "body must be a JSON object"})
    state = body.get("state")
    action = body.get("action", "setup")
    params = body.get("params") or {}
    if state not in STATE_PARAMS:
        return JSONResponse(status_code=400, content={
            "error": f"unknown provider state {state!r}; accepted: {sorted(STATE_PARAMS)}"})
    if action not in ("setup", "teardown"):
        return JSONResponse(status_code=400, content={
            "error": f"unknown action {action!r}; accepted: setup, teardown"})
    if not isinstance(params, dict):
        return JSONResponse(status_code=400, content={"error": "params must be an object"})
    unknown = set(params) - STATE_PARAMS[state]
    if unknown:
        return JSONResponse(status_code=400, content={
            "error": f"unknown params {sorted(unknown)} for state {state!r}; accepted: {sorted(STATE_PARAMS[state])}"})
    if action == "teardown":
        return JSONResponse(status_code=200, content={})
    try:
        with LOCK:
            if state == "an operator exists":
                answer = _setup_operator(params)
            elif state == "a player exists":
                answer = _setup_player(params)
            elif state == "an event exists":
                answer = _create_event(params)
            elif state == "a jackpot betcard exists":
                answer = _setup_betcard(params)
            else:
                answer = _snapshot(params)
    except HookError as e:
        return JSONResponse(status_code=400, content={"error": e.message})
    return JSONResponse(status_code=200, content=answer)
