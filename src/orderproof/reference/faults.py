"""The fault registry: named, plausible bugs that the conformance suite must catch.

A :class:`Fault` replaces exactly one named behaviour of the reference (see ``behaviour.py``) with a
faulty function and lists the rule ids it is expected to break: the suite's self-verification runs
the suite against ``create_app(fault=name)`` and demands that exactly those rules FAIL (and no other
MUST rule). A faulty function is written the way the bug would be written in a real service.

The dual are the variations (``variations.py``): other correct behaviours the suite must accept.

Long module: it is a table, one entry per fault with the faulty function beside it, so that
``orderproof faults`` and a reader see every bug the suite proves it catches in one place.
"""

from __future__ import annotations

import struct
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import jsonschema

from orderproof.reference import bet_placement as bp
from orderproof.reference import idempotency
from orderproof.reference import sportsbook_order as so
from orderproof.reference import ticket_engine as te
from orderproof.reference import travel_order as to
from orderproof.reference.errors import fingerprint
from orderproof.reference.idempotency import Outcome, Reply
from orderproof.reference.money import CENT, json_bytes, text, to_cents


@dataclass(frozen=True)
class Fault:
    name: str                      # kebab-case, says the bug
    api: str                       # slug in orderproof.apis.APIS
    rules: tuple[str, ...]         # the rule ids this fault must make FAIL
    description: str
    patch: dict[str, Callable] = field(default_factory=dict)   # behaviour name -> faulty function
    also: tuple[str, ...] = ()     # rules it may break too, depending on the cases a seed draws


# === bet-placement (004) ==========================================================================

def place_slip_bet_by_bet(conn, behaviour, player, slip) -> None:
    """Checks the funds for the slip, then checks and writes one bet at a time: the bets within the
    limits are stored and debited even when another bet of the slip breaches a limit."""
    min_stake, max_stake = Decimal(player["min_stake"]), Decimal(player["max_stake"])
    if not behaviour.bp_funds_cover(Decimal(player["balance"]), sum((b["stake"] for b in slip.bets), Decimal(0))):
        raise bp.Failure("INSUFFICIENT_FUNDS", "the balance does not cover the sum of the stakes")
    failed = []
    for bet in slip.bets:
        reason = behaviour.bp_stake_limit_breach(bet["stake"], min_stake, max_stake)
        if reason:
            failed.append(bp.failed_bet(bet, reason))
            continue
        behaviour.bp_insert_bet(conn, bp.bet_row(behaviour, slip, bet))
        bp.debit(conn, player, bp.Slip(slip.request_id, slip.user_id, slip.session_token, [bet]), [bet["stake"]])
        player = conn.execute("SELECT * FROM players WHERE user_id = ?", (slip.user_id,)).fetchone()
    if failed:
        raise bp.Failure("INVALID_STAKE", "one or more stakes are outside the player's limits", failed)


def payout_in_single_precision(stake: Decimal, decimal_price: Decimal) -> float:
    """Stores the product in a FLOAT (single-precision) column: 2.55 x 1.85 is stored as
    4.71750020980835 instead of 4.7175."""
    return struct.unpack("<f", struct.pack("<f", float(stake) * float(decimal_price)))[0]


def payout_of_price_to_cents(stake: Decimal, decimal_price: Decimal) -> Decimal:
    """Multiplies the stake by the price rounded half up to two decimals (2.375 -> 2.38)."""
    return stake * decimal_price.quantize(CENT, rounding=ROUND_HALF_UP)


def process_every_time(store, scope, key, fingerprint, process, *, replay, matches=None) -> Outcome:
    with store.transaction() as conn:
        return Outcome("processed", process(conn))


def replay_with_status_200(row) -> Reply:
    """Replays the stored body under HTTP 200, whatever the first status was (a cache of bodies only)."""
    return Reply(200, bytes(row["body"]))


def key_with_body_hash(store, scope, key, fingerprint, process, *, replay,
                       matches=idempotency.same_request) -> Outcome:
    """Stores answers under the key *and* the body hash: another body under the same key is a new request."""
    return idempotency.claim_then_process(store, scope, f"{key}/{fingerprint}", fingerprint, process,
                                          replay=replay, matches=matches)


RACE_WINDOW_S = 0.3     # the slow call between the lookup and the write, when duplicates are in flight
RACE_GRACE_S = 0.02     # how long a lone request waits for a duplicate to show up
_in_flight: dict[tuple[int, str, str], int] = {}
_in_flight_lock = threading.Lock()


def check_then_act(store, scope, key, fingerprint, process, *, replay, matches=idempotency.same_request) -> Outcome:
    """Looks the key up, then processes and saves without claiming it first: duplicates arriving
    together all see "no such key" and all place the slip. Between the lookup and the write sits a
    slow call (e.g. to a risk service): 0.3 s while a duplicate is in flight, 0.02 s for a request
    alone (so that the fault costs every other rule little)."""
    with store.read() as conn:
        row = conn.execute(
            "SELECT * FROM idempotency_keys WHERE scope = ? AND key = ? AND status IS NOT NULL", (scope, key)
        ).fetchone()
    if row is not None:
        return Outcome("replayed", replay(row)) if matches(row["fingerprint"], fingerprint) else Outcome("conflict")
    flight = (id(store), scope, key)
    with _in_flight_lock:
        _in_flight[flight] = _in_flight.get(flight, 0) + 1
    try:
        time.sleep(RACE_GRACE_S)
        with _in_flight_lock:
            crowded = _in_flight[flight] > 1
        if crowded:
            time.sleep(RACE_WINDOW_S - RACE_GRACE_S)
    finally:
        with _in_flight_lock:
            _in_flight[flight] -= 1
            if not _in_flight[flight]:
                del _in_flight[flight]
    with store.transaction() as conn:
        reply = process(conn)
        if reply.status < 500:
            conn.execute(
                "INSERT OR REPLACE INTO idempotency_keys (scope, key, fingerprint, owner, claimed_at, status, body, "
                "completed_at) VALUES (?, ?, ?, 'check-then-act', ?, ?, ?, ?)",
                (scope, key, fingerprint, time.time(), reply.status, reply.body, time.time()),
            )
    return Outcome("processed", reply)


