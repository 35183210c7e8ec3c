"""The sportsbook-order checks: the answer envelope, the echoes of the ticket id and amount, the
success data, and the wallet flows (debit, rejected orders, repeats)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, localcontext
from typing import Any

from hypothesis import strategies as st

from orderproof.checks.base import (
    NOT_APPLICABLE,
    Exchange,
    Flow,
    NotVerified,
    RuleFailure,
    applies_if,
    each_case,
    flow_check,
    only_operation,
    only_request_object,
    response_check,
    shown,
)
from orderproof.checks.conventions import book_of
from orderproof.checks.numbers import (
    integral,
    is_json_int,
    json_number,
    major,
    same_number,
)
from orderproof.checks.outcomes import describe
from orderproof.checks.replies import same_answer
from orderproof.checks.snapshots import (
    assert_unchanged,
    balance_of,
    body_of,
    player_cents,
)

from .answers import outcome

# data.balance is typed double: it is read to the cent (less than half a cent off rounds to the right one).
HALF_CENT = Decimal("0.005")

SO_TABLE = "| code | int | Y |; | msg | string | Y |; | data | object | N |"


# --- the envelope -----------------------------------------------------------------------------------

def _valid_order(exchange: Exchange) -> bool:
    """Whether the suite sent the request as a valid order in the table's own types: a flow's order
    or a realistic positive case (a player, fixtures, sane amounts) whose ids and odds are the
    table's (ticketId, macthId, gameType integers, oddsView a number, comboId an integer). Negative
    cases, edge numbers, positive cases drawn without fixtures, and orders in the request sample's
    forms where the table types otherwise ("ticketId": "1162...", "macthId": "10002", "gameType":
    "1", "oddsView": "3.0", "comboId": null) may be refused by a service's framework in its own
    error shape: the seed documents no rejection."""
    return exchange.sent_as_valid and _in_table_types(exchange.request_body)


def _in_table_types(body: Any) -> bool:
    if not isinstance(body, Mapping) or not is_json_int(body.get("ticketId")):
        return False
    options, bets = body.get("optionArray"), body.get("betList")
    if not isinstance(options, list) or not isinstance(bets, list):
        return False
    return all(isinstance(option, Mapping) and is_json_int(option.get("macthId")) and is_json_int(option.get("gameType"))
               and isinstance(option.get("oddsView"), (int, float, Decimal)) and not isinstance(option.get("oddsView"), bool)
               for option in options) \
        and all(isinstance(bet, Mapping) and is_json_int(bet.get("comboId")) for bet in bets)


def _is_envelope(body: Any) -> bool:
    return isinstance(body, dict) and integral(body.get("code")) is not None and isinstance(body.get("msg"), str) \
        and (body.get("data") is None or isinstance(body.get("data"), dict))


@response_check
@only_operation
def so_envelope(rule: Any, exchange: Exchange) -> Any:
    """SO-ENVELOPE: passes if the answer is the {code: int, msg: str, data: object|null|absent}
    envelope and code 200 comes only with a 2xx; fails otherwise (including a body that is not
    JSON). Every answer to a valid order in the table's types, and every 2xx, must be the envelope;
    an answer at HTTP 4xx to any other request (a negative case, an edge number, a positive case
    drawn without fixtures, an order in the request sample's string and null forms) that is not
    the envelope is left to SO-NEGATIVE (SHOULD). How rejections are answered (HTTP 4xx or HTTP
    200, convention sportsbook-order.rejection) is judged per answer, not across the run, unless the
    target pins that convention: then the refusal of a valid order in the other form fails. Does not
    apply to a server error (SO-NO-5XX's) or another method."""
    if exchange.status >= 500:
        return NOT_APPLICABLE
    body = body_of(exchange)
    if not _is_envelope(body):
        if 400 <= exchange.status < 500 and not _valid_order(exchange):
            return NOT_APPLICABLE
        raise RuleFailure(rule, "the answer is not the {code: int, msg: str, data: object|null} envelope",
                          received=shown(exchange), documented=SO_TABLE)
    result = outcome(exchange)
    if body["code"] == 200 and not result.accepted:
        raise RuleFailure(rule, f"HTTP {exchange.status} carries code 200 (success)", received=shown(exchange),
                          documented="code 200 is the success sample's; a refusal carries another code")
    if result.refused and result.convention and exchange.sent_as_valid:   # held to the target's pin, if any
        book_of(exchange).note(rule, result.convention, result.option, describe(exchange))
    return None


@response_check
@only_operation
def so_success_msg(rule: Any, exchange: Exchange) -> Any:
    """SO-SUCCESS-MSG: passes if an accepted order (code 200) says msg "success", fails on another
    msg, does not apply to other answers."""
    body = body_of(exchange)
    if not isinstance(body, dict) or body.get("code") != 200 or not 200 <= exchange.status < 300:
        return NOT_APPLICABLE
    if body.get("msg") != "success":
        raise RuleFailure(rule, "a successful order does not say msg \"success\"", received=body.get("msg"))
    return None


# --- echoes and data of an accepted order ---------------------------------------------------------------

NO_DATA = ("an accepted order (code 200) carried no data: the table marks data optional (| data | object | N |), "
           "so the data the rule reads was never shown")


def _accepted_with_data(rule: Any, exchange: Exchange) -> bool:
    """An accepted order whose answer carries data; an accepted order without data raises
    NotVerified (the rule is NOT VERIFIED, with that reason, unless another answer carries data)."""
    body = body_of(exchange)
    if not outcome(exchange).accepted or not isinstance(body, dict):
        return False
    if body.get("data") is None:
        raise NotVerified(NO_DATA)
    return isinstance(body.get("data"), dict)


only_accepted = applies_if(_accepted_with_data)


def _requested_ticket_id(value: Any) -> int | None:
    if is_json_int(value):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


TICKET_ID_KEYS = ("ticketId", "ticketID")


def _id_form(value: Any) -> str | None:
    """``integer`` (a JSON number with a whole value), ``digit-string`` or None."""
    if integral(value) is not None:
        return "integer"
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return "digit-string"
    return None


@response_check
@only_accepted
@only_request_object
def so_ticket_echo(rule: Any, exchange: Exchange) -> Any:
    """SO-TICKET-ECHO: passes if an accepted order's data carries the request's ticketId (sent as an
    integer or a digit string) exactly, or an id of the operator's own, one reading through the run
    (convention sportsbook-order.ticket-id-value), under the key ticketId (table) or ticketID (sample)
    and as a JSON integer or a digit string (conventions sportsbook-order.ticket-id-key, one key
    through the run, and .ticket-id-type: an integer, a digit string or the form the request sent,
    noted, held to one only where the target pins it); fails if it is missing, a decimal, the
    request's id read through a double (a double-based parser loses ids beyond 2^53), under another
    key than earlier answers, or in a form the pinned option does not allow; does not apply if the
    order was not accepted or the request's ticketId is neither an integer nor digits."""
    requested = exchange.request_body.get("ticketId")
    sent = _requested_ticket_id(requested)
    if sent is None:
        return NOT_APPLICABLE
    data = exchange.json["data"]
    keys = [key for key in TICKET_ID_KEYS if key in data]
    if not keys:
        raise RuleFailure(rule, "data carries no ticket id (ticketId or ticketID)", received=sorted(data))
    book = book_of(exchange)
    book.observe(rule, "sportsbook-order.ticket-id-key", keys, f"data.{keys[0]}")
    got = data[keys[0]]
    kind = _id_form(got)
    if kind is None:
        raise RuleFailure(rule, f"data.{keys[0]} is not a bigint (an integer or its digits)", received=got)
    if int(got) != sent and same_number(int(got), sent):
        raise RuleFailure(rule, f"data.{keys[0]} is the request's ticketId {sent} read through a double", received=got,
                          documented="| ticketId | bigint | Y |: every digit (a double keeps 53 bits)")
    book.observe(rule, "sportsbook-order.ticket-id-value", "echo" if int(got) == sent else "own",
                 f"data.{keys[0]}: {got!r} (request ticketId: {requested!r})")
    forms = (kind, "as-sent") if kind == _id_form(requested) else (kind,)
    # Not held to one form through the run (a pin holds it): the table types the id bigint, the request
    # sample sends digits, and a JSON integer up to 2^53 and the digits beyond is the usual defence.
    book.note(rule, "sportsbook-order.ticket-id-type", forms,
              f"data.{keys[0]}: {got!r} (request ticketId: {requested!r})")
    return None


@response_check
@only_accepted
@only_request_object
def so_amount_echo(rule: Any, exchange: Exchange) -> Any:
    """SO-AMOUNT-ECHO: passes if an accepted order's data.amount equals the request's orderAmount
    (as decimals, or as doubles: the table types both double), or is the total of the bets (the sum
    of betAmount, or of betAmount x cnt) where the request's orderAmount is not that total (the
    sample's orderAmount repeats its one bet's betAmount: a service may debit what the bets say),
    either of them finer than a cent to the cent by any rounding (the seed says nothing of sub-cent
    amounts: a wallet debits cents); fails if it differs or is missing, does not
    apply if the order was not accepted or the request's orderAmount is not a number."""
    sent = exchange.request_body.get("orderAmount")
    if json_number(sent) is None:
        return NOT_APPLICABLE
    got = exchange.json["data"].get("amount")
    if not any(same_number(got, charged) or _to_the_cent(json_number(got), json_number(charged))
               for charged in [sent, *_bets_totals(exchange.request_body)]):
        raise RuleFailure(rule, f"data.amount is not the request's orderAmount {sent}", received=got)
    return None


def _bets_totals(body: Mapping[str, Any]) -> list[Decimal]:
    """What the betList says the order costs: the sum of betAmount, and of betAmount x cnt (a bet of
    several combinations); none when a bet's numbers are missing."""
    bets = body.get("betList")
    if not isinstance(bets, list) or not bets or not all(isinstance(bet, Mapping) for bet in bets):
        return []
    amounts = [json_number(bet.get("betAmount")) for bet in bets]
    counts = [json_number(bet.get("cnt", 1)) for bet in bets]
    if any(value is None or not value.is_finite() for value in amounts + counts):
        return []
    with localcontext() as context:
        context.prec = 1000
        return [sum(amounts, Decimal(0)), sum((a * c for a, c in zip(amounts, counts)), Decimal(0))]


def _to_the_cent(got: Decimal | None, sent: Decimal) -> bool:
    """``got`` is ``sent`` (finer than a cent) in whole cents, rounded one way or the other."""
    cent = Decimal("0.01")
    if got is None or not got.is_finite() or not sent.is_finite():
        return False
    with localcontext() as context:
        context.prec = 1000              # 1.8e308 % 0.01 needs every digit
        return sent % cent != 0 and got % cent == 0 and abs(got - sent) < cent


@response_check
@only_accepted
def so_data(rule: Any, exchange: Exchange) -> None:
    """SO-DATA: passes if an accepted order's data has amount and balance as JSON numbers, userId as
    a string and orderTime as a JSON integer or a digit string (a bigint, like ticketId), fails
    otherwise, does not apply if the order was not accepted (code 200 with data)."""
    data = exchange.json["data"]
    got = {name: data.get(name, "<absent>") for name in ("amount", "balance", "userId", "orderTime")}
    if json_number(data.get("amount")) is None or json_number(data.get("balance")) is None \
            or not isinstance(data.get("userId"), str) or _id_form(data.get("orderTime")) is None:
        raise RuleFailure(rule, "data must carry amount and balance (numbers), userId (a string) and orderTime "
                          "(an integer or its digits)", received=got)


# --- the wallet (flows) ----------------------------------------------------------------------------------

def order_amount(flow: Flow, player: Mapping[str, Any], body: dict[str, Any], *, over_balance: bool = False) -> Decimal:
    """Set an order's amount the way the seed's sample does (orderAmount = the betList's betAmount,
    one bet of one combination): within the player's stake limits and balance, or above the balance
    when ``over_balance``. Returns the amount."""
    balance = player_cents(player, "balance")
    lo, hi = _stake_limits(player, balance)
    if over_balance:
        amount = major(balance + flow.draw(st.integers(1, 100_000), "cents over the balance"))
    else:
        amount = major(flow.draw(st.integers(lo, max(lo, min(hi, balance))), "orderAmount in cents"))
    return _set_amount(body, amount)


def _stake_limits(player: Mapping[str, Any], balance: int) -> tuple[int, int]:
    """The player's smallest and largest stake in cents (1 cent and the balance where the fixture sets none)."""
    return max(1, _cents_or(player, "min_stake", 1)), _cents_or(player, "max_stake", balance)


def _set_amount(body: dict[str, Any], amount: Decimal) -> Decimal:
    body["orderAmount"] = amount
    bets = body.get("betList")
    if isinstance(bets, list) and bets and isinstance(bets[0], dict):
        body["betList"] = [{**bets[0], "betAmount": amount, "cnt": 1}]
    return amount


def _cents_or(player: Mapping[str, Any], name: str, default: int) -> int:
    try:
        return player_cents(player, name)
    except NotVerified:                  # a player without that limit: the default
        return default


def _accepted_data(rule: Any, exchange: Exchange) -> dict[str, Any] | None:
    """The data of an accepted order (None when it carries none: the table marks data optional), or
    a failure saying the valid order was refused."""
    body = body_of(exchange)
    if not outcome(exchange).accepted or not isinstance(body, dict):
        raise RuleFailure(rule, "a valid order for a player with funds was not accepted",
                          received=shown(exchange), documented='"code":200, "msg":"success", "data":{...}')
    return body["data"] if isinstance(body.get("data"), dict) else None


@flow_check
def so_balance(rule: Any, flow: Flow) -> None:
    """SO-BALANCE: passes if two accepted orders, the second spending what the first left (when the
    player's stake limits take it), each debit the wallet by exactly their orderAmount: data.balance
    (when the answer carries data; within half a cent, the table types it double) and the player's
    snapshot balance are the balance before minus orderAmount, down to zero; fails if either moved
    by another amount (or a valid order was not accepted), does not apply: always applies (needs
    provider states)."""
    player = flow.setup("a player exists", balance="400.00")   # below the fixtures' usual largest stake
    body = flow.valid_body(player)
    left = _debited(rule, flow, player, body, order_amount(flow, player, body))
    lo, hi = _stake_limits(player, player_cents(player, "balance"))
    if lo <= left * 100 <= hi:
        body = flow.valid_body(player)
        _debited(rule, flow, player, body, _set_amount(body, left))


def _debited(rule: Any, flow: Flow, player: Mapping[str, Any], body: dict[str, Any], amount: Decimal) -> Decimal:
    """Send the order and hold that it took ``amount`` from the wallet; the balance left."""
    before = balance_of(rule, flow.snapshot(player))
    exchange = flow.send(body, player=player)
    data = _accepted_data(rule, exchange)
    expected = before - amount
    if data is not None:
        reported = json_number(data.get("balance"))
        if reported is None or abs(reported - expected) >= HALF_CENT:       # not the right cent
            raise RuleFailure(rule, f"data.balance after an order of {amount} from {before} is not {expected}",
                              received=data.get("balance"))
    after = balance_of(rule, flow.snapshot(player))
    if after != expected:
        raise RuleFailure(rule, f"the wallet moved from {before} to {after} for an order of {amount}",
                          received=str(after), documented=f"{before} - {amount} = {expected}")
    return after


@flow_check
def so_reject_nothing(rule: Any, flow: Flow) -> None:
    """SO-REJECT-NOTHING: passes if an order over the balance, or with an unknown customerToken, is
    answered with a non-200 code and leaves the player's balance and orders unchanged, fails if it is
    accepted or anything is debited or stored (listing both), does not apply: always applies (needs
    provider states and snapshots). Every example tries both."""
    each_case(rule, ("over balance", "unknown token"), lambda case: _reject_case(rule, flow, case), flow=flow)


def _reject_case(rule: Any, flow: Flow, case: str) -> None:
    documented = "a rejection leaves the wallet and the orders as they were (only a code 200 order debits)"
    balance = major(flow.draw(st.integers(0, 100_000), f"{case}: balance in cents"))
    player = flow.setup("a player exists", balance=str(balance))
    body = flow.valid_body(player)
    if case == "over balance":
        order_amount(flow, player, body, over_balance=True)
        situation = f"an order of {body['orderAmount']} against a balance of {balance}"
    else:
        order_amount(flow, player, body)
        body["customerToken"] = f"orderproof-unknown-{flow.fresh_uuid()[:13]}"
        situation = "an order with an unknown customerToken"
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player)
    if outcome(exchange).accepted:
        raise RuleFailure(rule, f"{situation} was accepted", received=shown(exchange), documented=documented)
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected", documented,
                     keys=("balance", "orders"))


