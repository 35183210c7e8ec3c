"""The superbet-reserve checks: cents, echoes, currency, the reservation's state and zero payouts,
taxes, times, the engine's documented errors and the signature."""

from __future__ import annotations

from typing import Any

from orderproof.apis.ticket_engine import rules as ticket
from orderproof.checks.base import (
    Exchange,
    Flow,
    RuleFailure,
    flow_check,
    only_json_object,
    only_request_object,
    only_status,
    response_check,
)
from orderproof.checks.numbers import json_number
from orderproof.checks.outcomes import awaits_result

MONEY = ("price", "stake", "gross_payout", "net_payout", "wht_amount", "ext_amount")
SITUATIONS = (*ticket.COMMON_SITUATIONS, "bet of another event", "event started", "market not allowed")


@response_check
@only_status(200)
@only_json_object
def sr_cents(rule: Any, exchange: Exchange) -> None:
    """SR-CENTS: passes if every money field of a 200 response (price, stake, gross_payout,
    net_payout, wht_amount, ext_amount) is a JSON integer literal, fails if one is a decimal literal,
    a string or a bool, does not apply if the status is not 200 or the body is not a JSON object."""
    ticket.check_cents(rule, exchange, MONEY)


@response_check
@only_status(200)
@only_json_object
@only_request_object
def sr_echo(rule: Any, exchange: Exchange) -> None:
    """SR-ECHO: passes if a 200 reservation repeats the request's price, currency, atag, source and
    type, fails if one differs or is missing, does not apply if the status is not 200 or a body is not
    a JSON object (a field the request left out or null is not compared, nor an atag the answer leaves
    out: the response row says "Optional affiliate Tag"; numbers compare as values, also as doubles)."""
    ticket.check_echo(rule, exchange, ticket.TICKET_ECHO)


@response_check
@only_status(200)
@only_json_object
@only_request_object
def sr_currency(rule: Any, exchange: Exchange) -> None:
    """SR-CURRENCY: passes if a 200 response's currency equals the request's and is three upper-case
    letters, fails if it differs or is not an ISO 4217 code, does not apply if the status is not 200
    or either body is not a JSON object."""
    ticket.check_currency(rule, exchange)


@response_check
@only_status(200)
@only_json_object
def sr_state(rule: Any, exchange: Exchange) -> None:
    """SR-STATE: passes if a 200 reservation has status "reserved", in any letter case (an enum's name,
    RESERVED), and a result that says it awaits its result ("pending", or an equivalent such as
    unsettled, open: any word but one of a resulted or dead ticket), fails otherwise, does not apply if
    the status is not 200 or the body is not a JSON object. The page gives the fields no list of values."""
    body = exchange.json
    got = {"status": body.get("status"), "result": body.get("result")}
    reserved = isinstance(got["status"], str) and got["status"].strip().casefold() == "reserved"
    if not reserved or not awaits_result(got["result"]):
        raise RuleFailure(rule, "a reserved superbet ticket must be reserved and unresulted", received=got)


@response_check
@only_status(200)
@only_json_object
def sr_zero_payout(rule: Any, exchange: Exchange) -> None:
    """SR-ZERO-PAYOUT: passes if a 200 reservation has gross_payout, net_payout and wht_amount all 0,
    fails if any is another value or missing, does not apply if the status is not 200 or the body is
    not a JSON object."""
    body = exchange.json
    got = {k: body.get(k) for k in ("gross_payout", "net_payout", "wht_amount")}
    if any(json_number(v) != 0 for v in got.values()):
        raise RuleFailure(rule, "a reservation's payouts and withholding tax must be 0", received=got)


@response_check
@only_status(200)
@only_json_object
def sr_excise_sum(rule: Any, exchange: Exchange) -> Any:
    """SR-EXCISE-SUM: passes if a 200 response has stake + ext_amount == price (ext_type inclusive),
    fails if not, does not apply if the status is not 200, ext_type is not inclusive or a field is
    missing or not a number."""
    return ticket.check_excise_sum(rule, exchange)


@response_check
@only_status(200)
@only_json_object
def sr_excise_amount(rule: Any, exchange: Exchange) -> Any:
    """SR-EXCISE-AMOUNT: passes if a 200 response's ext_amount is price x ext / (100 + ext), the tax
    an inclusive price holds, rounded down or to the nearest unit, fails if not (rounded up: the
    sample's 1000 at 12.5 answers 111, not 112), does not apply if the status is not 200, ext_type
    is not inclusive or a field is missing or not a number."""
    return ticket.check_excise_amount(rule, exchange)


@response_check
@only_status(200)
@only_json_object
def sr_excise_rate(rule: Any, exchange: Exchange) -> Any:
    """SR-EXCISE-RATE: passes if a 200 response has stake == round(price / (1 + ext/100)) (half-up or
    half-even, or rounded up: the tax floored, as in the sample) and ext_amount == price - stake,
    fails if not, does not apply if the status is not 200, ext_type is not inclusive or a field is
    missing or not a number."""
    return ticket.check_excise_rate(rule, exchange)


@response_check
@only_status(200)
@only_json_object
def sr_times(rule: Any, exchange: Exchange) -> None:
    """SR-TIMES: passes if a 200 reservation's created, updated, operator_time_created and
    operator_time_updated are YYYY-MM-DDTHH:MM:SS.ffffff (no zone), created is UTC (within 10 minutes
    of the clock when the request was sent), updated >= created, and both operator times are shifted
    from their UTC twins by one offset that is a whole number of minutes within +-14 h, give or take
    a second for two clock reads (and equal to
    the operator's zone when the suite knows it: ``exchange.extra["operator_timezone_offset"]``);
    fails otherwise (including a missing time); does not apply if the status is not 200."""
    ticket.check_times(rule, exchange)


@flow_check
def sr_errors(rule: Any, flow: Flow) -> None:
    """SR-ERRORS: passes if each provoked situation gets 400 {code, message} with its code (unknown
    event 103 (or 106, a code of its own or 422: its bets are then not its own either,
    ticket_engine.rules.SECOND_ERROR), event started 107, unknown operator 112 or a 403 (convention
    superbet-reserve.unknown-operator), operator without webhook 114, operator header differs, signed
    by the body's operator for its own player, 115 or a 403 (the signature checked with the header's
    operator); the header's operator signing for the body operator's player, or the body naming
    another operator than the signer's, any 4xx (a second error: ticket_engine.rules.EITHER_ERROR), market
    not allowed 116 (one bet of a closed market among an open market's bets); an unknown bet, or a bet
    of another event, among the known ones: 400 with any code, or 422: 106 names a market id) and
    stores no ticket; fails otherwise, listing every situation that failed; does not apply: always
    applies (needs provider states). Each situation gets a fresh scene."""
    ticket.provoke_errors(rule, flow, SITUATIONS, codes=True)


@flow_check
def sr_auth(rule: Any, flow: Flow) -> None:
    """SR-AUTH: passes if a reservation with a bad signature gets 403 (any body: the page gives none)
    and no ticket is created, fails otherwise, does not apply: always applies (needs provider states)."""
    ticket.bad_signature(rule, flow)
