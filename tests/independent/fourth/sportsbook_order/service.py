"""sportsbook-order (seed 000), fourth independent implementation.

A seamless-wallet order call: POST /order debits a player's wallet for a sportsbook ticket.
Plus the orderproof provider-state hook at POST /_orderproof/provider-states (test only).

Single file, in-memory state, stdlib + FastAPI/Starlette only. See DECISIONS.md.
"""
from __future__ import annotations

import json
import math
import os
import re
import secrets
import threading
import time
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

app = FastAPI(title="sportsbook-order (fourth)")

# --------------------------------------------------------------------------------------------
# State (module level, in memory)
# --------------------------------------------------------------------------------------------

LOCK = threading.RLock()
OPERATORS: dict[str, dict] = {}          # name -> operator
PLAYERS: dict[str, dict] = {}            # userId -> player
TOKENS: dict[str, str] = {}              # customerToken -> userId
TICKETS: dict[int, dict] = {}            # ticketId -> {"userId", "fingerprint", "status", "body"}
EVENTS: dict[int, dict] = {}
BETCARDS: dict[str, dict] = {}
_COUNTERS = {"event": 300000, "market": 7000, "bet": 900, "user": 0}
_LAST_ORDER_MS = [0]

INT32 = (-(2 ** 31), 2 ** 31 - 1)
INT64 = (-(2 ** 63), 2 ** 63 - 1)

# Merchant currency index (the seed types `currency` as int and gives no code list).
CURRENCY_CODES = {"CNY": 1, "USD": 2, "EUR": 3, "GBP": 4, "HKD": 5, "JPY": 6}
_NEXT_CURRENCY = [100]

HOOK_ENABLED = os.environ.get("SPORTSBOOK_TEST_HOOK", "on").lower() not in ("off", "0", "false", "no")


def _next(name: str) -> int:
    _COUNTERS[name] += 1
    return _COUNTERS[name]


def currency_code(cur: str) -> int:
    if cur not in CURRENCY_CODES:
        CURRENCY_CODES[cur] = _NEXT_CURRENCY[0]
        _NEXT_CURRENCY[0] += 1
    return CURRENCY_CODES[cur]


# --------------------------------------------------------------------------------------------
# JSON in and out (exact numbers: ints stay ints, fractions become Decimal, never a float)
# --------------------------------------------------------------------------------------------


class DuplicateKey(ValueError):
    pass


def _pairs(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise DuplicateKey(k)
        obj[k] = v
    return obj


def _no_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes) -> Any:
    text = raw.decode("utf-8")  # UnicodeDecodeError -> caller
    return json.loads(text, parse_float=Decimal, parse_int=int, parse_constant=_no_constant,
                      object_pairs_hook=_pairs)


def num_text(d: Decimal) -> str:
    """Shortest exact rendering of a decimal amount: 100 -> 1E+2, 49.50 -> 49.5, 0 -> 0."""
    if d == 0:
        return "0"
    n = d.normalize()
    s = str(n)
    return s.replace("e", "E")


def dumps(o: Any) -> str:
    if isinstance(o, dict):
        return "{" + ",".join(json.dumps(str(k)) + ":" + dumps(v) for k, v in o.items()) + "}"
    if isinstance(o, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in o) + "]"
    if isinstance(o, Decimal):
        return num_text(o)
    if isinstance(o, bool) or o is None or isinstance(o, (int, str)):
        return json.dumps(o, ensure_ascii=False)
    raise TypeError(type(o))


def plain(d: Decimal, min_places: int = 2) -> str:
    """A decimal string in major units, at least `min_places` decimals, never an exponent."""
    s = format(d, "f")
    if "." in s:
        whole, frac = s.split(".")
        frac = frac.rstrip("0")
    else:
        whole, frac = s, ""
    if len(frac) < min_places:
        frac = frac + "0" * (min_places - len(frac))
    return whole + ("." + frac if frac else "")


def json_response(body: Any, status: int, headers: dict | None = None) -> Response:
    h = {"Cache-Control": "no-store"}
    if headers:
        h.update(headers)
    return Response(content=dumps(body).encode("utf-8"), status_code=status,
                    media_type="application/json", headers=h)


# --------------------------------------------------------------------------------------------
# Field readers (lenient numbers, exact values)
# --------------------------------------------------------------------------------------------

