"""Bet placement endpoint (seed 004) - independent implementation #2.

POST /bet                           the operator's bet placement endpoint
POST /_orderproof/provider-states   test hook (test deployments only)

All state is in memory. See DECISIONS.md for every point the document leaves open.
"""
from __future__ import annotations

import json
import re
import secrets
import time
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI(title="Bet placement (independent #2)")

# ---------------------------------------------------------------------------
# In-memory state
# ---------------------------------------------------------------------------

SESSION_LIFETIME = 30 * 60          # seconds; sliding
IDEMPOTENCY_TTL = 24 * 60 * 60      # seconds

API_KEYS: set[str] = set()          # every key the hook has issued is valid for the target
PLAYERS: dict[str, dict[str, Any]] = {}
SESSIONS: dict[str, dict[str, Any]] = {}     # token -> {"userId", "expires"}
BETS_BY_ID: dict[str, dict[str, Any]] = {}   # betId -> stored bet
PLACED_REQUEST_IDS: dict[str, set[str]] = {}  # userId -> requestIds of placed slips
IDEMPOTENCY: dict[tuple[str, str], dict[str, Any]] = {}  # (apiKey, idemKey) -> stored answer
EVENTS: dict[str, dict[str, Any]] = {}       # str(event_id) -> event answer
_COUNTERS = {"event": 700000, "market": 80000, "selection": 900000}

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DECIMAL_STR_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
STAGES = ("IN_PLAY", "PRE_PLAY")

BET_STRING_FIELDS = [
    "betId", "sportId", "sportName", "sportDisplayName", "eventId", "eventName",
    "eventDisplayName", "eventStage", "competitionId", "competitionName",
    "competitionDisplayName", "marketTypeId", "marketId", "marketName", "marketDisplayName",
    "marketStage", "selectionId", "selectionName", "selectionDisplayName",
]
BET_NUMBER_FIELDS = ["decimalPrice", "stake"]
BET_OUTPUT_ORDER = [
    "betId", "sportId", "sportName", "sportDisplayName", "eventId", "eventAltId", "eventName",
    "eventDisplayName", "eventStage", "competitionId", "competitionName",
    "competitionDisplayName", "marketTypeId", "marketId", "marketName", "marketDisplayName",
    "marketStage", "selectionId", "selectionName", "selectionDisplayName", "decimalPrice", "stake",
]
TOP_LEVEL_REQUIRED = ["requestId", "userId", "sessionToken", "timestamp", "bets"]

# Error codes whose answers are NOT kept under the idempotency key (the request never reached
# execution: it was rejected on its shape). 5xx answers are never kept either.
NOT_STORED_CODES = {"MISSING_PARAMETER", "INVALID_BET_DETAILS", "UNSUPPORTED_MEDIA_TYPE",
                    "AUTHENTICATION_FAILED"}


class Failure(Exception):
    def __init__(self, http_status: int, code: str, message: str,
                 failed_bets: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.http_status = http_status
        self.code = code
        self.message = message
        self.failed_bets = failed_bets

    def body(self) -> dict[str, Any]:
        b: dict[str, Any] = {"status": "FAILURE", "errorCode": self.code,
                             "errorMessage": self.message}
        if self.failed_bets is not None:
            b["failedBets"] = self.failed_bets
        return b


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

def _now() -> float:
    return time.time()


def _money_str(d: Decimal) -> str:
    """Decimal string in major units, at least two decimals, never losing digits."""
    if d.as_tuple().exponent >= -2:  # type: ignore[operator]
        d = d.quantize(Decimal("0.01"))
    return format(d, "f")


def _num_out(d: Decimal) -> float | int:
    """A JSON number for a Decimal."""
    f = float(d)
    return f


def _payout(stake: Decimal, price: Decimal) -> Decimal:
    # potentialPayout = stake * decimalPrice, truncated (rounded down) to whole cents.
    return (stake * price).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _parse_decimal_value(v: Any) -> Decimal | None:
    """JSON number (already Decimal/int from the parser) or a plain decimal string."""
    d = _parse_decimal_value_raw(v)
    return d if d is None or abs(d) < Decimal(10) ** 15 else None


def _parse_decimal_value_raw(v: Any) -> Decimal | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, Decimal):
        return v if v.is_finite() else None
    if isinstance(v, float):
        try:
            d = Decimal(repr(v))
        except InvalidOperation:
            return None
        return d if d.is_finite() else None
    if isinstance(v, str) and DECIMAL_STR_RE.match(v.strip()):
        return Decimal(v.strip())
    return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def _fail_response(f: Failure) -> JSONResponse:
    return JSONResponse(status_code=f.http_status, content=f.body())


