"""Payout checks: ticket odds, withholding tax and net payout, the superbet reservation's zero payouts
and state, the jackpot odds tolerance, and the bet-placement potentialPayout stored with each bet."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from .conventions import book_of

from hypothesis import strategies as st

from .base import (
    NOT_APPLICABLE,
    Exchange,
    Flow,
    RuleFailure,
    each_case,
    flow_check,
    only_json_object,
    only_request_object,
    only_status,
    response_check,
    shown,
)
from .atomicity import expect_placed, slip, stakes_within
from .money import json_number, major, rounded, to_decimal


def _numbers(body: dict[str, Any], *names: str) -> dict[str, Decimal] | None:
    values = {name: json_number(body.get(name)) for name in names}
    return None if any(v is None for v in values.values()) else values  # type: ignore[return-value]


# --- JT-NET-PAYOUT / JT-WHT-RATE ------------------------------------------------------------------


@response_check("jt_net_payout", apis=("jackpot-ticket",))
@only_status(200)
@only_json_object
def jt_net_payout(exchange: Exchange) -> Any:
    """JT-NET-PAYOUT: passes if a 200 response has net_payout == gross_payout - wht_amount, fails if
    not, does not apply if the status is not 200 or a field is missing or not a number."""
    v = _numbers(exchange.json, "gross_payout", "wht_amount", "net_payout")
    if v is None:
        return True
    if v["net_payout"] != v["gross_payout"] - v["wht_amount"]:
        raise RuleFailure("JT-NET-PAYOUT", f"net_payout is not gross_payout - wht_amount = "
                          f"{v['gross_payout'] - v['wht_amount']}",
                          received={k: exchange.json[k] for k in v},
                          documented="gross_payout 3040, wht_amount 430, net_payout 2610 (the provider's "
                          "calculator example)")
    return None


@response_check("jt_wht_rate", apis=("jackpot-ticket",))
@only_status(200)
@only_json_object
def jt_wht_rate(exchange: Exchange) -> Any:
    """JT-WHT-RATE: passes if a 200 response has wht_amount == round((gross_payout - stake) * wht/100)
    (half-up or half-even, and 0 when there are no winnings), fails if not, does not apply if the
    status is not 200 or a field is missing or not a number."""
    v = _numbers(exchange.json, "gross_payout", "stake", "wht", "wht_amount")
    if v is None:
        return True
    expected = {max(Decimal(0), r) for r in rounded((v["gross_payout"] - v["stake"]) * v["wht"] / 100)}
    if v["wht_amount"] not in expected:
        raise RuleFailure("JT-WHT-RATE", "wht_amount is not wht percent of the winnings (gross_payout - "
                          f"stake), rounded: expected {' or '.join(map(str, sorted(expected)))}",
                          received={k: exchange.json[k] for k in v},
                          documented="stake 889, gross_payout 3040, wht 20% -> wht_amount 430 (tax on "
                          "winnings only)")
    return None


# --- JT-ODDS / JT-GROSS-PAYOUT ------------------------------------------------------------------------


def _odds_product(odds: list[Any]) -> Decimal | None:
    product = Decimal(1)
    for value in odds:
        number = value if isinstance(value, Decimal) else json_number(value)
        if number is None:
            return None
        product *= number
    return product if odds else None


def _submitted_odds_product(request: dict[str, Any]) -> Decimal | None:
    events = request.get("events")
    if not isinstance(events, list) or not events or not all(isinstance(e, dict) for e in events):
        return None
    return _odds_product([event.get("odds") for event in events])


def _current_odds_product(exchange: Exchange) -> Decimal | None:
    """The product of the events' current odds, when the suite knows them (``extra["current_odds"]``:
    the prices the provider states set up for the selections the request names)."""
    current = exchange.extra.get("current_odds")
    if not isinstance(current, list) or not current or any(value is None for value in current):
        return None
    return _odds_product([to_decimal(value) for value in current])


def product_matches(got: Decimal, product: Decimal) -> bool:
    """``got`` is ``product`` exactly, rounded (half up or half even) to 2 or more decimals (a JSON
    writer may drop trailing zeros: 39.30 reads 39.3), or the product in double precision."""
    if got == product:
        return True
    if any(got in rounded(product, places) for places in range(2, 10)):
        return True
    return product != 0 and abs(got - product) <= abs(product) * Decimal("1e-12")


@response_check("jt_odds", apis=("jackpot-ticket",))
@only_status(200)
@only_json_object
@only_request_object
def jt_odds(exchange: Exchange) -> Any:
    """JT-ODDS: passes if a 200 ticket's odds are the product of the events' odds, exact, rounded to
    2 or more decimals, or in double precision, using the submitted odds or the current ones one way
    through the run (convention jackpot-ticket.odds-source); fails otherwise; does not apply if the
    status is not 200 or the request's events or the answer's odds are missing or not numbers."""
    rule = "JT-ODDS"
    submitted = _submitted_odds_product(exchange.request_body)
    got = json_number(exchange.json.get("odds"))
    if submitted is None or got is None:
        return NOT_APPLICABLE
    current = _current_odds_product(exchange)
    options = [name for name, product in (("submitted", submitted), ("current", current))
               if product is not None and product_matches(got, product)]
    if current is None and options:
        options.append("current")         # the current odds are unknown here: both readings stay open
    if not options:
        shown_products = f"{submitted}" + (f" (current odds: {current})" if current not in (None, submitted) else "")
        raise RuleFailure(rule, f"odds is not the product of the events' odds ({shown_products})",
                          received=exchange.json["odds"], documented="odds: Product of odds for all events for ticket")
    book_of(exchange).observe(rule, "jackpot-ticket.odds-source", options, f"odds {exchange.json['odds']}")
    return None


@response_check("jt_gross_payout", apis=("jackpot-ticket",))
@only_status(200)
@only_json_object
@only_request_object
def jt_gross_payout(exchange: Exchange) -> Any:
    """JT-GROSS-PAYOUT: passes if a 200 ticket's gross_payout follows one reading through the run
    (convention jackpot-ticket.gross-payout): stake x odds rounded to the cent (half up or half even;
    the answer's odds or the product of the submitted or current odds), 0 until resulted, or the
    betcard's prize; fails if it is none of them or changes reading; does not apply if the status is
    not 200 or stake or gross_payout is missing or not a number."""
    rule = "JT-GROSS-PAYOUT"
    body = exchange.json
    stake, gross = json_number(body.get("stake")), json_number(body.get("gross_payout"))
    if stake is None or gross is None:
        return NOT_APPLICABLE
    odds = [json_number(body.get("odds")), _submitted_odds_product(exchange.request_body), _current_odds_product(exchange)]
    payouts = {value for product in odds if product is not None for value in rounded(stake * product)}
    options = []
    if gross in payouts:
        options.append("stake-times-odds")
    if gross == 0:
        options.append("zero-until-resulted")
    prizes = {json_number(exchange.request_body.get("prize")),
              json_number((exchange.extra.get("betcard") or {}).get("prize"))} - {None}
    if gross in prizes:
        options.append("betcard-prize")
    if not options:
        raise RuleFailure(rule, "gross_payout is neither stake x odds rounded to the cent "
                          f"({' or '.join(map(str, sorted(payouts))) or 'unknown'}), nor 0, nor the betcard prize",
                          received={k: body.get(k) for k in ("stake", "odds", "gross_payout")},
                          documented="price 1000, total odds 3.42, ext 12.5% -> stake 889, gross_payout 3040 (the "
                          "provider's calculator example)")
    book_of(exchange).observe(rule, "jackpot-ticket.gross-payout", options, f"gross_payout {body['gross_payout']}")
    return None


# --- SR-STATE / SR-ZERO-PAYOUT ----------------------------------------------------------------------


@response_check("sr_state", apis=("superbet-reserve",))
@only_status(200)
@only_json_object
def sr_state(exchange: Exchange) -> None:
    """SR-STATE: passes if a 200 reservation has status "reserved" and result "pending", fails
    otherwise, does not apply if the status is not 200 or the body is not a JSON object."""
    body = exchange.json
    got = {"status": body.get("status"), "result": body.get("result")}
    if got != {"status": "reserved", "result": "pending"}:
        raise RuleFailure("SR-STATE", "a reserved superbet ticket must be reserved and unresulted",
                          received=got, documented='"status": "reserved", "result": "pending"')


@response_check("sr_zero_payout", apis=("superbet-reserve",))
@only_status(200)
@only_json_object
def sr_zero_payout(exchange: Exchange) -> None:
    """SR-ZERO-PAYOUT: passes if a 200 reservation has gross_payout, net_payout and wht_amount all 0,
    fails if any is another value or missing, does not apply if the status is not 200 or the body is
    not a JSON object."""
    body = exchange.json
    got = {k: body.get(k) for k in ("gross_payout", "net_payout", "wht_amount")}
    if any(json_number(v) != 0 for v in got.values()):
        raise RuleFailure("SR-ZERO-PAYOUT", "a reservation's payouts and withholding tax must be 0",
                          received=got, documented="gross_payout: ... Will always be 0")


# --- JT-ODDS-DIFF (flow) ----------------------------------------------------------------------------


def _ticket_rows(flow: Flow, player: dict[str, Any]) -> list[Any]:
    return list(flow.snapshot(player).get("tickets") or [])


@flow_check("jt_odds_diff", apis=("jackpot-ticket",))
def jt_odds_diff(flow: Flow) -> None:
    """JT-ODDS-DIFF: passes if a ticket whose submitted odds on one event deviate from the current
    odds beyond odds_diff (or at all when odds_diff is 0) is rejected with 400 and stores no ticket,
    and one deviating within odds_diff is accepted (200); fails otherwise, listing every case that
    failed; does not apply: always applies (needs provider states). Every example tries the three
    cases. The page does not say how the deviation is measured, so "beyond" is beyond odds_diff x the
    current odds (beyond as an absolute difference, as a fraction of the odds and on the product) and
    "within" is a one-event betcard moved by at most odds_diff (within under every reading)."""
    each_case("JT-ODDS-DIFF", ("beyond", "zero", "within"), lambda case: _odds_diff_case(flow, case))


def _odds_diff_case(flow: Flow, case: str) -> None:
    rule = "JT-ODDS-DIFF"
    quote = ("When the value is set to zero it means we don't allow any odds difference during ticket "
             "creation and will respond with \"Ticket odds changed\" Error response")
    events = 1 if case == "within" else flow.draw(st.integers(1, 3), f"{case}: events on the betcard")
    player = flow.setup("a player exists")
    betcard = flow.setup("a jackpot betcard exists", events=events)
    body = flow.valid_body(player, betcard=betcard)
    index = flow.draw(st.integers(0, len(body["events"]) - 1), f"{case}: event whose odds moved")
    current = to_decimal(body["events"][index]["odds"])
    if case == "zero":
        odds_diff, deviation = Decimal(0), major(flow.draw(st.integers(1, 50), "zero: deviation in 1/100"))
    elif case == "beyond":
        odds_diff = major(flow.draw(st.integers(0, 50), "beyond: odds_diff in 1/100"))
        floor = (odds_diff * max(current, Decimal(1))).quantize(Decimal("0.01"), rounding=ROUND_CEILING)
        deviation = floor + major(flow.draw(st.integers(1, 50), "beyond: excess over odds_diff in 1/100"))
    else:
        odds_diff = major(flow.draw(st.integers(1, 50), "within: odds_diff in 1/100"))
        deviation = major(flow.draw(st.integers(0, int(odds_diff * 100)), "within: deviation in 1/100"))
    up = flow.draw(st.booleans(), f"{case}: odds submitted above the current ones") \
        or current - deviation < Decimal("1.01")
    submitted = (current + deviation if up else current - deviation).quantize(Decimal("0.01"))
    body["odds_diff"] = odds_diff.quantize(Decimal("0.01"))
    body["events"][index]["odds"] = submitted
    before = _ticket_rows(flow, player)
    exchange = flow.send(body, player=player)
    situation = (f"event {index}: current odds {current}, submitted {submitted} (deviation {deviation}), "
                 f"odds_diff {odds_diff}")
    if case == "within":
        if exchange.status != 200:
            raise RuleFailure(rule, f"a ticket within odds_diff was not accepted; {situation}",
                              received=shown(exchange), documented="Specifies the max odds deviation when "
                              "we still accept the request and create the ticket.")
        return
    if exchange.status != 400:
        raise RuleFailure(rule, f"a ticket with odds moved beyond odds_diff was not rejected with 400; "
                          f"{situation}", received=shown(exchange), documented=quote)
    after = _ticket_rows(flow, player)
    if after != before:
        raise RuleFailure(rule, f"a ticket rejected for moved odds was stored anyway; {situation}",
                          received=after[len(before):] or after, documented=quote)


# --- BP-PAYOUT / BP-PENDING (flows) -----------------------------------------------------------------


def _stored_bets_of(rule_id: str, flow: Flow, player: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    """The snapshot's bets of the slip ``body``, in the slip's order; fails if one was not stored."""
    stored = {b.get("betId"): b for b in flow.snapshot(player).get("bets") or [] if isinstance(b, dict)}
    missing = [bet["betId"] for bet in body["bets"] if bet["betId"] not in stored]
    if missing:
        raise RuleFailure(rule_id, "bets of a PLACED slip are not stored against the user", received=missing,
                          documented="store all bet information for each bet in the bets array against the userId")
    return [stored[bet["betId"]] for bet in body["bets"]]


@flow_check("bp_payout", apis=("bet-placement",))
def bp_payout(flow: Flow) -> None:
    """BP-PAYOUT: passes if every stored bet of a placed slip has potentialPayout == stake *
    decimalPrice, exactly, rounded to the cent (half up or half even) or as the product in double
    precision, one way through the run (convention bet-placement.payout-precision); fails if one is
    another value (single precision, a wrong price, truncation) or the valid slip was not placed; does
    not apply: always applies (needs provider states and snapshots)."""
    rule = "BP-PAYOUT"
    player = flow.setup("a player exists", balance="100000.00")
    n = flow.draw(st.integers(1, 5), "bets in the slip")
    stakes = stakes_within(flow, player, n)
    prices = [major(flow.draw(st.integers(101, 100000), f"decimalPrice {i} in 1/100")) for i in range(n)]
    body = slip(flow, player, stakes, prices)
    expect_placed(rule, flow.send(body, player=player))
    for sent, stored in zip(body["bets"], _stored_bets_of(rule, flow, player, body)):
        got = to_decimal(stored.get("potentialPayout"))
        options = payout_readings(sent["stake"], sent["decimalPrice"], got)
        if not options:
            expected = sent["stake"] * sent["decimalPrice"]
            raise RuleFailure(rule, f"bet {sent['betId']}: potentialPayout is not stake {sent['stake']} x "
                              f"decimalPrice {sent['decimalPrice']} = {expected} (exactly, to the cent or in "
                              "double precision)", received=stored.get("potentialPayout"),
                              documented="potentialPayout = (stake * decimalPrice)")
        flow.conventions.observe(rule, "bet-placement.payout-precision", options,
                                 f"{sent['stake']} x {sent['decimalPrice']} stored as {stored.get('potentialPayout')}")


def payout_readings(stake: Decimal, price: Decimal, got: Decimal | None) -> list[str]:
    """The options of bet-placement.payout-precision that ``got`` is for ``stake x price``."""
    if got is None:
        return []
    exact = stake * price
    cent = Decimal("0.01")
    options = []
    if got == exact:
        options.append("exact")
    if got == exact.quantize(cent, rounding=ROUND_HALF_UP):
        options.append("cents-half-up")
    if got == exact.quantize(cent, rounding=ROUND_HALF_EVEN):
        options.append("cents-half-even")
    try:
        if float(got) == float(stake) * float(price):
            options.append("double")
    except (OverflowError, ValueError):
        pass
    return options


@flow_check("bp_pending", apis=("bet-placement",))
def bp_pending(flow: Flow) -> None:
    """BP-PENDING: passes if every bet of a placed slip is stored against the user with status
    "pending" (any case), fails if one is missing or has another status (or the valid slip was not
    placed), does not apply: always applies (needs provider states and snapshots)."""
    rule = "BP-PENDING"
    player = flow.setup("a player exists", balance="10000.00")
    body = slip(flow, player, stakes_within(flow, player, flow.draw(st.integers(1, 5), "bets in the slip")))
    expect_placed(rule, flow.send(body, player=player))
    for stored in _stored_bets_of(rule, flow, player, body):
        status = stored.get("status")
        if not isinstance(status, str) or status.lower() != "pending":
            raise RuleFailure(rule, f"bet {stored.get('betId')} is stored with status {status!r}",
                              received=status, documented="with a status equivalent to 'pending' to "
                              "indicate that the bet is awaiting result")