_NUM_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?$")
_MISSING = object()


def _to_decimal(v: Any) -> Decimal | None:
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, Decimal):
        d = v
    elif isinstance(v, str):
        if not _NUM_RE.match(v):
            return None
        try:
            d = Decimal(v)
        except InvalidOperation:
            return None
    else:
        return None
    if not d.is_finite() or (d != 0 and abs(d.adjusted()) > 40):
        return None
    return d


class Checker:
    def __init__(self) -> None:
        self.errors: list[dict] = []

    def fail(self, path: str, reason: str) -> None:
        self.errors.append({"field": path, "reason": reason})

    def get(self, obj: dict, key: str, path: str, required: bool, nullable: bool = False):
        if key not in obj:
            if required:
                self.fail(path, "required")
            return _MISSING
        v = obj[key]
        if v is None:
            if not nullable:
                self.fail(path, "must not be null")
            return None
        return v

    def integer(self, v, path: str, rng=INT64, minimum: int | None = None) -> int | None:
        d = _to_decimal(v)
        if d is None or d != d.to_integral_value():
            self.fail(path, "must be an integer (a JSON number or a numeric string)")
            return None
        i = int(d)
        if not (rng[0] <= i <= rng[1]):
            self.fail(path, "out of range")
            return None
        if minimum is not None and i < minimum:
            self.fail(path, f"must be >= {minimum}")
            return None
        return i

    def decimal(self, v, path: str) -> Decimal | None:
        d = _to_decimal(v)
        if d is None:
            self.fail(path, "must be a number (a JSON number or a numeric string)")
        return d

    def money(self, v, path: str) -> Decimal | None:
        d = self.decimal(v, path)
        if d is None:
            return None
        if d <= 0:
            self.fail(path, "must be > 0")
            return None
        if len(d.normalize().as_tuple().digits) > 15:
            self.fail(path, "more than 15 significant digits (not exact as a double)")
            return None
        return d

    def string(self, v, path: str) -> str | None:
        if isinstance(v, str):
            return v
        if isinstance(v, int) and not isinstance(v, bool):
            return str(v)
        if isinstance(v, Decimal) and v.is_finite():
            return str(v)
        self.fail(path, "must be a string")
        return None


def validate(body: Any) -> tuple[dict | None, list[dict]]:
    c = Checker()
    if not isinstance(body, dict):
        c.fail("$", "the body must be a JSON object")
        return None, c.errors
    out: dict[str, Any] = {}

    tok = c.get(body, "customerToken", "customerToken", True)
    if tok is not _MISSING and tok is not None:
        if not isinstance(tok, str) or tok == "":
            c.fail("customerToken", "must be a non-empty string")
        else:
            out["customerToken"] = tok

    v = c.get(body, "ticketId", "ticketId", True)
    if v is not _MISSING and v is not None:
        out["ticketId"] = c.integer(v, "ticketId", INT64, 1)

    v = c.get(body, "orderAmount", "orderAmount", True)
    if v is not _MISSING and v is not None:
        out["orderAmount"] = c.money(v, "orderAmount")

    v = c.get(body, "currency", "currency", False, nullable=True)
    out["currency"] = None
    if v is not _MISSING and v is not None:
        out["currency"] = c.integer(v, "currency", INT32, 0)

    v = c.get(body, "qTime", "qTime", True)
    if v is not _MISSING and v is not None:
        out["qTime"] = c.integer(v, "qTime", INT64, 1)

    v = c.get(body, "betType", "betType", True)
    if v is not _MISSING and v is not None:
        out["betType"] = c.integer(v, "betType", INT32, 0)

    # optionArray
    options: list[dict] = []
    v = c.get(body, "optionArray", "optionArray", True)
    if v is not _MISSING and v is not None:
        if not isinstance(v, list) or not v:
            c.fail("optionArray", "must be a non-empty array of objects")
        else:
            for i, o in enumerate(v):
                p = f"optionArray[{i}]"
                if not isinstance(o, dict):
                    c.fail(p, "must be an object")
                    continue
                options.append(_option(c, o, p))
    out["optionArray"] = options

    # betList
    bets: list[dict] = []
    v = c.get(body, "betList", "betList", True)
    if v is not _MISSING and v is not None:
        if not isinstance(v, list) or not v:
            c.fail("betList", "must be a non-empty array of objects")
        else:
            for i, b in enumerate(v):
                p = f"betList[{i}]"
                if not isinstance(b, dict):
                    c.fail(p, "must be an object")
                    continue
                bets.append(_bet(c, b, p, len(options) if options else None))
    out["betList"] = bets

    if c.errors:
        return None, c.errors
    return out, []


