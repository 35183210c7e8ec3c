"""bet-placement (seed 004): an all-or-nothing betslip, ``POST /bet``.

Order of checks (docs/architecture.md): API key -> idempotency key present -> JSON parse ->
missing/null required field -> wrong type or invalid value -> unknown user -> session -> blocked ->
stake limits -> funds. Everything is checked before the first write, so a rejected slip stores
nothing; a placed slip stores every bet as ``pending`` with ``potentialPayout = stake * decimalPrice``
(exact) and debits the balance with one ledger entry per bet, in one transaction.

Every answer goes through the idempotency store (``idempotency.py``): a repeat of the same
``X-Idempotency-Key`` and body gets the first answer byte for byte, PLACED or FAILURE alike.

Every point where a fault or a variation may change what the module does is a named behaviour in
:data:`BEHAVIOUR`; the handlers call it through ``state.behaviour``.

Long module: it is one API's whole service (validation, the seed's order of checks, storage, the
ledger and the snapshot), read top to bottom as a model implementation; split, its one transaction
would be spread over files.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import sqlite3
import time
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from fastapi import APIRouter, Request, Response

from orderproof.reference import idempotency
from orderproof.reference.errors import BadRequest, fingerprint, parse_json
from orderproof.reference.idempotency import Reply
from orderproof.reference.money import decimal_places, json_bytes, text
from orderproof.reference.offload import blocking

log = logging.getLogger("orderproof.reference")

PATH = "/bet"
SCOPE = "bet-placement"

# The seed's error table: error code -> HTTP status.
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
CONFLICT_STATUS = 422      # same idempotency key, another body
IN_FLIGHT_STATUS = 409     # same idempotency key while the first request is still processed

SLIP_FIELDS = ("requestId", "userId", "sessionToken", "timestamp", "bets")
BET_TEXT_FIELDS = (
    "betId", "sportId", "sportName", "sportDisplayName", "eventId", "eventName", "eventDisplayName",
    "eventStage", "competitionId", "competitionName", "competitionDisplayName", "marketTypeId",
    "marketId", "marketName", "marketDisplayName", "marketStage", "selectionId", "selectionName",
    "selectionDisplayName",
)
BET_FIELDS = BET_TEXT_FIELDS + ("decimalPrice", "stake")
STAGES = ("IN_PLAY", "PRE_PLAY")
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
EPOCH_MILLIS = re.compile(r"[0-9]{1,16}")
MIN_PRICE, MAX_PRICE = Decimal(1), Decimal(10000)   # decimalPrice must be > 1 and <= 10000
SESSION_LIFETIME_S = 30 * 60                         # a refreshed session (seed: 30 minutes recommended)

SCHEMA = idempotency.SCHEMA + """
CREATE TABLE IF NOT EXISTS bets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bet_id TEXT NOT NULL,                  -- the provider's betId
    request_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES players(user_id),
    event_id TEXT NOT NULL,
    event_alt_id TEXT,                     -- e.g. a DDE id for golf bets, when given
    market_id TEXT NOT NULL,
    selection_id TEXT NOT NULL,
    stake TEXT NOT NULL,                   -- decimal text, major units
    decimal_price TEXT NOT NULL,
    potential_payout TEXT NOT NULL,        -- stake * decimal_price, exact
    status TEXT NOT NULL,
    placed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (      -- sessions issued by a service that refreshes them
    token TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES players(user_id),
    expires_at REAL NOT NULL               -- unix seconds
);
"""


class Failure(Exception):
    """A documented rejection: ``errorCode``, a message and, for INVALID_STAKE, the failed bets."""

    def __init__(self, code: str, message: str, failed_bets: list[dict] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.failed_bets = code, message, failed_bets


class MissingParameter(Exception):
    def __init__(self, names: list[str]) -> None:
        super().__init__(", ".join(names))
        self.names = names


@dataclass(frozen=True)
class Slip:
    request_id: str
    user_id: str
    session_token: str
    bets: list[dict[str, Any]]             # as received; stake and decimalPrice are Decimal


def failure_body(code: str, message: str | None, failed_bets: list[dict] | None = None) -> bytes:
    """The FAILURE body; ``errorMessage`` is optional (left out when ``message`` is None)."""
    body: dict[str, Any] = {"status": "FAILURE", "errorCode": code}
    if message is not None:
        body["errorMessage"] = message
    if failed_bets:
        body["failedBets"] = failed_bets
    return json_bytes(body)


# --- behaviours: the correct defaults (a fault or a variation replaces some of them) ----------------

def authenticate(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def error_status(code: str) -> int:
    return ERROR_STATUS[code]


def missing_parameter_reply(names: list[str], message: str | None) -> Reply:
    """The answer to missing parameters (``message``: the errorMessage, see :func:`error_message`)."""
    return Reply(ERROR_STATUS["MISSING_PARAMETER"], failure_body("MISSING_PARAMETER", message))


def error_message(code: str, message: str) -> str | None:
    """The errorMessage of a FAILURE (None: no errorMessage); the reference's own texts."""
    return message


