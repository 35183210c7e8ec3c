"""travel-order: an independent implementation of POST api/invoice/createorder (创建订单).

See DECISIONS.md for every point the source document leaves open.
"""
from __future__ import annotations

import json
import re
import secrets
import threading
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import parse_qsl

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

HERE = Path(__file__).resolve().parent
# The request schema is derived from the document's own request sample (types of every field,
# nested ones included). Keys are lower-cased: binding is
# case-insensitive, as the document's mixed casing (sugarAIRoutine, PlanId, Phone) suggests.
SCHEMA: dict = json.loads((HERE / "schema.json").read_text(encoding="utf-8"))

MAX_BODY = 1_000_000          # bytes
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1
NON_NEGATIVE_TOP = ("integralnum", "integraldiscount", "extraamt")
HOOK_ENABLED = True  # the provider-state hook exists on this test deployment only

CODE_OK = 100
CODE_BAD_REQUEST = 400
CODE_TOO_LARGE = 413
CODE_MEDIA = 415
CODE_MEMBER_NOT_FOUND = 1001
CODE_DOCNO_CONFLICT = 1002
CODE_INTERNAL = 500

app = FastAPI(title="travel-order", docs_url=None, redoc_url=None, openapi_url=None)

# ----------------------------------------------------------------------------- state (in memory)
LOCK = threading.Lock()
MEMBERS: dict[int, dict] = {}        # memberid -> member
USERS: dict[str, int] = {}           # userId -> memberid
OPERATORS: dict[str, dict] = {}      # name -> operator
ORDERS: list[dict] = []              # every stored order
BY_DOCNO: dict[str, dict] = {}       # docno -> order
_SEQ = {"member": 70000, "order": 0}


def envelope(code: int, message: str, data=None, http: int = 200) -> JSONResponse:
    return JSONResponse(status_code=http, content={"data": data, "code": code, "message": message})


class BadRequest(Exception):
    def __init__(self, message: str, http: int = 400, code: int = CODE_BAD_REQUEST):
        super().__init__(message)
        self.message, self.http, self.code = message, http, code


# ----------------------------------------------------------------------------- validation
DATE_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:?\d{2})?)?$"
)


def parse_date(s: str) -> str:
    m = DATE_RE.match(s)
    if not m:
        raise ValueError("not an ISO 8601 date/time")
    y, mo, d, hh, mi, ss, frac, tz = m.groups()
    date(int(y), int(mo), int(d))  # raises on 2024-02-30
    if hh is not None:
        if not (0 <= int(hh) <= 23 and 0 <= int(mi) <= 59 and 0 <= int(ss or 0) <= 59):
            raise ValueError("time out of range")
        if tz and tz != "Z":
            oh, om = int(tz[1:3]), int(tz[-2:])
            if oh > 14 or om > 59:
                raise ValueError("offset out of range")
    return s


def _type_name(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, Decimal):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def check(value, schema, path: str):
    """Validate `value` against the sample-derived `schema`; answer the normalised value."""
    if value is None:
        return None                                  # nothing in the document is required
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            raise BadRequest(f"{path}: expected an object, got {_type_name(value)}")
        out = {}
        for k, v in value.items():
            lk = k.lower()
            if lk in schema:
                out[lk] = check(v, schema[lk], f"{path}.{k}" if path else k)
            # unknown members are ignored (not stored)
        return out
    if isinstance(schema, list):
        if not isinstance(value, list):
            raise BadRequest(f"{path}: expected an array (Collection), got {_type_name(value)}")
        return [check(v, schema[0], f"{path}[{i}]") for i, v in enumerate(value)]
    if schema == "string":
        if not isinstance(value, str):
            raise BadRequest(f"{path}: expected a string, got {_type_name(value)}")
        return value
    if schema == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadRequest(f"{path}: expected an integer, got {_type_name(value)}")
        if not INT64_MIN <= value <= INT64_MAX:
            raise BadRequest(f"{path}: integer out of range")
        return value
    if schema == "decimal":
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise BadRequest(f"{path}: expected a decimal number, got {_type_name(value)}")
        d = Decimal(value)
        if not d.is_finite() or abs(d) > Decimal("79228162514264337593543950335"):
            raise BadRequest(f"{path}: decimal number out of range")
        return d
    if schema == "boolean":
        if not isinstance(value, bool):
            raise BadRequest(f"{path}: expected a boolean, got {_type_name(value)}")
        return value
    if schema == "date":
        if not isinstance(value, str):
            raise BadRequest(f"{path}: expected a date (ISO 8601 string), got {_type_name(value)}")
        try:
            return parse_date(value)
        except ValueError as e:
            raise BadRequest(f"{path}: invalid date '{value}' ({e})")
    raise AssertionError(schema)