def _option(c: Checker, o: dict, p: str) -> dict:
    r: dict[str, Any] = {}
    for key, kind, rng in (("sportNo", "int", INT32), ("macthId", "int", INT64),
                           ("gameType", "int", INT32), ("groupType", "int", INT32),
                           ("oddsFormat", "int", INT32), ("betStage", "int", INT32)):
        v = c.get(o, key, f"{p}.{key}", True)
        if v is not _MISSING and v is not None:
            r[key] = c.integer(v, f"{p}.{key}", rng, 0)
    for key in ("tourName", "macthName", "optionId", "betOption"):
        v = c.get(o, key, f"{p}.{key}", True)
        if v is not _MISSING and v is not None:
            r[key] = c.string(v, f"{p}.{key}")
    v = c.get(o, "oddsView", f"{p}.oddsView", True)
    if v is not _MISSING and v is not None:
        d = c.decimal(v, f"{p}.oddsView")
        if d is not None and d == 0:
            c.fail(f"{p}.oddsView", "must not be 0")
        r["oddsView"] = d
    v = c.get(o, "betBar", f"{p}.betBar", False, nullable=True)
    r["betBar"] = None
    if v is not _MISSING and v is not None:
        r["betBar"] = c.string(v, f"{p}.betBar")
    # insHomeScore / insAwayScore: one garbled row naming both -> optional, but as a pair.
    home = c.get(o, "insHomeScore", f"{p}.insHomeScore", False, nullable=True)
    away = c.get(o, "insAwayScore", f"{p}.insAwayScore", False, nullable=True)
    hs = None if home in (_MISSING, None) else c.integer(home, f"{p}.insHomeScore", INT32, 0)
    aw = None if away in (_MISSING, None) else c.integer(away, f"{p}.insAwayScore", INT32, 0)
    if (home in (_MISSING, None)) != (away in (_MISSING, None)):
        c.fail(f"{p}.insHomeScore", "insHomeScore and insAwayScore come together (both or neither)")
    r["insHomeScore"], r["insAwayScore"] = hs, aw
    return r


def _bet(c: Checker, b: dict, p: str, n_options: int | None) -> dict:
    r: dict[str, Any] = {}
    v = c.get(b, "comboId", f"{p}.comboId", True, nullable=True)
    r["comboId"] = None
    if v is not _MISSING and v is not None:
        r["comboId"] = c.integer(v, f"{p}.comboId", INT64, 0)
    v = c.get(b, "betAmount", f"{p}.betAmount", True)
    if v is not _MISSING and v is not None:
        r["betAmount"] = c.money(v, f"{p}.betAmount")
    v = c.get(b, "oddsEuro", f"{p}.oddsEuro", True)
    if v is not _MISSING and v is not None:
        d = c.decimal(v, f"{p}.oddsEuro")
        if d is not None and d <= 1:
            c.fail(f"{p}.oddsEuro", "decimal odds must be > 1")
        r["oddsEuro"] = d
    num = cnt = None
    v = c.get(b, "num", f"{p}.num", True)
    if v is not _MISSING and v is not None:
        num = c.integer(v, f"{p}.num", INT32, 1)
    v = c.get(b, "cnt", f"{p}.cnt", True)
    if v is not _MISSING and v is not None:
        cnt = c.integer(v, f"{p}.cnt", INT32, 1)
    if num is not None and n_options is not None:
        if num > n_options:
            c.fail(f"{p}.num", f"a {num}-fold needs {num} options; optionArray has {n_options}")
        elif cnt is not None and cnt > math.comb(n_options, num):
            c.fail(f"{p}.cnt", f"at most C({n_options},{num}) = {math.comb(n_options, num)} combinations")
    r["num"], r["cnt"] = num, cnt
    items = []
    v = c.get(b, "comboItems", f"{p}.comboItems", False, nullable=True)
    if v is not _MISSING and v is not None:
        if not isinstance(v, list):
            c.fail(f"{p}.comboItems", "must be an array of ComboItem objects")
        else:
            for j, it in enumerate(v):
                q = f"{p}.comboItems[{j}]"
                if not isinstance(it, dict):
                    c.fail(q, "must be an object")
                    continue
                item: dict[str, Any] = {}
                for names, key in ((("SubComboId", "subComboId"), "SubComboId"),):
                    for nm in names:
                        if nm in it and it[nm] is not None:
                            item[key] = c.integer(it[nm], f"{q}.{nm}", INT64, 0)
                            break
                for nm in ("OptionIds", "optionIds"):
                    if nm in it and it[nm] is not None:
                        ids = it[nm]
                        if not isinstance(ids, list):
                            c.fail(f"{q}.{nm}", "must be an array of ids")
                        else:
                            item["OptionIds"] = [c.string(x, f"{q}.{nm}[{k}]") for k, x in enumerate(ids)]
                        break
                items.append(item)
    r["comboItems"] = items
    return r


