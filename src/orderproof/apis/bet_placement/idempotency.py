"""The bet-placement idempotency checks: a repeat changes nothing (and, as practice, gets the first
answer); a key reused with another body places nothing for it; concurrent duplicates place once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from orderproof.checks.base import (
    Exchange,
    Flow,
    RuleFailure,
    each_case,
    flow_check,
    shown,
)
from orderproof.checks.numbers import major
from orderproof.checks.replies import same_answer
from orderproof.checks.snapshots import assert_unchanged, balance_of

from .answers import error_code, is_placed, uuid_key
from .slips import bp_player, limits, slip, stakes_within

UNCHANGED = ("a repeat with the same X-Idempotency-Key and body stores and debits nothing again, whether the "
             "first answer was PLACED or a FAILURE")
REPLAY = ("a retry after completion SHOULD get the result of the completed operation, success or error "
          "(IETF draft); every repeat gets the response of the first call (DOMAIN.md)")
VARYING = ("timestamp", "sessionToken")   # a replay may carry a new response time and a refreshed token


def _key(flow: Flow) -> dict[str, str]:
    return {"X-Idempotency-Key": flow.fresh_uuid()}


def carries(first: Any, again: Any) -> bool:
    """``again`` carries every value of ``first``: members of objects by name (extra members are
    fine), arrays of the same length whose items each carry one of the other's, numbers by value."""
    if isinstance(first, dict):
        return isinstance(again, dict) and all(name in again and carries(value, again[name])
                                               for name, value in first.items())
    if isinstance(first, list):
        return isinstance(again, list) and len(first) == len(again) and all(
            any(carries(item, other) for other in again) for item in first)
    if isinstance(first, bool) or isinstance(again, bool):
        return first is again
    return first == again


def replayed(first: Exchange, again: Exchange) -> bool:
    """``again`` is ``first``'s answer: the same status and JSON that carries the first (an answer
    rebuilt from storage may add members or order the bets otherwise; the response timestamp and a
    refreshed sessionToken may differ)."""
    return same_answer(first, again, VARYING, compare=carries)


def same_answers(one: Exchange, two: Exchange) -> bool:
    """Either answer is the other's replay (which of concurrent duplicates came first is unknown)."""
    return replayed(one, two) or replayed(two, one)


def _placed_or_failing_slip(flow: Flow, player: dict, kind: str) -> dict:
    stakes = stakes_within(flow, player, flow.draw(st.integers(1, 3), f"{kind}: bets in the slip"))
    if kind == "FAILURE":  # a stake over the player's limit: INVALID_STAKE
        stakes[0] = major(limits(player)[1] + flow.draw(st.integers(1, 1000), "cents over max"))
    return slip(flow, player, stakes)


def _twice(flow: Flow, player: dict, kind: str) -> tuple[Exchange, dict, Exchange]:
    """The first call of a slip of ``kind``, the snapshot after it, and the repeat (same key, same body)."""
    body = _placed_or_failing_slip(flow, player, kind)
    headers = _key(flow)
    first = flow.send(body, player=player, headers=headers)
    after_first = flow.snapshot(player)
    return first, after_first, flow.send(body, player=player, headers=headers)


@flow_check
def bp_idempotent(rule: Any, flow: Flow) -> None:
    """BP-IDEMPOTENT: passes if the same X-Idempotency-Key and body sent twice leave the snapshot after
    the repeat equal to the one after the first call (bets, balance, ledger), for a slip that is
    PLACED and one that FAILS alike (every example tries both), whatever the repeat is answered (the
    first answer, a 409: BP-IDEMPOTENT-REPLAY's question); fails if the repeat stored or debited
    anything; does not apply: always applies (needs provider states and snapshots)."""
    player = bp_player(flow, balance="10000.00")

    def case(kind: str) -> None:
        first, after_first, repeat = _twice(flow, player, kind)
        assert_unchanged(rule, after_first, flow.snapshot(player),
                         f"a {kind} slip was repeated with the same key (first: {shown(first, 80)}; "
                         f"repeat: {shown(repeat, 80)})", UNCHANGED)

    each_case(rule, ("PLACED", "FAILURE"), case, flow=flow)


