"""Bet placement (seed 004): POST /bet, plus the orderproof provider-state test hook.

Independent implementation #4. Single file; stdlib + fastapi/starlette only; state in memory.
See DECISIONS.md next to this file for every open point and the choice made.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
import uuid
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

app = FastAPI(title="bet-placement (implementation #4)", docs_url=None, redoc_url=None,
              openapi_url=None)

# --------------------------------------------------------------------------------------------
# State (module level, guarded by one lock)
# --------------------------------------------------------------------------------------------
LOCK = threading.Lock()
LOCK_WAIT_SECONDS = 8.0          # longer than this waiting for the lock -> 503 REQUEST_TIMED_OUT

OPERATORS: dict[str, dict] = {}  # name -> operator (incl. its apiKey)
PLAYERS: dict[str, dict] = {}    # userId -> player
SESSIONS: dict[str, dict] = {}   # sessionToken -> {userId, expires, hard_expiry}
EVENTS: dict[str, dict] = {}     # str(event_id) -> event catalogue entry (hook-created only)
IDEMPOTENCY: dict[tuple, dict] = {}  # (scope userId, key) -> stored answer

SESSION_IDLE_SECONDS = 45 * 60
SESSION_MAX_SECONDS = 24 * 3600
IDEMPOTENCY_TTL_SECONDS = 48 * 3600
STORED_BET_STATUS = "accepted"

_COUNTERS = {"event": 7300000, "market": 730000, "selection": 73000000, "player": 0}

CTX = Context(prec=2000, Emax=999999999, Emin=-999999999,
              traps=[InvalidOperation, DivisionByZero, Overflow])
CENT = Decimal("0.01")


def _env_api_key() -> str | None:
    k = os.environ.get("BET_API_KEY")
    return k if k else None


def _hook_enabled() -> bool:
    return os.environ.get("BET_TEST_HOOK", "on").strip().lower() not in ("off", "0", "false", "no")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# --------------------------------------------------------------------------------------------
# JSON output: own serializer so Decimal amounts go out as exact JSON numbers in
# normalised scientific notation (1.85E+0, 1E+1, 5E+2), which the seed's Decimal/Double allows.
# --------------------------------------------------------------------------------------------
def sci(d: Decimal) -> str:
    with localcontext(CTX):
        n = d.normalize()
    if n == 0:
        return "0E+0"
    return format(n, "E")


def plain(d: Decimal) -> str:
    """Decimal string without exponent (for the hook's DecimalString fields)."""
    with localcontext(CTX):
        s = format(d, "f")
    return s


def money(d: Decimal) -> str:
    """Plain decimal string with at least two decimals."""
    with localcontext(CTX):
        if d.as_tuple().exponent > -2:
            d = d.quantize(CENT)
        return format(d, "f")


def dumps(o) -> str:
    if o is None:
        return "null"
    if o is True:
        return "true"
    if o is False:
        return "false"
    if isinstance(o, Decimal):
        return sci(o)
    if isinstance(o, int):
        return str(o)
    if isinstance(o, str):
        return json.dumps(o, ensure_ascii=False)
    if isinstance(o, dict):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + dumps(v)
                              for k, v in o.items()) + "}"
    if isinstance(o, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in o) + "]"
    raise TypeError(f"cannot serialise {type(o).__name__}")


def canon(o) -> str:
    """Canonical form of a parsed request value (key order and number spelling ignored)."""
    if isinstance(o, bool) or o is None or isinstance(o, str):
        return json.dumps(o, ensure_ascii=False)
    if isinstance(o, (int, Decimal)):
        return "n:" + sci(Decimal(o))
    if isinstance(o, dict):
        return "{" + ",".join(json.dumps(k) + ":" + canon(o[k]) for k in sorted(o)) + "}"
    if isinstance(o, list):
        return "[" + ",".join(canon(v) for v in o) + "]"
    return repr(o)


# --------------------------------------------------------------------------------------------
# Request parsing
# --------------------------------------------------------------------------------------------
class BadJson(Exception):
    pass


class DuplicateKey(Exception):
    pass


