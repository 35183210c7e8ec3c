#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""jackpot-ticket: POST /be/tickets (create a jackpot ticket).

Standard library only.  Usage:  python3 server.py <port>
Listens on 127.0.0.1:<port>.  State is kept in memory.

Also serves the orderproof provider-state hook (test deployments only):
POST /_orderproof/provider-states.  Set ORDERPROOF_PROVIDER_STATES=0 to
disable it (the path then answers 404).
"""

import decimal
import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import threading
import time
import traceback
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---------------------------------------------------------------------------
# Constants
# ---------------------------------------------------------------------------

HOOK_PATH = "/_orderproof/provider-states"
HOOK_ENABLED = os.environ.get("ORDERPROOF_PROVIDER_STATES", "1").strip().lower() not in (
    "0", "false", "no", "off", "disabled")

MAX_BODY = 1024 * 1024           # 1 MiB
TIMESTAMP_WINDOW = 300           # seconds of allowed clock skew / age
INT64_MAX = 2 ** 63 - 1
INT64_MIN = -(2 ** 63)

FORBIDDEN_MSG = "Forbidden. You do not have access for such request"

# Decimal arithmetic: wide exponent range and generous precision, so that no
# client-supplied number can overflow or be rounded silently.
DEC_CTX = decimal.Context(prec=2000, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                          rounding=ROUND_HALF_UP,
                          traps=[decimal.InvalidOperation, decimal.DivisionByZero])

# Ticket source values (provider's "Fields" page).
SOURCES = ("desktop", "mobile", "android", "iphone", "ussd", "sms", "telegram")

# ISO 4217 active currency codes (precious metals, test and "no currency"
# codes excluded: a ticket is paid in money).
ISO_4217 = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV
BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE
CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD
HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV
MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB
RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF
XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
""".split())

DEC_STR_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
TZ_RE = re.compile(r"^([+-])([0-9]{2}):([0-9]{2})$")
TS_RE = re.compile(r"^[0-9]{1,12}$")
SIG_RE = re.compile(r"^[0-9a-f]{64}$")


class _Missing:
    def __repr__(self):
        return "MISSING"


MISSING = _Missing()


# ---------------------------------------------------------------------------
# JSON in / out
# ---------------------------------------------------------------------------

class DuplicateKey(ValueError):
    def __init__(self, key):
        super().__init__(key)
        self.key = key


class BadConstant(ValueError):
    pass


def _pairs_hook(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise DuplicateKey(k)
        out[k] = v
    return out


def _reject_constant(name):
    raise BadConstant(name)


def parse_json(raw):
    """Parse bytes as strict JSON: UTF-8, no duplicate keys, no NaN/Infinity,
    non-integer numbers kept exact as Decimal."""
    text = raw.decode("utf-8")
    return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant,
                      object_pairs_hook=_pairs_hook)


def float_text(d):
    """A Decimal rendered as a JSON float literal: 20 -> 20.0, 12.50 -> 12.5.
    Extreme magnitudes (only ever echoed client input) keep exponent form."""
    if not d.is_finite():
        return "null"
    if d and not -40 <= d.adjusted() <= 40:
        return str(d)
    t = format(d, "f")
    if "." in t:
        t = t.rstrip("0")
        if t.endswith("."):
            t += "0"
    else:
        t += ".0"
    if t.startswith("-0") and Decimal(t) == 0:
        t = t[1:]
    return t


