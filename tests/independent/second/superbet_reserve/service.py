"""Superbet ticket reservation service (POST /be/tickets/reserve).

Independent implementation written from the API document (seed 003) alone.
State is kept in memory. See DECISIONS.md for every point the document leaves open.

Test hook: POST /_orderproof/provider-states (disable with ORDERPROOF_HOOK=0; it then answers 404).
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
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI(title="superbet-reserve (independent implementation 2)")

# ---------------------------------------------------------------------------
# In-memory state
# ---------------------------------------------------------------------------
_lock = threading.RLock()

OPERATORS: dict[str, dict[str, Any]] = {}   # name -> operator
PLAYERS: dict[str, dict[str, Any]] = {}     # userId -> player
TOKENS: dict[str, str] = {}                 # token -> userId
EVENTS: dict[int, dict[str, Any]] = {}      # event_id -> event
BETS: dict[int, tuple[int, int]] = {}       # bet_id -> (event_id, market_id)
BETCARDS: dict[str, dict[str, Any]] = {}
TICKETS: dict[str, dict[str, Any]] = {}     # ticket id -> ticket
TICKET_CODES: set[str] = set()

_counters = {"event": 300000, "market": 7000, "bet": 9000, "oid": secrets.randbelow(1 << 24)}

SOURCES = {"desktop", "mobile", "android", "iphone", "ussd", "sms", "telegram"}
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes
CODE_LENGTH = 6
CODE_ATTEMPTS = 5
TIME_FMT = "%Y-%m-%dT%H:%M:%S.%f"

FORBIDDEN_MESSAGE = "Forbidden. You do not have access for such request"


def _next(kind: str) -> int:
    _counters[kind] += 1
    return _counters[kind]


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def _err400(code: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=400, content={"code": code, "message": message})


def _err403(reason: str) -> JSONResponse:
    return JSONResponse(status_code=403, content={"message": FORBIDDEN_MESSAGE, "reason": reason})


def _err422(errors: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content={"message": "Validation error", "errors": errors},
    )


def _parse_offset(offset: str) -> timedelta:
    sign = 1 if offset[0] == "+" else -1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    return sign * timedelta(hours=hours, minutes=minutes)


def _fmt(dt: datetime) -> str:
    return dt.strftime(TIME_FMT)


def _object_id() -> str:
    """24 hex chars built like a MongoDB ObjectId: 4-byte time, 5 random bytes, 3-byte counter."""
    _counters["oid"] = (_counters["oid"] + 1) % (1 << 24)
    return "%08x%s%06x" % (int(time.time()) & 0xFFFFFFFF, secrets.token_hex(5), _counters["oid"])


def _money(d: Decimal) -> str:
    return str(d.quantize(Decimal("0.01")))


def _pct_str(d: Decimal) -> str:
    s = str(d)
    return s if "." in s or "E" in s.upper() else s + ".0"


def _decimal_param(value: Any, name: str) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"param '{name}' must be a decimal string or a number")
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
        return Decimal(value)
    raise ValueError(f"param '{name}' must be a decimal string or a number")


# ---------------------------------------------------------------------------
# Request validation (lenient integers, strict strings, no unknown fields)
# ---------------------------------------------------------------------------
_ALLOWED_FIELDS = {"operator", "token", "price", "currency", "atag", "source", "type", "event", "bets"}
_REQUIRED_FIELDS = ["operator", "token", "price", "currency", "source", "event", "bets"]


def _lenient_int(value: Any) -> int | None:
    """JSON integer, integral float (2000.0) or a string of digits ("2000"). Booleans never."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    return None


