import pytest

from orderproof.checks.base import NOT_APPLICABLE
from orderproof.checks.conventions import ConventionBook
from orderproof.checks.errors import (
    bp_error_shape,
    jt_error_codes,
    jt_errors,
    so_success_msg,
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
    (400, {"code": 999, "message": "a code the pages do not list"}),
    (403, {"code": 403, "message": "Forbidden"}),
    (403, ""),                                                   # the pages give no 403 body
    (422, {"detail": [{"loc": ["body", "price"], "msg": "field required", "type": "missing"}]}),
    (422, {"code": 422, "message": "price: not an integer"}),    # nor a 422 body
])
def test_ticket_error_shape_passes(status, body):
    assert ticket_error_shape("SR-ERRORS", exchange("superbet-reserve", status, body)) in (None, NOT_APPLICABLE)


@pytest.mark.parametrize("status, body", [
    (400, {"code": "103", "message": "x"}),
    (400, {"error": "bad"}),
    (400, "Bad Request"),
])
def test_ticket_error_shape_fails(status, body):
    assert_fails("SR-ERRORS", lambda ex: ticket_error_shape("SR-ERRORS", ex), exchange("superbet-reserve", status, body))


def test_ticket_error_shape_does_not_apply_to_other_statuses():
    for status in (200, 403, 422):
        assert ticket_error_shape("SR-ERRORS", exchange("superbet-reserve", status, {})) is NOT_APPLICABLE


def test_ticket_errors_flows_pass_on_a_correct_engine():
    run_flow(sr_errors, "superbet-reserve", ticket_engine(), max_examples=10)
    run_flow(jt_errors, "jackpot-ticket", ticket_engine(), max_examples=10)
    run_flow(jt_error_codes, "jackpot-ticket", ticket_engine(), max_examples=10)


def test_ticket_errors_flows_fail_on_wrong_codes_and_on_stored_tickets():
    failure = assert_flow_fails("SR-ERRORS", sr_errors, "superbet-reserve", ticket_engine("wrong-code"))
    assert "situations failed" in failure.message and "expected 400 with code 103" in failure.message
    assert "tickets changed" in assert_flow_fails("JT-ERRORS", jt_errors, "jackpot-ticket",
                                                  ticket_engine("stores-rejected")).message
    assert "expected 400 with code 103" in assert_flow_fails("JT-ERROR-CODES", jt_error_codes, "jackpot-ticket",
                                                             ticket_engine("wrong-code")).message


def test_jt_errors_accepts_any_code_the_jackpot_page_lost():
    run_flow(jt_errors, "jackpot-ticket", ticket_engine("wrong-code"), max_examples=5)


def test_an_unknown_operator_may_be_refused_with_403_one_way_through_the_run():
    correct = ticket_engine()

    def forbidden_first(flow, request):
        status, payload = correct(flow, request)
        return (403, "") if payload.get("code") == 112 else (status, payload)

    run_flow(sr_errors, "superbet-reserve", forbidden_first, max_examples=5)
    book = ConventionBook(pinned={"superbet-reserve.unknown-operator": "error-400"})
    with pytest.raises(Exception, match="pins error-400"):
        run_flow(sr_errors, "superbet-reserve", forbidden_first, max_examples=5, book=book)


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


def test_so_envelope_passes_on_success_and_on_either_form_of_rejection():
    assert so_envelope(so(200, SO_OK)) is None
    assert so_envelope(so(200, {"code": 200, "msg": "成功", "data": SO_OK["data"]})) is None   # msg: SO-SUCCESS-MSG
    assert so_envelope(so(400, {"code": 402, "msg": "insufficient balance", "data": None})) is None
    assert so_envelope(so(401, {"code": 1002, "msg": "unknown token"})) is None
    assert so_envelope(so(200, {"code": 1003, "msg": "insufficient balance"})) is None      # another run's form


def test_so_envelope_holds_one_rejection_form_through_the_run():
    book = ConventionBook()
    first, second = so(400, {"code": 1, "msg": "x"}), so(200, {"code": 2, "msg": "y"})
    for ex in (first, second):
        object.__setattr__(ex, "conventions", book)
    assert so_envelope(first) is None
    assert "sportsbook-order.rejection" in assert_fails("SO-ENVELOPE", so_envelope, second).message


@pytest.mark.parametrize("status, body", [
    (200, {"code": 200, "msg": "success", "data": None}),
    (400, {"code": 200, "msg": "success", "data": SO_OK["data"]}),
    (400, {"detail": "validation"}),
    (200, {"code": "200", "msg": "success", "data": SO_OK["data"]}),
    (200, {"code": 200, "data": SO_OK["data"]}),
])
def test_so_envelope_fails(status, body):
    assert_fails("SO-ENVELOPE", so_envelope, so(status, body))


def test_so_envelope_leaves_server_errors_to_so_no_5xx():
    assert so_envelope(so(500, "Internal Server Error")) is NOT_APPLICABLE


def test_so_success_msg_is_the_samples_word():
    assert so_success_msg(so(200, SO_OK)) is None
    assert so_success_msg(so(400, {"code": 1, "msg": "nope"})) is NOT_APPLICABLE
    assert_fails("SO-SUCCESS-MSG", so_success_msg, so(200, {"code": 200, "msg": "OK", "data": SO_OK["data"]}))


def test_so_envelope_does_not_apply_to_other_methods():
    assert so_envelope(so(405, {"detail": "Method Not Allowed"}, method="GET")) is NOT_APPLICABLE


# TO-ENVELOPE / TO-FAILURE-CODE

TO_OK = {"data": {"docno": "D1", "orderno": "O1"}, "code": 100, "message": "success"}


def to(status, body):
    return exchange("travel-order", status, body)


def test_to_envelope():
    assert to_envelope(to(200, TO_OK)) is None
    assert to_envelope(to(200, TO_OK | {"message": None})) is None
    assert to_envelope(to(400, {"data": None, "code": 101, "message": "invalid"})) is None
    assert to_envelope(to(400, {"code": 101, "message": None})) is None        # nulls omitted
    assert to_envelope(to(200, {"data": None, "code": 1, "message": "the sample's own code 1"})) is None
    assert_fails("TO-ENVELOPE", to_envelope, to(200, {"data": {"docno": "D1"}, "code": 100, "message": "success"}))
    assert_fails("TO-ENVELOPE", to_envelope, to(400, {"Message": "The request is invalid."}))
    assert "carries code 100" in assert_fails("TO-ENVELOPE", to_envelope, to(400, TO_OK)).message


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
    (500, {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION"}),
    (400, {"status": "FAILURE", "errorCode": "INVALID_USER", "errorMessage": None}),
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
    (422, {"status": "FAILURE", "errorCode": "INVALID_BET_DETAILS"}),   # only a repeated key's answer
    (409, {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION"}),
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


def test_jt_errors_holds_an_unknown_betcard_to_400_with_any_code():
    correct = ticket_engine()

    def betcard_code(status, code):
        def respond(flow, request):
            answer, payload = correct(flow, request)
            return (status, dict(payload, code=code)) if payload.get("code") == 118 else (answer, payload)
        return respond

    run_flow(jt_errors, "jackpot-ticket", betcard_code(400, 102), max_examples=5)
    assert "unknown betcard: expected 400" in assert_flow_fails("JT-ERRORS", jt_errors, "jackpot-ticket",
                                                                betcard_code(404, 118)).message
