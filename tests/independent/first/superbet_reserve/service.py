"""superbet-reserve: an independent implementation of POST /be/tickets/reserve.

State lives in memory (one uvicorn worker). See DECISIONS.md for every point the
source document leaves open and how it was decided here.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, List, Optional

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

app = FastAPI(title="superbet-reserve")

LOCK = threading.RLock()
SIGNATURE_WINDOW_SECONDS = 300
CENT = Decimal("0.01")

# ---------------------------------------------------------------- state
OPERATORS: dict[str, dict] = {}          # name -> operator
PLAYERS_BY_TOKEN: dict[str, dict] = {}   # token -> player
PLAYERS_BY_ID: dict[str, dict] = {}      # userId -> player
EVENTS: dict[int, dict] = {}             # event_id -> event
BETS: dict[int, tuple[int, dict]] = {}   # bet_id -> (event_id, market)
TICKET_CODES: set[str] = set()

_event_ids = itertools.count(100001)
_market_ids = itertools.count(5001)
_bet_ids = itertools.count(101)


# ---------------------------------------------------------------- helpers
def money(d: Decimal) -> str:
    return str(d.quantize(CENT, rounding=ROUND_HALF_UP))


def fmt_time(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")


def parse_offset(off: str) -> timedelta:
    sign = 1 if off[0] == "+" else -1
    return sign * timedelta(hours=int(off[1:3]), minutes=int(off[4:6]))


def err400(code: int, message: str) -> JSONResponse:
    return JSONResponse(status_code=400, content={"code": code, "message": message})


def forbidden(detail: str) -> JSONResponse:
    return JSONResponse(status_code=403, content={"detail": detail})


def new_object_id() -> str:
    # MongoDB ObjectId-like: 4 bytes of time + 8 random bytes, 24 hex digits
    return "%08x" % int(time.time()) + secrets.token_hex(8)


# ---------------------------------------------------------------- request model
class ReserveRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    operator: StrictStr = Field(min_length=1)
    token: StrictStr = Field(min_length=1)
    price: StrictInt = Field(gt=0)
    currency: StrictStr = Field(min_length=1)
    atag: Optional[StrictStr] = None
    source: StrictStr = Field(min_length=1)
    type: StrictStr
    event: StrictInt
    bets: List[StrictInt] = Field(min_length=1)


def validation_detail(exc: ValidationError) -> list:
    out = []
    for e in exc.errors(include_url=False):
        item = {"type": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"]}
        if "input" in e:
            try:
                json.dumps(e["input"])
                item["input"] = e["input"]
            except (TypeError, ValueError):
                pass
        out.append(item)
    return out


def extra_validation(req: ReserveRequest) -> list:
    errs = []
    if req.type != "superbet":
        errs.append({"type": "value_error", "loc": ["body", "type"],
                     "msg": "Value error, type must be 'superbet' on this endpoint",
                     "input": req.type})
    if len(set(req.bets)) != len(req.bets):
        errs.append({"type": "value_error", "loc": ["body", "bets"],
                     "msg": "Value error, bets must not contain duplicate bet ids",
                     "input": req.bets})
    return errs


# ---------------------------------------------------------------- auth
def check_signature(request: Request, raw: bytes) -> Optional[JSONResponse]:
    ts = request.headers.get("timestamp")
    op_name = request.headers.get("operator-name")
    sig = request.headers.get("signature")
    if not ts or not op_name or not sig:
        return forbidden("Forbidden. Missing timestamp, operator-name or signature header")
    try:
        ts_int = int(ts)
    except ValueError:
        return forbidden("Forbidden. Invalid timestamp header")
    if abs(time.time() - ts_int) > SIGNATURE_WINDOW_SECONDS:
        return forbidden("Forbidden. Request timestamp is outside the allowed window")
    op = OPERATORS.get(op_name)
    if op is None:
        return forbidden("Forbidden. Unknown operator in operator-name header")
    message = ts.encode() + raw.replace(b" ", b"")
    expected = hmac.new(op["secret"].encode(), message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig.strip().lower()):
        return forbidden("Forbidden. Invalid signature")
    return None


# ---------------------------------------------------------------- endpoint
@app.post("/be/tickets/reserve")
async def reserve(request: Request):
    raw = await request.body()
    with LOCK:
        denied = check_signature(request, raw)
        if denied is not None:
            return denied
        header_operator = request.headers.get("operator-name")

        try:
            payload = json.loads(raw) if raw else None
        except (ValueError, UnicodeDecodeError):
            return JSONResponse(status_code=422, content={"detail": [
                {"type": "json_invalid", "loc": ["body"], "msg": "JSON decode error"}]})
        if not isinstance(payload, dict):
            return JSONResponse(status_code=422, content={"detail": [
                {"type": "model_attributes_type", "loc": ["body"],
                 "msg": "Input should be a valid dictionary or object"}]})
        try:
            req = ReserveRequest.model_validate(payload)
        except ValidationError as exc:
            return JSONResponse(status_code=422, content={"detail": validation_detail(exc)})
        extra = extra_validation(req)
        if extra:
            return JSONResponse(status_code=422, content={"detail": extra})

        # --- operator
        if req.operator != header_operator:
            return err400(115, "Operators in request body and in request header are not identical")
        op = OPERATORS.get(req.operator)
        if op is None:
            return err400(112, f"Operator with `{req.operator}` name is not found")
        if not op.get("webhook_url"):
            return err400(114, f"No webhook url for operator with `{req.operator}` name")

        # --- event and bets
        ev = EVENTS.get(req.event)
        if ev is None:
            return err400(103, f"Event with `{req.event}` identifier is not found")
        if ev["started"]:
            return err400(107, f"Event with `{req.event}` identifier is not available for play "
                               f"because it has already started")
        for bet_id in req.bets:
            found = BETS.get(bet_id)
            if found is None or found[0] != req.event:
                return err400(106, f"Market for bet with `{bet_id}` identifier is not found")
            market = found[1]
            if not market["allowed"]:
                return err400(116, f"Market with `{market['code']}` code is not allowed")

        # --- PAM (ticket_reserve): player, currency, funds
        player = PLAYERS_BY_TOKEN.get(req.token)
        if player is None or player["operator"] != op["name"]:
            return forbidden("Forbidden. Player token is not valid for this operator")
        if player["blocked"]:
            return forbidden("Forbidden. Player is blocked")
        if req.currency != player["currency"]:
            return err400(121, f"Currency `{req.currency}` does not match the player's currency")
        price_major = (Decimal(req.price) / 100).quantize(CENT)
        if player["balance"] < price_major:
            return err400(120, "Insufficient funds to reserve the ticket")

        # --- ticket
        code = None
        for _ in range(10):
            c = secrets.token_hex(3).upper()
            if c not in TICKET_CODES:
                code = c
                break
        if code is None:
            return err400(111, "Duplicate key for code generation")
        TICKET_CODES.add(code)

        ext = Decimal(op["ext"])
        wht = Decimal(op["wht"])
        stake = int((Decimal(req.price) * 100 / (100 + ext)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        ext_amount = req.price - stake

        created = datetime.now(timezone.utc).replace(tzinfo=None)
        tid = new_object_id()
        player["balance"] -= price_major
        player["ledger"].append({
            "entry_id": len(player["ledger"]) + 1,
            "amount": money(-price_major),
            "balance_after": money(player["balance"]),
            "reason": "ticket_reserve",
            "reference": tid,
        })
        updated = datetime.now(timezone.utc).replace(tzinfo=None)
        off = parse_offset(op["timezone_offset"])
        ticket = {
            "id": tid,
            "code": code,
            "price": req.price,
            "stake": stake,
            "gross_payout": 0,
            "net_payout": 0,
            "wht_amount": 0,
            "wht": float(wht),
            "ext_amount": ext_amount,
            "ext": float(ext),
            "ext_type": "inclusive",
            "currency": req.currency,
            "status": "reserved",
            "result": "pending",
            "approved": True,
            "source": req.source,
            "type": req.type,
            "atag": req.atag,
            "user_id": player["userId"],
            "created": fmt_time(created),
            "operator_time_created": fmt_time(created + off),
            "updated": fmt_time(updated),
            "operator_time_updated": fmt_time(updated + off),
        }
        player["tickets"].append(dict(ticket, event=req.event, bets=list(req.bets),
                                      operator=op["name"]))
        return JSONResponse(status_code=200, content=ticket)


# ---------------------------------------------------------------- provider-state hook
class HookError(Exception):
    def __init__(self, msg: str):
        self.msg = msg


def hook_decimal(name: str, v: Any) -> Decimal:
    if isinstance(v, bool) or not isinstance(v, (str, int, float)):
        raise HookError(f"param '{name}' must be a decimal string or number")
    if isinstance(v, str) and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", v):
        raise HookError(f"param '{name}' must be a decimal string like '12.50'")
    try:
        return Decimal(str(v))
    except InvalidOperation:
        raise HookError(f"param '{name}' is not a decimal")


def check_params(params: dict, allowed: set, state: str):
    unknown = set(params) - allowed
    if unknown:
        raise HookError(f"unknown param(s) {sorted(unknown)} for state '{state}'; "
                        f"accepted: {sorted(allowed)}")


def make_operator(params: dict) -> dict:
    check_params(params, {"name", "secret", "timezone_offset", "webhook_url", "ext", "wht"},
                 "an operator exists")
    name = params.get("name", "op-" + secrets.token_hex(4))
    secret = params.get("secret", secrets.token_urlsafe(24))
    off = params.get("timezone_offset", "+02:00")
    webhook = params.get("webhook_url", "http://127.0.0.1/webhook")
    if not isinstance(name, str) or not name:
        raise HookError("param 'name' must be a non-empty string")
    if not isinstance(secret, str) or not secret:
        raise HookError("param 'secret' must be a non-empty string")
    if not isinstance(off, str) or not re.fullmatch(r"[+-][0-9]{2}:[0-9]{2}", off):
        raise HookError("param 'timezone_offset' must look like '+02:00'")
    if webhook is not None and not isinstance(webhook, str):
        raise HookError("param 'webhook_url' must be a string or null")
    ext = hook_decimal("ext", params.get("ext", "12.5"))
    wht = hook_decimal("wht", params.get("wht", "20.0"))
    op = {"name": name, "secret": secret, "timezone_offset": off, "webhook_url": webhook,
          "ext": str(ext), "wht": str(wht)}
    OPERATORS[name] = op
    return dict(op)


def make_player(params: dict) -> dict:
    check_params(params, {"balance", "currency", "blocked", "min_stake", "max_stake",
                          "session_expired", "session_expired_seconds_ago", "operator"},
                 "a player exists")
    balance = hook_decimal("balance", params.get("balance", "1000.00"))
    currency = params.get("currency", "EUR")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise HookError("param 'currency' must be a 3-letter ISO 4217 code")
    blocked = params.get("blocked", False)
    if not isinstance(blocked, bool):
        raise HookError("param 'blocked' must be a boolean")
    min_stake = hook_decimal("min_stake", params.get("min_stake", "0.10"))
    max_stake = hook_decimal("max_stake", params.get("max_stake", "500.00"))
    for b in ("session_expired",):
        if b in params and not isinstance(params[b], bool):
            raise HookError(f"param '{b}' must be a boolean")
    if "session_expired_seconds_ago" in params:
        v = params["session_expired_seconds_ago"]
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 31536000:
            raise HookError("param 'session_expired_seconds_ago' must be an integer 1..31536000")
    if "operator" in params:
        op_name = params["operator"]
        if not isinstance(op_name, str) or op_name not in OPERATORS:
            raise HookError(f"param 'operator': no operator named {op_name!r}")
        op = OPERATORS[op_name]
    else:
        op = OPERATORS[make_operator({})["name"]]
    user_id = "user-" + secrets.token_hex(6)
    token = secrets.token_urlsafe(32)
    player = {"userId": user_id, "token": token, "balance": balance.quantize(CENT),
              "currency": currency, "blocked": blocked, "min_stake": min_stake,
              "max_stake": max_stake, "operator": op["name"], "tickets": [], "ledger": []}
    PLAYERS_BY_TOKEN[token] = player
    PLAYERS_BY_ID[user_id] = player
    return {"userId": user_id, "token": token, "balance": money(player["balance"]),
            "currency": currency, "blocked": blocked, "min_stake": money(min_stake),
            "max_stake": money(max_stake), "operator": dict(op)}


def make_event(params: dict) -> dict:
    check_params(params, {"started", "markets"}, "an event exists")
    started = params.get("started", False)
    if not isinstance(started, bool):
        raise HookError("param 'started' must be a boolean")
    markets = params.get("markets", [{"code": "1X2", "allowed": True,
                                      "prices": ["1.85", "3.40", "4.20"]}])
    if not isinstance(markets, list) or not markets:
        raise HookError("param 'markets' must be a non-empty array")
    built = []
    for m in markets:
        if not isinstance(m, dict):
            raise HookError("each market must be an object")
        if set(m) - {"code", "allowed", "prices"}:
            raise HookError(f"unknown market field(s) {sorted(set(m) - {'code', 'allowed', 'prices'})}")
        code = m.get("code")
        if not isinstance(code, str) or not code:
            raise HookError("market 'code' is required and must be a string")
        allowed = m.get("allowed", True)
        if not isinstance(allowed, bool):
            raise HookError("market 'allowed' must be a boolean")
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or not prices:
            raise HookError("market 'prices' must be a non-empty array")
        built.append((code, allowed, [hook_decimal("prices[]", p) for p in prices]))
    event_id = next(_event_ids)
    ev = {"event_id": event_id, "name": "Home v Away", "started": started, "markets": []}
    for code, allowed, prices in built:
        mk = {"market_id": next(_market_ids), "code": code, "allowed": allowed, "selections": []}
        names = ["1", "X", "2"] if len(prices) == 3 else [str(i + 1) for i in range(len(prices))]
        for n, p in zip(names, prices):
            bid = next(_bet_ids)
            mk["selections"].append({"bet_id": bid, "name": n, "decimal_price": str(p)})
            BETS[bid] = (event_id, mk)
        ev["markets"].append(mk)
    EVENTS[event_id] = ev
    return json.loads(json.dumps(ev))


def make_snapshot(params: dict) -> dict:
    check_params(params, {"userId"}, "a player snapshot")
    uid = params.get("userId")
    if not isinstance(uid, str):
        raise HookError("param 'userId' is required")
    p = PLAYERS_BY_ID.get(uid)
    if p is None:
        raise HookError(f"no player with userId {uid!r}")
    return {"userId": uid, "balance": money(p["balance"]), "currency": p["currency"],
            "tickets": [dict(t) for t in p["tickets"]],
            "ledger": [dict(e) for e in p["ledger"]]}


STATES = {
    "an operator exists": make_operator,
    "a player exists": make_player,
    "an event exists": make_event,
    "a player snapshot": make_snapshot,
}


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
    if action not in ("setup", "teardown"):
        return JSONResponse(status_code=400, content={
            "error": f"unknown action {action!r}; accepted: setup, teardown"})
    if state not in STATES:
        return JSONResponse(status_code=400, content={
            "error": f"unknown provider state {state!r}; accepted: {sorted(STATES)}"})
    if not isinstance(params, dict):
        return JSONResponse(status_code=400, content={"error": "params must be an object"})
    if action == "teardown":
        return JSONResponse(status_code=200, content={})
    with LOCK:
        try:
            return JSONResponse(status_code=200, content=STATES[state](params))
        except HookError as e:
            return JSONResponse(status_code=400, content={"error": e.msg})