def _no_constant(name):
    raise BadJson(f"{name} is not a JSON number")


def _pairs(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise DuplicateKey(k)
        out[k] = v
    return out


def parse_body(raw: bytes):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise BadJson("the body is not UTF-8") from e
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant,
                          object_pairs_hook=_pairs)
    except DuplicateKey:
        raise
    except BadJson:
        raise
    except (ValueError, RecursionError) as e:
        raise BadJson("the body is not valid JSON") from e


class Refusal(Exception):
    def __init__(self, http: int, code: str, detail: str, *, failed=None, missing=None,
                 headers=None):
        super().__init__(detail)
        self.http, self.code, self.detail = http, code, detail
        self.failed, self.missing, self.headers = failed, missing, headers or {}


def lenient_uuid(v) -> bool:
    if not isinstance(v, str) or not v.strip():
        return False
    try:
        uuid.UUID(v.strip())
        return True
    except ValueError:
        return False


_TS = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def valid_timestamp(v) -> bool:
    if isinstance(v, bool):
        return False
    if isinstance(v, str):
        return bool(_TS.match(v.strip())) and bool(v.strip())
    if isinstance(v, int):
        return v >= 0
    if isinstance(v, Decimal):
        return v.is_finite() and v >= 0
    return False


ID_FIELDS = ("sportId", "eventId", "competitionId", "marketTypeId", "marketId", "selectionId")
NAME_FIELDS = ("sportName", "sportDisplayName", "eventName", "eventDisplayName",
               "competitionName", "competitionDisplayName", "marketName", "marketDisplayName",
               "selectionName", "selectionDisplayName")
STAGE_FIELDS = ("eventStage", "marketStage")
NUM_FIELDS = ("decimalPrice", "stake")
ORDER = ("betId", "sportId", "sportName", "sportDisplayName", "eventId", "eventAltId",
         "eventName", "eventDisplayName", "eventStage", "competitionId", "competitionName",
         "competitionDisplayName", "marketTypeId", "marketId", "marketName",
         "marketDisplayName", "marketStage", "selectionId", "selectionName",
         "selectionDisplayName", "decimalPrice", "stake")
REQUIRED_BET = tuple(f for f in ORDER if f != "eventAltId")
KNOWN_BET = set(ORDER)
STAGES = ("IN_PLAY", "PRE_PLAY")


def as_number(v):
    """A JSON number (int or decimal, not bool) in a sane range, as a Decimal; else None."""
    if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
        return None
    d = Decimal(v)
    if not d.is_finite():
        return None
    if d == 0:
        return Decimal(0)
    if d.adjusted() > 30 or d.adjusted() < -30:
        return None
    with localcontext(CTX):
        n = d.normalize()
    if len(n.as_tuple().digits) > 50:
        return None
    return d


def validate_bet(i: int, b) -> dict:
    """Returns the normalised bet; raises Refusal (MISSING_PARAMETER / INVALID_BET_DETAILS)."""
    where = f"bets[{i}]"
    if not isinstance(b, dict):
        raise Refusal(400, "INVALID_BET_DETAILS", f"{where} is not an object")
    unknown = sorted(k for k in b if k not in KNOWN_BET)
    if unknown:
        raise Refusal(400, "INVALID_BET_DETAILS", f"{where} has unknown field(s): {', '.join(unknown)}")
    missing = [f"{where}.{f}" for f in REQUIRED_BET if f not in b]
    if missing:
        raise Refusal(400, "MISSING_PARAMETER", "missing: " + ", ".join(missing), missing=missing)
    out: dict = {}
    for f in ORDER:
        if f not in b:
            continue
        v = b[f]
        if v is None:
            if f == "eventAltId":
                continue
            raise Refusal(400, "INVALID_BET_DETAILS", f"{where}.{f} is null")
        if f == "betId":
            if not lenient_uuid(v):
                raise Refusal(400, "INVALID_BET_DETAILS", f"{where}.betId is not a UUID")
            out[f] = v
        elif f in ID_FIELDS or f == "eventAltId":
            if isinstance(v, int) and not isinstance(v, bool):
                v = str(v)
            if not isinstance(v, str) or not v.strip():
                raise Refusal(400, "INVALID_BET_DETAILS", f"{where}.{f} is not a non-blank string")
            out[f] = v
        elif f in NAME_FIELDS:
            if not isinstance(v, str) or not v.strip():
                raise Refusal(400, "INVALID_BET_DETAILS", f"{where}.{f} is not a non-blank string")
            out[f] = v
        elif f in STAGE_FIELDS:
            if v not in STAGES:
                raise Refusal(400, "INVALID_BET_DETAILS", f"{where}.{f} must be IN_PLAY or PRE_PLAY")
            out[f] = v
        elif f in NUM_FIELDS:
            d = as_number(v)
            if d is None:
                raise Refusal(400, "INVALID_BET_DETAILS", f"{where}.{f} is not a usable number")
            if f == "decimalPrice" and not d > 1:
                raise Refusal(400, "INVALID_BET_DETAILS", f"{where}.decimalPrice must be above 1")
            if f == "stake" and d > 0:
                with localcontext(CTX):
                    if d.quantize(CENT) != d:
                        raise Refusal(400, "INVALID_BET_DETAILS",
                                      f"{where}.stake has fractions of a cent")
            out[f] = d
    return out


