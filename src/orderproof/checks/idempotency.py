"""Idempotency checks: a repeat gets the first answer and changes nothing; a reused key with another
body is refused; concurrent duplicates place once."""

from __future__ import annotations

import uuid
from decimal import Decimal

from hypothesis import strategies as st

from .atomicity import (
    BP,
    assert_unchanged,
    body_of,
    bp_player,
    error_code,
    is_placed,
    limits,
    order_amount,
    slip,
    stakes_within,
)
from .base import Exchange, Flow, RuleFailure, each_case, flow_check, shown
from .outcomes import outcome
from .money import balance_of, major

REPLAY_QUOTE = ("every repeat with the same X-Idempotency-Key gets exactly the response of the first call "
                "and changes nothing again, whether the first answer was PLACED or a FAILURE")


def _key() -> dict[str, str]:
    return {"X-Idempotency-Key": str(uuid.uuid4())}


VARYING = ("timestamp", "sessionToken")   # a replay may carry a new response time and a refreshed token


def same_answer(first: Exchange, again: Exchange) -> bool:
    """``again`` is ``first``'s answer: the same status and the same JSON (compared parsed, so
    formatting does not matter; the response timestamp and a refreshed sessionToken may differ)."""
    if first.status != again.status:
        return False
    one, two = body_of(first), body_of(again)
    if one is None or two is None:
        return first.response_text == again.response_text
    if isinstance(one, dict) and isinstance(two, dict):
        one = {k: v for k, v in one.items() if k not in VARYING}
        two = {k: v for k, v in two.items() if k not in VARYING}
    return one == two


def _placed_or_failing_slip(flow: Flow, player: dict, kind: str) -> dict:
    stakes = stakes_within(flow, player, flow.draw(st.integers(1, 3), f"{kind}: bets in the slip"))
    if kind == "FAILURE":  # a stake over the player's limit: INVALID_STAKE
        stakes[0] = major(limits(player)[1] + flow.draw(st.integers(1, 1000), "cents over max"))
    return slip(flow, player, stakes)


@flow_check("bp_idempotent", apis=BP)
def bp_idempotent(flow: Flow) -> None:
    """BP-IDEMPOTENT: passes if the same X-Idempotency-Key and body sent twice get the same status and
    JSON body (parsed; the response timestamp and a refreshed sessionToken may differ) and the snapshot
    after the repeat equals the one after the first call (bets, balance, ledger), for a slip that is
    PLACED and one that FAILS alike (every example tries both); fails otherwise, listing both; does
    not apply: always applies (needs provider states and snapshots)."""
    player = bp_player(flow, balance="10000.00")
    each_case("BP-IDEMPOTENT", ("PLACED", "FAILURE"), lambda kind: _bp_repeat(flow, player, kind))


def _bp_repeat(flow: Flow, player: dict, kind: str) -> None:
    rule = "BP-IDEMPOTENT"
    body = _placed_or_failing_slip(flow, player, kind)
    headers = _key()
    first = flow.send(body, player=player, headers=headers)
    after_first = flow.snapshot(player)
    repeat = flow.send(body, player=player, headers=headers)
    if not same_answer(first, repeat):
        raise RuleFailure(rule, f"the repeat of a {kind} slip did not get the first response",
                          received=shown(repeat), documented=f"{REPLAY_QUOTE}; first: {shown(first)}")
    assert_unchanged(rule, after_first, flow.snapshot(player), f"a {kind} slip was repeated with the same key",
                     REPLAY_QUOTE)


