"""Jackpot ticket service (third independent implementation).

POST /be/tickets                    create a jackpot ticket (seed 001)
POST /_orderproof/provider-states   test hook (operators, players, events, betcards, snapshots)

Single file; stdlib, fastapi, pydantic, starlette only; state in memory.
Money is integer cents everywhere in the ticket API.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, List, Optional

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

app = FastAPI(title="jackpot-ticket", version="3.0.0")

INT64_MAX = 2**63 - 1
TIMESTAMP_WINDOW_S = 600
SOURCES = ("desktop", "mobile", "android", "iphone", "ussd", "sms", "telegram")
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"

# --------------------------------------------------------------------------------------
# In-memory state
# --------------------------------------------------------------------------------------

_lock = threading.RLock()
OPERATORS: dict[str, dict] = {}   # name -> operator
PLAYERS: dict[str, dict] = {}     # userId -> player
TOKENS: dict[str, str] = {}       # ticket-engine token -> userId
EVENTS: dict[int, dict] = {}      # event_id -> event
BETCARDS: dict[str, dict] = {}    # betcard_code -> betcard
TICKETS: dict[str, dict] = {}     # ticket id -> stored ticket
TICKET_CODES: set[str] = set()
_counters = {"event": 100000, "market": 5000, "bet": 100, "member": 70000, "ledger": 0, "oid": 0}


def _next(kind: str) -> int:
    with _lock:
        _counters[kind] += 1
        return _counters[kind]


# --------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------


def _err(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=status, content={"code": code, "message": message})


def _hook_err(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": message})


def _cents_to_str(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    c = abs(cents)
    return f"{sign}{c // 100}.{c % 100:02d}"


def _dec_from_float(value: float) -> Decimal:
    # repr gives the shortest string that round-trips, so 1.85 -> Decimal("1.85")
    return Decimal(repr(float(value)))


def _fmt(dt: datetime) -> str:
    return dt.strftime(TS_FORMAT)


def _now_ms() -> datetime:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


def _parse_offset(text: str) -> Optional[timedelta]:
    m = re.fullmatch(r"([+-])([0-9]{2}):([0-9]{2})", text)
    if not m:
        return None
    hours, minutes = int(m.group(2)), int(m.group(3))
    if hours > 14 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return -delta if m.group(1) == "-" else delta


def _object_id() -> str:
    """24 lower-case hex characters, laid out like a MongoDB ObjectId (time, random, counter)."""
    ts = int(time.time()) & 0xFFFFFFFF
    return f"{ts:08x}{secrets.token_hex(5)}{_next('oid') & 0xFFFFFF:06x}"


_CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _ticket_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def _reject_json_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def _json_invalid(exc: Exception, pos: int = 0) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={
            "detail": [
                {
                    "type": "json_invalid",
                    "loc": ["body", pos],
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": str(exc)},
                }
            ]
        },
    )


def _validation_422(exc: ValidationError) -> JSONResponse:
    errors = []
    for e in exc.errors(include_url=False):
        item = dict(e)
        item["loc"] = ["body", *list(e.get("loc", ()))]
        if "ctx" in item:
            item["ctx"] = {k: (str(v) if isinstance(v, Exception) else v) for k, v in item["ctx"].items()}
        errors.append(item)
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})


# --------------------------------------------------------------------------------------
# Request model of POST /be/tickets
# --------------------------------------------------------------------------------------


def _no_bool(v: Any) -> Any:
    if isinstance(v, bool):
        raise ValueError("booleans are not accepted for a numeric field")
    return v


class TicketEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    id: int = Field(ge=1, le=INT64_MAX)
    bet: int = Field(ge=1, le=INT64_MAX)
    odds: float = Field(gt=1.0)

    @field_validator("id", "bet", "odds", mode="before")
    @classmethod
    def _reject_bools(cls, v: Any) -> Any:
        return _no_bool(v)


class TicketRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    operator: str = Field(min_length=1)
    token: str = Field(min_length=1)
    price: int = Field(ge=1, le=INT64_MAX)
    currency: str = Field(pattern=r"^[A-Za-z]{3}$")
    atag: Optional[str] = None
    source: str
    type: str = Field(min_length=1)
    odds_diff: float = Field(ge=0.0)
    events: List[TicketEvent] = Field(min_length=1, max_length=1000)
    betcard_code: str = Field(min_length=1)
    prize: Optional[int] = Field(default=None, ge=0, le=INT64_MAX)
    bonus_prizes: Optional[List[int]] = None

    @field_validator("price", "odds_diff", "prize", mode="before")
    @classmethod
    def _reject_bools(cls, v: Any) -> Any:
        return _no_bool(v)

    @field_validator("bonus_prizes", mode="before")
    @classmethod
    def _bonus_items(cls, v: Any) -> Any:
        if isinstance(v, list):
            for item in v:
                _no_bool(item)
        return v

    @field_validator("bonus_prizes")
    @classmethod
    def _bonus_range(cls, v: Optional[List[int]]) -> Optional[List[int]]:
        if v is not None:
            for item in v:
                if item < 0 or item > INT64_MAX:
                    raise ValueError("bonus prizes are cents between 0 and 2^63-1")
        return v

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        low = v.lower()
        if low not in SOURCES:
            raise ValueError("source must be one of " + ", ".join(SOURCES))
        return low

    @field_validator("currency")
    @classmethod
    def _currency(cls, v: str) -> str:
        return v.upper()


# --------------------------------------------------------------------------------------
# POST /be/tickets
# --------------------------------------------------------------------------------------


def _authenticate(request: Request, raw: bytes) -> Optional[JSONResponse]:
    ts = (request.headers.get("timestamp") or "").strip()
    op_name = (request.headers.get("operator-name") or "").strip()
    signature = (request.headers.get("signature") or "").strip()
    if not ts or not op_name or not signature:
        return _err(403, 100, "Forbidden: headers `timestamp`, `operator-name` and `signature` are required")
    operator = OPERATORS.get(op_name)
    if operator is None:
        return _err(400, 112, f"Operator with `{op_name}` name is not found")
    message = ts.encode("utf-8") + raw.replace(b" ", b"")
    expected = hmac.new(operator["secret"].encode("utf-8"), message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        return _err(403, 101, "Forbidden: invalid signature")
    try:
        ts_value = Decimal(ts)
        if not ts_value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        return _err(403, 102, "Forbidden: `timestamp` must be unix time in seconds")
    if abs(Decimal(time.time()) - ts_value) > TIMESTAMP_WINDOW_S:
        return _err(403, 102, f"Forbidden: `timestamp` is more than {TIMESTAMP_WINDOW_S} seconds away from server time")
    return None


@app.post("/be/tickets")
async def create_ticket(request: Request) -> JSONResponse:
    raw = await request.body()

    refusal = _authenticate(request, raw)
    if refusal is not None:
        return refusal
    op_name = request.headers.get("operator-name", "").strip()

    try:
        payload = json.loads(raw.decode("utf-8"), parse_constant=_reject_json_constant)
    except json.JSONDecodeError as exc:
        return _json_invalid(exc, exc.pos)
    except (UnicodeDecodeError, ValueError) as exc:
        return _json_invalid(exc)

    if isinstance(payload, dict) and isinstance(payload.get("operator"), str) and payload["operator"] != op_name:
        return _err(400, 115, "Operators in request body and in request header are not identical")

    try:
        req = TicketRequest.model_validate(payload)
    except ValidationError as exc:
        return _validation_422(exc)

    with _lock:
        return _create(req, OPERATORS[op_name])


def _create(req: TicketRequest, operator: dict) -> JSONResponse:
    if req.type != "jackpot":
        return _err(400, 126, f"Ticket type `{req.type}` is not supported by this endpoint")

    user_id = TOKENS.get(req.token)
    player = PLAYERS.get(user_id) if user_id else None
    if player is None or player["operator"] != operator["name"]:
        return _err(403, 117, "Player with given token is not found")
    if player["blocked"]:
        return _err(403, 118, "Player is blocked")
    if req.currency != player["currency"]:
        return _err(400, 119, f"Currency `{req.currency}` differs from the player's currency")

    betcard = BETCARDS.get(req.betcard_code)
    if betcard is None:
        return _err(400, 120, f"Betcard with `{req.betcard_code}` code is not found")
    if req.prize is not None and req.prize != betcard["prize"]:
        return _err(400, 121, "Ticket prize differs from the betcard prize")
    if req.bonus_prizes is not None and list(req.bonus_prizes) != list(betcard["bonus_prizes"]):
        return _err(400, 121, "Ticket bonus prizes differ from the betcard bonus prizes")

    seen: set[int] = set()
    legs = []  # (request event, current price)
    for ev in req.events:
        if ev.id in seen:
            return _err(400, 122, f"Event with `{ev.id}` identifier appears more than once in the ticket")
        seen.add(ev.id)
        event = EVENTS.get(ev.id)
        if event is None:
            return _err(400, 103, f"Event with `{ev.id}` identifier is not found")
        if ev.id not in betcard["event_ids"]:
            return _err(400, 122, f"Event with `{ev.id}` identifier is not part of betcard `{betcard['betcard_code']}`")
        if event["started"]:
            return _err(400, 107, f"Event with `{ev.id}` identifier is not available for play because it has already started")
        found = None
        for market in event["markets"]:
            for sel in market["selections"]:
                if sel["bet_id"] == ev.bet:
                    found = (market, sel)
                    break
            if found:
                break
        if found is None:
            return _err(400, 106, f"Market for bet with `{ev.bet}` identifier is not found")
        market, sel = found
        if not market["allowed"]:
            return _err(400, 116, f"Market with `{market['code']}` code is not allowed")
        legs.append((ev, Decimal(sel["decimal_price"])))
    missing = [eid for eid in betcard["event_ids"] if eid not in seen]
    if missing:
        return _err(400, 122, f"Ticket misses betcard events: {', '.join(str(m) for m in missing)}")

    # odds_diff is a percentage of the odds the player saw (0 = no difference at all)
    odds_diff = _dec_from_float(req.odds_diff)
    for ev, current in legs:
        submitted = _dec_from_float(ev.odds)
        if abs(current - submitted) * 100 > odds_diff * submitted:
            return _err(400, 123, "Ticket odds changed")

    if not operator["webhook_url"]:
        return _err(400, 114, f"No webhook url for operator with `{operator['name']}` name")

    ext = operator["ext"]
    wht = operator["wht"]
    price = req.price
    stake = int((Decimal(price) * 100 / (100 + ext)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if stake < 1:
        return _err(400, 124, "Ticket price is too low")
    ext_amount = price - stake
    total_odds = Decimal(1)
    for _, current in legs:
        total_odds *= current
    gross = int((Decimal(stake) * total_odds).to_integral_value(rounding=ROUND_FLOOR))
    wht_amount = int((Decimal(max(gross - stake, 0)) * wht / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    net = gross - wht_amount

    if player["balance"] < price:
        return _err(400, 125, "Insufficient funds")

    code = None
    for _ in range(5):
        candidate = _ticket_code()
        if candidate not in TICKET_CODES:
            code = candidate
            break
    if code is None:
        return _err(400, 111, "Duplicate key for code generation")

    ticket_id = _object_id()
    offset = operator["offset"]
    created = _now_ms()
    # simulated PAM ticket_create: debit the player's wallet
    player["balance"] -= price
    entry_id = _next("ledger")
    player["ledger"].append(
        {
            "entry_id": entry_id,
            "amount": _cents_to_str(-price),
            "balance_after": _cents_to_str(player["balance"]),
            "reason": "jackpot_ticket",
            "reference": ticket_id,
        }
    )
    updated = _now_ms()

    ticket = {
        "id": ticket_id,
        "code": code,
        "price": price,
        "stake": stake,
        "currency": req.currency,
        "gross_payout": gross,
        "net_payout": net,
        "wht_amount": wht_amount,
        "wht": float(wht),
        "ext_amount": ext_amount,
        "ext": float(ext),
        "ext_type": "inclusive",
        "status": "open",
        "result": "pending",
        "approved": True,
        "source": req.source,
        "type": "jackpot",
        "atag": req.atag if req.atag is not None else "",
        "user_id": player["userId"],
        "created": _fmt(created),
        "operator_time_created": _fmt(created + offset),
        "updated": _fmt(updated),
        "operator_time_updated": _fmt(updated + offset),
        "odds": float(total_odds),
        "betcard_code": betcard["betcard_code"],
        "prize": betcard["prize"],
        "bonus_prizes": list(betcard["bonus_prizes"]),
    }
    TICKET_CODES.add(code)
    TICKETS[ticket_id] = ticket
    player["tickets"].append(ticket_id)
    return JSONResponse(status_code=200, content=ticket)


# --------------------------------------------------------------------------------------
# Provider-state hook
# --------------------------------------------------------------------------------------


class HookError(Exception):
    pass


_DEC_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def _p_decimal(params: dict, key: str, default: str, minimum: Optional[Decimal] = None) -> tuple[Decimal, str]:
    v = params.get(key, default)
    if isinstance(v, bool) or v is None:
        raise HookError(f"param '{key}' must be a decimal string or a number")
    if isinstance(v, (int, float)):
        if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
            raise HookError(f"param '{key}' must be finite")
        text = str(v) if isinstance(v, int) else repr(v)
        if "e" in text.lower():
            text = format(Decimal(text), "f")
    elif isinstance(v, str):
        text = v.strip()
        if not _DEC_RE.match(text):
            raise HookError(f"param '{key}' must be a decimal string like '10.00'")
    else:
        raise HookError(f"param '{key}' must be a decimal string or a number")
    value = Decimal(text)
    if minimum is not None and value < minimum:
        raise HookError(f"param '{key}' must be at least {minimum}")
    return value, text


def _p_bool(params: dict, key: str, default: bool) -> bool:
    v = params.get(key, default)
    if not isinstance(v, bool):
        raise HookError(f"param '{key}' must be a boolean")
    return v


def _p_str(params: dict, key: str, default: Optional[str]) -> Optional[str]:
    v = params.get(key, default)
    if v is not None and not isinstance(v, str):
        raise HookError(f"param '{key}' must be a string")
    return v


def _p_int(params: dict, key: str, default: int, lo: int, hi: int) -> int:
    v = params.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int) or v < lo or v > hi:
        raise HookError(f"param '{key}' must be an integer between {lo} and {hi}")
    return v


def _check_keys(params: dict, allowed: tuple, state: str) -> None:
    extra = sorted(set(params) - set(allowed))
    if extra:
        raise HookError(
            f"unknown param(s) {', '.join(repr(e) for e in extra)} for state '{state}'; accepted: {', '.join(allowed)}"
        )


def _to_cents(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _operator_answer(op: dict) -> dict:
    return {
        "name": op["name"],
        "secret": op["secret"],
        "timezone_offset": op["timezone_offset"],
        "webhook_url": op["webhook_url"],
        "ext": op["ext_text"],
        "wht": op["wht_text"],
    }


def _make_operator(params: dict) -> dict:
    _check_keys(params, ("name", "secret", "timezone_offset", "webhook_url", "ext", "wht"), "an operator exists")
    name = _p_str(params, "name", None)
    if name is None:
        name = "op-" + secrets.token_hex(3)
        while name in OPERATORS:
            name = "op-" + secrets.token_hex(3)
    if not name:
        raise HookError("param 'name' must not be empty")
    secret = _p_str(params, "secret", None)
    if secret is None:
        secret = secrets.token_urlsafe(24)
    if not secret:
        raise HookError("param 'secret' must not be empty")
    tz = _p_str(params, "timezone_offset", "+02:00")
    offset = _parse_offset(tz or "")
    if offset is None:
        raise HookError("param 'timezone_offset' must look like '+02:00'")
    if "webhook_url" in params:
        webhook = params["webhook_url"]
        if webhook is not None and not isinstance(webhook, str):
            raise HookError("param 'webhook_url' must be a string or null")
    else:
        webhook = "http://127.0.0.1/webhook"
    ext, ext_text = _p_decimal(params, "ext", "12.5", Decimal(0))
    wht, wht_text = _p_decimal(params, "wht", "20.0", Decimal(0))
    if ext > 1000 or wht > 100:
        raise HookError("param 'ext' must be at most 1000 and 'wht' at most 100")
    op = {
        "name": name,
        "secret": secret,
        "timezone_offset": tz,
        "offset": offset,
        "webhook_url": webhook,
        "ext": ext,
        "ext_text": ext_text,
        "wht": wht,
        "wht_text": wht_text,
    }
    OPERATORS[name] = op
    return op


def _state_player(params: dict) -> dict:
    allowed = ("balance", "currency", "blocked", "min_stake", "max_stake", "session_expired",
               "session_expired_seconds_ago", "operator")
    _check_keys(params, allowed, "a player exists")
    balance, _ = _p_decimal(params, "balance", "1000.00", Decimal(0))
    currency = _p_str(params, "currency", "EUR")
    if not currency or not re.fullmatch(r"[A-Z]{3}", currency):
        raise HookError("param 'currency' must be three upper-case letters")
    blocked = _p_bool(params, "blocked", False)
    min_stake, _ = _p_decimal(params, "min_stake", "0.10", Decimal(0))
    max_stake, _ = _p_decimal(params, "max_stake", "500.00", Decimal(0))
    session_expired = _p_bool(params, "session_expired", False)
    expired_ago = _p_int(params, "session_expired_seconds_ago", 60, 1, 31536000)
    op_name = _p_str(params, "operator", None)
    if op_name is None:
        operator = _make_operator({})
    elif op_name in OPERATORS:
        operator = OPERATORS[op_name]
    else:
        env_secret = os.environ.get("TICKET_SECRET") if op_name == os.environ.get("TICKET_OPERATOR") else None
        operator = _make_operator({"name": op_name, **({"secret": env_secret} if env_secret else {})})

    user_id = "user-" + secrets.token_hex(4)
    while user_id in PLAYERS:
        user_id = "user-" + secrets.token_hex(4)
    token = secrets.token_urlsafe(24)
    player = {
        "userId": user_id,
        "token": token,
        "sessionToken": "sess-" + secrets.token_urlsafe(16),
        "session_expires": time.time() - expired_ago if session_expired else time.time() + 1800,
        "customerToken": "cust-" + secrets.token_urlsafe(16),
        "memberid": str(_next("member")),
        "balance": _to_cents(balance),
        "currency": currency,
        "blocked": blocked,
        "min_stake": _to_cents(min_stake),
        "max_stake": _to_cents(max_stake),
        "apiKey": "key-" + secrets.token_urlsafe(16),
        "operator": operator["name"],
        "tickets": [],
        "ledger": [],
    }
    PLAYERS[user_id] = player
    TOKENS[token] = user_id
    return {
        "userId": user_id,
        "sessionToken": player["sessionToken"],
        "token": token,
        "customerToken": player["customerToken"],
        "memberid": player["memberid"],
        "balance": _cents_to_str(player["balance"]),
        "currency": currency,
        "blocked": blocked,
        "min_stake": _cents_to_str(player["min_stake"]),
        "max_stake": _cents_to_str(player["max_stake"]),
        "apiKey": player["apiKey"],
        "operator": _operator_answer(operator),
    }


_DEFAULT_MARKETS = [{"code": "1X2", "allowed": True, "prices": ["1.85", "3.40", "4.20"]}]


def _make_event(params: dict) -> dict:
    _check_keys(params, ("started", "markets"), "an event exists")
    started = _p_bool(params, "started", False)
    markets_in = params.get("markets", _DEFAULT_MARKETS)
    if not isinstance(markets_in, list) or not markets_in:
        raise HookError("param 'markets' must be a non-empty list")
    markets = []
    for i, m in enumerate(markets_in):
        if not isinstance(m, dict):
            raise HookError(f"markets[{i}] must be an object")
        extra = sorted(set(m) - {"code", "allowed", "prices"})
        if extra:
            raise HookError(f"unknown key(s) {extra} in markets[{i}]; accepted: code, allowed, prices")
        code = m.get("code")
        if not isinstance(code, str) or not code:
            raise HookError(f"markets[{i}].code is required and must be a string")
        allowed = _p_bool(m, "allowed", True)
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or not prices:
            raise HookError(f"markets[{i}].prices must be a non-empty list")
        selections = []
        for j, _p in enumerate(prices):
            value, text = _p_decimal({"price": _p}, "price", "0")
            if value <= 0:
                raise HookError(f"markets[{i}].prices[{j}] must be positive")
            selections.append({"bet_id": _next("bet"), "name": str(j + 1), "decimal_price": text})
        if len(selections) == 3:
            for sel, label in zip(selections, ("1", "X", "2")):
                sel["name"] = label
        markets.append({"market_id": _next("market"), "code": code, "allowed": allowed, "selections": selections})
    event_id = _next("event")
    event = {"event_id": event_id, "name": "Home v Away", "started": started, "markets": markets}
    EVENTS[event_id] = event
    return event


def _event_answer(event: dict) -> dict:
    return json.loads(json.dumps(event))


def _state_betcard(params: dict) -> dict:
    _check_keys(params, ("events", "prize", "bonus_prizes"), "a jackpot betcard exists")
    n = _p_int(params, "events", 3, 1, 100)
    prize = _p_int(params, "prize", 1000000, 0, INT64_MAX)
    bonus = params.get("bonus_prizes", [10000, 5000])
    if not isinstance(bonus, list) or any(isinstance(b, bool) or not isinstance(b, int) or b < 0 or b > INT64_MAX for b in bonus):
        raise HookError("param 'bonus_prizes' must be a list of non-negative integers (cents)")
    events = [_make_event({}) for _ in range(n)]
    code = "JP-" + secrets.token_hex(2)
    while code in BETCARDS:
        code = "JP-" + secrets.token_hex(3)
    BETCARDS[code] = {
        "betcard_code": code,
        "prize": prize,
        "bonus_prizes": list(bonus),
        "event_ids": [e["event_id"] for e in events],
    }
    return {
        "betcard_code": code,
        "prize": prize,
        "bonus_prizes": list(bonus),
        "events": [_event_answer(e) for e in events],
    }


def _state_snapshot(params: dict) -> dict:
    _check_keys(params, ("userId",), "a player snapshot")
    user_id = params.get("userId")
    if not isinstance(user_id, str):
        raise HookError("param 'userId' is required and must be a string")
    player = PLAYERS.get(user_id)
    if player is None:
        raise HookError(f"no player with userId '{user_id}'")
    tickets = []
    for tid in player["tickets"]:
        t = TICKETS[tid]
        tickets.append({k: t[k] for k in (
            "id", "code", "type", "price", "stake", "ext_amount", "gross_payout", "net_payout", "wht_amount",
            "status", "result", "currency", "odds", "betcard_code", "created")})
    return {
        "userId": user_id,
        "balance": _cents_to_str(player["balance"]),
        "currency": player["currency"],
        "bets": [],
        "orders": [],
        "tickets": tickets,
        "travel_orders": [],
        "ledger": [dict(e) for e in player["ledger"]],
    }


def _teardown(state: str, params: dict) -> dict:
    if state == "an operator exists" and isinstance(params.get("name"), str):
        OPERATORS.pop(params["name"], None)
    elif state == "a player exists" and isinstance(params.get("userId"), str):
        player = PLAYERS.pop(params["userId"], None)
        if player:
            TOKENS.pop(player["token"], None)
    elif state == "an event exists" and isinstance(params.get("event_id"), int):
        EVENTS.pop(params["event_id"], None)
    elif state == "a jackpot betcard exists" and isinstance(params.get("betcard_code"), str):
        BETCARDS.pop(params["betcard_code"], None)
    return {}


_STATES = ("an operator exists", "a player exists", "an event exists", "a jackpot betcard exists",
           "a player snapshot")


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request) -> JSONResponse:
    if os.environ.get("ORDERPROOF_PROVIDER_STATES", "on").lower() in ("0", "off", "false", "disabled"):
        return JSONResponse(status_code=404, content={"detail": "Not Found"})
    raw = await request.body()
    try:
        body = json.loads(raw.decode("utf-8") or "null", parse_constant=_reject_json_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        return _hook_err(f"body is not valid JSON: {exc}")
    if not isinstance(body, dict):
        return _hook_err("body must be a JSON object with 'state', 'params' and 'action'")
    state = body.get("state")
    if state not in _STATES:
        return _hook_err(f"unknown provider state {state!r}; accepted: {', '.join(_STATES)}")
    action = body.get("action", "setup")
    if action is None:
        action = "setup"
    if action not in ("setup", "teardown"):
        return _hook_err(f"unknown action {action!r}; accepted: setup, teardown")
    params = body.get("params") or {}
    if not isinstance(params, dict):
        return _hook_err("'params' must be an object")
    try:
        with _lock:
            if action == "teardown":
                return JSONResponse(status_code=200, content=_teardown(state, params))
            if state == "an operator exists":
                answer = _operator_answer(_make_operator(params))
            elif state == "a player exists":
                answer = _state_player(params)
            elif state == "an event exists":
                answer = _event_answer(_make_event(params))
            elif state == "a jackpot betcard exists":
                answer = _state_betcard(params)
            else:
                answer = _state_snapshot(params)
    except HookError as exc:
        return _hook_err(str(exc))
    return JSONResponse(status_code=200, content=answer)


def _preconfigured_operator() -> None:
    """An operator named by TICKET_OPERATOR with secret TICKET_SECRET, when both are set."""
    name, secret = os.environ.get("TICKET_OPERATOR"), os.environ.get("TICKET_SECRET")
    if name and secret:
        _make_operator({"name": name, "secret": secret})


_preconfigured_operator()
