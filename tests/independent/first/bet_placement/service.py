"""Bet placement endpoint (independent implementation of the 'Bet Placement Endpoint' document).

Decisions on points the document leaves open are in DECISIONS.md.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from decimal import Decimal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

app = FastAPI(title="Bet placement (independent)")

# --------------------------------------------------------------------------------------------
# State (in memory, one process)
# --------------------------------------------------------------------------------------------
LOCK = threading.RLock()
API_KEY = "bp-key-" + secrets.token_urlsafe(18)  # the deployment's API key (X-API-Key)
HOOK_ENABLED = True  # the provider-state hook exists on this test deployment only

PLAYERS: dict[str, dict] = {}        # userId -> player
BETS_BY_ID: dict[str, dict] = {}     # betId -> stored bet
IDEMPOTENCY: dict[str, dict] = {}    # X-Idempotency-Key -> {fingerprint, status, body}
OPERATORS: dict[str, dict] = {}
EVENTS: dict[int, dict] = {}
_ids = {"event": 100000, "market": 5000, "selection": 100, "ledger": 0, "member": 70000}

SESSION_LIFETIME_SECONDS = 24 * 3600
STAGES = {"IN_PLAY", "PRE_PLAY"}
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
EPOCH_RE = re.compile(r"^[0-9]{1,16}$")

TOP_LEVEL_REQUIRED = ["requestId", "userId", "sessionToken", "timestamp", "bets"]
BET_REQUIRED_STRINGS = [
    "betId", "sportId", "sportName", "sportDisplayName", "eventId", "eventName",
    "eventDisplayName", "eventStage", "competitionId", "competitionName",
    "competitionDisplayName", "marketTypeId", "marketId", "marketName", "marketDisplayName",
    "marketStage", "selectionId", "selectionName", "selectionDisplayName",
]
BET_REQUIRED_NUMBERS = ["decimalPrice", "stake"]
BET_FIELDS = BET_REQUIRED_STRINGS[:5] + ["eventAltId"] + BET_REQUIRED_STRINGS[5:] + BET_REQUIRED_NUMBERS

ERROR_STATUS = {
    "INVALID_USER": 400,
    "INVALID_BET_DETAILS": 400,
    "INVALID_STAKE": 400,
    "INSUFFICIENT_FUNDS": 400,
    "USER_BLOCKED": 400,
    "MISSING_PARAMETER": 400,
    "INVALID_SESSION": 401,
    "AUTHENTICATION_FAILED": 403,
    "GENERAL_EXCEPTION": 500,
    "REQUEST_TIMED_OUT": 503,
}


def now_ms() -> int:
    return int(time.time() * 1000)


def money(d: Decimal) -> str:
    return str(d.quantize(Decimal("0.01")))


def dec_str(d: Decimal) -> str:
    s = format(d, "f")
    return s


def num_out(d: Decimal):
    """A decimal as a JSON number: int when integral, else float (Decimal/Double in the document)."""
    return float(d)


class BetError(Exception):
    def __init__(self, code: str, message: str, failed_bets: list | None = None, http_status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.failed_bets = failed_bets
        self.http_status = http_status or ERROR_STATUS[code]

    def body(self) -> dict:
        b = {"status": "FAILURE", "errorCode": self.code, "errorMessage": self.message}
        if self.failed_bets is not None:
            b["failedBets"] = self.failed_bets
        return b


def error_response(err: BetError) -> JSONResponse:
    return JSONResponse(status_code=err.http_status, content=err.body())


# --------------------------------------------------------------------------------------------
# Request parsing / validation
# --------------------------------------------------------------------------------------------
def parse_number(value, field: str, idx: int) -> Decimal:
    # JSON numbers only (the document types these Decimal/Double); booleans are not numbers.
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise BetError("INVALID_BET_DETAILS", f"bets[{idx}].{field} must be a number")
    d = Decimal(value)
    if not d.is_finite():
        raise BetError("INVALID_BET_DETAILS", f"bets[{idx}].{field} must be a finite number")
    return d


def validate_request(body) -> dict:
    if not isinstance(body, dict):
        raise BetError("MISSING_PARAMETER", "request body must be a JSON object")
    missing = [k for k in TOP_LEVEL_REQUIRED if body.get(k) is None]
    if missing:
        raise BetError("MISSING_PARAMETER", "missing required parameter(s): " + ", ".join(missing))
    for k in ("requestId", "userId", "sessionToken", "timestamp"):
        if not isinstance(body[k], str) or body[k] == "":
            raise BetError("MISSING_PARAMETER", f"{k} must be a non-empty string")
    if not UUID_RE.match(body["requestId"]):
        raise BetError("MISSING_PARAMETER", "requestId must be a UUID string")
    if not EPOCH_RE.match(body["timestamp"]):
        raise BetError("MISSING_PARAMETER", "timestamp must be an epoch (milliseconds) string")
    bets = body["bets"]
    if not isinstance(bets, list):
        raise BetError("INVALID_BET_DETAILS", "bets must be an array of BetDetails")
    if len(bets) == 0:
        raise BetError("INVALID_BET_DETAILS", "bets must contain one or more bets")

    # missing fields inside bets first (MISSING_PARAMETER), then their values (INVALID_BET_DETAILS)
    for i, bet in enumerate(bets):
        if not isinstance(bet, dict):
            raise BetError("INVALID_BET_DETAILS", f"bets[{i}] must be an object")
        miss = [k for k in BET_REQUIRED_STRINGS + BET_REQUIRED_NUMBERS if bet.get(k) is None]
        if miss:
            raise BetError("MISSING_PARAMETER", f"bets[{i}] missing required parameter(s): " + ", ".join(miss))

    parsed = []
    seen = set()
    for i, bet in enumerate(bets):
        for k in BET_REQUIRED_STRINGS:
            if not isinstance(bet[k], str) or bet[k].strip() == "":
                raise BetError("INVALID_BET_DETAILS", f"bets[{i}].{k} must be a non-empty string")
        if bet.get("eventAltId") is not None and not isinstance(bet["eventAltId"], str):
            raise BetError("INVALID_BET_DETAILS", f"bets[{i}].eventAltId must be a string")
        if not UUID_RE.match(bet["betId"]):
            raise BetError("INVALID_BET_DETAILS", f"bets[{i}].betId must be a UUID string")
        for k in ("eventStage", "marketStage"):
            if bet[k] not in STAGES:
                raise BetError("INVALID_BET_DETAILS", f"bets[{i}].{k} must be IN_PLAY or PRE_PLAY")
        price = parse_number(bet["decimalPrice"], "decimalPrice", i)
        stake = parse_number(bet["stake"], "stake", i)
        if price <= 1:
            raise BetError("INVALID_BET_DETAILS", f"bets[{i}].decimalPrice must be greater than 1")
        if stake.as_tuple().exponent < -2:
            raise BetError("INVALID_BET_DETAILS", f"bets[{i}].stake has more than 2 decimal places")
        key = bet["betId"].lower()
        if key in seen:
            raise BetError("INVALID_BET_DETAILS", f"bets[{i}].betId is repeated in the betslip")
        seen.add(key)
        parsed.append({"raw": bet, "stake": stake, "price": price})
    return {"body": body, "bets": parsed}


def failed_bet(bet: dict, reason: dict) -> dict:
    return {
        "betId": bet["betId"],
        "sportId": bet["sportId"],
        "eventId": bet["eventId"],
        "marketId": bet["marketId"],
        "selectionId": bet["selectionId"],
        "reason": reason,
    }


def echo_bet(p: dict) -> dict:
    raw = p["raw"]
    out = {}
    for k in BET_FIELDS:
        if k in BET_REQUIRED_NUMBERS:
            out[k] = num_out(p["price"] if k == "decimalPrice" else p["stake"])
        elif k == "eventAltId":
            if raw.get("eventAltId") is not None:
                out[k] = raw[k]
        else:
            out[k] = raw[k]
    return out


def place(req: dict) -> dict:
    body = req["body"]
    bets = req["bets"]
    user_id = body["userId"]
    player = PLAYERS.get(user_id)
    if player is None:
        raise BetError("INVALID_USER", "unknown userId")
    session = player["sessions"].get(body["sessionToken"])
    if session is None:
        raise BetError("INVALID_SESSION", "session token is not valid for this user")
    if session["expires_at"] <= time.time():
        raise BetError("INVALID_SESSION", "session has expired")
    if player["blocked"]:
        raise BetError("USER_BLOCKED", "user is blocked from betting")

    # bets already stored under these betIds cannot be stored again
    for i, p in enumerate(bets):
        if p["raw"]["betId"].lower() in BETS_BY_ID:
            raise BetError("INVALID_BET_DETAILS", f"bets[{i}].betId has already been placed")

    # regulatory restrictions: per-bet stake limits
    failed = []
    for p in bets:
        if p["stake"] < player["min_stake"]:
            failed.append(failed_bet(p["raw"], {"minStake": num_out(player["min_stake"])}))
        elif p["stake"] > player["max_stake"]:
            failed.append(failed_bet(p["raw"], {"maxStake": num_out(player["max_stake"])}))
    if failed:
        raise BetError("INVALID_STAKE", "one or more stakes breach the stake limits", failed_bets=failed)

    total = sum((p["stake"] for p in bets), Decimal(0))
    if total > player["balance"]:
        raise BetError("INSUFFICIENT_FUNDS", "balance does not cover the total stake")

    # all checks passed: store every bet (pending) and debit the stakes
    for p in bets:
        raw = p["raw"]
        payout = p["stake"] * p["price"]
        player["balance"] -= p["stake"]
        _ids["ledger"] += 1
        player["ledger"].append({
            "entry_id": _ids["ledger"],
            "amount": money(-p["stake"]),
            "balance_after": money(player["balance"]),
            "reason": "bet",
            "reference": raw["betId"],
        })
        stored = {
            "betId": raw["betId"],
            "requestId": body["requestId"],
            "userId": user_id,
            "details": dict(raw),
            "eventId": raw["eventId"],
            "marketId": raw["marketId"],
            "selectionId": raw["selectionId"],
            "stake": p["stake"],
            "decimalPrice": p["price"],
            "potentialPayout": payout,
            "status": "pending",
            "placedAt": now_ms(),
        }
        BETS_BY_ID[raw["betId"].lower()] = stored
        player["bets"].append(stored)

    return {
        "requestId": body["requestId"],
        "userId": user_id,
        "sessionToken": body["sessionToken"],
        "timestamp": str(now_ms()),
        "status": "PLACED",
        "bets": [echo_bet(p) for p in bets],
    }


def fingerprint(body) -> str:
    canon = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canon.encode()).hexdigest()


@app.post("/bet")
async def bet(request: Request):
    try:
        if not secrets.compare_digest(request.headers.get("x-api-key", ""), API_KEY):
            return error_response(BetError("AUTHENTICATION_FAILED", "missing or invalid X-API-Key"))

        raw = await request.body()
        try:
            body = json.loads(raw, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            return error_response(BetError("MISSING_PARAMETER", "request body is not valid JSON"))

        idem = request.headers.get("x-idempotency-key")
        if idem is not None and not UUID_RE.match(idem.strip()):
            return error_response(BetError("MISSING_PARAMETER", "X-Idempotency-Key must be a UUID string"))
        idem = idem.strip().lower() if idem else None
        fp = fingerprint(body)

        with LOCK:
            if idem is not None and idem in IDEMPOTENCY:
                rec = IDEMPOTENCY[idem]
                if rec["fingerprint"] != fp:
                    return JSONResponse(status_code=409, content={
                        "status": "FAILURE",
                        "errorCode": "IDEMPOTENCY_CONFLICT",
                        "errorMessage": "X-Idempotency-Key was already used with a different request",
                    })
                return Response(content=rec["body"], status_code=rec["status"], media_type="application/json",
                                headers={"Idempotent-Replayed": "true"})
            try:
                result = place(validate_request(body))
                status, content = 200, result
            except BetError as e:
                status, content = e.http_status, e.body()
            encoded = json.dumps(content, separators=(",", ":")).encode()
            if idem is not None and status < 500:
                IDEMPOTENCY[idem] = {"fingerprint": fp, "status": status, "body": encoded}
            return Response(content=encoded, status_code=status, media_type="application/json")
    except Exception as exc:  # noqa: BLE001
        return error_response(BetError("GENERAL_EXCEPTION", f"unexpected error: {type(exc).__name__}"))


# --------------------------------------------------------------------------------------------
# Provider-state test hook
# --------------------------------------------------------------------------------------------
class HookError(Exception):
    pass


DEC_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


def p_decimal(params, name, default) -> Decimal:
    v = params.get(name, default)
    if isinstance(v, bool):
        raise HookError(f"param '{name}' must be a decimal")
    if isinstance(v, (int, float, Decimal)):
        return Decimal(str(v))
    if isinstance(v, str) and DEC_RE.match(v):
        return Decimal(v)
    raise HookError(f"param '{name}' must be a decimal string or number")


def p_bool(params, name, default) -> bool:
    v = params.get(name, default)
    if not isinstance(v, bool):
        raise HookError(f"param '{name}' must be a boolean")
    return v


def check_params(params, allowed, state):
    if not isinstance(params, dict):
        raise HookError("params must be an object")
    extra = sorted(set(params) - set(allowed))
    if extra:
        raise HookError(f"unknown param(s) {extra} for state '{state}'; accepted: {sorted(allowed)}")


def operator_answer(op):
    return {k: op[k] for k in ("name", "secret", "timezone_offset", "webhook_url", "ext", "wht")}


def create_operator(params):
    check_params(params, ["name", "secret", "timezone_offset", "webhook_url", "ext", "wht"], "an operator exists")
    name = params.get("name") or "op-" + secrets.token_hex(4)
    tz = params.get("timezone_offset", "+02:00")
    if not isinstance(tz, str) or not re.match(r"^[+-][0-9]{2}:[0-9]{2}$", tz):
        raise HookError("param 'timezone_offset' must look like +02:00")
    wh = params.get("webhook_url", "http://127.0.0.1/webhook")
    if wh is not None and not isinstance(wh, str):
        raise HookError("param 'webhook_url' must be a string or null")
    secret = params.get("secret") or secrets.token_urlsafe(16)
    if not isinstance(name, str) or not isinstance(secret, str):
        raise HookError("params 'name' and 'secret' must be strings")
    op = {
        "name": name, "secret": secret, "timezone_offset": tz, "webhook_url": wh,
        "ext": dec_str(p_decimal(params, "ext", "12.5")), "wht": dec_str(p_decimal(params, "wht", "20.0")),
    }
    OPERATORS[name] = op
    return op


def create_player(params):
    allowed = ["balance", "currency", "blocked", "min_stake", "max_stake", "session_expired",
               "session_expired_seconds_ago", "operator"]
    check_params(params, allowed, "a player exists")
    balance = p_decimal(params, "balance", "1000.00")
    currency = params.get("currency", "EUR")
    if not isinstance(currency, str) or not re.match(r"^[A-Z]{3}$", currency):
        raise HookError("param 'currency' must be an ISO 4217 code")
    blocked = p_bool(params, "blocked", False)
    min_stake = p_decimal(params, "min_stake", "0.10")
    max_stake = p_decimal(params, "max_stake", "500.00")
    expired = p_bool(params, "session_expired", False)
    ago = params.get("session_expired_seconds_ago", 60)
    if isinstance(ago, bool) or not isinstance(ago, int) or not (1 <= ago <= 31536000):
        raise HookError("param 'session_expired_seconds_ago' must be an integer 1..31536000")
    op_name = params.get("operator")
    if op_name is not None:
        if not isinstance(op_name, str):
            raise HookError("param 'operator' must be a string")
        op = OPERATORS.get(op_name) or create_operator({"name": op_name})
    else:
        op = create_operator({})
    user_id = "user-" + secrets.token_hex(6)
    token = secrets.token_urlsafe(18)
    expires = time.time() - ago if expired else time.time() + SESSION_LIFETIME_SECONDS
    _ids["member"] += 1
    player = {
        "userId": user_id, "balance": balance, "currency": currency, "blocked": blocked,
        "min_stake": min_stake, "max_stake": max_stake,
        "sessions": {token: {"expires_at": expires}},
        "bets": [], "ledger": [], "operator": op["name"], "memberid": str(_ids["member"]),
    }
    PLAYERS[user_id] = player
    return {
        "userId": user_id,
        "sessionToken": token,
        "balance": money(balance),
        "currency": currency,
        "blocked": blocked,
        "min_stake": dec_str(min_stake),
        "max_stake": dec_str(max_stake),
        "apiKey": API_KEY,
        "operator": operator_answer(op),
    }


def create_event(params):
    check_params(params, ["started", "markets"], "an event exists")
    started = p_bool(params, "started", False)
    markets = params.get("markets", [{"code": "1X2", "allowed": True, "prices": ["1.85", "3.40", "4.20"]}])
    if not isinstance(markets, list) or not markets:
        raise HookError("param 'markets' must be a non-empty array")
    _ids["event"] += 1
    ev = {"event_id": _ids["event"], "name": "Home v Away", "started": started, "markets": []}
    for m in markets:
        if not isinstance(m, dict) or not isinstance(m.get("code"), str):
            raise HookError("each market needs a string 'code'")
        extra = set(m) - {"code", "allowed", "prices"}
        if extra:
            raise HookError(f"unknown market param(s) {sorted(extra)}")
        allowed = p_bool(m, "allowed", True)
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or not prices:
            raise HookError("market 'prices' must be a non-empty array")
        _ids["market"] += 1
        sels = []
        names = ["1", "X", "2"] if len(prices) == 3 else [str(i + 1) for i in range(len(prices))]
        for j, pr in enumerate(prices):
            _ids["selection"] += 1
            sels.append({"bet_id": _ids["selection"], "name": names[j],
                         "decimal_price": dec_str(p_decimal({"p": pr}, "p", None))})
        ev["markets"].append({"market_id": _ids["market"], "code": m["code"], "allowed": allowed, "selections": sels})
    EVENTS[ev["event_id"]] = ev
    return ev


def snapshot(params):
    check_params(params, ["userId"], "a player snapshot")
    uid = params.get("userId")
    if not isinstance(uid, str):
        raise HookError("param 'userId' is required (a string)")
    player = PLAYERS.get(uid)
    if player is None:
        raise HookError(f"no player with userId '{uid}'")
    return {
        "userId": uid,
        "balance": money(player["balance"]),
        "currency": player["currency"],
        "bets": [{
            "betId": b["betId"], "requestId": b["requestId"], "eventId": b["eventId"],
            "marketId": b["marketId"], "selectionId": b["selectionId"],
            "stake": dec_str(b["stake"]), "decimalPrice": dec_str(b["decimalPrice"]),
            "potentialPayout": dec_str(b["potentialPayout"]), "status": b["status"],
        } for b in player["bets"]],
        "ledger": list(player["ledger"]),
    }


STATES = {
    "an operator exists": create_operator,
    "a player exists": create_player,
    "an event exists": create_event,
    "a player snapshot": snapshot,
}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request):
    if not HOOK_ENABLED:
        return Response(status_code=404)
    try:
        body = json.loads(await request.body())
    except ValueError:
        return JSONResponse(status_code=400, content={"error": "body must be JSON"})
    if not isinstance(body, dict):
        return JSONResponse(status_code=400, content={"error": "body must be a JSON object"})
    state = body.get("state")
    action = body.get("action", "setup")
    params = body.get("params") or {}
    if action not in ("setup", "teardown"):
        return JSONResponse(status_code=400, content={"error": f"unknown action '{action}'; accepted: setup, teardown"})
    if state not in STATES:
        return JSONResponse(status_code=400, content={
            "error": f"unknown provider state '{state}'; accepted: {sorted(STATES)}"})
    with LOCK:
        try:
            if action == "teardown":
                if state == "a player exists" and isinstance(params, dict) and params.get("userId") in PLAYERS:
                    PLAYERS.pop(params["userId"])
                return JSONResponse(status_code=200, content={})
            return JSONResponse(status_code=200, content=STATES[state](params))
        except HookError as e:
            return JSONResponse(status_code=400, content={"error": str(e)})