def session_never_expires(expires_at: float | None, now: float) -> bool:
    """Checks that the token names a session, but not its expiry."""
    return expires_at is not None


def session_with_grace(expires_at: float | None, now: float) -> bool:
    """Lets a session live five minutes past its expiry (a grace period nobody documented)."""
    return expires_at is not None and expires_at + 300 > now


def session_of_any_user(conn, player, session_token: str) -> float | None:
    """Looks the session up by its token alone, not by userId and token: any user's live token passes."""
    row = conn.execute("SELECT session_expires_at FROM players WHERE session_token = ?", (session_token,)).fetchone()
    return row["session_expires_at"] if row is not None else None


def key_parsed_by_uuid(key: str) -> str:
    """Normalises the key with ``uuid.UUID``, whose ValueError for a key that is not a UUID nobody
    catches: 500 GENERAL_EXCEPTION instead of a 400."""
    return str(uuid.UUID(key.strip()))


def framework_422(names: list[str], message: str | None) -> Reply:
    detail = [{"loc": ["body", name], "msg": "Field required", "type": "missing"} for name in names]
    return Reply(422, json_bytes({"detail": detail}))


def payment_required_status(code: str) -> int:
    return 402 if code == "INSUFFICIENT_FUNDS" else bp.ERROR_STATUS[code]


def accept_any_key(given: str | None, expected: str) -> bool:
    return True


def echo_stake_rounded(bet: dict[str, Any]) -> dict[str, Any]:
    return dict(bet, stake=bet["stake"].quantize(Decimal(1), rounding=ROUND_HALF_UP))


def balance_positive(balance: Decimal, total_stake: Decimal) -> bool:
    return balance > 0


def debit_first_bet(stakes: list[Decimal]) -> list[Decimal]:
    return stakes[:1]


def stake_limit_reports_stake(stake: Decimal, min_stake: Decimal, max_stake: Decimal) -> dict | None:
    if stake > max_stake:
        return {"maxStake": stake}
    if stake < min_stake:
        return {"minStake": stake}
    return None


def stake_limit_max_exclusive(stake: Decimal, min_stake: Decimal, max_stake: Decimal) -> dict | None:
    if stake >= max_stake:
        return {"maxStake": max_stake}
    return {"minStake": min_stake} if stake < min_stake else None


def payout_without_stake(stake: Decimal, decimal_price: Decimal) -> Decimal:
    """Stores the winnings, stake x (decimalPrice - 1), as the potentialPayout: the stake is left out."""
    return stake * (decimal_price - 1)


def cents_by_quantize(amount: Decimal) -> bool:
    """Right for every everyday stake; ``quantize`` raises InvalidOperation beyond 26 digits."""
    return amount == amount.quantize(CENT)


