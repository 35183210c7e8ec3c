"""What a refused slip leaves behind: nothing stored and no money moved, whatever refused it (a bad
stake, missing funds, stake limits, a missing field or key, the user, the session, the API key), with
the documented error for each."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from orderproof.checks.base import (
    Flow,
    RuleFailure,
    each_case,
    flow_check,
    shown,
)
from orderproof.checks.numbers import cents, json_number, major, to_decimal
from orderproof.checks.snapshots import assert_unchanged, balance_of, body_of

from .answers import error_code, is_placed, uuid_key
from .slips import (
    BET_FIELDS,
    BP_FIELDS,
    NOTHING_STORED,
    bp_player,
    expect_failure,
    limits,
    own_limit,
    slip,
    stakes_within,
)

# --- a refused slip stores nothing -------------------------------------------------------------------------

@flow_check
def bp_atomic(rule: Any, flow: Flow) -> None:
    """BP-ATOMIC: passes if a slip of 1..5 bets with exactly one bad bet (stake over max_stake or
    under min_stake, at a drawn position) is rejected and the snapshot's bets, balance and ledger are
    unchanged, fails if the slip is accepted or any part of it is stored or debited, does not apply:
    always applies (needs provider states and snapshots)."""
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
    situation = (f"a slip of {n} bet(s) whose bets[{bad_at}] has stake {stakes[bad_at]} (limits "
                 f"{player['min_stake']}..{player['max_stake']})")
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player)
    if exchange.status < 400:
        raise RuleFailure(rule, f"{situation} was not rejected", received=shown(exchange))
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected")


@flow_check
def bp_funds(rule: Any, flow: Flow) -> None:
    """BP-FUNDS: passes if a slip whose stakes sum to more than the balance gets 400
    INSUFFICIENT_FUNDS and stores nothing, a slip whose stakes sum to exactly the balance is placed (the
    balance covers it), and two slips of 2-3 bets under different idempotency keys sent at the same
    time that together exceed the balance never overdraw (the balance stays where it was, or falls by
    the placed slips' stakes, never below zero, and never pays for both: whether placing debits at all
    is BP-DEBIT's question); fails otherwise, listing every part that failed; a slip refused
    INVALID_STAKE within the player's limits (a limit of the service's own, :data:`.slips.OWN_LIMIT`)
    is no INSUFFICIENT_FUNDS to judge, nor an exact balance; does not apply: always applies (needs
    provider states and snapshots). Every example tries the three."""
    each_case(rule, (_funds_one_slip, _funds_exactly, _funds_concurrent), lambda part: part(rule, flow), flow=flow)


def _drawn_stakes(flow: Flow, what: str) -> list[Decimal]:
    """1..5 stakes of 0.10..500.00 for ``what`` slip."""
    n = flow.draw(st.integers(1, 5), f"bets in the {what} slip")
    return [major(flow.draw(st.integers(10, 50_000), f"{what} slip stake {i} in cents")) for i in range(n)]


def _funds_one_slip(rule: Any, flow: Flow) -> None:
    stakes = _drawn_stakes(flow, "short")
    total = cents(sum(stakes, Decimal(0)))
    balance = major(total - flow.draw(st.integers(1, total), "shortfall in cents"))
    player = bp_player(flow, balance=str(balance))
    body = slip(flow, player, stakes)
    situation = f"stakes {', '.join(map(str, stakes))} (sum {major(total)}) against a balance of {balance}"
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player)
    if not own_limit(exchange):         # a limit of the service's own may be checked before the funds
        expect_failure(rule, exchange, 400, "INSUFFICIENT_FUNDS", situation, "400 INSUFFICIENT_FUNDS, nothing stored")
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected")


def _funds_exactly(rule: Any, flow: Flow) -> None:
    """The boundary: stakes that sum to the whole balance are covered by it."""
    stakes = _drawn_stakes(flow, "exact")
    balance = sum(stakes, Decimal(0))
    player = bp_player(flow, balance=str(balance))
    answer = flow.send(slip(flow, player, stakes), player=player)
    if own_limit(answer):               # a limit of the service's own: the balance is not what it answers
        return
    if not is_placed(answer):
        raise RuleFailure(rule, f"stakes {', '.join(map(str, stakes))} summing to exactly the balance of {balance} "
                          "were not placed", received=shown(answer),
                          documented="confirm that the user has a sufficient balance to cover the sum total")


def _funds_concurrent(rule: Any, flow: Flow) -> None:
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
        {"body": body, "player": player, "headers": {"X-Idempotency-Key": flow.fresh_uuid()}} for body in bodies])
    after = balance_of(rule, flow.snapshot(player))
    placed = [total for total, answer in zip(totals, answers) if is_placed(answer)]
    situation = (f"two slips of {major(totals[0])} and {major(totals[1])} sent at once against a balance "
                 f"of {major(balance_cents)}")
    debited = major(balance_cents - sum(placed))
    if after < 0 or after not in (major(balance_cents), debited):
        raise RuleFailure(rule, f"{situation}: the balance went below zero or moved by other than the placed "
                          "slips' stakes", received={"placed": [str(major(t)) for t in placed],
                                                     "balance_after": str(after)},
                          documented=f"{major(balance_cents)}, or {debited} after the placed slip(s): never below 0")


@flow_check
def bp_stake_limits(rule: Any, flow: Flow) -> None:
    """BP-STAKE-LIMITS: passes if a slip with stakes over max_stake and/or under min_stake gets 400
    INVALID_STAKE whose failedBets name one or more of the offending betIds (and no bet within the
    limits as breaching one, which include the limits themselves: every slip carries a bet staking
    exactly max_stake, or min_stake, which breaches nothing; a refused slip's other bets may be listed
    with a reason that names no limit, both limits in force, or a limit of the service's own that
    its stake breaches), each offender with a reason whose maxStake (over) or minStake (under), when
    given (the table marks both optional), equals the player's limit, and nothing is stored; fails
    otherwise; does not apply: always applies (needs provider states and snapshots)."""
    player = bp_player(flow)
    lo, hi = limits(player)
    n = flow.draw(st.integers(1, 5), "bets in the slip")
    at_limit = flow.draw(st.integers(0, n), "where the bet at a limit goes")
    kinds = ["at a limit" if i == at_limit else flow.draw(st.sampled_from(["ok", "over", "under"]),
                                                          f"bet {i} stake kind") for i in range(n + 1)]
    if not {"over", "under"} & set(kinds):
        kinds[flow.draw(st.sampled_from([i for i in range(n + 1) if i != at_limit]), "forced offender")] = "over"
    stakes = []
    for i, kind in enumerate(kinds):
        if kind == "under" and lo <= 1:
            kind = kinds[i] = "over"
        if kind == "over":
            stakes.append(major(hi + flow.draw(st.integers(1, 10_000), f"bet {i} cents over max")))
        elif kind == "under":
            stakes.append(major(flow.draw(st.integers(1, lo - 1), f"bet {i} stake under min in cents")))
        elif kind == "at a limit":        # min_stake 0 is no stake a service need take
            stakes.append(major(flow.draw(st.sampled_from((hi, lo) if lo > 0 else (hi,)),
                                          f"bet {i} stake at a limit in cents")))
        else:
            stakes.append(major(flow.draw(st.integers(lo, hi), f"bet {i} stake in cents")))
    body = slip(flow, player, stakes)
    offenders = {uuid_key(bet["betId"]): kind for bet, kind in zip(body["bets"], kinds) if kind in ("over", "under")}
    situation = f"stakes {', '.join(map(str, stakes))} against limits {player['min_stake']}..{player['max_stake']}"
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player)
    expect_failure(rule, exchange, 400, "INVALID_STAKE", situation, "| INVALID_STAKE | 400 |")
    failed = body_of(exchange).get("failedBets")
    if not isinstance(failed, list) or not all(isinstance(f, dict) for f in failed):
        raise RuleFailure(rule, f"{situation}: INVALID_STAKE without a failedBets list", received=failed,
                          documented="failedBets: No (Except for INVALID_STAKE errors)")
    named = {uuid_key(f.get("betId")): f for f in failed}
    stake_of = {uuid_key(bet["betId"]): bet["stake"] for bet in body["bets"]}
    # every bet of the refused slip failed: one within the limits may be listed, with no limit, or both
    # limits in force, as its reason (neither claims that it breached one), or a limit of the service's
    # own that it does breach (a maxStake below its stake: a maximum liability, OWN_LIMIT)
    within = {bet_id for bet_id, f in named.items() if bet_id not in offenders
              and (not _claims_a_breach(f.get("reason")) or _breaches(f.get("reason"), stake_of.get(bet_id)))}
    if not set(named) & set(offenders) or not set(named) - within <= set(offenders):
        raise RuleFailure(rule, f"{situation}: failedBets names no offending bet, or a bet within the limits "
                          "as breaching one", received=sorted(map(str, named)),
                          documented=f"offending bets: {sorted(offenders)}")
    for bet_id in set(named) - within:
        field, limit = (("maxStake", player["max_stake"]) if offenders[bet_id] == "over"
                        else ("minStake", player["min_stake"]))
        reason = named[bet_id].get("reason")
        if not isinstance(reason, dict):
            raise RuleFailure(rule, f"{situation}: bet {bet_id} has no reason", received=named[bet_id],
                              documented="| reason | BetFailureReason | Yes |")
        got = reason.get(field)     # "Required? No": only a limit given must be the one breached
        if got is not None and json_number(got) != to_decimal(limit):
            raise RuleFailure(rule, f"{situation}: bet {bet_id} breached {field} {limit} but its reason "
                              "carries another value", received=reason)
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected", NOTHING_STORED)


def _breaches(reason: Any, stake: Decimal | None) -> bool:
    """A FailedBet's reason names a limit its bet's stake does breach: a maxStake below it or a
    minStake above it."""
    top, bottom = (json_number(reason.get(field)) if isinstance(reason, dict) else None
                   for field in ("maxStake", "minStake"))
    return stake is not None and ((top is not None and stake > top) or (bottom is not None and stake < bottom))


def _claims_a_breach(reason: Any) -> bool:
    """A FailedBet's reason names the one limit breached (maxStake or minStake, not null): a reason
    naming both states the limits in force, which claims no breach ("the value of the limit
    breached" names one)."""
    named = [field for field in ("maxStake", "minStake") if isinstance(reason, dict) and reason.get(field) is not None]
    return len(named) == 1


# The seed's first step is "validate the user session by looking up the user session based on userId
# and sessionToken" and it gives no order of checks: a slip without either may fail that lookup first.
SESSION_FIELDS = ("userId", "sessionToken")
SESSION_REFUSALS = [(400, "INVALID_USER"), (401, "INVALID_SESSION")]


@flow_check
def bp_missing(rule: Any, flow: Flow) -> None:
    """BP-MISSING: passes if a valid slip with one drawn required field removed gets 400
    MISSING_PARAMETER (a field of a bet, or the bets: MISSING_PARAMETER or INVALID_BET_DETAILS, and a
    missing stake, read as 0, INVALID_STAKE too; userId or sessionToken: also 400 INVALID_USER or 401
    INVALID_SESSION, the session lookup failing first; the timestamp, read as 0, also 503
    REQUEST_TIMED_OUT), not
    a framework 422, and nothing is stored; fails otherwise; does not apply: always applies (needs provider
    states). The X-Idempotency-Key header is BP-KEY-REQUIRED's (a SHOULD)."""
    player = bp_player(flow, balance="10000.00")
    n = flow.draw(st.integers(1, 3), "bets in the slip")
    body = slip(flow, player, stakes_within(flow, player, n))
    where = flow.draw(st.sampled_from(["body", "bet"]), "where the missing parameter is")
    answers = [(400, "MISSING_PARAMETER")]
    if where == "body":
        field = flow.draw(st.sampled_from(BP_FIELDS), "missing top-level field")
        del body[field]
        if field in SESSION_FIELDS:
            answers += SESSION_REFUSALS
        elif field == "bets":             # a slip with no bet details: INVALID_BET_DETAILS says so too
            answers.append((400, "INVALID_BET_DETAILS"))
        elif field == "timestamp":        # read as 0 (a Java long): a request of 1970, timed out
            answers.append((503, "REQUEST_TIMED_OUT"))
    else:
        index = flow.draw(st.integers(0, n - 1), "bet missing a field")
        field = flow.draw(st.sampled_from(BET_FIELDS), "missing bet field")
        del body["bets"][index][field]
        answers.append((400, "INVALID_BET_DETAILS"))
        if field == "stake":              # read as 0 (a Go float64, a Java double): under the minimum stake
            answers.append((400, "INVALID_STAKE"))
        field = f"bets[{index}].{field}"
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player)
    if (exchange.status, error_code(exchange)) not in answers:
        expected = " or ".join(f"HTTP {status} {code}" for status, code in answers)
        raise RuleFailure(rule, f"a slip without {field}: expected {expected}", received=shown(exchange))
    assert_unchanged(rule, before, flow.snapshot(player), f"a slip without {field} was rejected", NOTHING_STORED)