def _validate(body: Any) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    errors: list[dict[str, Any]] = []

    def add(field: str, message: str, kind: str) -> None:
        errors.append({"field": field, "message": message, "type": kind})

    if not isinstance(body, dict):
        add("body", "request body must be a JSON object", "object_type")
        return None, errors

    for key in body:
        if key not in _ALLOWED_FIELDS:
            add(key, "unknown field", "extra_forbidden")
    for key in _REQUIRED_FIELDS:
        if key not in body:
            add(key, "field required", "missing")

    out: dict[str, Any] = {}
    for key in ("operator", "token", "currency", "source"):
        if key in body:
            if not isinstance(body[key], str):
                add(key, "must be a string", "string_type")
            else:
                out[key] = body[key]

    if "currency" in out and not re.fullmatch(r"[A-Z]{3}", out["currency"]):
        add("currency", "must be a three-letter upper-case ISO 4217 code", "pattern")
    if "source" in out and out["source"] not in SOURCES:
        add("source", "must be one of " + ", ".join(sorted(SOURCES)), "enum")

    if "type" in body:
        if not isinstance(body["type"], str):
            add("type", "must be a string", "string_type")
        elif body["type"] != "superbet":
            add("type", "must be 'superbet' on this endpoint", "enum")
        else:
            out["type"] = "superbet"
    else:
        out["type"] = "superbet"

    if "atag" in body:
        if body["atag"] is not None and not isinstance(body["atag"], str):
            add("atag", "must be a string or null", "string_type")
        else:
            out["atag"] = body["atag"]
    else:
        out["atag"] = None

    if "price" in body:
        price = _lenient_int(body["price"])
        if price is None:
            add("price", "must be an integer amount in cents", "int_type")
        elif price < 1:
            add("price", "must be at least 1 (cents)", "greater_than_equal")
        else:
            out["price"] = price

    if "event" in body:
        event = _lenient_int(body["event"])
        if event is None:
            add("event", "must be an integer event id", "int_type")
        else:
            out["event"] = event

    if "bets" in body:
        bets = body["bets"]
        if not isinstance(bets, list):
            add("bets", "must be a list of integers", "list_type")
        elif not bets:
            add("bets", "must contain at least one bet id", "too_short")
        else:
            parsed: list[int] = []
            ok = True
            for i, item in enumerate(bets):
                v = _lenient_int(item)
                if v is None:
                    add(f"bets[{i}]", "must be an integer bet id", "int_type")
                    ok = False
                else:
                    parsed.append(v)
            if ok:
                if len(set(parsed)) != len(parsed):
                    add("bets", "bet ids must be unique", "unique_items")
                else:
                    out["bets"] = parsed

    return (None, errors) if errors else (out, [])


# ---------------------------------------------------------------------------
# Signature
# ---------------------------------------------------------------------------
def _signature_ok(secret: str, timestamp: str, raw: bytes, signature: str) -> bool:
    given = signature.strip().lower()
    candidates = {raw.replace(b" ", b"")}
    candidates.add(re.sub(rb"\s", b"", raw))  # also accept all whitespace removed
    for body in candidates:
        expected = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, given):
            return True
    return False


