#!/usr/bin/env python3
"""travel_order service (Python 3.11 standard library only).  Usage: python3 server.py <port>"""
# ---------------------------------------------------------------------------
# Shared infrastructure (strict JSON, exact decimals, HTTP plumbing, test hook)
# ---------------------------------------------------------------------------
import datetime
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 1 << 20          # 1 MiB
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1
HOOK_PATH = "/_orderproof/provider-states"
HOOK_ENABLED = os.environ.get("ORDERPROOF_HOOK", "1") not in ("0", "false", "off", "no")

STATE_LOCK = threading.RLock()

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DEC_STR_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
DIGITS_RE = re.compile(r"^[0-9]+$")

# ISO 4217 minor units that are not 2 (everything else: 2)
MINOR_UNITS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "XAF": 0, "XOF": 0,
               "BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "LYD": 3, "IQD": 3}


def now_ms():
    return int(time.time() * 1000)


def minor_units(currency):
    return MINOR_UNITS.get(currency, 2)


def fits_minor_units(amount, currency):
    q = Decimal(1).scaleb(-minor_units(currency))
    try:
        return amount == amount.quantize(q)
    except InvalidOperation:        # more digits than the context holds (1.8e308): no amount fits
        return False


def money(d, currency="EUR"):
    """Present an amount with at least the currency's minor-unit digits."""
    places = minor_units(currency)
    if d.as_tuple().exponent > -places:
        d = d.quantize(Decimal(1).scaleb(-places))
    return d


def dec_str(d):
    s = format(d, "f")
    if s.startswith("-") and Decimal(s) == 0:
        s = s[1:]
    return s


# ----------------------------------------------------------------- strict JSON
class JSONInputError(ValueError):
    pass


def _pairs_no_dupes(pairs):
    d = {}
    for k, v in pairs:
        if k in d:
            raise JSONInputError("duplicate member %r in a JSON object" % k)
        d[k] = v
    return d


def _no_constants(name):
    raise JSONInputError("%s is not a valid JSON value" % name)


def loads_strict(raw):
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise JSONInputError("body is not valid UTF-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constants,
                          object_pairs_hook=_pairs_no_dupes)
    except JSONInputError:
        raise
    except RecursionError:
        raise JSONInputError("body nests too deeply")
    except ValueError as e:
        raise JSONInputError("body is not valid JSON: %s" % e)


def _enc(o, out):
    if o is None:
        out.append("null")
    elif o is True:
        out.append("true")
    elif o is False:
        out.append("false")
    elif isinstance(o, int):
        out.append(str(o))
    elif isinstance(o, Decimal):
        out.append(dec_str(o))
    elif isinstance(o, float):
        out.append(repr(o))
    elif isinstance(o, str):
        out.append(json.dumps(o, ensure_ascii=False))
    elif isinstance(o, dict):
        out.append("{")
        first = True
        for k, v in o.items():
            if not first:
                out.append(", ")
            first = False
            out.append(json.dumps(str(k), ensure_ascii=False))
            out.append(": ")
            _enc(v, out)
        out.append("}")
    elif isinstance(o, (list, tuple)):
        out.append("[")
        first = True
        for v in o:
            if not first:
                out.append(", ")
            first = False
            _enc(v, out)
        out.append("]")
    else:
        raise TypeError("cannot encode %r" % type(o))


def dumps(o):
    out = []
    _enc(o, out)
    return "".join(out)


def canonical(o):
    """A stable fingerprint of a parsed JSON value (numbers compared by value)."""
    if isinstance(o, dict):
        return "{" + ",".join(json.dumps(k) + ":" + canonical(o[k]) for k in sorted(o)) + "}"
    if isinstance(o, list):
        return "[" + ",".join(canonical(v) for v in o) + "]"
    if isinstance(o, bool) or o is None:
        return dumps(o)
    if isinstance(o, (int, Decimal)):
        d = Decimal(o)
        return "n:" + (dec_str(d.normalize()) if d != 0 else "0")
    return dumps(o)


def is_int(v):
    return type(v) is int


def is_num(v):
    return type(v) is int or (isinstance(v, Decimal) and v.is_finite())


# ------------------------------------------------------------ HTTP plumbing
class HttpError(Exception):
    def __init__(self, status, message, close=False):
        Exception.__init__(self, message)
        self.status = status
        self.message = message
        self.close = close


class BaseJSONHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True      # headers and body go out at once (no 40 ms delayed-ACK stall)
    server_version = "VendorService/1.0"
    sys_version = ""
    SERVICE = "service"

    # the service's Handler subclass defines route_post(path, raw), which do_POST calls
    def api_paths(self):
        return ()

    def error_body(self, status, message, kind):
        return {"error": message}

    # ---- plumbing
    def log_message(self, fmt, *args):
        pass

    def version_string(self):
        return self.server_version

    def send_error(self, code, message=None, explain=None):
        # Called by BaseHTTPRequestHandler for protocol-level problems.  Never 5xx for
        # bad input: an unknown method is 405, an unsupported HTTP version 400.
        if code == 501:
            code = 405
        elif code >= 500:
            code = 400
        self.close_connection = True
        if getattr(self, "request_version", "HTTP/0.9") == "HTTP/0.9":
            self.request_version = "HTTP/1.1"     # always answer with a status line
        msg = message or explain or "bad request"
        try:
            self.send_json(code, self.error_body(code, msg, "protocol"), close=True)
        except Exception:
            pass

    def send_json(self, status, obj, headers=None, close=False, raw=None):
        body = raw if raw is not None else dumps(obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        if status == 405:
            self.send_header("Allow", "POST")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        try:
            self.wfile.flush()
        except Exception:
            pass

    def read_body(self):
        te = self.headers.get("Transfer-Encoding")
        if te is not None and te.strip().lower() != "identity":
            if te.strip().lower() != "chunked":
                raise HttpError(400, "unsupported Transfer-Encoding", close=True)
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(1024)
                if not line:
                    raise HttpError(400, "truncated chunked body", close=True)
                try:
                    size = int(line.split(b";")[0].strip(), 16)
                except ValueError:
                    raise HttpError(400, "bad chunk size", close=True)
                if size == 0:
                    while True:
                        trailer = self.rfile.readline(8192)
                        if trailer in (b"\r\n", b"\n", b""):
                            break
                    break
                total += size
                if total > MAX_BODY:
                    raise HttpError(413, "request body larger than %d bytes" % MAX_BODY, close=True)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(16)
            return b"".join(chunks)
        cls = self.headers.get_all("Content-Length") or []
        if not cls:
            return b""
        if len(set(c.strip() for c in cls)) != 1 or not DIGITS_RE.match(cls[0].strip()):
            raise HttpError(400, "invalid Content-Length", close=True)
        n = int(cls[0].strip())
        if n > MAX_BODY:
            raise HttpError(413, "request body larger than %d bytes" % MAX_BODY, close=True)
        data = self.rfile.read(n) if n else b""
        if len(data) != n:
            raise HttpError(400, "truncated body", close=True)
        return data

    def _path(self):
        return urllib.parse.urlsplit(self.path).path

    def do_POST(self):
        try:
            body = self.read_body()
        except HttpError as e:
            self.send_json(e.status, self.error_body(e.status, e.message, "protocol"), close=e.close)
            return
        path = self._path()
        try:
            if path == HOOK_PATH:
                if not HOOK_ENABLED:
                    self.send_json(404, {"error": "not found"})
                    return
                status, obj = HOOK.handle(body, self.headers)
                self.send_json(status, obj)
                return
            if path in self.api_paths():
                self.route_post(path, body)
                return
            self.send_json(404, self.error_body(404, "no such resource: %s" % path, "protocol"))
        except HttpError as e:
            self.send_json(e.status, self.error_body(e.status, e.message, "protocol"), close=e.close)
        except Exception:  # a bug of ours, never the caller's input
            import traceback
            traceback.print_exc(file=sys.stderr)
            self.send_json(500, self.error_body(500, "internal error", "internal"))

    def _not_post(self):
        try:
            self.read_body()
        except HttpError as e:
            self.send_json(e.status, self.error_body(e.status, e.message, "protocol"), close=True)
            return
        path = self._path()
        if path in self.api_paths() or path == HOOK_PATH:
            self.send_json(405, self.error_body(405, "method %s not allowed; use POST" % self.command,
                                                "protocol"))
        else:
            self.send_json(404, self.error_body(404, "no such resource: %s" % path, "protocol"))

    do_GET = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _not_post

    def content_type_is(self, *accepted):
        ct = self.headers.get("Content-Type")
        if ct is None:
            return None
        return ct.split(";")[0].strip().lower() if ct.split(";")[0].strip().lower() in accepted else False


# ------------------------------------------------------------------ test hook
class HookError(Exception):
    pass


def _hp_decimal(name, v, minimum=None):
    if isinstance(v, bool) or v is None:
        raise HookError("param %r must be a decimal string or a number" % name)
    if isinstance(v, int):
        d = Decimal(v)
    elif isinstance(v, Decimal):
        d = v
    elif isinstance(v, str) and DEC_STR_RE.match(v):
        d = Decimal(v)
    else:
        raise HookError("param %r must be a decimal string (e.g. \"10.00\") or a number" % name)
    if not d.is_finite():
        raise HookError("param %r must be finite" % name)
    if minimum is not None and d < minimum:
        raise HookError("param %r must be >= %s" % (name, minimum))
    return d


def _hp_bool(name, v):
    if type(v) is not bool:
        raise HookError("param %r must be a boolean" % name)
    return v


def _hp_str(name, v):
    if not isinstance(v, str):
        raise HookError("param %r must be a string" % name)
    return v


def _hp_int(name, v, lo, hi):
    if type(v) is not int or v < lo or v > hi:
        raise HookError("param %r must be an integer in [%d, %d]" % (name, lo, hi))
    return v


def _hp_cents(name, v):
    if type(v) is not int or v < 0 or v > INT64_MAX:
        raise HookError("param %r must be a non-negative integer (cents)" % name)
    return v


STATES = ["an operator exists", "a player exists", "an event exists", "a jackpot betcard exists",
          "a player snapshot"]
PARAMS = {
    "an operator exists": ["name", "secret", "timezone_offset", "webhook_url", "ext", "wht"],
    "a player exists": ["balance", "currency", "blocked", "min_stake", "max_stake", "session_expired",
                        "session_expired_seconds_ago", "operator"],
    "an event exists": ["started", "markets"],
    "a jackpot betcard exists": ["events", "prize", "bonus_prizes"],
    "a player snapshot": ["userId"],
}
# on teardown the id answered by the setup may be given to name the thing to remove
TEARDOWN_IDS = {"a player exists": "userId", "an event exists": "event_id",
                "a jackpot betcard exists": "betcard_code", "an operator exists": "name"}

CURRENCY_CODES = {"EUR": 1, "USD": 2, "GBP": 3, "CNY": 4, "HKD": 5, "JPY": 6, "KRW": 7, "THB": 8,
                  "VND": 9, "IDR": 10, "MYR": 11, "SGD": 12, "INR": 13, "PHP": 14, "BRL": 15,
                  "TWD": 16, "AUD": 17, "CAD": 18, "CHF": 19, "SEK": 20, "NOK": 21, "DKK": 22,
                  "PLN": 23, "TRY": 24, "RUB": 25, "ZAR": 26, "NGN": 27, "KES": 28, "MXN": 29}


class World:
    """All in-memory state (guarded by STATE_LOCK)."""

    def __init__(self):
        self.operators = {}
        self.players = {}
        self.by_session = {}
        self.by_customer = {}
        self.by_member = {}
        self.events = {}
        self.betcards = {}
        self.setups = []          # (state, canonical params, identity)
        self.next_event = 100001
        self.next_market = 5001
        self.next_bet = 101
        self.next_member = 70001
        self.next_entry = 1
        self.next_ccy = 100

    def currency_code(self, ccy):
        if ccy not in CURRENCY_CODES:
            CURRENCY_CODES[ccy] = self.next_ccy
            self.next_ccy += 1
        return CURRENCY_CODES[ccy]

    def ledger(self, p, amount, reason, reference):
        p["balance"] = p["balance"] + amount
        entry = {"entry_id": self.next_entry, "amount": dec_str(amount),
                 "balance_after": dec_str(money(p["balance"], p["currency"])),
                 "reason": reason, "reference": reference}
        self.next_entry += 1
        p["ledger"].append(entry)
        return entry


WORLD = World()


class Hook:
    SESSION_TTL = 30 * 60

    def handle(self, raw, headers):
        try:
            req = loads_strict(raw)
        except JSONInputError as e:
            return 400, {"error": str(e)}
        if not isinstance(req, dict):
            return 400, {"error": "the body must be a JSON object {state, params, action}"}
        state = req.get("state")
        if not isinstance(state, str) or state not in STATES:
            return 400, {"error": "unknown provider state %r; accepted: %s" % (state, ", ".join(STATES))}
        action = req.get("action", "setup")
        if action not in ("setup", "teardown"):
            return 400, {"error": "unknown action %r; accepted: setup, teardown" % (action,)}
        params = req.get("params", {})
        if params is None:
            params = {}
        if not isinstance(params, dict):
            return 400, {"error": "params must be a JSON object"}
        allowed = list(PARAMS[state])
        if action == "teardown" and TEARDOWN_IDS.get(state) not in allowed:
            allowed.append(TEARDOWN_IDS[state])
        unknown = [k for k in params if k not in allowed]
        if unknown:
            return 400, {"error": "unknown param(s) %s for state %r; accepted: %s"
                         % (", ".join(map(repr, unknown)), state, ", ".join(allowed))}
        try:
            with STATE_LOCK:
                if action == "teardown":
                    return 200, self.teardown(state, params)
                if state == "an operator exists":
                    return 200, self.operator_answer(self.make_operator(params))
                if state == "a player exists":
                    return 200, self.player_setup(params)
                if state == "an event exists":
                    return 200, self.event_answer(self.make_event(params))
                if state == "a jackpot betcard exists":
                    return 200, self.betcard_setup(params)
                return 200, self.snapshot(params)
        except HookError as e:
            return 400, {"error": "%s: %s" % (state, e)}

    # -- operators
    def make_operator(self, params, record=True):
        name = params.get("name")
        if name is not None:
            name = _hp_str("name", name)
            if not name:
                raise HookError("param 'name' must not be empty")
            if name in WORLD.operators:
                raise HookError("operator %r already exists" % name)
        else:
            name = "op-" + secrets.token_hex(3)
            while name in WORLD.operators:
                name = "op-" + secrets.token_hex(3)
        secret = params.get("secret")
        secret = _hp_str("secret", secret) if secret is not None else secrets.token_urlsafe(24)
        tz = params.get("timezone_offset", "+02:00")
        if not isinstance(tz, str) or not re.match(r"^[+-][0-9]{2}:[0-9]{2}$", tz):
            raise HookError("param 'timezone_offset' must match ^[+-][0-9]{2}:[0-9]{2}$")
        wh = params.get("webhook_url", "http://127.0.0.1/webhook")
        if wh is not None and not isinstance(wh, str):
            raise HookError("param 'webhook_url' must be a string or null")
        ext = _hp_decimal("ext", params.get("ext", "12.5"), Decimal(0))
        wht = _hp_decimal("wht", params.get("wht", "20.0"), Decimal(0))
        op = {"name": name, "secret": secret, "timezone_offset": tz, "webhook_url": wh,
              "ext": ext, "wht": wht}
        WORLD.operators[name] = op
        if record:
            WORLD.setups.append(("an operator exists", canonical(params), name))
        return op

    def operator_answer(self, op):
        return {"name": op["name"], "secret": op["secret"], "timezone_offset": op["timezone_offset"],
                "webhook_url": op["webhook_url"], "ext": dec_str(op["ext"]), "wht": dec_str(op["wht"])}

    # -- players
    def player_setup(self, params):
        balance = _hp_decimal("balance", params.get("balance", "1000.00"), Decimal(0))
        currency = params.get("currency", "EUR")
        if not isinstance(currency, str) or not re.match(r"^[A-Z]{3}$", currency):
            raise HookError("param 'currency' must be an ISO 4217 code (^[A-Z]{3}$)")
        blocked = _hp_bool("blocked", params.get("blocked", False))
        min_stake = _hp_decimal("min_stake", params.get("min_stake", "0.10"), Decimal(0))
        max_stake = _hp_decimal("max_stake", params.get("max_stake", "500.00"), Decimal(0))
        if min_stake > max_stake:
            raise HookError("min_stake must not exceed max_stake")
        expired = _hp_bool("session_expired", params.get("session_expired", False))
        ago = _hp_int("session_expired_seconds_ago", params.get("session_expired_seconds_ago", 60),
                      1, 31536000)
        if "operator" in params:
            opname = _hp_str("operator", params["operator"])
            if opname not in WORLD.operators:
                raise HookError("unknown operator %r (set up 'an operator exists' first)" % opname)
            op = WORLD.operators[opname]
        else:
            op = self.make_operator({}, record=False)
        uid = "user-" + secrets.token_hex(4)
        while uid in WORLD.players:
            uid = "user-" + secrets.token_hex(4)
        now = time.time()
        p = {
            "userId": uid,
            "sessionToken": secrets.token_urlsafe(18),
            "session_expires": (now - ago) if expired else (now + self.SESSION_TTL),
            "token": secrets.token_urlsafe(18),
            "customerToken": secrets.token_urlsafe(18),
            "memberid": str(WORLD.next_member),
            "balance": money(balance, currency),
            "currency": currency,
            "currency_code": WORLD.currency_code(currency),
            "blocked": blocked,
            "min_stake": money(min_stake, currency),
            "max_stake": money(max_stake, currency),
            "operator": op["name"],
            "bets": [], "orders": [], "tickets": [], "travel_orders": [], "ledger": [],
        }
        WORLD.next_member += 1
        WORLD.players[uid] = p
        WORLD.by_session[p["sessionToken"]] = uid
        WORLD.by_customer[p["customerToken"]] = uid
        WORLD.by_member[p["memberid"]] = uid
        WORLD.setups.append(("a player exists", canonical(params), uid))
        return player_answer(p, self, op)

    def remove_player(self, uid):
        p = WORLD.players.pop(uid, None)
        if p:
            WORLD.by_session.pop(p["sessionToken"], None)
            WORLD.by_customer.pop(p["customerToken"], None)
            WORLD.by_member.pop(p["memberid"], None)
            on_player_removed(p)

    # -- events
    def make_event(self, params, record=True):
        started = _hp_bool("started", params.get("started", False))
        markets = params.get("markets", [{"code": "1X2", "allowed": True,
                                          "prices": ["1.85", "3.40", "4.20"]}])
        if not isinstance(markets, list) or not markets:
            raise HookError("param 'markets' must be a non-empty array")
        built = []
        for i, m in enumerate(markets):
            if not isinstance(m, dict):
                raise HookError("markets[%d] must be an object" % i)
            extra = [k for k in m if k not in ("code", "allowed", "prices")]
            if extra:
                raise HookError("markets[%d]: unknown key(s) %s; accepted: code, allowed, prices"
                                % (i, ", ".join(extra)))
            if not isinstance(m.get("code"), str) or not m["code"]:
                raise HookError("markets[%d].code is required (a non-empty string)" % i)
            allowed = _hp_bool("markets[%d].allowed" % i, m.get("allowed", True))
            prices = m.get("prices", ["1.85", "3.40", "4.20"])
            if not isinstance(prices, list) or not prices:
                raise HookError("markets[%d].prices must be a non-empty array" % i)
            ps = [_hp_decimal("markets[%d].prices[%d]" % (i, j), x, Decimal(0)) for j, x in enumerate(prices)]
            if len(ps) == 3:
                names = ["1", "X", "2"]
            elif len(ps) == 2:
                names = ["1", "2"]
            else:
                names = [str(j + 1) for j in range(len(ps))]
            sels = []
            for j, pr in enumerate(ps):
                sels.append({"bet_id": WORLD.next_bet, "name": names[j], "decimal_price": dec_str(pr)})
                WORLD.next_bet += 1
            built.append({"market_id": WORLD.next_market, "code": m["code"], "allowed": allowed,
                          "selections": sels})
            WORLD.next_market += 1
        ev = {"event_id": WORLD.next_event, "name": "Home v Away", "started": started, "markets": built}
        WORLD.next_event += 1
        WORLD.events[ev["event_id"]] = ev
        if record:
            WORLD.setups.append(("an event exists", canonical(params), ev["event_id"]))
        return ev

    def event_answer(self, ev):
        return {"event_id": ev["event_id"], "name": ev["name"], "started": ev["started"],
                "markets": ev["markets"]}

    # -- betcards
    def betcard_setup(self, params):
        n = _hp_int("events", params.get("events", 3), 1, 1000)
        prize = _hp_cents("prize", params.get("prize", 1000000))
        bonus = params.get("bonus_prizes", [10000, 5000])
        if not isinstance(bonus, list):
            raise HookError("param 'bonus_prizes' must be an array of cents")
        bonus = [_hp_cents("bonus_prizes[%d]" % i, b) for i, b in enumerate(bonus)]
        evs = [self.make_event({}, record=False) for _ in range(n)]
        code = "JP-" + secrets.token_hex(3)
        while code in WORLD.betcards:
            code = "JP-" + secrets.token_hex(3)
        WORLD.betcards[code] = {"betcard_code": code, "prize": prize, "bonus_prizes": bonus,
                                "events": [e["event_id"] for e in evs]}
        WORLD.setups.append(("a jackpot betcard exists", canonical(params), code))
        return {"betcard_code": code, "prize": prize, "bonus_prizes": bonus,
                "events": [self.event_answer(e) for e in evs]}

    # -- snapshot
    def snapshot(self, params):
        if "userId" not in params:
            raise HookError("param 'userId' is required")
        uid = _hp_str("userId", params["userId"])
        p = WORLD.players.get(uid)
        if p is None:
            raise HookError("unknown userId %r" % uid)
        return {
            "userId": uid,
            "balance": dec_str(money(p["balance"], p["currency"])),
            "currency": p["currency"],
            "bets": [dict(b) for b in p["bets"]],
            "orders": [dict(o) for o in p["orders"]],
            "tickets": [],
            "travel_orders": [dict(t) for t in p["travel_orders"]],
            "ledger": [dict(e) for e in p["ledger"]],
        }

    # -- teardown
    def teardown(self, state, params):
        if state == "a player snapshot":
            return {}
        idkey = TEARDOWN_IDS[state]
        ident = params.get(idkey) if idkey in params else None
        if ident is None:
            key = canonical({k: v for k, v in params.items()})
            for i in range(len(WORLD.setups) - 1, -1, -1):
                s, k, ident_i = WORLD.setups[i]
                if s == state and k == key:
                    ident = ident_i
                    del WORLD.setups[i]
                    break
        else:
            WORLD.setups = [t for t in WORLD.setups if not (t[0] == state and t[2] == ident)]
        if ident is None:
            return {}
        if state == "a player exists":
            self.remove_player(ident)
        elif state == "an event exists":
            WORLD.events.pop(ident, None)
        elif state == "a jackpot betcard exists":
            bc = WORLD.betcards.pop(ident, None)
            if bc:
                for eid in bc["events"]:
                    WORLD.events.pop(eid, None)
        elif state == "an operator exists":
            WORLD.operators.pop(ident, None)
        return {}


HOOK = Hook()


def serve(handler_cls, argv):
    if len(argv) != 2 or not DIGITS_RE.match(argv[1]):
        sys.stderr.write("usage: python3 server.py <port>\n")
        sys.exit(2)
    port = int(argv[1])
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler_cls)
    httpd.daemon_threads = True
    print("listening on 127.0.0.1:%d" % port, flush=True)
    try:
        httpd.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
