"""All-or-nothing checks: a rejected slip or order stores nothing and moves no money; the
bet-placement validations that reject a slip (funds, stake limits, users, missing fields).

Also the helpers the other bet-placement flows share: building a slip from the spec's valid body,
drawing stakes, and comparing snapshots.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from .base import BodyNotJSON, Exchange, Flow, NotVerified, RuleFailure, each_case, flow_check, shown
from .outcomes import outcome
from .money import balance_of, cents, json_number, major, to_decimal

BP = ("bet-placement",)
BP_FIELDS = ("requestId", "userId", "sessionToken", "timestamp", "bets")
BET_FIELDS = (
    "betId", "sportId", "sportName", "sportDisplayName", "eventId", "eventName", "eventDisplayName",
    "eventStage", "competitionId", "competitionName", "competitionDisplayName", "marketTypeId",
    "marketId", "marketName", "marketDisplayName", "marketStage", "selectionId", "selectionName",
    "selectionDisplayName", "decimalPrice", "stake",
)
ATOMIC_QUOTE = ("upon unsuccessfully completing all relevant check, store none of the bets in the bet "
                "placement call")
PLAYER_STATE = ("balance", "bets", "ledger")


# --- shared helpers ---------------------------------------------------------------------------------


def body_of(exchange: Exchange) -> Any:
    """The response JSON, or None when it is not JSON (the caller reports the raw text)."""
    try:
        return exchange.json
    except BodyNotJSON:
        return None


def error_code(exchange: Exchange) -> Any:
    body = body_of(exchange)
    return body.get("errorCode") if isinstance(body, dict) else None


def is_placed(exchange: Exchange) -> bool:
    body = body_of(exchange)
    return exchange.status == 200 and isinstance(body, dict) and body.get("status") == "PLACED"


def expect_placed(rule_id: str, exchange: Exchange) -> None:
    """The scene's valid slip must be placed; otherwise the rule cannot hold."""
    if not is_placed(exchange):
        raise RuleFailure(rule_id, "a valid slip (known user, live session, funds, stakes within limits) "
                          "was not placed", received=shown(exchange),
                          documented='status: String ("PLACED")')


def expect_failure(rule_id: str, exchange: Exchange, status: int, code: str, situation: str,
                   documented: str) -> None:
    """The answer must be HTTP ``status`` with the FAILURE ``errorCode`` ``code``."""
    if exchange.status != status or error_code(exchange) != code:
        raise RuleFailure(rule_id, f"{situation}: expected HTTP {status} {code}", received=shown(exchange),
                          documented=documented)


def state(snapshot: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The parts of a snapshot a rule compares (the balance as a Decimal, lists as they are)."""
    out: dict[str, Any] = {}
    for key in keys:
        value = snapshot.get(key)
        out[key] = to_decimal(value) if key == "balance" else list(value or [])
    return out


def assert_unchanged(rule_id: str, before: Mapping[str, Any], after: Mapping[str, Any], situation: str,
                     documented: str, keys: Iterable[str] = PLAYER_STATE) -> None:
    """Fails if the snapshot parts ``keys`` differ between ``before`` and ``after``."""
    keys = tuple(keys)
    old, new = state(before, keys), state(after, keys)
    changed = {k: {"before": _short(old[k]), "after": _short(new[k])} for k in keys if old[k] != new[k]}
    if changed:
        raise RuleFailure(rule_id, f"{situation}, yet the player's {', '.join(changed)} changed",
                          received=changed, documented=documented)


def _short(value: Any) -> Any:
    if isinstance(value, list) and len(value) > 3:
        return [*value[:3], f"... {len(value)} in all"]
    return str(value) if isinstance(value, Decimal) else value


def player_cents(player: Mapping[str, Any], name: str) -> int:
    """A money field of a "a player exists" answer in cents; NotVerified when the target's answer (or
    fixture) does not give it."""
    try:
        return cents(player[name])
    except (KeyError, ValueError):
        raise NotVerified(f'the "a player exists" answer gives no usable {name} ({player.get(name)!r})') from None


def limits(player: Mapping[str, Any]) -> tuple[int, int]:
    """The player's (min_stake, max_stake) in cents."""
    return player_cents(player, "min_stake"), player_cents(player, "max_stake")


