"""Jackpot ticket creation (POST /be/tickets), written from the provider's API document alone.

Independent implementation; the open points of the document and how they are decided here are in
DECISIONS.md next to this file.  State lives in memory.  The test hook
POST /_orderproof/provider-states sets up operators, players, events and jackpot betcards and
answers player snapshots.
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
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated, Any, List, Optional

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)

app = FastAPI(title="Jackpot tickets (independent implementation 2)")

_LOCK = threading.RLock()

# --------------------------------------------------------------------------------------------
# In-memory state
# --------------------------------------------------------------------------------------------
OPERATORS: dict[str, dict] = {}     # name -> operator
PLAYERS: dict[str, dict] = {}       # userId -> player
TOKENS: dict[str, str] = {}         # token -> userId
EVENTS: dict[int, dict] = {}        # event_id -> event
BETS: dict[int, tuple[int, int]] = {}  # bet_id -> (event_id, market index)
BETCARDS: dict[str, dict] = {}      # betcard_code -> betcard
TICKETS: dict[str, dict] = {}       # ticket id -> ticket
TICKET_CODES: set[str] = set()

_COUNTERS = {"event": 100000, "market": 5000, "bet": 100, "ledger": 0}

HOOK_ENABLED = os.environ.get("ORDERPROOF_HOOK", "1") not in ("0", "false", "no")
TIMESTAMP_WINDOW_SECONDS = 900
TIME_FMT = "%Y-%m-%dT%H:%M:%S.%f"

SOURCES = ("desktop", "mobile", "android", "iphone", "ussd", "sms", "telegram")

# Active ISO 4217 alphabetic codes (plus the X.. codes the standard also lists).
ISO_4217 = set("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP
BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB
EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY
KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR
MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB
RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD
TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG
XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG ZWL
""".split())


def _next(counter: str) -> int:
    with _LOCK:
        _COUNTERS[counter] += 1
        return _COUNTERS[counter]


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _round_even(value: Decimal) -> int:
    return int(value.quantize(Decimal("1"), rounding=ROUND_HALF_EVEN))


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
class TicketError(Exception):
    """A business error: HTTP 400 with {"code", "message"} (the provider's practice)."""

    def __init__(self, code: int, message: str):
        self.code = code
        self.message = message


class Forbidden(Exception):
    def __init__(self, message: str):
        self.message = message


def _error(code: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=400, content={"code": code, "message": message})


def _forbidden(message: str) -> JSONResponse:
    return JSONResponse(status_code=403, content={"message": message})


# --------------------------------------------------------------------------------------------
# Request model (422 on any violation)
# --------------------------------------------------------------------------------------------
def _int_strict(v: Any) -> Any:
    """Integers: JSON integers, or JSON numbers with no fractional part (3500.0). Never strings or
    booleans."""
    if isinstance(v, bool) or isinstance(v, str):
        raise ValueError("value must be a JSON integer")
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")) or not v.is_integer():
            raise ValueError("value must be a whole number")
        v = int(v)
    if isinstance(v, int) and not -2**63 <= v < 2**63:
        raise ValueError("value must fit in 64 bits")
    return v


def _float_strict(v: Any) -> Any:
    if isinstance(v, bool) or isinstance(v, str):
        raise ValueError("value must be a JSON number")
    if isinstance(v, float) and (v != v or v in (float("inf"), float("-inf"))):
        raise ValueError("value must be a finite number")
    return v


def _str_strict(v: Any) -> Any:
    if not isinstance(v, str):
        raise ValueError("value must be a JSON string")
    return v


Int = Annotated[int, BeforeValidator(_int_strict)]
Num = Annotated[float, BeforeValidator(_float_strict)]
Str = Annotated[str, BeforeValidator(_str_strict)]


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Int = Field(gt=0)
    bet: Int = Field(gt=0)
    odds: Num

    @field_validator("odds")
    @classmethod
    def _two_decimals(cls, v: float) -> float:
        d = Decimal(repr(v))
        if d.as_tuple().exponent < -2:
            raise ValueError("odds must have at most 2 digits after the decimal point")
        if d < Decimal("1.01"):
            raise ValueError("odds must be at least 1.01")
        return v


class TicketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: Str = Field(min_length=1)
    token: Str = Field(min_length=1)
    price: Int = Field(gt=0)
    currency: Str
    atag: Optional[Str] = None
    source: Str
    type: Str
    odds_diff: Num = Field(default=0.0, ge=0)
    events: List[EventIn] = Field(min_length=1)
    betcard_code: Str = Field(min_length=1)
    prize: Optional[Int] = Field(default=None, ge=0)
    bonus_prizes: Optional[List[Annotated[int, BeforeValidator(_int_strict), Field(ge=0)]]] = None

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, v: str) -> str:
        if v not in ISO_4217:
            raise ValueError("currency must be an ISO 4217 three letter code (upper case)")
        return v

    @field_validator("source")
    @classmethod
    def _source(cls, v: str) -> str:
        if v not in SOURCES:
            raise ValueError("source must be one of: " + ", ".join(SOURCES))
        return v

    @field_validator("type")
    @classmethod
    def _type(cls, v: str) -> str:
        if v != "jackpot":
            raise ValueError("type must be 'jackpot'")
        return v

    @field_validator("events")
    @classmethod
    def _unique_events(cls, v: List[EventIn]) -> List[EventIn]:
        ids = [e.id for e in v]
        if len(ids) != len(set(ids)):
            raise ValueError("each event may appear only once")
        return v


def _validation_errors(exc: ValidationError) -> list:
    errors = []
    for err in exc.errors(include_url=False):
        item = {"type": err["type"], "loc": ["body", *err["loc"]], "msg": err["msg"],
                "input": err.get("input")}
        if "ctx" in err:
            item["ctx"] = {k: (str(v) if isinstance(v, Exception) else v)
                           for k, v in err["ctx"].items()}
        errors.append(item)
    return errors


# --------------------------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------------------------
def _check_auth(request: Request, raw: bytes, body_operator: str) -> Optional[JSONResponse]:
    ts = request.headers.get("timestamp")
    op_name = request.headers.get("operator-name")
    sig = request.headers.get("signature")
    if not ts or not op_name or not sig:
        return _forbidden("Missing authentication headers (timestamp, operator-name, signature)")
    operator = OPERATORS.get(op_name)
    if operator is None:
        return _error(112, f"Operator with `{op_name}` name is not found")
    text = raw.decode("utf-8", errors="replace")
    candidates = {text.replace(" ", ""), re.sub(r"\s+", "", text)}
    key = operator["secret"].encode()
    given = sig.strip().lower()
    ok = any(
        hmac.compare_digest(hmac.new(key, (ts + c).encode("utf-8"), hashlib.sha256).hexdigest(), given)
        for c in candidates
    )
    if not ok:
        return _forbidden("Invalid signature")
    try:
        ts_value = float(ts)
    except ValueError:
        return _forbidden("Invalid timestamp header")
    if ts_value > 1e11:  # sent in milliseconds
        ts_value /= 1000.0
    if abs(time.time() - ts_value) > TIMESTAMP_WINDOW_SECONDS:
        return _forbidden("Request timestamp is outside the accepted window")
    if body_operator != op_name:
        return _error(115, "Operators in request body and in request header are not identical")
    return None


# --------------------------------------------------------------------------------------------
# POST /be/tickets
# --------------------------------------------------------------------------------------------
def _parse_offset(offset: str) -> timedelta:
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = offset[1:].split(":")
    return sign * timedelta(hours=int(hours), minutes=int(minutes))


def _new_code() -> str:
    for _ in range(5):
        code = secrets.token_hex(3).upper()
        if code not in TICKET_CODES:
            return code
    raise TicketError(111, "Duplicate key for code generation")


def _new_ticket_id() -> str:
    # 24 hex characters: 4-byte seconds, then 8 random bytes (ObjectId-like, as the provider's ids).
    return f"{int(time.time()):08x}" + secrets.token_hex(8)