def fingerprint(player_id: str, order: dict) -> str:
    def norm(x):
        if isinstance(x, dict):
            return {k: norm(x[k]) for k in sorted(x)}
        if isinstance(x, list):
            return [norm(i) for i in x]
        if isinstance(x, Decimal):
            return "D" + num_text(x)
        return x
    return player_id + "|" + json.dumps(norm(order), sort_keys=True, separators=(",", ":"))


# --------------------------------------------------------------------------------------------
# POST /order
# --------------------------------------------------------------------------------------------

JSON_TYPES = ("application/json", "text/json")


def refusal(status: int, code: int, msg: str, errors: list | None = None, headers=None) -> Response:
    body: dict[str, Any] = {"code": code, "msg": msg}
    if errors is not None:
        body["errors"] = errors
    return json_response(body, status, headers)


@app.post("/order")
async def order(request: Request) -> Response:
    ctype = request.headers.get("content-type")
    if ctype is not None:
        parts = [x.strip().lower() for x in ctype.split(";")]
        mt = parts[0]
        charset_ok = all(not x.startswith("charset=") or x[8:].strip('"') in ("utf-8", "utf8")
                         for x in parts[1:])
        if not ((mt in JSON_TYPES or mt.endswith("+json")) and charset_ok):
            return refusal(415, -9, "unsupported media type: send application/json (UTF-8)",
                           headers={"Accept-Post": "application/json"})
    raw = await request.body()
    try:
        body = parse_json(raw)
    except DuplicateKey as e:
        return refusal(400, -1, "invalid request",
                       [{"field": str(e), "reason": "duplicate key in JSON object"}])
    except (UnicodeDecodeError, ValueError, RecursionError):
        return refusal(400, -1, "invalid request",
                       [{"field": "$", "reason": "the body is not valid UTF-8 JSON"}])
    data, errors = validate(body)
    if data is None:
        return refusal(400, -1, "invalid request", errors)

    amount: Decimal = data["orderAmount"]
    sum_plain = sum((b["betAmount"] for b in data["betList"]), Decimal(0))
    sum_combos = sum((b["betAmount"] * b["cnt"] for b in data["betList"]), Decimal(0))
    if amount != sum_plain and amount != sum_combos:
        return refusal(400, -1, "invalid request", [{
            "field": "orderAmount",
            "reason": f"must equal the bets' total ({plain(sum_plain)} as sum of betAmount, "
                      f"or {plain(sum_combos)} as sum of betAmount x cnt)"}])

    with LOCK:
        uid = TOKENS.get(data["customerToken"])
        player = PLAYERS.get(uid) if uid else None
        if player is None:
            return refusal(403, -3, "unknown customerToken")
        if player["blocked"]:
            return refusal(423, -4, "player account is locked")
        tid = data["ticketId"]
        fp = fingerprint(uid, data)
        prior = TICKETS.get(tid)
        if prior is not None:
            if prior["fingerprint"] == fp:
                return Response(content=prior["body"], status_code=prior["status"],
                                media_type="application/json",
                                headers={"Cache-Control": "no-store", "Idempotent-Replayed": "true"})
            return refusal(422, -5, "ticketId already used by a different order")
        if data["currency"] is not None and data["currency"] != player["currency_code"]:
            return refusal(422, -6, f"currency {data['currency']} is not the player's wallet currency "
                                    f"({player['currency_code']} = {player['currency']})")
        if player["balance"] < amount:
            return refusal(409, -7, "insufficient balance")
        with localcontext() as ctx:
            ctx.prec = 60
            new_balance = player["balance"] - amount
        if len(new_balance.normalize().as_tuple().digits) > 15 and new_balance != 0:
            return refusal(400, -1, "invalid request", [{
                "field": "orderAmount", "reason": "the resulting balance would not be exact as a double"}])
        now = int(time.time() * 1000)
        if now <= _LAST_ORDER_MS[0]:
            now = _LAST_ORDER_MS[0] + 1
        _LAST_ORDER_MS[0] = now
        player["balance"] = new_balance
        player["orders"].append({
            "ticketId": str(tid), "amount": plain(amount), "balance_after": plain(new_balance),
            "order_time": now, "currency": player["currency_code"], "qTime": data["qTime"],
            "status": "accepted"})
        player["ledger"].append({
            "entry_id": len(player["ledger"]) + 1, "amount": plain(-amount),
            "balance_after": plain(new_balance), "reason": "order", "reference": str(tid)})
        resp = {"code": 200, "msg": "success", "data": {
            "userId": uid, "balance": new_balance, "ticketId": tid, "ticketID": tid,
            "amount": amount, "orderTime": now, "currency": player["currency_code"]}}
        text = dumps(resp).encode("utf-8")
        TICKETS[tid] = {"userId": uid, "fingerprint": fp, "status": 201, "body": text}
    return Response(content=text, status_code=201, media_type="application/json",
                    headers={"Cache-Control": "no-store"})