def failed_bet(b: dict, reason: dict) -> dict:
    return {"betId": b["betId"], "sportId": b["sportId"], "eventId": b["eventId"],
            "marketId": b["marketId"], "selectionId": b["selectionId"], "reason": reason}


# --------------------------------------------------------------------------------------------
# Header checks
# --------------------------------------------------------------------------------------------
def accepts_json(accept: str | None) -> bool:
    if accept is None or not accept.strip():
        return True
    for part in accept.split(","):
        bits = [p.strip() for p in part.split(";")]
        media = bits[0].lower()
        q = 1.0
        for p in bits[1:]:
            if p.lower().startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 1.0
        if q <= 0:
            continue
        if media in ("*/*", "application/*", "application/json") or media.endswith("+json"):
            return True
    return False


def is_json_ctype(ct: str | None) -> bool:
    if not ct:
        return False
    media = ct.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def valid_api_keys() -> list[str]:
    keys = [op["apiKey"] for op in OPERATORS.values()]
    env = _env_api_key()
    if env:
        keys.append(env)
    return keys


def key_ok(given: str | None) -> bool:
    if not given:
        return False
    g = given.encode()
    ok = False
    for k in valid_api_keys():
        if hmac.compare_digest(g, k.encode()):
            ok = True
    return ok


# --------------------------------------------------------------------------------------------
# POST /bet
# --------------------------------------------------------------------------------------------
def _ascii(s: str) -> str:
    # printable ASCII only, no blank at either end: a header value with a control character, or ending in
    # a space (a member named ""), makes the server drop the connection
    return "".join(c if " " <= c <= "~" else "?" for c in s)[:300].strip() or "?"


def error_answer(r: Refusal, request_id) -> tuple[int, bytes, dict]:
    body: dict = {"status": "FAILURE", "errorCode": r.code}
    if r.failed is not None:
        body["failedBets"] = r.failed
    if r.missing:
        body["missingParameters"] = r.missing
    if isinstance(request_id, str):
        body["requestId"] = request_id
    body["timestamp"] = str(now_ms())
    headers = {"X-Error-Detail": _ascii(r.detail)}
    headers.update(r.headers)
    return r.http, dumps(body).encode("utf-8"), headers


def process_bet(headers: dict, raw: bytes) -> tuple[int, bytes, dict]:
    if not LOCK.acquire(timeout=LOCK_WAIT_SECONDS):
        r = Refusal(503, "REQUEST_TIMED_OUT", "the bet could not be processed in time; retry",
                    headers={"Retry-After": "1"})
        return error_answer(r, None)
    try:
        return _process_locked(headers, raw)
    finally:
        LOCK.release()


