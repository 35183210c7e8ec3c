"""What every answer and every placed slip shows: the FAILURE shape and the echo of a placed slip (on
every answer), a placed slip stored pending with its payout and debited. (What a refused slip leaves
behind is in ``refusals``, repeats in ``idempotency``.)"""

from __future__ import annotations

import math
import uuid
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import strategies as st

from orderproof.checks.base import (
    NOT_APPLICABLE,
    Exchange,
    Flow,
    RuleFailure,
    applies_if,
    flow_check,
    only_operation,
    only_request_object,
    response_check,
    shown,
)
from orderproof.checks.numbers import rounded, same_number, to_decimal
from orderproof.checks.outcomes import awaits_result
from orderproof.checks.snapshots import balance_of, body_of

from .answers import ERROR_STATUS, idempotency_key, is_placed, uuid_key
from .slips import (
    expect_placed,
    slip,
    stakes_within,
)

# --- every answer ---------------------------------------------------------------------------------------

def beyond_the_table(exchange: Exchange) -> bool:
    """A request in a situation the seed's error table does not cover, whose refusal may carry a code
    of the service's own (a 4xx): one without an X-Idempotency-Key that is a UUID (the seed describes
    the caller's header, not the answer to another), or one sent alongside others for the same player
    (a service may refuse one while another is in progress)."""
    if exchange.extra.get("concurrent"):
        return True
    try:
        uuid.UUID(str(idempotency_key(exchange.request_headers)))     # str(None) is no UUID either
    except ValueError:
        return True
    return False


def own_refusal(exchange: Exchange) -> bool:
    """A 4xx to a request :func:`beyond_the_table`: its status, code and body are the service's own."""
    return 400 <= exchange.status < 500 and beyond_the_table(exchange)


def failure_shape(rule: Any, exchange: Exchange) -> Any:
    """``{status: "FAILURE", errorCode, errorMessage?, failedBets?}`` with the table's HTTP status for
    its errorCode (where the request is :func:`beyond_the_table`, any 4xx: a code of the service's
    own, or a framework's body, as Spring answers a missing required header).
    (The idempotency answers, 409 in flight and 422 for a key reused with another body,
    come only to repeats, whose answers the idempotency rules judge.)"""
    body = body_of(exchange)
    failure = isinstance(body, dict) and body.get("status") == "FAILURE"
    if exchange.status < 400 and not failure:
        return NOT_APPLICABLE
    if not failure:
        if own_refusal(exchange):
            return None         # the table has no row for it: the service's (or its framework's) own refusal
        raise RuleFailure(rule, "an error answer is not a FAILURE body", received=shown(exchange))
    code = body.get("errorCode")
    if code not in ERROR_STATUS and not (own_refusal(exchange) and isinstance(code, str) and code):
        raise RuleFailure(rule, "errorCode is not in the documented table", received=code,
                          documented=sorted(ERROR_STATUS))
    if code in ERROR_STATUS and exchange.status != ERROR_STATUS[code]:
        raise RuleFailure(rule, f"{code} is answered with HTTP {exchange.status}", received=exchange.status,
                          documented=f"| {code} | {ERROR_STATUS[code]} |")
    if body.get("errorMessage") is not None and not isinstance(body["errorMessage"], str):
        raise RuleFailure(rule, "errorMessage is not a string", received=body["errorMessage"],
                          documented="| errorMessage | String | No |")
    failed = body.get("failedBets")
    if code == "INVALID_STAKE" and (not isinstance(failed, list) or not failed or not all(
            isinstance(f, dict) and "betId" in f and isinstance(f.get("reason"), dict) for f in failed)):
        raise RuleFailure(rule, "INVALID_STAKE without failedBets (each with betId and reason)", received=failed,
                          documented="| failedBets | Array <FailedBet> | No (Except for INVALID_STAKE errors) |")
    return None