# --------------------------------------------------------------------------------------------
# Provider-state hook (test deployments only)
# --------------------------------------------------------------------------------------------

STATES = ("an operator exists", "a player exists", "an event exists", "a jackpot betcard exists",
          "a player snapshot")
_DEC_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class HookError(Exception):
    pass


def _hp_decimal(params: dict, key: str, default: str, minimum: Decimal | None = None) -> Decimal:
    v = params.get(key, default)
    if isinstance(v, bool):
        raise HookError(f"param '{key}' must be a decimal string or a number")
    if isinstance(v, str):
        if not _DEC_RE.match(v):
            raise HookError(f"param '{key}' must be a decimal string like '1000.00'")
        d = Decimal(v)
    elif isinstance(v, (int, Decimal)):
        d = Decimal(v)
        if not d.is_finite():
            raise HookError(f"param '{key}' must be finite")
    else:
        raise HookError(f"param '{key}' must be a decimal string or a number")
    if minimum is not None and d < minimum:
        raise HookError(f"param '{key}' must be >= {minimum}")
    return d


def _hp_bool(params: dict, key: str, default: bool) -> bool:
    v = params.get(key, default)
    if not isinstance(v, bool):
        raise HookError(f"param '{key}' must be a boolean")
    return v


def _hp_int(params: dict, key: str, default: int, lo: int, hi: int) -> int:
    v = params.get(key, default)
    if isinstance(v, bool) or not isinstance(v, int):
        raise HookError(f"param '{key}' must be an integer")
    if not lo <= v <= hi:
        raise HookError(f"param '{key}' must be between {lo} and {hi}")
    return v


def _hp_str(params: dict, key: str, default: str | None, nullable: bool = False) -> str | None:
    v = params.get(key, default)
    if v is None and nullable:
        return None
    if not isinstance(v, str):
        raise HookError(f"param '{key}' must be a string")
    return v


def _check_params(params: dict, allowed: tuple[str, ...], state: str) -> None:
    extra = sorted(set(params) - set(allowed))
    if extra:
        raise HookError(f"unknown param(s) {extra} for state '{state}'; accepted: {list(allowed)}")


def _operator_answer(op: dict) -> dict:
    return {k: op[k] for k in ("name", "secret", "timezone_offset", "webhook_url", "ext", "wht")}