def dumps(v):
    """Serialise; a Decimal is always written as a JSON float (number)."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Decimal):
        return float_text(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=True)
    if isinstance(v, dict):
        return "{" + ", ".join(json.dumps(str(k), ensure_ascii=True) + ": " + dumps(x)
                               for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(dumps(x) for x in v) + "]"
    if isinstance(v, _Missing):
        return "null"
    raise TypeError("cannot serialise %r" % type(v))


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------

def is_int(v):
    return type(v) is int


def is_number(v):
    return (type(v) is int) or isinstance(v, Decimal)


def rhu(d):
    """Round a Decimal half-up to an integer."""
    return int(d.quantize(Decimal(1), rounding=ROUND_HALF_UP, context=DEC_CTX))


def utc_now():
    return datetime.now(timezone.utc).replace(tzinfo=None)


def fmt_dt(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.%f")


def parse_offset(text):
    m = TZ_RE.match(text)
    if not m:
        return None
    hours, minutes = int(m.group(2)), int(m.group(3))
    if hours > 23 or minutes > 59:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return -delta if m.group(1) == "-" else delta


def new_object_id():
    """24 lower-case hex characters, shaped like a MongoDB ObjectId (the
    document's sample id)."""
    with _OID_LOCK:
        global _OID_COUNTER
        _OID_COUNTER = (_OID_COUNTER + 1) & 0xFFFFFF
        counter = _OID_COUNTER
    return "%08x%s%06x" % (int(time.time()) & 0xFFFFFFFF, _OID_PROCESS, counter)


_OID_LOCK = threading.Lock()
_OID_COUNTER = secrets.randbelow(0xFFFFFF)
_OID_PROCESS = secrets.token_hex(5)


# ---------------------------------------------------------------------------
# In-memory state
# ---------------------------------------------------------------------------

class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.operators = {}          # name -> dict
        self.players = {}            # userId -> dict
        self.tokens = {}             # token -> userId
        self.events = {}             # event_id -> dict
        self.bets = {}               # bet_id -> (event_id, market dict, selection dict)
        self.betcards = {}           # betcard_code -> dict
        self.tickets = {}            # ticket id -> dict
        self.ticket_codes = set()
        self.setups = {}             # (state, canonical params) -> [created lists]
        self.next_event = 100001
        self.next_market = 5001
        self.next_bet = 101


STORE = Store()


# ---------------------------------------------------------------------------
# Validation (422, in the {"detail": [...]} shape of the provider's framework)
# ---------------------------------------------------------------------------

class Errors:
    def __init__(self):
        self.items = []

    def add(self, typ, loc, msg, value=MISSING, ctx=None):
        item = {"type": typ, "loc": list(loc), "msg": msg}
        if value is not MISSING:
            item["input"] = clip(value)
        if ctx:
            item["ctx"] = ctx
        self.items.append(item)

    def __bool__(self):
        return bool(self.items)


def clip(v, depth=0):
    """A copy of client input safe to echo: nesting depth bounded."""
    if depth > 16:
        return None
    if isinstance(v, dict):
        return {k: clip(x, depth + 1) for k, x in v.items()}
    if isinstance(v, list):
        return [clip(x, depth + 1) for x in v]
    return v


def v_required(body, key, errs):
    if key not in body:
        errs.add("missing", ("body", key), "Field required", body)
        return MISSING
    return body[key]


def v_str(value, loc, errs, min_len=1):
    if not isinstance(value, str):
        errs.add("string_type", loc, "Input should be a valid string", value)
        return False
    if len(value) < min_len:
        errs.add("string_too_short", loc,
                 "String should have at least %d character%s" % (min_len, "" if min_len == 1 else "s"),
                 value, {"min_length": min_len})
        return False
    return True


def v_int(value, loc, errs, minimum=None, exclusive_min=None):
    if not is_int(value):
        errs.add("int_type", loc, "Input should be a valid integer", value)
        return False
    if value > INT64_MAX:
        errs.add("less_than_equal", loc, "Input should be less than or equal to %d" % INT64_MAX,
                 value, {"le": INT64_MAX})
        return False
    if value < INT64_MIN:
        errs.add("greater_than_equal", loc, "Input should be greater than or equal to %d" % INT64_MIN,
                 value, {"ge": INT64_MIN})
        return False
    if exclusive_min is not None and value <= exclusive_min:
        errs.add("greater_than", loc, "Input should be greater than %d" % exclusive_min,
                 value, {"gt": exclusive_min})
        return False
    if minimum is not None and value < minimum:
        errs.add("greater_than_equal", loc, "Input should be greater than or equal to %d" % minimum,
                 value, {"ge": minimum})
        return False
    return True


def v_number(value, loc, errs):
    """A JSON number (integer or fraction literal), never a string or bool."""
    if not is_number(value):
        errs.add("float_type", loc, "Input should be a valid number", value)
        return None
    d = Decimal(value)
    if not d.is_finite():
        errs.add("finite_number", loc, "Input should be a finite number", value)
        return None
    return d


def v_currency(value, loc, errs):
    if not v_str(value, loc, errs):
        return False
    if not re.fullmatch(r"[A-Z]{3}", value):
        errs.add("string_pattern_mismatch", loc, "String should match pattern '^[A-Z]{3}$'",
                 value, {"pattern": "^[A-Z]{3}$"})
        return False
    if value not in ISO_4217:
        errs.add("value_error", loc, "Value error, %s is not an ISO 4217 currency code" % value, value)
        return False
    return True


def v_enum(value, loc, errs, allowed):
    if not isinstance(value, str):
        errs.add("string_type", loc, "Input should be a valid string", value)
        return False
    if value not in allowed:
        if len(allowed) == 1:
            errs.add("literal_error", loc, "Input should be '%s'" % allowed[0], value,
                     {"expected": "'%s'" % allowed[0]})
        else:
            quoted = ["'%s'" % a for a in allowed]
            expected = ", ".join(quoted[:-1]) + " or " + quoted[-1]
            errs.add("enum", loc, "Input should be " + expected, value, {"expected": expected})
        return False
    return True


def v_atag(body, errs):
    if "atag" not in body:
        return
    value = body["atag"]
    if value is not None and not isinstance(value, str):
        errs.add("string_type", ("body", "atag"), "Input should be a valid string", value)


def v_extra(body, allowed, errs, loc_prefix=("body",)):
    for key in body:
        if key not in allowed:
            errs.add("extra_forbidden", loc_prefix + (key,), "Extra inputs are not permitted", body[key])


def validation_response(errs):
    return 422, {"detail": errs.items}


def single_error(typ, loc, msg, value=MISSING):
    e = Errors()
    e.add(typ, loc, msg, value)
    return validation_response(e)


def biz_error(code, message):
    return 400, {"code": code, "message": message}


def forbidden():
    return 403, {"detail": FORBIDDEN_MSG}


# ---------------------------------------------------------------------------
# Request authentication (timestamp + operator-name + signature headers)
# ---------------------------------------------------------------------------

def authenticate(headers, raw):
    """Returns (operator, None) or (None, (status, body))."""
    values = {}
    for name in ("timestamp", "operator-name", "signature"):
        got = headers.get_all(name) or []
        if len(got) != 1:
            return None, forbidden()
        values[name] = got[0].strip()
    ts, op_name, sig = values["timestamp"], values["operator-name"], values["signature"]
    if not op_name:
        return None, forbidden()
    with STORE.lock:
        op = STORE.operators.get(op_name)
        op = dict(op) if op else None
    if op is None:
        return None, biz_error(112, "Operator with `%s` name is not found" % op_name)
    if not TS_RE.match(ts):
        return None, forbidden()
    if abs(time.time() - int(ts)) > TIMESTAMP_WINDOW:
        return None, forbidden()
    if not SIG_RE.match(sig):
        return None, forbidden()
    message = ts.encode("ascii") + raw.replace(b" ", b"")
    expected = hmac.new(op["secret"].encode("utf-8"), message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, sig):
        return None, forbidden()
    return op, None


def check_json_content_type(ctype):
    """None when acceptable, else a 422 response."""
    if ctype is None:
        return single_error("content_type", ("header", "content-type"),
                            "Content-Type must be application/json", None)
    parts = [p.strip() for p in ctype.split(";")]
    if parts[0].lower() != "application/json":
        return single_error("content_type", ("header", "content-type"),
                            "Content-Type must be application/json", ctype)
    for p in parts[1:]:
        if not p:
            continue
        k, _, v = p.partition("=")
        if k.strip().lower() == "charset" and v.strip().strip('"').lower() not in ("utf-8", "utf8"):
            return single_error("content_type", ("header", "content-type"),
                                "Only the utf-8 charset is accepted", ctype)
    return None


def parse_body_or_422(raw):
    """Returns (body_dict, None) or (None, (422, ...))."""
    if not raw:
        return None, single_error("missing", ("body",), "Field required", None)
    try:
        body = parse_json(raw)
    except UnicodeDecodeError:
        return None, single_error("json_invalid", ("body",), "JSON decode error",
                                  None)
    except DuplicateKey as e:
        return None, single_error("json_invalid", ("body", e.key),
                                  "JSON decode error: duplicate key '%s'" % e.key)
    except BadConstant as e:
        return None, single_error("json_invalid", ("body",),
                                  "JSON decode error: %s is not valid JSON" % e)
    except json.JSONDecodeError as e:
        return None, single_error("json_invalid", ("body", e.pos),
                                  "JSON decode error: %s" % e.msg)
    except (ValueError, RecursionError):
        return None, single_error("json_invalid", ("body",), "JSON decode error")
    if not isinstance(body, dict):
        return None, single_error("model_attributes_type", ("body",),
                                  "Input should be a valid dictionary or object to extract fields from",
                                  body)
    return body, None


# ---------------------------------------------------------------------------
# Ticket helpers shared by the ticket engine APIs
# ---------------------------------------------------------------------------

def finance(price, ext, wht, odds=None):
    """Excise tax inclusive in the price; withholding tax on winnings only.
    Returns stake, ext_amount, gross_payout, wht_amount, net_payout (cents)."""
    with decimal.localcontext(DEC_CTX):
        stake = rhu(Decimal(price) / (Decimal(1) + ext / Decimal(100)))
        ext_amount = price - stake
        if odds is None:
            return stake, ext_amount, 0, 0, 0
        gross = rhu(Decimal(stake) * odds)
        winnings = max(gross - stake, 0)
        wht_amount = rhu(Decimal(winnings) * wht / Decimal(100))
        net = gross - wht_amount
        return stake, ext_amount, gross, wht_amount, net


def new_ticket_code():
    """Six upper-case hex characters (the document's sample "DEC4C0"), unique.
    Returns None when no free code was found (error 111)."""
    for _ in range(64):
        code = secrets.token_hex(3).upper()
        if code not in STORE.ticket_codes:
            STORE.ticket_codes.add(code)
            return code
    return None


def player_for(token, op):
    with STORE.lock:
        uid = STORE.tokens.get(token)
        player = STORE.players.get(uid) if uid else None
        if player is None or player["operator"] != op["name"]:
            return None
        return dict(player)


def ticket_times(op, created, updated):
    off = op["tz"]
    return {
        "created": fmt_dt(created),
        "operator_time_created": fmt_dt(created + off),
        "updated": fmt_dt(updated),
        "operator_time_updated": fmt_dt(updated + off),
    }


# ---------------------------------------------------------------------------
# Provider-state hook
# ---------------------------------------------------------------------------

class HookError(Exception):
    pass


STATE_NAMES = ["an operator exists", "a player exists", "an event exists",
               "a jackpot betcard exists", "a player snapshot"]


def _p_keys(params, allowed, state):
    for k in params:
        if k not in allowed:
            raise HookError("unknown param '%s' for state '%s' (accepted: %s)"
                            % (k, state, ", ".join(allowed) if allowed else "none"))


def _p_str(params, key, default, nonempty=True):
    if key not in params:
        return default
    v = params[key]
    if not isinstance(v, str):
        raise HookError("param '%s' must be a string" % key)
    if nonempty and not v:
        raise HookError("param '%s' must not be empty" % key)
    return v


def _p_bool(params, key, default):
    if key not in params:
        return default
    v = params[key]
    if type(v) is not bool:
        raise HookError("param '%s' must be a boolean" % key)
    return v


def _p_int(params, key, default, minimum=None, maximum=None):
    if key not in params:
        return default
    v = params[key]
    if not is_int(v):
        raise HookError("param '%s' must be an integer" % key)
    if minimum is not None and v < minimum:
        raise HookError("param '%s' must be >= %d" % (key, minimum))
    if maximum is not None and v > maximum:
        raise HookError("param '%s' must be <= %d" % (key, maximum))
    return v


def _dec_value(v, what):
    """A decimal string or a JSON number -> (Decimal, text)."""
    if isinstance(v, str):
        if not DEC_STR_RE.match(v):
            raise HookError("%s must be a decimal string like '12.50'" % what)
        if len(v) > 60:
            raise HookError("%s is out of range" % what)
        return Decimal(v), v
    if is_number(v):
        d = Decimal(v)
        if not d.is_finite() or (d and not -40 <= d.adjusted() <= 40):
            raise HookError("%s is out of range" % what)
        return d, format(d, "f")
    raise HookError("%s must be a decimal string or a number" % what)


def _p_dec(params, key, default, minimum=None, maximum=None, exclusive_min=None):
    raw = params.get(key, default)
    d, text = _dec_value(raw, "param '%s'" % key)
    if minimum is not None and d < minimum:
        raise HookError("param '%s' must be >= %s" % (key, minimum))
    if exclusive_min is not None and d <= exclusive_min:
        raise HookError("param '%s' must be > %s" % (key, exclusive_min))
    if maximum is not None and d > maximum:
        raise HookError("param '%s' must be <= %s" % (key, maximum))
    return d, text


def money_text(d):
    return format(d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP, context=DEC_CTX), "f")