@flow_check
def so_repeat(rule: Any, flow: Flow) -> None:
    """SO-REPEAT: passes if an order sent twice with the same ticketId and body is debited and stored
    once and the repeat gets, one way through the run (convention sportsbook-order.repeat), the first
    answer again or a refusal; fails otherwise; does not apply: always applies (needs provider states
    and snapshots)."""
    documented = "the first status and body are saved and replayed (same ticketId and body: debits nothing again)"
    player = flow.setup("a player exists", balance="1000.00")
    body = flow.valid_body(player)
    order_amount(flow, player, body)
    first = flow.send(body, player=player)
    if not outcome(first).accepted:
        raise RuleFailure(rule, "a valid order for a player with funds was not accepted", received=shown(first),
                          documented='"code":200, "msg":"success"')
    after_first = flow.snapshot(player)
    repeat = flow.send(body, player=player)
    if same_answer(first, repeat):
        option = "replay"
    elif outcome(repeat).refused or 400 <= repeat.status < 500:
        option = "reject"          # a 4xx refuses whatever its body (its shape is SO-ENVELOPE's business)
    else:
        raise RuleFailure(rule, "the repeated order got neither the first answer nor a refusal",
                          received=shown(repeat), documented=f"{documented}; first: {shown(first)}")
    flow.conventions.observe(rule, "sportsbook-order.repeat", option, shown(repeat, 80))
    assert_unchanged(rule, after_first, flow.snapshot(player), "the order was repeated with the same ticketId",
                     documented, keys=("balance", "orders"))