def _bet_identity(bet: Any) -> dict[str, Any] | None:
    if not isinstance(bet, dict):
        return None
    ident = {}
    for k in ("betId", "sportId", "eventId", "marketId", "selectionId"):
        if not isinstance(bet.get(k), str):
            return None
        ident[k] = bet[k]
    return ident


def _purge_idempotency() -> None:
    limit = _now() - IDEMPOTENCY_TTL
    for k in [k for k, v in IDEMPOTENCY.items() if v["created"] < limit]:
        del IDEMPOTENCY[k]


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------

def _validate_top_level(body: Any) -> None:
    if not isinstance(body, dict):
        raise Failure(400, "INVALID_BET_DETAILS", "request body must be a JSON object (a betslip)")
    missing = [k for k in TOP_LEVEL_REQUIRED if k not in body]
    if missing:
        raise Failure(400, "MISSING_PARAMETER", "missing required parameter(s): " + ", ".join(missing))
    if not isinstance(body["userId"], str) or not body["userId"]:
        raise Failure(400, "INVALID_USER", "userId must be a non-empty string")
    if not isinstance(body["sessionToken"], str) or not body["sessionToken"]:
        raise Failure(401, "INVALID_SESSION", "sessionToken must be a non-empty string")
    rid = body["requestId"]
    if not isinstance(rid, str) or not UUID_RE.match(rid):
        raise Failure(400, "INVALID_BET_DETAILS", "requestId must be a UUID string")
    ts = body["timestamp"]
    ok_ts = (isinstance(ts, str) and ts.isdigit() and ts.isascii()) or \
            (isinstance(ts, int) and not isinstance(ts, bool) and ts >= 0)
    if not ok_ts:
        raise Failure(400, "INVALID_BET_DETAILS", "timestamp must be an epoch value (digits)")


def _validate_bets(bets: Any) -> list[dict[str, Any]]:
    """Returns normalised bets; raises INVALID_BET_DETAILS."""
    if not isinstance(bets, list):
        raise Failure(400, "INVALID_BET_DETAILS", "bets must be an array of BetDetails")
    if not bets:
        raise Failure(400, "INVALID_BET_DETAILS", "bets must contain at least one bet")
    problems: list[str] = []
    failing: list[Any] = []
    normalised: list[dict[str, Any]] = []
    seen_ids: dict[str, int] = {}
    for i, bet in enumerate(bets):
        errs: list[str] = []
        if not isinstance(bet, dict):
            problems.append(f"bets[{i}] is not an object")
            failing.append(bet)
            continue
        n: dict[str, Any] = {}
        for f in BET_STRING_FIELDS:
            if f not in bet or bet[f] is None:
                errs.append(f"{f} is required")
            elif not isinstance(bet[f], str):
                errs.append(f"{f} must be a string")
            else:
                n[f] = bet[f]
        if isinstance(n.get("betId"), str) and not UUID_RE.match(n["betId"]):
            errs.append("betId must be a UUID")
        for f in ("eventStage", "marketStage"):
            if isinstance(n.get(f), str):
                up = n[f].strip().upper()
                if up not in STAGES:
                    errs.append(f"{f} must be IN_PLAY or PRE_PLAY")
                else:
                    n[f] = up
        if "eventAltId" in bet and bet["eventAltId"] is not None:
            if not isinstance(bet["eventAltId"], str):
                errs.append("eventAltId must be a string")
            else:
                n["eventAltId"] = bet["eventAltId"]
        for f in BET_NUMBER_FIELDS:
            if f not in bet or bet[f] is None:
                errs.append(f"{f} is required")
                continue
            d = _parse_decimal_value(bet[f])
            if d is None:
                errs.append(f"{f} must be a decimal number")
                continue
            n[f] = d
        if isinstance(n.get("decimalPrice"), Decimal) and n["decimalPrice"] < 1:
            errs.append("decimalPrice must be at least 1.0")
        if isinstance(n.get("stake"), Decimal) and n["stake"] <= 0:
            errs.append("stake must be greater than zero")
        bid = n.get("betId")
        if isinstance(bid, str):
            key = bid.lower()
            if key in seen_ids:
                errs.append(f"betId repeats bets[{seen_ids[key]}]")
            else:
                seen_ids[key] = i
        if errs:
            problems.append(f"bets[{i}]: " + "; ".join(errs))
            failing.append(bet)
        else:
            normalised.append(n)
    if problems:
        idents = [_bet_identity(b) for b in failing]
        failed_bets = None
        if idents and all(x is not None for x in idents):
            failed_bets = [dict(x, reason={}) for x in idents]  # type: ignore[arg-type]
        raise Failure(400, "INVALID_BET_DETAILS", " | ".join(problems), failed_bets)
    return normalised