def stakes_within(flow: Flow, player: Mapping[str, Any], n: int) -> list[Decimal]:
    """``n`` stakes within the player's limits whose sum the balance covers."""
    lo, hi = limits(player)
    hi = max(lo, min(hi, player_cents(player, "balance") // max(n, 1)))
    return [major(flow.draw(st.integers(lo, hi), f"stake {i} in cents")) for i in range(n)]


def slip(flow: Flow, player: Mapping[str, Any], stakes: list[Decimal],
         prices: list[Decimal] | None = None) -> dict[str, Any]:
    """The spec's valid body for ``player`` with one bet per stake, each on a selection of an event
    set up for the slip (a fresh betId each, the selection's current price). ``prices`` set up an
    event whose selections have those prices, one per bet."""
    if prices is None:
        event = flow.setup("an event exists")
    else:
        event = flow.setup("an event exists", markets=[{"code": "1X2", "allowed": True,
                                                         "prices": [str(price) for price in prices]}])
    body = copy.deepcopy(flow.valid_body(player, event=event))
    template = body["bets"][0]
    markets = [market for market in event.get("markets") or [] if market.get("selections")]
    if not markets:
        raise NotVerified("the event set up has no market with selections")
    market = markets[0]
    selections = market["selections"]
    bets = []
    for i, stake in enumerate(stakes):
        selection = selections[i % len(selections)]
        bet = copy.deepcopy(template)
        bet.update(betId=str(uuid.uuid4()), eventId=str(event["event_id"]), marketId=str(market["market_id"]),
                   selectionId=str(selection["bet_id"]), decimalPrice=to_decimal(selection["decimal_price"]),
                   stake=stake)
        bets.append(bet)
    body["bets"] = bets
    return body


def order_amount(flow: Flow, player: Mapping[str, Any], body: dict[str, Any], *, over_balance: bool = False) -> Decimal:
    """Set a sportsbook order's amount the way the seed's sample does (orderAmount = the betList's
    betAmount, one bet of one combination): within the player's stake limits and balance, or above
    the balance when ``over_balance``. Returns the amount."""
    balance = player_cents(player, "balance")
    lo = max(1, _cents_or(player, "min_stake", 1))
    hi = _cents_or(player, "max_stake", balance)
    if over_balance:
        amount = major(balance + flow.draw(st.integers(1, 100_000), "cents over the balance"))
    else:
        amount = major(flow.draw(st.integers(lo, max(lo, min(hi, balance))), "orderAmount in cents"))
    body["orderAmount"] = amount
    bets = body.get("betList")
    if isinstance(bets, list) and bets and isinstance(bets[0], dict):
        body["betList"] = [{**bets[0], "betAmount": amount, "cnt": 1}]
    return amount


def _cents_or(player: Mapping[str, Any], name: str, default: int) -> int:
    try:
        return cents(player[name])
    except (KeyError, ValueError):
        return default


def bp_player(flow: Flow, balance: str = "100000.00", **params: Any) -> dict[str, Any]:
    """A bet-placement player with explicit limits (so draws can be made before or after setup)."""
    return flow.setup("a player exists", balance=balance, min_stake="0.10", max_stake="500.00", **params)


# --- BP-ATOMIC --------------------------------------------------------------------------------------


@flow_check("bp_atomic", apis=BP)
def bp_atomic(flow: Flow) -> None:
    """BP-ATOMIC: passes if a slip of 1..5 bets with exactly one bad bet (stake over max_stake or
    under min_stake, at a drawn position) is rejected and the snapshot's bets, balance and ledger are
    unchanged, fails if the slip is accepted or any part of it is stored or debited, does not apply:
    always applies (needs provider states and snapshots)."""
    rule = "BP-ATOMIC"
    player = bp_player(flow)
    n = flow.draw(st.integers(1, 5), "bets in the slip")
    bad_at = flow.draw(st.integers(0, n - 1), "position of the bad bet")
    over = flow.draw(st.booleans(), "bad stake over max_stake (else under min_stake)")
    stakes = stakes_within(flow, player, n)
    lo, hi = limits(player)
    if over or lo <= 1:
        stakes[bad_at] = major(hi + flow.draw(st.integers(1, 10_000), "cents over max_stake"))
    else:
        stakes[bad_at] = major(flow.draw(st.integers(1, lo - 1), "stake under min_stake in cents"))
    body = slip(flow, player, stakes)
    situation = (f"a slip of {n} bet(s) whose bet {bad_at} has stake {stakes[bad_at]} (limits "
                 f"{player['min_stake']}..{player['max_stake']})")
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player)
    if exchange.status < 400:
        raise RuleFailure(rule, f"{situation} was not rejected", received=shown(exchange),
                          documented=ATOMIC_QUOTE)
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected", ATOMIC_QUOTE)


# --- BP-FUNDS ---------------------------------------------------------------------------------------

FUNDS_QUOTE = ("confirm that the user has a sufficient balance to cover the sum total of all the "
               "individual bet stakes")


@flow_check("bp_funds", apis=BP)
def bp_funds(flow: Flow) -> None:
    """BP-FUNDS: passes if a slip whose stakes sum to more than the balance gets 400
    INSUFFICIENT_FUNDS and stores nothing, and two slips of 2-3 bets under different idempotency keys
    sent at the same time that together exceed the balance never overdraw (the balance stays where it
    was, or falls by the placed slips' stakes, never below zero, and never pays for both: whether
    placing debits at all is BP-DEBIT's question); fails otherwise, listing both parts; does not apply:
    always applies (needs provider states and snapshots). Every example tries both."""
    each_case("BP-FUNDS", (_bp_funds_one_slip, _bp_funds_concurrent), lambda part: part(flow))


def _bp_funds_one_slip(flow: Flow) -> None:
    rule = "BP-FUNDS"
    n = flow.draw(st.integers(1, 5), "bets in the slip")
    stakes = [major(flow.draw(st.integers(10, 50_000), f"stake {i} in cents")) for i in range(n)]
    total = cents(sum(stakes, Decimal(0)))
    balance = major(total - flow.draw(st.integers(1, total), "shortfall in cents"))
    player = bp_player(flow, balance=str(balance))
    body = slip(flow, player, stakes)
    situation = f"stakes {[str(s) for s in stakes]} (sum {major(total)}) against a balance of {balance}"
    before = flow.snapshot(player)
    expect_failure(rule, flow.send(body, player=player), 400, "INSUFFICIENT_FUNDS", situation,
                   "| INSUFFICIENT_FUNDS | 400 |; " + FUNDS_QUOTE)
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected", FUNDS_QUOTE)


def _bp_funds_concurrent(flow: Flow) -> None:
    rule = "BP-FUNDS"
    slips_stakes = [
        [major(flow.draw(st.integers(10, 50_000), f"slip {s} stake {i} in cents"))
         for i in range(flow.draw(st.integers(2, 3), f"bets in slip {s}"))]  # the sum is the point
        for s in range(2)
    ]
    totals = [cents(sum(stakes, Decimal(0))) for stakes in slips_stakes]
    balance_cents = max(totals) + flow.draw(st.integers(0, min(totals) - 1), "balance over the larger slip")
    player = bp_player(flow, balance=str(major(balance_cents)))
    bodies = [slip(flow, player, stakes) for stakes in slips_stakes]
    answers = flow.send_concurrently([
        {"body": body, "player": player, "headers": {"X-Idempotency-Key": str(uuid.uuid4())}}
        for body in bodies
    ])
    after = balance_of(rule, flow.snapshot(player))
    placed = [total for total, answer in zip(totals, answers) if is_placed(answer)]
    situation = (f"two slips of {major(totals[0])} and {major(totals[1])} sent at once against a balance "
                 f"of {major(balance_cents)}")
    # Whether placing debits the balance is BP-DEBIT's question: here the balance may stay where it
    # was (no debit) or fall by the placed slips' stakes, but never below zero, and never both slips
    # paid for out of a balance that covers one.
    debited = major(balance_cents - sum(placed))
    if after < 0 or after not in (major(balance_cents), debited):
        raise RuleFailure(rule, f"{situation}: the balance went below zero or moved by other than the placed "
                          "slips' stakes", received={"placed": [str(major(t)) for t in placed],
                                                     "balance_after": str(after)},
                          documented=f"{major(balance_cents)}, or {debited} after the placed slip(s); {FUNDS_QUOTE}")
    if len(placed) == 2 and after != major(balance_cents):
        raise RuleFailure(rule, f"{situation}: both were placed and paid for", received={
            "placed": 2, "balance_after": str(after)}, documented=FUNDS_QUOTE)


# --- BP-STAKE-LIMITS --------------------------------------------------------------------------------

LIMIT_QUOTE = "the stake value returned within **BetFailureReason** should be the value of the limit breached"


@flow_check("bp_stake_limits", apis=BP)
def bp_stake_limits(flow: Flow) -> None:
    """BP-STAKE-LIMITS: passes if a slip with stakes over max_stake and/or under min_stake gets 400
    INVALID_STAKE whose failedBets name one or more of the offending betIds (and no bet within the
    limits), each with reason.maxStake (over) or reason.minStake (under) equal to the player's limit,
    and nothing is stored; fails otherwise; does not apply: always applies (needs provider states and
    snapshots)."""
    rule = "BP-STAKE-LIMITS"
    player = bp_player(flow)
    lo, hi = limits(player)
    n = flow.draw(st.integers(1, 5), "bets in the slip")
    kinds = [flow.draw(st.sampled_from(["ok", "over", "under"]), f"bet {i} stake kind") for i in range(n)]
    if all(kind == "ok" for kind in kinds):
        kinds[flow.draw(st.integers(0, n - 1), "forced offender")] = "over"
    stakes = []
    for i, kind in enumerate(kinds):
        if kind == "under" and lo <= 1:
            kind = kinds[i] = "over"
        if kind == "over":
            stakes.append(major(hi + flow.draw(st.integers(1, 10_000), f"bet {i} cents over max")))
        elif kind == "under":
            stakes.append(major(flow.draw(st.integers(1, lo - 1), f"bet {i} stake under min in cents")))
        else:
            stakes.append(major(flow.draw(st.integers(lo, hi), f"bet {i} stake in cents")))
    body = slip(flow, player, stakes)
    offenders = {bet["betId"]: kind for bet, kind in zip(body["bets"], kinds) if kind != "ok"}
    situation = (f"stakes {[str(s) for s in stakes]} against limits {player['min_stake']}.."
                 f"{player['max_stake']}")
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player)
    expect_failure(rule, exchange, 400, "INVALID_STAKE", situation, "| INVALID_STAKE | 400 |")
    failed = body_of(exchange).get("failedBets")
    if not isinstance(failed, list) or not all(isinstance(f, dict) for f in failed):
        raise RuleFailure(rule, f"{situation}: INVALID_STAKE without a failedBets list", received=failed,
                          documented="failedBets: No (Except for INVALID_STAKE errors)")
    named = {f.get("betId"): f for f in failed}
    if not named or not set(named) <= set(offenders):
        raise RuleFailure(rule, f"{situation}: failedBets names no offending bet, or a bet within the limits",
                          received=sorted(map(str, named)), documented=f"offending bets: {sorted(offenders)}")
    for bet_id in named:
        kind = offenders[bet_id]
        field, limit = ("maxStake", player["max_stake"]) if kind == "over" else ("minStake", player["min_stake"])
        reason = named[bet_id].get("reason")
        got = reason.get(field) if isinstance(reason, dict) else None
        if json_number(got) != to_decimal(limit):
            raise RuleFailure(rule, f"{situation}: bet {bet_id} breached {field} {limit} but its reason "
                              "does not carry that limit", received=reason, documented=LIMIT_QUOTE)
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected", ATOMIC_QUOTE)


