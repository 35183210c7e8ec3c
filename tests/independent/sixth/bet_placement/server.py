#!/usr/bin/env python3
"""bet_placement service (Python 3.11 standard library only).  Usage: python3 server.py <port>"""
# ---------------------------------------------------------------------------
# Shared infrastructure (strict JSON, exact decimals, HTTP plumbing, test hook)
# ---------------------------------------------------------------------------
import hmac
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
    except InvalidOperation:        # more digits than the context holds (1.8e308): no stake fits
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
# bet-placement: POST /bet  (seed 004, "Bet Placement Endpoint")
# ---------------------------------------------------------------------------
API_KEY = os.environ.get("BET_PLACEMENT_API_KEY") or ("bpk-" + secrets.token_urlsafe(24))
IDEMPOTENCY_TTL = 24 * 3600

STAGES = ("IN_PLAY", "PRE_PLAY")

# (name, kind, required) in the document's order
BET_FIELDS = [
    ("betId", "uuid", True), ("sportId", "str", True), ("sportName", "str", True),
    ("sportDisplayName", "str", True), ("eventId", "str", True), ("eventAltId", "str", False),
    ("eventName", "str", True), ("eventDisplayName", "str", True), ("eventStage", "stage", True),
    ("competitionId", "str", True), ("competitionName", "str", True),
    ("competitionDisplayName", "str", True), ("marketTypeId", "str", True), ("marketId", "str", True),
    ("marketName", "str", True), ("marketDisplayName", "str", True), ("marketStage", "stage", True),
    ("selectionId", "str", True), ("selectionName", "str", True), ("selectionDisplayName", "str", True),
    ("decimalPrice", "num", True), ("stake", "num", True),
]
BET_FIELD_NAMES = [f[0] for f in BET_FIELDS]
TOP_FIELDS = ["requestId", "userId", "sessionToken", "timestamp", "bets"]

ERROR_STATUS = {
    "INVALID_USER": 400, "INVALID_BET_DETAILS": 400, "INVALID_STAKE": 400, "INSUFFICIENT_FUNDS": 400,
    "USER_BLOCKED": 400, "MISSING_PARAMETER": 400, "INVALID_SESSION": 401,
    "AUTHENTICATION_FAILED": 403, "GENERAL_EXCEPTION": 500, "REQUEST_TIMED_OUT": 503,
}

IDEMPOTENCY = {}          # key -> (fingerprint, status, body bytes, stored_at)
PLACED_REQUESTS = set()   # requestIds of placed slips
PLACED_BETS = set()       # betIds of stored bets
BET_LOCK = threading.Lock()


class BetFailure(Exception):
    def __init__(self, code, message, failed_bets=None):
        Exception.__init__(self, message)
        self.code = code
        self.message = message
        self.failed_bets = failed_bets


def failure_body(code, message, failed_bets=None):
    body = {"status": "FAILURE", "errorCode": code, "errorMessage": message}
    if failed_bets is not None:
        body["failedBets"] = failed_bets
    return body


def player_answer(p, hook, op):
    return {"userId": p["userId"], "sessionToken": p["sessionToken"],
            "balance": dec_str(p["balance"]), "currency": p["currency"], "blocked": p["blocked"],
            "min_stake": dec_str(p["min_stake"]), "max_stake": dec_str(p["max_stake"]),
            "apiKey": API_KEY}


def on_player_removed(p):
    pass


