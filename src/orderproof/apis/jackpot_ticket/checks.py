"""The jackpot-ticket checks: cents, echoes, currency, taxes, the odds product and the gross payout,
the odds tolerance, times, business errors, the signature and the operator header.

Long module: every check of the one API its contract lists, beside each other as the contract lists
them; what it shares with superbet-reserve is in apis/ticket_engine/rules.py already."""

from __future__ import annotations

from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    localcontext,
)
from typing import Any

from hypothesis import strategies as st

from orderproof.apis.ticket_engine import rules as ticket
from orderproof.checks.base import (
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
from orderproof.checks.conventions import book_of
from orderproof.checks.numbers import json_number, major, rounded, to_decimal
from orderproof.checks.snapshots import stored

MONEY = ("price", "stake", "gross_payout", "net_payout", "wht_amount", "ext_amount", "prize")
ECHO = (*ticket.TICKET_ECHO, "betcard_code", "prize", "bonus_prizes")
# What the jackpot page's own words cover: a ticket on what does not exist, from an operator the
# engine does not know, is refused (its codes, the webhook, the betcard and the header are the
# engine's superbet page's: JT-ERROR-CODES and JT-OPERATOR-HEADER, SHOULDs).
SITUATIONS = ("unknown event", "unknown bet", "unknown operator")
# a betcard's events are set up unstarted and allowed
CODED_SITUATIONS = (*ticket.COMMON_SITUATIONS, "unknown betcard")


@response_check
@only_status(200)
@only_json_object
def jt_cents(rule: Any, exchange: Exchange) -> None:
    """JT-CENTS: passes if every money field of a 200 response (price, stake, gross_payout,
    net_payout, wht_amount, ext_amount, prize, bonus_prizes[]) is a JSON integer literal, fails if one
    is a decimal literal (``3500.0``), a string or a bool, does not apply if the status is not 200 or
    the body is not a JSON object."""
    ticket.check_cents(rule, exchange, MONEY, ("bonus_prizes",))


@response_check
@only_status(200)
@only_json_object
@only_request_object
def jt_echo(rule: Any, exchange: Exchange) -> None:
    """JT-ECHO: passes if a 200 ticket repeats the request's price, currency, atag, source, type,
    betcard_code, prize and bonus_prizes (prize and bonus_prizes may instead be the betcard's own, as
    set up), fails if one differs or is missing, does not apply if the status is not 200 or a body is
    not a JSON object (a field the request left out or null is not compared, nor an atag the answer
    leaves out: the response row says "Optional affiliate Tag"; numbers compare as values, also as
    doubles; user_id is the PAM's id for the token, not comparable here)."""
    ticket.check_echo(rule, exchange, ECHO)


@response_check
@only_status(200)
@only_json_object
@only_request_object
def jt_currency(rule: Any, exchange: Exchange) -> None:
    """JT-CURRENCY: passes if a 200 response's currency equals the request's and is three upper-case
    letters, fails if it differs or is not an ISO 4217 code, does not apply if the status is not 200
    or either body is not a JSON object."""
    ticket.check_currency(rule, exchange)


@response_check
@only_status(200)
@only_json_object
def jt_excise_sum(rule: Any, exchange: Exchange) -> Any:
    """JT-EXCISE-SUM (SHOULD: borrowed from the superbet sample): passes if a 200 response has
    stake + ext_amount == price (ext_type inclusive), fails if not, does not apply if the status is
    not 200, ext_type is not inclusive or a field is missing or not a number (the schema check judges
    those)."""
    return ticket.check_excise_sum(rule, exchange)


@response_check
@only_status(200)
@only_json_object
def jt_excise_rate(rule: Any, exchange: Exchange) -> Any:
    """JT-EXCISE-RATE: passes if a 200 response has stake == round(price / (1 + ext/100)) (half-up or
    half-even) and ext_amount == price - stake, fails if not, does not apply if the status is not
    200, ext_type is not inclusive or a field is missing or not a number."""
    return ticket.check_excise_rate(rule, exchange)


@response_check
@only_status(200)
@only_json_object
def jt_times(rule: Any, exchange: Exchange) -> None:
    """JT-TIMES: passes if a 200 ticket's created, updated, operator_time_created and
    operator_time_updated are YYYY-MM-DDTHH:MM:SS.ffffff (no zone), created is UTC (within 10 minutes
    of the clock when the request was sent), updated >= created, and both operator times are shifted
    from their UTC twins by one offset that is a whole number of minutes within +-14 h, give or take
    a second for two clock reads (and equal to
    the operator's zone when the suite knows it: ``exchange.extra["operator_timezone_offset"]``);
    fails otherwise (including a missing time); does not apply if the status is not 200."""
    ticket.check_times(rule, exchange)


# --- payouts ---------------------------------------------------------------------------------------------

def _numbers(body: dict[str, Any], *names: str) -> dict[str, Decimal] | None:
    values = {name: json_number(body.get(name)) for name in names}
    return None if any(v is None for v in values.values()) else values  # type: ignore[return-value]


@response_check
@only_status(200)
@only_json_object
def jt_net_payout(rule: Any, exchange: Exchange) -> Any:
    """JT-NET-PAYOUT: passes if a 200 response has net_payout within one cent of gross_payout -
    wht_amount (a service that rounds each field from the exact amounts may be a cent off), fails if
    not, does not apply if the status is not 200 or a field is missing or not a number."""
    v = _numbers(exchange.json, "gross_payout", "wht_amount", "net_payout")
    if v is None:
        return NOT_APPLICABLE
    if abs(v["net_payout"] - (v["gross_payout"] - v["wht_amount"])) > 1:
        raise RuleFailure(rule, "net_payout is not gross_payout - wht_amount = "
                          f"{v['gross_payout'] - v['wht_amount']} (give or take a cent)",
                          received={k: exchange.json[k] for k in v})
    return None


@response_check
@only_status(200)
@only_json_object
def jt_wht_rate(rule: Any, exchange: Exchange) -> Any:
    """JT-WHT-RATE: passes if a 200 response has wht_amount == round((gross_payout - stake) * wht/100)
    (half-up, half-even or truncated: the page gives no rounding; 0 when there are no winnings),
    fails if not, does not apply if the status is not 200 or a field is missing or not a number."""
    v = _numbers(exchange.json, "gross_payout", "stake", "wht", "wht_amount")
    if v is None:
        return NOT_APPLICABLE
    expected = {max(Decimal(0), r) for r in rounded((v["gross_payout"] - v["stake"]) * v["wht"] / 100, down=True)}
    if v["wht_amount"] not in expected:
        raise RuleFailure(rule, "wht_amount is not wht percent of the winnings (gross_payout - stake), rounded: "
                          f"expected {' or '.join(map(str, sorted(expected)))}",
                          received={k: exchange.json[k] for k in v})
    return None


def _odds_product(odds: list[Any]) -> Decimal | None:
    product = Decimal(1)
    for value in odds:
        number = value if isinstance(value, Decimal) else json_number(value)
        if number is None:
            return None
        product *= number
    return product if odds else None


def _submitted_odds(request: dict[str, Any]) -> list[Any] | None:
    events = request.get("events")
    if not isinstance(events, list) or not events or not all(isinstance(e, dict) for e in events):
        return None
    return [event.get("odds") for event in events]


def _submitted_product(request: dict[str, Any]) -> Decimal | None:
    odds = _submitted_odds(request)
    return None if odds is None else _odds_product(odds)


def _current_odds(exchange: Exchange) -> list[Decimal] | None:
    """The events' current odds, when the suite knows them (``extra["current_odds"]``: the prices the
    provider states set up for the selections the request names)."""
    current = exchange.extra.get("current_odds")
    if not isinstance(current, list) or not current or any(value is None for value in current):
        return None
    odds = [to_decimal(value) for value in current]
    return None if any(value is None for value in odds) else odds  # type: ignore[return-value]


def _current_product(exchange: Exchange) -> Decimal | None:
    odds = _current_odds(exchange)
    return None if odds is None else _odds_product(odds)


def _either_odds(submitted: list[Any] | None, current: list[Decimal] | None, pick: Any) -> list[Decimal] | None:
    """Event by event, the ``pick`` (max: the better for the player, min: the worse) of the submitted
    and the current odds; None unless both are known numbers for the same events."""
    numbers = [json_number(value) if not isinstance(value, Decimal) else value for value in submitted or []]
    if current is None or len(numbers) != len(current) or any(n is None or not n.is_finite() for n in numbers):
        return None
    return [pick(mine, now) for mine, now in zip(numbers, current)]  # type: ignore[type-var]


CENT = Decimal("0.01")
# Any rounding, as for the product rounded once (the page gives none): half up, half even, half down,
# down, or up (odds are positive: up is the ceiling).
STEP_ROUNDINGS = (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_HALF_DOWN, ROUND_DOWN, ROUND_UP)


def _stepwise_products(odds: list[Any]) -> set[Decimal]:
    """The product rounded to the cent after every multiplication, one rounding throughout
    (:data:`STEP_ROUNDINGS`)."""
    numbers = [value if isinstance(value, Decimal) else json_number(value) for value in odds]
    if any(number is None or not number.is_finite() or abs(number) > 10**6 for number in numbers):
        return set()
    products = set()
    with localcontext() as context:
        context.prec = 1000            # 50 odds of at most 10^6 and their cents, every digit kept
        for rounding in STEP_ROUNDINGS:
            product = Decimal(1)
            for number in numbers:
                product = (product * number).quantize(CENT, rounding=rounding)
            products.add(product)
    return products


# The page types odds "float": a product in single precision (a float32 has 24 bits, about 6e-8
# relative per operation, over a ticket's few dozen events) is the product, read as a float.
FLOAT_TOLERANCE = Decimal("1e-5")


def product_matches(got: Decimal, product: Decimal, odds: list[Any] | None = None) -> bool:
    """``got`` is ``product`` exactly, rounded (half up, half even, down or up: the page gives no
    rounding) to 2 or more decimals (a JSON writer may drop trailing zeros: 39.30 reads 39.3), the
    product in single or double precision, or (given the ``odds`` it multiplies) rounded to the cent
    step by step."""
    if got == product:
        return True
    if any(got in rounded(product, places, down=True, up=True) for places in range(2, 10)):
        return True
    if odds is not None and len(odds) <= 50 and got in _stepwise_products(odds):
        return True
    return product != 0 and abs(got - product) <= abs(product) * FLOAT_TOLERANCE


@response_check
@only_status(200)
@only_json_object
@only_request_object
def jt_odds(rule: Any, exchange: Exchange) -> Any:
    """JT-ODDS: passes if a 200 ticket's odds are the product of the events' odds, exact, rounded any
    way to 2 or more decimals, rounded to the cent step by step, or in single or double precision,
    using the submitted odds, the current ones, or event by event the better or the worse of the two,
    one way through the run (convention jackpot-ticket.odds-source); fails otherwise; does not apply if the
    status is not 200 or the request's events or the answer's odds are missing or not numbers."""
    submitted = _submitted_product(exchange.request_body)
    got = json_number(exchange.json.get("odds"))
    if submitted is None or got is None:
        return NOT_APPLICABLE
    current = _current_product(exchange)
    submitted_odds, current_odds = _submitted_odds(exchange.request_body), _current_odds(exchange)
    better, worse = (_either_odds(submitted_odds, current_odds, pick) for pick in (max, min))
    readings = (("submitted", submitted, submitted_odds), ("current", current, current_odds),
                ("better", _odds_product(better) if better else None, better),
                ("worse", _odds_product(worse) if worse else None, worse))
    options = [name for name, product, odds in readings
               if product is not None and product_matches(got, product, odds)]
    if current is None and options:
        options += ["current", "better", "worse"]   # the current odds are unknown here: every reading stays open
    if not options:
        shown_products = f"{submitted}" + (f" (current odds: {current})" if current not in (None, submitted) else "")
        raise RuleFailure(rule, f"odds is not the product of the events' odds ({shown_products})",
                          received=exchange.json["odds"])
    book_of(exchange).observe(rule, "jackpot-ticket.odds-source", options, f"odds {exchange.json['odds']}")
    return None


@response_check
@only_status(200)
@only_json_object
@only_request_object
def jt_gross_payout(rule: Any, exchange: Exchange) -> Any:
    """JT-GROSS-PAYOUT: passes if a 200 ticket's gross_payout follows one reading through the run
    (convention jackpot-ticket.gross-payout): stake x odds rounded to the cent (half up, half even or
    down: the page gives no rounding;
    the answer's odds or the product of the submitted or current odds), 0 until resulted, or the
    betcard's prize; fails if it is none of them or changes reading; does not apply if the status is
    not 200 or stake or gross_payout is missing or not a number."""
    body = exchange.json
    stake, gross = json_number(body.get("stake")), json_number(body.get("gross_payout"))
    if stake is None or gross is None:
        return NOT_APPLICABLE
    odds = [json_number(body.get("odds")), _submitted_product(exchange.request_body), _current_product(exchange)]
    payouts = {value for product in odds if product is not None for value in rounded(stake * product, down=True)}
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
                          received={k: body.get(k) for k in ("stake", "odds", "gross_payout")})
    book_of(exchange).observe(rule, "jackpot-ticket.gross-payout", options, f"gross_payout {body['gross_payout']}")
    return None