# ---------------------------------------------------------------------------
# travel-order: POST /api/invoice/createorder  (seed 002, ASP.NET Web API help page)
# ---------------------------------------------------------------------------
# Response codes: 100 success (the document); the others are ours ("其他自定义").
C_OK = 100
C_UNREADABLE = 101        # body is not readable JSON / form data
C_INVALID = 102           # a field has the wrong type, format or range; unknown field
C_MEMBER = 103            # memberid missing or not a member
C_DUP_DOCNO = 104         # docno already used by another order
C_AMOUNT = 105            # an amount disagrees with its parts
HTTP_FOR = {C_UNREADABLE: 400, C_INVALID: 400, C_MEMBER: 400, C_DUP_DOCNO: 409, C_AMOUNT: 400}

ORDER_STATUS = {0: "create_order", 1: "wait_pay", 2: "pay_success", 3: "trade_close", 4: "trade_complete"}
DEC_MAX = Decimal("79228162514264337593543950335")   # System.Decimal.MaxValue
DOCNOS = set()
ORDER_SEQ = [0]

TRAVEL_SCHEMA = {'opersystem': 'str',
 'channel': 'str',
 'couponinfos': [{'coupontype': 'int',
                  'couponcode': 'str',
                  'couponsource': 'int',
                  'couponeventname': 'str',
                  'discountamount': 'dec',
                  'discount': 'dec',
                  'discountcalctype': 'int',
                  'discountcalcrule': 'int'}],
 'itemtype': 'int',
 'status': 'orderstatus',
 'accesssource': 'str',
 'paymentinfo': {'createagent': 'str',
                 'createip': 'str',
                 'createdate': 'date',
                 'paytype': 'str',
                 'paydate': 'date',
                 'payamt': 'dec',
                 'paycurrency': 'str',
                 'paytranid': 'str',
                 'paytrantype': 'int',
                 'payerid': 'str',
                 'ispaid': 'bool',
                 'creditcardnum': 'str'},
 'insuranceinfo': [{'detail': {'source': 'str',
                               'effectivedate': 'date',
                               'expirationdate': 'date',
                               'companyname': 'str',
                               'companyid': 'str',
                               'destinationid': 'str',
                               'destinationdesc': 'str',
                               'insuredpackageid': 'str',
                               'InsuredPackageDesc': 'str',
                               'PlanId': 'str',
                               'plandesc': 'str',
                               'extradata1': 'str',
                               'extradata2': 'str',
                               'extradata3': 'str',
                               'extradata4': 'str',
                               'extradata5': 'str',
                               'quoteamt': 'dec',
                               'quotecurrency': 'str',
                               'discountedquoteamt': 'dec',
                               'quotevaliduntildate': 'date',
                               'status': 'str',
                               'statusdesc': 'str',
                               'transactionresponsedt': 'date',
                               'planamt': 'dec',
                               'PlanCurrency': 'str',
                               'policynumber': 'str',
                               'policystatus': 'str',
                               'originalsubmittedpolicydate': 'date',
                               'policyschedule': 'str',
                               'orgamount': 'dec',
                               'grantamt': 'dec',
                               'discountcode': 'str'},
                    'contact': [{'insuredpersonseqno': 'int',
                                 'phonetypecd': 'str',
                                 'phoneareacode': 'str',
                                 'phonenumber': 'str',
                                 'email': 'str'}],
                    'insuredpersons': [{'seqno': 'int',
                                        'surname': 'str',
                                        'givenname': 'str',
                                        'titleprefix': 'str',
                                        'birthdate': 'date',
                                        'idnumbertypecd': 'str',
                                        'idnumber': 'str',
                                        'persontype': 'str'}]}],
 'farerouteing': [{'flightur': 'str',
                   'accountid': 'int',
                   'flightpnr': 'str',
                   'passenger': [{'prefix': 'str',
                                  'lastname': 'str',
                                  'middlename': 'str',
                                  'firstname': 'str',
                                  'agetype': 'int',
                                  'dateofbirth': 'date',
                                  'gender': 'str',
                                  'cardname': 'str',
                                  'cardtype': 'str',
                                  'cardnum': 'str',
                                  'cardissueplace': 'str',
                                  'cardexpired': 'date',
                                  'nationality': 'str',
                                  'telcountry': 'str',
                                  'Phone': 'str',
                                  'email': 'str',
                                  'ssrtype': 'str',
                                  'ssrfreetext': 'str',
                                  'seatclaim': 'str',
                                  'creditcardnumber': 'str',
                                  'creditcardsupplycode': 'str',
                                  'creaditcardoperateby': 'str',
                                  'mealclaim': 'str',
                                  'vMemberGuid': 'str'}],
                   'source': 'str',
                   'sessionid': 'int',
                   'data': 'str',
                   'adultprice': 'dec',
                   'adultmarkup': 'dec',
                   'adultorgprice': 'dec',
                   'adulttax': 'dec',
                   'adultorgtax': 'dec',
                   'childprice': 'dec',
                   'childmarkup': 'dec',
                   'childorgprice': 'dec',
                   'childtax': 'dec',
                   'childorgtax': 'dec',
                   'pricetype': 'int',
                   'applytype': 'int',
                   'adulttaxtype': 'int',
                   'childtaxtype': 'int',
                   'adult': 'int',
                   'child': 'int',
                   'rule': {'refund': 'str', 'endorse': 'str', 'baggage': 'str', 'other': 'str'},
                   'fromsegments': [{'docno': 'str',
                                     'flightgroup': 'int',
                                     'carriercode': 'str',
                                     'flightnumber': 'str',
                                     'depairportcode': 'str',
                                     'deptime': 'date',
                                     'arrairportcode': 'str',
                                     'arrtime': 'date',
                                     'stopcities': 'str',
                                     'codeshare': 'bool',
                                     'cabin': 'str',
                                     'aircraftcode': 'str',
                                     'bookingcodeinfo': 'str',
                                     'isconnect': 'bool',
                                     'cabinclasscode': 'str',
                                     'farerulekey': 'str',
                                     'airreminder': 'str',
                                     'airtime': 'str',
                                     'fareprice': 'str',
                                     'marketairlinecode': 'str',
                                     'operatorairlinecode': 'str',
                                     'baggage': 'str',
                                     'farebasis': 'str',
                                     'depterminal': 'str',
                                     'arrterminal': 'str',
                                     'carriername': 'str',
                                     'depairportname': 'str',
                                     'arrairportname': 'str',
                                     'cabinclassname': 'str',
                                     'marketairlinename': 'str',
                                     'operatorairlinename': 'str',
                                     'stopcitiesname': 'str',
                                     'depcity': 'str',
                                     'arrcity': 'str'}],
                   'retsegments': [{'docno': 'str',
                                    'flightgroup': 'int',
                                    'carriercode': 'str',
                                    'flightnumber': 'str',
                                    'depairportcode': 'str',
                                    'deptime': 'date',
                                    'arrairportcode': 'str',
                                    'arrtime': 'date',
                                    'stopcities': 'str',
                                    'codeshare': 'bool',
                                    'cabin': 'str',
                                    'aircraftcode': 'str',
                                    'bookingcodeinfo': 'str',
                                    'isconnect': 'bool',
                                    'cabinclasscode': 'str',
                                    'farerulekey': 'str',
                                    'airreminder': 'str',
                                    'airtime': 'str',
                                    'fareprice': 'str',
                                    'marketairlinecode': 'str',
                                    'operatorairlinecode': 'str',
                                    'baggage': 'str',
                                    'farebasis': 'str',
                                    'depterminal': 'str',
                                    'arrterminal': 'str',
                                    'carriername': 'str',
                                    'depairportname': 'str',
                                    'arrairportname': 'str',
                                    'cabinclassname': 'str',
                                    'marketairlinename': 'str',
                                    'operatorairlinename': 'str',
                                    'stopcitiesname': 'str',
                                    'depcity': 'str',
                                    'arrcity': 'str'}],
                   'faretype': 'int',
                   'infant': 'int',
                   'infantprice': 'dec',
                   'infantmarkup': 'dec',
                   'infantorgprice': 'dec',
                   'infanttax': 'dec',
                   'infantorgtax': 'dec',
                   'infanttaxtype': 'int',
                   'triptype': 'int',
                   'isautoticket': 'bool',
                   'flightpricecalcs': [{'itemtype': 'str',
                                         'adultprice': 'dec',
                                         'adulttax': 'dec',
                                         'childprice': 'dec',
                                         'childtax': 'dec',
                                         'infantprice': 'dec',
                                         'infanttax': 'dec',
                                         'remark': 'str',
                                         'displayorder': 'int'}]}],
 'hotelroutine': [{'citycode': 'str',
                   'city': 'str',
                   'checkin': 'date',
                   'checkout': 'date',
                   'hotelcode': 'str',
                   'hotelname': 'str',
                   'country': 'str',
                   'resort': 'str',
                   'streetnumber': 'str',
                   'address': 'str',
                   'phone': 'str',
                   'hotelpic': 'str',
                   'longitude': 'str',
                   'latitude': 'str',
                   'email': 'str',
                   'url': 'str',
                   'currency': 'str',
                   'orgtotal': 'dec',
                   'markuptotal': 'dec',
                   'addtotal': 'dec',
                   'total': 'dec',
                   'apisource': 'str',
                   'apiacc': 'str',
                   'prebookingtoken': 'str',
                   'specrequest': 'str',
                   'canceldeadline': 'str',
                   'status': 'str',
                   'bookingcode': 'str',
                   'supplierbookingcode': 'str',
                   'confirmcode': 'str',
                   'checkininstructions': 'str',
                   'specialcheckininstructions': 'str',
                   'cancelinfos': [{'startdate': 'str', 'enddate': 'str', 'penalty': 'dec'}],
                   'rooms': [{'roomtypeid': 'str',
                              'roomtype': 'str',
                              'roomid': 'str',
                              'roomname': 'str',
                              'adultcount': 'int',
                              'childcount': 'int',
                              'includebreakfast': 'int',
                              'breakfastname': 'str',
                              'checkindate': 'date',
                              'checkoutdate': 'date',
                              'status': 'str',
                              'bedtypeid': 'str',
                              'bedtype': 'str',
                              'roomguests': [{'lang': 'str',
                                              'firstname': 'str',
                                              'middlename': 'str',
                                              'lastname': 'str',
                                              'prefix': 'str',
                                              'agetype': 'int',
                                              'age': 'int',
                                              'birthday': 'date',
                                              'sex': 'int',
                                              'email': 'str',
                                              'phonecode': 'str',
                                              'phoneno': 'str',
                                              'nation': 'str',
                                              'cardtype': 'int',
                                              'cardno': 'str',
                                              'cardplace': 'str',
                                              'cardexpdate': 'date',
                                              'isreal': 'bool',
                                              'vMemberGuid': 'str'}]}],
                   'roompernights': [{'roomid': 'str', 'date': 'date', 'rate': 'dec', 'currency': 'str'}],
                   'paycardid': 'str',
                   'cancelpolicy': 'str'}],
 'contactinfo': [{'docno': 'str',
                  'prefix': 'str',
                  'lastname': 'str',
                  'middlename': 'str',
                  'firstname': 'str',
                  'address': 'str',
                  'postcode': 'str',
                  'email': 'str',
                  'telcountry': 'str',
                  'phone': 'str',
                  'contacttype': 'str',
                  'nationalitycode': 'str'}],
 'integralnum': 'dec',
 'integraldiscount': 'dec',
 'extraamt': 'dec',
 'docno': 'str',
 'memberid': 'int',
 'companyid': 'str',
 'createagent': 'str',
 'createdate': 'date',
 'createip': 'str',
 'platform': 'str',
 'currency': 'str',
 'lang': 'str',
 'isrecivemail': 'bool',
 'invoiceparms': [{'parmname': 'str', 'pramvalue': 'str'}],
 'tourgrouproutine': [{'TourGroupFlights': [{'FlightNo': 'str',
                                             'FromCity': 'str',
                                             'ToCity': 'str',
                                             'DepartureDate': 'date',
                                             'ReturnDate': 'date',
                                             'CreateDate': 'date'}],
                       'TourGroupDetails': [{'AgeType': 'int',
                                             'Currency': 'str',
                                             'OrginUnitPrice': 'dec',
                                             'OrginDiscount': 'dec',
                                             'MarkupPrice': 'dec',
                                             'UnitPrice': 'dec',
                                             'Number': 'int',
                                             'TotalPrice': 'dec',
                                             'CreateDate': 'date'}],
                       'TourGroupProducts': [{'Type': 'int',
                                              'ProductCode': 'str',
                                              'ProductName': 'str',
                                              'Quantity': 'int',
                                              'Price': 'dec',
                                              'Discount': 'dec',
                                              'SubTotal': 'dec',
                                              'Remark': 'str',
                                              'CreateDate': 'date',
                                              'AgeType': 'int'}],
                       'TourGroupEmerContact': {'Prefix': 'str',
                                                'LastName': 'str',
                                                'MiddleName': 'str',
                                                'FirstName': 'str',
                                                'TelCountry': 'str',
                                                'Tel': 'str'},
                       'TourId': 'str',
                       'TourCode': 'str',
                       'TourItemCode': 'str',
                       'TourItemName': 'str',
                       'BranchId': 'str',
                       'DepartureDate': 'date',
                       'ReturnDate': 'date',
                       'DueDate': 'date',
                       'Currency': 'str',
                       'OrginAmt': 'dec',
                       'MarkupAmt': 'dec',
                       'InsuranceAmt': 'dec',
                       'AdditionalAmt': 'dec',
                       'DiscountAmt': 'dec',
                       'TotalAmt': 'dec',
                       'DepositAmt': 'dec',
                       'PaidAmt': 'dec',
                       'HoldCode': 'str',
                       'EventDiscountType': 'int',
                       'CreateDate': 'date'}],
 'localtravelroutine': [{'totalAmt': 'dec',
                         'localTravelDetails': [{'did': 'str',
                                                 'seq': 'int',
                                                 'skuId': 'str',
                                                 'skuName': 'str',
                                                 'orgPrice': 'dec',
                                                 'markupPrice': 'dec',
                                                 'price': 'dec',
                                                 'currency': 'str',
                                                 'quantity': 'int'}],
                         'localTravelGroupInfos': [{'infoId': 'str',
                                                    'infoType': 'int',
                                                    'seq': 'int',
                                                    'did': 'str',
                                                    'didSeq': 'int',
                                                    'formSeq': 'int',
                                                    'formId': 'str',
                                                    'formName': 'str',
                                                    'value': 'str',
                                                    'valueId': 'str'}],
                         'seq': 'int',
                         'themeId': 'str',
                         'themeName': 'str',
                         'source': 'int',
                         'activeId': 'str',
                         'planId': 'str',
                         'planName': 'str',
                         'depDate': 'date',
                         'depDateTime': 'str',
                         'currency': 'str',
                         'deadLine': 'date',
                         'islimitdate': 'bool',
                         'deliverytype': 'int',
                         'cartId': 'str'}],
 'localtraveldeliverys': [{'deliveryType': 'int',
                           'contactName': 'str',
                           'phone': 'str',
                           'areaid': 'str',
                           'areaName': 'str',
                           'regionid': 'str',
                           'regionName': 'str',
                           'address': 'str',
                           'floorNumber': 'str',
                           'houseNumber': 'str',
                           'branchId': 'str',
                           'branchname': 'str'}],
 'wifibbroutine': [{'ProductId': 'int',
                    'Qty': 'int',
                    'CountryCode': 'str',
                    'Country': 'str',
                    'StartDate': 'date',
                    'EndDate': 'date',
                    'TrueDays': 'int',
                    'PayDays': 'int',
                    'DepositAmt': 'dec',
                    'ProductTotal': 'dec',
                    'OrgProductTotal': 'dec',
                    'Status': 'int'}],
 'sugarAIRoutine': [{'productKey': 'str',
                     'tripType': 'int',
                     'depAirport': 'str',
                     'arrAirport': 'str',
                     'depDate': 'str',
                     'arrDate': 'str',
                     'carrier': 'str',
                     'flightNumber': 'str',
                     'passengerReserves': [{'quoteNumber': 'str',
                                            'orgBasePrice': 'dec',
                                            'basePrice': 'dec',
                                            'discount': 'dec',
                                            'orgTax': 'dec',
                                            'tax': 'dec',
                                            'compensation': 'dec',
                                            'reserveNumber': 'str',
                                            'expireAt': 'date',
                                            'firstName': 'str',
                                            'lastName': 'str',
                                            'email': 'str'}]}],
 'logTrackGuid': 'str',
 'noLowestReasonCode': 'str',
 'noLowestReason': 'str',
 'outScopeReason': 'str'}