def _reject_constant(c):
    raise ValueError(f"invalid JSON number {c}")


def parse_json(raw: bytes):
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("request body is not valid UTF-8")
    if not text.strip():
        raise BadRequest("request body is required (a CreateOrderRequest JSON object)")
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:
        raise BadRequest(f"malformed JSON: {e}")


def parse_form(raw: bytes) -> dict:
    """application/x-www-form-urlencoded: the document gives no sample; only the scalar
    top-level fields can be carried, converted to their documented types."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise BadRequest("request body is not valid UTF-8")
    out: dict = {}
    for k, v in pairs:
        lk = k.lower()
        t = SCHEMA.get(lk)
        if t is None:
            if "[" in k or "." in k:
                raise BadRequest(f"{k}: collections and nested objects are only accepted as JSON")
            continue
        if not isinstance(t, str):
            raise BadRequest(f"{k}: collections and nested objects are only accepted as JSON")
        if v == "":
            out[lk] = None
        elif t == "integer":
            if not re.fullmatch(r"[+-]?\d+", v):
                raise BadRequest(f"{k}: expected an integer")
            out[lk] = int(v)
        elif t == "decimal":
            try:
                out[lk] = Decimal(v)
            except InvalidOperation:
                raise BadRequest(f"{k}: expected a decimal number")
        elif t == "boolean":
            if v.lower() not in ("true", "false"):
                raise BadRequest(f"{k}: expected true or false")
            out[lk] = v.lower() == "true"
        else:
            out[lk] = v
    return out


def _canon(v):
    if isinstance(v, Decimal):
        return format(v.normalize(), "f")
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_canon(x) for x in v]
    return v


# ----------------------------------------------------------------------------- the endpoint
@app.post("/api/invoice/createorder")
async def create_order(request: Request):
    try:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise BadRequest(f"request body larger than {MAX_BODY} bytes", 413, CODE_TOO_LARGE)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype in ("", "application/json", "text/json") or ctype.endswith("+json"):
            body = parse_json(raw)
        elif ctype == "application/x-www-form-urlencoded":
            body = parse_form(raw)
        else:
            raise BadRequest(
                f"unsupported content type '{ctype}'; use application/json, text/json or "
                "application/x-www-form-urlencoded", 415, CODE_MEDIA)
        if not isinstance(body, dict):
            raise BadRequest(f"request body must be a CreateOrderRequest object, got {_type_name(body)}")
        order = check(body, SCHEMA, "")

        memberid = order.get("memberid")
        if memberid is None:
            raise BadRequest("memberid: required (the member placing the order)")
        if memberid <= 0:
            raise BadRequest("memberid: must be a positive integer")
        for f in NON_NEGATIVE_TOP:
            if order.get(f) is not None and order[f] < 0:
                raise BadRequest(f"{f}: must not be negative")
        docno_in = order.get("docno")
        if docno_in is not None and (docno_in.strip() == "" ):
            docno_in = None
        if docno_in is not None and len(docno_in) > 64:
            raise BadRequest("docno: at most 64 characters")
    except BadRequest as e:
        return envelope(e.code, e.message, None, e.http)

    canon = _canon(order)
    with LOCK:
        member = MEMBERS.get(memberid)
        if member is None:
            return envelope(CODE_MEMBER_NOT_FOUND, f"member {memberid} not found")
        if docno_in is not None and docno_in in BY_DOCNO:
            prev = BY_DOCNO[docno_in]
            if prev["request"] == canon:       # a retry of the same order: same answer, no new order
                return envelope(CODE_OK, "success", {"docno": prev["docno"], "orderno": prev["orderno"]})
            return envelope(CODE_DOCNO_CONFLICT, f"docno '{docno_in}' is already used by another order")
        _SEQ["order"] += 1
        seq = _SEQ["order"]
        now = datetime.now(timezone.utc)
        docno = docno_in or f"DOC{now:%Y%m%d}{seq:06d}"
        orderno = f"TO{now:%Y%m%d%H%M%S}{seq:06d}"
        rec = {"docno": docno, "orderno": orderno, "memberid": memberid,
               "created_at": now.isoformat(), "request": canon}
        ORDERS.append(rec)
        BY_DOCNO[docno] = rec
        member["orders"].append(rec)
    return envelope(CODE_OK, "success", {"docno": docno, "orderno": orderno})


# ----------------------------------------------------------------------------- the test hook
STATES = ["an operator exists", "a player exists", "an event exists",
          "a jackpot betcard exists", "a player snapshot"]
SERVED = {"an operator exists", "a player exists", "a player snapshot"}
DEC_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
OFFSET_RE = re.compile(r"^[+-][0-9]{2}:[0-9]{2}$")


class HookError(Exception):
    pass


def _dec(params, name, default):
    v = params.get(name, default)
    if isinstance(v, bool) or not isinstance(v, (str, int, float, Decimal)):
        raise HookError(f"param '{name}' must be a decimal string or a number")
    if isinstance(v, str) and not DEC_RE.match(v):
        raise HookError(f"param '{name}' must be a decimal string like '1000.00'")
    return str(v) if not isinstance(v, float) else repr(v)


def _money(s: str) -> str:
    return format(Decimal(s).quantize(Decimal("0.01")), "f")


def _only(params, allowed, state):
    bad = sorted(set(params) - set(allowed))
    if bad:
        raise HookError(f"unknown param(s) {bad} for state '{state}'; accepted: {sorted(allowed)}")


def _make_operator(params) -> dict:
    _only(params, ["name", "secret", "timezone_offset", "webhook_url", "ext", "wht"], "an operator exists")
    name = params.get("name") or f"op-{secrets.token_hex(3)}"
    if not isinstance(name, str):
        raise HookError("param 'name' must be a string")
    secret = params.get("secret") or secrets.token_urlsafe(16)
    if not isinstance(secret, str):
        raise HookError("param 'secret' must be a string")
    tz = params.get("timezone_offset", "+02:00")
    if not isinstance(tz, str) or not OFFSET_RE.match(tz):
        raise HookError("param 'timezone_offset' must look like '+02:00'")
    wh = params.get("webhook_url", "http://127.0.0.1/webhook")
    if wh is not None and not isinstance(wh, str):
        raise HookError("param 'webhook_url' must be a string or null")
    op = {"name": name, "secret": secret, "timezone_offset": tz, "webhook_url": wh,
          "ext": _dec(params, "ext", "12.5"), "wht": _dec(params, "wht", "20.0")}
    OPERATORS[name] = op
    return op


def _make_player(params) -> dict:
    allowed = ["balance", "currency", "blocked", "min_stake", "max_stake", "session_expired",
               "session_expired_seconds_ago", "operator"]
    _only(params, allowed, "a player exists")
    balance = _money(_dec(params, "balance", "1000.00"))
    currency = params.get("currency", "EUR")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise HookError("param 'currency' must be an ISO 4217 code like 'EUR'")
    for b in ("blocked", "session_expired"):
        if b in params and not isinstance(params[b], bool):
            raise HookError(f"param '{b}' must be a boolean")
    secs = params.get("session_expired_seconds_ago", 60)
    if isinstance(secs, bool) or not isinstance(secs, int) or not 1 <= secs <= 31536000:
        raise HookError("param 'session_expired_seconds_ago' must be an integer 1..31536000")
    min_stake = _money(_dec(params, "min_stake", "0.10"))
    max_stake = _money(_dec(params, "max_stake", "500.00"))
    opname = params.get("operator")
    if opname is not None:
        if not isinstance(opname, str) or opname not in OPERATORS:
            raise HookError(f"param 'operator': no operator named {opname!r}")
        op = OPERATORS[opname]
    else:
        op = _make_operator({})
    _SEQ["member"] += 1
    memberid = _SEQ["member"]
    user_id = f"user-{uuid.uuid4().hex[:12]}"
    MEMBERS[memberid] = {"memberid": memberid, "userId": user_id, "balance": balance,
                         "currency": currency, "blocked": bool(params.get("blocked", False)),
                         "min_stake": min_stake, "max_stake": max_stake, "operator": op["name"],
                         "orders": []}
    USERS[user_id] = memberid
    return {"userId": user_id, "memberid": str(memberid), "balance": balance, "currency": currency,
            "blocked": MEMBERS[memberid]["blocked"], "min_stake": min_stake, "max_stake": max_stake,
            "operator": dict(op)}


def _snapshot(params) -> dict:
    _only(params, ["userId"], "a player snapshot")
    uid = params.get("userId")
    if not isinstance(uid, str):
        raise HookError("param 'userId' is required (a string)")
    if uid not in USERS:
        raise HookError(f"param 'userId': no player {uid!r}")
    m = MEMBERS[USERS[uid]]
    return {"userId": uid, "balance": m["balance"], "currency": m["currency"],
            "travel_orders": [{"docno": o["docno"], "orderno": o["orderno"]} for o in m["orders"]]}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request):
    if not HOOK_ENABLED:
        return JSONResponse(status_code=404, content={"error": "not found"})
    try:
        try:
            req = json.loads((await request.body()).decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError) as e:
            raise HookError(f"malformed JSON: {e}")
        if not isinstance(req, dict):
            raise HookError("body must be an object {state, params, action}")
        state = req.get("state")
        params = req.get("params") or {}
        action = req.get("action", "setup")
        if not isinstance(params, dict):
            raise HookError("params must be an object")
        if action not in ("setup", "teardown"):
            raise HookError(f"unknown action {action!r}; accepted: ['setup', 'teardown']")
        if state not in STATES:
            raise HookError(f"unknown provider state {state!r}; accepted: {sorted(SERVED)}")
        if state not in SERVED:
            raise HookError(f"provider state {state!r} is not served by this target "
                            f"(travel-order only); accepted: {sorted(SERVED)}")
        with LOCK:
            if action == "teardown":
                uid = params.get("userId")
                if state == "a player exists" and isinstance(uid, str) and uid in USERS:
                    mid = USERS.pop(uid)
                    MEMBERS.pop(mid, None)
                if state == "an operator exists" and isinstance(params.get("name"), str):
                    OPERATORS.pop(params["name"], None)
                return JSONResponse({})
            if state == "an operator exists":
                return JSONResponse(_make_operator(params))
            if state == "a player exists":
                return JSONResponse(_make_player(params))
            return JSONResponse(_snapshot(params))
    except HookError as e:
        return JSONResponse(status_code=400, content={"error": str(e)})


@app.exception_handler(Exception)
async def _internal(request: Request, exc: Exception):
    return envelope(CODE_INTERNAL, "internal error", None, 500)