def operator_answer(op):
    return {
        "name": op["name"],
        "secret": op["secret"],
        "timezone_offset": op["timezone_offset"],
        "webhook_url": op["webhook_url"],
        "ext": op["ext_text"],
        "wht": op["wht_text"],
    }


def _unique(prefix, taken, nbytes=3):
    while True:
        candidate = prefix + secrets.token_hex(nbytes)
        if candidate not in taken:
            return candidate


def setup_operator(params, created):
    state = "an operator exists"
    _p_keys(params, ["name", "secret", "timezone_offset", "webhook_url", "ext", "wht"], state)
    name = _p_str(params, "name", None)
    secret = _p_str(params, "secret", None)
    tz_text = _p_str(params, "timezone_offset", "+02:00")
    tz = parse_offset(tz_text)
    if tz is None:
        raise HookError("param 'timezone_offset' must look like '+02:00'")
    webhook = params.get("webhook_url", "http://127.0.0.1/webhook")
    if webhook is not None and not isinstance(webhook, str):
        raise HookError("param 'webhook_url' must be a string or null")
    ext, ext_text = _p_dec(params, "ext", "12.5", minimum=Decimal(0), maximum=Decimal(100))
    wht, wht_text = _p_dec(params, "wht", "20.0", minimum=Decimal(0), maximum=Decimal(100))
    with STORE.lock:
        if name is None:
            name = _unique("op-", STORE.operators, 3)
        if secret is None:
            secret = "secret-" + secrets.token_hex(16)
        op = {"name": name, "secret": secret, "timezone_offset": tz_text, "tz": tz,
              "webhook_url": webhook, "ext": ext, "ext_text": ext_text,
              "wht": wht, "wht_text": wht_text}
        STORE.operators[name] = op
        created.append(("operator", name))
        return operator_answer(op)


