import pytest

from orderproof.checks.base import NOT_APPLICABLE
from orderproof.checks.errors import (
    SR_CODES,
    bp_error_shape,
    jt_errors,
    so_envelope,
    sr_errors,
    ticket_error_shape,
    to_envelope,
    to_failure_code,
)

from .conftest import assert_fails, assert_flow_fails, exchange, run_flow, ticket_engine

# the ticket engine's error shapes


@pytest.mark.parametrize("status, body", [
    (400, {"code": 103, "message": "Event with `1` identifier is not found"}),
    (403, {"code": 403, "message": "Forbidden"}),
    (422, {"detail": [{"loc": ["body", "price"], "msg": "field required", "type": "missing"}]}),
])
def test_ticket_error_shape_passes(status, body):
    assert ticket_error_shape("SR-ERRORS", exchange("superbet-reserve", status, body), SR_CODES) is None


@pytest.mark.parametrize("status, body", [
    (400, {"code": 117, "message": "Ticket odds changed"}),      # not a superbet code
    (400, {"code": "103", "message": "x"}),
    (400, {"error": "bad"}),
    (403, "Forbidden"),
    (422, {"detail": "invalid"}),
    (422, {"detail": []}),
])
def test_ticket_error_shape_fails(status, body):
    assert_fails("SR-ERRORS", lambda ex: ticket_error_shape("SR-ERRORS", ex, SR_CODES),
                 exchange("superbet-reserve", status, body))


def test_ticket_error_shape_does_not_apply_to_other_statuses():
    assert ticket_error_shape("SR-ERRORS", exchange("superbet-reserve", 200, {}), SR_CODES) is NOT_APPLICABLE


def test_ticket_errors_flows_pass_on_a_correct_engine():
    run_flow(sr_errors, "superbet-reserve", ticket_engine(), max_examples=40)
    run_flow(jt_errors, "jackpot-ticket", ticket_engine(), max_examples=40)


def test_ticket_errors_flows_fail_on_wrong_codes_and_on_stored_tickets():
    assert "expected 400 with code" in assert_flow_fails("SR-ERRORS", sr_errors, "superbet-reserve",
                                                         ticket_engine("wrong-code")).message
    assert "tickets changed" in assert_flow_fails("JT-ERRORS", jt_errors, "jackpot-ticket",
                                                  ticket_engine("stores-rejected")).message


def test_ticket_errors_flow_fails_on_an_unshaped_error():
    def plain_text(flow, request):
        return 400, "Bad Request"

    assert "{code: int, message: str}" in assert_flow_fails("SR-ERRORS", sr_errors, "superbet-reserve",
                                                            plain_text).message


# SO-ENVELOPE

SO_OK = {"code": 200, "msg": "success", "data": {"userId": "u1", "orderTime": 1, "ticketId": 1, "amount": 100,
                                                 "balance": 900}}


def so(status, body, method="POST"):
    return exchange("sportsbook-order", status, body, method=method)


def test_so_envelope_passes_on_success_and_rejection():
    assert so_envelope(so(200, SO_OK)) is None
    assert so_envelope(so(400, {"code": 402, "msg": "insufficient balance", "data": None})) is None
    assert so_envelope(so(400, {"code": 400, "msg": "bad"})) is None


@pytest.mark.parametrize("status, body", [
    (200, {"code": 200, "msg": "ok", "data": SO_OK["data"]}),
    (200, {"code": 200, "msg": "success", "data": None}),
    (200, {"code": 200, "msg": "success", "data": {"userId": "u1"}}),
    (400, {"code": 200, "msg": "success", "data": SO_OK["data"]}),
    (400, {"detail": "validation"}),
    (500, "Internal Server Error"),
    (200, {"code": "200", "msg": "success", "data": SO_OK["data"]}),
    (200, {"code": 0, "msg": "success", "data": SO_OK["data"]}),
])
def test_so_envelope_fails(status, body):
    assert_fails("SO-ENVELOPE", so_envelope, so(status, body))


def test_so_envelope_does_not_apply_to_other_methods():
    assert so_envelope(so(405, {"detail": "Method Not Allowed"}, method="GET")) is NOT_APPLICABLE


# TO-ENVELOPE / TO-FAILURE-CODE

TO_OK = {"data": {"docno": "D1", "orderno": "O1"}, "code": 100, "message": "success"}