@flow_check("bp_idempotent_conflict", apis=BP)
def bp_idempotent_conflict(flow: Flow) -> None:
    """BP-IDEMPOTENT-CONFLICT: passes if a key reused with a different body stores nothing for it
    (the snapshot is as it was after the first call) and is answered, one way through the run
    (convention bet-placement.key-reuse), with 422, 409 or a 400 FAILURE, or with the first answer
    again; fails otherwise (the second body placed, or any other answer); does not apply: always
    applies (needs provider states and snapshots)."""
    rule = "BP-IDEMPOTENT-CONFLICT"
    documented = "a key reused with a different payload SHOULD get 422"
    player = bp_player(flow, balance="10000.00")
    body = slip(flow, player, stakes_within(flow, player, flow.draw(st.integers(1, 3), "bets in the slip")))
    other = slip(flow, player, stakes_within(flow, player, flow.draw(st.integers(1, 3), "bets in the other slip")))
    headers = _key()
    first = flow.send(body, player=player, headers=headers)
    after_first = flow.snapshot(player)
    second = flow.send(other, player=player, headers=headers)
    options = ["replay"] if same_answer(first, second) else []
    refusal = {422: "reject-422", 409: "reject-409"}.get(second.status)
    if refusal is None and second.status == 400 and error_code(second) is not None:
        refusal = "reject-400"
    if refusal is not None:
        options.append(refusal)
    if not options:
        raise RuleFailure(rule, "a key reused with another body was neither refused (422, 409, a 400 FAILURE) "
                          "nor answered with the first answer", received=shown(second), documented=documented)
    flow.conventions.observe(rule, "bet-placement.key-reuse", options, f"HTTP {second.status}")
    assert_unchanged(rule, after_first, flow.snapshot(player), "a key was reused with another body", documented)


@flow_check("bp_idempotent_race", apis=BP)
def bp_idempotent_race(flow: Flow) -> None:
    """BP-IDEMPOTENT-RACE: passes if 2..8 concurrent duplicates (same key and body) place the slip
    exactly once (each bet stored once, the balance moved at most once) and every answer is either the
    same response (status and JSON) or 409; fails otherwise; does not apply: always applies (needs
    provider states and snapshots)."""
    rule = "BP-IDEMPOTENT-RACE"
    documented = ("a retry while the first request is still in flight SHOULD get 409; a retry after "
                  "completion SHOULD get the result of the completed operation")
    player = bp_player(flow, balance="10000.00")
    n = flow.draw(st.integers(2, 8), "concurrent duplicates")
    stakes = stakes_within(flow, player, flow.draw(st.integers(1, 3), "bets in the slip"))
    body = slip(flow, player, stakes)
    headers = _key()
    before = flow.snapshot(player)
    answers = flow.send_concurrently([{"body": body, "player": player, "headers": headers}] * n)
    replies = [a for a in answers if a.status != 409]
    if any(not same_answer(replies[0], other) for other in replies[1:]):
        raise RuleFailure(rule, f"{n} concurrent duplicates got different answers (other than 409)",
                          received=sorted(shown(a) for a in answers if a.status != 409), documented=documented)
    after = flow.snapshot(player)
    ids = [bet["betId"] for bet in body["bets"]]
    stored = [b.get("betId") for b in after.get("bets") or [] if isinstance(b, dict)]
    counts = {bet_id: stored.count(bet_id) for bet_id in ids}
    placed = any(is_placed(a) for a in answers)
    expected = 1 if placed else 0
    if any(count != expected for count in counts.values()):
        raise RuleFailure(rule, f"{n} concurrent duplicates of a slip {'placed' if placed else 'not placed'} "
                          "stored its bets another number of times", received=counts,
                          documented=f"each bet stored {expected} time(s); {documented}")
    debit = balance_of(rule, before) - balance_of(rule, after)
    if debit not in ((0, sum(stakes, Decimal(0))) if placed else (0,)):   # a debit is BP-DEBIT's question
        raise RuleFailure(rule, f"{n} concurrent duplicates debited {debit}", received=str(debit),
                          documented=f"one debit of the slip's stakes {sum(stakes, Decimal(0))}")
    if not placed:
        raise RuleFailure(rule, f"none of {n} concurrent duplicates of a valid slip was placed",
                          received=sorted({shown(a) for a in answers}), documented=documented)


@flow_check("so_repeat", apis=("sportsbook-order",))
def so_repeat(flow: Flow) -> None:
    """SO-REPEAT: passes if an order sent twice with the same ticketId and body is debited and stored
    once and the repeat gets, one way through the run (convention sportsbook-order.repeat), the first
    answer again or a refusal; fails otherwise; does not apply: always applies (needs provider states
    and snapshots)."""
    rule = "SO-REPEAT"
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
    elif outcome(repeat).refused:
        option = "reject"
    else:
        raise RuleFailure(rule, "the repeated order got neither the first answer nor a refusal",
                          received=shown(repeat), documented=f"{documented}; first: {shown(first)}")
    flow.conventions.observe(rule, "sportsbook-order.repeat", option, shown(repeat, 80))
    assert_unchanged(rule, after_first, flow.snapshot(player), "the order was repeated with the same ticketId",
                     documented, keys=("balance", "orders"))