_BET_PLACEMENT = [
    Fault("stores-partial-slip", "bet-placement", ("BP-ATOMIC", "BP-STAKE-LIMITS"),
          "checks the stake limits bet by bet while storing them: a slip rejected with INVALID_STAKE "
          "keeps its bets within the limits stored and debited (BP-STAKE-LIMITS also demands that "
          "nothing is stored)",
          {"bp_place_slip": place_slip_bet_by_bet}),
    Fault("payout-float", "bet-placement", ("BP-PAYOUT-PRECISION",),
          "stores potentialPayout in a single-precision FLOAT column (2.55 x 1.85 is stored as 4.71750020980835, "
          "not 4.7175); an exact, cent-rounded or double-precision payout would be a variation (BP-PAYOUT fails "
          "too when a payout is large enough for single precision to lose a cent)",
          {"bp_potential_payout": payout_in_single_precision},
          also=("BP-PAYOUT",)),
    Fault("payout-price-to-cents", "bet-placement", ("BP-PAYOUT", "BP-PAYOUT-PRECISION"),
          "rounds decimalPrice to two decimals before multiplying, as a price column of two decimals would "
          "(10.00 at 2.375 stores 23.80, not 23.75)",
          {"bp_potential_payout": payout_of_price_to_cents}),
    Fault("payout-without-stake", "bet-placement", ("BP-PAYOUT", "BP-PAYOUT-PRECISION"),
          "stores the winnings, stake x (decimalPrice - 1), as potentialPayout: the stake is left out",
          {"bp_potential_payout": payout_without_stake}),
    Fault("ignores-idempotency-key", "bet-placement",
          ("BP-IDEMPOTENT", "BP-IDEMPOTENT-CONFLICT", "BP-IDEMPOTENT-RACE"),
          "never looks at X-Idempotency-Key: every repeat is placed and debited again",
          {"bp_idempotent_call": process_every_time}),
    Fault("replay-status-200", "bet-placement", ("BP-IDEMPOTENT-REPLAY",),
          "replays the stored body with HTTP 200 whatever the first status was: the repeat of a rejected "
          "slip (400 INVALID_STAKE) answers its FAILURE body at 200",
          {"bp_replay": replay_with_status_200}),
    Fault("accepts-conflicting-key", "bet-placement", ("BP-IDEMPOTENT-CONFLICT",),
          "keys the idempotency store by key and body hash: the key reused with another body places that "
          "slip too instead of answering 422",
          {"bp_idempotent_call": key_with_body_hash}),
    Fault("idempotency-race", "bet-placement", ("BP-IDEMPOTENT-RACE",),
          f"checks the key, then acts without claiming it ({RACE_WINDOW_S:g} s window): concurrent duplicates all place the slip",
          {"bp_idempotent_call": check_then_act}),
    Fault("session-grace-period", "bet-placement", ("BP-SESSION-EXPIRED",),
          "accepts a session up to five minutes after it expired (a grace period the seed does not document)",
          {"bp_session_valid": session_with_grace}),
    Fault("accepts-expired-session", "bet-placement", ("BP-SESSION-EXPIRED",),
          "compares the session token but not its expiry",
          {"bp_session_valid": session_never_expires}),
    Fault("session-token-any-user", "bet-placement", ("BP-SESSION",),
          "looks the session up by sessionToken alone: a live token of any user is accepted for the slip's userId",
          {"bp_session_lookup": session_of_any_user}),
    Fault("non-uuid-key-500", "bet-placement", ("BP-KEY-REQUIRED",),
          "normalises X-Idempotency-Key with uuid.UUID and never catches its ValueError: a key that is not "
          "a UUID gets 500 GENERAL_EXCEPTION instead of a 400",
          {"bp_idempotency_key": key_parsed_by_uuid},
          also=("BP-NO-5XX",)),       # whenever the sampled coverage cases include a malformed key
    Fault("framework-422", "bet-placement",
          ("BP-MISSING", "BP-ERROR-SHAPE", "BP-SCHEMA", "BP-NEGATIVE", "BP-KEY-REQUIRED"),
          "answers a missing field or X-Idempotency-Key with the web framework's 422 {detail: [...]} "
          "instead of 400 MISSING_PARAMETER",
          {"bp_missing_parameter_reply": framework_422}),
    Fault("wrong-error-status", "bet-placement", ("BP-ERROR-SHAPE", "BP-FUNDS"),
          "answers INSUFFICIENT_FUNDS with HTTP 402 instead of the table's 400",
          {"bp_error_status": payment_required_status}),
    Fault("sessions-refused", "bet-placement", ("BP-PENDING", "BP-PAYOUT", "BP-FUNDS", "BP-POSITIVE"),
          "compares a session's expiry the wrong way round: every slip, however valid, gets 401 INVALID_SESSION "
          "(a refusal of the suite's requests that is no refusal of its credentials: the rules FAIL, not NOT VERIFIED)",
          {"bp_session_valid": lambda expires_at, now: expires_at is not None and expires_at < now},
          also=("BP-SESSION-EXPIRED", "BP-USER", "BP-STAKE-LIMITS")),
    Fault("skips-api-key", "bet-placement", ("BP-AUTH",),
          "never checks X-API-Key",
          {"bp_authenticate": accept_any_key},
          also=("BP-NEGATIVE",)),     # whenever the sampled cases include one without a valid X-API-Key
    Fault("echo-rounds-stake", "bet-placement", ("BP-ECHO",),
          "echoes each bet's stake rounded to whole units (2.55 -> 3)",
          {"bp_echo_bet": echo_stake_rounded}),
    Fault("bet-status-settled", "bet-placement", ("BP-PENDING",),
          "stores placed bets with status 'SETTLED' (the resulting endpoint's status) instead of one that says "
          "the bet awaits its result",
          {"bp_bet_status": lambda: "SETTLED"}),
    Fault("funds-must-exceed-stakes", "bet-placement", ("BP-FUNDS",),
          "compares the balance with the stakes' sum the wrong way round at the boundary: a slip that spends "
          "exactly the whole balance is refused INSUFFICIENT_FUNDS",
          {"bp_funds_cover": lambda balance, total_stake: total_stake < balance}),
    Fault("overdraws", "bet-placement", ("BP-FUNDS",),
          "only checks that the balance is positive, not that it covers the stakes: the balance goes negative",
          {"bp_funds_cover": balance_positive}),
    Fault("debits-first-bet-only", "bet-placement", ("BP-DEBIT", "BP-FUNDS"),
          "debits (and ledgers) only the first bet of a slip (BP-FUNDS also checks the balance after "
          "multi-bet slips; BP-IDEMPOTENT-RACE, a SHOULD, may fail too)",
          {"bp_debit_amounts": debit_first_bet}),
    Fault("ignores-blocked-user", "bet-placement", ("BP-USER",),
          "places bets for a blocked user",
          {"bp_user_blocked": lambda player: False}),
    Fault("stake-limit-reports-stake", "bet-placement", ("BP-STAKE-LIMITS",),
          "reports the offending stake in failedBets[].reason instead of the limit breached",
          {"bp_stake_limit_breach": stake_limit_reports_stake}),
    Fault("stake-limit-max-exclusive", "bet-placement", ("BP-STAKE-LIMITS",),
          "takes max_stake as exclusive (>= for >): a bet staking exactly the player's max_stake is refused "
          "INVALID_STAKE and named in failedBets",
          {"bp_stake_limit_breach": stake_limit_max_exclusive},
          also=("BP-FUNDS", "BP-PAYOUT", "BP-PENDING", "BP-IDEMPOTENT", "BP-ECHO")),   # a valid slip at 500.00
    Fault("huge-number-500", "bet-placement", ("BP-NO-5XX",),
          "checks a stake's 2 decimals with Decimal.quantize, which raises for a stake of 1e26 or more: "
          "a huge stake (1e400, 10**30) gets 500 GENERAL_EXCEPTION instead of 400 INVALID_STAKE",
          {"bp_has_cents_precision": cents_by_quantize}),
]