def setup_player(params, created):
    state = "a player exists"
    _p_keys(params, ["balance", "currency", "blocked", "min_stake", "max_stake",
                     "session_expired", "session_expired_seconds_ago", "operator"], state)
    balance, _ = _p_dec(params, "balance", "1000.00", minimum=Decimal(0))
    currency = _p_str(params, "currency", "EUR")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise HookError("param 'currency' must match ^[A-Z]{3}$")
    blocked = _p_bool(params, "blocked", False)
    min_stake, _ = _p_dec(params, "min_stake", "0.10", minimum=Decimal(0))
    max_stake, _ = _p_dec(params, "max_stake", "500.00", minimum=Decimal(0))
    if max_stake < min_stake:
        raise HookError("param 'max_stake' must be >= min_stake")
    session_expired = _p_bool(params, "session_expired", False)
    _p_int(params, "session_expired_seconds_ago", 60, 1, 31536000)
    op_name = _p_str(params, "operator", None)
    with STORE.lock:
        if op_name is None:
            op_answer = setup_operator({}, created)
            op_name = op_answer["name"]
        elif op_name not in STORE.operators:
            raise HookError("unknown operator '%s' (create it with 'an operator exists')" % op_name)
        op = STORE.operators[op_name]
        uid = _unique("user-", STORE.players, 4)
        token = secrets.token_urlsafe(33)
        while token in STORE.tokens:
            token = secrets.token_urlsafe(33)
        player = {"userId": uid, "token": token, "balance": balance, "currency": currency,
                  "blocked": blocked, "min_stake": min_stake, "max_stake": max_stake,
                  "session_expired": session_expired, "operator": op_name}
        STORE.players[uid] = player
        STORE.tokens[token] = uid
        created.append(("player", uid))
        return {
            "userId": uid,
            "token": token,
            "balance": money_text(balance),
            "currency": currency,
            "blocked": blocked,
            "min_stake": money_text(min_stake),
            "max_stake": money_text(max_stake),
            "operator": operator_answer(op),
        }


DEFAULT_MARKETS = [{"code": "1X2", "allowed": True, "prices": ["1.85", "3.40", "4.20"]}]


def _selection_names(code, n):
    if n == 3 and code.upper() == "1X2":
        return ["1", "X", "2"]
    if n == 2:
        return ["1", "2"]
    return [str(i + 1) for i in range(n)]