class TravelFailure(Exception):
    def __init__(self, code, message):
        Exception.__init__(self, message)
        self.code = code
        self.message = message


def invalid(msg):
    return TravelFailure(C_INVALID, msg)


def player_answer(p, hook, op):
    return {"userId": p["userId"], "memberid": p["memberid"]}


def on_player_removed(p):
    pass


DATE_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})"
                     r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,7}))?)?"
                     r"(Z|[+-][0-9]{2}:[0-9]{2})?)?$")
INT_RE = re.compile(r"^-?(0|[1-9][0-9]*)$")
NUM_RE = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")
KIND_NAME = {"str": "a string", "int": "an integer", "orderstatus": "an OrderStatus integer (0-4)",
             "dec": "a decimal number", "bool": "a boolean", "date": "an ISO 8601 date"}


def valid_date(s):
    m = DATE_RE.match(s)
    if not m:
        return False
    y, mo, d, h, mi, se, _frac, tz = m.groups()
    try:
        datetime.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(se or 0))
    except ValueError:
        return False
    if tz and tz != "Z":
        th, tm = int(tz[1:3]), int(tz[4:6])
        if th > 14 or tm > 59 or (th == 14 and tm):
            return False
    return True


def kind_of(node):
    if isinstance(node, dict):
        return "an object"
    if isinstance(node, list):
        return "an array"
    return KIND_NAME[node]


