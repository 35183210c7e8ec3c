"""superbet-reserve: POST /be/tickets/reserve (independent implementation 4).

Single-file FastAPI service, state in memory. Also serves the orderproof provider-state hook at
POST /_orderproof/provider-states (test deployments only; set ORDERPROOF_PROVIDER_STATES=off to
disable it, it then answers 404).

See DECISIONS.md next to this file for every open point of the seed and the choice made.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import JSONResponse, Response

app = FastAPI(title="superbet-reserve", version="4.0.0")

# --------------------------------------------------------------------------------------------
# In-memory state (module level)
# --------------------------------------------------------------------------------------------
OPERATORS: dict[str, dict] = {}          # name -> operator
PLAYERS: dict[str, dict] = {}            # userId -> player
TOKENS: dict[str, str] = {}              # ticket-engine token -> userId
EVENTS: dict[int, dict] = {}             # event_id -> event
BETS: dict[int, tuple[int, dict]] = {}   # bet_id -> (event_id, market)
BETCARDS: dict[str, dict] = {}           # betcard_code -> betcard
TICKETS: dict[str, dict] = {}            # ticket id -> stored ticket
TICKET_CODES: set[str] = set()
IDEMPOTENCY: dict[tuple[str, str], tuple[str, str]] = {}  # (operator, key) -> (body digest, response text)

_SEQ = {"event": 500000, "market": 8000, "bet": 20000, "player": 0}

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"   # Crockford base32: no I, L, O, U
CODE_LENGTH = 6
TIMESTAMP_WINDOW_SECONDS = 3600
INT64_MAX = 2**63 - 1
SOURCES = ("desktop", "mobile", "android", "iphone", "ussd", "sms", "telegram")
TIME_FMT = "%Y-%m-%dT%H:%M:%S.%f"
FORBIDDEN_TEXT = "Forbidden. You do not have access for such request"


def _next(kind: str) -> int:
    _SEQ[kind] += 1
    return _SEQ[kind]


# --------------------------------------------------------------------------------------------
# Response helpers
# --------------------------------------------------------------------------------------------
def business_error(status: int, code: int, message: str) -> JSONResponse:
    """The seed's error body {"code": int, "message": str}."""
    return JSONResponse(status_code=status, content={"code": code, "message": message},
                        headers={"Cache-Control": "no-store"})


def forbidden(reason: str) -> JSONResponse:
    """403 as an RFC 9457 problem document, titled with the seed's 403 wording."""
    return JSONResponse(
        status_code=403,
        media_type="application/problem+json",
        content={
            "type": "about:blank",
            "title": FORBIDDEN_TEXT,
            "status": 403,
            "detail": reason,
            "instance": "/be/tickets/reserve",
        },
        headers={"Cache-Control": "no-store"},
    )


def validation_error(errors: list[dict]) -> JSONResponse:
    """422 in the framework's usual {"detail": [...]} shape (entries: loc, msg, type)."""
    return JSONResponse(status_code=422, content={"detail": errors},
                        headers={"Cache-Control": "no-store"})


def _sci(value: Decimal) -> str:
    """A JSON number in scientific notation with a fractional mantissa: 12.5 -> 1.25E1, 20 -> 2.0E1."""
    if value == 0:
        return "0.0E0"
    text = format(value.normalize(), "E")          # e.g. '1.25E+1', '2E+1', '5E-1'
    mantissa, exponent = text.split("E")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}E{int(exponent)}"


def _fmt_time(moment: datetime) -> str:
    return moment.strftime(TIME_FMT)


def _parse_offset(text: str) -> timedelta:
    sign = -1 if text[0] == "-" else 1
    return sign * timedelta(hours=int(text[1:3]), minutes=int(text[4:6]))