# --- the odds tolerance (flow) ----------------------------------------------------------------------------

# The cases a service must accept: what the ticket is, and the page's words for it.
ACCEPTED_CASES = {
    "zero, unchanged": ("whose odds did not move",
                        "When the value is set to zero it means we don't allow any odds difference"),
    "within": ("within odds_diff", "Specifies the max odds deviation when we still accept the request and create "
               "the ticket."),
}


@flow_check
def jt_odds_diff(rule: Any, flow: Flow) -> None:
    """JT-ODDS-DIFF: passes if a ticket whose submitted odds on one event deviate from the current
    odds beyond odds_diff (or at all when odds_diff is 0) is rejected with 400 and stores no ticket,
    and one deviating within odds_diff (or not at all when it is 0) is accepted (200); fails
    otherwise, listing every case that failed; does not apply: always applies (needs provider
    states). Every example tries the four cases. The page does not say how the deviation is measured,
    so "beyond" is beyond every reading (an absolute difference, a fraction or a percentage of the
    current or of the submitted odds, on the product) and "within" is a one-event betcard with
    odds_diff 0.80 to 1.00 moved by at most odds_diff percent of the lower odds and less than
    odds_diff itself (within under every reading, 0.001 inside: a boundary is sent only at 0, where
    binary floats are exact, not where they say abs(3.30 - 3.40) <= 0.1 is false)."""
    each_case(rule, ("beyond", "zero", *ACCEPTED_CASES), lambda case: _odds_diff_case(rule, flow, case), flow=flow)