def validate_slip(body):
    """Structural validation.  Returns nothing; raises BetFailure."""
    if not isinstance(body, dict):
        raise BetFailure("MISSING_PARAMETER", "the request body must be a JSON object with "
                         + ", ".join(TOP_FIELDS))
    missing = [f for f in TOP_FIELDS if body.get(f) is None]
    if isinstance(body.get("bets"), list):
        for i, b in enumerate(body["bets"]):
            if isinstance(b, dict):
                missing += ["bets[%d].%s" % (i, n) for n, _k, req in BET_FIELDS
                            if req and b.get(n) is None]
    if missing:
        raise BetFailure("MISSING_PARAMETER", "missing required parameter(s): " + ", ".join(missing))
    unknown = [k for k in body if k not in TOP_FIELDS]
    if unknown:
        raise BetFailure("INVALID_BET_DETAILS", "unknown parameter(s): %s; the request carries only %s"
                         % (", ".join(unknown), ", ".join(TOP_FIELDS)))
    if not isinstance(body["userId"], str) or not body["userId"].strip():
        raise BetFailure("INVALID_USER", "userId must be a non-empty string")
    if not isinstance(body["sessionToken"], str) or not body["sessionToken"].strip():
        raise BetFailure("INVALID_SESSION", "sessionToken must be a non-empty string")
    rid = body["requestId"]
    if not isinstance(rid, str) or not UUID_RE.match(rid):
        raise BetFailure("INVALID_BET_DETAILS", "requestId must be a UUID string "
                         "(e.g. 92e02ae9-a2a3-48e2-af0e-940aec4bbcfb)")
    ts = body["timestamp"]
    if not isinstance(ts, str) or not DIGITS_RE.match(ts) or len(ts) > 19 or int(ts) > INT64_MAX:
        raise BetFailure("INVALID_BET_DETAILS", "timestamp must be a string holding epoch milliseconds "
                         "(e.g. \"1640995200000\")")
    bets = body["bets"]
    if not isinstance(bets, list):
        raise BetFailure("INVALID_BET_DETAILS", "bets must be an array of BetDetails")
    if not bets:
        raise BetFailure("INVALID_BET_DETAILS", "bets must contain one or more single bets")
    seen = set()
    for i, b in enumerate(bets):
        where = "bets[%d]" % i
        if not isinstance(b, dict):
            raise BetFailure("INVALID_BET_DETAILS", "%s must be a BetDetails object" % where)
        unknown = [k for k in b if k not in BET_FIELD_NAMES]
        if unknown:
            raise BetFailure("INVALID_BET_DETAILS", "%s: unknown field(s) %s" % (where, ", ".join(unknown)))
        for name, kind, req in BET_FIELDS:
            if name not in b:
                continue
            v = b[name]
            if kind == "num":
                if not is_num(v):
                    raise BetFailure("INVALID_BET_DETAILS", "%s.%s must be a JSON number" % (where, name))
            elif kind == "stage":
                if not isinstance(v, str) or v not in STAGES:
                    raise BetFailure("INVALID_BET_DETAILS", "%s.%s must be one of %s"
                                     % (where, name, ", ".join(STAGES)))
            elif kind == "uuid":
                if not isinstance(v, str) or not UUID_RE.match(v):
                    raise BetFailure("INVALID_BET_DETAILS", "%s.%s must be a UUID string" % (where, name))
            else:
                if not isinstance(v, str):
                    raise BetFailure("INVALID_BET_DETAILS", "%s.%s must be a string" % (where, name))
                if not v.strip():
                    raise BetFailure("INVALID_BET_DETAILS", "%s.%s must not be empty" % (where, name))
        if Decimal(b["decimalPrice"]) <= 1:
            raise BetFailure("INVALID_BET_DETAILS", "%s.decimalPrice must be a decimal price above 1"
                             % where)
        bid = b["betId"].lower()
        if bid in seen:
            raise BetFailure("INVALID_BET_DETAILS", "%s.betId %s appears more than once in the betslip"
                             % (where, b["betId"]))
        seen.add(bid)


def failed_bet(b, reason):
    return {"betId": b["betId"], "sportId": b["sportId"], "eventId": b["eventId"],
            "marketId": b["marketId"], "selectionId": b["selectionId"], "reason": reason}


def place(body):
    """Business checks and storage.  Returns the PLACED body; raises BetFailure."""
    p = WORLD.players.get(body["userId"])
    if p is None:
        raise BetFailure("INVALID_USER", "unknown userId %r" % body["userId"])
    now = time.time()
    if not hmac.compare_digest(body["sessionToken"].encode(), p["sessionToken"].encode()):
        raise BetFailure("INVALID_SESSION", "the session token does not belong to this user")
    if now >= p["session_expires"]:
        raise BetFailure("INVALID_SESSION", "the user session has expired")
    p["session_expires"] = now + Hook.SESSION_TTL          # sliding session
    bets = body["bets"]
    if body["requestId"].lower() in PLACED_REQUESTS:
        raise BetFailure("INVALID_BET_DETAILS", "requestId %s was already placed" % body["requestId"])
    for i, b in enumerate(bets):
        if b["betId"].lower() in PLACED_BETS:
            raise BetFailure("INVALID_BET_DETAILS", "bets[%d].betId %s was already placed" % (i, b["betId"]))
    ccy = p["currency"]
    stakes = [Decimal(b["stake"]) for b in bets]
    # a stake that is not positive is below any minimum stake
    bad = [failed_bet(b, {"minStake": p["min_stake"]}) for b, s in zip(bets, stakes) if s <= 0]
    if bad:
        raise BetFailure("INVALID_STAKE", "a stake must be greater than zero", bad)
    for i, s in enumerate(stakes):
        if not fits_minor_units(s, ccy):
            raise BetFailure("INVALID_BET_DETAILS", "bets[%d].stake has more decimals than %s allows (%d)"
                             % (i, ccy, minor_units(ccy)))
    total = sum(stakes, Decimal(0))
    if total > p["balance"]:
        raise BetFailure("INSUFFICIENT_FUNDS", "balance %s %s does not cover the total stake %s"
                         % (dec_str(p["balance"]), ccy, dec_str(total)))
    if p["blocked"]:
        raise BetFailure("USER_BLOCKED", "the user is blocked from betting")
    bad = []
    for b, s in zip(bets, stakes):
        if s > p["max_stake"]:
            bad.append(failed_bet(b, {"maxStake": p["max_stake"]}))
        elif s < p["min_stake"]:
            bad.append(failed_bet(b, {"minStake": p["min_stake"]}))
    if bad:
        raise BetFailure("INVALID_STAKE", "stake outside the allowed limits", bad)
    # all checks passed: store every bet as pending and debit the stakes
    placed_at = now_ms()
    for b, s in zip(bets, stakes):
        price = Decimal(b["decimalPrice"])
        rec = {"betId": b["betId"], "requestId": body["requestId"], "eventId": b["eventId"],
               "marketId": b["marketId"], "selectionId": b["selectionId"], "stake": dec_str(s),
               "decimalPrice": dec_str(price), "potentialPayout": dec_str(s * price),
               "status": "pending", "placedAt": placed_at,
               "details": dict(b)}
        p["bets"].append(rec)
        WORLD.ledger(p, -s, "bet", b["betId"])
        PLACED_BETS.add(b["betId"].lower())
    PLACED_REQUESTS.add(body["requestId"].lower())
    return {"requestId": body["requestId"], "userId": body["userId"],
            "sessionToken": body["sessionToken"], "timestamp": str(now_ms()), "status": "PLACED",
            "bets": [dict((n, b[n]) for n in BET_FIELD_NAMES if n in b) for b in bets]}