@flow_check
def bp_key_required(rule: Any, flow: Flow) -> None:
    """BP-KEY-REQUIRED: passes if a valid slip without X-Idempotency-Key gets 400 MISSING_PARAMETER
    and one whose key is not a UUID gets a 400 FAILURE, both storing nothing; fails otherwise,
    listing both; does not apply: always applies (needs provider states)."""
    player = bp_player(flow, balance="10000.00")

    def case(kind: str) -> None:
        body = slip(flow, player, stakes_within(flow, player, flow.draw(st.integers(1, 3), f"{kind}: bets")))
        key = None if kind == "missing" else f"not-a-uuid-{flow.fresh_id()}"   # fresh: a replay salts it anew
        before = flow.snapshot(player)
        exchange = flow.send(body, player=player, headers={"X-Idempotency-Key": key})
        if kind == "missing" and (exchange.status != 400 or error_code(exchange) != "MISSING_PARAMETER"):
            raise RuleFailure(rule, "a slip without X-Idempotency-Key: expected HTTP 400 MISSING_PARAMETER",
                              received=shown(exchange), documented="a missing key on an operation that requires "
                              "one SHOULD get 400 (IETF draft); | MISSING_PARAMETER | 400 |")
        if kind == "not a UUID" and (exchange.status != 400 or error_code(exchange) is None):
            raise RuleFailure(rule, "a slip whose X-Idempotency-Key is not a UUID: expected a 400 FAILURE",
                              received=shown(exchange))
        assert_unchanged(rule, before, flow.snapshot(player), f"a slip with a {kind} key was rejected", NOTHING_STORED)

    each_case(rule, ("missing", "not a UUID"), case, flow=flow)


