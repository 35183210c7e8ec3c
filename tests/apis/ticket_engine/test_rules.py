"""What jackpot-ticket and superbet-reserve are checked for alike (orderproof.apis.ticket_engine.rules):
the engine's error shape, judged for the rule that uses it."""

import pytest

from orderproof.apis.ticket_engine.rules import error_shape
from orderproof.checks.base import NOT_APPLICABLE
from tests.apis.fakes import assert_fails, exchange, rule


@pytest.mark.parametrize("status, body", [
    (400, {"code": 103, "message": "Event with `1` identifier is not found"}),
    (400, {"code": 999, "message": "a code the pages do not list"}),
    (403, {"code": 403, "message": "Forbidden"}),
    (403, ""),                                                   # the pages give no 403 body
    (422, {"detail": [{"loc": ["body", "price"], "msg": "field required", "type": "missing"}]}),
    (422, {"code": 422, "message": "price: not an integer"}),    # nor a 422 body
])
def test_ticket_error_shape_passes(status, body):
    assert error_shape(rule("SR-ERRORS"), exchange("superbet-reserve", status, body)) in (None, NOT_APPLICABLE)


@pytest.mark.parametrize("status, body", [
    (400, {"code": "103", "message": "x"}),
    (400, {"error": "bad"}),
    (400, "Bad Request"),
])
def test_ticket_error_shape_fails(status, body):
    assert_fails("SR-ERRORS", error_shape, exchange("superbet-reserve", status, body))


def test_ticket_error_shape_does_not_apply_to_other_statuses():
    for status in (200, 403, 422):
        assert error_shape(rule("SR-ERRORS"), exchange("superbet-reserve", status, {})) is NOT_APPLICABLE
