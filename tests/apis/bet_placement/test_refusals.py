"""The bet-placement refusal checks (orderproof.apis.bet_placement.refusals): each scenario against a
small model of the target, correct or with one named bug: nothing stored, the documented error."""

from decimal import Decimal

import pytest

from orderproof.apis.bet_placement.refusals import (
    bp_atomic,
    bp_auth,
    bp_funds,
    bp_missing,
    bp_session,
    bp_session_expired,
    bp_stake_limits,
    bp_user,
)
from tests.apis.fakes import (
    assert_flow_fails,
    bet_placement,
    run_flow,
)

# --- BP-ATOMIC / BP-FUNDS / BP-STAKE-LIMITS / BP-MISSING / BP-USER: a refused slip stores nothing ----------


def test_bp_atomic_passes_on_an_all_or_nothing_target():
    run_flow("BP-ATOMIC", bp_atomic, bet_placement())


def test_bp_atomic_fails_when_part_of_a_rejected_slip_is_stored():
    failure = assert_flow_fails("BP-ATOMIC", bp_atomic, bet_placement("partial"))
    assert "bets" in failure.message and "store none of the bets" in str(failure.documented)


def test_bp_atomic_fails_when_the_bad_slip_is_accepted():
    def accepts(flow, request):
        return 200, {"status": "PLACED"}

    assert "not rejected" in assert_flow_fails("BP-ATOMIC", bp_atomic, accepts).message


def test_bp_funds_passes_on_a_correct_target():
    run_flow("BP-FUNDS", bp_funds, bet_placement(), max_examples=40)


def test_bp_funds_fails_without_a_funds_check():
    assert_flow_fails("BP-FUNDS", bp_funds, bet_placement("no-funds-check"))


def test_bp_funds_fails_when_a_concurrent_slip_overdraws():
    correct = bet_placement()

    def lets_the_second_through(flow, request):
        status, payload = correct(flow, request)
        if payload.get("errorCode") == "INSUFFICIENT_FUNDS" and request.headers:
            flow.state["balance"] = str(Decimal(flow.state["balance"]) - sum(b["stake"] for b in request.body["bets"]))
            return 200, {"status": "PLACED"}
        return status, payload

    failure = assert_flow_fails("BP-FUNDS", bp_funds, lets_the_second_through)
    assert "two slips" in failure.message


def test_bp_stake_limits_passes_on_a_correct_target():
    run_flow("BP-STAKE-LIMITS", bp_stake_limits, bet_placement())


def test_bp_stake_limits_fails_when_the_reason_is_the_stake_not_the_limit():
    failure = assert_flow_fails("BP-STAKE-LIMITS", bp_stake_limits, bet_placement("wrong-limit"))
    assert "maxStake" in failure.message


def test_bp_stake_limits_fails_when_a_stake_at_the_limit_is_named():
    """max_stake is the largest stake allowed: a bet staking exactly that breaches nothing."""
    failure = assert_flow_fails("BP-STAKE-LIMITS", bp_stake_limits, bet_placement("max-exclusive"))
    assert "a bet within the limits" in failure.message


def test_bp_stake_limits_takes_a_reason_without_the_optional_limits():
    correct = bet_placement()

    def empty_reasons(flow, request):
        status, payload = correct(flow, request)
        if payload.get("errorCode") == "INVALID_STAKE":
            payload = dict(payload, failedBets=[dict(f, reason={"maxStake": None}) for f in payload["failedBets"]])
        return status, payload

    run_flow("BP-STAKE-LIMITS", bp_stake_limits, empty_reasons)


def test_bp_stake_limits_takes_every_bet_of_the_refused_slip_listed_the_others_with_no_limit():
    """In an all-or-nothing slip every bet failed: a service may list them all, naming the limit of the
    offenders only, both limits in force for the others, or a limit of its own an other does breach
    (a maximum liability's maxStake below its stake); a bet within the limits listed as breaching one
    it does not breach still fails."""
    correct = bet_placement()

    def lists_them_all(reason_of):
        def respond(flow, request):
            status, payload = correct(flow, request)
            if payload.get("errorCode") == "INVALID_STAKE":
                named = {f["betId"] for f in payload["failedBets"]}
                others = [{"betId": bet["betId"], "reason": reason_of(bet)} for bet in request.body["bets"]
                          if bet["betId"] not in named]
                payload = dict(payload, failedBets=payload["failedBets"] + others)
            return status, payload
        return respond

    run_flow("BP-STAKE-LIMITS", bp_stake_limits, lists_them_all(lambda bet: {}))
    run_flow("BP-STAKE-LIMITS", bp_stake_limits, lists_them_all(lambda bet: {"minStake": "0.10", "maxStake": "500.00"}))
    run_flow("BP-STAKE-LIMITS", bp_stake_limits, lists_them_all(lambda bet: {"maxStake": float(bet["stake"]) - 0.01}))
    for claim in (lambda bet: {"maxStake": "500.00"}, lambda bet: {"maxStake": float(bet["stake"])}):
        failure = assert_flow_fails("BP-STAKE-LIMITS", bp_stake_limits, lists_them_all(claim))
        assert "a bet within the limits" in failure.message


def test_bp_missing_takes_invalid_bet_details_for_a_slip_without_bets():
    correct = bet_placement()

    seen = []

    def no_bets_no_details(flow, request):
        if isinstance(request.body, dict) and "bets" not in request.body:
            seen.append(request.body)
            return 400, {"status": "FAILURE", "errorCode": "INVALID_BET_DETAILS"}
        return correct(flow, request)

    run_flow("BP-MISSING", bp_missing, no_bets_no_details, max_examples=100)
    assert seen                                    # the case was drawn, and passed


