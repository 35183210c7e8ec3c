"""The provider-state hook: ``POST /_orderproof/provider-states`` (Pact's convention).

A test names a state in plain English (``{"state": "a player exists", "params": {...}}``) and the
reference creates it and answers with what it created: ids, tokens, the API key. "a player snapshot"
is read-only: the balance and everything stored for a player, merged from the ``snapshot()`` of
every API module. Secrets are random per call (``secrets.token_urlsafe``); only the non-secret
parameters have defaults. The hook is for test environments only and is off with
``create_app(provider_states=False)`` (404).
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request, Response

from orderproof.core.paths import PROVIDER_STATES_PATH
from orderproof.reference.errors import BadRequest, parse_json
from orderproof.reference.money import (
    CENT,
    decimal_places,
    json_bytes,
    text,
    to_decimal,
)
from orderproof.reference.offload import blocking

SESSION_LIFETIME_S = 30 * 60
DEFAULT_MARKETS = [{"code": "1X2", "allowed": True, "prices": ["1.85", "3.40", "4.20"]}]
SNAPSHOT_LISTS = ("bets", "orders", "tickets", "travel_orders")
OFFSET = re.compile(r"^([+-])([01][0-9]|2[0-3]):([0-5][0-9])$")


class BadParams(ValueError):
    """A parameter the state cannot use: answered 400 with this message."""


class Params:
    """Typed access to a state's params, with the documented defaults."""

    def __init__(self, params: dict[str, Any], known: tuple[str, ...] | None = None) -> None:
        self.params = params
        unknown = sorted(set(params) - set(known)) if known is not None else []
        if unknown:
            raise BadParams(f"unknown param(s) {', '.join(unknown)}; this state takes: {', '.join(known)}")

    def has(self, name: str) -> bool:
        return name in self.params

    def money(self, name: str, default: str) -> Decimal:
        value = self.params.get(name, default)
        try:
            amount = to_decimal(value)
        except ValueError as exc:
            raise BadParams(f"{name}: {exc}") from None
        if amount < 0 or decimal_places(amount) > 2:
            raise BadParams(f"{name} must be a non-negative amount with at most 2 decimals, got {value!r}")
        return amount.quantize(CENT)

    def percent(self, name: str, default: str) -> Decimal:
        try:
            value = to_decimal(self.params.get(name, default))
        except ValueError as exc:
            raise BadParams(f"{name}: {exc}") from None
        if not 0 <= value < 100:
            raise BadParams(f"{name} must be a percentage from 0 to below 100")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.params.get(name, default)
        if not isinstance(value, bool):
            raise BadParams(f"{name} must be true or false, got {value!r}")
        return value

    def string(self, name: str, default: str | None, *, nullable: bool = False) -> str | None:
        value = self.params.get(name, default)
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value:
            raise BadParams(f"{name} must be a non-empty string, got {value!r}")
        return value

    def integer(self, name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
        value = self.params.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
                maximum is not None and value > maximum):
            bounds = f">= {minimum}" if maximum is None else f"from {minimum} to {maximum}"
            raise BadParams(f"{name} must be an integer {bounds}, got {value!r}")
        return value


# --- operators --------------------------------------------------------------------------------------

def _offset_minutes(offset: str) -> int:
    match = OFFSET.match(offset)
    if not match:
        raise BadParams(f"timezone_offset must look like '+02:00', got {offset!r}")
    sign, hours, minutes = match.groups()
    return (-1 if sign == "-" else 1) * (int(hours) * 60 + int(minutes))