def _beyond_floor(odds_diff: Decimal, current: Decimal) -> Decimal:
    """The largest deviation some reading still calls within ``odds_diff`` (<= 0.50), in cents rounded up:
    absolute, a fraction of the current odds or of the submitted ones (d / (c + d) <= odds_diff up to
    d = odds_diff x c / (1 - odds_diff))."""
    fraction = odds_diff * max(current, Decimal(1)) / (1 - odds_diff)
    return max(odds_diff, fraction).quantize(Decimal("0.01"), rounding=ROUND_CEILING)


def _within_room(odds_diff: Decimal, current: Decimal) -> int:
    """The largest deviation in cents that every reading calls within ``odds_diff``, up or down: the
    strictest is odds_diff read as a percentage (as the provider writes ext and wht) of the lower of the
    current and submitted odds, d <= p x (current - d), kept 0.001 inside (no boundary is sent)."""
    p = odds_diff / 100
    room = (p * current - Decimal("0.001")) / (1 + p)
    return max(0, min(int(room * 100), int(odds_diff * 100) - 1))     # and below odds_diff (odds over 100)


def _odds_diff_case(rule: Any, flow: Flow, case: str) -> None:
    events = 1 if case in ACCEPTED_CASES else flow.draw(st.integers(1, 3), f"{case}: events on the betcard")
    player = ticket.scene_player(flow)
    betcard = flow.setup("a jackpot betcard exists", events=events)
    body = flow.valid_body(player, betcard=betcard)
    index = flow.draw(st.integers(0, len(body["events"]) - 1), f"{case}: event whose odds moved")
    current = to_decimal(body["events"][index]["odds"])
    if case == "zero":
        odds_diff, deviation = Decimal(0), major(flow.draw(st.integers(1, 50), "zero: deviation in 1/100"))
    elif case == "zero, unchanged":
        odds_diff, deviation = Decimal(0), Decimal(0)
    elif case == "beyond":
        odds_diff = major(flow.draw(st.integers(0, 50), "beyond: odds_diff in 1/100"))
        floor = _beyond_floor(odds_diff, current)
        deviation = floor + major(flow.draw(st.integers(1, 50), "beyond: excess over odds_diff in 1/100"))
    else:
        odds_diff = major(flow.draw(st.integers(80, 100), "within: odds_diff in 1/100"))
        deviation = major(flow.draw(st.integers(0, _within_room(odds_diff, current)), "within: deviation in 1/100"))
    up = flow.draw(st.booleans(), f"{case}: odds submitted above the current ones") \
        or current - deviation < Decimal("1.01")
    submitted = (current + deviation if up else current - deviation).quantize(Decimal("0.01")) if deviation \
        else body["events"][index]["odds"]                  # unchanged: the odds as the betcard gave them
    body["odds_diff"] = odds_diff.quantize(Decimal("0.01"))
    body["events"][index]["odds"] = submitted
    before = stored(flow.snapshot(player), "tickets")
    exchange = flow.send(body, player=player)
    situation = (f"event {index}: current odds {current}, submitted {submitted} (deviation {deviation}), "
                 f"odds_diff {odds_diff}")
    if case in ACCEPTED_CASES:
        if exchange.status != 200:
            what, quote = ACCEPTED_CASES[case]
            raise RuleFailure(rule, f"a ticket {what} was not accepted; {situation}",
                              received=shown(exchange), documented=quote)
        return
    if exchange.status != 400:
        raise RuleFailure(rule, f"a ticket with odds moved beyond odds_diff was not rejected with 400; {situation}",
                          received=shown(exchange))
    after = stored(flow.snapshot(player), "tickets")       # a refused ticket kept as a "rejected" record is not stored
    if after != before:
        raise RuleFailure(rule, f"a ticket rejected for moved odds was stored anyway; {situation}",
                          received=after[len(before):] or after)