# ---------------------------------------------------------------------------
# Endpoint
# ---------------------------------------------------------------------------
@app.post("/be/tickets/reserve")
async def reserve(request: Request) -> JSONResponse:
    raw = await request.body()
    h_timestamp = request.headers.get("timestamp")
    h_operator = request.headers.get("operator-name")
    h_signature = request.headers.get("signature")

    # 1. credentials must be present and well formed
    if not h_timestamp or not h_operator or not h_signature:
        return _err403("missing timestamp, operator-name or signature header")
    if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", h_timestamp.strip()):
        return _err403("timestamp header must be unix time in seconds")
    if not re.fullmatch(r"[0-9a-fA-F]{64}", h_signature.strip()):
        return _err403("signature header must be a 64-digit hex HMAC-SHA256")

    # 2. body syntax and schema
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return _err422([{"field": "body", "message": f"malformed JSON: {exc}", "type": "json_invalid"}])
    data, errors = _validate(body)
    if data is None:
        return _err422(errors)

    with _lock:
        # 3. header operator vs body operator
        if data["operator"] != h_operator:
            return _err400(115, "Operators in request body and in request header are not identical")
        # 4. operator known
        op = OPERATORS.get(data["operator"])
        if op is None:
            return _err400(112, f"Operator with `{data['operator']}` name is not found")
        # 5. signature
        if not _signature_ok(op["secret"], h_timestamp, raw, h_signature):
            return _err403("signature does not match")
        # 6. webhook
        if not op["webhook_url"]:
            return _err400(114, f"No webhook url for operator with `{op['name']}` name")

        # 7. player (PAM)
        user_id = TOKENS.get(data["token"])
        player = PLAYERS.get(user_id) if user_id else None
        if player is None or player["operator"] != op["name"]:
            return _err400(150, "Player with the given token is not found for this operator")
        if player["blocked"]:
            return _err400(153, f"Player `{player['userId']}` is blocked")
        if data["currency"] != player["currency"]:
            return _err400(
                151,
                f"Currency `{data['currency']}` does not match the player's currency `{player['currency']}`",
            )

        # 8. event and bets
        event = EVENTS.get(data["event"])
        if event is None:
            return _err400(103, f"Event with `{data['event']}` identifier is not found")
        if event["started"]:
            return _err400(
                107,
                f"Event with `{data['event']}` identifier is not available for play because it has already started",
            )
        markets: list[dict[str, Any]] = []
        for bet_id in data["bets"]:
            where = BETS.get(bet_id)
            if where is None or where[0] != event["event_id"]:
                return _err400(106, f"Market for bet with `{bet_id}` identifier is not found")
            markets.append(event["markets_by_id"][where[1]])
        for market in markets:
            if not market["allowed"]:
                return _err400(116, f"Market with `{market['market_id']}` code is not allowed")

        # 9. funds: a reservation holds the price against the available balance
        price = data["price"]
        available = player["balance_cents"] - player["held_cents"]
        if price > available:
            return _err400(152, "Insufficient funds to reserve the ticket")

        # 10. ticket code
        code = None
        for _ in range(CODE_ATTEMPTS):
            candidate = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            if candidate not in TICKET_CODES:
                code = candidate
                break
        if code is None:
            return _err400(111, "Duplicate key for code generation")

        ext: Decimal = op["ext"]
        wht: Decimal = op["wht"]
        ext_amount = int((Decimal(price) * ext / (Decimal(100) + ext)).to_integral_value(rounding=ROUND_FLOOR))
        stake = price - ext_amount

        now = datetime.now(timezone.utc).replace(tzinfo=None)
        op_now = now + _parse_offset(op["timezone_offset"])
        ticket_id = _object_id()
        wht_out: int | float = int(wht) if wht == wht.to_integral_value() else float(wht)

        response = {
            "id": ticket_id,
            "code": code,
            "price": price,
            "stake": stake,
            "gross_payout": 0,
            "net_payout": 0,
            "wht_amount": 0,
            "wht": wht_out,
            "ext_amount": ext_amount,
            "ext": float(ext),
            "ext_type": "inclusive",
            "currency": data["currency"],
            "status": "reserved",
            "result": "pending",
            "approved": True,
            "source": data["source"],
            "type": data["type"],
            "atag": data["atag"] if data["atag"] is not None else "",
            "user_id": player["userId"],
            "created": _fmt(now),
            "operator_time_created": _fmt(op_now),
            "updated": _fmt(now),
            "operator_time_updated": _fmt(op_now),
        }
        TICKET_CODES.add(code)
        player["held_cents"] += price
        TICKETS[ticket_id] = {
            **response,
            "operator": op["name"],
            "event": event["event_id"],
            "bets": list(data["bets"]),
        }
        player["tickets"].append(ticket_id)
        return JSONResponse(status_code=200, content=response)


# ---------------------------------------------------------------------------
# Provider-state hook (test environments only)
# ---------------------------------------------------------------------------
class HookError(Exception):
    pass


def _check_type(params: dict[str, Any], name: str, types: tuple, label: str) -> None:
    if name in params and (not isinstance(params[name], types) or isinstance(params[name], bool) and bool not in types):
        raise HookError(f"param '{name}' must be {label}")


def _operator_answer(op: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": op["name"],
        "secret": op["secret"],
        "timezone_offset": op["timezone_offset"],
        "webhook_url": op["webhook_url"],
        "ext": _pct_str(op["ext"]),
        "wht": _pct_str(op["wht"]),
    }


def _create_operator(params: dict[str, Any]) -> dict[str, Any]:
    _check_type(params, "name", (str,), "a string")
    _check_type(params, "secret", (str,), "a string")
    _check_type(params, "timezone_offset", (str,), "a string like '+02:00'")
    offset = params.get("timezone_offset", "+02:00")
    if not re.fullmatch(r"[+-][0-9]{2}:[0-9]{2}", offset) or int(offset[1:3]) > 23 or int(offset[4:6]) > 59:
        raise HookError("param 'timezone_offset' must match ^[+-]HH:MM$")
    webhook = params.get("webhook_url", "http://127.0.0.1/webhook")
    if webhook is not None and not isinstance(webhook, str):
        raise HookError("param 'webhook_url' must be a string or null")
    try:
        ext = _decimal_param(params.get("ext", "12.5"), "ext")
        wht = _decimal_param(params.get("wht", "20.0"), "wht")
    except ValueError as exc:
        raise HookError(str(exc))
    if ext < 0 or wht < 0 or wht > 100:
        raise HookError("params 'ext' and 'wht' must be non-negative percentages")
    name = params.get("name") or f"op-{secrets.token_hex(3)}"
    while "name" not in params and name in OPERATORS:
        name = f"op-{secrets.token_hex(3)}"
    if name in OPERATORS:
        raise HookError(f"operator '{name}' already exists")
    op = {
        "name": name,
        "secret": params.get("secret") or secrets.token_urlsafe(24),
        "timezone_offset": offset,
        "webhook_url": webhook,
        "ext": ext,
        "wht": wht,
    }
    OPERATORS[name] = op
    return op