def setup_operator(params: dict) -> dict:
    _check_params(params, ("name", "secret", "timezone_offset", "webhook_url", "ext", "wht"),
                  "an operator exists")
    name = _hp_str(params, "name", "op-" + secrets.token_hex(3))
    secret = _hp_str(params, "secret", "sec-" + secrets.token_hex(12))
    tz = _hp_str(params, "timezone_offset", "+02:00")
    if not re.match(r"^[+-][0-9]{2}:[0-9]{2}$", tz):
        raise HookError("param 'timezone_offset' must look like '+02:00'")
    hook = _hp_str(params, "webhook_url", "http://127.0.0.1/webhook", nullable=True)
    ext = _hp_decimal(params, "ext", "12.5", Decimal(0))
    wht = _hp_decimal(params, "wht", "20.0", Decimal(0))
    op = {"name": name, "secret": secret, "timezone_offset": tz, "webhook_url": hook,
          "ext": plain(ext, 1), "wht": plain(wht, 1)}
    OPERATORS[name] = op
    return _operator_answer(op)


def setup_player(params: dict) -> dict:
    _check_params(params, ("balance", "currency", "blocked", "min_stake", "max_stake",
                           "session_expired", "session_expired_seconds_ago", "operator"),
                  "a player exists")
    balance = _hp_decimal(params, "balance", "1000.00", Decimal(0))
    cur = _hp_str(params, "currency", "EUR")
    if not re.match(r"^[A-Z]{3}$", cur):
        raise HookError("param 'currency' must be an ISO 4217 code like 'EUR'")
    blocked = _hp_bool(params, "blocked", False)
    min_stake = _hp_decimal(params, "min_stake", "0.10", Decimal(0))
    max_stake = _hp_decimal(params, "max_stake", "500.00", Decimal(0))
    _hp_bool(params, "session_expired", False)
    _hp_int(params, "session_expired_seconds_ago", 60, 1, 31536000)
    opname = _hp_str(params, "operator", None, nullable=True)
    if opname is None:
        op = setup_operator({})
    else:
        op = OPERATORS.get(opname) or setup_operator({"name": opname})
    uid = f"usr_{_next('user'):04d}{secrets.token_hex(4)}"
    token = "ct-" + secrets.token_urlsafe(18)
    PLAYERS[uid] = {"userId": uid, "customerToken": token, "balance": balance, "currency": cur,
                    "currency_code": currency_code(cur), "blocked": blocked,
                    "min_stake": min_stake, "max_stake": max_stake, "operator": op["name"],
                    "orders": [], "ledger": []}
    TOKENS[token] = uid
    return {"userId": uid, "customerToken": token, "balance": plain(balance), "currency": cur,
            "currency_code": currency_code(cur), "blocked": blocked,
            "min_stake": plain(min_stake), "max_stake": plain(max_stake),
            "operator": _operator_answer(OPERATORS[op["name"]])}


def _make_event(started: bool, markets: list) -> dict:
    eid = _next("event")
    ms = []
    for m in markets:
        ms.append({"market_id": _next("market"), "code": m["code"], "allowed": m["allowed"],
                   "selections": [{"bet_id": _next("bet"), "name": nm, "decimal_price": plain(pr)}
                                  for nm, pr in zip(_sel_names(len(m["prices"])), m["prices"])]})
    ev = {"event_id": eid, "name": "Home v Away", "started": started, "markets": ms}
    EVENTS[eid] = ev
    return ev


def _sel_names(n: int) -> list[str]:
    return ["1", "X", "2"] if n == 3 else [str(i + 1) for i in range(n)]


DEFAULT_MARKETS = [{"code": "1X2", "allowed": True,
                    "prices": [Decimal("1.85"), Decimal("3.40"), Decimal("4.20")]}]


def setup_event(params: dict) -> dict:
    _check_params(params, ("started", "markets"), "an event exists")
    started = _hp_bool(params, "started", False)
    markets = DEFAULT_MARKETS
    if "markets" in params:
        raw = params["markets"]
        if not isinstance(raw, list) or not raw:
            raise HookError("param 'markets' must be a non-empty array")
        markets = []
        for m in raw:
            if not isinstance(m, dict):
                raise HookError("each market must be an object")
            _check_params(m, ("code", "allowed", "prices"), "an event exists (market)")
            if not isinstance(m.get("code"), str):
                raise HookError("market 'code' is required (a string)")
            allowed = _hp_bool(m, "allowed", True)
            prices = m.get("prices", ["1.85", "3.40", "4.20"])
            if not isinstance(prices, list) or not prices:
                raise HookError("market 'prices' must be a non-empty array")
            ps = [_hp_decimal({"price": p}, "price", "0", Decimal(0)) for p in prices]
            markets.append({"code": m["code"], "allowed": allowed, "prices": ps})
    return _make_event(started, markets)


