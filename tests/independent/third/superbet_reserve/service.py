"""superbet-reserve: POST /be/tickets/reserve (third independent implementation).

Single-file FastAPI service, state in memory. See DECISIONS.md for every open point.
Also serves the orderproof provider-state hook (test deployments only) at
POST /_orderproof/provider-states; set ORDERPROOF_HOOK=off to disable it (404).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import os
import re
import secrets
import string
import time
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Dict, List, Optional, Tuple

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI(title="superbet-reserve", version="1.0.0")

# ---------------------------------------------------------------------------
# In-memory state
# ---------------------------------------------------------------------------

OPERATORS: Dict[str, Dict[str, Any]] = {}       # name -> operator
PLAYERS: Dict[str, Dict[str, Any]] = {}         # userId -> player
PLAYERS_BY_TOKEN: Dict[str, str] = {}           # token -> userId
EVENTS: Dict[int, Dict[str, Any]] = {}          # event_id -> event
BETS: Dict[int, Tuple[int, int]] = {}           # bet_id -> (event_id, market_id)
BETCARDS: Dict[str, Dict[str, Any]] = {}        # betcard_code -> betcard
TICKETS: Dict[str, Dict[str, Any]] = {}         # ticket id -> stored ticket
TICKET_CODES: set = set()

_event_ids = itertools.count(400001)
_market_ids = itertools.count(6001)
_bet_ids = itertools.count(1001)
_oid_counter = itertools.count(secrets.randbelow(1 << 24))

TIMESTAMP_MAX_AGE = 600      # seconds a signed request may be old
TIMESTAMP_MAX_AHEAD = 60     # seconds a signed request may be ahead of our clock
CODE_ALPHABET = string.ascii_uppercase + string.digits
CODE_ATTEMPTS = 3
ATAG_MAX_LEN = 255

SOURCES = {"desktop", "mobile", "android", "iphone", "ussd", "sms", "telegram"}
FORBIDDEN_MESSAGE = "Forbidden. You do not have access for such request"

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _err(code: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=400, content={"code": code, "message": message})


def _forbidden(reason: str) -> JSONResponse:
    return JSONResponse(status_code=403,
                        content={"code": 403, "message": f"{FORBIDDEN_MESSAGE} ({reason})"})


def _unprocessable(errors: List[Dict[str, Any]]) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": errors})


def _fmt_time(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")


def _now_ms() -> datetime:
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    return now.replace(microsecond=(now.microsecond // 1000) * 1000)


def _offset(tz: str) -> timedelta:
    sign = -1 if tz[0] == "-" else 1
    hours, minutes = int(tz[1:3]), int(tz[4:6])
    return sign * timedelta(hours=hours, minutes=minutes)


def _object_id() -> str:
    # ObjectId-shaped: 4-byte seconds, 5 random bytes, 3-byte counter -> 24 hex chars
    ts = int(time.time()).to_bytes(4, "big")
    rnd = secrets.token_bytes(5)
    cnt = (next(_oid_counter) & 0xFFFFFF).to_bytes(3, "big")
    return (ts + rnd + cnt).hex()


def _cents_to_str(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def _split_inclusive(price: int, ext: Decimal) -> Tuple[int, int]:
    """Excise tax included in the price: ext_amount = price*ext/(100+ext), rounded half up
    to the cent; stake = price - ext_amount (so stake + ext_amount == price)."""
    if ext <= 0:
        return price, 0
    ext_amount = (Decimal(price) * ext / (Decimal(100) + ext)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    ext_amount = int(ext_amount)
    return price - ext_amount, ext_amount


def _pct_number(value: Decimal) -> float:
    return float(value)


# ---------------------------------------------------------------------------
# Request validation (422, framework-style {"detail": [...]})
# ---------------------------------------------------------------------------

_MISSING = object()


def _verr(typ: str, loc: List[Any], msg: str, inp: Any) -> Dict[str, Any]:
    return {"type": typ, "loc": ["body", *loc], "msg": msg, "input": inp}


def _as_int(value: Any, loc: List[Any], errors: List[Dict[str, Any]], minimum: int) -> Optional[int]:
    """JSON integers, and JSON numbers with an integral value (2000.0); never strings or booleans."""
    if isinstance(value, bool) or value is None or isinstance(value, (str, list, dict)):
        errors.append(_verr("int_type", loc, "Input should be a valid integer", value))
        return None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")) or not value.is_integer():
            errors.append(_verr("int_from_float", loc,
                                "Input should be a valid integer, got a number with a fractional part", value))
            return None
        value = int(value)
    if not isinstance(value, int):
        errors.append(_verr("int_type", loc, "Input should be a valid integer", value))
        return None
    if value < minimum:
        errors.append(_verr("greater_than_equal", loc, f"Input should be greater than or equal to {minimum}", value))
        return None
    return value


def _as_str(value: Any, loc: List[Any], errors: List[Dict[str, Any]]) -> Optional[str]:
    if not isinstance(value, str):
        errors.append(_verr("string_type", loc, "Input should be a valid string", value))
        return None
    if not value.strip():
        errors.append(_verr("string_too_short", loc, "String should have at least 1 non-blank character", value))
        return None
    return value


REQUIRED = ("operator", "token", "price", "currency", "source", "type", "event", "bets")


def _validate(body: Any) -> Tuple[Optional[Dict[str, Any]], List[Dict[str, Any]]]:
    errors: List[Dict[str, Any]] = []
    if not isinstance(body, dict):
        errors.append({"type": "model_attributes_type", "loc": ["body"],
                       "msg": "Input should be a valid dictionary or object to extract fields from",
                       "input": body})
        return None, errors
    for name in REQUIRED:
        if name not in body:
            errors.append(_verr("missing", [name], "Field required", None))
    out: Dict[str, Any] = {}

    for name in ("operator", "token"):
        if name in body:
            out[name] = _as_str(body[name], [name], errors)

    if "price" in body:
        out["price"] = _as_int(body["price"], ["price"], errors, minimum=1)

    if "currency" in body:
        cur = _as_str(body["currency"], ["currency"], errors)
        if cur is not None:
            if not re.fullmatch(r"[A-Za-z]{3}", cur):
                errors.append(_verr("string_pattern_mismatch", ["currency"],
                                    "String should be a three-letter ISO 4217 currency code", cur))
            else:
                out["currency"] = cur.upper()

    if "atag" in body:
        atag = body["atag"]
        if atag is None:
            out["atag"] = None
        elif not isinstance(atag, str):
            errors.append(_verr("string_type", ["atag"], "Input should be a valid string or null", atag))
        elif len(atag) > ATAG_MAX_LEN:
            errors.append(_verr("string_too_long", ["atag"],
                                f"String should have at most {ATAG_MAX_LEN} characters", atag))
        else:
            out["atag"] = atag

    if "source" in body:
        src = _as_str(body["source"], ["source"], errors)
        if src is not None:
            if src not in SOURCES:
                errors.append(_verr("enum", ["source"],
                                    "Input should be " + ", ".join(f"'{s}'" for s in sorted(SOURCES)), src))
            else:
                out["source"] = src

    if "type" in body:
        typ = _as_str(body["type"], ["type"], errors)
        if typ is not None:
            if typ != "superbet":
                errors.append(_verr("literal_error", ["type"], "Input should be 'superbet'", typ))
            else:
                out["type"] = typ

    if "event" in body:
        out["event"] = _as_int(body["event"], ["event"], errors, minimum=1)

    if "bets" in body:
        bets = body["bets"]
        if not isinstance(bets, list):
            errors.append(_verr("list_type", ["bets"], "Input should be a valid list", bets))
        elif not bets:
            errors.append(_verr("too_short", ["bets"], "List should have at least 1 item after validation, not 0", bets))
        else:
            parsed: List[int] = []
            ok = True
            for i, b in enumerate(bets):
                v = _as_int(b, ["bets", i], errors, minimum=1)
                if v is None:
                    ok = False
                else:
                    parsed.append(v)
            if ok:
                seen = set()
                for i, v in enumerate(parsed):
                    if v in seen:
                        errors.append(_verr("value_error", ["bets", i], f"Value error, duplicate bet id {v}", v))
                        ok = False
                        break
                    seen.add(v)
            if ok:
                out["bets"] = parsed

    if errors:
        return None, errors
    return out, errors


# ---------------------------------------------------------------------------
# POST /be/tickets/reserve
# ---------------------------------------------------------------------------


def _check_signature(operator: Dict[str, Any], ts_header: str, sig_header: str, raw: bytes) -> Optional[str]:
    payload = ts_header.encode("utf-8") + raw.replace(b" ", b"")
    expected = hmac.new(operator["secret"].encode("utf-8"), payload, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig_header.lower()):
        return "invalid signature"
    ts = int(ts_header)
    if ts > 10 ** 11:  # milliseconds
        ts //= 1000
    now = int(time.time())
    if ts < now - TIMESTAMP_MAX_AGE or ts > now + TIMESTAMP_MAX_AHEAD:
        return "timestamp outside the accepted window"
    return None


@app.post("/be/tickets/reserve")
async def reserve(request: Request) -> JSONResponse:
    raw = await request.body()

    # 1. credentials present and well formed -> 403
    ts_header = request.headers.get("timestamp")
    op_header = request.headers.get("operator-name")
    sig_header = request.headers.get("signature")
    if not ts_header or not op_header or not sig_header:
        return _forbidden("missing timestamp, operator-name or signature header")
    ts_header = ts_header.strip()
    sig_header = sig_header.strip()
    if not ts_header.isdigit() or not ts_header.isascii():
        return _forbidden("malformed timestamp header")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", sig_header):
        return _forbidden("malformed signature header")

    # 2. the operator named in the header must be registered -> 112
    operator = OPERATORS.get(op_header)
    if operator is None:
        return _err(112, f"Operator with `{op_header}` name is not found")

    # 3. signature and freshness -> 403
    reason = _check_signature(operator, ts_header, sig_header, raw)
    if reason:
        return _forbidden(reason)

    # 4. body -> 422
    try:
        body = json.loads(raw.decode("utf-8")) if raw else _MISSING
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        pos = getattr(exc, "pos", 0)
        return _unprocessable([{"type": "json_invalid", "loc": ["body", pos],
                                "msg": "JSON decode error", "input": {},
                                "ctx": {"error": str(exc)}}])
    if body is _MISSING:
        return _unprocessable([{"type": "missing", "loc": ["body"], "msg": "Field required", "input": None}])
    req, errors = _validate(body)
    if errors or req is None:
        return _unprocessable(errors)

    # 5. operator checks -> 115, 114
    if req["operator"] != op_header:
        return _err(115, "Operators in request body and in request header are not identical")
    if not operator.get("webhook_url"):
        return _err(114, f"No webhook url for operator with `{operator['name']}` name")

    # 6. event and bets -> 103, 106, 116, 107
    event = EVENTS.get(req["event"])
    if event is None:
        return _err(103, f"Event with `{req['event']}` identifier is not found")
    for bet_id in req["bets"]:
        where = BETS.get(bet_id)
        if where is None or where[0] != event["event_id"]:
            return _err(106, f"Market for bet with `{bet_id}` identifier is not found")
        market = event["markets_by_id"][where[1]]
        if not market["allowed"]:
            return _err(116, f"Market with `{market['code']}` code is not allowed")
    if event["started"]:
        return _err(107, f"Event with `{event['event_id']}` identifier is not available for play "
                         f"because it has already started")

    # 7. player (PAM) -> 117, 403, 118, 119
    user_id = PLAYERS_BY_TOKEN.get(req["token"])
    player = PLAYERS.get(user_id) if user_id else None
    if player is None or player["operator"] != operator["name"]:
        return _err(117, "Player with the given token is not found")
    if player["blocked"]:
        return _forbidden("player is blocked")
    if req["currency"] != player["currency"]:
        return _err(118, f"Currency `{req['currency']}` does not match the player's currency "
                         f"`{player['currency']}`")
    price = req["price"]
    if price > player["balance"]:
        return _err(119, "Insufficient funds for the ticket price")

    # 8. ticket code -> 111
    code = None
    for _ in range(CODE_ATTEMPTS):
        candidate = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        if candidate not in TICKET_CODES:
            code = candidate
            break
    if code is None:
        return _err(111, "Duplicate key for code generation")

    # 9. the ticket
    created = _now_ms()
    stake, ext_amount = _split_inclusive(price, operator["ext"])
    ticket_id = _object_id()
    while ticket_id in TICKETS:
        ticket_id = _object_id()
    ticket: Dict[str, Any] = {
        "id": ticket_id,
        "code": code,
        "price": price,
        "stake": stake,
        "gross_payout": 0,
        "net_payout": 0,
        "wht_amount": 0,
        "wht": _pct_number(operator["wht"]),
        "ext_amount": ext_amount,
        "ext": _pct_number(operator["ext"]),
        "ext_type": "inclusive",
        "currency": player["currency"],
        "status": "reserved",
        "result": "pending",
        "approved": True,
        "source": req["source"],
        "type": "superbet",
    }
    if req.get("atag") is not None:  # absent or null atag: the key is left out
        ticket["atag"] = req["atag"]
    ticket["user_id"] = player["userId"]
    offset = _offset(operator["timezone_offset"])
    ticket["created"] = _fmt_time(created)
    ticket["operator_time_created"] = _fmt_time(created + offset)

    stored = dict(ticket)
    stored["event"] = event["event_id"]
    stored["bets"] = list(req["bets"])
    stored["operator"] = operator["name"]
    TICKETS[ticket_id] = stored
    TICKET_CODES.add(code)
    player["tickets"].append(ticket_id)

    updated = max(_now_ms(), created)
    ticket["updated"] = _fmt_time(updated)
    ticket["operator_time_updated"] = _fmt_time(updated + offset)
    stored["updated"] = ticket["updated"]
    stored["operator_time_updated"] = ticket["operator_time_updated"]
    return JSONResponse(status_code=200, content=ticket)


# ---------------------------------------------------------------------------
# Provider-state hook (test deployments only)
# ---------------------------------------------------------------------------


class HookError(Exception):
    pass


def _hook_enabled() -> bool:
    return os.environ.get("ORDERPROOF_HOOK", "on").lower() not in ("0", "off", "false", "no")


def _p_decimal(params: Dict[str, Any], name: str, default: str) -> Decimal:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise HookError(f"param '{name}' must be a decimal string or a number")
    if isinstance(value, str) and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
        raise HookError(f"param '{name}' must be a decimal string like '12.50'")
    try:
        dec = Decimal(str(value))
    except InvalidOperation:
        raise HookError(f"param '{name}' is not a decimal")
    if not dec.is_finite():
        raise HookError(f"param '{name}' is not a finite decimal")
    return dec


def _p_bool(params: Dict[str, Any], name: str, default: bool) -> bool:
    value = params.get(name, default)
    if not isinstance(value, bool):
        raise HookError(f"param '{name}' must be a boolean")
    return value


def _p_int(params: Dict[str, Any], name: str, default: int, minimum: int) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise HookError(f"param '{name}' must be an integer >= {minimum}")
    return value


def _check_params(params: Dict[str, Any], allowed: Tuple[str, ...], state: str) -> None:
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise HookError(f"unknown param(s) {unknown} for state '{state}'; accepted: {list(allowed)}")


def _dec_str(d: Decimal) -> str:
    text = format(d.normalize(), "f") if d == d.to_integral_value() else format(d, "f")
    if "." not in text:
        text += ".0"
    return text


def _operator_answer(op: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "name": op["name"],
        "secret": op["secret"],
        "timezone_offset": op["timezone_offset"],
        "webhook_url": op["webhook_url"],
        "ext": op["ext_str"],
        "wht": op["wht_str"],
    }


def _setup_operator(params: Dict[str, Any]) -> Dict[str, Any]:
    _check_params(params, ("name", "secret", "timezone_offset", "webhook_url", "ext", "wht"), "an operator exists")
    name = params.get("name")
    if name is None:
        name = "op-" + secrets.token_hex(3)
        while name in OPERATORS:
            name = "op-" + secrets.token_hex(3)
    elif not isinstance(name, str) or not name:
        raise HookError("param 'name' must be a non-empty string")
    secret = params.get("secret")
    if secret is None:
        secret = secrets.token_hex(16)
    elif not isinstance(secret, str) or not secret:
        raise HookError("param 'secret' must be a non-empty string")
    tz = params.get("timezone_offset", "+02:00")
    if not isinstance(tz, str) or not re.fullmatch(r"[+-][0-9]{2}:[0-9]{2}", tz) \
            or int(tz[1:3]) > 14 or int(tz[4:6]) > 59:
        raise HookError("param 'timezone_offset' must look like '+02:00'")
    webhook = params.get("webhook_url", "http://127.0.0.1/webhook")
    if webhook is not None and not isinstance(webhook, str):
        raise HookError("param 'webhook_url' must be a string or null")
    ext = _p_decimal(params, "ext", "12.5")
    wht = _p_decimal(params, "wht", "20.0")
    for label, val in (("ext", ext), ("wht", wht)):
        if val < 0 or val >= 100:
            raise HookError(f"param '{label}' must be a percentage in [0, 100)")
    raw_ext, raw_wht = params.get("ext", "12.5"), params.get("wht", "20.0")
    op = {
        "name": name,
        "secret": secret,
        "timezone_offset": tz,
        "webhook_url": webhook,
        "ext": ext,
        "wht": wht,
        "ext_str": raw_ext if isinstance(raw_ext, str) else _dec_str(ext),
        "wht_str": raw_wht if isinstance(raw_wht, str) else _dec_str(wht),
    }
    OPERATORS[name] = op  # a named setup replaces an operator of that name
    return _operator_answer(op)


def _setup_player(params: Dict[str, Any]) -> Dict[str, Any]:
    _check_params(params, ("balance", "currency", "blocked", "min_stake", "max_stake",
                           "session_expired", "session_expired_seconds_ago", "operator"), "a player exists")
    balance = _p_decimal(params, "balance", "1000.00")
    if balance < 0 or balance != balance.quantize(Decimal("0.01")):
        raise HookError("param 'balance' must be a non-negative amount in whole cents")
    currency = params.get("currency", "EUR")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise HookError("param 'currency' must be an ISO 4217 code like 'EUR'")
    blocked = _p_bool(params, "blocked", False)
    min_stake = _p_decimal(params, "min_stake", "0.10")
    max_stake = _p_decimal(params, "max_stake", "500.00")
    _p_bool(params, "session_expired", False)
    _p_int(params, "session_expired_seconds_ago", 60, 1)
    op_name = params.get("operator")
    if op_name is None:
        op = OPERATORS[_setup_operator({})["name"]]
    else:
        if not isinstance(op_name, str) or op_name not in OPERATORS:
            raise HookError(f"param 'operator': no operator named {op_name!r}; set it up first")
        op = OPERATORS[op_name]
    user_id = "user-" + secrets.token_hex(4)
    while user_id in PLAYERS:
        user_id = "user-" + secrets.token_hex(4)
    token = secrets.token_urlsafe(24)
    player = {
        "userId": user_id,
        "token": token,
        "balance": int(balance * 100),
        "currency": currency,
        "blocked": blocked,
        "min_stake": min_stake.quantize(Decimal("0.01")),
        "max_stake": max_stake.quantize(Decimal("0.01")),
        "operator": op["name"],
        "tickets": [],
    }
    PLAYERS[user_id] = player
    PLAYERS_BY_TOKEN[token] = user_id
    return {
        "userId": user_id,
        "token": token,
        "balance": _cents_to_str(player["balance"]),
        "currency": currency,
        "blocked": blocked,
        "min_stake": str(player["min_stake"]),
        "max_stake": str(player["max_stake"]),
        "operator": _operator_answer(op),
    }


def _event_answer(ev: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "event_id": ev["event_id"],
        "name": ev["name"],
        "started": ev["started"],
        "markets": [
            {"market_id": m["market_id"], "code": m["code"], "allowed": m["allowed"],
             "selections": [dict(s) for s in m["selections"]]}
            for m in ev["markets"]
        ],
    }


DEFAULT_MARKETS = [{"code": "1X2", "allowed": True, "prices": ["1.85", "3.40", "4.20"]}]


def _create_event(params: Dict[str, Any]) -> Dict[str, Any]:
    _check_params(params, ("started", "markets"), "an event exists")
    started = _p_bool(params, "started", False)
    markets_in = params.get("markets", DEFAULT_MARKETS)
    if not isinstance(markets_in, list) or not markets_in:
        raise HookError("param 'markets' must be a non-empty list")
    prepared = []
    for i, m in enumerate(markets_in):
        if not isinstance(m, dict):
            raise HookError(f"param 'markets[{i}]' must be an object")
        extra = sorted(set(m) - {"code", "allowed", "prices"})
        if extra:
            raise HookError(f"unknown key(s) {extra} in 'markets[{i}]'; accepted: code, allowed, prices")
        code = m.get("code")
        if not isinstance(code, str) or not code:
            raise HookError(f"param 'markets[{i}].code' is required and must be a string")
        allowed = _p_bool(m, "allowed", True)
        prices_in = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices_in, list) or not prices_in:
            raise HookError(f"param 'markets[{i}].prices' must be a non-empty list")
        prices = []
        for j, p in enumerate(prices_in):
            d = _p_decimal({"p": p}, "p", "0")
            if d <= 1:
                raise HookError(f"param 'markets[{i}].prices[{j}]' must be decimal odds above 1")
            prices.append(p if isinstance(p, str) else format(d.quantize(Decimal("0.01")), "f"))
        prepared.append((code, allowed, prices))
    # all validated: now allocate ids and store
    event_id = next(_event_ids)
    markets = []
    for code, allowed, prices in prepared:
        market_id = next(_market_ids)
        names = ["1", "X", "2"] if len(prices) == 3 else [str(k + 1) for k in range(len(prices))]
        selections = []
        for name, price in zip(names, prices):
            bet_id = next(_bet_ids)
            selections.append({"bet_id": bet_id, "name": name, "decimal_price": price})
            BETS[bet_id] = (event_id, market_id)
        markets.append({"market_id": market_id, "code": code, "allowed": allowed, "selections": selections})
    ev = {
        "event_id": event_id,
        "name": "Home v Away",
        "started": started,
        "markets": markets,
        "markets_by_id": {m["market_id"]: m for m in markets},
    }
    EVENTS[event_id] = ev
    return _event_answer(ev)


def _setup_betcard(params: Dict[str, Any]) -> Dict[str, Any]:
    _check_params(params, ("events", "prize", "bonus_prizes"), "a jackpot betcard exists")
    n = _p_int(params, "events", 3, 1)
    if n > 50:
        raise HookError("param 'events' must be at most 50")
    prize = _p_int(params, "prize", 1000000, 0)
    bonus = params.get("bonus_prizes", [10000, 5000])
    if not isinstance(bonus, list) or any(isinstance(b, bool) or not isinstance(b, int) or b < 0 for b in bonus):
        raise HookError("param 'bonus_prizes' must be a list of non-negative integers (cents)")
    events = [_create_event({}) for _ in range(n)]
    code = "JP-" + secrets.token_hex(2)
    while code in BETCARDS:
        code = "JP-" + secrets.token_hex(2)
    card = {"betcard_code": code, "prize": prize, "bonus_prizes": list(bonus), "events": events}
    BETCARDS[code] = card
    return card


def _snapshot(params: Dict[str, Any]) -> Dict[str, Any]:
    _check_params(params, ("userId",), "a player snapshot")
    user_id = params.get("userId")
    if not isinstance(user_id, str):
        raise HookError("param 'userId' is required and must be a string")
    player = PLAYERS.get(user_id)
    if player is None:
        raise HookError(f"param 'userId': no player {user_id!r}")
    tickets = []
    for tid in player["tickets"]:
        t = TICKETS[tid]
        tickets.append({k: t[k] for k in (
            "id", "code", "type", "price", "stake", "ext_amount", "gross_payout", "net_payout",
            "wht_amount", "status", "result", "currency", "event", "bets", "created", "updated")})
    return {
        "userId": user_id,
        "balance": _cents_to_str(player["balance"]),
        "currency": player["currency"],
        "tickets": tickets,
        "ledger": [],
    }


STATES = {
    "an operator exists": _setup_operator,
    "a player exists": _setup_player,
    "an event exists": _create_event,
    "a jackpot betcard exists": _setup_betcard,
    "a player snapshot": _snapshot,
}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request) -> JSONResponse:
    if not _hook_enabled():
        return JSONResponse(status_code=404, content={"detail": "Not Found"})
    try:
        body = json.loads((await request.body()).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return JSONResponse(status_code=400, content={"error": "the body must be a JSON object"})
    if not isinstance(body, dict):
        return JSONResponse(status_code=400, content={"error": "the body must be a JSON object"})
    state = body.get("state")
    if not isinstance(state, str) or state not in STATES:
        return JSONResponse(status_code=400, content={
            "error": f"unknown provider state {state!r}; accepted: {sorted(STATES)}"})
    action = body.get("action", "setup")
    if action not in ("setup", "teardown"):
        return JSONResponse(status_code=400, content={
            "error": f"unknown action {action!r}; accepted: ['setup', 'teardown']"})
    params = body.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return JSONResponse(status_code=400, content={"error": "'params' must be an object"})
    if action == "teardown":
        return JSONResponse(status_code=200, content={})
    try:
        answer = STATES[state](params)
    except HookError as exc:
        return JSONResponse(status_code=400, content={"error": str(exc)})
    return JSONResponse(status_code=200, content=answer)