def _create_player(params: dict[str, Any]) -> dict[str, Any]:
    _check_type(params, "currency", (str,), "a string")
    _check_type(params, "blocked", (bool,), "a boolean")
    _check_type(params, "session_expired", (bool,), "a boolean")
    _check_type(params, "operator", (str,), "an operator name")
    try:
        balance = _decimal_param(params.get("balance", "1000.00"), "balance")
        min_stake = _decimal_param(params.get("min_stake", "0.10"), "min_stake")
        max_stake = _decimal_param(params.get("max_stake", "500.00"), "max_stake")
    except ValueError as exc:
        raise HookError(str(exc))
    if balance < 0:
        raise HookError("param 'balance' must not be negative")
    currency = params.get("currency", "EUR")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise HookError("param 'currency' must match ^[A-Z]{3}$")
    if "operator" in params:
        op = OPERATORS.get(params["operator"])
        if op is None:
            raise HookError(f"unknown operator '{params['operator']}'")
    else:
        op = _create_operator({})
    user_id = f"usr-{secrets.token_hex(5)}"
    token = secrets.token_urlsafe(32)
    player = {
        "userId": user_id,
        "token": token,
        "operator": op["name"],
        "currency": currency,
        "balance_cents": int((balance * 100).to_integral_value()),
        "held_cents": 0,
        "blocked": params.get("blocked", False),
        "min_stake": min_stake,
        "max_stake": max_stake,
        "tickets": [],
    }
    PLAYERS[user_id] = player
    TOKENS[token] = user_id
    return {
        "userId": user_id,
        "token": token,
        "balance": _money(balance),
        "currency": currency,
        "blocked": player["blocked"],
        "min_stake": _money(min_stake),
        "max_stake": _money(max_stake),
        "operator": _operator_answer(op),
    }


def _event_answer(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "event_id": event["event_id"],
        "name": event["name"],
        "started": event["started"],
        "markets": [
            {
                "market_id": m["market_id"],
                "code": m["code"],
                "allowed": m["allowed"],
                "selections": [dict(s) for s in m["selections"]],
            }
            for m in event["markets"]
        ],
    }


def _create_event(params: dict[str, Any]) -> dict[str, Any]:
    _check_type(params, "started", (bool,), "a boolean")
    markets_in = params.get("markets", [{"code": "1X2", "allowed": True, "prices": ["1.85", "3.40", "4.20"]}])
    if not isinstance(markets_in, list) or not markets_in:
        raise HookError("param 'markets' must be a non-empty list")
    prepared = []
    for i, m in enumerate(markets_in):
        if not isinstance(m, dict) or not isinstance(m.get("code"), str):
            raise HookError(f"param 'markets[{i}]' must be an object with a string 'code'")
        allowed = m.get("allowed", True)
        if not isinstance(allowed, bool):
            raise HookError(f"param 'markets[{i}].allowed' must be a boolean")
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or not prices:
            raise HookError(f"param 'markets[{i}].prices' must be a non-empty list")
        try:
            decs = [_decimal_param(p, f"markets[{i}].prices") for p in prices]
        except ValueError as exc:
            raise HookError(str(exc))
        prepared.append((m["code"], allowed, prices, decs))
    event_id = _next("event")
    markets = []
    for code, allowed, prices, decs in prepared:
        market_id = _next("market")
        names = ["1", "X", "2"] if len(decs) == 3 else [str(k + 1) for k in range(len(decs))]
        selections = []
        for name, p, d in zip(names, prices, decs):
            bet_id = _next("bet")
            selections.append({"bet_id": bet_id, "name": name, "decimal_price": p if isinstance(p, str) else str(d)})
            BETS[bet_id] = (event_id, market_id)
        markets.append({"market_id": market_id, "code": code, "allowed": allowed, "selections": selections})
    event = {
        "event_id": event_id,
        "name": "Home v Away",
        "started": params.get("started", False),
        "markets": markets,
        "markets_by_id": {m["market_id"]: m for m in markets},
    }
    EVENTS[event_id] = event
    return _event_answer(event)


