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
from .atomicity import body_of, is_placed
from .money import is_json_int, json_number

# --- JT-ECHO / SR-ECHO --------------------------------------------------------------------------------

TICKET_ECHO = ("price", "currency", "atag", "source", "type")
JACKPOT_ECHO = (*TICKET_ECHO, "betcard_code", "prize", "bonus_prizes")


def _check_echo(rule_id: str, exchange: Exchange, names: tuple[str, ...]) -> None:
    sent, got = exchange.request_body, exchange.json
    differ = {
        name: {"sent": sent[name], "received": got.get(name, "<absent>")}
        for name in names
        if sent.get(name) is not None and got.get(name) != sent[name]
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
    betcard_code, prize and bonus_prizes, fails if one differs or is missing, does not apply if the
    status is not 200 or a body is not a JSON object (a field the request left out or null is not
    compared; user_id is the PAM's id for the token, not comparable here)."""
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
    return exchange.status == 200 and isinstance(body, dict) and body.get("code") == 200 \
        and isinstance(body.get("data"), dict)


only_so_success = applies_if(_so_success)


def _requested_ticket_id(value: Any) -> int | None:
    if is_json_int(value):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


@response_check("so_ticket_echo", apis=("sportsbook-order",))
@only_so_success
@only_request_object
def so_ticket_echo(exchange: Exchange) -> Any:
    """SO-TICKET-ECHO: passes if an accepted order's data.ticketId is a JSON integer exactly equal to
    the request's ticketId (sent as an integer or a digit string), fails if it is a string, a
    decimal, missing or another value (a double-based parser loses ids beyond 2^53), does not apply if
    the order was not accepted or the request's ticketId is neither an integer nor digits."""
    sent = _requested_ticket_id(exchange.request_body.get("ticketId"))
    if sent is None:
        return True
    got = exchange.json["data"].get("ticketId")
    if not is_json_int(got) or got != sent:
        raise RuleFailure("SO-TICKET-ECHO", f"data.ticketId is not the JSON integer {sent}", received=got,
                          documented='| ticketId | bigint | Y |; "ticketId": "116295584494649344"')
    return None


@response_check("so_amount_echo", apis=("sportsbook-order",))
@only_so_success
@only_request_object
def so_amount_echo(exchange: Exchange) -> Any:
    """SO-AMOUNT-ECHO: passes if an accepted order's data.amount equals the request's orderAmount
    (as Decimals), fails if it differs or is missing, does not apply if the order was not accepted or
    the request's orderAmount is not a number."""
    sent = exchange.request_body.get("orderAmount")
    if json_number(sent) is None:
        return True
    got = exchange.json["data"].get("amount")
    if json_number(got) != json_number(sent):
        raise RuleFailure("SO-AMOUNT-ECHO", f"data.amount is not the request's orderAmount {sent}", received=got,
                          documented='"orderAmount": 100 -> "amount":100')
    return None


@response_check("so_data", apis=("sportsbook-order",))
@only_so_success
def so_data(exchange: Exchange) -> None:
    """SO-DATA: passes if an accepted order's data has userId as a string and orderTime as a JSON
    integer, fails otherwise, does not apply if the order was not accepted (code 200 with data)."""
    data = exchange.json["data"]
    got = {"userId": data.get("userId", "<absent>"), "orderTime": data.get("orderTime", "<absent>")}
    if not isinstance(data.get("userId"), str) or not is_json_int(data.get("orderTime")):
        raise RuleFailure("SO-DATA", "data.userId must be a string and data.orderTime an integer", received=got,
                          documented="| userId | string | Y | ID |; | orderTime | bigint | Y |")


# --- bet-placement ---------------------------------------------------------------------------------------

BP_DECIMALS = ("decimalPrice", "stake")


def _bet_differences(sent: dict[str, Any], got: Any) -> dict[str, Any]:
    if not isinstance(got, dict):
        return {"bet": got}
    ids = [name for name in sent if name.endswith("Id")]
    differ = {name: got.get(name, "<absent>") for name in ids if got.get(name) != sent[name]}
    for name in BP_DECIMALS:
        if name in sent and json_number(got.get(name)) != json_number(sent[name]):
            differ[name] = got.get(name, "<absent>")
    return differ


@response_check("bp_echo", apis=("bet-placement",))
@applies_if(is_placed)
@only_request_object
def bp_echo(exchange: Exchange) -> None:
    """BP-ECHO: passes if a PLACED answer repeats the request's requestId, userId and every bet in
    order (betId and the other ids, decimalPrice and stake equal as Decimals), fails if one differs,
    is missing, or the bets differ in number or order, does not apply if the answer is not PLACED."""
    sent, got = exchange.request_body, exchange.json
    differ = {name: got.get(name, "<absent>") for name in ("requestId", "userId") if got.get(name) != sent.get(name)}
    sent_bets, got_bets = sent.get("bets") or [], got.get("bets")
    if not isinstance(got_bets, list) or len(got_bets) != len(sent_bets):
        differ["bets"] = f"{len(got_bets) if isinstance(got_bets, list) else got_bets!r} bets for {len(sent_bets)} sent"
    else:
        for i, (bet, echoed) in enumerate(zip(sent_bets, got_bets)):
            if isinstance(bet, dict) and (bet_differ := _bet_differences(bet, echoed)):
                differ[f"bets[{i}]"] = bet_differ
    if differ:
        raise RuleFailure("BP-ECHO", "the PLACED answer does not repeat the request: " + ", ".join(differ),
                          received=differ, documented="requestId: Matches request's requestId; bets: Array "
                          "<BetDetails>")