def check(node, v, path):
    """Validate v against the schema node; returns the value."""
    if v is None:
        # reference types (string, object, collection) may be null; value types may not
        if isinstance(node, (dict, list)) or node == "str":
            return None
        raise invalid("%s must be %s, not null" % (path, kind_of(node)))
    if isinstance(node, dict):
        if not isinstance(v, dict):
            raise invalid("%s must be an object" % path)
        for k in v:
            if k not in node:
                raise invalid("%s: unknown field %r" % (path or "request", k))
        return {k: check(node[k], x, (path + "." if path else "") + k) for k, x in v.items()}
    if isinstance(node, list):
        if not isinstance(v, list):
            raise invalid("%s must be an array (Collection)" % path)
        out = []
        for i, x in enumerate(v):
            if x is None:
                raise invalid("%s[%d] must not be null" % (path, i))
            out.append(check(node[0], x, "%s[%d]" % (path, i)))
        return out
    if node == "str":
        if not isinstance(v, str):
            raise invalid("%s must be a string" % path)
        return v
    if node in ("int", "orderstatus"):
        if not is_int(v):
            raise invalid("%s must be %s" % (path, KIND_NAME[node]))
        if v < 0 or v > INT64_MAX:
            raise invalid("%s must be a non-negative integer" % path)
        if node == "orderstatus" and v not in ORDER_STATUS:
            raise invalid("%s must be an OrderStatus: %s" % (
                path, ", ".join("%d (%s)" % kv for kv in ORDER_STATUS.items())))
        return v
    if node == "dec":
        if not is_num(v):
            raise invalid("%s must be a decimal number" % path)
        d = Decimal(v)
        if d < 0:
            raise invalid("%s must not be negative" % path)
        if d > DEC_MAX or d.as_tuple().exponent < -28:
            raise invalid("%s is outside the range of a decimal number" % path)
        return d
    if node == "bool":
        if type(v) is not bool:
            raise invalid("%s must be a boolean (true or false)" % path)
        return v
    if node == "date":
        if not isinstance(v, str) or not valid_date(v):
            raise invalid("%s must be an ISO 8601 date, e.g. 2024-12-23T14:51:37.249611+08:00" % path)
        return v
    raise AssertionError(node)