# --- users, sessions and the API key ----------------------------------------------------------------------

@flow_check
def bp_user(rule: Any, flow: Flow) -> None:
    """BP-USER: passes if a slip for an unknown userId gets 400 INVALID_USER or 401 INVALID_SESSION
    (one way through the run: convention bet-placement.unknown-user) and one for a blocked player 400
    USER_BLOCKED, storing nothing; fails otherwise, listing both; does not apply: always applies
    (needs provider states and snapshots). Every example tries both."""
    each_case(rule, ("unknown", "blocked"), lambda case: _user_case(rule, flow, case), flow=flow)


def _user_case(rule: Any, flow: Flow, case: str) -> None:
    player = bp_player(flow, balance="10000.00", blocked=case == "blocked")
    body = slip(flow, player, stakes_within(flow, player, flow.draw(st.integers(1, 3), f"{case}: bets in the slip")))
    before = flow.snapshot(player)
    if case == "unknown":
        body["userId"] = f"orderproof-unknown-{flow.fresh_uuid()[:13]}"
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
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected", NOTHING_STORED)


def _refused(rule: Any, flow: Flow, player: dict, situation: str, status: int, code: str,
             or_else: tuple[int, str] | None = None, **send: Any) -> None:
    """A slip of ``player`` sent as ``send`` says (a sessionToken of its own, another auth): refused
    HTTP ``status`` ``code`` (or ``or_else``, another (status, code) the seed permits), nothing stored."""
    body = slip(flow, player, stakes_within(flow, player, flow.draw(st.integers(1, 3), "bets in the slip")))
    if "session_token" in send:
        body["sessionToken"] = send.pop("session_token")
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player, **send)
    if or_else is None or (exchange.status, error_code(exchange)) != or_else:
        documented = f"| {code} | {status} |" + (f"; | {or_else[1]} | {or_else[0]} |" if or_else else "")
        expect_failure(rule, exchange, status, code, situation, documented)
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected", NOTHING_STORED)