@app.post("/be/tickets")
async def create_ticket(request: Request):
    raw = await request.body()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RequestValidationError([{"type": "json_invalid", "loc": ["body"],
                                       "msg": f"JSON decode error: {exc}", "input": None}])
    try:
        body = TicketIn.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(_validation_errors(exc))

    denied = _check_auth(request, raw, body.operator)
    if denied is not None:
        return denied

    with _LOCK:
        try:
            return _create(body)
        except TicketError as exc:
            return _error(exc.code, exc.message)
        except Forbidden as exc:
            return _forbidden(exc.message)


def _create(body: TicketIn) -> dict:
    operator = OPERATORS[body.operator]
    if not operator["webhook_url"]:
        raise TicketError(114, f"No webhook url for operator with `{operator['name']}` name")

    user_id = TOKENS.get(body.token)
    player = PLAYERS.get(user_id) if user_id else None
    if player is None or player["operator"] != operator["name"]:
        raise TicketError(100, "Player with given token is not found")
    if player["blocked"]:
        raise Forbidden("Player is not allowed to place tickets")
    if body.currency != player["currency"]:
        raise TicketError(108, f"Currency `{body.currency}` does not match the player's currency")

    betcard = BETCARDS.get(body.betcard_code)
    if betcard is None:
        raise TicketError(101, f"Betcard with `{body.betcard_code}` code is not found")
    if body.prize is not None and body.prize != betcard["prize"]:
        raise TicketError(110, "Betcard prize or bonus prizes have changed")
    if body.bonus_prizes is not None and list(body.bonus_prizes) != betcard["bonus_prizes"]:
        raise TicketError(110, "Betcard prize or bonus prizes have changed")

    chosen = []  # (event, market, selection, submitted odds)
    for ev in body.events:
        event = EVENTS.get(ev.id)
        if event is None:
            raise TicketError(103, f"Event with `{ev.id}` identifier is not found")
        if ev.id not in betcard["event_ids"]:
            raise TicketError(102, f"Event with `{ev.id}` identifier is not part of betcard `{betcard['code']}`")
        found = None
        for market in event["markets"]:
            for sel in market["selections"]:
                if sel["bet_id"] == ev.bet:
                    found = (market, sel)
        if found is None:
            raise TicketError(106, f"Market for bet with `{ev.bet}` identifier is not found")
        market, sel = found
        if not market["allowed"]:
            raise TicketError(116, f"Market with `{market['code']}` code is not allowed")
        if event["started"]:
            raise TicketError(107, f"Event with `{ev.id}` identifier is not available for play because it has already started")
        chosen.append((event, market, sel, Decimal(repr(ev.odds))))

    missing = [eid for eid in betcard["event_ids"] if eid not in {ev.id for ev in body.events}]
    if missing:
        raise TicketError(102, f"Events of betcard `{betcard['code']}` are missing: {missing}")

    # Odds deviation: relative to the odds the player submitted, per event.
    tolerance = Decimal(repr(body.odds_diff))
    for event, market, sel, submitted in chosen:
        current = sel["price"]
        if current == submitted:
            continue
        if tolerance == 0 or abs(current - submitted) > tolerance * submitted:
            raise TicketError(104, "Ticket odds changed")

    odds = Decimal(1)
    for _, _, _, submitted in chosen:
        odds *= submitted

    price = body.price
    ext = operator["ext"]
    wht = operator["wht"]
    stake = _round_even(Decimal(price) * 100 / (100 + ext))
    if stake < 1:
        raise TicketError(113, "Ticket price is too low")
    ext_amount = price - stake
    gross = _round_even(Decimal(stake) * odds)
    wht_amount = _round_even(max(Decimal(gross - stake), Decimal(0)) * wht / 100)
    net = gross - wht_amount

    debit = Decimal(price) / 100
    if player["balance"] < debit:
        raise TicketError(109, "Insufficient funds")

    code = _new_code()
    ticket_id = _new_ticket_id()
    offset = _parse_offset(operator["timezone_offset"])
    created = datetime.now(timezone.utc).replace(tzinfo=None)

    # Simulated PAM ticket_create call: debit the price from the player's wallet.
    player["balance"] -= debit
    player["ledger"].append({
        "entry_id": _next("ledger"),
        "amount": _money(-debit),
        "balance_after": _money(player["balance"]),
        "reason": "jackpot_ticket",
        "reference": ticket_id,
    })
    updated = max(datetime.now(timezone.utc).replace(tzinfo=None), created)

    ticket = {
        "id": ticket_id,
        "code": code,
        "price": price,
        "stake": stake,
        "currency": body.currency,
        "gross_payout": gross,
        "net_payout": net,
        "wht_amount": wht_amount,
        "wht": float(wht),
        "ext_amount": ext_amount,
        "ext": float(ext),
        "ext_type": "inclusive",
        "status": "new",
        "result": "pending",
        "approved": True,
        "source": body.source,
        "type": "jackpot",
        "atag": body.atag,
        "user_id": player["userId"],
        "created": created.strftime(TIME_FMT),
        "operator_time_created": (created + offset).strftime(TIME_FMT),
        "updated": updated.strftime(TIME_FMT),
        "operator_time_updated": (updated + offset).strftime(TIME_FMT),
        "odds": float(odds),
        "betcard_code": betcard["code"],
        "prize": betcard["prize"],
        "bonus_prizes": list(betcard["bonus_prizes"]),
    }
    TICKETS[ticket_id] = ticket
    TICKET_CODES.add(code)
    player["tickets"].append(ticket_id)
    return ticket