def _process_locked(headers: dict, raw: bytes) -> tuple[int, bytes, dict]:
    # 1. credentials (never stored under an idempotency key)
    if not key_ok(headers.get("x-api-key")):
        return error_answer(Refusal(403, "AUTHENTICATION_FAILED", "missing or wrong X-API-Key"), None)

    # parse once (errors are reported later, in their place in the order of checks)
    parsed, parse_error = None, None
    try:
        parsed = parse_body(raw)
    except DuplicateKey as e:
        parse_error = ("dup", str(e))
    except BadJson as e:
        parse_error = ("bad", str(e))
    request_id = parsed.get("requestId") if isinstance(parsed, dict) else None

    # 2. idempotency: replay / mismatch
    idem_key = (headers.get("x-idempotency-key") or "").strip() or None
    slot = fingerprint = None
    if idem_key is not None:
        scope = parsed.get("userId") if isinstance(parsed, dict) and isinstance(parsed.get("userId"), str) else ""
        slot = (scope, idem_key)
        fingerprint = "raw:" + hashlib.sha256(raw).hexdigest()
        if isinstance(parsed, dict):
            try:
                fingerprint = hashlib.sha256(canon({k: parsed.get(k) for k in ("requestId", "userId", "bets")})
                                             .encode("utf-8")).hexdigest()
            except (RecursionError, ValueError, TypeError):
                pass
        _expire_idempotency()
        seen = IDEMPOTENCY.get(slot)
        if seen is not None:
            if seen["fingerprint"] != fingerprint:
                return error_answer(Refusal(400, "IDEMPOTENCY_KEY_REUSED",
                                            "this X-Idempotency-Key was used for a different betslip"),
                                    request_id)
            h = dict(seen["headers"])
            h["X-Idempotent-Replayed"] = "true"
            return seen["http"], seen["body"], h

    try:
        http, body, h = _place(headers, parsed, parse_error, request_id)
    except Refusal as r:
        http, body, h = error_answer(r, request_id)
    except Exception as e:  # noqa: BLE001 - answer in the seed's shape, never store
        return error_answer(Refusal(500, "GENERAL_EXCEPTION", f"unexpected error: {type(e).__name__}"),
                            request_id)
    if slot is not None and http < 500:
        IDEMPOTENCY[slot] = {"fingerprint": fingerprint, "http": http, "body": body,
                             "headers": dict(h), "at": time.time()}
    return http, body, h


def _expire_idempotency():
    cutoff = time.time() - IDEMPOTENCY_TTL_SECONDS
    for k in [k for k, v in IDEMPOTENCY.items() if v["at"] < cutoff]:
        del IDEMPOTENCY[k]


