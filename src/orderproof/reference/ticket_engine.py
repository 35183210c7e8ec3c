"""The ticket engine: jackpot-ticket (seed 001, ``POST /be/tickets``) and superbet-reserve
(seed 003, ``POST /be/tickets/reserve``).

Order of checks (docs/architecture.md): body or headers invalid -> 422 ``{"detail": [...]}``;
``operator-name`` header differs from the body's ``operator`` -> 400 code 115; unknown operator ->
112; bad signature -> 403; unknown player token -> 403; operator without webhook URL -> 114; then the
business errors: unknown event 103, bet/market not found 106, event started 107, market not allowed
116; jackpot only: unknown betcard 118, odds moved beyond ``odds_diff`` 117.

Money is integer cents and ``Decimal`` arithmetic: ``stake = round_half_up(price / (1 + ext/100))``,
``ext_amount = price - stake``; jackpot ``odds`` is the exact product of the submitted odds,
``gross = round_half_up(stake * odds)``, ``wht_amount = round_half_up((gross - stake) * wht / 100)``,
``net = gross - wht_amount``; a superbet reservation pays nothing yet (0, 0, 0). A ticket is stored
in one transaction; a rejected one stores nothing. Tickets do not move balances.

Every point a fault or a variation may change is a function in :data:`BEHAVIOUR`; handlers call it
through ``request.app.state.behaviour``.

Long module: one engine serves both APIs (one validation path, one signature check, one money
computation, one store); split per API, the shared order of checks would be written twice.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    localcontext,
)
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import PydanticCustomError

from orderproof.apis.ticket_engine.signing import verify_ticket_signature
from orderproof.reference.money import json_bytes, round_half_up

router = APIRouter()

INT64_MAX = 2**63 - 1
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
CODE_ALPHABET = string.ascii_uppercase + string.digits

# Arithmetic contexts: a wide exponent range so that no JSON literal (1e400, 1e-999999) can raise,
# 60 digits for the tax arithmetic on int64 cents, unlimited digits for the exact odds product.
_CTX = Context(prec=60, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)
_EXACT = Context(prec=MAX_PREC, rounding=ROUND_HALF_EVEN, Emax=MAX_EMAX, Emin=MIN_EMIN)

SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    id TEXT PRIMARY KEY,                    -- 24 hex characters
    code TEXT NOT NULL UNIQUE,              -- 6 upper-case alphanumerics
    type TEXT NOT NULL,                     -- 'jackpot' | 'superbet'
    user_id TEXT NOT NULL REFERENCES players(user_id),
    operator TEXT NOT NULL REFERENCES operators(name),
    price INTEGER NOT NULL,                 -- cents
    stake INTEGER NOT NULL,
    ext_amount INTEGER NOT NULL,
    gross_payout INTEGER NOT NULL,
    net_payout INTEGER NOT NULL,
    wht_amount INTEGER NOT NULL,
    ext TEXT NOT NULL,                      -- percent, decimal text
    wht TEXT NOT NULL,
    odds TEXT,                              -- jackpot: exact product (decimal text)
    currency TEXT NOT NULL,
    source TEXT NOT NULL,
    atag TEXT,
    status TEXT NOT NULL,
    result TEXT NOT NULL,
    approved INTEGER NOT NULL,
    betcard_code TEXT,
    selections TEXT NOT NULL,               -- JSON: the events/bets of the ticket
    created TEXT NOT NULL,                  -- UTC, TIME_FORMAT
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tickets_user ON tickets(user_id);
"""


# --- behaviour: every point a fault may change --------------------------------------------------

def fits_int64(value: int | Decimal) -> bool:
    """Ids and cents (given or computed) are SQLite INTEGERs: signed 64 bits (JT/SR-NO-5XX)."""
    return -INT64_MAX - 1 <= value <= INT64_MAX


def operator_header_matches(header: str, body_operator: str) -> bool:
    """Code 115 unless the ``operator-name`` header equals the body's ``operator``."""
    return header == body_operator


SOURCES = ("desktop", "mobile", "android", "iphone", "ussd", "sms", "telegram")


def source_known(source: str) -> bool:
    """A ticket's source is one of the provider's (its Fields page, which the seeds do not include)."""
    return source in SOURCES


def atag_ok(atag: str) -> bool:
    """Any affiliate tag is kept (the pages give it no charset or length)."""
    return True