@response_check
@only_operation
def bp_error_shape(rule: Any, exchange: Exchange) -> Any:
    """BP-ERROR-SHAPE: passes if every error answer (HTTP >= 400, or a body with status FAILURE) is
    {status: "FAILURE", errorCode from the table, errorMessage?: str, failedBets?} with the HTTP status
    the table pairs with its errorCode and INVALID_STAKE carries failedBets; fails otherwise; does not
    apply to successful answers, to a server error other than 500/503 (BP-NO-5XX's) or to other
    methods. Repeats of an X-Idempotency-Key (409, 422) are the idempotency rules' business and never
    reach it."""
    if exchange.status >= 500 and exchange.status not in (500, 503):
        return NOT_APPLICABLE
    return failure_shape(rule, exchange)


BP_DECIMALS = ("decimalPrice", "stake")
OPTIONAL_IDS = ("eventAltId",)   # "Required? No": compared only when the answer carries it


def _bet_differences(sent: dict[str, Any], got: Any) -> dict[str, Any]:
    if not isinstance(got, dict):
        return {"bet": got}
    ids = [name for name in sent if name.endswith("Id") and (name not in OPTIONAL_IDS or got.get(name) is not None)]
    differ = {name: got.get(name, "<absent>") for name in ids if uuid_key(got.get(name)) != uuid_key(sent[name])}
    for name in BP_DECIMALS:
        if name in sent and not same_number(got.get(name), sent[name]):
            differ[name] = got.get(name, "<absent>")
    return differ


@response_check
@applies_if(lambda rule, exchange: is_placed(exchange))
@only_request_object
def bp_echo(rule: Any, exchange: Exchange) -> None:
    """BP-ECHO: passes if a PLACED answer repeats the request's requestId and userId and carries every
    bet of the request, matched by betId in any order, with the same ids (the optional eventAltId only
    when the answer carries it), decimalPrice and stake
    (equal as decimals, or as doubles: the seed types them Decimal/Double; extra fields are fine), fails
    if one differs, is missing or a bet is missing or added, does not apply if the answer is not
    PLACED. The sessionToken may be refreshed."""
    sent, got = exchange.request_body, exchange.json
    differ: dict[str, Any] = {name: got.get(name, "<absent>") for name in ("requestId", "userId")
                              if uuid_key(got.get(name)) != uuid_key(sent.get(name))}
    sent_bets = [bet for bet in sent.get("bets") or [] if isinstance(bet, dict)]
    got_bets = got.get("bets")
    if not isinstance(got_bets, list):
        differ["bets"] = got_bets
    else:
        answered = {uuid_key(bet.get("betId")): bet for bet in got_bets if isinstance(bet, dict)}
        if len(got_bets) != len(sent_bets):
            differ["bets"] = f"{len(got_bets)} bets answered for {len(sent_bets)} sent"
        for bet in sent_bets:
            echoed = answered.get(uuid_key(bet.get("betId")))
            if echoed is None:
                differ[f"bet {bet.get('betId')}"] = "<absent>"
            elif bet_differ := _bet_differences(bet, echoed):
                differ[f"bet {bet.get('betId')}"] = bet_differ
    if differ:
        raise RuleFailure(rule, "the PLACED answer does not repeat the request: " + ", ".join(differ),
                          received=differ)


# --- a placed slip ----------------------------------------------------------------------------------------

