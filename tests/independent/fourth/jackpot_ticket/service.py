"""jackpot-ticket (independent implementation 4): POST /be/tickets, plus the orderproof
provider-state hook at POST /_orderproof/provider-states.

Single file; stdlib + fastapi/starlette only; all state in memory (module level).
See DECISIONS.md next to this file for every open point of the seed and the choice made.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import math
import os
import re
import secrets
import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import Response

app = FastAPI(title="jackpot-ticket (fourth)")

# --------------------------------------------------------------------------------------------
# In-memory state
# --------------------------------------------------------------------------------------------
OPERATORS: dict[str, dict] = {}          # name -> operator
PLAYERS: dict[str, dict] = {}            # userId -> player
TOKENS: dict[str, str] = {}              # ticket-engine token -> userId
EVENTS: dict[int, dict] = {}             # event_id -> event
BETS: dict[int, tuple[int, dict, dict]] = {}   # bet_id -> (event_id, market, selection)
BETCARDS: dict[str, dict] = {}           # betcard_code -> betcard
TICKET_CODES: set[str] = set()
IDEMPOTENCY: dict[tuple[str, str], dict] = {}  # (operator, key) -> stored outcome

_event_ids = itertools.count(300001)
_market_ids = itertools.count(7001)
_bet_ids = itertools.count(9001)
_ledger_ids = itertools.count(1)
_ticket_seq = itertools.count(1)
_member_ids = itertools.count(80001)

INT64_MAX = 2**63 - 1
TIMESTAMP_WINDOW_S = 3600
SOURCES = ("desktop", "mobile", "android", "iphone", "ussd", "sms", "telegram")
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
HOOK_ENABLED = os.environ.get("JACKPOT_TEST_HOOK", "on").lower() not in ("off", "0", "no", "false")


# --------------------------------------------------------------------------------------------
# JSON helpers
# --------------------------------------------------------------------------------------------
class Sci:
    """A float field written in scientific notation, e.g. 12.5 -> 1.25E+1 (a JSON float)."""

    def __init__(self, value: Decimal):
        self.value = value

    def text(self) -> str:
        d = self.value
        if d == 0:
            return "0.0E+0"
        sign, digits, exp = d.normalize().as_tuple()
        ds = "".join(str(x) for x in digits)
        mant = ds[0] + "." + (ds[1:] or "0")
        e = exp + len(ds) - 1
        return f"{'-' if sign else ''}{mant}E{e:+d}"


def dump(obj: Any) -> str:
    if isinstance(obj, Sci):
        return obj.text()
    if isinstance(obj, dict):
        return "{" + ", ".join(json.dumps(str(k)) + ": " + dump(v) for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ", ".join(dump(v) for v in obj) + "]"
    if isinstance(obj, Decimal):
        return format(obj, "f")
    return json.dumps(obj)


def respond(status: int, body: Any, headers: dict | None = None) -> Response:
    h = {"Cache-Control": "no-store"}
    if headers:
        h.update(headers)
    return Response(content=dump(body), status_code=status, media_type="application/json", headers=h)


def _no_constants(name: str):
    raise ValueError(f"{name} is not valid JSON")


def parse_json(raw: bytes) -> Any:
    return json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_no_constants)


def dec_plain(d: Decimal) -> str:
    s = format(d, "f")
    return s


def cents_str(c: int) -> str:
    sign = "-" if c < 0 else ""
    c = abs(c)
    return f"{sign}{c // 100}.{c % 100:02d}"


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------
def err400(code: int, message: str) -> Response:
    return respond(400, {"code": code, "message": message})


def err403(reason: str) -> Response:
    return respond(403, {"status": 403, "error": "Forbidden",
                         "message": "You do not have access for such request", "reason": reason})


def err422(errors: list[dict]) -> Response:
    return respond(422, {"detail": errors})


# --------------------------------------------------------------------------------------------
# Request validation (strict JSON types, unknown fields refused)
# --------------------------------------------------------------------------------------------
def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, Decimal) and v.is_finite())


TOP_FIELDS = ("operator", "token", "price", "currency", "atag", "source", "type", "odds_diff",
              "events", "betcard_code", "prize", "bonus_prizes")
EVENT_FIELDS = ("id", "bet", "odds")


def validate(body: Any) -> list[dict]:
    errs: list[dict] = []

    def e(loc: list, msg: str, typ: str) -> None:
        errs.append({"loc": ["body", *loc], "msg": msg, "type": typ})

    if not isinstance(body, dict):
        e([], "Input should be a valid dictionary or object", "dict_type")
        return errs
    for k in body:
        if k not in TOP_FIELDS:
            e([k], "Extra inputs are not permitted", "extra_forbidden")

    def req(name: str) -> bool:
        if name not in body:
            e([name], "Field required", "missing")
            return False
        return True

    for name in ("operator", "token", "currency", "source", "betcard_code"):
        if req(name) and not isinstance(body[name], str):
            e([name], "Input should be a valid string", "string_type")
    if "atag" in body and body["atag"] is not None and not isinstance(body["atag"], str):
        e(["atag"], "Input should be a valid string or null", "string_type")
    if req("type"):
        if body["type"] != "jackpot":
            e(["type"], "Input should be 'jackpot'", "literal_error")

    def int_field(loc: list, v: Any, lo: int) -> None:
        if not _is_int(v):
            e(loc, "Input should be a valid integer", "int_type")
        elif v < lo:
            e(loc, f"Input should be greater than or equal to {lo}", "greater_than_equal")
        elif v > INT64_MAX:
            e(loc, f"Input should be less than or equal to {INT64_MAX}", "less_than_equal")

    if req("price"):
        int_field(["price"], body["price"], 1)
    if req("prize"):
        int_field(["prize"], body["prize"], 0)
    if req("bonus_prizes"):
        bp = body["bonus_prizes"]
        if not isinstance(bp, list):
            e(["bonus_prizes"], "Input should be a valid list", "list_type")
        else:
            for i, v in enumerate(bp):
                int_field(["bonus_prizes", i], v, 0)
    if req("odds_diff"):
        v = body["odds_diff"]
        if not _is_num(v):
            e(["odds_diff"], "Input should be a valid number", "float_type")
        elif v < 0:
            e(["odds_diff"], "Input should be greater than or equal to 0", "greater_than_equal")
    if req("events"):
        evs = body["events"]
        if not isinstance(evs, list):
            e(["events"], "Input should be a valid list", "list_type")
        elif not evs:
            e(["events"], "List should have at least 1 item after validation, not 0", "too_short")
        else:
            for i, ev in enumerate(evs):
                if not isinstance(ev, dict):
                    e(["events", i], "Input should be a valid dictionary or object", "dict_type")
                    continue
                for k in ev:
                    if k not in EVENT_FIELDS:
                        e(["events", i, k], "Extra inputs are not permitted", "extra_forbidden")
                for k in ("id", "bet"):
                    if k not in ev:
                        e(["events", i, k], "Field required", "missing")
                    else:
                        int_field(["events", i, k], ev[k], 1)
                if "odds" not in ev:
                    e(["events", i, "odds"], "Field required", "missing")
                else:
                    o = ev["odds"]
                    if not _is_num(o):
                        e(["events", i, "odds"], "Input should be a valid number", "float_type")
                    elif o <= 0:
                        e(["events", i, "odds"], "Input should be greater than 0", "greater_than")
                    elif o > 1000000:
                        e(["events", i, "odds"], "Input should be less than or equal to 1000000",
                          "less_than_equal")
    return errs


# --------------------------------------------------------------------------------------------
# Time helpers
# --------------------------------------------------------------------------------------------
def parse_offset(off: str) -> timedelta:
    sign = -1 if off[0] == "-" else 1
    hh, mm = off[1:].split(":")
    return sign * timedelta(hours=int(hh), minutes=int(mm))


def fmt_time(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")


def new_ticket_id(now_s: int) -> str:
    # 20 decimal digits: unix seconds (10) + a 10-digit sequence/random mix; a digit *string*.
    seq = next(_ticket_seq)
    return f"{now_s:010d}{(seq * 7919 + secrets.randbelow(7919)) % 10**10:010d}"


def new_ticket_code() -> str | None:
    for _ in range(3):
        c = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if c not in TICKET_CODES:
            return c
    return None


# --------------------------------------------------------------------------------------------
# POST /be/tickets
# --------------------------------------------------------------------------------------------
@app.post("/be/tickets")
async def create_ticket(request: Request) -> Response:
    raw = await request.body()
    # Everything below is synchronous: no other request interleaves between checks and writes.
    try:
        return _create_ticket(raw, request.headers)
    except Exception:  # never a 5xx: the seed's status table has 200/400/403/422 only
        return err400(199, "Request could not be processed")


def _create_ticket(raw: bytes, headers) -> Response:
    # 1. JSON syntax (400, the provider's code-in-body error)
    try:
        body = parse_json(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return err400(170, "Request body is not valid JSON")

    # 2. authentication headers (403)
    ts = headers.get("timestamp")
    op_name = headers.get("operator-name")
    sig = headers.get("signature")
    if ts is None or op_name is None or sig is None:
        missing = [n for n, v in (("timestamp", ts), ("operator-name", op_name), ("signature", sig))
                   if v is None]
        return err403("missing header(s): " + ", ".join(missing))
    operator = OPERATORS.get(op_name)
    if operator is None:
        return err403(f"operator `{op_name}` has no access")
    if not re.fullmatch(r"[0-9]{1,12}", ts) or abs(int(ts) - time.time()) > TIMESTAMP_WINDOW_S:
        return err403("timestamp is not unix seconds within one hour of the server clock")
    expected = hmac.new(operator["secret"].encode(), ts.encode() + raw.replace(b" ", b""),
                        hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig):
        return err403("signature does not match")

    # 3. optional Idempotency-Key (replays the first business outcome)
    idem_key = headers.get("idempotency-key")
    body_fp = hashlib.sha256(raw.replace(b" ", b"")).hexdigest()
    if idem_key is not None:
        stored = IDEMPOTENCY.get((op_name, idem_key))
        if stored is not None:
            if stored["fp"] != body_fp:
                return err422([{"loc": ["header", "idempotency-key"],
                                "msg": "Idempotency-Key was already used with a different request body",
                                "type": "idempotency_key_reused"}])
            return Response(content=stored["content"], status_code=stored["status"],
                            media_type="application/json",
                            headers={"Cache-Control": "no-store", "Idempotent-Replayed": "true",
                                     **stored["headers"]})

    # 4. schema (422)
    errs = validate(body)
    if errs:
        return err422(errs)

    resp = _business(body, operator)
    if idem_key is not None:
        extra = {k: v for k, v in resp.headers.items() if k.lower() == "x-ticket-id"}
        IDEMPOTENCY[(op_name, idem_key)] = {"fp": body_fp, "status": resp.status_code,
                                            "content": resp.body, "headers": extra}
    return resp


def _business(body: dict, operator: dict) -> Response:
    # 115: operators in body and header
    if body["operator"] != operator["name"]:
        return err400(115, "Operators in request body and in request header are not identical")

    # player
    uid = TOKENS.get(body["token"])
    player = PLAYERS.get(uid) if uid else None
    if player is None:
        return err400(150, f"Player with `{body['token']}` token is not found")
    if player["operator"] != operator["name"]:
        return err403("the player does not belong to this operator")

    # 114: webhook for the PAM ticket_create call
    if not operator.get("webhook_url"):
        return err400(114, f"No webhook url for operator with `{operator['name']}` name")

    if body["source"] not in SOURCES:
        return err400(151, f"Source `{body['source']}` is not supported")
    if body["currency"] != player["currency"]:
        return err400(152, f"Currency `{body['currency']}` is not the player's currency")

    evs = body["events"]
    # phase 1: every event exists
    for ev in evs:
        if ev["id"] not in EVENTS:
            return err400(103, f"Event with `{ev['id']}` identifier is not found")
    # phase 2: no event has started
    for ev in evs:
        if EVENTS[ev["id"]]["started"]:
            return err400(107, f"Event with `{ev['id']}` identifier is not available for play "
                               "because it has already started")
    # phase 3: every bet belongs to its event
    chosen: list[tuple[dict, dict, dict]] = []
    for ev in evs:
        b = BETS.get(ev["bet"])
        if b is None or b[0] != ev["id"]:
            return err400(106, f"Market for bet with `{ev['bet']}` identifier is not found")
        chosen.append((ev, b[1], b[2]))
    # phase 4: every market may be sold
    for ev, market, _sel in chosen:
        if not market["allowed"]:
            return err400(116, f"Market with `{market['code']}` code is not allowed")

    # the betcard, its prizes, and its events (exactly, each once)
    card = BETCARDS.get(body["betcard_code"])
    if card is None:
        return err400(153, f"Betcard with `{body['betcard_code']}` code is not found")
    if body["prize"] != card["prize"] or sorted(body["bonus_prizes"]) != sorted(card["bonus_prizes"]):
        return err400(154, f"Prize or bonus prizes differ from betcard `{card['betcard_code']}`")
    seen: set[int] = set()
    for ev in evs:
        if ev["id"] in seen:
            return err400(155, f"Event with `{ev['id']}` identifier is repeated in the ticket")
        seen.add(ev["id"])
    if seen != set(card["events"]):
        return err400(155, f"Events of the ticket do not match betcard `{card['betcard_code']}`")

    # odds deviation: on the product of the odds, absolute; 0 means no difference at all
    odds_diff = Decimal(body["odds_diff"])
    differs = any(Decimal(ev["odds"]) != sel["price"] for ev, _m, sel in chosen)
    with localcontext() as ctx:
        ctx.prec = 10000
        current_total = Decimal(1)
        for _ev, _m, sel in chosen:
            current_total *= sel["price"]
    if differs:
        with localcontext() as ctx:
            ctx.prec = 80
            submitted_total = Decimal(1)
            for ev, _m, _s in chosen:
                submitted_total *= Decimal(ev["odds"])
            if odds_diff == 0 or abs(current_total - submitted_total) > odds_diff:
                return err400(156, "Ticket odds changed")

    price = body["price"]
    if player["balance"] < price:
        return err400(157, "Insufficient funds")

    code = new_ticket_code()
    if code is None:
        return err400(111, "Duplicate key for code generation")

    # money (cents): excise tax inclusive in the price, stake rounded up to the cent
    ext = operator["ext"]
    wht = operator["wht"]
    stake = math.ceil(Fraction(price) * 100 / (100 + Fraction(ext)))
    ext_amount = price - stake
    gross_payout = 0   # a jackpot ticket's payout is known only once resulted
    wht_amount = 0
    net_payout = 0

    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    off = parse_offset(operator["timezone_offset"])
    tid = new_ticket_id(int(now.replace(tzinfo=timezone.utc).timestamp()))

    # writes (nothing above has changed any state)
    TICKET_CODES.add(code)
    player["balance"] -= price
    player["ledger"].append({"entry_id": next(_ledger_ids), "amount": cents_str(-price),
                             "balance_after": cents_str(player["balance"]),
                             "reason": "jackpot_ticket_create", "reference": tid})
    ticket = {
        "id": tid, "code": code, "type": "jackpot", "price": price, "stake": stake,
        "ext_amount": ext_amount, "gross_payout": gross_payout, "net_payout": net_payout,
        "wht_amount": wht_amount, "status": "new", "result": "pending", "currency": player["currency"],
        "betcard_code": card["betcard_code"], "created": fmt_time(now),
    }
    player["tickets"].append(ticket)

    out: dict[str, Any] = {
        "id": tid,
        "code": code,
        "price": price,
        "stake": stake,
        "currency": body["currency"],
        "gross_payout": gross_payout,
        "net_payout": net_payout,
        "wht_amount": wht_amount,
        "wht": Sci(wht),
        "ext_amount": ext_amount,
        "ext": Sci(ext),
        "ext_type": "inclusive",
        "status": "new",
        "result": "pending",
        "approved": True,
        "source": body["source"],
        "type": "jackpot",
    }
    if body.get("atag") is not None:
        out["atag"] = body["atag"]
    out.update({
        "user_id": player["userId"],
        "created": fmt_time(now),
        "operator_time_created": fmt_time(now + off),
        "updated": fmt_time(now),
        "operator_time_updated": fmt_time(now + off),
        "odds": Sci(current_total),
        "betcard_code": card["betcard_code"],
        "prize": card["prize"],
        "bonus_prizes": list(card["bonus_prizes"]),
        "operator": operator["name"],
        "events": [{"id": ev["id"], "bet": ev["bet"], "odds": Sci(sel["price"])}
                   for ev, _m, sel in chosen],
    })
    return respond(200, out, {"X-Ticket-Id": tid})


# --------------------------------------------------------------------------------------------
# Provider-state hook
# --------------------------------------------------------------------------------------------
class HookError(Exception):
    pass


DEC_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def p_decimal(name: str, v: Any) -> Decimal:
    if isinstance(v, bool):
        raise HookError(f"param '{name}' must be a decimal string or a number")
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, Decimal) and v.is_finite():
        return v
    if isinstance(v, str) and DEC_RE.match(v):
        return Decimal(v)
    raise HookError(f"param '{name}' must be a decimal string or a number")


def p_cents(name: str, v: Any) -> int:
    d = p_decimal(name, v)
    q = d * 100
    if q != q.to_integral_value():
        raise HookError(f"param '{name}' has more than 2 decimals")
    return int(q)


def p_bool(name: str, v: Any) -> bool:
    if not isinstance(v, bool):
        raise HookError(f"param '{name}' must be a boolean")
    return v


def p_str(name: str, v: Any) -> str:
    if not isinstance(v, str):
        raise HookError(f"param '{name}' must be a string")
    return v


def p_int(name: str, v: Any, lo: int, hi: int) -> int:
    if not _is_int(v) or not lo <= v <= hi:
        raise HookError(f"param '{name}' must be an integer in [{lo}, {hi}]")
    return v


def check_params(params: dict, allowed: tuple) -> None:
    for k in params:
        if k not in allowed:
            raise HookError(f"unknown param '{k}'; accepted: {', '.join(allowed)}")


def operator_answer(op: dict) -> dict:
    return {"name": op["name"], "secret": op["secret"], "timezone_offset": op["timezone_offset"],
            "webhook_url": op["webhook_url"], "ext": dec_plain(op["ext"]), "wht": dec_plain(op["wht"])}


def make_operator(params: dict) -> dict:
    check_params(params, ("name", "secret", "timezone_offset", "webhook_url", "ext", "wht"))
    name = p_str("name", params["name"]) if "name" in params else f"op-{secrets.token_hex(4)}"
    secret = p_str("secret", params["secret"]) if "secret" in params else secrets.token_urlsafe(24)
    off = params.get("timezone_offset", "+02:00")
    if not isinstance(off, str) or not re.fullmatch(r"[+-][0-9]{2}:[0-9]{2}", off) or int(off[4:]) > 59:
        raise HookError("param 'timezone_offset' must look like +02:00")
    wh = params.get("webhook_url", "http://127.0.0.1/webhook")
    if wh is not None and not isinstance(wh, str):
        raise HookError("param 'webhook_url' must be a string or null")
    ext = p_decimal("ext", params.get("ext", "12.5"))
    wht = p_decimal("wht", params.get("wht", "20.0"))
    if ext < 0 or not 0 <= wht <= 100:
        raise HookError("param 'ext' must be >= 0 and 'wht' in [0, 100]")
    op = {"name": name, "secret": secret, "timezone_offset": off, "webhook_url": wh,
          "ext": ext, "wht": wht}
    OPERATORS[name] = op
    return op


def make_player(params: dict) -> dict:
    check_params(params, ("balance", "currency", "blocked", "min_stake", "max_stake",
                          "session_expired", "session_expired_seconds_ago", "operator"))
    balance = p_cents("balance", params.get("balance", "1000.00"))
    currency = params.get("currency", "EUR")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise HookError("param 'currency' must be three upper-case letters")
    blocked = p_bool("blocked", params.get("blocked", False))
    min_stake = p_cents("min_stake", params.get("min_stake", "0.10"))
    max_stake = p_cents("max_stake", params.get("max_stake", "500.00"))
    expired = p_bool("session_expired", params.get("session_expired", False))
    ago = p_int("session_expired_seconds_ago", params.get("session_expired_seconds_ago", 60), 1, 31536000)
    if "operator" in params:
        op_name = p_str("operator", params["operator"])
        op = OPERATORS.get(op_name) or make_operator({"name": op_name})
    else:
        op = make_operator({})
    uid = f"usr-{secrets.token_hex(5)}"
    token = f"tkt-{secrets.token_urlsafe(18)}"
    player = {
        "userId": uid, "token": token, "sessionToken": f"ses-{secrets.token_urlsafe(12)}",
        "customerToken": f"cus-{secrets.token_urlsafe(12)}", "memberid": str(next(_member_ids)),
        "apiKey": f"key-{secrets.token_urlsafe(12)}", "balance": balance, "currency": currency,
        "blocked": blocked, "min_stake": min_stake, "max_stake": max_stake,
        "session_expired": expired, "session_expired_seconds_ago": ago,
        "operator": op["name"], "tickets": [], "ledger": [],
    }
    PLAYERS[uid] = player
    TOKENS[token] = uid
    return {
        "userId": uid, "sessionToken": player["sessionToken"], "token": token,
        "customerToken": player["customerToken"], "memberid": player["memberid"],
        "balance": cents_str(balance), "currency": currency, "blocked": blocked,
        "min_stake": cents_str(min_stake), "max_stake": cents_str(max_stake),
        "apiKey": player["apiKey"], "operator": operator_answer(op),
    }


DEFAULT_MARKETS = [{"code": "1X2", "allowed": True, "prices": ["1.85", "3.40", "4.20"]}]


def make_event(params: dict) -> dict:
    check_params(params, ("started", "markets"))
    started = p_bool("started", params.get("started", False))
    markets_in = params.get("markets", DEFAULT_MARKETS)
    if not isinstance(markets_in, list) or not markets_in:
        raise HookError("param 'markets' must be a non-empty list")
    markets_parsed = []
    for m in markets_in:
        if not isinstance(m, dict):
            raise HookError("each market must be an object")
        check_params(m, ("code", "allowed", "prices"))
        if "code" not in m:
            raise HookError("a market needs 'code'")
        code = p_str("code", m["code"])
        allowed = p_bool("allowed", m.get("allowed", True))
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or not prices or len(prices) > 100:
            raise HookError("param 'prices' must be a list of 1..100 decimals")
        ps = [p_decimal("prices", p) for p in prices]
        if any(p <= 0 for p in ps):
            raise HookError("prices must be positive")
        markets_parsed.append((code, allowed, ps))
    eid = next(_event_ids)
    event = {"event_id": eid, "name": "Home v Away", "started": started, "markets": []}
    for code, allowed, ps in markets_parsed:
        names = ["1", "X", "2"] if len(ps) == 3 else ["1", "2"] if len(ps) == 2 else \
            [f"Selection {i + 1}" for i in range(len(ps))]
        market = {"market_id": next(_market_ids), "code": code, "allowed": allowed, "selections": []}
        for n, p in zip(names, ps):
            sel = {"bet_id": next(_bet_ids), "name": n, "price": p}
            market["selections"].append(sel)
            BETS[sel["bet_id"]] = (eid, market, sel)
        event["markets"].append(market)
    EVENTS[eid] = event
    return event_answer(event)


def event_answer(ev: dict) -> dict:
    return {"event_id": ev["event_id"], "name": ev["name"], "started": ev["started"],
            "markets": [{"market_id": m["market_id"], "code": m["code"], "allowed": m["allowed"],
                         "selections": [{"bet_id": s["bet_id"], "name": s["name"],
                                         "decimal_price": dec_plain(s["price"])}
                                        for s in m["selections"]]}
                        for m in ev["markets"]]}


def make_betcard(params: dict) -> dict:
    check_params(params, ("events", "prize", "bonus_prizes"))
    n = p_int("events", params.get("events", 3), 1, 200)
    prize = p_int("prize", params.get("prize", 1000000), 0, INT64_MAX)
    bps = params.get("bonus_prizes", [10000, 5000])
    if not isinstance(bps, list):
        raise HookError("param 'bonus_prizes' must be a list of integers")
    bps = [p_int("bonus_prizes", b, 0, INT64_MAX) for b in bps]
    events = [make_event({}) for _ in range(n)]
    code = f"BC{secrets.token_hex(3).upper()}"
    while code in BETCARDS:
        code = f"BC{secrets.token_hex(3).upper()}"
    BETCARDS[code] = {"betcard_code": code, "prize": prize, "bonus_prizes": bps,
                      "events": [e["event_id"] for e in events]}
    return {"betcard_code": code, "prize": prize, "bonus_prizes": bps, "events": events}


def snapshot(params: dict) -> dict:
    check_params(params, ("userId",))
    if "userId" not in params:
        raise HookError("param 'userId' is required for 'a player snapshot'")
    uid = p_str("userId", params["userId"])
    p = PLAYERS.get(uid)
    if p is None:
        raise HookError(f"unknown userId '{uid}'")
    return {"userId": uid, "balance": cents_str(p["balance"]), "currency": p["currency"],
            "bets": [], "orders": [], "tickets": [dict(t) for t in p["tickets"]],
            "travel_orders": [], "ledger": [dict(x) for x in p["ledger"]]}


def teardown(state: str, params: dict) -> dict:
    deleted = 0
    if state == "an operator exists" and isinstance(params.get("name"), str):
        deleted = int(OPERATORS.pop(params["name"], None) is not None)
    elif state == "a player exists" and isinstance(params.get("userId"), str):
        p = PLAYERS.pop(params["userId"], None)
        if p is not None:
            TOKENS.pop(p["token"], None)
            deleted = 1
    elif state == "an event exists" and _is_int(params.get("event_id")):
        ev = EVENTS.pop(params["event_id"], None)
        if ev is not None:
            for m in ev["markets"]:
                for s in m["selections"]:
                    BETS.pop(s["bet_id"], None)
            deleted = 1
    elif state == "a jackpot betcard exists" and isinstance(params.get("betcard_code"), str):
        deleted = int(BETCARDS.pop(params["betcard_code"], None) is not None)
    return {"state": state, "action": "teardown", "deleted": deleted}


STATES = {
    "an operator exists": lambda p: operator_answer(make_operator(p)),
    "a player exists": make_player,
    "an event exists": make_event,
    "a jackpot betcard exists": make_betcard,
    "a player snapshot": snapshot,
}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request) -> Response:
    if not HOOK_ENABLED:
        return Response(status_code=404)
    raw = await request.body()
    try:
        try:
            req = parse_json(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise HookError("body is not valid JSON")
        if not isinstance(req, dict):
            raise HookError("body must be an object")
        state = req.get("state")
        if state not in STATES:
            raise HookError(f"unknown provider state {state!r}; accepted: {', '.join(STATES)}")
        params = req.get("params")
        if params is None:
            params = {}
        if not isinstance(params, dict):
            raise HookError("'params' must be an object")
        action = req.get("action", "setup")
        if action not in ("setup", "teardown"):
            raise HookError(f"unknown action {action!r}; accepted: setup, teardown")
        if action == "teardown":
            return respond(200, teardown(state, params))
        return respond(200, STATES[state](params))
    except HookError as exc:
        return respond(400, {"error": str(exc)})