@pytest.mark.parametrize("where, field, other, status, code", [
    ("bet", "stake", "decimalPrice", 400, "INVALID_STAKE"),          # a Go float64, a Java double: 0, under the minimum
    ("body", "timestamp", "requestId", 503, "REQUEST_TIMED_OUT"),    # a Java long: 0, a request of 1970, timed out
])
def test_bp_missing_takes_the_answer_to_a_field_read_as_zero(where, field, other, status, code):
    """A service reading a missing stake or timestamp as 0 answers what 0 gets; another field so
    answered still fails."""
    correct = bet_placement()
    seen = []

    def zero(missing):
        def respond(flow, request):
            body = request.body if isinstance(request.body, dict) else {}
            holders = [bet for bet in body.get("bets") or [] if isinstance(bet, dict)] if where == "bet" else [body]
            if any(missing not in holder for holder in holders):
                seen.append(missing)
                return status, {"status": "FAILURE", "errorCode": code, "failedBets": []}
            return correct(flow, request)
        return respond

    run_flow("BP-MISSING", bp_missing, zero(field), max_examples=150)
    assert field in seen                           # the case was drawn, and passed
    failure = assert_flow_fails("BP-MISSING", bp_missing, zero(other), max_examples=150)
    assert code in str(failure.received)


def test_bp_session_takes_invalid_user_for_another_players_live_token():
    """A service looking the session up by its token finds another user: 400 INVALID_USER (the userId
    does not match the session) passes; for a token nobody has it still fails, as a 403 does for either."""
    correct = bet_placement()

    def invalid_user(for_unknown_too, status=400, code="INVALID_USER"):
        def respond(flow, request):
            answer = correct(flow, request)
            if answer[1].get("errorCode") == "INVALID_SESSION":
                token = request.body.get("sessionToken")
                known = any(token == player["sessionToken"] for player in flow.players)
                if known or for_unknown_too:
                    return status, {"status": "FAILURE", "errorCode": code}
            return answer
        return respond

    run_flow("BP-SESSION", bp_session, invalid_user(False))
    assert "INVALID_USER" in str(assert_flow_fails("BP-SESSION", bp_session, invalid_user(True)).received)
    assert "403" in str(assert_flow_fails("BP-SESSION", bp_session, invalid_user(False, 403)).received)


def test_bp_stake_limits_fails_when_failed_bets_are_missing_or_incomplete():
    correct = bet_placement()

    def names_only_the_first(flow, request):
        status, payload = correct(flow, request)
        if payload.get("errorCode") == "INVALID_STAKE":
            payload = dict(payload, failedBets=payload["failedBets"][:1] if len(payload["failedBets"]) > 1 else [])
        return status, payload

    assert "failedBets" in assert_flow_fails("BP-STAKE-LIMITS", bp_stake_limits, names_only_the_first).message


def test_bp_missing_passes_on_a_correct_target():
    run_flow("BP-MISSING", bp_missing, bet_placement(), max_examples=40)


def test_bp_missing_fails_on_a_framework_422():
    failure = assert_flow_fails("BP-MISSING", bp_missing, bet_placement("framework-422"))
    assert "MISSING_PARAMETER" in failure.message and "HTTP 422" in str(failure.received)


def test_bp_missing_takes_the_session_lookup_failing_first_for_user_id_and_session_token():
    correct = bet_placement()

    def session_first(flow, request):
        body = request.body
        if isinstance(body, dict) and ("userId" not in body or "sessionToken" not in body):
            return 401, {"status": "FAILURE", "errorCode": "INVALID_SESSION"}
        return correct(flow, request)

    run_flow("BP-MISSING", bp_missing, session_first, max_examples=40)


def test_bp_user_passes_on_a_correct_target():
    run_flow("BP-USER", bp_user, bet_placement())


def test_bp_user_fails_when_a_blocked_player_may_bet():
    correct = bet_placement()

    def ignores_blocks(flow, request):
        flow.players[-1]["blocked"] = False
        return correct(flow, request)

    assert "blocked" in assert_flow_fails("BP-USER", bp_user, ignores_blocks).message


# --- BP-AUTH / BP-SESSION / BP-SESSION-EXPIRED (flows) -----------------------------------------------------


def test_bp_auth_passes_and_fails_when_the_key_is_not_checked():
    run_flow("BP-AUTH", bp_auth, bet_placement())
    failure = assert_flow_fails("BP-AUTH", bp_auth, bet_placement("ignore-key"))
    assert "2 situations failed" in failure.message and "AUTHENTICATION_FAILED" in failure.message
    assert "***" in failure.message                  # the slip's sessionToken is masked in the evidence


def test_bp_session_and_expired_session_pass_and_fail_when_sessions_are_ignored():
    run_flow("BP-SESSION", bp_session, bet_placement())
    run_flow("BP-SESSION-EXPIRED", bp_session_expired, bet_placement())
    assert_flow_fails("BP-SESSION", bp_session, bet_placement("ignore-session"))
    assert "another player's" in assert_flow_fails("BP-SESSION", bp_session,
                                                   bet_placement("any-user-session")).message
    assert "expired" in assert_flow_fails("BP-SESSION-EXPIRED", bp_session_expired,
                                          bet_placement("ignore-session")).message


def test_bp_session_expired_tries_a_session_just_expired_and_one_long_expired():
    failure = assert_flow_fails("BP-SESSION-EXPIRED", bp_session_expired, bet_placement("session-grace"))
    assert "a session that expired a second ago" in failure.message        # a grace period shows on the fresh one
    assert "ten minutes" not in failure.message