# ---- application/x-www-form-urlencoded binding (a[0].b or a[0][b] keys)
class FormObj(dict):
    pass


class FormList(dict):
    pass


FORM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*")
FORM_SEG = re.compile(r"\[([^\[\]]*)\]|\.([A-Za-z_][A-Za-z0-9_]*)")


def split_key(k):
    m = FORM_NAME.match(k)
    if not m:
        raise invalid("form key %r is not a field name" % k)
    segs, pos = [m.group(0)], m.end()
    while pos < len(k):
        m = FORM_SEG.match(k, pos)
        if not m:
            raise invalid("form key %r is malformed" % k)
        seg = m.group(1) if m.group(1) is not None else m.group(2)
        if seg == "":
            raise invalid("form key %r: empty index" % k)
        if DIGITS_RE.match(seg):
            segs.append(int(seg))
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", seg):
            segs.append(seg)
        else:
            raise invalid("form key %r is malformed" % k)
        pos = m.end()
    return segs


def parse_form(text):
    try:
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=True,
                                       encoding="utf-8", errors="strict") if text else []
    except (ValueError, UnicodeDecodeError) as e:
        raise TravelFailure(C_UNREADABLE, "body is not valid form data: %s" % e)
    root = FormObj()
    for k, v in pairs:
        segs = split_key(k)
        cur = root
        for i, s in enumerate(segs):
            last = i == len(segs) - 1
            if isinstance(s, int) and not isinstance(cur, FormList):
                raise invalid("form key %r mixes an index with a field" % k)
            if not isinstance(s, int) and isinstance(cur, FormList):
                raise invalid("form key %r mixes a field with an index" % k)
            if last:
                if s in cur:
                    raise invalid("form key %r appears more than once" % k)
                cur[s] = v
            else:
                nxt_type = FormList if isinstance(segs[i + 1], int) else FormObj
                if s not in cur:
                    cur[s] = nxt_type()
                elif not isinstance(cur[s], nxt_type):
                    raise invalid("form key %r conflicts with another key" % k)
                cur = cur[s]
    return root