def _place(headers: dict, parsed, parse_error, request_id) -> tuple[int, bytes, dict]:
    # 3. content negotiation
    if not accepts_json(headers.get("accept")):
        raise Refusal(406, "NOT_ACCEPTABLE", "this endpoint answers application/json only")
    if not is_json_ctype(headers.get("content-type")):
        raise Refusal(415, "UNSUPPORTED_MEDIA_TYPE", "send the betslip as application/json")
    # 4. body
    if parse_error is not None:
        if parse_error[0] == "dup":
            raise Refusal(400, "INVALID_BET_DETAILS", f"duplicate JSON member {parse_error[1]!r}")
        raise Refusal(400, "MISSING_PARAMETER", parse_error[1] + "; no parameter could be read")
    if not isinstance(parsed, dict):
        raise Refusal(400, "INVALID_BET_DETAILS", "the betslip must be a JSON object")
    p = parsed
    # 5. presence of top-level parameters
    missing = [f for f in ("requestId", "userId", "sessionToken", "timestamp", "bets")
               if p.get(f) is None or (isinstance(p.get(f), str) and not p.get(f).strip())]
    if missing:
        raise Refusal(400, "MISSING_PARAMETER", "missing: " + ", ".join(missing), missing=missing)
    # 6. top-level types / formats
    if not isinstance(p["userId"], str):
        raise Refusal(400, "INVALID_USER", "userId must be a string")
    if not isinstance(p["sessionToken"], str):
        raise Refusal(401, "INVALID_SESSION", "sessionToken must be a string",
                      headers={"WWW-Authenticate": 'Session realm="bet"'})
    if not lenient_uuid(p["requestId"]):
        raise Refusal(400, "MISSING_PARAMETER", "requestId is not validly supplied (a UUID)",
                      missing=["requestId"])
    if not valid_timestamp(p["timestamp"]):
        raise Refusal(400, "INVALID_BET_DETAILS", "timestamp must be an epoch time")
    if not isinstance(p["bets"], list) or not p["bets"]:
        raise Refusal(400, "INVALID_BET_DETAILS", "bets must be a non-empty array")
    # 7. user, then session
    player = PLAYERS.get(p["userId"])
    if player is None:
        raise Refusal(400, "INVALID_USER", "unknown userId")
    sess = SESSIONS.get(p["sessionToken"])
    now = time.time()
    if sess is None or sess["userId"] != player["userId"] or now >= sess["expires"]:
        raise Refusal(401, "INVALID_SESSION", "no live session for this userId and sessionToken",
                      headers={"WWW-Authenticate": 'Session realm="bet"'})
    sess["expires"] = min(now + SESSION_IDLE_SECONDS, sess["hard_expiry"])
    # 8. bet details
    bets = [validate_bet(i, b) for i, b in enumerate(p["bets"])]
    seen_ids: set[str] = set()
    for i, b in enumerate(bets):
        k = b["betId"].strip().lower()
        if k in seen_ids:
            raise Refusal(400, "INVALID_BET_DETAILS", f"bets[{i}].betId repeats an earlier bet of the slip")
        seen_ids.add(k)
    for i, b in enumerate(bets):
        _check_catalogue(i, b)
    placed_ids = {x["betId"].strip().lower() for x in player["bets"]}
    dups = [b for b in bets if b["betId"].strip().lower() in placed_ids]
    if dups:
        raise Refusal(422, "BET_ALREADY_PLACED", "a betId of the slip is already stored for this user",
                      failed=[failed_bet(b, {}) for b in dups])
    # 9. regulatory: stake limits, then blocked
    breaches = []
    for b in bets:
        if b["stake"] <= 0 or b["stake"] < player["min_stake"]:
            breaches.append(failed_bet(b, {"minStake": player["min_stake"]}))
        elif b["stake"] > player["max_stake"]:
            breaches.append(failed_bet(b, {"maxStake": player["max_stake"]}))
    if breaches:
        raise Refusal(400, "INVALID_STAKE", "stake outside the player's limits", failed=breaches)
    if player["blocked"]:
        raise Refusal(400, "USER_BLOCKED", "the player may not bet")
    # 10. funds
    with localcontext(CTX):
        total = sum((b["stake"] for b in bets), Decimal(0))
        if total > player["balance"]:
            raise Refusal(400, "INSUFFICIENT_FUNDS", "the balance does not cover the slip's stakes",
                          failed=[failed_bet(b, {}) for b in bets])
        payouts = [(b["stake"] * b["decimalPrice"]).quantize(CENT, rounding=ROUND_HALF_EVEN)
                   for b in bets]
        # 11. write everything at once
        new_balance = player["balance"] - total
    placed_at = str(now_ms())
    stored = []
    for b, pp in zip(bets, payouts):
        rec = dict(b)
        rec.update({"requestId": p["requestId"], "potentialPayout": pp,
                    "status": STORED_BET_STATUS, "placedAt": placed_at})
        stored.append(rec)
    player["bets"].extend(stored)
    player["balance"] = new_balance

    out_bets = []
    for b, pp in zip(bets, payouts):
        o = {f: b[f] for f in ORDER if f in b}
        o["potentialPayout"] = pp
        o["betStatus"] = STORED_BET_STATUS
        out_bets.append(o)
    body = {"status": "PLACED", "requestId": p["requestId"], "userId": p["userId"],
            "sessionToken": p["sessionToken"], "timestamp": str(now_ms()), "bets": out_bets,
            "balance": new_balance, "currency": player["currency"]}
    return 201, dumps(body).encode("utf-8"), {"X-Request-Id": _ascii(p["requestId"])}


