"""What an answer means for its API (orderproof.checks.outcomes): accepted, refused (under which
convention) or neither, as each API's adapter reads it (``ApiAdapter.outcome``) for the generic rules
and the API's own checks."""

import pytest

from orderproof import registry
from orderproof.checks.base import shown
from orderproof.checks.outcomes import describe
from tests.apis.fakes import exchange


@pytest.mark.parametrize("api, status, body, kind, option", [
    ("sportsbook-order", 200, {"code": 200, "msg": "success", "data": {}}, "accepted", None),
    ("sportsbook-order", 400, {"code": 1001, "msg": "bad", "data": None}, "refused", "http-4xx"),
    ("sportsbook-order", 401, {"code": 7, "msg": "who"}, "refused", "http-4xx"),
    ("sportsbook-order", 200, {"code": 402, "msg": "funds"}, "refused", "http-200"),
    ("sportsbook-order", 400, {"code": 200, "msg": "success"}, "other", None),
    ("sportsbook-order", 500, {"code": 500, "msg": "boom"}, "other", None),
    ("sportsbook-order", 404, "<html>no</html>", "other", None),
    ("travel-order", 200, {"data": {"docno": "a", "orderno": "b"}, "code": 100, "message": None}, "accepted", None),
    ("travel-order", 200, {"data": None, "code": 1, "message": None}, "refused", "http-200"),
    ("travel-order", 400, {"code": -1}, "refused", "http-4xx"),
    ("jackpot-ticket", 200, {"id": "x"}, "accepted", None),
    ("jackpot-ticket", 400, {"code": 103, "message": "no event"}, "refused", None),
    ("jackpot-ticket", 400, {"detail": "bad"}, "other", None),
    ("superbet-reserve", 403, "", "refused", None),
    ("superbet-reserve", 422, {"code": 422, "message": "bad"}, "refused", None),
    ("superbet-reserve", 401, {"code": 1, "message": "x"}, "other", None),
    ("bet-placement", 200, {"status": "PLACED"}, "accepted", None),
    ("bet-placement", 400, {"status": "FAILURE", "errorCode": "INVALID_BET_DETAILS"}, "refused", None),
    ("bet-placement", 422, {"detail": []}, "other", None),
    ("bet-placement", 500, {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION"}, "other", None),
])
def test_outcome_reads_each_apis_answers(api, status, body, kind, option):
    result = registry.get(api).outcome(exchange(api, status, body))
    assert result.kind == kind
    assert result.option == option
    if option is not None:
        assert result.convention == f"{api}.rejection"


@pytest.mark.parametrize("limit", [20, 28, 35, 60])
def test_a_short_line_masks_a_secret_before_it_cuts_the_body(limit):
    """Cut first, the field name would still be there but not its closing quote, and the token's first
    characters would be shown."""
    token = "d45103d6e1414503abe7e16f0c2b9a11"
    ex = exchange("bet-placement", 200, {"sessionToken": token, "requestId": "650f", "status": "PLACED"})
    for line in (describe(ex, limit=limit), shown(ex, limit=limit)):
        assert token[:4] not in line, line