# === sportsbook-order (000) =======================================================================

def ticket_id_through_float(ticket_id: int) -> int:
    return int(float(ticket_id))


def amount_in_cents(amount: Decimal) -> Decimal:
    return amount * 100


def balance_whole_units(balance_after: Decimal, amount: Decimal) -> Decimal:
    """Converts the wallet's cents with integer division: 98001 cents are reported as 980."""
    return Decimal(to_cents(balance_after) // 100)


def balance_null_when_empty(balance_after: Decimal, amount: Decimal) -> Decimal | None:
    """Reports an emptied wallet's balance as null (a zero read as "no balance")."""
    return balance_after or None


def order_time_text(now_ns: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now_ns / 1e9))


def never_a_repeat(conn, ticket_id: int) -> None:
    return None


def settle_recording_first(conn, behaviour, player, order) -> Reply:
    """Records the order before checking the balance; the rejection leaves the order row behind."""
    balance = Decimal(player["balance"])
    rejection = so.rejection_reply(so.INSUFFICIENT_BALANCE, "insufficient balance")
    conn.execute(
        "INSERT INTO orders (ticket_id, user_id, amount, balance_after, order_time, fingerprint, response) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (str(order.ticket_id), player["user_id"], text(order.amount), text(balance),
         time.time_ns() // 1_000_000, order.fingerprint, rejection.body),
    )
    if order.amount > balance:
        return rejection
    conn.execute("DELETE FROM orders WHERE id = last_insert_rowid()")
    return so.record_order(conn, behaviour, player, order, balance - order.amount)


def validate_money_fields_only(document: Any) -> so.Order:
    """Reads the three fields it needs and ignores the rest of the ticket."""
    if not isinstance(document, dict):
        raise so.Rejection(so.INVALID_REQUEST, "the body must be an object")
    token, ticket_id, amount = document.get("customerToken"), document.get("ticketId"), document.get("orderAmount")
    if not isinstance(token, str) or not so._number(amount) or amount <= 0:
        raise so.Rejection(so.INVALID_REQUEST, "customerToken and orderAmount are required")
    if not so.ORDER_FIELDS["ticketId"][1](ticket_id):
        raise so.Rejection(so.INVALID_REQUEST, "ticketId is required")
    return so.Order(token, int(ticket_id), Decimal(amount), fingerprint(dict(document, ticketId=int(ticket_id))),
                    ticket_id)


def unknown_token_plain_error(code: int, msg: str) -> dict[str, Any]:
    """The authentication layer answers an unknown token with its own error object, not the envelope."""
    if code == so.UNKNOWN_TOKEN:
        return {"error": "unauthorized", "message": msg}
    return so.rejection_body(code, msg)


def ticket_id_digits_refused(document: Any) -> so.Order:
    """Takes the ticketId as a JSON number only: the request sample's digit string ("ticketId":
    "1234...") is refused as a malformed order."""
    if isinstance(document, dict) and isinstance(document.get("ticketId"), str):
        raise so.Rejection(so.INVALID_REQUEST, "ticketId must be a number")
    return so.validate(document)


def amount_cents_in_double(document: Any) -> so.Order:
    """Converts orderAmount to cents in double precision before validating the order: an amount of
    about 1.8e306 or more overflows the conversion (OverflowError), answered 500."""
    if isinstance(document, dict) and so._number(document.get("orderAmount")):
        int(float(document["orderAmount"]) * 100)
    return so.validate(document)


