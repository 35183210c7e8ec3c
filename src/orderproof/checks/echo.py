"""Echo checks: a successful answer repeats what was asked (ticket fields, the sportsbook ticketId and
amount, the placed slip's ids, prices and stakes)."""

from __future__ import annotations

from typing import Any

from .base import (
    Exchange,
    RuleFailure,
    applies_if,
    only_json_object,
    only_request_object,
    only_status,
    response_check,
)
from .conventions import book_of

from .atomicity import body_of, is_placed
from .base import NOT_APPLICABLE
from .money import is_json_int, json_number
from .outcomes import outcome

# --- JT-ECHO / SR-ECHO --------------------------------------------------------------------------------

TICKET_ECHO = ("price", "currency", "atag", "source", "type")
JACKPOT_ECHO = (*TICKET_ECHO, "betcard_code", "prize", "bonus_prizes")


BETCARD_FIELDS = ("prize", "bonus_prizes")


def _check_echo(rule_id: str, exchange: Exchange, names: tuple[str, ...]) -> None:
    """Each named field the request sent comes back equal; the betcard's prize and bonus prizes may
    also be the betcard's own (as set up), when the request named other ones."""
    sent, got = exchange.request_body, exchange.json
    card = exchange.extra.get("betcard") or {}
    differ = {
        name: {"sent": sent[name], "received": got.get(name, "<absent>")}
        for name in names
        if sent.get(name) is not None and got.get(name) != sent[name]
        and not (name in BETCARD_FIELDS and name in card and got.get(name) == card[name])
    }
    if differ:
        raise RuleFailure(rule_id, "the ticket does not repeat the request's " + ", ".join(differ), received=differ,
                          documented="the response fields repeat the request's (" + ", ".join(names) + ")")


@response_check("jt_echo", apis=("jackpot-ticket",))
@only_status(200)
@only_json_object
@only_request_object
def jt_echo(exchange: Exchange) -> None:
    """JT-ECHO: passes if a 200 ticket repeats the request's price, currency, atag, source, type,
    betcard_code, prize and bonus_prizes (prize and bonus_prizes may instead be the betcard's own, as
    set up), fails if one differs or is missing, does not apply if the status is not 200 or a body is
    not a JSON object (a field the request left out or null is not compared; user_id is the PAM's id
    for the token, not comparable here)."""
    _check_echo("JT-ECHO", exchange, JACKPOT_ECHO)


@response_check("sr_echo", apis=("superbet-reserve",))
@only_status(200)
@only_json_object
@only_request_object
def sr_echo(exchange: Exchange) -> None:
    """SR-ECHO: passes if a 200 reservation repeats the request's price, currency, atag, source and
    type, fails if one differs or is missing, does not apply if the status is not 200 or a body is not
    a JSON object (a field the request left out or null is not compared)."""
    _check_echo("SR-ECHO", exchange, TICKET_ECHO)


# --- sportsbook-order ---------------------------------------------------------------------------------


def _so_success(exchange: Exchange) -> bool:
    body = body_of(exchange)
    return outcome(exchange).accepted and isinstance(body, dict) and isinstance(body.get("data"), dict)


only_so_success = applies_if(_so_success)


def _requested_ticket_id(value: Any) -> int | None:
    if is_json_int(value):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


TICKET_ID_KEYS = ("ticketId", "ticketID")


@response_check("so_ticket_echo", apis=("sportsbook-order",))
@only_so_success
@only_request_object
def so_ticket_echo(exchange: Exchange) -> Any:
    """SO-TICKET-ECHO: passes if an accepted order's data carries the request's ticketId (sent as an
    integer or a digit string) exactly, under the key ticketId (table) or ticketID (sample) and as a
    JSON integer or a digit string, one way through the run (conventions sportsbook-order.ticket-id-key
    and .ticket-id-type); fails if it is missing, a decimal, another value (a double-based parser loses
    ids beyond 2^53) or changes form during the run; does not apply if the order was not accepted or
    the request's ticketId is neither an integer nor digits."""
    rule = "SO-TICKET-ECHO"
    sent = _requested_ticket_id(exchange.request_body.get("ticketId"))
    if sent is None:
        return NOT_APPLICABLE
    data = exchange.json["data"]
    keys = [key for key in TICKET_ID_KEYS if key in data]
    if not keys:
        raise RuleFailure(rule, "data carries no ticket id (ticketId or ticketID)", received=sorted(data),
                          documented='| ticketId | bigint | Y |; "ticketID": 116270986269032448')
    book = book_of(exchange)
    book.observe(rule, "sportsbook-order.ticket-id-key", keys, f"data.{keys[0]}")
    got = data[keys[0]]
    kind = "integer" if is_json_int(got) else ("digit-string" if isinstance(got, str) and got.isascii()
                                               and got.isdigit() else None)
    if kind is None or int(got) != sent:
        raise RuleFailure(rule, f"data.{keys[0]} is not the request's ticketId {sent}", received=got,
                          documented='| ticketId | bigint | Y |; "ticketId": "116295584494649344"')
    book.observe(rule, "sportsbook-order.ticket-id-type", kind, f"data.{keys[0]}: {got!r}")
    return None


