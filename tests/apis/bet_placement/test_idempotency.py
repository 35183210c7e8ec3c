"""The bet-placement idempotency checks (orderproof.apis.bet_placement.idempotency) against a small
model of the target, correct or with one named bug."""

import pytest

from orderproof.apis.bet_placement.idempotency import (
    bp_idempotent,
    bp_idempotent_conflict,
    bp_idempotent_race,
    bp_idempotent_replay,
)
from orderproof.checks.base import RuleFailure
from orderproof.checks.conventions import ConventionBook
from tests.apis.fakes import assert_flow_fails, bet_placement, run_flow


def test_bp_idempotent_passes_on_a_replaying_target():
    run_flow("BP-IDEMPOTENT", bp_idempotent, bet_placement())
    run_flow("BP-IDEMPOTENT-REPLAY", bp_idempotent_replay, bet_placement())


def test_bp_idempotent_fails_when_the_key_is_ignored():
    failure = assert_flow_fails("BP-IDEMPOTENT", bp_idempotent, bet_placement("no-idempotency"))
    assert "changed" in failure.message or "repeated" in failure.message


def answers_repeats(answer):
    """A correct target whose repeats of a key (same body) get ``answer(first status, first body)``."""
    correct = bet_placement()
    firsts = {}

    def target(flow, request):
        key = request.headers.get("X-Idempotency-Key")
        status, payload = correct(flow, request)
        if key in firsts:
            return answer(*firsts[key])
        firsts[key] = (status, payload)
        return status, payload

    return target


def test_a_repeat_answered_409_or_otherwise_changes_nothing_and_only_the_replay_rule_asks_for_the_first_answer():
    duplicate_409 = answers_repeats(lambda status, body: (409, {"status": "FAILURE", "errorCode": "DUPLICATE"}))
    run_flow("BP-IDEMPOTENT", bp_idempotent, duplicate_409)
    failure = assert_flow_fails("BP-IDEMPOTENT-REPLAY", bp_idempotent_replay, duplicate_409)
    assert "first response" in failure.message


def test_bp_idempotent_replay_takes_an_answer_rebuilt_with_more_members_and_the_bets_reordered():
    def rebuilt(status, body):
        if body.get("status") != "PLACED":
            return status, body
        bets = [dict(bet, potentialPayout=bet["stake"] * bet["decimalPrice"]) for bet in reversed(body["bets"])]
        return status, dict(body, bets=bets, replayed=True)

    run_flow("BP-IDEMPOTENT-REPLAY", bp_idempotent_replay, answers_repeats(rebuilt))


def test_bp_idempotent_replay_fails_when_a_failure_is_not_replayed():
    correct = bet_placement()

    def rewords_failures(flow, request):
        status, payload = correct(flow, request)
        if status != 200:
            payload = dict(payload, errorMessage=f"attempt {len(flow.sent)}")
        return status, payload

    run_flow("BP-IDEMPOTENT", bp_idempotent, rewords_failures)
    failure = assert_flow_fails("BP-IDEMPOTENT-REPLAY", bp_idempotent_replay, rewords_failures)
    assert "FAILURE slip" in failure.message


def test_bp_idempotent_conflict_takes_a_refusal_or_the_replay_one_way_through_the_run():
    run_flow("BP-IDEMPOTENT-CONFLICT", bp_idempotent_conflict, bet_placement())
    run_flow("BP-IDEMPOTENT-CONFLICT", bp_idempotent_conflict, bet_placement("conflict-replays"))
    pinned = ConventionBook(pinned={"bet-placement.key-reuse": "reject-422"})
    with pytest.raises(RuleFailure, match="pins reject-422"):
        run_flow("BP-IDEMPOTENT-CONFLICT", bp_idempotent_conflict, bet_placement("conflict-replays"), book=pinned)


def test_bp_idempotent_conflict_fails_when_the_second_body_is_placed():
    assert_flow_fails("BP-IDEMPOTENT-CONFLICT", bp_idempotent_conflict, bet_placement("no-idempotency"))


def test_bp_idempotent_race_passes_with_replays_and_409s():
    correct = bet_placement()

    def answers_409_to_every_other(flow, request):
        if len(flow.sent) % 2:
            return 409, {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION", "errorMessage": "in flight"}
        return correct(flow, request)

    run_flow("BP-IDEMPOTENT-RACE", bp_idempotent_race, correct)
    run_flow("BP-IDEMPOTENT-RACE", bp_idempotent_race, answers_409_to_every_other)


def test_bp_idempotent_race_fails_when_duplicates_place_twice():
    failure = assert_flow_fails("BP-IDEMPOTENT-RACE", bp_idempotent_race, bet_placement("no-idempotency"))
    assert "concurrent duplicates" in failure.message


def test_bp_idempotent_race_fails_when_nothing_is_placed():
    def always_409(flow, request):
        return 409, {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION"}

    assert "none of" in assert_flow_fails("BP-IDEMPOTENT-RACE", bp_idempotent_race, always_409).message
