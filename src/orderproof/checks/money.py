"""Money checks: integer cents, currency, excise tax, and balances that move by exactly the amount.

Money is compared as ``Decimal`` (never float): response bodies are parsed exactly
(:func:`~orderproof.checks.base.loads_exact`), provider-state answers carry decimal strings.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import Any

from hypothesis import strategies as st

from .base import (
    Exchange,
    Flow,
    RuleFailure,
    flow_check,
    only_json_object,
    only_request_object,
    only_status,
    response_check,
    shown,
)

TICKET_APIS = ("jackpot-ticket", "superbet-reserve")
TICKET_MONEY = ("price", "stake", "gross_payout", "net_payout", "wht_amount", "ext_amount")
JACKPOT_MONEY = (*TICKET_MONEY, "prize")
CENTS_QUOTE = ("price: integer. Ticket price. Should be in integer format (cents). For example, for price 35.00 "
               "the value will be 3500")


# --- helpers shared by the money, payout and flow checks -------------------------------------------


def to_decimal(value: Any) -> Decimal | None:
    """A money or odds value as ``Decimal``: JSON numbers (int or exact Decimal) and decimal strings
    (provider-state answers); ``None`` for anything else (bool, null, text that is not a number)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):  # only from a caller that parsed inexactly; keep its shortest repr
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def json_number(value: Any) -> Decimal | None:
    """A JSON number literal of an exactly parsed body as Decimal; None for strings, bools, null (the
    schema check judges those)."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    return None


def is_json_int(value: Any) -> bool:
    """A JSON integer literal: ``int`` but not ``bool``; ``3500.0`` parses as Decimal and is not."""
    return isinstance(value, int) and not isinstance(value, bool)


def rounded(value: Decimal, places: int = 0) -> set[Decimal]:
    """``value`` rounded half-up and half-even (both accepted where the document says only "round"),
    at whatever magnitude (a context wide enough for every digit, so a huge product never raises)."""
    exp = Decimal(1).scaleb(-places)
    if not value.is_finite():
        return set()
    with localcontext() as context:
        context.prec = max(28, value.adjusted() + places + 4)
        return {value.quantize(exp, rounding=ROUND_HALF_UP), value.quantize(exp, rounding=ROUND_HALF_EVEN)}


def cents(value: Any) -> int:
    """A decimal amount in major units (``"12.34"``) as integer cents (1234); exact or ValueError."""
    amount = to_decimal(value)
    if amount is None or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"not an amount with at most 2 decimals: {value!r}")
    return int(amount * 100)


def major(cents_value: int) -> Decimal:
    """Integer cents as a Decimal in major units with 2 places (1234 -> Decimal('12.34'))."""
    return Decimal(cents_value).scaleb(-2)


def _fields(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Decimal]:
    """The named fields of ``body`` that are numbers, as Decimals (absent or non-numbers skipped:
    the schema check judges those)."""
    values = {name: json_number(body.get(name)) for name in names}
    return {name: value for name, value in values.items() if value is not None}


# --- JT-CENTS / SR-CENTS --------------------------------------------------------------------------


def _check_cents(rule_id: str, exchange: Exchange, names: tuple[str, ...], lists: tuple[str, ...] = ()) -> None:
    body = exchange.json
    wrong = {name: body[name] for name in names if name in body and not is_json_int(body[name])}
    for name in lists:
        items = body.get(name)
        if isinstance(items, list):
            wrong.update({f"{name}[{i}]": v for i, v in enumerate(items) if not is_json_int(v)})
    if wrong:
        raise RuleFailure(
            rule_id,
            "money fields must be JSON integer literals (cents); these are not: "
            + ", ".join(f"{k}={v!r} ({type(v).__name__})" for k, v in wrong.items()),
            received=wrong,
            documented=CENTS_QUOTE,
        )


@response_check("jt_cents", apis=("jackpot-ticket",))
@only_status(200)
@only_json_object
def jt_cents(exchange: Exchange) -> None:
    """JT-CENTS: passes if every money field of a 200 response (price, stake, gross_payout,
    net_payout, wht_amount, ext_amount, prize, bonus_prizes[]) is a JSON integer literal, fails if one
    is a decimal literal (``3500.0``), a string or a bool, does not apply if the status is not 200 or
    the body is not a JSON object."""
    _check_cents("JT-CENTS", exchange, JACKPOT_MONEY, ("bonus_prizes",))


@response_check("sr_cents", apis=("superbet-reserve",))
@only_status(200)
@only_json_object
def sr_cents(exchange: Exchange) -> None:
    """SR-CENTS: passes if every money field of a 200 response (price, stake, gross_payout,
    net_payout, wht_amount, ext_amount) is a JSON integer literal, fails if one is a decimal literal,
    a string or a bool, does not apply if the status is not 200 or the body is not a JSON object."""
    _check_cents("SR-CENTS", exchange, TICKET_MONEY)


# --- JT-CURRENCY ---------------------------------------------------------------------------------

_ISO_4217 = re.compile(r"^[A-Z]{3}$")


def _check_currency(rule_id: str, exchange: Exchange) -> None:
    sent, got = exchange.request_body.get("currency"), exchange.json.get("currency")
    if not isinstance(got, str) or not _ISO_4217.match(got):
        raise RuleFailure(rule_id, "response currency is not a three-letter ISO 4217 code", received=got,
                          documented="currency: Currency code in ISO 4217 three letter format")
    if "currency" in exchange.request_body and got != sent:
        raise RuleFailure(rule_id, "response currency differs from the request's",
                          received=got, documented=f"the request's currency {sent!r}")


@response_check("jt_currency", apis=("jackpot-ticket",))
@only_status(200)
@only_json_object
@only_request_object
def jt_currency(exchange: Exchange) -> None:
    """JT-CURRENCY: passes if a 200 response's currency equals the request's and is three upper-case
    letters, fails if it differs or is not an ISO 4217 code, does not apply if the status is not 200
    or either body is not a JSON object."""
    _check_currency("JT-CURRENCY", exchange)


@response_check("sr_currency", apis=("superbet-reserve",))
@only_status(200)
@only_json_object
@only_request_object
def sr_currency(exchange: Exchange) -> None:
    """SR-CURRENCY: passes if a 200 response's currency equals the request's and is three upper-case
    letters, fails if it differs or is not an ISO 4217 code, does not apply if the status is not 200
    or either body is not a JSON object."""
    _check_currency("SR-CURRENCY", exchange)


# --- JT-EXCISE-SUM / SR-EXCISE-SUM / JT-EXCISE-RATE ------------------------------------------------


def _inclusive(body: dict[str, Any]) -> bool:
    return body.get("ext_type", "inclusive") == "inclusive"


def _check_excise_sum(rule_id: str, exchange: Exchange) -> Any:
    body = exchange.json
    if not _inclusive(body):
        return True
    values = _fields(body, ("price", "stake", "ext_amount"))
    if len(values) < 3:
        return True
    if values["stake"] + values["ext_amount"] != values["price"]:
        raise RuleFailure(
            rule_id,
            f"stake + ext_amount = {values['stake'] + values['ext_amount']} but price is {values['price']} "
            "(excise tax type inclusive: the tax is part of the price)",
            received={k: body[k] for k in ("price", "stake", "ext_amount")},
            documented='"price": 1000, "stake": 889, ... "ext_amount": 111, ... "ext_type": "inclusive"',
        )
    return None


@response_check("jt_excise_sum", apis=("jackpot-ticket",))
@only_status(200)
@only_json_object
def jt_excise_sum(exchange: Exchange) -> Any:
    """JT-EXCISE-SUM: passes if a 200 response has stake + ext_amount == price (ext_type inclusive),
    fails if not, does not apply if the status is not 200, ext_type is not inclusive or a field is
    missing or not a number (the schema check judges those)."""
    return _check_excise_sum("JT-EXCISE-SUM", exchange)


@response_check("sr_excise_sum", apis=("superbet-reserve",))
@only_status(200)
@only_json_object
def sr_excise_sum(exchange: Exchange) -> Any:
    """SR-EXCISE-SUM: passes if a 200 response has stake + ext_amount == price (ext_type inclusive),
    fails if not, does not apply if the status is not 200, ext_type is not inclusive or a field is
    missing or not a number."""
    return _check_excise_sum("SR-EXCISE-SUM", exchange)


def _check_excise_rate(rule_id: str, exchange: Exchange) -> Any:
    body = exchange.json
    values = _fields(body, ("price", "stake", "ext_amount", "ext"))
    if not _inclusive(body) or len(values) < 4:
        return True
    price, ext = values["price"], values["ext"]
    expected = rounded(price / (1 + ext / 100))
    if values["stake"] not in expected or values["ext_amount"] != price - values["stake"]:
        want = sorted(expected)
        raise RuleFailure(
            rule_id,
            f"stake should be round(price / (1 + ext/100)) = {' or '.join(map(str, want))} and "
            f"ext_amount = price - stake",
            received={k: body[k] for k in ("price", "ext", "stake", "ext_amount")},
            documented="price 1000, ext 12.5% -> stake 889, ext_amount 111 (the superbet sample)",
        )
    return None


@response_check("jt_excise_rate", apis=("jackpot-ticket",))
@only_status(200)
@only_json_object
def jt_excise_rate(exchange: Exchange) -> Any:
    """JT-EXCISE-RATE: passes if a 200 response has stake == round(price / (1 + ext/100)) (half-up or
    half-even) and ext_amount == price - stake, fails if not, does not apply if the status is not
    200, ext_type is not inclusive or a field is missing or not a number."""
    return _check_excise_rate("JT-EXCISE-RATE", exchange)


@response_check("sr_excise_rate", apis=("superbet-reserve",))
@only_status(200)
@only_json_object
def sr_excise_rate(exchange: Exchange) -> Any:
    """SR-EXCISE-RATE: passes if a 200 response has stake == round(price / (1 + ext/100)) (half-up or
    half-even) and ext_amount == price - stake, fails if not, does not apply if the status is not
    200, ext_type is not inclusive or a field is missing or not a number."""
    return _check_excise_rate("SR-EXCISE-RATE", exchange)


# --- balances that move by exactly the amount (flows) -----------------------------------------------


def balance_of(rule_id: str, snapshot: dict[str, Any]) -> Decimal:
    balance = to_decimal(snapshot.get("balance"))
    if balance is None:
        raise RuleFailure(rule_id, "the player snapshot has no numeric balance",
                          received=snapshot.get("balance"), documented='"a player snapshot" answers balance')
    return balance


@flow_check("so_balance", apis=("sportsbook-order",))
def so_balance(flow: Flow) -> None:
    """SO-BALANCE: passes if an accepted order's data.balance and the player's snapshot balance both
    equal the balance before minus orderAmount, fails if either moved by another amount (or the
    valid order was not accepted), does not apply: always applies (needs provider states)."""
    rule = "SO-BALANCE"
    player = flow.setup("a player exists", balance="1000.00")
    from .atomicity import order_amount  # atomicity imports this module

    body = flow.valid_body(player)
    amount = order_amount(flow, player, body)
    before = balance_of(rule, flow.snapshot(player))
    exchange = flow.send(body, player=player)
    data = _so_success_data(rule, exchange)
    expected = before - amount
    got = json_number(data.get("balance"))
    if got != expected:
        raise RuleFailure(rule, f"data.balance after an order of {amount} from {before} is not {expected}",
                          received=data.get("balance"), documented="a sportsbook provider calls it when a "
                          "player places a ticket, and debits the player's wallet")
    after = balance_of(rule, flow.snapshot(player))
    if after != expected:
        raise RuleFailure(rule, f"the wallet moved from {before} to {after} for an order of {amount}",
                          received=str(after), documented=f"{before} - {amount} = {expected}")


def _so_success_data(rule_id: str, exchange: Exchange) -> dict[str, Any]:
    """The data of an accepted sportsbook order, or a failure saying the valid order was refused."""
    from .outcomes import outcome

    try:
        body = exchange.json
    except ValueError:
        body = None
    if not outcome(exchange).accepted or not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise RuleFailure(rule_id, "a valid order for a player with funds was not accepted",
                          received=shown(exchange), documented='"code":200, "msg":"success", "data":{...}')
    return body["data"]


@flow_check("bp_debit", apis=("bet-placement",))
def bp_debit(flow: Flow) -> None:
    """BP-DEBIT: passes if after a PLACED slip the snapshot balance fell by exactly the sum of its
    stakes, fails if it fell by another amount (or the valid slip was not placed), does not apply:
    always applies (needs provider states)."""
    from .atomicity import expect_placed, slip, stakes_within  # atomicity imports this module

    rule = "BP-DEBIT"
    player = flow.setup("a player exists", balance="10000.00")
    stakes = stakes_within(flow, player, flow.draw(st.integers(1, 5), "bets in the slip"))
    body = slip(flow, player, stakes)
    before = balance_of(rule, flow.snapshot(player))
    expect_placed(rule, flow.send(body, player=player))
    after = balance_of(rule, flow.snapshot(player))
    total = sum(stakes, Decimal(0))
    if before - after != total:
        raise RuleFailure(rule, f"the balance moved from {before} to {after} after a slip of stakes "
                          f"{[str(s) for s in stakes]} (sum {total})", received=str(before - after),
                          documented="confirm that the user has a sufficient balance to cover the sum "
                          "total of all the individual bet stakes (the debit is that sum)")