def from_form(node, v, path):
    if isinstance(node, dict):
        if not isinstance(v, FormObj):
            raise invalid("%s must be an object" % (path or "request"))
        out = {}
        for k, x in v.items():
            if k not in node:
                raise invalid("%s: unknown field %r" % (path or "request", k))
            out[k] = from_form(node[k], x, (path + "." if path else "") + k)
        return out
    if isinstance(node, list):
        if not isinstance(v, FormList):
            raise invalid("%s must be a collection" % path)
        idx = sorted(v)
        if idx != list(range(len(idx))):
            raise invalid("%s: indexes must run 0..n-1 without gaps" % path)
        return [from_form(node[0], v[i], "%s[%d]" % (path, i)) for i in idx]
    if not isinstance(v, str):
        raise invalid("%s must be a single value" % path)
    if node == "str" or node == "date":
        return v
    if node in ("int", "orderstatus"):
        if not INT_RE.match(v):
            raise invalid("%s must be %s" % (path, KIND_NAME[node]))
        return int(v)
    if node == "dec":
        if not NUM_RE.match(v):
            raise invalid("%s must be a decimal number" % path)
        return Decimal(v)
    if node == "bool":
        if v.lower() not in ("true", "false"):
            raise invalid("%s must be true or false" % path)
        return v.lower() == "true"
    raise AssertionError(node)