# --- errors and authentication (flows) ---------------------------------------------------------------------

@flow_check
def jt_errors(rule: Any, flow: Flow) -> None:
    """JT-ERRORS: passes if each provoked situation (unknown event, unknown bet, unknown operator) is
    refused with a 400 whose JSON body carries an error code anywhere (any code, any shape: the
    jackpot page lost its bodies), or a 422 (an unknown operator may get 403, convention
    jackpot-ticket.unknown-operator), and stores no ticket; fails otherwise, listing every situation
    that failed; does not apply: always applies (needs provider states). Each situation gets a fresh
    scene. A started event (107) and a market not allowed (116) cannot be set on a betcard."""
    ticket.provoke_errors(rule, flow, SITUATIONS, codes=False, strict=False)


@flow_check
def jt_error_codes(rule: Any, flow: Flow) -> None:
    """JT-ERROR-CODES: passes if the jackpot situations get 400 {code: int, message: str} with the
    engine's codes (unknown event 103, unknown operator 112 unless refused with 403, operator without
    webhook 114, operator header differs (signed by the body's operator) 115 unless refused with 403;
    an unknown bet or betcard any code, or 422: the page names no error for them; an operators'
    mismatch that comes with a second error any 4xx) and store no ticket; fails otherwise, listing
    every situation that failed; does not apply: always applies (needs provider states)."""
    ticket.provoke_errors(rule, flow, CODED_SITUATIONS, codes=True)


@flow_check
def jt_auth(rule: Any, flow: Flow) -> None:
    """JT-AUTH: passes if a ticket with a bad signature gets 403 (any body: the page gives none) and no
    ticket is created, fails otherwise, does not apply: always applies (needs provider states)."""
    ticket.bad_signature(rule, flow)


@flow_check
def jt_operator_header(rule: Any, flow: Flow) -> None:
    """JT-OPERATOR-HEADER: passes if a ticket whose operator-name header names another (existing)
    operator than the body's, signed by the body's operator for its own player, gets 400 {code,
    message} (any code; JT-ERROR-CODES holds 115) or 403 (the signature checked with the header's
    operator), if one signed by the header's operator for the body operator's player, or whose body
    names another operator than the signer's, gets any 4xx (a second error), and if no ticket is
    stored; fails otherwise, does not apply: always applies (needs provider states)."""
    ticket.provoke_errors(rule, flow, ticket.HEADER_SITUATIONS, codes=False)