def idempotency_key(key: str) -> str | None:
    """The key as stored (keys are case-insensitive), None when it is not a UUID (400 INVALID_BET_DETAILS)."""
    return key.lower() if is_uuid(key) else None


def missing_key(store: Any, behaviour: Any, process: idempotency.Process) -> Reply:
    """A request without X-Idempotency-Key: refused with 400 MISSING_PARAMETER (the IETF draft)."""
    return missing_parameters(behaviour, ["X-Idempotency-Key"])


def same_request(stored_fingerprint: str, fingerprint: str) -> bool:
    """Is a repeat of a key the same request? The same body (fingerprint), else a conflict."""
    return idempotency.same_request(stored_fingerprint, fingerprint)


def key_reused_status() -> int:
    """The HTTP status of a key reused with another body (the IETF draft's 422)."""
    return CONFLICT_STATUS


def text_ok(name: str, text: str) -> bool:
    """A bet's text field ``name`` (an id, a name) is kept whatever its characters (the seed types
    them String)."""
    return True


def has_cents_precision(amount: Decimal) -> bool:
    return decimal_places(amount) <= 2


def unknown_user() -> tuple[str, str]:
    """(errorCode, errorMessage) for a userId the operator does not know."""
    return "INVALID_USER", "unknown userId"


def session_lookup(conn: sqlite3.Connection, player: sqlite3.Row, session_token: str) -> float | None:
    """The expiry (unix seconds) of the player's session named by ``session_token``; None when the
    token is not the player's session (compared in constant time)."""
    same = hmac.compare_digest(player["session_token"].encode(), session_token.encode())
    return player["session_expires_at"] if same else None


def session_valid(expires_at: float | None, now: float) -> bool:
    """A session was found and has not expired."""
    return expires_at is not None and expires_at > now


def request_timed_out(timestamp: str, now: float) -> bool:
    """Whether the slip's ``timestamp`` (epoch milliseconds) makes it a timed-out request: never (the
    page gives REQUEST_TIMED_OUT 503 no meaning)."""
    return False


def answer_session_token(conn: sqlite3.Connection, player: sqlite3.Row, slip: "Slip", now: float) -> str:
    """The sessionToken of a PLACED answer ("Original or refreshed"): the original."""
    return slip.session_token


def check_player(conn: sqlite3.Connection, behaviour: Any, slip: "Slip", now: float) -> sqlite3.Row:
    """The player checks, in the reference's order: unknown user, session, blocked."""
    player = conn.execute("SELECT * FROM players WHERE user_id = ?", (slip.user_id,)).fetchone()
    if player is None:
        raise Failure(*behaviour.bp_unknown_user())
    if not behaviour.bp_session_valid(behaviour.bp_session_lookup(conn, player, slip.session_token), now):
        raise Failure("INVALID_SESSION", "the session token is wrong or expired")
    if behaviour.bp_user_blocked(player):
        raise Failure("USER_BLOCKED", "the player is blocked")
    return player