# --------------------------------------------------------------------------------------------
# Test hook: POST /_orderproof/provider-states
# --------------------------------------------------------------------------------------------
class HookError(Exception):
    pass


def _params(params: Any, allowed: set[str]) -> dict:
    if params is None:
        return {}
    if not isinstance(params, dict):
        raise HookError("params must be a JSON object")
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise HookError(f"unknown params {unknown}; accepted: {sorted(allowed)}")
    return params


def _decimal_param(params: dict, name: str, default: str, minimum: Optional[Decimal] = None) -> Decimal:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise HookError(f"param '{name}' must be a decimal string or a number")
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
        raise HookError(f"param '{name}' must be a decimal string like '12.50'")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        raise HookError(f"param '{name}' is not a decimal")
    if not d.is_finite() or (minimum is not None and d < minimum):
        raise HookError(f"param '{name}' is out of range")
    return d


def _bool_param(params: dict, name: str, default: bool) -> bool:
    value = params.get(name, default)
    if not isinstance(value, bool):
        raise HookError(f"param '{name}' must be a boolean")
    return value


def _cents_param(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise HookError(f"param '{name}' must be a non-negative integer (cents)")
    return value


def _operator_answer(op: dict) -> dict:
    return {
        "name": op["name"],
        "secret": op["secret"],
        "timezone_offset": op["timezone_offset"],
        "webhook_url": op["webhook_url"],
        "ext": str(op["ext"]),
        "wht": str(op["wht"]),
    }


def _setup_operator(params: Any) -> dict:
    p = _params(params, {"name", "secret", "timezone_offset", "webhook_url", "ext", "wht"})
    name = p.get("name")
    if name is None:
        name = "op-" + secrets.token_hex(4)
        while name in OPERATORS:
            name = "op-" + secrets.token_hex(4)
    if not isinstance(name, str) or not name:
        raise HookError("param 'name' must be a non-empty string")
    secret = p.get("secret")
    if secret is None:
        secret = secrets.token_urlsafe(24)
    if not isinstance(secret, str) or not secret:
        raise HookError("param 'secret' must be a non-empty string")
    offset = p.get("timezone_offset", "+02:00")
    if not isinstance(offset, str) or not re.fullmatch(r"[+-][0-9]{2}:[0-5][0-9]", offset):
        raise HookError("param 'timezone_offset' must look like '+02:00'")
    webhook = p.get("webhook_url", "http://127.0.0.1/webhook")
    if webhook is not None and not isinstance(webhook, str):
        raise HookError("param 'webhook_url' must be a string or null")
    ext = _decimal_param(p, "ext", "12.5", Decimal(0))
    wht = _decimal_param(p, "wht", "20.0", Decimal(0))
    if wht > 100:
        raise HookError("param 'wht' must be at most 100")
    op = {"name": name, "secret": secret, "timezone_offset": offset,
          "webhook_url": webhook or None, "ext": ext, "wht": wht}
    OPERATORS[name] = op
    return _operator_answer(op)


def _setup_player(params: Any) -> dict:
    p = _params(params, {"balance", "currency", "blocked", "min_stake", "max_stake",
                         "session_expired", "session_expired_seconds_ago", "operator"})
    balance = _decimal_param(p, "balance", "1000.00", Decimal(0))
    currency = p.get("currency", "EUR")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise HookError("param 'currency' must be an ISO 4217 code like 'EUR'")
    blocked = _bool_param(p, "blocked", False)
    min_stake = _decimal_param(p, "min_stake", "0.10", Decimal(0))
    max_stake = _decimal_param(p, "max_stake", "500.00", Decimal(0))
    _bool_param(p, "session_expired", False)
    op_name = p.get("operator")
    if op_name is None:
        op = OPERATORS[_setup_operator({})["name"]]
    else:
        if not isinstance(op_name, str) or not op_name:
            raise HookError("param 'operator' must be an operator name")
        op = OPERATORS.get(op_name) or OPERATORS[_setup_operator({"name": op_name})["name"]]
    user_id = "user-" + secrets.token_hex(6)
    token = secrets.token_urlsafe(32)
    PLAYERS[user_id] = {"userId": user_id, "token": token, "balance": balance,
                        "currency": currency, "blocked": blocked, "operator": op["name"],
                        "min_stake": min_stake, "max_stake": max_stake,
                        "tickets": [], "ledger": []}
    TOKENS[token] = user_id
    return {"userId": user_id, "token": token, "balance": _money(balance), "currency": currency,
            "blocked": blocked, "min_stake": _money(min_stake), "max_stake": _money(max_stake),
            "operator": _operator_answer(op)}


def _event_answer(event: dict) -> dict:
    return {
        "event_id": event["event_id"],
        "name": event["name"],
        "started": event["started"],
        "markets": [
            {"market_id": m["market_id"], "code": m["code"], "allowed": m["allowed"],
             "selections": [{"bet_id": s["bet_id"], "name": s["name"],
                             "decimal_price": str(s["price"])} for s in m["selections"]]}
            for m in event["markets"]
        ],
    }


DEFAULT_MARKETS = [{"code": "1X2", "allowed": True, "prices": ["1.85", "3.40", "4.20"]}]


def _create_event(p: dict) -> dict:
    started = _bool_param(p, "started", False)
    markets_in = p.get("markets", DEFAULT_MARKETS)
    if not isinstance(markets_in, list) or not markets_in:
        raise HookError("param 'markets' must be a non-empty list")
    markets = []
    for i, m in enumerate(markets_in):
        if not isinstance(m, dict):
            raise HookError(f"markets[{i}] must be an object")
        unknown = sorted(set(m) - {"code", "allowed", "prices"})
        if unknown:
            raise HookError(f"markets[{i}] has unknown keys {unknown}; accepted: allowed, code, prices")
        code = m.get("code")
        if not isinstance(code, str) or not code:
            raise HookError(f"markets[{i}].code is required (a string)")
        allowed = _bool_param(m, "allowed", True)
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or not prices:
            raise HookError(f"markets[{i}].prices must be a non-empty list")
        decs = [_decimal_param({"price": x}, "price", "0", Decimal(1)) for x in prices]
        names = ["1", "X", "2"] if len(decs) == 3 else [str(k + 1) for k in range(len(decs))]
        markets.append({"market_id": _next("market"), "code": code, "allowed": allowed,
                        "selections": [{"bet_id": _next("bet"), "name": n, "price": d}
                                       for n, d in zip(names, decs)]})
    event_id = _next("event")
    event = {"event_id": event_id, "name": f"Home {event_id} v Away {event_id}",
             "started": started, "markets": markets}
    EVENTS[event_id] = event
    for idx, m in enumerate(markets):
        for s in m["selections"]:
            BETS[s["bet_id"]] = (event_id, idx)
    return event


def _setup_event(params: Any) -> dict:
    return _event_answer(_create_event(_params(params, {"started", "markets"})))


def _setup_betcard(params: Any) -> dict:
    p = _params(params, {"events", "prize", "bonus_prizes"})
    n = p.get("events", 3)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1 or n > 1000:
        raise HookError("param 'events' must be an integer from 1")
    prize = _cents_param(p.get("prize", 1000000), "prize")
    bonus = p.get("bonus_prizes", [10000, 5000])
    if not isinstance(bonus, list):
        raise HookError("param 'bonus_prizes' must be a list of integers (cents)")
    bonus = [_cents_param(b, "bonus_prizes") for b in bonus]
    events = [_create_event({}) for _ in range(n)]
    code = "JP-" + secrets.token_hex(3)
    while code in BETCARDS:
        code = "JP-" + secrets.token_hex(3)
    BETCARDS[code] = {"code": code, "prize": prize, "bonus_prizes": bonus,
                      "event_ids": [e["event_id"] for e in events]}
    return {"betcard_code": code, "prize": prize, "bonus_prizes": bonus,
            "events": [_event_answer(e) for e in events]}


def _snapshot(params: Any) -> dict:
    p = _params(params, {"userId"})
    user_id = p.get("userId")
    if not isinstance(user_id, str):
        raise HookError("param 'userId' is required (a string)")
    player = PLAYERS.get(user_id)
    if player is None:
        raise HookError(f"no player with userId '{user_id}'")
    tickets = []
    for tid in player["tickets"]:
        t = TICKETS[tid]
        tickets.append({k: t[k] for k in ("id", "code", "type", "price", "stake", "ext_amount",
                                          "gross_payout", "net_payout", "wht_amount", "status",
                                          "result", "currency", "odds", "betcard_code",
                                          "created")})
    return {"userId": user_id, "balance": _money(player["balance"]),
            "currency": player["currency"], "tickets": tickets,
            "ledger": [dict(e) for e in player["ledger"]]}


def _teardown(state: str, params: Any) -> dict:
    """Removes what the identifying param names, where one is given; otherwise nothing."""
    p = params if isinstance(params, dict) else {}
    removed: list[str] = []
    if state == "an operator exists" and isinstance(p.get("name"), str):
        if OPERATORS.pop(p["name"], None) is not None:
            removed.append(p["name"])
    elif state == "a player exists" and isinstance(p.get("userId"), str):
        player = PLAYERS.pop(p["userId"], None)
        if player is not None:
            TOKENS.pop(player["token"], None)
            removed.append(p["userId"])
    elif state == "an event exists" and isinstance(p.get("event_id"), int):
        event = EVENTS.pop(p["event_id"], None)
        if event is not None:
            for m in event["markets"]:
                for s in m["selections"]:
                    BETS.pop(s["bet_id"], None)
            removed.append(str(p["event_id"]))
    elif state == "a jackpot betcard exists" and isinstance(p.get("betcard_code"), str):
        if BETCARDS.pop(p["betcard_code"], None) is not None:
            removed.append(p["betcard_code"])
    return {"removed": removed} if removed else {}


_STATES = {
    "an operator exists": _setup_operator,
    "a player exists": _setup_player,
    "an event exists": _setup_event,
    "a jackpot betcard exists": _setup_betcard,
    "a player snapshot": _snapshot,
}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request):
    if not HOOK_ENABLED:
        return JSONResponse(status_code=404, content={"detail": "Not Found"})
    try:
        data = json.loads(await request.body())
    except ValueError:
        return JSONResponse(status_code=400, content={"error": "body must be JSON"})
    if not isinstance(data, dict):
        return JSONResponse(status_code=400, content={"error": "body must be a JSON object"})
    state = data.get("state")
    action = data.get("action", "setup")
    if state not in _STATES:
        return JSONResponse(status_code=400, content={
            "error": f"unknown provider state {state!r}; accepted: {sorted(_STATES)}"})
    if action not in ("setup", "teardown"):
        return JSONResponse(status_code=400, content={
            "error": f"unknown action {action!r}; accepted: setup, teardown"})
    with _LOCK:
        try:
            if action == "teardown":
                return _teardown(state, data.get("params"))
            return _STATES[state](data.get("params"))
        except HookError as exc:
            return JSONResponse(status_code=400, content={"error": f"{state}: {exc}"})