def _check_catalogue(bets: list[dict[str, Any]]) -> None:
    """Bets on an event created through the hook must match that event; other events are the
    provider's and are not checked."""
    problems = []
    failing = []
    for b in bets:
        ev = EVENTS.get(b["eventId"])
        if ev is None:
            continue
        market = next((m for m in ev["markets"] if str(m["market_id"]) == b["marketId"]), None)
        err = None
        if market is None:
            err = "marketId is not a market of the event"
        elif not any(str(s["bet_id"]) == b["selectionId"] for s in market["selections"]):
            err = "selectionId is not a selection of the market"
        elif not market["allowed"]:
            err = "market is not offered"
        elif ev["started"] and b["eventStage"] == "PRE_PLAY":
            err = "event has started; PRE_PLAY bets are closed"
        if err:
            problems.append(f"bet {b['betId']}: {err}")
            failing.append(b)
    if problems:
        raise Failure(400, "INVALID_BET_DETAILS", " | ".join(problems),
                      [dict(_bet_identity(b) or {}, reason={}) for b in failing])


# ---------------------------------------------------------------------------
# The endpoint
# ---------------------------------------------------------------------------

def _process(raw: bytes, content_type: str | None) -> tuple[int, dict[str, Any]]:
    if content_type:
        mt = content_type.split(";")[0].strip().lower()
        if not (mt == "application/json" or mt.endswith("+json")):
            raise Failure(415, "UNSUPPORTED_MEDIA_TYPE", "content-type must be application/json")
    try:
        body = json.loads(raw.decode("utf-8"), parse_float=Decimal,
                          parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise Failure(400, "INVALID_BET_DETAILS", "request body is not valid JSON")

    _validate_top_level(body)

    now = _now()
    user_id = body["userId"]
    player = PLAYERS.get(user_id)
    if player is None:
        raise Failure(400, "INVALID_USER", "unknown userId")
    if player["blocked"]:
        raise Failure(400, "USER_BLOCKED", "the user is blocked from betting")
    session = SESSIONS.get(body["sessionToken"])
    if session is None or session["expires"] <= now:
        raise Failure(401, "INVALID_SESSION", "session token unknown or expired")
    if session["userId"] != user_id:
        raise Failure(401, "INVALID_SESSION", "the session belongs to another user")

    bets = _validate_bets(body["bets"])
    _check_catalogue(bets)

    request_id = body["requestId"]
    if request_id.lower() in PLACED_REQUEST_IDS.get(user_id, set()):
        raise Failure(409, "DUPLICATE_REQUEST", "a betslip with this requestId was already placed")
    dups = [b for b in bets if b["betId"].lower() in BETS_BY_ID]
    if dups:
        raise Failure(409, "DUPLICATE_BET", "bet(s) already placed: " + ", ".join(b["betId"] for b in dups),
                      [dict(_bet_identity(b) or {}, reason={}) for b in dups])

    total = sum((b["stake"] for b in bets), Decimal(0))
    if total > player["balance"]:
        raise Failure(400, "INSUFFICIENT_FUNDS",
                      f"total stake {_money_str(total)} exceeds balance {_money_str(player['balance'])}")

    breaches = []
    for b in bets:
        if b["stake"] < player["min_stake"]:
            breaches.append(dict(_bet_identity(b) or {}, reason={"minStake": _num_out(player["min_stake"])}))
        elif b["stake"] > player["max_stake"]:
            breaches.append(dict(_bet_identity(b) or {}, reason={"maxStake": _num_out(player["max_stake"])}))
    if breaches:
        raise Failure(400, "INVALID_STAKE", "stake limit breached", breaches)

    # --- all checks passed: write everything at once -------------------------------------
    player["balance"] -= total
    player["ledger"].append({
        "entry_id": len(player["ledger"]) + 1,
        "amount": _money_str(-total),
        "balance_after": _money_str(player["balance"]),
        "reason": "betslip",
        "reference": request_id,
    })
    out_bets = []
    for b in bets:
        payout = _payout(b["stake"], b["decimalPrice"])
        stored = {k: b[k] for k in BET_OUTPUT_ORDER if k in b}
        stored.update(requestId=request_id, userId=user_id, potentialPayout=payout,
                      status="unsettled", placedAt=now)
        BETS_BY_ID[b["betId"].lower()] = stored
        player["bets"].append(stored)
        echo: dict[str, Any] = {}
        for k in BET_OUTPUT_ORDER:
            if k in b:
                echo[k] = _num_out(b[k]) if isinstance(b[k], Decimal) else b[k]
        echo["potentialPayout"] = _num_out(payout)
        out_bets.append(echo)
    PLACED_REQUEST_IDS.setdefault(user_id, set()).add(request_id.lower())

    # Session: slide the presented token, and hand out a refreshed one.
    session["expires"] = now + SESSION_LIFETIME
    new_token = secrets.token_urlsafe(18)
    SESSIONS[new_token] = {"userId": user_id, "expires": now + SESSION_LIFETIME}

    return 201, {
        "requestId": request_id,
        "userId": user_id,
        "sessionToken": new_token,
        "timestamp": str(int(now)),
        "status": "PLACED",
        "bets": out_bets,
    }


@app.post("/bet")
async def place_bet(request: Request) -> JSONResponse:
    api_key = request.headers.get("x-api-key")
    if not api_key or api_key not in API_KEYS:
        return _fail_response(Failure(403, "AUTHENTICATION_FAILED", "missing or invalid X-API-Key"))
    idem_key = (request.headers.get("x-idempotency-key") or "").strip()
    if not idem_key:
        return _fail_response(Failure(400, "MISSING_PARAMETER", "header X-Idempotency-Key is required"))

    raw = await request.body()
    # Nothing below awaits: the whole check-and-write runs atomically on the event loop.
    _purge_idempotency()
    scope = (api_key, idem_key)
    stored = IDEMPOTENCY.get(scope)
    if stored is not None:
        return JSONResponse(status_code=stored["status"], content=stored["body"])

    try:
        status, body = _process(raw, request.headers.get("content-type"))
        code = None
    except Failure as f:
        status, body, code = f.http_status, f.body(), f.code
    except Exception as exc:  # noqa: BLE001
        return JSONResponse(status_code=500, content={
            "status": "FAILURE", "errorCode": "GENERAL_EXCEPTION",
            "errorMessage": f"unexpected error: {type(exc).__name__}"})

    if status < 500 and code not in NOT_STORED_CODES:
        IDEMPOTENCY[scope] = {"status": status, "body": body, "created": _now()}
    return JSONResponse(status_code=status, content=body)


# ---------------------------------------------------------------------------
# Test hook: POST /_orderproof/provider-states
# ---------------------------------------------------------------------------

class HookError(Exception):
    pass


def _hook_decimal(params: dict[str, Any], name: str, default: str) -> Decimal:
    if name not in params:
        return Decimal(default)
    v = params[name]
    d = _parse_decimal_value(v) if not isinstance(v, Decimal) else v
    if d is None:
        raise HookError(f"param '{name}' must be a decimal string or a number")
    return d


def _hook_bool(params: dict[str, Any], name: str, default: bool) -> bool:
    v = params.get(name, default)
    if not isinstance(v, bool):
        raise HookError(f"param '{name}' must be a boolean")
    return v


def _state_player(params: dict[str, Any]) -> dict[str, Any]:
    balance = _hook_decimal(params, "balance", "1000.00")
    min_stake = _hook_decimal(params, "min_stake", "0.10")
    max_stake = _hook_decimal(params, "max_stake", "500.00")
    if balance < 0 or min_stake < 0 or max_stake < 0:
        raise HookError("balance, min_stake and max_stake must not be negative")
    currency = params.get("currency", "EUR")
    if not isinstance(currency, str) or not re.match(r"^[A-Z]{3}$", currency):
        raise HookError("param 'currency' must be a 3-letter ISO 4217 code")
    blocked = _hook_bool(params, "blocked", False)
    expired = _hook_bool(params, "session_expired", False)
    ago = params.get("session_expired_seconds_ago", 60)
    if isinstance(ago, bool) or not isinstance(ago, int) or not 1 <= ago <= 31536000:
        raise HookError("param 'session_expired_seconds_ago' must be an integer 1..31536000")
    if "operator" in params and not isinstance(params["operator"], str):
        raise HookError("param 'operator' must be a string")

    user_id = "usr_" + secrets.token_hex(6)
    token = secrets.token_urlsafe(18)
    api_key = "bpk_" + secrets.token_hex(16)
    now = _now()
    SESSIONS[token] = {"userId": user_id,
                       "expires": (now - ago) if expired else (now + SESSION_LIFETIME)}
    API_KEYS.add(api_key)
    PLAYERS[user_id] = {"userId": user_id, "balance": balance, "currency": currency,
                        "blocked": blocked, "min_stake": min_stake, "max_stake": max_stake,
                        "bets": [], "ledger": []}
    return {
        "userId": user_id,
        "sessionToken": token,
        "balance": _money_str(balance),
        "currency": currency,
        "blocked": blocked,
        "min_stake": _money_str(min_stake),
        "max_stake": _money_str(max_stake),
        "apiKey": api_key,
    }


def _state_event(params: dict[str, Any]) -> dict[str, Any]:
    started = _hook_bool(params, "started", False)
    markets = params.get("markets", [{"code": "1X2", "allowed": True,
                                      "prices": ["1.85", "3.40", "4.20"]}])
    if not isinstance(markets, list) or not markets:
        raise HookError("param 'markets' must be a non-empty array")
    _COUNTERS["event"] += 1
    event_id = _COUNTERS["event"]
    out_markets = []
    for m in markets:
        if not isinstance(m, dict) or not isinstance(m.get("code"), str):
            raise HookError("each market needs a string 'code'")
        allowed = _hook_bool(m, "allowed", True)
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or not prices:
            raise HookError("market 'prices' must be a non-empty array")
        _COUNTERS["market"] += 1
        sels = []
        for idx, p in enumerate(prices):
            d = _parse_decimal_value(p)
            if d is None:
                raise HookError("market prices must be decimals")
            _COUNTERS["selection"] += 1
            name = ["1", "X", "2"][idx] if len(prices) == 3 else f"S{idx + 1}"
            sels.append({"bet_id": _COUNTERS["selection"], "name": name, "decimal_price": format(d, "f")})
        out_markets.append({"market_id": _COUNTERS["market"], "code": m["code"],
                            "allowed": allowed, "selections": sels})
    ev = {"event_id": event_id, "name": "Home v Away", "started": started, "markets": out_markets}
    EVENTS[str(event_id)] = ev
    return ev


def _state_snapshot(params: dict[str, Any]) -> dict[str, Any]:
    uid = params.get("userId")
    if not isinstance(uid, str):
        raise HookError("param 'userId' (string) is required for 'a player snapshot'")
    p = PLAYERS.get(uid)
    if p is None:
        raise HookError(f"no player with userId '{uid}'")
    return {
        "userId": uid,
        "balance": _money_str(p["balance"]),
        "currency": p["currency"],
        "bets": [{
            "betId": b["betId"], "requestId": b["requestId"], "eventId": b["eventId"],
            "marketId": b["marketId"], "selectionId": b["selectionId"],
            "stake": format(b["stake"], "f"), "decimalPrice": format(b["decimalPrice"], "f"),
            "potentialPayout": _money_str(b["potentialPayout"]), "status": b["status"],
            "eventStage": b["eventStage"], "marketStage": b["marketStage"],
        } for b in p["bets"]],
        "ledger": [dict(e) for e in p["ledger"]],
    }


STATES = {
    "a player exists": _state_player,
    "an event exists": _state_event,
    "a player snapshot": _state_snapshot,
}
NOT_SERVED = {"an operator exists", "a jackpot betcard exists"}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request) -> JSONResponse:
    try:
        req = json.loads((await request.body()).decode("utf-8"), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        return JSONResponse(status_code=400, content={"error": "body must be a JSON object"})
    if not isinstance(req, dict):
        return JSONResponse(status_code=400, content={"error": "body must be a JSON object"})
    state = req.get("state")
    action = req.get("action", "setup")
    params = req.get("params", {})
    if params is None:
        params = {}
    if action not in ("setup", "teardown"):
        return JSONResponse(status_code=400, content={
            "error": f"unknown action {action!r}; accepted: setup, teardown"})
    if not isinstance(params, dict):
        return JSONResponse(status_code=400, content={"error": "params must be an object"})
    if state in NOT_SERVED:
        return JSONResponse(status_code=400, content={
            "error": f"provider state {state!r} is not served by this target (bet placement only); "
                     f"accepted: {', '.join(STATES)}"})
    if state not in STATES:
        return JSONResponse(status_code=400, content={
            "error": f"unknown provider state {state!r}; accepted: {', '.join(STATES)}"})
    if action == "teardown":
        uid = params.get("userId")
        if state == "a player exists" and isinstance(uid, str) and uid in PLAYERS:
            PLAYERS.pop(uid)
            for t in [t for t, s in SESSIONS.items() if s["userId"] == uid]:
                del SESSIONS[t]
        return JSONResponse(status_code=200, content={})
    try:
        return JSONResponse(status_code=200, content=STATES[state](params))
    except HookError as e:
        return JSONResponse(status_code=400, content={"error": f"{state}: {e}"})