# --- BP-MISSING -------------------------------------------------------------------------------------


@flow_check("bp_missing", apis=BP)
def bp_missing(flow: Flow) -> None:
    """BP-MISSING: passes if a valid slip with one drawn required field removed gets 400
    MISSING_PARAMETER (a field of a bet: MISSING_PARAMETER or INVALID_BET_DETAILS), not a framework
    422, and nothing is stored; fails otherwise; does not apply: always applies (needs provider
    states). The X-Idempotency-Key header is BP-KEY-REQUIRED's (a SHOULD)."""
    rule = "BP-MISSING"
    player = bp_player(flow, balance="10000.00")
    n = flow.draw(st.integers(1, 3), "bets in the slip")
    body = slip(flow, player, stakes_within(flow, player, n))
    where = flow.draw(st.sampled_from(["body", "bet"]), "where the missing parameter is")
    codes = ("MISSING_PARAMETER",)
    if where == "body":
        field = flow.draw(st.sampled_from(BP_FIELDS), "missing top-level field")
        del body[field]
    else:
        index = flow.draw(st.integers(0, n - 1), "bet missing a field")
        field = flow.draw(st.sampled_from(BET_FIELDS), "missing bet field")
        del body["bets"][index][field]
        field, codes = f"bets[{index}].{field}", ("MISSING_PARAMETER", "INVALID_BET_DETAILS")
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player)
    if exchange.status != 400 or error_code(exchange) not in codes:
        raise RuleFailure(rule, f"a slip without {field}: expected HTTP 400 {' or '.join(codes)}",
                          received=shown(exchange), documented="| MISSING_PARAMETER | 400 |")
    assert_unchanged(rule, before, flow.snapshot(player), f"a slip without {field} was rejected", ATOMIC_QUOTE)