def _stored_bets_of(rule: Any, flow: Flow, player: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    """The snapshot's bets of the slip ``body``, in the slip's order; fails if one was not stored."""
    stored = {uuid_key(b.get("betId")): b for b in flow.snapshot(player).get("bets") or [] if isinstance(b, dict)}
    missing = [bet["betId"] for bet in body["bets"] if uuid_key(bet["betId"]) not in stored]
    if missing:
        raise RuleFailure(rule, "bets of a PLACED slip are not stored against the user", received=missing,
                          documented="store all bet information for each bet in the bets array against the userId")
    return [stored[uuid_key(bet["betId"])] for bet in body["bets"]]


CENT = Decimal("0.01")


def _double_cents(stake: Decimal, price: Decimal) -> set[Decimal]:
    """The double product rounded to the cent the ways common languages do it: Python's round(x, 2),
    JavaScript's Math.round(x * 100) / 100, Java's BigDecimal.valueOf(x).setScale(2, ...) and .NET's
    Math.Round(x, 2); each is half up on some products and half even on others."""
    product = float(stake) * float(price)
    scaled = product * 100
    values = {round(product, 2), math.floor(scaled + 0.5) / 100, round(scaled) / 100}
    shortest = Decimal(repr(product))
    return ({Decimal(repr(value)) for value in values}
            | rounded(shortest, 2))


def payout_readings(stake: Decimal, price: Decimal, got: Decimal | None) -> list[str]:
    """The options of bet-placement.payout-precision that ``got`` is for ``stake x price``."""
    if got is None:
        return []
    exact = stake * price
    options = []
    if got == exact:
        options.append("exact")
    if got == exact.quantize(CENT, rounding=ROUND_HALF_UP):
        options.append("cents-half-up")
    if got == exact.quantize(CENT, rounding=ROUND_HALF_EVEN):
        options.append("cents-half-even")
    if got == exact.quantize(CENT, rounding=ROUND_DOWN):
        options.append("cents-down")
    if got in rounded(exact, 4, down=True):
        options.append("four-decimals")
    try:
        if float(got) == float(stake) * float(price):
            options.append("double")
        if got in _double_cents(stake, price):
            options.append("cents-of-double")
    except (OverflowError, ValueError):
        pass
    return options


def within_a_cent(stake: Decimal, price: Decimal, got: Decimal | None) -> bool:
    """Is ``got`` stake x price less than a cent away from stake x price (any rounding, or none)?"""
    return got is not None and abs(got - stake * price) < CENT


def _placed_payouts(rule: Any, flow: Flow) -> list[tuple[dict[str, Any], dict[str, Any]]] | None:
    """(sent bet, stored bet) of a placed slip of 1..5 bets at drawn prices; None (and the flow's
    why_not said) when the slip was refused INVALID_STAKE, a restriction the seed lets a service
    make beyond the player's stake limits ("regulatory restrictions (could be ... max stakes, max
    liability per market type etc.)"): the payout arithmetic cannot be read from it. Any other
    answer but PLACED fails."""
    player = flow.setup("a player exists", balance="100000.00")
    n = flow.draw(st.integers(1, 5), "bets in the slip")
    stakes = stakes_within(flow, player, n)
    # prices to the thousandth (2.375 is 11/8): a payout from the price cut to two decimals is a cent off or more
    prices = [Decimal(flow.draw(st.integers(1010, 1000000), f"decimalPrice {i} in 1/1000")).scaleb(-3)
              for i in range(n)]
    body = slip(flow, player, stakes, prices)
    exchange = flow.send(body, player=player)
    if not expect_placed(rule, flow, exchange):
        return None
    return list(zip(body["bets"], _stored_bets_of(rule, flow, player, body)))


@flow_check
def bp_payout(rule: Any, flow: Flow) -> Any:
    """BP-PAYOUT: passes if every stored bet of a placed slip has a potentialPayout less than a cent
    away from stake * decimalPrice (the product exactly, in double precision, or rounded to the cent
    in any way: the seed gives no precision), fails if one is further off (the winnings without the
    stake, a wrong price, rounding to whole units) or missing, or the valid slip was not placed; does
    not apply to a slip refused INVALID_STAKE (a limit of the service's own, such as a maximum
    liability; needs provider states and snapshots)."""
    placed = _placed_payouts(rule, flow)
    if placed is None:
        return NOT_APPLICABLE
    for sent, stored in placed:
        got = to_decimal(stored.get("potentialPayout"))
        if not within_a_cent(sent["stake"], sent["decimalPrice"], got):
            raise RuleFailure(rule, f"bet {sent['betId']}: potentialPayout is not stake {sent['stake']} x "
                              f"decimalPrice {sent['decimalPrice']} = {sent['stake'] * sent['decimalPrice']} "
                              "(or less than a cent from it)", received=stored.get("potentialPayout"),
                              documented="potentialPayout = (stake * decimalPrice)")


@flow_check
def bp_payout_precision(rule: Any, flow: Flow) -> Any:
    """BP-PAYOUT-PRECISION: passes if every stored potentialPayout of a placed slip is stake *
    decimalPrice in one precision through the run (convention bet-placement.payout-precision):
    exactly, rounded to the cent (half up, half even or down), the double product, or the double
    product rounded to the cent as common languages do; fails if one is none of them (single
    precision, rounded to whole units) or the run's bets follow two of them; does not apply to a slip
    refused INVALID_STAKE (as BP-PAYOUT; needs provider states and snapshots)."""
    placed = _placed_payouts(rule, flow)
    if placed is None:
        return NOT_APPLICABLE
    for sent, stored in placed:
        got = to_decimal(stored.get("potentialPayout"))
        options = payout_readings(sent["stake"], sent["decimalPrice"], got)
        if not options:
            raise RuleFailure(rule, f"bet {sent['betId']}: potentialPayout is not stake {sent['stake']} x "
                              f"decimalPrice {sent['decimalPrice']} = {sent['stake'] * sent['decimalPrice']} "
                              "exactly, to the cent or in double precision", received=stored.get("potentialPayout"))
        flow.conventions.observe(rule, "bet-placement.payout-precision", options,
                                 f"{sent['stake']} x {sent['decimalPrice']} stored as {stored.get('potentialPayout')}")


@flow_check
def bp_pending(rule: Any, flow: Flow) -> Any:
    """BP-PENDING: passes if every bet of a placed slip is stored against the user with a status that
    says it awaits its result ("pending", or an equivalent such as open, unsettled, accepted, placed,
    active: any word but one of a resulted or dead bet), fails if one is missing, has no status or one
    that says settled, resulted, void, cancelled, won, lost, rejected or failed (or the valid slip was
    not placed), does not apply to a slip refused INVALID_STAKE (a limit of the service's own, as
    BP-PAYOUT; needs provider states and snapshots)."""
    player = flow.setup("a player exists", balance="10000.00")
    body = slip(flow, player, stakes_within(flow, player, flow.draw(st.integers(1, 5), "bets in the slip")))
    if not expect_placed(rule, flow, flow.send(body, player=player)):
        return NOT_APPLICABLE
    for stored in _stored_bets_of(rule, flow, player, body):
        status = stored.get("status")
        if not awaits_result(status):
            raise RuleFailure(rule, f"bet {stored.get('betId')} is stored with status {status!r}, which does not "
                              "say it awaits its result", received=status,
                              documented="with a status equivalent to 'pending' to indicate that the bet is "
                              "awaiting result")


@flow_check
def bp_debit(rule: Any, flow: Flow) -> Any:
    """BP-DEBIT: passes if after a PLACED slip the snapshot balance fell by exactly the sum of its
    stakes, fails if it fell by another amount (or the valid slip was not placed), does not apply to a
    slip refused INVALID_STAKE (a limit of the service's own, as BP-PAYOUT; needs provider states)."""
    player = flow.setup("a player exists", balance="10000.00")
    stakes = stakes_within(flow, player, flow.draw(st.integers(1, 5), "bets in the slip"))
    body = slip(flow, player, stakes)
    before = balance_of(rule, flow.snapshot(player))
    if not expect_placed(rule, flow, flow.send(body, player=player)):
        return NOT_APPLICABLE
    after = balance_of(rule, flow.snapshot(player))
    total = sum(stakes, Decimal(0))
    if before - after != total:
        raise RuleFailure(rule, f"the balance moved from {before} to {after} after a slip of stakes "
                          f"{[str(s) for s in stakes]} (sum {total})", received=str(before - after),
                          documented=f"a debit of the stakes' sum ({total})")