def _parse_markets(raw):
    if not isinstance(raw, list):
        raise HookError("param 'markets' must be an array")
    if len(raw) < 1:
        raise HookError("param 'markets' must have at least one market")
    out = []
    for i, m in enumerate(raw):
        if not isinstance(m, dict):
            raise HookError("markets[%d] must be an object" % i)
        for k in m:
            if k not in ("code", "allowed", "prices"):
                raise HookError("unknown param 'markets[%d].%s' (accepted: code, allowed, prices)" % (i, k))
        if "code" not in m:
            raise HookError("markets[%d].code is required" % i)
        code = m["code"]
        if not isinstance(code, str) or not code:
            raise HookError("markets[%d].code must be a non-empty string" % i)
        allowed = m.get("allowed", True)
        if type(allowed) is not bool:
            raise HookError("markets[%d].allowed must be a boolean" % i)
        prices = m.get("prices", ["1.85", "3.40", "4.20"])
        if not isinstance(prices, list) or len(prices) < 1:
            raise HookError("markets[%d].prices must be a non-empty array" % i)
        parsed = []
        for j, p in enumerate(prices):
            d, text = _dec_value(p, "markets[%d].prices[%d]" % (i, j))
            if d <= 0:
                raise HookError("markets[%d].prices[%d] must be > 0" % (i, j))
            parsed.append((d, text))
        out.append((code, allowed, parsed))
    return out


def _create_event(started, markets):
    """Caller holds STORE.lock."""
    eid = STORE.next_event
    STORE.next_event += 1
    ev = {"event_id": eid, "name": "Home v Away", "started": started, "markets": []}
    for code, allowed, prices in markets:
        mid = STORE.next_market
        STORE.next_market += 1
        market = {"market_id": mid, "code": code, "allowed": allowed, "selections": []}
        for name, (d, text) in zip(_selection_names(code, len(prices)), prices):
            bid = STORE.next_bet
            STORE.next_bet += 1
            sel = {"bet_id": bid, "name": name, "price": d, "price_text": text}
            market["selections"].append(sel)
            STORE.bets[bid] = (eid, market, sel)
        ev["markets"].append(market)
    STORE.events[eid] = ev
    return ev


def event_answer(ev):
    return {
        "event_id": ev["event_id"],
        "name": ev["name"],
        "started": ev["started"],
        "markets": [{
            "market_id": m["market_id"],
            "code": m["code"],
            "allowed": m["allowed"],
            "selections": [{"bet_id": s["bet_id"], "name": s["name"],
                            "decimal_price": s["price_text"]} for s in m["selections"]],
        } for m in ev["markets"]],
    }


def setup_event(params, created):
    _p_keys(params, ["started", "markets"], "an event exists")
    started = _p_bool(params, "started", False)
    markets = _parse_markets(params.get("markets", DEFAULT_MARKETS))
    with STORE.lock:
        ev = _create_event(started, markets)
        created.append(("event", ev["event_id"]))
        return event_answer(ev)


def setup_betcard(params, created):
    _p_keys(params, ["events", "prize", "bonus_prizes"], "a jackpot betcard exists")
    n = _p_int(params, "events", 3, 1, 1000)
    prize = _p_int(params, "prize", 1000000, 0, INT64_MAX)
    bonus = params.get("bonus_prizes", [10000, 5000])
    if not isinstance(bonus, list):
        raise HookError("param 'bonus_prizes' must be an array of integers (cents)")
    for i, b in enumerate(bonus):
        if not is_int(b) or b < 0 or b > INT64_MAX:
            raise HookError("bonus_prizes[%d] must be a non-negative integer (cents)" % i)
    markets = _parse_markets(DEFAULT_MARKETS)
    with STORE.lock:
        code = _unique("JP-", STORE.betcards, 2)
        events = [_create_event(False, markets) for _ in range(n)]
        card = {"betcard_code": code, "prize": prize, "bonus_prizes": list(bonus),
                "event_ids": [e["event_id"] for e in events]}
        STORE.betcards[code] = card
        created.append(("betcard", code))
        return {"betcard_code": code, "prize": prize, "bonus_prizes": list(bonus),
                "events": [event_answer(e) for e in events]}


def ticket_snapshot(t):
    keys = ["id", "code", "type", "price", "stake", "currency", "ext_amount", "ext",
            "gross_payout", "net_payout", "wht_amount", "wht", "status", "result",
            "approved", "source", "atag", "created", "updated"]
    out = {k: t[k] for k in keys if k in t}
    for k in ("event", "bets", "betcard_code", "events", "odds", "prize", "bonus_prizes"):
        if k in t:
            out[k] = t[k]
    return out


def snapshot(params, created):
    state = "a player snapshot"
    _p_keys(params, ["userId"], state)
    if "userId" not in params:
        raise HookError("param 'userId' is required for state '%s'" % state)
    uid = params["userId"]
    if not isinstance(uid, str):
        raise HookError("param 'userId' must be a string")
    with STORE.lock:
        player = STORE.players.get(uid)
        if player is None:
            raise HookError("unknown userId '%s'" % uid)
        tickets = [ticket_snapshot(t) for t in sorted(
            (t for t in STORE.tickets.values() if t["_user"] == uid), key=lambda t: t["_seq"])]
        return {"userId": uid, "balance": money_text(player["balance"]),
                "currency": player["currency"], "tickets": tickets}


SETUPS = {
    "an operator exists": setup_operator,
    "a player exists": setup_player,
    "an event exists": setup_event,
    "a jackpot betcard exists": setup_betcard,
    "a player snapshot": snapshot,
}


def _canonical(params):
    return json.dumps(params, sort_keys=True, default=str)