def user_blocked(player: sqlite3.Row) -> bool:
    return bool(player["blocked"])


def stake_limit_breach(stake: Decimal, min_stake: Decimal, max_stake: Decimal) -> dict | None:
    """The BetFailureReason of a stake outside the player's limits: the value of the limit breached."""
    if stake > max_stake:
        return {"maxStake": max_stake}
    if stake < min_stake:
        return {"minStake": min_stake}
    return None


def own_limit_breach(bet: dict[str, Any]) -> dict | None:
    """The BetFailureReason of a bet within the player's stake limits that breaks a restriction of
    the service's own (the seed's "max liability per market type etc."): None, the reference has none."""
    return None


def funds_cover(balance: Decimal, total_stake: Decimal) -> bool:
    return total_stake <= balance


def potential_payout(stake: Decimal, decimal_price: Decimal) -> Decimal | float:
    """``stake * decimalPrice`` exactly: the context is as precise as the two operands need.
    (A behaviour that answers a float stores it as a double column would: ``repr(value)``.)"""
    digits = len(stake.as_tuple().digits) + len(decimal_price.as_tuple().digits)
    with localcontext(prec=max(28, digits)):
        return stake * decimal_price


def placed_status() -> int:
    """The HTTP status of a PLACED answer: 200, the seed names none."""
    return 200


def bet_status() -> str:
    return "pending"


def debit_amounts(stakes: list[Decimal]) -> list[Decimal]:
    """One debit (and one ledger entry) per bet."""
    return list(stakes)


