from decimal import Decimal

import pytest

from orderproof.checks.base import NotVerified, RuleFailure

from orderproof.checks.atomicity import (
    assert_unchanged,
    bp_atomic,
    bp_funds,
    bp_missing,
    bp_stake_limits,
    bp_user,
    limits,
    so_reject_nothing,
)

from .conftest import assert_flow_fails, bet_placement, run_flow, sportsbook

BP = "bet-placement"


def test_assert_unchanged_compares_balances_as_decimals_and_lists_exactly():
    assert_unchanged("BP-ATOMIC", {"balance": "10.0", "bets": []}, {"balance": "10.00", "bets": []}, "x", "y")
    with pytest.raises(RuleFailure, match=r"\[BP-ATOMIC\] a slip was rejected, yet the player's bets changed"):
        assert_unchanged("BP-ATOMIC", {"balance": "1", "bets": []}, {"balance": "1", "bets": [{"betId": "b"}]},
                         "a slip was rejected", "store none")


def test_bp_atomic_passes_on_an_all_or_nothing_target():
    run_flow(bp_atomic, BP, bet_placement())


def test_bp_atomic_fails_when_part_of_a_rejected_slip_is_stored():
    failure = assert_flow_fails("BP-ATOMIC", bp_atomic, BP, bet_placement("partial"))
    assert "bets" in failure.message and "store none of the bets" in str(failure.documented)


def test_bp_atomic_fails_when_the_bad_slip_is_accepted():
    def accepts(flow, request):
        return 200, {"status": "PLACED"}

    assert "not rejected" in assert_flow_fails("BP-ATOMIC", bp_atomic, BP, accepts).message


def test_bp_funds_passes_on_a_correct_target():
    run_flow(bp_funds, BP, bet_placement(), max_examples=40)


def test_bp_funds_fails_without_a_funds_check():
    assert_flow_fails("BP-FUNDS", bp_funds, BP, bet_placement("no-funds-check"))


def test_bp_funds_fails_when_a_concurrent_slip_overdraws():
    correct = bet_placement()

    def lets_the_second_through(flow, request):
        status, payload = correct(flow, request)
        if payload.get("errorCode") == "INSUFFICIENT_FUNDS" and request.headers:
            flow.state["balance"] = str(Decimal(flow.state["balance"]) - sum(b["stake"] for b in request.body["bets"]))
            return 200, {"status": "PLACED"}
        return status, payload

    failure = assert_flow_fails("BP-FUNDS", bp_funds, BP, lets_the_second_through)
    assert "two slips" in failure.message


def test_bp_stake_limits_passes_on_a_correct_target():
    run_flow(bp_stake_limits, BP, bet_placement())


def test_bp_stake_limits_fails_when_the_reason_is_the_stake_not_the_limit():
    failure = assert_flow_fails("BP-STAKE-LIMITS", bp_stake_limits, BP, bet_placement("wrong-limit"))
    assert "maxStake" in failure.message


def test_bp_stake_limits_fails_when_failed_bets_are_missing_or_incomplete():
    correct = bet_placement()

    def names_only_the_first(flow, request):
        status, payload = correct(flow, request)
        if payload.get("errorCode") == "INVALID_STAKE":
            payload = dict(payload, failedBets=payload["failedBets"][:1] if len(payload["failedBets"]) > 1 else [])
        return status, payload

    assert "failedBets" in assert_flow_fails("BP-STAKE-LIMITS", bp_stake_limits, BP, names_only_the_first).message


def test_bp_missing_passes_on_a_correct_target():
    run_flow(bp_missing, BP, bet_placement(), max_examples=40)


def test_bp_missing_fails_on_a_framework_422():
    failure = assert_flow_fails("BP-MISSING", bp_missing, BP, bet_placement("framework-422"))
    assert "MISSING_PARAMETER" in failure.message and "HTTP 422" in str(failure.received)


def test_bp_user_passes_on_a_correct_target():
    run_flow(bp_user, BP, bet_placement())


def test_bp_user_fails_when_a_blocked_player_may_bet():
    correct = bet_placement()

    def ignores_blocks(flow, request):
        flow.players[-1]["blocked"] = False
        return correct(flow, request)

    assert "blocked" in assert_flow_fails("BP-USER", bp_user, BP, ignores_blocks).message


def test_so_reject_nothing_passes_on_a_correct_target():
    run_flow(so_reject_nothing, "sportsbook-order", sportsbook())


def test_so_reject_nothing_fails_when_a_rejection_debits():
    failure = assert_flow_fails("SO-REJECT-NOTHING", so_reject_nothing, "sportsbook-order", sportsbook("debits-rejected"))
    assert "balance" in failure.message


def test_so_reject_nothing_fails_when_an_order_over_the_balance_is_accepted():
    failure = assert_flow_fails("SO-REJECT-NOTHING", so_reject_nothing, "sportsbook-order",
                                sportsbook("no-balance-check"))
    assert "accepted" in failure.message


def test_a_player_answer_without_limits_is_not_verified_rather_than_a_crash():
    with pytest.raises(NotVerified, match="min_stake"):
        limits({"max_stake": "500.00"})
    assert limits({"min_stake": "0.10", "max_stake": "500"}) == (10, 50_000)