@response_check("so_amount_echo", apis=("sportsbook-order",))
@only_so_success
@only_request_object
def so_amount_echo(exchange: Exchange) -> Any:
    """SO-AMOUNT-ECHO: passes if an accepted order's data.amount equals the request's orderAmount
    (as decimals, or as doubles: the table types both double), fails if it differs or is missing, does
    not apply if the order was not accepted or the request's orderAmount is not a number."""
    sent = exchange.request_body.get("orderAmount")
    if json_number(sent) is None:
        return True
    got = exchange.json["data"].get("amount")
    if not same_number(got, sent):
        raise RuleFailure("SO-AMOUNT-ECHO", f"data.amount is not the request's orderAmount {sent}", received=got,
                          documented='"orderAmount": 100 -> "amount":100')
    return None


@response_check("so_data", apis=("sportsbook-order",))
@only_so_success
def so_data(exchange: Exchange) -> None:
    """SO-DATA: passes if an accepted order's data has amount and balance as JSON numbers, userId as
    a string and orderTime as a JSON integer, fails otherwise, does not apply if the order was not
    accepted (code 200 with data)."""
    data = exchange.json["data"]
    got = {name: data.get(name, "<absent>") for name in ("amount", "balance", "userId", "orderTime")}
    if json_number(data.get("amount")) is None or json_number(data.get("balance")) is None \
            or not isinstance(data.get("userId"), str) or not is_json_int(data.get("orderTime")):
        raise RuleFailure("SO-DATA", "data must carry amount and balance (numbers), userId (a string) and "
                          "orderTime (an integer)", received=got,
                          documented="| amount | double | Y |; | balance | double | Y |; | userId | string | Y | ID |; "
                          "| orderTime | bigint | Y |")


# --- bet-placement ---------------------------------------------------------------------------------------

BP_DECIMALS = ("decimalPrice", "stake")


def _bet_differences(sent: dict[str, Any], got: Any) -> dict[str, Any]:
    if not isinstance(got, dict):
        return {"bet": got}
    ids = [name for name in sent if name.endswith("Id")]
    differ = {name: got.get(name, "<absent>") for name in ids if got.get(name) != sent[name]}
    for name in BP_DECIMALS:
        if name in sent and not same_number(got.get(name), sent[name]):
            differ[name] = got.get(name, "<absent>")
    return differ


def same_number(got: Any, sent: Any) -> bool:
    """Two JSON numbers are the same value: equal as decimals, or as doubles (a field the seed types
    double, or Decimal/Double, may be held in a double: 2^53 + 1 comes back as 2^53)."""
    a, b = json_number(got), json_number(sent)
    if a is None or b is None:
        return False
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except (OverflowError, ValueError):
        return False


@response_check("bp_echo", apis=("bet-placement",))
@applies_if(is_placed)
@only_request_object
def bp_echo(exchange: Exchange) -> None:
    """BP-ECHO: passes if a PLACED answer repeats the request's requestId and userId and carries every
    bet of the request, matched by betId in any order, with the same ids, decimalPrice and stake
    (equal as decimals, or as doubles: the seed types them Decimal/Double; extra fields are fine), fails
    if one differs, is missing or a bet is missing or added, does not apply if the answer is not
    PLACED. The sessionToken may be refreshed."""
    sent, got = exchange.request_body, exchange.json
    differ: dict[str, Any] = {name: got.get(name, "<absent>") for name in ("requestId", "userId")
                              if got.get(name) != sent.get(name)}
    sent_bets = [bet for bet in sent.get("bets") or [] if isinstance(bet, dict)]
    got_bets = got.get("bets")
    if not isinstance(got_bets, list):
        differ["bets"] = got_bets
    else:
        answered = {bet.get("betId"): bet for bet in got_bets if isinstance(bet, dict)}
        if len(got_bets) != len(sent_bets):
            differ["bets"] = f"{len(got_bets)} bets answered for {len(sent_bets)} sent"
        for bet in sent_bets:
            echoed = answered.get(bet.get("betId"))
            if echoed is None:
                differ[f"bet {bet.get('betId')}"] = "<absent>"
            elif bet_differ := _bet_differences(bet, echoed):
                differ[f"bet {bet.get('betId')}"] = bet_differ
    if differ:
        raise RuleFailure("BP-ECHO", "the PLACED answer does not repeat the request: " + ", ".join(differ),
                          received=differ, documented="requestId: Matches request's requestId; bets: Array "
                          "<BetDetails>")