def _create_betcard(params: dict[str, Any]) -> dict[str, Any]:
    n = params.get("events", 3)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise HookError("param 'events' must be an integer >= 1")
    prize = params.get("prize", 1000000)
    if isinstance(prize, bool) or not isinstance(prize, int) or prize < 0:
        raise HookError("param 'prize' must be a non-negative integer (cents)")
    bonus = params.get("bonus_prizes", [10000, 5000])
    if not isinstance(bonus, list) or any(isinstance(b, bool) or not isinstance(b, int) or b < 0 for b in bonus):
        raise HookError("param 'bonus_prizes' must be a list of non-negative integers (cents)")
    events = [_create_event({}) for _ in range(n)]
    code = f"JP-{secrets.token_hex(2)}"
    BETCARDS[code] = {"betcard_code": code, "prize": prize, "bonus_prizes": bonus, "events": events}
    return BETCARDS[code]


def _snapshot(params: dict[str, Any]) -> dict[str, Any]:
    user_id = params.get("userId")
    if not isinstance(user_id, str):
        raise HookError("param 'userId' (string) is required for 'a player snapshot'")
    player = PLAYERS.get(user_id)
    if player is None:
        raise HookError(f"unknown player '{user_id}'")
    tickets = []
    for tid in player["tickets"]:
        t = TICKETS[tid]
        tickets.append({
            "id": t["id"], "code": t["code"], "type": t["type"], "price": t["price"], "stake": t["stake"],
            "ext_amount": t["ext_amount"], "gross_payout": t["gross_payout"], "net_payout": t["net_payout"],
            "wht_amount": t["wht_amount"], "status": t["status"], "result": t["result"],
            "currency": t["currency"], "event": t["event"], "bets": list(t["bets"]),
            "atag": t["atag"], "created": t["created"],
        })
    return {
        "userId": user_id,
        "balance": _money(Decimal(player["balance_cents"]) / 100),
        "currency": player["currency"],
        "held": _money(Decimal(player["held_cents"]) / 100),
        "tickets": tickets,
        "bets": [],
        "orders": [],
        "travel_orders": [],
        "ledger": [],
    }


def _teardown(state: str, params: dict[str, Any]) -> dict[str, Any]:
    removed: list[str] = []
    if state == "an operator exists" and isinstance(params.get("name"), str):
        name = params["name"]
        if name in OPERATORS and not any(p["operator"] == name for p in PLAYERS.values()):
            del OPERATORS[name]
            removed.append(name)
    return {"removed": removed} if removed else {}


_STATES = {
    "an operator exists": lambda p: _operator_answer(_create_operator(p)),
    "a player exists": _create_player,
    "an event exists": _create_event,
    "a jackpot betcard exists": _create_betcard,
    "a player snapshot": _snapshot,
}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request) -> JSONResponse:
    if os.environ.get("ORDERPROOF_HOOK", "1") in ("0", "false", "off", "no"):
        return JSONResponse(status_code=404, content={"detail": "Not Found"})
    try:
        body = json.loads((await request.body()).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return JSONResponse(status_code=400, content={"error": "request body must be a JSON object"})
    if not isinstance(body, dict):
        return JSONResponse(status_code=400, content={"error": "request body must be a JSON object"})
    state = body.get("state")
    params = body.get("params") or {}
    action = body.get("action", "setup")
    if state not in _STATES:
        return JSONResponse(
            status_code=400,
            content={"error": f"unknown provider state {state!r}; known: {', '.join(_STATES)}"},
        )
    if not isinstance(params, dict):
        return JSONResponse(status_code=400, content={"error": "params must be an object"})
    if action not in ("setup", "teardown"):
        return JSONResponse(status_code=400, content={"error": f"bad action {action!r}; use setup or teardown"})
    with _lock:
        try:
            if action == "teardown":
                return JSONResponse(status_code=200, content=_teardown(state, params))
            return JSONResponse(status_code=200, content=_STATES[state](params))
        except HookError as exc:
            return JSONResponse(status_code=400, content={"error": str(exc)})