@flow_check("bp_key_required", apis=BP)
def bp_key_required(flow: Flow) -> None:
    """BP-KEY-REQUIRED: passes if a valid slip without X-Idempotency-Key gets 400 MISSING_PARAMETER
    and one whose key is not a UUID gets a 400 FAILURE, both storing nothing; fails otherwise,
    listing both; does not apply: always applies (needs provider states)."""
    rule = "BP-KEY-REQUIRED"
    player = bp_player(flow, balance="10000.00")

    def case(kind: str) -> None:
        body = slip(flow, player, stakes_within(flow, player, flow.draw(st.integers(1, 3), f"{kind}: bets")))
        key = None if kind == "missing" else f"not-a-uuid-{uuid.uuid4().hex[:8]}"
        before = flow.snapshot(player)
        exchange = flow.send(body, player=player, headers={"X-Idempotency-Key": key})
        if kind == "missing" and (exchange.status != 400 or error_code(exchange) != "MISSING_PARAMETER"):
            raise RuleFailure(rule, "a slip without X-Idempotency-Key: expected HTTP 400 MISSING_PARAMETER",
                              received=shown(exchange), documented="a missing key on an operation that requires "
                              "one SHOULD get 400 (IETF draft); | MISSING_PARAMETER | 400 |")
        if kind == "not a UUID" and (exchange.status != 400 or error_code(exchange) is None):
            raise RuleFailure(rule, "a slip whose X-Idempotency-Key is not a UUID: expected a 400 FAILURE",
                              received=shown(exchange), documented="X-Idempotency-Key in the form of a UUID string")
        assert_unchanged(rule, before, flow.snapshot(player), f"a slip with a {kind} key was rejected", ATOMIC_QUOTE)

    each_case(rule, ("missing", "not a UUID"), case)