def _check_catalogue(i: int, b: dict):
    ev = EVENTS.get(b["eventId"])
    if ev is None:
        return  # not a hook-created event: the provider's catalogue, not checked
    mk = ev["markets"].get(b["marketId"])
    if mk is None:
        raise Refusal(400, "INVALID_BET_DETAILS", f"bets[{i}].marketId is not a market of event {b['eventId']}")
    if not mk["allowed"]:
        raise Refusal(400, "INVALID_BET_DETAILS", f"bets[{i}]: market {b['marketId']} is not offered")
    if b["selectionId"] not in mk["selections"]:
        raise Refusal(400, "INVALID_BET_DETAILS", f"bets[{i}].selectionId is not a selection of market {b['marketId']}")
    if ev["started"] and b["eventStage"] == "PRE_PLAY":
        raise Refusal(400, "INVALID_BET_DETAILS", f"bets[{i}]: event {b['eventId']} has started")


COMMON_HEADERS = {"Cache-Control": "no-store"}


@app.post("/bet")
async def place_bet(request: Request):
    raw = await request.body()
    hdrs = {k.lower(): v for k, v in request.headers.items()}
    http, body, h = await run_in_threadpool(process_bet, hdrs, raw)
    out = dict(COMMON_HEADERS)
    out.update(h)
    idem = (hdrs.get("x-idempotency-key") or "").strip()
    if idem:
        out["X-Idempotency-Key"] = _ascii(idem)
    return Response(content=body, status_code=http, media_type="application/json", headers=out)


# --------------------------------------------------------------------------------------------
# Framework errors (unknown path, wrong method): RFC 9457 problem details
# --------------------------------------------------------------------------------------------
_TITLES = {404: "Not Found", 405: "Method Not Allowed"}


@app.exception_handler(StarletteHTTPException)
async def http_problem(request: Request, exc: StarletteHTTPException):
    title = _TITLES.get(exc.status_code, "HTTP error")
    body = {"type": "about:blank", "title": title, "status": exc.status_code,
            "detail": f"{request.method} {request.url.path}: {title.lower()}",
            "instance": request.url.path}
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and "Allow" not in headers:
        headers["Allow"] = "POST"
    return Response(content=json.dumps(body), status_code=exc.status_code,
                    media_type="application/problem+json", headers=headers)


@app.exception_handler(RequestValidationError)
async def validation_problem(request: Request, exc: RequestValidationError):  # not reachable
    return Response(content=json.dumps({"type": "about:blank", "title": "Bad Request", "status": 400}),
                    status_code=400, media_type="application/problem+json")


# --------------------------------------------------------------------------------------------
# Provider-state hook (test deployments only)
# --------------------------------------------------------------------------------------------
class HookError(Exception):
    pass


_DEC = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
_TZ = re.compile(r"^[+-][0-9]{2}:[0-9]{2}$")
_CUR = re.compile(r"^[A-Z]{3}$")


def h_dec(params: dict, name: str, default: str, *, non_negative=True) -> tuple[Decimal, str]:
    v = params.get(name, default)
    if isinstance(v, bool):
        raise HookError(f"param {name!r} must be a decimal (string or number), got a boolean")
    if isinstance(v, str):
        if not _DEC.match(v):
            raise HookError(f"param {name!r} must be a decimal string like '10.00', got {v!r}")
        d = Decimal(v)
        text = v
    elif isinstance(v, (int, float)):
        d = Decimal(str(v))
        if not d.is_finite():
            raise HookError(f"param {name!r} must be finite")
        text = plain(d)
    else:
        raise HookError(f"param {name!r} must be a decimal (string or number)")
    if non_negative and d < 0:
        raise HookError(f"param {name!r} must not be negative")
    return d, text


def h_bool(params: dict, name: str, default: bool) -> bool:
    v = params.get(name, default)
    if not isinstance(v, bool):
        raise HookError(f"param {name!r} must be a boolean")
    return v


def h_str(params: dict, name: str, default=None, *, nullable=False):
    v = params.get(name, default)
    if v is None and (nullable or default is None):
        return v
    if not isinstance(v, str):
        raise HookError(f"param {name!r} must be a string" + (" or null" if nullable else ""))
    return v