def _delete(kind, ident):
    """Caller holds STORE.lock."""
    if kind == "operator":
        STORE.operators.pop(ident, None)
    elif kind == "player":
        p = STORE.players.pop(ident, None)
        if p:
            STORE.tokens.pop(p["token"], None)
    elif kind == "event":
        ev = STORE.events.pop(ident, None)
        if ev:
            for m in ev["markets"]:
                for s in m["selections"]:
                    STORE.bets.pop(s["bet_id"], None)
    elif kind == "betcard":
        card = STORE.betcards.pop(ident, None)
        if card:
            for eid in card["event_ids"]:
                _delete("event", eid)


def teardown(state, params):
    with STORE.lock:
        explicit = None
        if state == "an operator exists" and isinstance(params.get("name"), str):
            explicit = [("operator", params["name"])]
        elif state == "a player exists" and isinstance(params.get("userId"), str):
            explicit = [("player", params["userId"])]
        elif state == "an event exists" and is_int(params.get("event_id")):
            explicit = [("event", params["event_id"])]
        elif state == "a jackpot betcard exists" and isinstance(params.get("betcard_code"), str):
            explicit = [("betcard", params["betcard_code"])]
        if explicit is None:
            stack = STORE.setups.get((state, _canonical(params)))
            if stack:
                explicit = stack.pop()
        for kind, ident in explicit or []:
            _delete(kind, ident)
    return {}


def handle_hook(raw):
    try:
        body = parse_json(raw) if raw else None
    except Exception:
        return 400, {"error": "the request body must be a JSON object"}
    if not isinstance(body, dict):
        return 400, {"error": "the request body must be a JSON object with 'state'"}
    for k in body:
        if k not in ("state", "params", "action"):
            return 400, {"error": "unknown field '%s' (accepted: state, params, action)" % k}
    state = body.get("state")
    if not isinstance(state, str) or state not in SETUPS:
        return 400, {"error": "unknown provider state %s (accepted: %s)" % (
            "'%s'" % state if isinstance(state, str) else json.dumps(state, default=str),
            ", ".join("'%s'" % s for s in STATE_NAMES))}
    action = body.get("action", "setup")
    if action not in ("setup", "teardown"):
        return 400, {"error": "unknown action %s (accepted: setup, teardown)"
                     % json.dumps(action, default=str)}
    params = body.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return 400, {"error": "'params' must be an object"}
    if action == "teardown":
        return 200, teardown(state, params)
    created = []
    try:
        with STORE.lock:
            answer = SETUPS[state](params, created)
            if created:
                STORE.setups.setdefault((state, _canonical(params)), []).append(created)
    except HookError as e:
        with STORE.lock:
            for kind, ident in created:
                _delete(kind, ident)
        return 400, {"error": str(e)}
    return 200, answer


# ---------------------------------------------------------------------------
# HTTP plumbing
# ---------------------------------------------------------------------------

class BodyError(Exception):
    def __init__(self, status, detail):
        super().__init__(detail)
        self.status = status
        self.detail = detail


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "TicketEngine/1.0"
    sys_version = ""
    timeout = 60
    disable_nagle_algorithm = True

    # Every method other than the ones served answers 405/404, never 501.
    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._other_method
        raise AttributeError(name)

    def log_message(self, fmt, *args):     # keep quiet
        pass

    def version_string(self):
        return self.server_version

    def send_error(self, code, message=None, explain=None):
        """Protocol-level errors (bad request line, oversized headers, bad
        HTTP version) as JSON; never a 5xx for what the client sent."""
        if code >= 500:
            code = 400
        self.close_connection = True
        try:
            phrase = self.responses.get(code, ("Error",))[0]
        except Exception:
            phrase = "Error"
        self.send_json(code, {"detail": message or phrase})

    # -- responses ---------------------------------------------------------
    def send_json(self, status, obj, extra_headers=None):
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.0"
            self.close_connection = True
        try:
            data = dumps(obj).encode("utf-8")
        except (RecursionError, MemoryError, ValueError, TypeError):
            traceback.print_exc(file=sys.stderr)
            status, data = 500, b'{"detail": "Internal Server Error"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        # headers and body in one write (no Nagle / delayed-ACK stall)
        self._headers_buffer.append(b"\r\n")
        if getattr(self, "command", None) != "HEAD":
            self._headers_buffer.append(data)
        self.flush_headers()

    # -- body --------------------------------------------------------------
    def read_body(self):
        te = self.headers.get_all("Transfer-Encoding") or []
        cl = self.headers.get_all("Content-Length") or []
        if te:
            if cl:
                raise BodyError(400, "Both Transfer-Encoding and Content-Length given")
            codings = [c.strip().lower() for v in te for c in v.split(",") if c.strip()]
            if codings != ["chunked"]:
                raise BodyError(400, "Unsupported Transfer-Encoding")
            return self._read_chunked()
        if not cl:
            return b""
        if len(set(v.strip() for v in cl)) != 1 or not re.fullmatch(r"[0-9]{1,12}", cl[0].strip()):
            raise BodyError(400, "Invalid Content-Length")
        n = int(cl[0].strip())
        if n > MAX_BODY:
            raise BodyError(413, "Request body too large")
        data = self.rfile.read(n)
        if len(data) != n:
            raise BodyError(400, "Incomplete request body")
        return data

    def _read_chunked(self):
        out = bytearray()
        while True:
            line = self.rfile.readline(1026)
            if not line.endswith(b"\n"):
                raise BodyError(400, "Malformed chunked body")
            size_text = line.split(b";", 1)[0].strip()
            if not re.fullmatch(rb"[0-9A-Fa-f]{1,8}", size_text):
                raise BodyError(400, "Malformed chunked body")
            size = int(size_text, 16)
            if size == 0:
                while True:        # trailers
                    t = self.rfile.readline(8192)
                    if t in (b"\r\n", b"\n", b""):
                        break
                return bytes(out)
            if len(out) + size > MAX_BODY:
                raise BodyError(413, "Request body too large")
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                raise BodyError(400, "Malformed chunked body")
            out += chunk
            if self.rfile.readline(3) not in (b"\r\n", b"\n"):
                raise BodyError(400, "Malformed chunked body")

    # -- dispatch ------------------------------------------------------------
    def _path(self):
        return self.path.split("?", 1)[0]

    def _known(self, path):
        return path in ROUTES or (path == HOOK_PATH and HOOK_ENABLED)

    def _other_method(self):
        path = self._path()
        try:
            self.read_body()
        except BodyError:
            self.close_connection = True
        except OSError:
            self.close_connection = True
            return
        if self._known(path):
            self.send_json(405, {"detail": "Method Not Allowed"}, {"Allow": "POST"})
        else:
            self.send_json(404, {"detail": "Not Found"})

    def do_POST(self):
        decimal.setcontext(DEC_CTX.copy())
        path = self._path()
        try:
            raw = self.read_body()
        except BodyError as e:
            self.close_connection = True
            self.send_json(e.status, {"detail": e.detail})
            return
        except OSError:
            self.close_connection = True
            return
        try:
            if path == HOOK_PATH and HOOK_ENABLED:
                status, obj = handle_hook(raw)
            elif path in ROUTES:
                status, obj = ROUTES[path](self.headers, raw)
            else:
                status, obj = 404, {"detail": "Not Found"}
        except Exception:      # a defect, never the client's input
            traceback.print_exc(file=sys.stderr)
            status, obj = 500, {"detail": "Internal Server Error"}
        self.send_json(status, obj)


