"""The probe (orderproof.engine.probe): which answers say the target does not speak an API."""

import dataclasses

import pytest

from orderproof.engine.probe import _foreign_answer
from tests.apis.fakes import exchange


def _answer(status: int, body: object, content_type: str):
    return dataclasses.replace(exchange("jackpot-ticket", status, body), response_headers={"content-type": content_type})


@pytest.mark.parametrize("status, body, content_type", [
    (501, "<html><body>Unsupported method</body></html>", "text/html"),
    (404, {"code": 404}, "application/json"),
    (400, "<html><body>Bad Request</body></html>", "text/html; charset=utf-8"),
    (200, "OK", "text/plain"),
])
def test_a_page_a_missing_route_or_a_success_that_is_not_json_is_foreign(status, body, content_type):
    assert _foreign_answer(_answer(status, body, content_type))


@pytest.mark.parametrize("status, body, content_type", [
    (400, {"code": 103, "message": "Event with `7` identifier is not found"}, "text/html; charset=UTF-8"),
    (200, {"id": "t-1", "price": 1000}, "text/html"),                     # PHP's default label on a JSON body
    (422, {"detail": []}, "application/json"),
])
def test_a_json_answer_is_the_services_whatever_its_label(status, body, content_type):
    assert not _foreign_answer(_answer(status, body, content_type))