def to(status, body):
    return exchange("travel-order", status, body)


def test_to_envelope():
    assert to_envelope(to(200, TO_OK)) is None
    assert to_envelope(to(400, {"data": None, "code": 101, "message": "invalid"})) is None
    assert_fails("TO-ENVELOPE", to_envelope, to(200, {"data": {"docno": "D1"}, "code": 100, "message": "success"}))
    assert_fails("TO-ENVELOPE", to_envelope, to(400, {"code": 101, "message": "no data key"}))
    assert_fails("TO-ENVELOPE", to_envelope, to(400, {"Message": "The request is invalid."}))
    assert "code 0" in assert_fails("TO-ENVELOPE", to_envelope, to(200, TO_OK | {"code": 0})).message


def test_to_failure_code():
    assert to_failure_code(to(200, TO_OK)) is None
    assert to_failure_code(to(400, {"data": None, "code": 101, "message": "x"})) is None
    assert "HTTP 400 says code 100" in assert_fails("TO-FAILURE-CODE", to_failure_code,
                                                    to(400, {"data": None, "code": 100, "message": "x"})).message
    assert_fails("TO-FAILURE-CODE", to_failure_code, to(200, {"data": None, "code": 100, "message": "success"}))
    assert to_failure_code(to(400, "not json")) is NOT_APPLICABLE


# BP-ERROR-SHAPE


def bp(status, body):
    return exchange("bet-placement", status, body)


@pytest.mark.parametrize("status, body", [
    (400, {"status": "FAILURE", "errorCode": "INSUFFICIENT_FUNDS"}),
    (401, {"status": "FAILURE", "errorCode": "INVALID_SESSION", "errorMessage": "expired"}),
    (403, {"status": "FAILURE", "errorCode": "AUTHENTICATION_FAILED"}),
    (400, {"status": "FAILURE", "errorCode": "INVALID_STAKE",
           "failedBets": [{"betId": "b1", "reason": {"maxStake": 500}}]}),
    (422, {"status": "FAILURE", "errorCode": "INVALID_BET_DETAILS"}),
    (409, {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION"}),
])
def test_bp_error_shape_passes(status, body):
    assert bp_error_shape(bp(status, body)) is None


@pytest.mark.parametrize("status, body", [
    (400, {"status": "FAILURE", "errorCode": "INVALID_SESSION"}),        # the table says 401
    (403, {"status": "FAILURE", "errorCode": "INVALID_USER"}),
    (400, {"status": "FAILURE", "errorCode": "NOT_IN_TABLE"}),
    (400, {"status": "FAILURE", "errorCode": "INVALID_STAKE"}),          # no failedBets
    (422, {"detail": [{"loc": ["body"], "msg": "field required"}]}),     # a framework 422
    (200, {"status": "FAILURE", "errorCode": "INVALID_USER"}),
    (400, {"status": "FAILURE", "errorCode": "INVALID_USER", "errorMessage": 5}),
])
def test_bp_error_shape_fails(status, body):
    assert_fails("BP-ERROR-SHAPE", bp_error_shape, bp(status, body))


def test_bp_error_shape_does_not_apply_to_placed_slips():
    assert bp_error_shape(bp(200, {"status": "PLACED"})) is NOT_APPLICABLE


def test_sr_errors_fails_when_a_started_event_is_answered_as_not_found():
    correct = ticket_engine()

    def started_as_103(flow, request):
        status, payload = correct(flow, request)
        return (status, dict(payload, code=103)) if payload.get("code") == 107 else (status, payload)

    failure = assert_flow_fails("SR-ERRORS", sr_errors, "superbet-reserve", started_as_103)
    assert "event started: expected 400 with code 107" in failure.message
    assert "already started" in failure.documented


def test_jt_errors_holds_an_unknown_betcard_to_400_and_a_documented_code():
    correct = ticket_engine()

    def betcard_code(code):
        def respond(flow, request):
            status, payload = correct(flow, request)
            return (status, dict(payload, code=code)) if payload.get("code") == 118 else (status, payload)
        return respond

    run_flow(jt_errors, "jackpot-ticket", betcard_code(117), max_examples=5)
    assert "undocumented" in assert_flow_fails("JT-ERRORS", jt_errors, "jackpot-ticket", betcard_code(999)).message