def main(argv):
    if len(argv) != 2 or not re.fullmatch(r"[0-9]{1,5}", argv[1]) or not 0 < int(argv[1]) < 65536:
        sys.stderr.write("usage: python3 server.py <port>\n")
        return 2
    port = int(argv[1])
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("listening on 127.0.0.1:%d" % port, flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


# ---------------------------------------------------------------------------
# POST /be/tickets  (jackpot)
# ---------------------------------------------------------------------------

JACKPOT_FIELDS = ("operator", "token", "price", "currency", "atag", "source", "type",
                  "odds_diff", "events", "betcard_code", "prize", "bonus_prizes")
EVENT_FIELDS = ("id", "bet", "odds")
HUNDRED = Decimal(100)


def _v_odds(value, loc, errs):
    d = v_number(value, loc, errs)
    if d is None:
        return None
    if d <= 1:
        errs.add("greater_than", loc, "Input should be greater than 1", value, {"gt": 1})
        return None
    with decimal.localcontext(DEC_CTX):
        scaled = d * HUNDRED
        if scaled != scaled.to_integral_value():
            errs.add("decimal_max_places", loc,
                     "Decimal input should have no more than 2 decimal places", value,
                     {"decimal_places": 2})
            return None
    return d


def validate_jackpot(body):
    errs = Errors()
    v_extra(body, JACKPOT_FIELDS, errs)
    v = v_required(body, "operator", errs)
    if v is not MISSING:
        v_str(v, ("body", "operator"), errs)
    v = v_required(body, "token", errs)
    if v is not MISSING:
        v_str(v, ("body", "token"), errs)
    v = v_required(body, "price", errs)
    if v is not MISSING:
        v_int(v, ("body", "price"), errs, exclusive_min=0)
    v = v_required(body, "currency", errs)
    if v is not MISSING:
        v_currency(v, ("body", "currency"), errs)
    v_atag(body, errs)
    v = v_required(body, "source", errs)
    if v is not MISSING:
        v_enum(v, ("body", "source"), errs, SOURCES)
    v = v_required(body, "type", errs)
    if v is not MISSING:
        v_enum(v, ("body", "type"), errs, ("jackpot",))
    v = v_required(body, "odds_diff", errs)
    if v is not MISSING:
        d = v_number(v, ("body", "odds_diff"), errs)
        if d is not None and d < 0:
            errs.add("greater_than_equal", ("body", "odds_diff"),
                     "Input should be greater than or equal to 0", v, {"ge": 0})
    v = v_required(body, "events", errs)
    if v is not MISSING:
        if not isinstance(v, list):
            errs.add("list_type", ("body", "events"), "Input should be a valid list", v)
        elif len(v) == 0:
            errs.add("too_short", ("body", "events"),
                     "List should have at least 1 item after validation, not 0", v,
                     {"field_type": "List", "min_length": 1, "actual_length": 0})
        else:
            seen_events, seen_bets = set(), set()
            for i, item in enumerate(v):
                loc = ("body", "events", i)
                if not isinstance(item, dict):
                    errs.add("model_type", loc,
                             "Input should be a valid dictionary or object to extract fields from",
                             item)
                    continue
                v_extra(item, EVENT_FIELDS, errs, loc)
                for key in EVENT_FIELDS:
                    if key not in item:
                        errs.add("missing", loc + (key,), "Field required", item)
                if "id" in item and v_int(item["id"], loc + ("id",), errs):
                    if item["id"] in seen_events:
                        errs.add("value_error", loc + ("id",),
                                 "Value error, duplicate event id %d" % item["id"], item["id"])
                    seen_events.add(item["id"])
                if "bet" in item and v_int(item["bet"], loc + ("bet",), errs):
                    if item["bet"] in seen_bets:
                        errs.add("value_error", loc + ("bet",),
                                 "Value error, duplicate bet id %d" % item["bet"], item["bet"])
                    seen_bets.add(item["bet"])
                if "odds" in item:
                    _v_odds(item["odds"], loc + ("odds",), errs)
    v = v_required(body, "betcard_code", errs)
    if v is not MISSING:
        v_str(v, ("body", "betcard_code"), errs)
    v = v_required(body, "prize", errs)
    if v is not MISSING:
        v_int(v, ("body", "prize"), errs, minimum=0)
    v = v_required(body, "bonus_prizes", errs)
    if v is not MISSING:
        if not isinstance(v, list):
            errs.add("list_type", ("body", "bonus_prizes"), "Input should be a valid list", v)
        else:
            for i, b in enumerate(v):
                v_int(b, ("body", "bonus_prizes", i), errs, minimum=0)
    return errs


def handle_create(headers, raw):
    op, failure = authenticate(headers, raw)
    if failure:
        return failure
    failure = check_json_content_type(headers.get("Content-Type"))
    if failure:
        return failure
    body, failure = parse_body_or_422(raw)
    if failure:
        return failure
    errs = validate_jackpot(body)
    if errs:
        return validation_response(errs)

    if body["operator"] != op["name"]:
        return biz_error(115, "Operators in request body and in request header are not identical")
    if not op["webhook_url"]:
        return biz_error(114, "No webhook url for operator with `%s` name" % op["name"])
    player = player_for(body["token"], op)
    if player is None:
        return forbidden()
    if body["currency"] != player["currency"]:
        return single_error("value_error", ("body", "currency"),
                            "Value error, currency %s does not match the player's currency %s"
                            % (body["currency"], player["currency"]), body["currency"])

    created = utc_now()
    with STORE.lock, decimal.localcontext(DEC_CTX):
        # 1. every selection: event exists, not started, bet on that event, market allowed
        current = []
        for item in body["events"]:
            ev = STORE.events.get(item["id"])
            if ev is None:
                return biz_error(103, "Event with `%s` identifier is not found" % item["id"])
            if ev["started"]:
                return biz_error(107, "Event with `%s` identifier is not available for play "
                                      "because it has already started" % item["id"])
            found = STORE.bets.get(item["bet"])
            if found is None or found[0] != ev["event_id"]:
                return biz_error(106, "Market for bet with `%s` identifier is not found" % item["bet"])
            market, selection = found[1], found[2]
            if not market["allowed"]:
                return biz_error(116, "Market with `%s` code is not allowed" % market["code"])
            current.append(selection["price"])

        # 2. the betcard
        code = body["betcard_code"]
        card = STORE.betcards.get(code)
        if card is None:
            return biz_error(109, "Betcard with `%s` code is not found" % code)
        if body["prize"] != card["prize"]:
            return biz_error(110, "Prize %d does not match the prize of betcard with `%s` code"
                             % (body["prize"], code))
        if list(body["bonus_prizes"]) != list(card["bonus_prizes"]):
            return biz_error(110, "Bonus prizes do not match the bonus prizes of betcard with "
                                  "`%s` code" % code)
        for item in body["events"]:
            if item["id"] not in card["event_ids"]:
                return biz_error(110, "Event with `%s` identifier is not on betcard with `%s` code"
                                 % (item["id"], code))
        sent = set(item["id"] for item in body["events"])
        missing = [eid for eid in card["event_ids"] if eid not in sent]
        if missing:
            return biz_error(110, "Event with `%s` identifier of betcard with `%s` code is missing"
                             % (missing[0], code))

        # 3. odds deviation
        odds_diff = Decimal(body["odds_diff"])
        for item, price in zip(body["events"], current):
            if abs(Decimal(item["odds"]) - price) > odds_diff:
                return biz_error(108, "Ticket odds changed")

        odds = Decimal(1)
        for price in current:
            odds *= price
        stake, ext_amount, gross, wht_amount, net = finance(body["price"], op["ext"], op["wht"], odds)
        tcode = new_ticket_code()
        if tcode is None:
            return biz_error(111, "Duplicate key for code generation")
        tid = new_object_id()
        updated = utc_now()
        ticket = {
            "id": tid,
            "code": tcode,
            "price": body["price"],
            "stake": stake,
            "currency": body["currency"],
            "gross_payout": gross,
            "net_payout": net,
            "wht_amount": wht_amount,
            "wht": op["wht"],
            "ext_amount": ext_amount,
            "ext": op["ext"],
            "ext_type": "inclusive",
            "status": "open",
            "result": "pending",
            "approved": True,
            "source": body["source"],
            "type": "jackpot",
            "atag": body.get("atag"),
            "user_id": player["userId"],
        }
        ticket.update(ticket_times(op, created, updated))
        ticket.update({
            "odds": odds,
            "betcard_code": code,
            "prize": card["prize"],
            "bonus_prizes": list(card["bonus_prizes"]),
        })
        stored = dict(ticket)
        stored.update({
            "events": [{"id": item["id"], "bet": item["bet"], "odds": price}
                       for item, price in zip(body["events"], current)],
            "_user": player["userId"], "_seq": len(STORE.tickets)})
        STORE.tickets[tid] = stored
    return 200, ticket


ROUTES = {"/be/tickets": handle_create}


if __name__ == "__main__":
    sys.exit(main(sys.argv))