@flow_check
def bp_idempotent_replay(rule: Any, flow: Flow) -> None:
    """BP-IDEMPOTENT-REPLAY: passes if the same X-Idempotency-Key and body sent twice get the same
    status and a JSON body that carries the first (parsed; extra members and another order of the
    bets are fine, the response timestamp and a refreshed sessionToken may differ), for a slip that
    is PLACED and one that FAILS alike (every example tries both); fails otherwise (e.g. a 409 or
    another body for the repeat), listing both; does not apply: always applies (needs provider
    states and snapshots)."""
    player = bp_player(flow, balance="10000.00")

    def case(kind: str) -> None:
        first, _, repeat = _twice(flow, player, kind)
        if not replayed(first, repeat):
            raise RuleFailure(rule, f"the repeat of a {kind} slip did not get the first response",
                              received=shown(repeat), documented=f"{REPLAY}; first: {shown(first)}")

    each_case(rule, ("PLACED", "FAILURE"), case, flow=flow)


@flow_check
def bp_idempotent_conflict(rule: Any, flow: Flow) -> None:
    """BP-IDEMPOTENT-CONFLICT: passes if a key reused with a different body stores nothing for it
    (the snapshot is as it was after the first call) and is answered, one way through the run
    (convention bet-placement.key-reuse), with 422, 409 or a 400 FAILURE, or with the first answer
    again; fails otherwise (the second body placed, or any other answer); does not apply: always
    applies (needs provider states and snapshots)."""
    player = bp_player(flow, balance="10000.00")
    body = slip(flow, player, stakes_within(flow, player, flow.draw(st.integers(1, 3), "bets in the slip")))
    other = slip(flow, player, stakes_within(flow, player, flow.draw(st.integers(1, 3), "bets in the other slip")))
    headers = _key(flow)
    first = flow.send(body, player=player, headers=headers)
    after_first = flow.snapshot(player)
    second = flow.send(other, player=player, headers=headers)
    options = ["replay"] if replayed(first, second) else []
    refusal = {422: "reject-422", 409: "reject-409"}.get(second.status)
    if refusal is None and second.status == 400 and error_code(second) is not None:
        refusal = "reject-400"
    if refusal is not None:
        options.append(refusal)
    if not options:
        raise RuleFailure(rule, "a key reused with another body was neither refused (422, 409, a 400 FAILURE) "
                          "nor answered with the first answer", received=shown(second))
    flow.conventions.observe(rule, "bet-placement.key-reuse", options, f"HTTP {second.status}")
    assert_unchanged(rule, after_first, flow.snapshot(player), "a key was reused with another body")


@flow_check
def bp_idempotent_race(rule: Any, flow: Flow) -> None:
    """BP-IDEMPOTENT-RACE: passes if 2..8 concurrent duplicates (same key and body) place the slip
    exactly once (each bet stored once, the balance moved at most once) and every answer is either the
    same response (status and JSON, one carrying the other) or 409; fails otherwise; does not apply:
    always applies (needs provider states and snapshots)."""
    player = bp_player(flow, balance="10000.00")
    n = flow.draw(st.integers(2, 8), "concurrent duplicates")
    stakes = stakes_within(flow, player, flow.draw(st.integers(1, 3), "bets in the slip"))
    body = slip(flow, player, stakes)
    headers = _key(flow)
    before = flow.snapshot(player)
    answers = flow.send_concurrently([{"body": body, "player": player, "headers": headers}] * n)
    replies = [a for a in answers if a.status != 409]
    if any(not same_answers(replies[0], other) for other in replies[1:]):
        raise RuleFailure(rule, f"{n} concurrent duplicates got different answers (other than 409)",
                          received=sorted(shown(a) for a in answers if a.status != 409))
    after = flow.snapshot(player)
    stored = [uuid_key(b.get("betId")) for b in after.get("bets") or [] if isinstance(b, dict)]
    counts = {bet["betId"]: stored.count(uuid_key(bet["betId"])) for bet in body["bets"]}
    placed = any(is_placed(a) for a in answers)
    expected = 1 if placed else 0
    if any(count != expected for count in counts.values()):
        raise RuleFailure(rule, f"{n} concurrent duplicates of a slip {'placed' if placed else 'not placed'} "
                          "stored its bets another number of times", received=counts,
                          documented=f"each bet stored {expected} time(s)")
    debit = balance_of(rule, before) - balance_of(rule, after)
    if debit not in ((0, sum(stakes, Decimal(0))) if placed else (0,)):   # a debit is BP-DEBIT's question
        raise RuleFailure(rule, f"{n} concurrent duplicates debited {debit}", received=str(debit),
                          documented=f"one debit of the slip's stakes {sum(stakes, Decimal(0))}")
    if not placed:
        raise RuleFailure(rule, f"none of {n} concurrent duplicates of a valid slip was placed",
                          received=sorted({shown(a) for a in answers}))
