"""The bet-placement idempotency checks (orderproof.apis.bet_placement.idempotency) against a small
model of the target, correct or with one named bug."""

import pytest

from orderproof.apis.bet_placement.idempotency import (
    bp_idempotent,
    bp_idempotent_conflict,
    bp_idempotent_race,
)
from orderproof.checks.base import RuleFailure
from orderproof.checks.conventions import ConventionBook
from tests.apis.fakes import assert_flow_fails, bet_placement, run_flow


def test_bp_idempotent_passes_on_a_replaying_target():
    run_flow("BP-IDEMPOTENT", bp_idempotent, bet_placement())


def test_bp_idempotent_fails_when_the_key_is_ignored():
    failure = assert_flow_fails("BP-IDEMPOTENT", bp_idempotent, bet_placement("no-idempotency"))
    assert "first response" in failure.message or "changed" in failure.message


def test_bp_idempotent_fails_when_a_failure_is_not_replayed_byte_for_byte():
    correct = bet_placement()

    def rewords_failures(flow, request):
        status, payload = correct(flow, request)
        if status != 200:
            payload = dict(payload, errorMessage=f"attempt {len(flow.sent)}")
        return status, payload

    failure = assert_flow_fails("BP-IDEMPOTENT", bp_idempotent, rewords_failures)
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
