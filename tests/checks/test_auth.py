from orderproof.checks.auth import bp_auth, bp_session, bp_session_expired, jt_auth, jt_operator_header, sr_auth

from .conftest import assert_flow_fails, bet_placement, run_flow, ticket_engine

BP = "bet-placement"


def test_bp_auth_passes_and_fails_when_the_key_is_not_checked():
    run_flow(bp_auth, BP, bet_placement())
    failure = assert_flow_fails("BP-AUTH", bp_auth, BP, bet_placement("ignore-key"))
    assert "2 situations failed" in failure.message and "AUTHENTICATION_FAILED" in failure.message
    assert "***" in failure.message                  # the slip's sessionToken is masked in the evidence


def test_bp_session_and_expired_session_pass_and_fail_when_sessions_are_ignored():
    run_flow(bp_session, BP, bet_placement())
    run_flow(bp_session_expired, BP, bet_placement())
    assert_flow_fails("BP-SESSION", bp_session, BP, bet_placement("ignore-session"))
    assert "another player's" in assert_flow_fails("BP-SESSION", bp_session, BP,
                                                   bet_placement("any-user-session")).message
    assert "expired" in assert_flow_fails("BP-SESSION-EXPIRED", bp_session_expired, BP,
                                          bet_placement("ignore-session")).message


def test_ticket_auth_passes_and_fails_when_the_signature_is_ignored():
    run_flow(jt_auth, "jackpot-ticket", ticket_engine())
    run_flow(sr_auth, "superbet-reserve", ticket_engine())
    assert "403" in assert_flow_fails("JT-AUTH", jt_auth, "jackpot-ticket", ticket_engine("ignore-signature")).message
    assert_flow_fails("SR-AUTH", sr_auth, "superbet-reserve", ticket_engine("ignore-signature"))


def test_ticket_auth_takes_any_403_body_and_fails_another_status():
    correct = ticket_engine()

    def bare(status, payload):
        def respond(flow, request):
            answer = correct(flow, request)
            return (status, payload) if answer[0] == 403 else answer
        return respond

    run_flow(jt_auth, "jackpot-ticket", bare(403, ""), max_examples=5)
    run_flow(sr_auth, "superbet-reserve", bare(403, {"detail": "Forbidden"}), max_examples=5)
    assert "did not get 403" in assert_flow_fails("JT-AUTH", jt_auth, "jackpot-ticket",
                                                  bare(401, {"detail": "unauthorized"})).message


def test_operator_header_passes_and_fails_when_the_header_is_not_compared():
    run_flow(jt_operator_header, "jackpot-ticket", ticket_engine())
    failure = assert_flow_fails("JT-OPERATOR-HEADER", jt_operator_header, "jackpot-ticket",
                                ticket_engine("ignore-operator-header"))
    assert "did not get 400" in failure.message and "115" in str(failure.documented)