_SPORTSBOOK_ORDER = [
    Fault("ticket-id-precision", "sportsbook-order", ("SO-TICKET-ECHO",),
          "passes ticketId through a double: 116295584494649344 is echoed as 116295584494649344 +/- 2^k",
          {"so_echo_ticket_id": ticket_id_through_float}),
    Fault("debits-repeat-ticket", "sportsbook-order", ("SO-REPEAT",),
          "never looks a ticketId up: a repeated order is debited again",
          {"so_find_order": never_a_repeat}),
    Fault("amount-echo-cents", "sportsbook-order", ("SO-AMOUNT-ECHO",),
          "echoes data.amount in cents (orderAmount 100 -> 10000)",
          {"so_echo_amount": amount_in_cents}),
    Fault("balance-off-by-rounding", "sportsbook-order", ("SO-BALANCE",),
          "reports data.balance from cents by integer division: 1000.00 - 19.99 is reported as 980, "
          "stored as 980.01 (any balance with cents is off)",
          {"so_reported_balance": balance_whole_units}),
    Fault("balance-null-when-empty", "sportsbook-order", ("SO-DATA", "SO-BALANCE"),
          "answers data.balance null for an order that spends the whole balance (the table types balance "
          "a double, Y)",
          {"so_reported_balance": balance_null_when_empty}, also=("SO-SCHEMA",)),
    Fault("envelope-success-code-0", "sportsbook-order", ("SO-BALANCE", "SO-REPEAT"),
          "answers success with code 0 instead of 200: an accepted (debited) order reads as a rejection at "
          "HTTP 200 (the flows that need an accepted order fail; the schema and SO-ENVELOPE take each answer "
          "as a rejection envelope, and the rules that read an accepted order's data see none)",
          {"so_success_code": lambda: 0}),
    Fault("success-msg-ok", "sportsbook-order", ("SO-SUCCESS-MSG",),
          'answers success with msg "OK" instead of "success"',
          {"so_success_msg": lambda: "OK"}),
    Fault("rejection-code-200", "sportsbook-order", ("SO-ENVELOPE",),
          "sets only the HTTP status of a rejection: the envelope keeps its default code 200, so HTTP 400 "
          "carries the success code",
          {"so_rejection_code": lambda code, msg: (200, msg)}),
    Fault("unknown-token-plain-error", "sportsbook-order", ("SO-ENVELOPE",),
          "answers a well-formed order with an unknown customerToken with its authentication layer's "
          "{\"error\", \"message\"} object instead of the {code, msg, data} envelope",
          {"so_rejection_body": unknown_token_plain_error}),
    Fault("stores-rejected-order", "sportsbook-order", ("SO-REJECT-NOTHING",),
          "records the order before checking the balance: a rejected order (402) stays stored",
          {"so_settle": settle_recording_first}),
    Fault("response-schema-drift", "sportsbook-order", ("SO-SCHEMA", "SO-DATA"),
          "answers data.orderTime as a date-time string instead of epoch milliseconds",
          {"so_order_time": order_time_text}),
    Fault("accepts-invalid-body", "sportsbook-order", ("SO-NEGATIVE",),
          "validates only customerToken, ticketId and orderAmount: a ticket missing its other required "
          "fields, or with wrong types, is debited",
          {"so_validate": validate_money_fields_only}),
    Fault("ticket-id-digits-refused", "sportsbook-order", ("SO-POSITIVE",),
          "takes ticketId as a JSON number only: an order whose ticketId is a digit string, as the request "
          "sample sends it, is refused (code 400)",
          {"so_validate": ticket_id_digits_refused},
          also=("SO-BALANCE", "SO-REPEAT")),   # when a flow's order carries its ticketId as digits
    Fault("amount-cents-overflow-500", "sportsbook-order", ("SO-NO-5XX",),
          "converts orderAmount to cents in double precision before validating it: an amount of 1.8e306 or "
          "more overflows, answered 500",
          {"so_validate": amount_cents_in_double}),
]


# === jackpot-ticket (001), superbet-reserve (003) and travel-order (002) =========================
# (add them to this list; keep one behaviour per fault and the exact rule ids it breaks)