def _offset_text(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def operator_answer(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "name": row["name"],
        "secret": row["secret"],
        "timezone_offset": _offset_text(row["timezone_offset_minutes"]),
        "webhook_url": row["webhook_url"],
        "ext": row["ext"],
        "wht": row["wht"],
    }


DEFAULT_TIMEZONE_OFFSET = "+02:00"


def default_timezone_offset(app: Any) -> str:
    """The offset of an operator created without one: the ticket engine's behaviour
    ``ticket_default_timezone_offset`` (a variation may change it), else ``+02:00``."""
    behaviour = getattr(app.state, "behaviour", None)
    if behaviour is not None and "ticket_default_timezone_offset" in behaviour:
        return behaviour.ticket_default_timezone_offset()
    return DEFAULT_TIMEZONE_OFFSET


def create_operator(conn: sqlite3.Connection, params: Params,
                    default_offset: str = DEFAULT_TIMEZONE_OFFSET) -> dict[str, Any]:
    name = params.string("name", f"operator-{secrets.token_hex(4)}")
    if conn.execute("SELECT 1 FROM operators WHERE name = ?", (name,)).fetchone():
        raise BadParams(f"operator {name!r} already exists")
    conn.execute(
        "INSERT INTO operators (name, secret, timezone_offset_minutes, webhook_url, ext, wht) VALUES (?, ?, ?, ?, ?, ?)",
        (
            name,
            params.string("secret", secrets.token_urlsafe(32)),
            _offset_minutes(params.string("timezone_offset", default_offset)),
            params.string("webhook_url", "http://127.0.0.1/webhook", nullable=True),
            text(params.percent("ext", "12.5")),
            text(params.percent("wht", "20.0")),
        ),
    )
    return operator_answer(conn.execute("SELECT * FROM operators WHERE name = ?", (name,)).fetchone())


def an_operator_exists(app: Any, conn: sqlite3.Connection, params: Params) -> dict[str, Any]:
    return create_operator(conn, params, default_timezone_offset(app))


# --- players ----------------------------------------------------------------------------------------

def a_player_exists(app: Any, conn: sqlite3.Connection, params: Params) -> dict[str, Any]:
    balance = params.money("balance", "1000.00")
    min_stake, max_stake = params.money("min_stake", "0.10"), params.money("max_stake", "500.00")
    if min_stake > max_stake:
        raise BadParams(f"min_stake {min_stake} is above max_stake {max_stake}")
    currency = params.string("currency", "EUR")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise BadParams(f"currency must be an ISO 4217 code like 'EUR', got {currency!r}")
    blocked = params.boolean("blocked", False)
    expired = params.boolean("session_expired", False)
    expired_ago = params.integer("session_expired_seconds_ago", 60, minimum=1, maximum=31_536_000)
    operator_name = params.string("operator", None, nullable=True)
    row = operator_name and conn.execute("SELECT * FROM operators WHERE name = ?", (operator_name,)).fetchone()
    operator = operator_answer(row) if row else create_operator(
        conn, Params({"name": operator_name} if operator_name else {}), default_timezone_offset(app))

    player = {
        "userId": f"user-{secrets.token_hex(6)}",
        "sessionToken": secrets.token_urlsafe(24),
        "token": secrets.token_urlsafe(24),
        "customerToken": secrets.token_urlsafe(24),
        "memberid": conn.execute("SELECT COALESCE(MAX(memberid), 100000) + 1 FROM players").fetchone()[0],
    }
    conn.execute(
        "INSERT INTO players (user_id, session_token, session_expires_at, token, customer_token, memberid, "
        "operator, balance, currency, blocked, min_stake, max_stake) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            player["userId"], player["sessionToken"],
            time.time() + (-expired_ago if expired else SESSION_LIFETIME_S),
            player["token"], player["customerToken"], player["memberid"], operator["name"],
            text(balance), currency, int(blocked), text(min_stake), text(max_stake),
        ),
    )
    return player | {
        "memberid": str(player["memberid"]),
        "balance": text(balance),
        "currency": currency,
        "blocked": blocked,
        "min_stake": text(min_stake),
        "max_stake": text(max_stake),
        "apiKey": app.state.api_key,
        "operator": operator,
    }


# --- events and betcards -----------------------------------------------------------------------------

def _markets(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not value:
        raise BadParams("markets must be a non-empty list of {code, allowed, prices}")
    markets = []
    for i, market in enumerate(value):
        if not isinstance(market, dict):
            raise BadParams(f"markets[{i}] must be an object")
        fields = Params(market, ("code", "allowed", "prices"))
        prices = market.get("prices")
        if not isinstance(prices, list) or not prices:
            raise BadParams(f"markets[{i}].prices must be a non-empty list of decimal odds")
        try:
            odds = [to_decimal(price) for price in prices]
        except ValueError as exc:
            raise BadParams(f"markets[{i}].prices: {exc}") from None
        if any(price <= 1 for price in odds):
            raise BadParams(f"markets[{i}].prices must all be greater than 1")
        markets.append({"code": fields.string("code", None), "allowed": fields.boolean("allowed", True), "prices": odds})
    return markets


def create_event(conn: sqlite3.Connection, started: bool, markets: list[dict[str, Any]]) -> dict[str, Any]:
    event_id = conn.execute("INSERT INTO events (name, started) VALUES ('', ?)", (int(started),)).lastrowid
    name = f"Home {event_id} vs Away {event_id}"
    conn.execute("UPDATE events SET name = ? WHERE event_id = ?", (name, event_id))
    answer_markets = []
    for market in markets:
        market_id = conn.execute(
            "INSERT INTO markets (event_id, code, allowed) VALUES (?, ?, ?)",
            (event_id, market["code"], int(market["allowed"])),
        ).lastrowid
        names = ["1", "X", "2"] if market["code"] == "1X2" and len(market["prices"]) == 3 else [
            f"Selection {i}" for i in range(1, len(market["prices"]) + 1)
        ]
        selections = []
        for selection_name, price in zip(names, market["prices"]):
            bet_id = conn.execute(
                "INSERT INTO selections (market_id, event_id, name, decimal_price) VALUES (?, ?, ?, ?)",
                (market_id, event_id, selection_name, text(price)),
            ).lastrowid
            selections.append({"bet_id": bet_id, "name": selection_name, "decimal_price": text(price)})
        answer_markets.append(
            {"market_id": market_id, "code": market["code"], "allowed": market["allowed"], "selections": selections}
        )
    return {"event_id": event_id, "name": name, "started": started, "markets": answer_markets}


def an_event_exists(app: Any, conn: sqlite3.Connection, params: Params) -> dict[str, Any]:
    return create_event(conn, params.boolean("started", False), _markets(params.params.get("markets", DEFAULT_MARKETS)))


def a_jackpot_betcard_exists(app: Any, conn: sqlite3.Connection, params: Params) -> dict[str, Any]:
    count = params.integer("events", 3, minimum=1)
    prize = params.integer("prize", 1_000_000)
    bonus = params.params.get("bonus_prizes", [10_000, 5_000])
    if not isinstance(bonus, list) or any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in bonus):
        raise BadParams("bonus_prizes must be a list of non-negative integer cents")
    events = [create_event(conn, False, _markets(DEFAULT_MARKETS)) for _ in range(count)]
    code = f"BC-{secrets.token_hex(4).upper()}"
    conn.execute(
        "INSERT INTO betcards (code, prize, bonus_prizes, event_ids) VALUES (?, ?, ?, ?)",
        (code, prize, json.dumps(bonus), json.dumps([event["event_id"] for event in events])),
    )
    return {"betcard_code": code, "prize": prize, "bonus_prizes": bonus, "events": events}