# --------------------------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------------------------
def split_price(price: int, ext: Decimal) -> tuple[int, int]:
    """Inclusive excise: stake = price / (1 + ext/100), rounded half-to-even; ext_amount = rest.

    Exact rational arithmetic; price 1000 @ 12.5 % -> stake 889, ext_amount 111 (the sample).
    """
    exact = Fraction(price) * 100 / (100 + Fraction(ext))
    floor = exact.numerator // exact.denominator
    remainder = exact - floor
    if remainder > Fraction(1, 2):
        stake = floor + 1
    elif remainder < Fraction(1, 2):
        stake = floor
    else:
        stake = floor if floor % 2 == 0 else floor + 1
    stake = max(0, min(stake, price))
    return stake, price - stake


# --------------------------------------------------------------------------------------------
# Request validation (hand-written so that the rules below are exactly the documented ones)
# --------------------------------------------------------------------------------------------
KNOWN_FIELDS = ("operator", "token", "price", "currency", "atag", "source", "type", "event", "bets")
_DIGITS = re.compile(r"^-?[0-9]+$")


def _as_int(value: Any) -> int | None:
    """A JSON integer, or a string of (ASCII) digits; never a bool or a JSON float."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _DIGITS.match(value):
        return int(value)
    return None


def validate(body: Any) -> tuple[dict | None, list[dict], list[str]]:
    errors: list[dict] = []
    if not isinstance(body, dict):
        return None, [{"loc": ["body"], "msg": "value is not a valid dict", "type": "type_error.dict"}], []

    ignored = sorted(k for k in body if k not in KNOWN_FIELDS)
    out: dict[str, Any] = {}

    def missing(name: str) -> None:
        errors.append({"loc": ["body", name], "msg": "field required", "type": "value_error.missing"})

    for name in ("operator", "token", "currency", "source", "type"):
        if name not in body:
            missing(name)
            continue
        value = body[name]
        if not isinstance(value, str):
            errors.append({"loc": ["body", name], "msg": "str type expected", "type": "type_error.str"})
        elif value == "":
            errors.append({"loc": ["body", name], "msg": "ensure this value has at least 1 characters",
                           "type": "value_error.any_str.min_length", "ctx": {"limit_value": 1}})
        else:
            out[name] = value

    if "currency" in out and not re.fullmatch(r"[A-Z]{3}", out["currency"]):
        errors.append({"loc": ["body", "currency"], "msg": "string does not match regex \"^[A-Z]{3}$\"",
                       "type": "value_error.str.regex", "ctx": {"pattern": "^[A-Z]{3}$"}})
        out.pop("currency")
    if "source" in out:
        if out["source"].lower() in SOURCES:
            out["source"] = out["source"].lower()
        else:
            errors.append({"loc": ["body", "source"],
                           "msg": "value is not a valid enumeration member; permitted: "
                                  + ", ".join(f"'{s}'" for s in SOURCES),
                           "type": "type_error.enum", "ctx": {"enum_values": list(SOURCES)}})
            out.pop("source")
    if "type" in out:
        if out["type"].lower() == "superbet":
            out["type"] = "superbet"
        else:
            errors.append({"loc": ["body", "type"], "msg": "unexpected value; permitted: 'superbet'",
                           "type": "value_error.const", "ctx": {"given": out["type"], "permitted": ["superbet"]}})
            out.pop("type")

    if "price" not in body:
        missing("price")
    else:
        price = _as_int(body["price"])
        if price is None:
            errors.append({"loc": ["body", "price"], "msg": "value is not a valid integer", "type": "type_error.integer"})
        elif price < 1:
            errors.append({"loc": ["body", "price"], "msg": "ensure this value is greater than or equal to 1",
                           "type": "value_error.number.not_ge", "ctx": {"limit_value": 1}})
        elif price > INT64_MAX:
            errors.append({"loc": ["body", "price"], "msg": f"ensure this value is less than or equal to {INT64_MAX}",
                           "type": "value_error.number.not_le", "ctx": {"limit_value": INT64_MAX}})
        else:
            out["price"] = price

    if "event" not in body:
        missing("event")
    else:
        event = _as_int(body["event"])
        if event is None:
            errors.append({"loc": ["body", "event"], "msg": "value is not a valid integer", "type": "type_error.integer"})
        else:
            out["event"] = event

    if "bets" not in body:
        missing("bets")
    else:
        raw = body["bets"]
        if not isinstance(raw, list):
            errors.append({"loc": ["body", "bets"], "msg": "value is not a valid list", "type": "type_error.list"})
        elif not raw:
            errors.append({"loc": ["body", "bets"], "msg": "ensure this value has at least 1 items",
                           "type": "value_error.list.min_items", "ctx": {"limit_value": 1}})
        else:
            bets: list[int] = []
            ok = True
            for i, item in enumerate(raw):
                bet = _as_int(item)
                if bet is None:
                    ok = False
                    errors.append({"loc": ["body", "bets", i], "msg": "value is not a valid integer",
                                   "type": "type_error.integer"})
                else:
                    bets.append(bet)
            if ok:
                if len(set(bets)) != len(bets):
                    errors.append({"loc": ["body", "bets"], "msg": "the list has duplicated items",
                                   "type": "value_error.list.unique_items"})
                else:
                    out["bets"] = bets

    if "atag" in body:
        atag = body["atag"]
        if atag is not None and not isinstance(atag, str):
            errors.append({"loc": ["body", "atag"], "msg": "str type expected", "type": "type_error.str"})
        else:
            out["atag"] = atag

    if errors:
        return None, errors, ignored
    return out, [], ignored


# --------------------------------------------------------------------------------------------
# The API
# --------------------------------------------------------------------------------------------
def _new_code() -> str:
    return "".join(secrets.choice(CROCKFORD) for _ in range(CODE_LENGTH))


def _new_ticket_id() -> str:
    """32 lower-case hex digits: a UUIDv7 (48-bit ms time, version, random), hyphens removed."""
    ms = int(time.time() * 1000) & ((1 << 48) - 1)
    rand = int.from_bytes(secrets.token_bytes(10), "big")
    value = (ms << 80) | (0x7 << 76) | ((rand >> 68) & 0xFFF) << 64 | (0b10 << 62) | (rand & ((1 << 62) - 1))
    return uuid.UUID(int=value).hex


@app.post("/be/tickets/reserve")
async def reserve(request: Request) -> Response:
    received = datetime.now(timezone.utc).replace(tzinfo=None)
    raw = await request.body()

    # 1. credential headers present and well formed
    ts_header = request.headers.get("timestamp")
    op_header = request.headers.get("operator-name")
    sig_header = request.headers.get("signature")
    if not ts_header or not op_header or not sig_header:
        absent = [n for n, v in (("timestamp", ts_header), ("operator-name", op_header),
                                 ("signature", sig_header)) if not v]
        return forbidden("missing header(s): " + ", ".join(absent))
    if not re.fullmatch(r"[0-9]{1,12}(\.[0-9]{1,9})?", ts_header.strip()):
        return forbidden("the timestamp header is not unix time in seconds")
    signature = sig_header.strip()
    if signature.lower().startswith("sha256="):
        signature = signature[7:]
    if not re.fullmatch(r"[0-9a-fA-F]{64}", signature):
        return forbidden("the signature header is not a hex HMAC-SHA256")

    # 2. the body must be JSON at all (a body that is not JSON is a bad request, not a validation error)
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        return business_error(400, 100, "Request body is not valid JSON")

    # 3. operator in the header vs the body (115), then the operator itself (112)
    if isinstance(body, dict) and isinstance(body.get("operator"), str) and body["operator"] != op_header:
        return business_error(400, 115, "Operators in request body and in request header are not identical")
    operator = OPERATORS.get(op_header)
    if operator is None:
        return business_error(400, 112, f"Operator with `{op_header}` name is not found")

    # 4. signature, then freshness
    expected = hmac.new(operator["secret"].encode("utf-8"), ts_header.encode("utf-8") + raw.replace(b" ", b""),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        return forbidden("the signature does not match")
    if abs(time.time() - float(ts_header)) > TIMESTAMP_WINDOW_SECONDS:
        return forbidden(f"the timestamp is more than {TIMESTAMP_WINDOW_SECONDS} seconds away from server time")

    # 5. schema
    data, errors, ignored = validate(body)
    if errors:
        return validation_error(errors)
    extra_headers = {"Cache-Control": "no-store"}
    if ignored:
        extra_headers["X-Ignored-Fields"] = ",".join(k.encode("unicode_escape").decode("ascii").replace(",", "\\x2c") for k in ignored)

    # 6. optional Idempotency-Key: replay an identical request, refuse a reused key with another body
    idem_key = request.headers.get("idempotency-key")
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    if idem_key:
        seen = IDEMPOTENCY.get((op_header, idem_key))
        if seen is not None:
            if seen[0] != digest:
                return validation_error([{"loc": ["header", "idempotency-key"],
                                          "msg": "this idempotency key was already used with another request body",
                                          "type": "value_error.idempotency_key_reused"}])
            return Response(content=seen[1], status_code=200, media_type="application/json",
                            headers={**extra_headers, "Idempotent-Replayed": "true"})

    # 7. operator webhook (114)
    if not operator.get("webhook_url"):
        return business_error(400, 114, f"No webhook url for operator with `{op_header}` name")

    # 8. event (103), every bet (106), every market (116), then started (107)
    event = EVENTS.get(data["event"])
    if event is None:
        return business_error(400, 103, f"Event with `{data['event']}` identifier is not found")
    markets = []
    for bet_id in data["bets"]:
        found = BETS.get(bet_id)
        if found is None or found[0] != event["event_id"]:
            return business_error(400, 106, f"Market for bet with `{bet_id}` identifier is not found")
        markets.append(found[1])
    for market in markets:
        if not market["allowed"]:
            return business_error(400, 116, f"Market with `{market['code']}` code is not allowed")
    if event["started"]:
        return business_error(400, 107, f"Event with `{event['event_id']}` identifier is not available "
                                        "for play because it has already started")

    # 9. player (not in the seed's code list: codes 130-132 with fitting HTTP statuses)
    user_id = TOKENS.get(data["token"])
    player = PLAYERS.get(user_id) if user_id else None
    if player is None or player["operator"] != op_header:
        return business_error(404, 130, "Player with the given token is not found for this operator")
    if player["blocked"]:
        return business_error(423, 131, "Player account is blocked")
    if data["currency"] != player["currency"]:
        return business_error(409, 132, f"Currency `{data['currency']}` differs from the player's "
                                        f"currency `{player['currency']}`")

    # 10. ticket code: one draw; a clash is the seed's 111
    code = _new_code()
    if code in TICKET_CODES:
        return business_error(400, 111, "Duplicate key for code generation")

    # 11. the ticket
    ext = operator["ext"]
    wht = operator["wht"]
    stake, ext_amount = split_price(data["price"], ext)
    offset = operator["offset"]
    ticket_id = _new_ticket_id()
    updated = datetime.now(timezone.utc).replace(tzinfo=None)
    ticket = {
        "id": ticket_id,
        "code": code,
        "price": data["price"],
        "stake": stake,
        "gross_payout": 0,
        "net_payout": 0,
        "wht_amount": 0,
        "wht": "@@WHT@@",
        "ext_amount": ext_amount,
        "ext": "@@EXT@@",
        "ext_type": "inclusive",
        "currency": data["currency"],
        "status": "reserved",
        "result": "pending",
        "approved": True,
        "source": data["source"],
        "type": "superbet",
    }
    if "atag" in data:
        ticket["atag"] = data["atag"]
    ticket.update({
        "user_id": player["userId"],
        "created": _fmt_time(received),
        "operator_time_created": _fmt_time(received + offset),
        "updated": _fmt_time(updated),
        "operator_time_updated": _fmt_time(updated + offset),
        "operator": op_header,
        "event": event["event_id"],
        "bets": list(data["bets"]),
    })
    text = json.dumps(ticket, ensure_ascii=False, separators=(", ", ": "))
    text = text.replace('"@@WHT@@"', _sci(wht)).replace('"@@EXT@@"', _sci(ext))

    TICKET_CODES.add(code)
    stored = {k: v for k, v in ticket.items() if k not in ("wht", "ext")}
    stored["wht"] = str(wht)
    stored["ext"] = str(ext)
    TICKETS[ticket_id] = stored
    player["tickets"].append(ticket_id)
    if idem_key:
        IDEMPOTENCY[(op_header, idem_key)] = (digest, text)

    return Response(content=text, status_code=200, media_type="application/json", headers=extra_headers)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# --------------------------------------------------------------------------------------------
# Provider-state hook
# --------------------------------------------------------------------------------------------
class HookError(Exception):
    pass


_DEC = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def _decimal(params: dict, name: str, default: str) -> tuple[Decimal, str]:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise HookError(f"param '{name}' must be a decimal string or a number")
    text = str(value)
    if not _DEC.match(text):
        raise HookError(f"param '{name}' must be a decimal like '12.50', got {value!r}")
    try:
        return Decimal(text), text
    except InvalidOperation as exc:  # pragma: no cover
        raise HookError(f"param '{name}' is not a decimal") from exc


def _bool(params: dict, name: str, default: bool) -> bool:
    value = params.get(name, default)
    if not isinstance(value, bool):
        raise HookError(f"param '{name}' must be a boolean")
    return value


def _money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def _operator_answer(op: dict) -> dict:
    return {
        "name": op["name"],
        "secret": op["secret"],
        "timezone_offset": op["timezone_offset"],
        "webhook_url": op["webhook_url"],
        "ext": op["ext_text"],
        "wht": op["wht_text"],
    }


def _create_operator(params: dict) -> dict:
    name = params.get("name")
    if name is None:
        name = "op-" + secrets.token_hex(4)
    if not isinstance(name, str) or not name:
        raise HookError("param 'name' must be a non-empty string")
    secret = params.get("secret")
    if secret is None:
        secret = "sk-" + secrets.token_hex(16)
    if not isinstance(secret, str) or not secret:
        raise HookError("param 'secret' must be a non-empty string")
    tz = params.get("timezone_offset", "+02:00")
    if not isinstance(tz, str) or not re.fullmatch(r"[+-](0[0-9]|1[0-9]|2[0-3]):[0-5][0-9]", tz):
        raise HookError("param 'timezone_offset' must look like '+02:00'")
    webhook = params.get("webhook_url", "http://127.0.0.1/webhook")
    if webhook is not None and not isinstance(webhook, str):
        raise HookError("param 'webhook_url' must be a string or null")
    ext, ext_text = _decimal(params, "ext", "12.5")
    wht, wht_text = _decimal(params, "wht", "20.0")
    if ext < 0 or wht < 0 or wht > 100:
        raise HookError("params 'ext' and 'wht' must be percentages (ext >= 0, 0 <= wht <= 100)")
    op = {
        "name": name, "secret": secret, "timezone_offset": tz, "offset": _parse_offset(tz),
        "webhook_url": webhook, "ext": ext, "ext_text": ext_text, "wht": wht, "wht_text": wht_text,
    }
    OPERATORS[name] = op
    return op


def _create_player(params: dict) -> dict:
    op_name = params.get("operator")
    if op_name is None:
        op = _create_operator({})
    else:
        if not isinstance(op_name, str) or not op_name:
            raise HookError("param 'operator' must be a non-empty string")
        op = OPERATORS.get(op_name) or _create_operator({"name": op_name})
    balance, _ = _decimal(params, "balance", "1000.00")
    currency = params.get("currency", "EUR")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise HookError("param 'currency' must be an ISO 4217 code like 'EUR'")
    blocked = _bool(params, "blocked", False)
    min_stake, _ = _decimal(params, "min_stake", "0.10")
    max_stake, _ = _decimal(params, "max_stake", "500.00")
    expired = _bool(params, "session_expired", False)
    ago = params.get("session_expired_seconds_ago", 60)
    if isinstance(ago, bool) or not isinstance(ago, int) or not 1 <= ago <= 31536000:
        raise HookError("param 'session_expired_seconds_ago' must be an integer 1..31536000")
    n = _next("player")
    user_id = f"pam-{n:05d}-{secrets.token_hex(3)}"
    player = {
        "userId": user_id,
        "sessionToken": "sess-" + secrets.token_urlsafe(18),
        "token": "tkn-" + secrets.token_urlsafe(24),
        "customerToken": "cust-" + secrets.token_urlsafe(18),
        "memberid": str(70000 + n),
        "balance": balance,
        "currency": currency,
        "blocked": blocked,
        "min_stake": min_stake,
        "max_stake": max_stake,
        "session_expired": expired,
        "apiKey": "key-" + secrets.token_hex(12),
        "operator": op["name"],
        "tickets": [],
    }
    PLAYERS[user_id] = player
    TOKENS[player["token"]] = user_id
    return {
        "userId": user_id,
        "sessionToken": player["sessionToken"],
        "token": player["token"],
        "customerToken": player["customerToken"],
        "memberid": player["memberid"],
        "balance": _money(balance),
        "currency": currency,
        "blocked": blocked,
        "min_stake": _money(min_stake),
        "max_stake": _money(max_stake),
        "apiKey": player["apiKey"],
        "operator": _operator_answer(op),
    }


def _create_event(params: dict) -> dict:
    started = _bool(params, "started", False)
    markets_in = params.get("markets", [{"code": "1X2", "allowed": True, "prices": ["1.85", "3.40", "4.20"]}])
    if not isinstance(markets_in, list) or not markets_in:
        raise HookError("param 'markets' must be a non-empty list")
    markets = []
    for m in markets_in:
        if not isinstance(m, dict) or not isinstance(m.get("code"), str) or not m["code"]:
            raise HookError("every market needs a string 'code'")
        unknown = set(m) - {"code", "allowed", "prices"}
        if unknown:
            raise HookError(f"unknown market field(s) {sorted(unknown)}; accepted: code, allowed, prices")
        allowed = _bool(m, "allowed", True)
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or not prices:
            raise HookError("market 'prices' must be a non-empty list")
        texts = [_decimal({"price": p}, "price", "0")[1] for p in prices]
        names = ["1", "X", "2"] if len(texts) == 3 else [str(i + 1) for i in range(len(texts))]
        market = {"market_id": _next("market"), "code": m["code"], "allowed": allowed, "selections": []}
        for name, price in zip(names, texts):
            market["selections"].append({"bet_id": _next("bet"), "name": name, "decimal_price": price})
        markets.append(market)
    event_id = _next("event")
    event = {"event_id": event_id, "name": f"Home {event_id} v Away {event_id}", "started": started,
             "markets": markets}
    EVENTS[event_id] = event
    for market in markets:
        for sel in market["selections"]:
            BETS[sel["bet_id"]] = (event_id, market)
    return event


def _create_betcard(params: dict) -> dict:
    count = params.get("events", 3)
    if isinstance(count, bool) or not isinstance(count, int) or count < 1 or count > 1000:
        raise HookError("param 'events' must be an integer 1..1000")
    prize = params.get("prize", 1000000)
    if isinstance(prize, bool) or not isinstance(prize, int) or prize < 0:
        raise HookError("param 'prize' must be a non-negative integer (cents)")
    bonus = params.get("bonus_prizes", [10000, 5000])
    if not isinstance(bonus, list) or any(isinstance(b, bool) or not isinstance(b, int) or b < 0 for b in bonus):
        raise HookError("param 'bonus_prizes' must be a list of non-negative integers (cents)")
    events = [_create_event({}) for _ in range(count)]
    code = "BC-" + secrets.token_hex(3).upper()
    card = {"betcard_code": code, "prize": prize, "bonus_prizes": list(bonus), "events": events}
    BETCARDS[code] = card
    return card


def _snapshot(params: dict) -> dict:
    user_id = params.get("userId")
    if not isinstance(user_id, str):
        raise HookError("param 'userId' (string) is required for 'a player snapshot'")
    player = PLAYERS.get(user_id)
    if player is None:
        raise HookError(f"no player with userId '{user_id}'")
    tickets = []
    for tid in player["tickets"]:
        t = TICKETS[tid]
        tickets.append({
            "id": t["id"], "code": t["code"], "type": t["type"], "price": t["price"], "stake": t["stake"],
            "ext_amount": t["ext_amount"], "gross_payout": t["gross_payout"], "net_payout": t["net_payout"],
            "wht_amount": t["wht_amount"], "status": t["status"], "result": t["result"],
            "currency": t["currency"], "event": t["event"], "bets": list(t["bets"]), "created": t["created"],
        })
    return {"userId": user_id, "balance": _money(player["balance"]), "currency": player["currency"],
            "tickets": tickets}


def _teardown(state: str, params: dict) -> dict:
    removed: dict[str, list] = {}
    if state == "an operator exists" and isinstance(params.get("name"), str) and params["name"] in OPERATORS:
        name = params["name"]
        del OPERATORS[name]
        gone = [uid for uid, p in PLAYERS.items() if p["operator"] == name]
        for uid in gone:
            TOKENS.pop(PLAYERS[uid]["token"], None)
            del PLAYERS[uid]
        removed = {"operators": [name], "players": gone}
    elif state == "a player exists":
        uid = params.get("userId")
        if uid is None and isinstance(params.get("token"), str):
            uid = TOKENS.get(params["token"])
        if isinstance(uid, str) and uid in PLAYERS:
            TOKENS.pop(PLAYERS[uid]["token"], None)
            del PLAYERS[uid]
            removed = {"players": [uid]}
    elif state == "an event exists":
        eid = params.get("event_id")
        if isinstance(eid, int) and not isinstance(eid, bool) and eid in EVENTS:
            for market in EVENTS.pop(eid)["markets"]:
                for sel in market["selections"]:
                    BETS.pop(sel["bet_id"], None)
            removed = {"events": [eid]}
    elif state == "a jackpot betcard exists":
        code = params.get("betcard_code")
        if isinstance(code, str) and code in BETCARDS:
            del BETCARDS[code]
            removed = {"betcards": [code]}
    return {"removed": removed} if removed else {}


_HANDLERS = {
    "an operator exists": lambda p: _operator_answer(_create_operator(p)),
    "a player exists": _create_player,
    "an event exists": _create_event,
    "a jackpot betcard exists": _create_betcard,
    "a player snapshot": _snapshot,
}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request) -> Response:
    if os.environ.get("ORDERPROOF_PROVIDER_STATES", "on").strip().lower() in ("off", "0", "false", "no", "disabled"):
        return JSONResponse(status_code=404, content={"detail": "Not Found"})
    try:
        body = json.loads(await request.body())
    except ValueError:
        return JSONResponse(status_code=400, content={"error": "the body must be a JSON object"})
    if not isinstance(body, dict):
        return JSONResponse(status_code=400, content={"error": "the body must be a JSON object"})
    state = body.get("state")
    if state not in _HANDLERS:
        return JSONResponse(status_code=400, content={
            "error": f"unknown provider state {state!r}; accepted: " + ", ".join(repr(s) for s in _HANDLERS)})
    action = body.get("action", "setup")
    if action not in ("setup", "teardown"):
        return JSONResponse(status_code=400, content={"error": f"unknown action {action!r}; accepted: 'setup', 'teardown'"})
    params = body.get("params") or {}
    if not isinstance(params, dict):
        return JSONResponse(status_code=400, content={"error": "'params' must be an object"})
    try:
        if action == "teardown":
            return JSONResponse(status_code=200, content=_teardown(state, params))
        return JSONResponse(status_code=200, content=_HANDLERS[state](params))
    except HookError as exc:
        return JSONResponse(status_code=400, content={"error": str(exc)})