def setup_betcard(params: dict) -> dict:
    _check_params(params, ("events", "prize", "bonus_prizes"), "a jackpot betcard exists")
    n = _hp_int(params, "events", 3, 1, 2 ** 31 - 1)
    if n > 100:
        raise HookError("param 'events' above 100 is not supported by this target")
    prize = _hp_int(params, "prize", 1000000, 0, 2 ** 63 - 1)
    bonus = params.get("bonus_prizes", [10000, 5000])
    if not isinstance(bonus, list) or any(isinstance(b, bool) or not isinstance(b, int) or b < 0
                                          for b in bonus):
        raise HookError("param 'bonus_prizes' must be an array of non-negative integers (cents)")
    code = "JP-" + secrets.token_hex(3)
    card = {"betcard_code": code, "prize": prize, "bonus_prizes": bonus,
            "events": [_make_event(False, DEFAULT_MARKETS) for _ in range(n)]}
    BETCARDS[code] = card
    return card


def snapshot(params: dict) -> dict:
    _check_params(params, ("userId",), "a player snapshot")
    uid = params.get("userId")
    if not isinstance(uid, str):
        raise HookError("param 'userId' is required (a string)")
    p = PLAYERS.get(uid)
    if p is None:
        raise HookError(f"no player with userId '{uid}'")
    return {"userId": uid, "balance": plain(p["balance"]), "currency": p["currency"],
            "orders": [dict(o) for o in p["orders"]], "ledger": [dict(e) for e in p["ledger"]]}


def teardown(state: str, params: dict) -> dict:
    if state == "a player exists":
        uid = params.get("userId")
        if not isinstance(uid, str) and isinstance(params.get("customerToken"), str):
            uid = TOKENS.get(params["customerToken"])
        p = PLAYERS.pop(uid, None) if isinstance(uid, str) else None
        if p is not None:
            TOKENS.pop(p["customerToken"], None)  # its ticketIds stay used
    elif state == "an operator exists":
        name = params.get("name")
        if isinstance(name, str) and not any(p["operator"] == name for p in PLAYERS.values()):
            OPERATORS.pop(name, None)
    elif state == "an event exists":
        eid = params.get("event_id")
        if isinstance(eid, int):
            EVENTS.pop(eid, None)
    elif state == "a jackpot betcard exists":
        code = params.get("betcard_code")
        if isinstance(code, str):
            BETCARDS.pop(code, None)
    return {}


@app.post("/_orderproof/provider-states")
async def provider_states(request: Request) -> Response:
    if not HOOK_ENABLED:
        return Response(status_code=404)
    try:
        req = parse_json(await request.body())
    except (UnicodeDecodeError, ValueError, RecursionError):
        return json_response({"error": "the body must be a JSON object"}, 400)
    if not isinstance(req, dict):
        return json_response({"error": "the body must be a JSON object"}, 400)
    state = req.get("state")
    action = req.get("action", "setup")
    params = req.get("params", {})
    if params is None:
        params = {}
    if state not in STATES:
        return json_response({"error": f"unknown provider state {state!r}; accepted: {list(STATES)}"}, 400)
    if action not in ("setup", "teardown"):
        return json_response({"error": f"unknown action {action!r}; accepted: ['setup', 'teardown']"}, 400)
    if not isinstance(params, dict):
        return json_response({"error": "'params' must be an object"}, 400)
    try:
        with LOCK:
            if action == "teardown":
                return json_response(teardown(state, params), 200)
            handler = {"an operator exists": setup_operator, "a player exists": setup_player,
                       "an event exists": setup_event, "a jackpot betcard exists": setup_betcard,
                       "a player snapshot": snapshot}[state]
            return json_response(_hook_out(handler(params)), 200)
    except HookError as e:
        return json_response({"error": str(e)}, 400)


def _hook_out(o: Any) -> Any:
    """Hook answers carry money as decimal strings; never render a Decimal as a number there."""
    if isinstance(o, dict):
        return {k: _hook_out(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_hook_out(v) for v in o]
    if isinstance(o, Decimal):
        return plain(o)
    return o
