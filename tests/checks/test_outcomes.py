"""What an answer means for its API (orderproof.checks.outcomes): accepted, refused (under which
convention) or neither, as each API's adapter reads it (``ApiAdapter.outcome``) for the generic rules
and the API's own checks."""

import pytest

from orderproof import registry
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