@flow_check
def bp_auth(rule: Any, flow: Flow) -> None:
    """BP-AUTH: passes if a slip with a wrong or a missing X-API-Key gets 403 AUTHENTICATION_FAILED
    and stores nothing, fails otherwise (listing both), does not apply: always applies (needs provider
    states). Every example tries both."""
    player = bp_player(flow, balance="10000.00")
    each_case(rule, (("bad", "a slip with a wrong X-API-Key"), ("none", "a slip without X-API-Key")),
              lambda case: _refused(rule, flow, player, case[1], 403, "AUTHENTICATION_FAILED", auth=case[0]),
              flow=flow)


@flow_check
def bp_session(rule: Any, flow: Flow) -> None:
    """BP-SESSION: passes if a slip whose sessionToken is not the user's gets 401 INVALID_SESSION
    (a token nobody has) or, for another player's live token, 401 INVALID_SESSION or 400 INVALID_USER
    (a service looking the session up by its token finds another user: the userId does not match it),
    and stores nothing; fails otherwise (listing both), does not apply: always applies (needs provider
    states). Every example tries both."""
    player = bp_player(flow, balance="10000.00")

    def case(kind: str) -> None:
        if kind == "unknown":
            _refused(rule, flow, player, "a slip with a sessionToken nobody has", 401, "INVALID_SESSION",
                     session_token=flow.fresh_uuid().replace("-", ""))
        else:
            _refused(rule, flow, player, "a slip with another player's sessionToken", 401, "INVALID_SESSION",
                     or_else=(400, "INVALID_USER"), session_token=bp_player(flow, balance="10.00")["sessionToken"])

    each_case(rule, ("unknown", "another player's"), case, flow=flow)


@flow_check
def bp_session_expired(rule: Any, flow: Flow) -> None:
    """BP-SESSION-EXPIRED: passes if a slip with the user's expired session gets 401 INVALID_SESSION
    and stores nothing, fails otherwise, does not apply: always applies (needs provider states)."""
    ages = (("a second", 1), ("ten minutes", 600))      # just expired, and long expired

    def case(age: tuple[str, int]) -> None:
        words, seconds = age
        _refused(rule, flow, bp_player(flow, balance="10000.00", session_expired=True,
                                       session_expired_seconds_ago=seconds),
                 f"a slip with a session that expired {words} ago", 401, "INVALID_SESSION")

    each_case(rule, ages, case, flow=flow)