def operator_answer(op: dict) -> dict:
    return {"name": op["name"], "secret": op["secret"], "timezone_offset": op["timezone_offset"],
            "webhook_url": op["webhook_url"], "ext": op["ext"], "wht": op["wht"]}


def make_operator(params: dict) -> dict:
    name = h_str(params, "name")
    if name is not None and not name.strip():
        raise HookError("param 'name' must not be empty")
    secret = h_str(params, "secret")
    tz = h_str(params, "timezone_offset", "+02:00")
    if not _TZ.match(tz):
        raise HookError("param 'timezone_offset' must look like +02:00")
    webhook = h_str(params, "webhook_url", "http://127.0.0.1/webhook", nullable=True)
    _, ext = h_dec(params, "ext", "12.5")
    _, wht = h_dec(params, "wht", "20.0")
    name = name or f"op-{secrets.token_hex(3)}"
    old = OPERATORS.get(name)
    op = {"name": name, "secret": secret or secrets.token_urlsafe(18), "timezone_offset": tz,
          "webhook_url": webhook, "ext": ext, "wht": wht,
          "apiKey": old["apiKey"] if old else "bpk4_" + secrets.token_urlsafe(24)}
    OPERATORS[name] = op
    return op


def make_player(params: dict) -> dict:
    balance, balance_text = h_dec(params, "balance", "1000.00")
    currency = h_str(params, "currency", "EUR")
    if not _CUR.match(currency):
        raise HookError("param 'currency' must be an ISO 4217 code like EUR")
    blocked = h_bool(params, "blocked", False)
    min_stake, _ = h_dec(params, "min_stake", "0.10")
    max_stake, _ = h_dec(params, "max_stake", "500.00")
    if min_stake > max_stake:
        raise HookError("param 'min_stake' is above 'max_stake'")
    expired = h_bool(params, "session_expired", False)
    ago = params.get("session_expired_seconds_ago", 60)
    if isinstance(ago, bool) or not isinstance(ago, int) or not 1 <= ago <= 31536000:
        raise HookError("param 'session_expired_seconds_ago' must be an integer 1..31536000")
    op_name = h_str(params, "operator")
    if op_name is not None:
        op = OPERATORS.get(op_name) or make_operator({"name": op_name})
    else:
        op = make_operator({})
    _COUNTERS["player"] += 1
    user_id = f"bp4-{_COUNTERS['player']:05d}-{secrets.token_hex(3)}"
    token = base64.b64encode(secrets.token_bytes(16)).decode("ascii")
    now = time.time()
    SESSIONS[token] = {"userId": user_id,
                       "expires": (now - ago) if expired else now + SESSION_IDLE_SECONDS,
                       "hard_expiry": (now - ago) if expired else now + SESSION_MAX_SECONDS}
    player = {"userId": user_id, "balance": balance, "currency": currency, "blocked": blocked,
              "min_stake": min_stake, "max_stake": max_stake, "operator": op["name"], "bets": []}
    PLAYERS[user_id] = player
    return {"userId": user_id, "sessionToken": token, "balance": money(balance),
            "currency": currency, "blocked": blocked, "min_stake": money(min_stake),
            "max_stake": money(max_stake), "apiKey": op["apiKey"],
            "operator": operator_answer(op)}


def make_event(params: dict) -> dict:
    started = h_bool(params, "started", False)
    markets = params.get("markets", [{"code": "1X2", "allowed": True,
                                      "prices": ["1.85", "3.40", "4.20"]}])
    if not isinstance(markets, list) or not markets:
        raise HookError("param 'markets' must be a non-empty array")
    _COUNTERS["event"] += 1
    event_id = _COUNTERS["event"]
    ans_markets, cat_markets = [], {}
    for m in markets:
        if not isinstance(m, dict):
            raise HookError("each market must be an object")
        code = m.get("code")
        if not isinstance(code, str) or not code:
            raise HookError("each market needs a string 'code'")
        allowed = h_bool(m, "allowed", True)
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or not prices:
            raise HookError("market 'prices' must be a non-empty array")
        texts = []
        for j in range(len(prices)):
            _, t = h_dec({"price": prices[j]}, "price", "0")
            texts.append(t)
        _COUNTERS["market"] += 1
        market_id = _COUNTERS["market"]
        names = ["1", "X", "2"] if len(texts) == 3 else [str(j + 1) for j in range(len(texts))]
        sels = []
        for nm, t in zip(names, texts):
            _COUNTERS["selection"] += 1
            sels.append({"bet_id": _COUNTERS["selection"], "name": nm, "decimal_price": t})
        ans_markets.append({"market_id": market_id, "code": code, "allowed": allowed,
                            "selections": sels})
        cat_markets[str(market_id)] = {"allowed": allowed,
                                       "selections": {str(s["bet_id"]) for s in sels}}
    EVENTS[str(event_id)] = {"started": started, "markets": cat_markets}
    return {"event_id": event_id, "name": "Home v Away", "started": started, "markets": ans_markets}