def signature_not_checked(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return True


def operator_header_ignored(header: str, body_operator: str) -> bool:
    return True


def operator_from_header(conn: Any, behaviour: Any, headers: Any, body: Any, raw: bytes) -> Any:
    """The header's operator served (its secret checks the signature, its players are looked up): the
    body's operator is never read, so never compared with it."""
    return te.operator_and_signature(conn, behaviour, headers, body.model_copy(update={"operator": headers.operator_name}),
                                     raw)


def jackpot_400_without_code(ticket_type: str, body: dict[str, Any]) -> Any:
    """A jackpot 400 says only what went wrong, with no code in its body."""
    if ticket_type == "jackpot":
        return te._json(400, {"message": body["message"]})
    return te.bad_request_response(ticket_type, body)


def excise_on_top(price: int, ext: Decimal) -> tuple[int, int]:
    """Charges the excise on top of the price: the whole price is staked and the tax added."""
    return price, int((price * ext / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def excise_not_deducted(price: int, ext: Decimal) -> tuple[int, int]:
    """Stakes the whole price and records no tax, though the answer still names the operator's rate."""
    return price, 0


def stake_cut_down(price: int, ext: Decimal) -> tuple[int, int]:
    """Cuts the stake an inclusive price buys down to the unit, so the tax is rounded up: the sample's
    1000 at 12.5 % gives 888 and 112 (the sample: 889 and 111)."""
    with localcontext(te._CTX):          # the reference's inclusive_excise, the stake rounded down
        stake = int((Decimal(price) / (1 + ext / 100)).to_integral_value(rounding=ROUND_DOWN))
    return stake, price - stake


def odds_product_to_1_decimal(odds: list[Decimal]) -> Decimal:
    """Rounds the product for display to one decimal (13.209 -> 13.2); payouts use the rounded odds.
    (JT-ODDS tolerates the 2-decimal rounding of the product, so this bug rounds further.)"""
    return te.odds_product(odds).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def net_without_wht(stake: int, gross: int, wht: Decimal) -> tuple[int, int, int]:
    gross, wht_amount, _ = te.payout_from_gross(stake, gross, wht)
    return gross, wht_amount, gross


def wht_on_gross(stake: int, gross: int, wht: Decimal) -> tuple[int, int, int]:
    """Withholds wht percent of the whole gross payout, stake included, instead of the winnings."""
    wht_amount = int((gross * wht / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return gross, wht_amount, gross - wht_amount


def unknown_jackpot_event_107(ticket_type: str, event_id: int) -> tuple[int, str]:
    """The jackpot path maps an event it cannot find to the code of an event it may not play."""
    if ticket_type == "jackpot":
        return 107, f"Event with `{event_id}` identifier is not available for play because it has already started"
    return te.unknown_event_error(ticket_type, event_id)


def price_defaulted(data: Any, ticket_type: str, headers: Mapping[str, str]) -> Any:
    """Reads a missing or non-numeric price as 0 (a free ticket) instead of refusing the request."""
    if isinstance(data, dict) and (isinstance(data.get("price"), bool) or not isinstance(data.get("price"), int)):
        return {**data, "price": 0}
    return data


def gross_winnings_only(stake: int, odds: Decimal, prize: int) -> int:
    """Answers the winnings as gross_payout (stake x odds less the stake), not the potential payout."""
    return te.jackpot_gross(stake, odds, prize) - stake


def reserve_pays_stake(stake: int) -> tuple[int, int, int]:
    """(gross, wht_amount, net) of a reservation filled in as if it paid back the stake."""
    return stake, 0, stake


OPERATOR_HOME_CURRENCY = "KES"


def operator_home_currency(requested: str, player_currency: str) -> str:
    """Answers the currency the operator is configured for instead of the one the request names."""
    return OPERATOR_HOME_CURRENCY


def updated_left_in_utc(created, updated, offset_minutes: int):
    """Shifts operator_time_created but forgets operator_time_updated (left in UTC)."""
    return te.operator_times(created, updated, offset_minutes)[0], updated


def offset_whole_hours(created, updated, offset_minutes: int):
    """Reads the operator's offset in whole hours ("+05:30" as +5 h, "-03:30" as -3 h)."""
    return te.operator_times(created, updated, int(offset_minutes / 60) * 60)


def started_as_not_found(event_id: int) -> tuple[int, str]:
    return 103, f"Event with `{event_id}` identifier is not found"


def selection_by_bet_alone(conn, event_id: int, bet_id: int):
    """Looks the bet up by its id alone: a bet of another event passes as the ticket's event's."""
    return conn.execute(f"{te.SELECTION} WHERE s.bet_id = ?", (bet_id,)).fetchone()


def unknown_bet_left_out(ticket_type: str, bet_id: int) -> te.Rejection | None:
    """A reservation skips the bet ids its event does not have and is made (a jackpot ticket still
    refuses its one bet per event)."""
    return None if ticket_type == "superbet" else te.unknown_bet_refusal(ticket_type, bet_id)


def first_bet_market_only(selections: list) -> Any:
    """Checks the market of the ticket's first bet alone, as if every bet were of one market."""
    return next((row for row in selections[:1] if not row["allowed"]), None)


def cents_as_float(cents: int) -> Decimal:
    """Writes cents the way a float serialiser does: 3500 -> 3500.0."""
    return Decimal(cents).quantize(Decimal("0.1"))


def camel_case_user_id(ticket: dict[str, Any]) -> dict[str, Any]:
    return {("userId" if key == "user_id" else key): value for key, value in ticket.items()}


def int64_by_struct(value: Any) -> bool:
    """Checks the 64-bit range by packing the value, but ``struct.pack`` raises ``struct.error``
    instead of returning False: any integer beyond 64 bits (a price of 2**63) becomes a 500."""
    struct.pack("<q", int(value))
    return True


def text_json_refused(kind: str | None):
    return None if kind == "text/json" else to.media_parser(kind)


def local_total_not_above(routine: Any) -> bool:
    """Overcharging only: a local experience's totalAmt may be below the sum of its details."""
    excess = to.local_total_excess(routine)
    return excess is None or excess <= 0


def form_refused(kind: str | None):
    return None if kind == "application/x-www-form-urlencoded" else to.media_parser(kind)


def microsecond_dates_only(text: str) -> to.TravelDate:
    """A parser built for Python's 6-digit microseconds: .NET's 7-digit ticks are refused."""
    return to._parse_date(text, 6)


_UNTYPED_VALIDATOR = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"type": lambda *args: None})


def untyped_validator() -> type:
    """Validates the structure but never the JSON types (a string memberid passes)."""
    return _UNTYPED_VALIDATOR


def extra_charges_in_double(conn: Any, order: dict[str, Any]) -> None:
    """Adds the extra charges up in cents in double precision before storing the order: an extraamt
    or integraldiscount of about 1.8e306 or more overflows the conversion (OverflowError), answered 500."""
    for name in ("extraamt", "integraldiscount"):
        value = order.get(name)
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            int(float(value) * 100)


def travel_success_code_0(docno: str, orderno: str) -> dict[str, Any]:
    return {"data": {"docno": docno, "orderno": orderno}, "code": 0, "message": "success"}


def travel_rejection_code_100(code: int, message: str) -> dict[str, Any]:
    return {"data": None, "code": 100, "message": message}


def travel_orderno_number(docno: str, orderno: str) -> dict[str, Any]:
    return {"data": {"docno": docno, "orderno": int(orderno)}, "code": 100, "message": "success"}


_TICKET_ENGINE_AND_TRAVEL: list[Fault] = [
    Fault("cents-as-float", "jackpot-ticket", ("JT-CENTS", "SR-CENTS"),
          "writes every cents amount (price, stake, payouts, tax amounts, prizes) as a JSON float: 3500.0",
          {"ticket_cents_json": cents_as_float}),
    Fault("odds-product-rounded", "jackpot-ticket", ("JT-ODDS",),
          "rounds the product of the odds to one decimal (1.85 x 2.10 x 3.40 = 13.209 answered 13.2)",
          {"ticket_odds_product": odds_product_to_1_decimal}),
    Fault("excise-added-on-top", "jackpot-ticket",
          ("JT-EXCISE-SUM", "SR-EXCISE-SUM", "SR-EXCISE-AMOUNT", "JT-EXCISE-RATE", "SR-EXCISE-RATE"),
          "adds the excise tax on top of the price (stake = price, ext_amount = price x ext%) instead of "
          "including it",
          {"ticket_excise": excise_on_top}),
    Fault("excise-not-deducted", "jackpot-ticket", ("SR-EXCISE-AMOUNT", "SR-EXCISE-RATE", "JT-EXCISE-RATE"),
          "stakes the whole price and answers ext_amount 0 while ext says 12.5 (stake + ext_amount == price "
          "still holds)",
          {"ticket_excise": excise_not_deducted}),
    Fault("stake-cut-down", "superbet-reserve", ("SR-EXCISE-AMOUNT", "SR-EXCISE-RATE"),
          "cuts the stake an inclusive price buys down to the unit, rounding the tax up: the sample's price "
          "1000 at 12.5 % is answered stake 888, ext_amount 112",
          {"ticket_excise": stake_cut_down}),
    Fault("net-ignores-wht", "jackpot-ticket", ("JT-NET-PAYOUT",),
          "answers net_payout = gross_payout, forgetting the withholding tax",
          {"ticket_jackpot_payout": net_without_wht}),
    Fault("jt-wht-on-gross", "jackpot-ticket", ("JT-WHT-RATE",),
          "withholds wht percent of the whole gross payout instead of the winnings (gross 3040, stake 889, "
          "wht 20%: 608 instead of 430); net_payout stays gross - wht_amount",
          {"ticket_jackpot_payout": wht_on_gross}),
    Fault("jt-unknown-event-107", "jackpot-ticket", ("JT-ERROR-CODES",),
          "a jackpot ticket naming an unknown event gets code 107 (event already started) instead of 103 "
          "(JT-ERRORS takes any code; the superbet path keeps 103)",
          {"ticket_unknown_event_error": unknown_jackpot_event_107}),
    Fault("ticket-price-defaulted", "jackpot-ticket", ("JT-NEGATIVE", "SR-NEGATIVE", "JT-ECHO", "SR-ECHO"),
          "reads a missing or non-numeric price as 0 and creates a free ticket instead of refusing the request",
          {"ticket_request_defaults": price_defaulted}),
    Fault("skips-signature", "jackpot-ticket", ("JT-AUTH", "SR-AUTH"),
          "never checks the signature header",
          {"ticket_check_signature": signature_not_checked}),
    Fault("jackpot-400-without-code", "jackpot-ticket", ("JT-ERRORS", "JT-ERROR-CODES", "JT-OPERATOR-HEADER"),
          "a jackpot 400 answers {\"message\": ...} with no error code anywhere in its body",
          {"ticket_bad_request_response": jackpot_400_without_code},
          also=("JT-NEGATIVE",)),   # when a sampled negative case reaches a 400
    Fault("operator-header-unchecked", "jackpot-ticket", ("JT-OPERATOR-HEADER", "JT-ERROR-CODES", "SR-ERRORS"),
          "never compares the operator-name header with the body's operator (no 115)",
          {"ticket_operator_header_matches": operator_header_ignored}),
    Fault("header-operator-served", "jackpot-ticket", ("JT-OPERATOR-HEADER", "JT-ERROR-CODES", "SR-ERRORS"),
          "serves the operator-name header's operator (its secret, its players) and never reads the body's: a "
          "body naming another operator than the signer's is taken (the header situations where the token is "
          "the other operator's player are refused 403)",
          {"ticket_operator_and_signature": operator_from_header}),
    Fault("reserved-nonzero-payout", "superbet-reserve", ("SR-ZERO-PAYOUT", "SR-SCHEMA"),
          "a reservation answers gross_payout and net_payout equal to the stake instead of 0",
          {"ticket_reserve_payout": reserve_pays_stake}),
    Fault("reserve-status-open", "superbet-reserve", ("SR-STATE",),
          "a reservation gets status open instead of reserved",
          {"ticket_reserve_status": lambda: "open"}),
    Fault("superbet-currency-lowercase", "superbet-reserve", ("SR-CURRENCY",),
          "a reservation answers its currency in lower case (kes instead of KES): not an ISO 4217 code (the "
          "same currency, so SR-ECHO, which takes a word in any case, passes)",
          {"ticket_reserve_currency": lambda currency, player_currency: currency.lower()}),
    Fault("currency-from-operator", "jackpot-ticket", ("JT-CURRENCY", "JT-ECHO"),
          f"a jackpot ticket answers the operator's home currency ({OPERATOR_HOME_CURRENCY}) instead of "
          "the request's (seen whenever the request names another currency)",
          {"ticket_jackpot_currency": operator_home_currency}),
    Fault("echo-replaces-atag", "jackpot-ticket", ("JT-ECHO", "SR-ECHO"),
          "answers the operator's default affiliate tag instead of the request's (a ticket without one keeps none)",
          {"ticket_echo_atag": lambda atag: None if atag is None else "house-affiliate"}),
    Fault("operator-time-unshifted", "jackpot-ticket", ("JT-TIMES", "SR-TIMES"),
          "operator_time_updated repeats the UTC time (only operator_time_created is shifted to the "
          "operator's zone)",
          {"ticket_operator_times": updated_left_in_utc}),
    Fault("operator-offset-whole-hours", "jackpot-ticket", ("JT-TIMES",),
          "reads the operator's timezone offset in whole hours: at +05:30 the operator_time_* fields are "
          "30 minutes short",
          {"ticket_operator_times": offset_whole_hours}),
    Fault("odds-diff-limit-exclusive", "jackpot-ticket", ("JT-ODDS-DIFF",),
          "refuses a deviation equal to odds_diff (>= for >): with odds_diff 0, odds that did not move at all "
          "are refused 'Ticket odds changed'",
          {"ticket_odds_within": lambda submitted, current, odds_diff: abs(submitted - current) < odds_diff}),
    Fault("odds-diff-ignored", "jackpot-ticket", ("JT-ODDS-DIFF",),
          "accepts the player's odds however far the current odds moved (odds_diff ignored)",
          {"ticket_odds_within": lambda submitted, current, odds_diff: True}),
    Fault("started-event-wrong-code", "superbet-reserve", ("SR-ERRORS",),
          "answers a started event with 103 (not found) instead of 107 (JT-ERRORS cannot provoke a started "
          "event: a betcard's events are set up unstarted)",
          {"ticket_started_event_error": started_as_not_found}),
    Fault("other-event-bet-accepted", "superbet-reserve", ("SR-ERRORS",),
          "looks a bet up by its id alone: a reservation for one event that names a bet of another event is "
          "made (the page: \"Each element is event bet id\")",
          {"ticket_find_selection": selection_by_bet_alone}),
    Fault("unknown-bet-left-out", "superbet-reserve", ("SR-ERRORS",),
          "a reservation skips the check of the bet ids its event does not have and is made, instead of "
          "refused (a jackpot ticket still refuses them)",
          {"ticket_unknown_bet_refusal": unknown_bet_left_out}),
    Fault("market-of-first-bet-only", "superbet-reserve", ("SR-ERRORS",),
          "checks the market of the ticket's first bet alone: a closed market's bet after an open market's "
          "bets is reserved (no 116)",
          {"ticket_closed_market": first_bet_market_only}),
    Fault("jackpot-schema-drift", "jackpot-ticket", ("JT-SCHEMA",),
          "the jackpot answer renames user_id to userId",
          {"ticket_jackpot_fields": camel_case_user_id}),
    Fault("gross-winnings-only", "jackpot-ticket", ("JT-GROSS-PAYOUT",),
          "answers the winnings (stake x odds less the stake) as gross_payout instead of the potential payout; "
          "wht_amount and net_payout follow from it",
          {"ticket_jackpot_gross": gross_winnings_only}),
    Fault("ticket-huge-price-500", "jackpot-ticket", ("JT-NO-5XX", "SR-NO-5XX"),
          "checks the 64-bit range of integers with struct.pack, which raises: a price, id or prize of "
          "2**63 or more (10**30) gets 500 instead of 422",
          {"ticket_fits_int64": int64_by_struct},
          also=("JT-NEGATIVE", "SR-NEGATIVE")),   # a huge number in a case that is invalid for another reason
    Fault("travel-rejected-says-100", "travel-order", ("TO-FAILURE-CODE", "TO-ENVELOPE"),
          "a rejected order (HTTP 400) answers code 100, the success code",
          {"travel_rejection": travel_rejection_code_100}),
    Fault("text-json-rejected", "travel-order", ("TO-MEDIA", "TO-POSITIVE"),
          "refuses the documented text/json media type (code 101)",
          {"travel_media_parser": text_json_refused}),
    Fault("seven-digit-dates-rejected", "travel-order", ("TO-DATES",),
          "refuses dates with 7 fractional digits (.NET ticks, 2024-12-23T14:51:37.2652335+08:00): code 101",
          {"travel_parse_date": microsecond_dates_only}),
    Fault("travel-orderno-number", "travel-order", ("TO-SCHEMA", "TO-ENVELOPE"),
          "a created order answers data.orderno as a JSON number (20241223145137123456) instead of a string",
          {"travel_success": travel_orderno_number}),
    Fault("travel-success-code-0", "travel-order", ("TO-REJECTION-STYLE", "TO-POSITIVE"),
          "a created order answers code 0 instead of 100: it reads as a refusal at HTTP 200 while real refusals "
          "are HTTP 400 (TO-REJECTION-STYLE: two rejection conventions; TO-POSITIVE: valid orders look refused)",
          {"travel_success": travel_success_code_0}),
    Fault("form-unsupported", "travel-order", ("TO-MEDIA-FORM",),
          "refuses the documented application/x-www-form-urlencoded media type (code 101)",
          {"travel_media_parser": form_refused}),
    Fault("local-total-one-sided", "travel-order", ("TO-LOCAL-TOTAL",),
          "refuses a localtravelroutine whose totalAmt is above the sum of price x quantity of its details but "
          "accepts one below it (it checks for overcharging only): mismatched totals answered two ways",
          {"travel_local_total_ok": local_total_not_above}),
    Fault("extra-charges-overflow-500", "travel-order", ("TO-NO-5XX",),
          "adds extraamt and integraldiscount up in cents in double precision before storing the order: an "
          "amount of 1.8e306 or more overflows, answered 500",
          {"travel_check_repeats": extra_charges_in_double}),
    Fault("travel-accepts-wrong-types", "travel-order", ("TO-NEGATIVE",),
          "never checks JSON types: a string memberid, a number for a string or an object for a "
          "collection is stored as an order",
          {"travel_validator_class": untyped_validator}),
]
# === end of the ticket engine and travel section ==================================================


FAULTS: dict[str, Fault] = {fault.name: fault for fault in _BET_PLACEMENT + _SPORTSBOOK_ORDER + _TICKET_ENGINE_AND_TRAVEL}


def get_fault(name: str) -> Fault:
    """The fault named ``name``; ``ValueError`` listing the known ones otherwise."""
    try:
        return FAULTS[name]
    except KeyError:
        raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(sorted(FAULTS))}") from None