# --- the snapshot -------------------------------------------------------------------------------------

def a_player_snapshot(app: Any, conn: sqlite3.Connection, params: Params) -> dict[str, Any]:
    user_id = params.string("userId", None)
    player = conn.execute("SELECT * FROM players WHERE user_id = ?", (user_id,)).fetchone()
    if player is None:
        raise BadParams(f"no player with userId {user_id!r}")
    answer: dict[str, Any] = {"userId": user_id, "balance": player["balance"], "currency": player["currency"]}
    answer |= {name: [] for name in SNAPSHOT_LISTS}
    for contribute in app.state.snapshot_providers:
        answer |= contribute(conn, user_id)
    answer["ledger"] = [
        {key: row[key] for key in ("entry_id", "amount", "balance_after", "reason", "reference")}
        for row in conn.execute("SELECT * FROM ledger WHERE user_id = ? ORDER BY entry_id", (user_id,))
    ]
    return answer


PARAMS = {   # the params each state takes (others are refused with 400)
    "an operator exists": ("name", "secret", "timezone_offset", "webhook_url", "ext", "wht"),
    "a player exists": ("balance", "currency", "blocked", "min_stake", "max_stake", "session_expired",
                        "session_expired_seconds_ago", "operator"),
    "an event exists": ("started", "markets"),
    "a jackpot betcard exists": ("events", "prize", "bonus_prizes"),
    "a player snapshot": ("userId",),
}
STATES: dict[str, Callable[[Any, sqlite3.Connection, Params], dict[str, Any]]] = {
    "an operator exists": an_operator_exists,
    "a player exists": a_player_exists,
    "an event exists": an_event_exists,
    "a jackpot betcard exists": a_jackpot_betcard_exists,
    "a player snapshot": a_player_snapshot,
}
READ_ONLY = {"a player snapshot"}


def _error(message: str) -> Response:
    return Response(json_bytes({"error": message}), status_code=400, media_type="application/json")


def _run(app: Any, name: str, params: Params) -> dict[str, Any]:
    store = app.state.store
    with (store.read() if name in READ_ONLY else store.transaction()) as conn:
        return STATES[name](app, conn, params)


router = APIRouter()


@router.post(PROVIDER_STATES_PATH, include_in_schema=False)
async def provider_state(request: Request) -> Response:
    try:
        document = parse_json(await request.body(), request.headers.get("content-type"))
    except BadRequest as bad:
        return _error(str(bad))
    if not isinstance(document, dict) or not isinstance(document.get("state"), str):
        return _error('the body must be {"state": str, "params": {...}, "action": "setup"|"teardown"}')
    name, params, action = document["state"], document.get("params"), document.get("action", "setup")
    params = {} if params is None else params
    if name not in STATES:
        return _error(f"unknown provider state {name!r}; known states: {', '.join(STATES)}")
    if not isinstance(params, dict):
        return _error("params must be an object")
    if action not in ("setup", "teardown"):
        return _error(f"action must be 'setup' or 'teardown', got {action!r}")
    if action == "teardown":   # every state is additive and isolated by fresh ids: nothing to undo
        return Response(b"{}", media_type="application/json")
    try:
        answer = await blocking(request, _run, request.app, name, Params(params, PARAMS[name]))
    except BadParams as bad:
        return _error(str(bad))
    return Response(json_bytes(answer), media_type="application/json")