def insert_bet(conn: sqlite3.Connection, bet: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO bets (bet_id, request_id, user_id, event_id, event_alt_id, market_id, selection_id, stake, "
        "decimal_price, potential_payout, status, placed_at) VALUES (:bet_id, :request_id, :user_id, :event_id, "
        ":event_alt_id, :market_id, :selection_id, :stake, :decimal_price, :potential_payout, :status, :placed_at)",
        bet,
    )


def place_slip(conn: sqlite3.Connection, behaviour: Any, player: sqlite3.Row, slip: Slip) -> None:
    """Check the stake limits of every bet and the funds for the whole slip, then write it all."""
    min_stake, max_stake = Decimal(player["min_stake"]), Decimal(player["max_stake"])
    failed = [
        failed_bet(bet, reason)
        for bet in slip.bets
        if (reason := behaviour.bp_stake_limit_breach(bet["stake"], min_stake, max_stake)
            or behaviour.bp_own_limit_breach(bet))
    ]
    if failed:
        raise Failure("INVALID_STAKE", "one or more stakes are outside the player's limits", failed)
    balance = Decimal(player["balance"])
    if not behaviour.bp_funds_cover(balance, sum((bet["stake"] for bet in slip.bets), Decimal(0))):
        raise Failure("INSUFFICIENT_FUNDS", "the balance does not cover the sum of the stakes")
    for bet in slip.bets:
        behaviour.bp_insert_bet(conn, bet_row(behaviour, slip, bet))
    debit(conn, player, slip, behaviour.bp_debit_amounts([bet["stake"] for bet in slip.bets]))


def replay(row: sqlite3.Row) -> Reply:
    return idempotency.replay_stored(row)


def echo_bet(bet: dict[str, Any]) -> dict[str, Any]:
    return dict(bet)


def answer_uuid(value: str) -> str:
    """A UUID id (requestId) as a PLACED answer writes it: as received."""
    return value


def placed_bets(behaviour: Any, bets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``bets`` of a PLACED answer: every bet of the slip, echoed, in the slip's order."""
    return [behaviour.bp_echo_bet(bet) for bet in bets]


def failed_bets(failed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``failedBets`` of INVALID_STAKE: every offending bet."""
    return failed


def process_document(conn: sqlite3.Connection, behaviour: Any, document: Any) -> Reply:
    """One slip's whole processing, in the reference's order of checks (:func:`process`)."""
    return process(conn, behaviour, document)


BEHAVIOUR = {
    "bp_authenticate": authenticate,
    "bp_failure_body": failure_body,
    "bp_error_status": error_status,
    "bp_error_message": error_message,
    "bp_missing_parameter_reply": missing_parameter_reply,
    "bp_idempotency_key": idempotency_key,
    "bp_missing_key": missing_key,
    "bp_same_request": same_request,
    "bp_key_reused_status": key_reused_status,
    "bp_has_cents_precision": has_cents_precision,
    "bp_text_ok": text_ok,
    "bp_check_player": check_player,
    "bp_unknown_user": unknown_user,
    "bp_session_lookup": session_lookup,
    "bp_session_valid": session_valid,
    "bp_answer_session_token": answer_session_token,
    "bp_request_timed_out": request_timed_out,
    "bp_user_blocked": user_blocked,
    "bp_stake_limit_breach": stake_limit_breach,
    "bp_own_limit_breach": own_limit_breach,
    "bp_funds_cover": funds_cover,
    "bp_potential_payout": potential_payout,
    "bp_placed_status": placed_status,
    "bp_bet_status": bet_status,
    "bp_debit_amounts": debit_amounts,
    "bp_insert_bet": insert_bet,
    "bp_place_slip": place_slip,
    "bp_echo_bet": echo_bet,
    "bp_placed_bets": placed_bets,
    "bp_answer_uuid": answer_uuid,
    "bp_failed_bets": failed_bets,
    "bp_process": process_document,
    "bp_idempotent_call": idempotency.claim_then_process,
    "bp_replay": replay,
}


# --- helpers ---------------------------------------------------------------------------------------

def failed_bet(bet: dict[str, Any], reason: dict) -> dict[str, Any]:
    return {key: bet[key] for key in ("betId", "sportId", "eventId", "marketId", "selectionId")} | {"reason": reason}


def bet_row(behaviour: Any, slip: Slip, bet: dict[str, Any]) -> dict[str, Any]:
    return {
        "bet_id": bet["betId"],
        "request_id": slip.request_id,
        "user_id": slip.user_id,
        "event_id": bet["eventId"],
        "event_alt_id": bet.get("eventAltId"),
        "market_id": bet["marketId"],
        "selection_id": bet["selectionId"],
        "stake": text(bet["stake"]),
        "decimal_price": text(bet["decimalPrice"]),
        "potential_payout": payout_text(behaviour.bp_potential_payout(bet["stake"], bet["decimalPrice"])),
        "status": behaviour.bp_bet_status(),
        "placed_at": time.time(),
    }


def payout_text(payout: Decimal | float) -> str:
    """The stored text of a payout: a Decimal's exact digits, a float's shortest repr (a double column)."""
    return repr(payout) if isinstance(payout, float) else text(payout)


def payout_json(payout: Decimal | float) -> Decimal:
    """A payout as an exact JSON number (a float by its shortest repr)."""
    return Decimal(repr(payout)) if isinstance(payout, float) else payout


def missing_parameters(behaviour: Any, names: list[str]) -> Reply:
    message = behaviour.bp_error_message("MISSING_PARAMETER", f"missing required parameter(s): {', '.join(names)}")
    return behaviour.bp_missing_parameter_reply(names, message)


def failure_reply(behaviour: Any, code: str, message: str, failed: list[dict] | None = None,
                  status: int | None = None) -> Reply:
    """A FAILURE answer: the table's status for ``code`` (unless ``status``), the service's message."""
    return Reply(status or behaviour.bp_error_status(code),
                 behaviour.bp_failure_body(code, behaviour.bp_error_message(code, message), failed))


def debit(conn: sqlite3.Connection, player: sqlite3.Row, slip: Slip, amounts: list[Decimal]) -> None:
    balance = Decimal(player["balance"])
    for bet, amount in zip(slip.bets, amounts):
        balance -= amount
        conn.execute(
            "INSERT INTO ledger (user_id, amount, balance_after, reason, reference, created) "
            "VALUES (?, ?, ?, 'bet-placement', ?, ?)",
            (slip.user_id, text(-amount), text(balance), bet["betId"], time.time()),
        )
    conn.execute("UPDATE players SET balance = ? WHERE user_id = ?", (text(balance), slip.user_id))


def is_uuid(value: Any) -> bool:
    """The hyphenated form of JSON Schema's ``format: uuid`` (``uuid.UUID`` also takes other forms)."""
    return isinstance(value, str) and UUID.fullmatch(value) is not None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, Decimal)) and not isinstance(value, bool)


def read_slip(document: Any, behaviour: Any) -> Slip:
    """The validated slip; raises MissingParameter or Failure(INVALID_BET_DETAILS)."""
    if not isinstance(document, dict):
        raise Failure("INVALID_BET_DETAILS", "the request body must be a JSON object")
    missing = [name for name in SLIP_FIELDS if document.get(name) is None]
    bets = document.get("bets")
    if isinstance(bets, list):
        missing += [
            f"bets[{i}].{name}"
            for i, bet in enumerate(bets) if isinstance(bet, dict)
            for name in BET_FIELDS if bet.get(name) is None
        ]
    if missing:
        raise MissingParameter(missing)

    def invalid(message: str) -> Failure:
        return Failure("INVALID_BET_DETAILS", message)

    if not is_uuid(document["requestId"]):
        raise invalid("requestId must be a UUID string")
    for name in ("userId", "sessionToken"):
        if not isinstance(document[name], str):
            raise invalid(f"{name} must be a string")
    if not (isinstance(document["timestamp"], str) and EPOCH_MILLIS.fullmatch(document["timestamp"])):
        raise invalid("timestamp must be a string of epoch milliseconds")
    if not isinstance(bets, list) or not bets:
        raise invalid("bets must be a non-empty array of BetDetails")
    for i, bet in enumerate(bets):
        if not isinstance(bet, dict):
            raise invalid(f"bets[{i}] must be an object")
        for name in BET_TEXT_FIELDS:
            if not isinstance(bet[name], str):
                raise invalid(f"bets[{i}].{name} must be a string")
        if bet.get("eventAltId") is not None and not isinstance(bet["eventAltId"], str):
            raise invalid(f"bets[{i}].eventAltId must be a string")
        for name in (*BET_TEXT_FIELDS, "eventAltId"):
            if bet.get(name) is not None and not behaviour.bp_text_ok(name, bet[name]):
                raise invalid(f"bets[{i}].{name} holds characters this service does not keep")
        if not is_uuid(bet["betId"]):
            raise invalid(f"bets[{i}].betId must be a UUID string")
        for name in ("eventStage", "marketStage"):
            if bet[name] not in STAGES:
                raise invalid(f"bets[{i}].{name} must be one of {', '.join(STAGES)}")
        stake, price = bet["stake"], bet["decimalPrice"]
        if not is_number(stake) or not is_number(price):
            raise invalid(f"bets[{i}].stake and decimalPrice must be JSON numbers")
        stake, price = Decimal(stake), Decimal(price)
        if stake <= 0 or not behaviour.bp_has_cents_precision(stake):
            raise invalid(f"bets[{i}].stake must be positive with at most 2 decimals")
        if not MIN_PRICE < price <= MAX_PRICE:
            raise invalid(f"bets[{i}].decimalPrice must be greater than {MIN_PRICE} and at most {MAX_PRICE}")
        bet["stake"], bet["decimalPrice"] = stake, price
    return Slip(document["requestId"], document["userId"], document["sessionToken"], bets)


def process(conn: sqlite3.Connection, behaviour: Any, document: Any) -> Reply:
    """Validate, check and place one slip inside the request's transaction."""
    try:
        if isinstance(document, BadRequest):
            raise Failure("INVALID_BET_DETAILS", str(document))
        slip = read_slip(document, behaviour)
        now = time.time()
        if behaviour.bp_request_timed_out(document["timestamp"], now):
            raise Failure("REQUEST_TIMED_OUT", "the request's timestamp is too far from now")
        player = behaviour.bp_check_player(conn, behaviour, slip, now)
        behaviour.bp_place_slip(conn, behaviour, player, slip)
    except MissingParameter as missing:
        return missing_parameters(behaviour, missing.names)
    except Failure as failure:
        failed = behaviour.bp_failed_bets(failure.failed_bets) if failure.failed_bets else failure.failed_bets
        return failure_reply(behaviour, failure.code, failure.message, failed)
    placed = {
        "requestId": behaviour.bp_answer_uuid(slip.request_id),
        "userId": slip.user_id,
        "sessionToken": behaviour.bp_answer_session_token(conn, player, slip, now),
        "timestamp": str(time.time_ns() // 1_000_000),
        "status": "PLACED",
        "bets": behaviour.bp_placed_bets(behaviour, slip.bets),
    }
    return Reply(behaviour.bp_placed_status(), json_bytes(placed))


def handle(state: Any, headers: Any, raw: bytes) -> Reply:
    behaviour = state.behaviour

    def failure(code: str, message: str, status: int | None = None) -> Reply:
        return failure_reply(behaviour, code, message, status=status)

    if not behaviour.bp_authenticate(headers.get("x-api-key"), state.api_key):
        return failure("AUTHENTICATION_FAILED", "missing or wrong X-API-Key")
    try:   # reading the body answers nothing by itself: a BadRequest is answered by process()
        document: Any = parse_json(raw, headers.get("content-type"))
        body_fingerprint = fingerprint(document)
    except BadRequest as bad:
        document, body_fingerprint = bad, hashlib.sha256(raw).hexdigest()

    def run(conn: sqlite3.Connection) -> Reply:
        return behaviour.bp_process(conn, behaviour, document)

    given = headers.get("x-idempotency-key")
    if not given or not given.strip():
        return behaviour.bp_missing_key(state.store, behaviour, run)
    key = behaviour.bp_idempotency_key(given)
    if key is None:
        return failure("INVALID_BET_DETAILS", "X-Idempotency-Key must be a UUID")
    outcome = behaviour.bp_idempotent_call(
        state.store, SCOPE, key, body_fingerprint, run,
        replay=behaviour.bp_replay, matches=behaviour.bp_same_request,
    )
    if outcome.kind == "conflict":
        return failure("INVALID_BET_DETAILS", "this X-Idempotency-Key was used with another request body",
                       behaviour.bp_key_reused_status())
    if outcome.kind == "in-flight":
        return failure("INVALID_BET_DETAILS", "a request with this X-Idempotency-Key is still being processed; retry later", IN_FLIGHT_STATUS)
    return outcome.reply


router = APIRouter()


@router.post(PATH)
async def place_bets(request: Request) -> Response:
    raw = await request.body()
    try:
        reply = await blocking(request, handle, request.app.state, request.headers, raw)
    except Exception:
        log.exception("bet-placement: unexpected error")
        reply = Reply(ERROR_STATUS["GENERAL_EXCEPTION"], failure_body("GENERAL_EXCEPTION", "unexpected server error"))
    return Response(reply.body, status_code=reply.status, media_type="application/json")


def snapshot(conn: sqlite3.Connection, user_id: str) -> dict[str, Any]:
    rows = conn.execute("SELECT * FROM bets WHERE user_id = ? ORDER BY id", (user_id,)).fetchall()
    return {
        "bets": [
            {
                "betId": row["bet_id"],
                "requestId": row["request_id"],
                "eventId": row["event_id"],
                "marketId": row["market_id"],
                "selectionId": row["selection_id"],
                "stake": row["stake"],
                "decimalPrice": row["decimal_price"],
                "potentialPayout": row["potential_payout"],
                "status": row["status"],
            }
            for row in rows
        ]
    }