# --- BP-USER ----------------------------------------------------------------------------------------


@flow_check("bp_user", apis=BP)
def bp_user(flow: Flow) -> None:
    """BP-USER: passes if a slip for an unknown userId gets 400 INVALID_USER or 401 INVALID_SESSION
    (one way through the run: convention bet-placement.unknown-user) and one for a blocked player 400
    USER_BLOCKED, storing nothing; fails otherwise, listing both; does not apply: always applies
    (needs provider states and snapshots). Every example tries both."""
    each_case("BP-USER", ("unknown", "blocked"), lambda case: _bp_user_case(flow, case))


def _bp_user_case(flow: Flow, case: str) -> None:
    rule = "BP-USER"
    player = bp_player(flow, balance="10000.00", blocked=case == "blocked")
    body = slip(flow, player, stakes_within(flow, player, flow.draw(st.integers(1, 3), f"{case}: bets in the slip")))
    before = flow.snapshot(player)
    if case == "unknown":
        body["userId"] = f"orderproof-unknown-{uuid.uuid4().hex[:12]}"
        situation = "a slip for an unknown userId"
        exchange = flow.send(body, player=player)
        answers = {(400, "INVALID_USER"): "invalid-user", (401, "INVALID_SESSION"): "invalid-session"}
        option = answers.get((exchange.status, error_code(exchange)))
        if option is None:
            raise RuleFailure(rule, f"{situation}: expected HTTP 400 INVALID_USER or 401 INVALID_SESSION",
                              received=shown(exchange), documented="| INVALID_USER | 400 |; | INVALID_SESSION | 401 |")
        flow.conventions.observe(rule, "bet-placement.unknown-user", option, f"{situation}: {shown(exchange, 80)}")
    else:
        situation = "a slip from a blocked player"
        expect_failure(rule, flow.send(body, player=player), 400, "USER_BLOCKED", situation, "| USER_BLOCKED | 400 |")
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected", ATOMIC_QUOTE)