def snapshot_bet(rec):
    return {k: v for k, v in rec.items() if k != "details"}


_orig_snapshot = Hook.snapshot


def _snapshot(self, params):
    ans = _orig_snapshot(self, params)
    ans["bets"] = [snapshot_bet(b) for b in WORLD.players[params["userId"]]["bets"]]
    return ans


Hook.snapshot = _snapshot


class Handler(BaseJSONHandler):
    SERVICE = "bet-placement"

    def api_paths(self):
        return ("/bet",)

    def error_body(self, status, message, kind):
        code = {400: "MISSING_PARAMETER", 403: "AUTHENTICATION_FAILED", 404: "NOT_FOUND",
                405: "METHOD_NOT_ALLOWED", 411: "MISSING_PARAMETER", 413: "PAYLOAD_TOO_LARGE",
                415: "UNSUPPORTED_MEDIA_TYPE", 500: "GENERAL_EXCEPTION"}.get(status, "GENERAL_EXCEPTION")
        return failure_body(code, message)

    def fail(self, code, message, failed_bets=None, status=None):
        body = failure_body(code, message, failed_bets)
        st = status or ERROR_STATUS[code]
        raw = dumps(body).encode("utf-8")
        self.send_json(st, None, raw=raw)
        return st, raw

    def route_post(self, path, raw):
        # 1. authentication: one API key per environment
        keys = self.headers.get_all("X-API-Key") or []
        if len(keys) != 1 or not hmac.compare_digest(keys[0].encode("utf-8", "surrogateescape"),
                                                     API_KEY.encode()):
            self.fail("AUTHENTICATION_FAILED",
                      "missing or invalid X-API-Key" if len(keys) <= 1 else "more than one X-API-Key")
            return
        # 2. content type
        ct = self.content_type_is("application/json")
        if not ct:
            self.fail("UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json", status=415)
            return
        # 3. idempotency key
        ikeys = self.headers.get_all("X-Idempotency-Key") or []
        if not ikeys:
            self.fail("MISSING_PARAMETER", "header X-Idempotency-Key (a UUID) is required")
            return
        if len(ikeys) > 1 or not UUID_RE.match(ikeys[0].strip()):
            self.fail("MISSING_PARAMETER", "header X-Idempotency-Key must be a single UUID string")
            return
        ikey = ikeys[0].strip().lower()
        try:
            body = loads_strict(raw)
            fp = "j:" + canonical(body)
        except JSONInputError as e:
            body, fp = e, "r:" + raw.hex()
        with BET_LOCK:
            now = time.time()
            for k in [k for k, v in IDEMPOTENCY.items() if now - v[3] > IDEMPOTENCY_TTL]:
                del IDEMPOTENCY[k]
            prior = IDEMPOTENCY.get(ikey)
            if prior is not None:
                if prior[0] != fp:
                    self.fail("IDEMPOTENCY_KEY_REUSED", "X-Idempotency-Key %s was already used for a "
                              "different request" % ikeys[0].strip(), status=422)
                    return
                self.send_json(prior[1], None, raw=prior[2], headers={"Idempotent-Replayed": "true"})
                return
            with STATE_LOCK:
                try:
                    if isinstance(body, JSONInputError):
                        raise BetFailure("MISSING_PARAMETER", str(body))
                    validate_slip(body)
                    result = place(body)
                    status, out = 200, dumps(result).encode("utf-8")
                except BetFailure as f:
                    status = ERROR_STATUS[f.code]
                    out = dumps(failure_body(f.code, f.message, f.failed_bets)).encode("utf-8")
            IDEMPOTENCY[ikey] = (fp, status, out, now)
        self.send_json(status, None, raw=out)


if __name__ == "__main__":
    serve(Handler, sys.argv)