def new_number(prefix, taken):
    while True:
        ORDER_SEQ[0] += 1
        n = "%s%s%06d" % (prefix, time.strftime("%Y%m%d", time.gmtime()), ORDER_SEQ[0])
        if n not in taken:
            return n


ORDERNOS = set()


def create_order(order):
    # the member placing the order (the page's only identity)
    if order.get("memberid") is None:
        raise TravelFailure(C_MEMBER, "memberid is required")
    # amounts that the page shows as consistent: localtravelroutine[].totalAmt
    for i, r in enumerate(order.get("localtravelroutine") or []):
        if r.get("totalAmt") is None:
            continue
        total = Decimal(0)
        for d in r.get("localTravelDetails") or []:
            total += (d.get("price") or Decimal(0)) * (d.get("quantity") or 0)
        if total != r["totalAmt"]:
            raise TravelFailure(C_AMOUNT, "localtravelroutine[%d].totalAmt %s does not equal the sum of "
                                "price x quantity over localTravelDetails (%s)"
                                % (i, dec_str(r["totalAmt"]), dec_str(total)))
    docno = order.get("docno")
    if docno is not None and not docno.strip():
        raise invalid("docno must not be empty when given")
    with STATE_LOCK:
        uid = WORLD.by_member.get(str(order["memberid"]))
        if uid is None:
            raise TravelFailure(C_MEMBER, "memberid %d is not a member" % order["memberid"])
        if docno is not None:
            if docno in DOCNOS:
                raise TravelFailure(C_DUP_DOCNO, "docno %r is already used by another order" % docno)
        else:
            docno = new_number("DOC", DOCNOS)
        orderno = new_number("ORD", ORDERNOS)
        DOCNOS.add(docno)
        ORDERNOS.add(orderno)
        WORLD.players[uid]["travel_orders"].append({"docno": docno, "orderno": orderno})
    return {"data": {"docno": docno, "orderno": orderno}, "code": C_OK, "message": "success"}


def seed_demo_member():
    """Sandbox member 8, so the help page's sample request is accepted verbatim."""
    with STATE_LOCK:
        uid = "user-demo-8"
        p = {"userId": uid, "sessionToken": secrets.token_urlsafe(18), "session_expires": 0,
             "token": secrets.token_urlsafe(18), "customerToken": secrets.token_urlsafe(18),
             "memberid": "8", "balance": Decimal("0.00"), "currency": "HKD",
             "currency_code": WORLD.currency_code("HKD"), "blocked": False,
             "min_stake": Decimal("0.10"), "max_stake": Decimal("500.00"), "operator": None,
             "bets": [], "orders": [], "tickets": [], "travel_orders": [], "ledger": []}
        WORLD.players[uid] = p
        WORLD.by_member["8"] = uid


class Handler(BaseJSONHandler):
    SERVICE = "travel-order"

    def api_paths(self):
        return ("/api/invoice/createorder",)

    def error_body(self, status, message, kind):
        return {"data": None, "code": status, "message": message}

    def route_post(self, path, raw):
        ct_header = self.headers.get("Content-Type") or ""
        ct = self.content_type_is("application/json", "text/json", "application/x-www-form-urlencoded")
        if not ct:
            self.send_json(415, {"data": None, "code": 415, "message":
                                 "Content-Type must be application/json, text/json or "
                                 "application/x-www-form-urlencoded"})
            return
        m = re.search(r"charset\s*=\s*\"?([A-Za-z0-9_-]+)", ct_header, re.I)
        if m and m.group(1).lower().replace("_", "-") not in ("utf-8", "utf8"):
            self.send_json(415, {"data": None, "code": 415, "message": "only the utf-8 charset is accepted"})
            return
        try:
            if ct == "application/x-www-form-urlencoded":
                try:
                    text = raw.decode("ascii")
                except UnicodeDecodeError:
                    raise TravelFailure(C_UNREADABLE, "form data must be percent-encoded ASCII")
                order = check(TRAVEL_SCHEMA, from_form(TRAVEL_SCHEMA, parse_form(text), ""), "")
            else:
                try:
                    body = loads_strict(raw)
                except JSONInputError as e:
                    raise TravelFailure(C_UNREADABLE, str(e))
                if not isinstance(body, dict):
                    raise TravelFailure(C_UNREADABLE, "the body must be a CreateOrderRequest JSON object")
                order = check(TRAVEL_SCHEMA, body, "")
            result = create_order(order)
        except TravelFailure as f:
            self.send_json(HTTP_FOR[f.code], {"data": None, "code": f.code, "message": f.message})
            return
        self.send_json(200, result)


if __name__ == "__main__":
    seed_demo_member()
    serve(Handler, sys.argv)