def snapshot(params: dict) -> dict:
    uid = params.get("userId")
    if not isinstance(uid, str):
        raise HookError("param 'userId' (string) is required for 'a player snapshot'")
    pl = PLAYERS.get(uid)
    if pl is None:
        raise HookError(f"no player with userId {uid!r}")
    bets = [{"betId": b["betId"], "requestId": b["requestId"], "eventId": b["eventId"],
             "marketId": b["marketId"], "selectionId": b["selectionId"], "stake": money(b["stake"]),
             "decimalPrice": plain(b["decimalPrice"]), "potentialPayout": money(b["potentialPayout"]),
             "status": b["status"]} for b in pl["bets"]]
    return {"userId": uid, "balance": money(pl["balance"]), "currency": pl["currency"], "bets": bets}


STATES = ("an operator exists", "a player exists", "an event exists", "a jackpot betcard exists",
          "a player snapshot")


def hook(payload) -> tuple[int, dict]:
    if not isinstance(payload, dict):
        return 400, {"error": "the body must be a JSON object {state, params, action}"}
    state = payload.get("state")
    action = payload.get("action", "setup")
    params = payload.get("params", {})
    if params is None:
        params = {}
    if state not in STATES:
        return 400, {"error": f"unknown provider state {state!r}; accepted: {', '.join(STATES)}"}
    if action not in ("setup", "teardown"):
        return 400, {"error": f"unknown action {action!r}; accepted: setup, teardown"}
    if not isinstance(params, dict):
        return 400, {"error": "params must be a JSON object"}
    if state == "a jackpot betcard exists":
        return 400, {"error": "state 'a jackpot betcard exists' is not served by this bet-placement target"}
    with LOCK:
        with localcontext(CTX):
            try:
                if action == "teardown":
                    return 200, teardown(state, params)
                if state == "an operator exists":
                    return 200, operator_answer(make_operator(params))
                if state == "a player exists":
                    return 200, make_player(params)
                if state == "an event exists":
                    return 200, make_event(params)
                return 200, snapshot(params)
            except HookError as e:
                return 400, {"error": str(e)}


def teardown(state: str, params: dict) -> dict:
    if state == "a player exists" and isinstance(params.get("userId"), str):
        uid = params["userId"]
        PLAYERS.pop(uid, None)
        for t in [t for t, s in SESSIONS.items() if s["userId"] == uid]:
            del SESSIONS[t]
        for k in [k for k in IDEMPOTENCY if k[0] == uid]:
            del IDEMPOTENCY[k]
    elif state == "an operator exists" and isinstance(params.get("name"), str):
        OPERATORS.pop(params["name"], None)
    elif state == "an event exists" and params.get("event_id") is not None:
        EVENTS.pop(str(params["event_id"]), None)
    return {}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request):
    if not _hook_enabled():
        return Response(status_code=404)
    raw = await request.body()
    try:
        payload = json.loads(raw.decode("utf-8") or "null")
    except (UnicodeDecodeError, ValueError):
        return Response(content=json.dumps({"error": "the body is not valid JSON"}), status_code=400,
                        media_type="application/json")
    status, body = await run_in_threadpool(hook, payload)
    return Response(content=json.dumps(body), status_code=status, media_type="application/json")
