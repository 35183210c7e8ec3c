from orderproof.checks.auth import bp_auth, bp_session, bp_session_expired, jt_auth, jt_operator_header, sr_auth

from .conftest import assert_flow_fails, bet_placement, run_flow, ticket_engine

BP = "bet-placement"


def test_bp_auth_passes_and_fails_when_the_key_is_not_checked():
    run_flow(bp_auth, BP, bet_placement())
    failure = assert_flow_fails("BP-AUTH", bp_auth, BP, bet_placement("ignore-key"))
    assert "AUTHENTICATION_FAILED" in failure.message and "***" in str(failure.received)


def test_bp_session_and_expired_session_pass_and_fail_when_sessions_are_ignored():
    run_flow(bp_session, BP, bet_placement())
    run_flow(bp_session_expired, BP, bet_placement())
    assert_flow_fails("BP-SESSION", bp_session, BP, bet_placement("ignore-session"))
    assert "expired" in assert_flow_fails("BP-SESSION-EXPIRED", bp_session_expired, BP,
                                          bet_placement("ignore-session")).message


def test_ticket_auth_passes_and_fails_when_the_signature_is_ignored():
    run_flow(jt_auth, "jackpot-ticket", ticket_engine())
    run_flow(sr_auth, "superbet-reserve", ticket_engine())
    assert "403" in assert_flow_fails("JT-AUTH", jt_auth, "jackpot-ticket", ticket_engine("ignore-signature")).message
    assert_flow_fails("SR-AUTH", sr_auth, "superbet-reserve", ticket_engine("ignore-signature"))


def test_ticket_auth_fails_when_a_403_has_no_code_message_body():
    def bare_403(flow, request):
        return 403, {"detail": "Forbidden"}

    assert_flow_fails("JT-AUTH", jt_auth, "jackpot-ticket", bare_403)


def test_operator_header_passes_and_fails_when_the_header_is_not_compared():
    run_flow(jt_operator_header, "jackpot-ticket", ticket_engine())
    failure = assert_flow_fails("JT-OPERATOR-HEADER", jt_operator_header, "jackpot-ticket",
                                ticket_engine("ignore-operator-header"))
    assert "115" in failure.message
