"""ticket_engine.answers: where a 400 body of the jackpot page (which lost its error bodies) carries
its error code."""

import pytest

from orderproof.apis.ticket_engine.answers import error_code

UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


@pytest.mark.parametrize("body, code", [
    ({"code": 103, "message": "Event not found"}, 103),
    ({"error_code": "EVENT_NOT_FOUND"}, "EVENT_NOT_FOUND"),
    ({"detail": {"errCode": 103, "msg": "x"}}, 103),                  # a framework's nesting
    ({"error": 103, "message": "Event not found"}, 103),
    ({"error": "EVENT_NOT_FOUND"}, "EVENT_NOT_FOUND"),
    ({"errorId": "event_not_found"}, "event_not_found"),
    ({"error": "event-not-found"}, "event-not-found"),
    ({"error": "ValidationError", "code": 103}, 103),                 # a code key comes first
    ({"errorId": "abc", "detail": {"code": 103}}, 103),               # nested too
    ({"error": {"type": "EVENT_NOT_FOUND", "message": "x"}}, "EVENT_NOT_FOUND"),   # the error object's type
    ({"error": {"type": "VALIDATION_ERROR", "details": [{"type": "missing"}]}}, "VALIDATION_ERROR"),
    ({"errors": [{"type": "EVENT_NOT_FOUND", "detail": "x"}, {"type": "BET_NOT_FOUND"}]}, "EVENT_NOT_FOUND"),
    ({"type": "https://jackpot.example/errors/108", "title": "Event not found", "status": 400}, "108"),  # RFC 9457
    ({"type": "/problems/event-not-found", "status": 400}, "event-not-found"),
    ({"type": "urn:jackpot:error:E108"}, "E108"),
    ({"type": "EVENT_NOT_FOUND", "message": "x"}, "EVENT_NOT_FOUND"),
])
def test_an_error_code_is_found_under_a_key_that_names_one(body, code):
    assert error_code(body) == code


@pytest.mark.parametrize("body", [
    {"message": "Event with `1` identifier is not found"},
    {"error": "Bad Request"},                                          # a phrase is a message
    {"error": "Invalid."},
    {"errorId": UUID, "message": "Event not found"},                   # an incident id
    {"error": "a1b2c3d4-5717-4562-b3fc-2c963f66afa6"},
    {"error": ""},
    {"detail": [{"msg": "x", "type": "missing"}]},
    {"type": "about:blank", "title": "Bad Request", "status": 400, "detail": "x"},   # a problem of no type
    {"type": "https://jackpot.example/", "title": "Bad Request"},
    {"type": f"https://jackpot.example/incidents/{UUID}"},
    {"error": {"type": "Bad Request"}},
    [],
    "Bad Request",
])
def test_a_message_or_an_incident_id_is_no_error_code(body):
    assert error_code(body) is None