def limits(headers: Any, body: Any) -> list[dict[str, Any]]:
    """Validation details of a request within the model but beyond limits of the service's own: none
    (the reference holds no maximum price and no length of an operator's name)."""
    return []


def check_signature(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return verify_ticket_signature(secret, timestamp, body, signature)


def compare_operators(behaviour: Any, headers: "Headers", body: "_TicketRequest") -> None:
    """400 code 115 unless the operator-name header names the body's operator."""
    if not behaviour.ticket_operator_header_matches(headers.operator_name, body.operator):
        raise _error(115, "Operators in request body and in request header are not identical")


def operator_and_signature(conn: sqlite3.Connection, behaviour: Any, headers: "Headers", body: "_TicketRequest",
                           raw: bytes) -> sqlite3.Row:
    """The operator-name header compared with the body's operator first (differs: 400 code 115), the
    body's operator looked up (unknown: 400 code 112), then the signature checked with its secret
    (bad: 403)."""
    compare_operators(behaviour, headers, body)
    operator = conn.execute("SELECT * FROM operators WHERE name = ?", (body.operator,)).fetchone()
    if operator is None:
        raise _error(112, f"Operator with `{body.operator}` name is not found")
    if not behaviour.ticket_check_signature(operator["secret"], headers.timestamp, raw, headers.signature):
        raise FORBIDDEN
    return operator


def request_defaults(data: Any, ticket_type: str, headers: Mapping[str, str]) -> Any:
    """The parsed body of a ``ticket_type`` ticket before validation, given the request's credential
    ``headers`` as sent: nothing is filled in (a missing required field is a 422)."""
    return data


def inclusive_excise(price: int, ext: Decimal) -> tuple[int, int]:
    """(stake, ext_amount): the excise tax is included in the price."""
    with localcontext(_CTX):
        stake = int(round_half_up(Decimal(price) / (1 + ext / 100)))
    return stake, price - stake


def odds_product(odds: list[Decimal]) -> Decimal:
    """The exact product of the submitted odds (no digit is lost)."""
    product = Decimal(1)
    with localcontext(_EXACT):
        for value in odds:
            product *= value
    return product


def jackpot_odds(submitted: list[Decimal], current: list[Decimal]) -> list[Decimal]:
    """The odds the ticket's odds multiply: the ones the player submitted (accepted within odds_diff)."""
    return submitted


def odds_within(submitted: Decimal, current: Decimal, odds_diff: Decimal) -> bool:
    """Accepted when the odds moved by at most ``odds_diff`` (0: not at all)."""
    with localcontext(_CTX):
        return abs(submitted - current) <= odds_diff


def jackpot_gross(stake: int, odds: Decimal, prize: int) -> int:
    """gross_payout of a new jackpot ticket: the potential payout ``round_half_up(stake * odds)``
    (``stake * odds`` must already be known to fit, see the handler)."""
    with localcontext(_EXACT):
        exact_gross = stake * odds
    with localcontext(_CTX):
        return int(round_half_up(exact_gross))


def payout_from_gross(stake: int, gross: int, wht: Decimal) -> tuple[int, int, int]:
    """(gross_payout, wht_amount, net_payout): the withholding tax is wht percent of the winnings
    (``gross - stake``, never below 0) and the net payout what is left."""
    with localcontext(_CTX):
        wht_amount = max(0, int(round_half_up((gross - stake) * wht / 100)))
    return gross, wht_amount, gross - wht_amount


def jackpot_payout(stake: int, odds: Decimal, wht: Decimal) -> tuple[int, int, int]:
    """(gross_payout, wht_amount, net_payout) of the reference's defaults (DOMAIN.md's example)."""
    return payout_from_gross(stake, jackpot_gross(stake, odds, 0), wht)


def reserve_payout(stake: int) -> tuple[int, int, int]:
    """(gross_payout, wht_amount, net_payout) of a reservation: always 0."""
    return 0, 0, 0


def reserve_status() -> str:
    return "reserved"


def jackpot_currency(requested: str, player_currency: str) -> str:
    """The ticket is in the currency the request names."""
    return requested


def reserve_currency(requested: str, player_currency: str) -> str:
    """The reservation is in the currency the request names."""
    return requested


def echo_atag(atag: str | None) -> str | None:
    return atag


def operator_times(created: datetime, updated: datetime, offset_minutes: int) -> tuple[datetime, datetime]:
    """(operator_time_created, operator_time_updated): the same instants in the operator's zone."""
    offset = timedelta(minutes=offset_minutes)
    return created + offset, updated + offset


def started_event_error(event_id: int) -> tuple[int, str]:
    return 107, f"Event with `{event_id}` identifier is not available for play because it has already started"


def unknown_event_error(ticket_type: str, event_id: int) -> tuple[int, str]:
    """(code, message) of an event the engine does not know, for a ticket of ``ticket_type``."""
    return 103, f"Event with `{event_id}` identifier is not found"


# A bet with its price and its market's code and whether the market is allowed.
SELECTION = ("SELECT s.bet_id, s.decimal_price, m.code, m.allowed FROM selections s"
             " JOIN markets m ON m.market_id = s.market_id")


def find_selection(conn: sqlite3.Connection, event_id: int, bet_id: int) -> sqlite3.Row | None:
    """The event's bet ``bet_id`` (:data:`SELECTION`), or None."""
    return conn.execute(f"{SELECTION} WHERE s.bet_id = ? AND s.event_id = ?", (bet_id, event_id)).fetchone()


def unknown_bet_refusal(ticket_type: str, bet_id: int) -> Rejection | None:
    """The refusal of a bet id the event does not have: 400 code 106 (the page's nearest error, whose
    message names the bet's market). None would leave the bet out of the ticket (a fault's)."""
    return _error(106, f"Market for bet with `{bet_id}` identifier is not found")


def closed_market(selections: list[sqlite3.Row]) -> sqlite3.Row | None:
    """The first of the ticket's bets whose market is not allowed, if any."""
    return next((row for row in selections if not row["allowed"]), None)


JACKPOT_ERRORS = {   # not in the seed excerpt (the jackpot page lost its list): the reference's codes
    "unknown betcard": (118, "Betcard with `{}` code is not found"),
    "odds changed": (117, "Ticket odds changed"),
}


def jackpot_error(kind: str, detail: Any) -> tuple[int, str]:
    """(code, message) of the jackpot-only errors: ``unknown betcard`` and ``odds changed``."""
    code, message = JACKPOT_ERRORS[kind]
    return code, message.format(detail)


def cents_json(cents: int) -> Any:
    """How a cents amount is written in JSON: an integer."""
    return cents


def jackpot_fields(ticket: dict[str, Any]) -> dict[str, Any]:
    """The jackpot answer's field names, as the spec lists them."""
    return ticket


def odds_json(odds: Decimal) -> Decimal:
    """The jackpot odds as answered: exactly (``13.209``), with at least one decimal (``4.0``)."""
    return _number_json(odds)


def reserve_wht_json(wht: Decimal) -> Decimal | int:
    """The reservation's wht percentage as answered: with at least one decimal (``20.0``)."""
    return _number_json(wht)


def extra_fields(body: "_TicketRequest") -> dict[str, Any]:
    """Answer fields beyond the page's: none."""
    return {}


def atag_answer(ticket: dict[str, Any]) -> dict[str, Any]:
    """The answer's atag: always present (null when the request sent none)."""
    return ticket


def new_identity() -> tuple[str, str]:
    """(id, code) of a new ticket: 24 hex characters and 6 upper-case alphanumerics."""
    return secrets.token_hex(12), "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def forbidden_response() -> Response:
    """The 403 answer (the pages give no body): ``{"code": 403, "message": "Forbidden"}``."""
    return _json(403, {"code": 403, "message": "Forbidden"})


def ticket_response(ticket: dict[str, Any]) -> Response:
    """The 200 answer: the ticket as application/json."""
    return _json(200, ticket)


def bad_request_response(ticket_type: str, body: dict[str, Any]) -> Response:
    """A 400 answer: ``{code, message}`` (the superbet page's shape, for both tickets)."""
    return _json(400, body)


def validation_response(details: list[dict[str, Any]]) -> Response:
    """The 422 answer (the pages give no body): the provider's framework shape ``{"detail": [...]}``."""
    return _json(422, {"detail": details})


def default_timezone_offset() -> str:
    """The timezone offset of an operator created without one (the "an operator exists" state)."""
    return "+02:00"


BEHAVIOUR: dict[str, Callable[..., Any]] = {
    "ticket_fits_int64": fits_int64,
    "ticket_request_defaults": request_defaults,
    "ticket_source_known": source_known,
    "ticket_atag_ok": atag_ok,
    "ticket_limits": limits,
    "ticket_operator_header_matches": operator_header_matches,
    "ticket_operator_and_signature": operator_and_signature,
    "ticket_check_signature": check_signature,
    "ticket_excise": inclusive_excise,
    "ticket_jackpot_odds": jackpot_odds,
    "ticket_odds_product": odds_product,
    "ticket_odds_within": odds_within,
    "ticket_jackpot_gross": jackpot_gross,
    "ticket_jackpot_payout": payout_from_gross,
    "ticket_reserve_payout": reserve_payout,
    "ticket_reserve_status": reserve_status,
    "ticket_jackpot_currency": jackpot_currency,
    "ticket_reserve_currency": reserve_currency,
    "ticket_echo_atag": echo_atag,
    "ticket_atag_answer": atag_answer,
    "ticket_operator_times": operator_times,
    "ticket_unknown_event_error": unknown_event_error,
    "ticket_started_event_error": started_event_error,
    "ticket_find_selection": find_selection,
    "ticket_unknown_bet_refusal": unknown_bet_refusal,
    "ticket_closed_market": closed_market,
    "ticket_jackpot_error": jackpot_error,
    "ticket_cents_json": cents_json,
    "ticket_odds_json": odds_json,
    "ticket_reserve_wht_json": reserve_wht_json,
    "ticket_extra_fields": extra_fields,
    "ticket_jackpot_fields": jackpot_fields,
    "ticket_new_identity": new_identity,
    "ticket_forbidden_response": forbidden_response,
    "ticket_validation_response": validation_response,
    "ticket_response": ticket_response,
    "ticket_bad_request_response": bad_request_response,
    "ticket_default_timezone_offset": default_timezone_offset,
}


# --- request models -------------------------------------------------------------------------------

def _int64(value: int, info: ValidationInfo) -> int:
    check = (info.context or {}).get("fits_int64", fits_int64)
    if not check(value):
        raise PydanticCustomError("int64", "Input should fit in a signed 64-bit integer")
    return value


def _source(value: str, info: ValidationInfo) -> str:
    check = (info.context or {}).get("source_known", source_known)
    if not check(value):
        raise PydanticCustomError("literal_error", "Input should be one of: " + ", ".join(SOURCES))
    return value


def _atag(value: str, info: ValidationInfo) -> str:
    check = (info.context or {}).get("atag_ok", atag_ok)
    if not check(value):
        raise PydanticCustomError("atag", "Input should be an affiliate tag this service keeps")
    return value


def _json_number(value: Any) -> Any:
    """A JSON number (int or exact Decimal, never a bool or a string) as a Decimal."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise PydanticCustomError("decimal_type", "Input should be a valid number")
    return Decimal(value)


def _unicode(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise PydanticCustomError("string_unicode", "Input should be a valid string") from None
    return value


Int64 = Annotated[int, AfterValidator(_int64)]
Cents = Annotated[Int64, Field(ge=0)]
Number = Annotated[Decimal, BeforeValidator(_json_number)]
Text = Annotated[str, AfterValidator(_unicode)]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
Source = Annotated[str, AfterValidator(_source)]
Atag = Annotated[str, AfterValidator(_unicode), AfterValidator(_atag)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")


class _TicketRequest(_Strict):
    operator: Text
    token: Text
    price: Cents
    currency: Currency
    atag: Atag | None = None
    source: Source


class JackpotEvent(_Strict):
    id: Int64
    bet: Int64
    odds: Annotated[Number, Field(gt=0)]


class JackpotRequest(_TicketRequest):
    type: Literal["jackpot"]
    odds_diff: Annotated[Number, Field(ge=0)]
    events: list[JackpotEvent]
    betcard_code: Text
    prize: Cents
    bonus_prizes: list[Cents]


class SuperbetRequest(_TicketRequest):
    type: Literal["superbet"]
    event: Int64
    bets: list[Int64]


class Headers(_Strict):
    operator_name: Annotated[Text, Field(alias="operator-name")]
    timestamp: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}$")]
    signature: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]


# --- answers --------------------------------------------------------------------------------------

@dataclass
class Rejection(Exception):
    status: int
    body: dict[str, Any]


def _error(code: int, message: str) -> Rejection:
    return Rejection(400, {"code": code, "message": message})


FORBIDDEN = Rejection(403, {"code": 403, "message": "Forbidden"})


def _json(status: int, body: Any) -> Response:
    return Response(json_bytes(body), status_code=status, media_type="application/json")


def _details(where: str, exc: ValidationError) -> list[dict[str, Any]]:
    return [{"loc": [where, *err["loc"]], "msg": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False, include_input=False)]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


async def _validate(request: Request, model: type[_TicketRequest]) -> tuple[Headers, _TicketRequest, bytes]:
    """Parse headers and body; raise :class:`Rejection` 422 with every problem found."""
    behaviour = request.app.state.behaviour
    raw = await request.body()
    details: list[dict[str, Any]] = []
    headers = body = None
    present = {name: request.headers[name] for name in ("operator-name", "timestamp", "signature")
               if name in request.headers}
    try:
        headers = Headers.model_validate(present)
    except ValidationError as exc:
        details += _details("header", exc)
    try:
        data = json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        details.append({"loc": ["body", 0], "msg": "JSON decode error", "type": "json_invalid"})
    else:
        try:
            data = behaviour.ticket_request_defaults(data, "jackpot" if model is JackpotRequest else "superbet", present)
            body = model.model_validate(data, context={"fits_int64": behaviour.ticket_fits_int64,
                                                       "source_known": behaviour.ticket_source_known,
                                                       "atag_ok": behaviour.ticket_atag_ok})
        except ValidationError as exc:
            details += _details("body", exc)
    if not details:
        details = behaviour.ticket_limits(headers, body)
    if details:
        raise Rejection(422, {"detail": details})
    assert headers is not None and body is not None
    return headers, body, raw


def _authenticate(conn: sqlite3.Connection, behaviour: Any, headers: Headers, body: _TicketRequest,
                  raw: bytes) -> tuple[sqlite3.Row, sqlite3.Row]:
    """115, 112, 403 signature, 403 token, 114 (in that order); the operator and player rows."""
    operator = behaviour.ticket_operator_and_signature(conn, behaviour, headers, body, raw)
    player = conn.execute("SELECT * FROM players WHERE token = ? AND operator = ?",
                          (body.token, operator["name"])).fetchone()
    if player is None:
        raise FORBIDDEN
    if not operator["webhook_url"]:
        raise _error(114, f"No webhook url for operator with `{operator['name']}` name")
    return operator, player


def _check_bets(conn: sqlite3.Connection, behaviour: Any, ticket_type: str, event_ids: list[int],
                picks: list[tuple[int, int]]) -> dict[int, sqlite3.Row]:
    """Business checks, each kind over all events or (event id, bet id) pairs before the next:
    103, 106, 107, 116. Returns the selection rows by bet id (with market code and allowed)."""
    events = {}
    for event_id in event_ids:
        row = conn.execute("SELECT * FROM events WHERE event_id = ?", (event_id,)).fetchone()
        if row is None:
            raise _error(*behaviour.ticket_unknown_event_error(ticket_type, event_id))
        events[event_id] = row
    selections = {}
    for event_id, bet_id in picks:
        row = behaviour.ticket_find_selection(conn, event_id, bet_id)
        if row is None:
            refusal = behaviour.ticket_unknown_bet_refusal(ticket_type, bet_id)
            if refusal is None:
                continue
            raise refusal
        selections[bet_id] = row
    for event_id, row in events.items():
        if row["started"]:
            raise _error(*behaviour.ticket_started_event_error(event_id))
    closed = behaviour.ticket_closed_market(list(selections.values()))
    if closed is not None:
        raise _error(116, f"Market with `{closed['code']}` code is not allowed")
    return selections


def _insert(conn: sqlite3.Connection, behaviour: Any, ticket: dict[str, Any]) -> dict[str, Any]:
    """Insert with a fresh id and code (a code collision draws again)."""
    row = {key: value for key, value in ticket.items() if not key.startswith("operator_time_")}
    columns = ", ".join(row) + ", id, code"
    marks = ", ".join("?" * (len(row) + 2))
    for _ in range(10):
        ident, code = behaviour.ticket_new_identity()
        try:
            conn.execute(f"INSERT INTO tickets ({columns}) VALUES ({marks})", (*row.values(), ident, code))
        except sqlite3.IntegrityError:
            continue
        return {"id": ident, "code": code}
    raise _error(111, "Duplicate key for code generation")


def _times(behaviour: Any, operator: sqlite3.Row, created: datetime) -> dict[str, str]:
    updated = max(created, datetime.now(UTC).replace(tzinfo=None))
    local_created, local_updated = behaviour.ticket_operator_times(created, updated,
                                                                   operator["timezone_offset_minutes"])
    return {
        "created": created.strftime(TIME_FORMAT),
        "operator_time_created": local_created.strftime(TIME_FORMAT),
        "updated": updated.strftime(TIME_FORMAT),
        "operator_time_updated": local_updated.strftime(TIME_FORMAT),
    }


def _number_json(value: Decimal) -> Decimal:
    """A percentage or odds as a JSON number without trailing zeros but with a point (20.0, 13.209)."""
    with localcontext(_EXACT):
        value = value.normalize()
        return value.quantize(Decimal("0.1")) if value == value.to_integral_value() else value


async def _handle(request: Request, model: type[_TicketRequest]) -> Response:
    store = request.app.state.store
    behaviour = request.app.state.behaviour
    try:
        headers, body, raw = await _validate(request, model)
        with store.transaction() as conn:
            operator, player = _authenticate(conn, behaviour, headers, body, raw)
            created = datetime.now(UTC).replace(tzinfo=None)
            if isinstance(body, JackpotRequest):
                answer = _jackpot(conn, behaviour, body, operator, player, created)
            else:
                answer = _superbet(conn, behaviour, body, operator, player, created)
    except Rejection as rejection:
        if rejection.status == 403:
            return behaviour.ticket_forbidden_response()
        if rejection.status == 422:
            return behaviour.ticket_validation_response(rejection.body["detail"])
        if rejection.status == 400:
            return behaviour.ticket_bad_request_response("jackpot" if model is JackpotRequest else "superbet",
                                                         rejection.body)
        return _json(rejection.status, rejection.body)
    return behaviour.ticket_response(answer)


def _common(behaviour: Any, body: _TicketRequest, operator: sqlite3.Row, player: sqlite3.Row,
            stake: int, ext_amount: int, payout: tuple[int, int, int]) -> dict[str, Any]:
    gross, wht_amount, net = payout
    return {
        "type": body.type, "user_id": player["user_id"], "operator": operator["name"],
        "price": body.price, "stake": stake, "ext_amount": ext_amount,
        "gross_payout": gross, "net_payout": net, "wht_amount": wht_amount,
        "ext": operator["ext"], "wht": operator["wht"], "source": body.source,
        "atag": behaviour.ticket_echo_atag(body.atag), "result": "pending", "approved": 1,
    }


def _jackpot(conn: sqlite3.Connection, behaviour: Any, body: JackpotRequest, operator: sqlite3.Row,
             player: sqlite3.Row, created: datetime) -> dict[str, Any]:
    selections = _check_bets(conn, behaviour, body.type, [event.id for event in body.events],
                             [(event.id, event.bet) for event in body.events])
    if conn.execute("SELECT 1 FROM betcards WHERE code = ?", (body.betcard_code,)).fetchone() is None:
        raise _error(*behaviour.ticket_jackpot_error("unknown betcard", body.betcard_code))
    currents = [Decimal(selections[event.bet]["decimal_price"]) for event in body.events]
    for event, current in zip(body.events, currents):
        if not behaviour.ticket_odds_within(event.odds, current, body.odds_diff):
            raise _error(*behaviour.ticket_jackpot_error("odds changed", event.id))
    ext, wht = Decimal(operator["ext"]), Decimal(operator["wht"])
    stake, ext_amount = behaviour.ticket_excise(body.price, ext)
    odds = behaviour.ticket_odds_product(behaviour.ticket_jackpot_odds([event.odds for event in body.events], currents))
    with localcontext(_EXACT):
        exact_gross = stake * odds
    if not behaviour.ticket_fits_int64(exact_gross):
        raise Rejection(422, {"detail": [{"loc": ["body", "price"], "type": "value_error",
                                          "msg": "Value error, the gross payout exceeds the largest amount in cents"}]})
    gross = behaviour.ticket_jackpot_gross(stake, odds, body.prize)
    payout = behaviour.ticket_jackpot_payout(stake, gross, wht)
    currency = behaviour.ticket_jackpot_currency(body.currency, player["currency"])
    ticket = _common(behaviour, body, operator, player, stake, ext_amount, payout)
    ticket |= {"currency": currency, "status": "open", "odds": str(odds),
               "betcard_code": body.betcard_code, **_times(behaviour, operator, created),
               "selections": json_bytes({"events": [e.model_dump() for e in body.events],
                                         "prize": body.prize, "bonus_prizes": body.bonus_prizes}).decode()}
    stored = _insert(conn, behaviour, ticket)
    cents = behaviour.ticket_cents_json
    return behaviour.ticket_jackpot_fields(behaviour.ticket_atag_answer({
        **stored, "price": cents(body.price), "stake": cents(stake), "currency": currency,
        "gross_payout": cents(payout[0]), "net_payout": cents(payout[2]), "wht_amount": cents(payout[1]),
        "wht": _number_json(wht), "ext_amount": cents(ext_amount), "ext": _number_json(ext),
        "ext_type": "inclusive", "status": "open", "result": "pending", "approved": True,
        "source": body.source, "type": body.type, "atag": ticket["atag"], "user_id": player["user_id"],
        "created": ticket["created"], "operator_time_created": ticket["operator_time_created"],
        "updated": ticket["updated"], "operator_time_updated": ticket["operator_time_updated"],
        "odds": behaviour.ticket_odds_json(odds), "betcard_code": body.betcard_code, "prize": cents(body.prize),
        "bonus_prizes": [cents(prize) for prize in body.bonus_prizes], **behaviour.ticket_extra_fields(body),
    }))


def _superbet(conn: sqlite3.Connection, behaviour: Any, body: SuperbetRequest, operator: sqlite3.Row,
              player: sqlite3.Row, created: datetime) -> dict[str, Any]:
    _check_bets(conn, behaviour, body.type, [body.event], [(body.event, bet) for bet in body.bets])
    ext = Decimal(operator["ext"])
    stake, ext_amount = behaviour.ticket_excise(body.price, ext)
    payout = behaviour.ticket_reserve_payout(stake)
    status = behaviour.ticket_reserve_status()
    currency = behaviour.ticket_reserve_currency(body.currency, player["currency"])
    ticket = _common(behaviour, body, operator, player, stake, ext_amount, payout)
    ticket |= {"currency": currency, "status": status, "odds": None, "betcard_code": None,
               **_times(behaviour, operator, created),
               "selections": json_bytes({"event": body.event, "bets": body.bets}).decode()}
    stored = _insert(conn, behaviour, ticket)
    cents = behaviour.ticket_cents_json
    return behaviour.ticket_atag_answer({
        **stored, "price": cents(body.price), "stake": cents(stake), "gross_payout": cents(payout[0]),
        "net_payout": cents(payout[2]), "wht_amount": cents(payout[1]),
        "wht": behaviour.ticket_reserve_wht_json(Decimal(operator["wht"])), "ext_amount": cents(ext_amount),
        "ext": _number_json(ext), "ext_type": "inclusive", "currency": currency, "status": status,
        "result": "pending", "approved": True, "source": body.source, "type": body.type,
        "atag": ticket["atag"], "user_id": player["user_id"], "created": ticket["created"],
        "operator_time_created": ticket["operator_time_created"], "updated": ticket["updated"],
        "operator_time_updated": ticket["operator_time_updated"], **behaviour.ticket_extra_fields(body),
    })


@router.post("/be/tickets", include_in_schema=False)
async def create_jackpot_ticket(request: Request) -> Response:
    return await _handle(request, JackpotRequest)


@router.post("/be/tickets/reserve", include_in_schema=False)
async def reserve_superbet_ticket(request: Request) -> Response:
    return await _handle(request, SuperbetRequest)


def snapshot(conn: sqlite3.Connection, user_id: str) -> dict[str, Any]:
    """The player's tickets for the "a player snapshot" provider state (cents as integers)."""
    rows = conn.execute(
        "SELECT id, type, price, stake, ext_amount, gross_payout, net_payout, wht_amount, status, result"
        " FROM tickets WHERE user_id = ? ORDER BY created, rowid", (user_id,)).fetchall()
    return {"tickets": [dict(row) for row in rows]}