# --- SO-REJECT-NOTHING -------------------------------------------------------------------------------


@flow_check("so_reject_nothing", apis=("sportsbook-order",))
def so_reject_nothing(flow: Flow) -> None:
    """SO-REJECT-NOTHING: passes if an order over the balance, or with an unknown customerToken, is
    answered with a non-200 code and leaves the player's balance and orders unchanged, fails if it is
    accepted or anything is debited or stored, does not apply: always applies (needs provider states
    and snapshots). Every example tries both."""
    each_case("SO-REJECT-NOTHING", ("over balance", "unknown token"), lambda case: _so_reject_case(flow, case))


def _so_reject_case(flow: Flow, case: str) -> None:
    rule = "SO-REJECT-NOTHING"
    documented = "a rejection leaves the wallet and the orders as they were (only a code 200 order debits)"
    balance = major(flow.draw(st.integers(0, 100_000), f"{case}: balance in cents"))
    player = flow.setup("a player exists", balance=str(balance))
    body = flow.valid_body(player)
    if case == "over balance":
        order_amount(flow, player, body, over_balance=True)
        situation = f"an order of {body['orderAmount']} against a balance of {balance}"
    else:
        order_amount(flow, player, body)
        body["customerToken"] = f"orderproof-unknown-{uuid.uuid4().hex[:12]}"
        situation = "an order with an unknown customerToken"
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player)
    if outcome(exchange).accepted:
        raise RuleFailure(rule, f"{situation} was accepted", received=shown(exchange), documented=documented)
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected", documented,
                     keys=("balance", "orders"))
