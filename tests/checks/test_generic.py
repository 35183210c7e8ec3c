import pytest
import schemathesis.checks

import orderproof.checks as checks
from orderproof.checks.base import NOT_APPLICABLE
from orderproof.checks.generic import GENERIC_CHECKS, GENERIC_RESPONSE_CHECKS, negative_error_shape

from .conftest import assert_fails, exchange


def test_generic_checks_are_schemathesis_built_ins():
    assert set(GENERIC_CHECKS) == {"schema_conformance", "no_server_error", "negative_rejected", "positive_accepted"}
    for functions in GENERIC_CHECKS.values():
        for function in functions:
            assert getattr(schemathesis.checks, function.__name__) is function
    assert GENERIC_RESPONSE_CHECKS["negative_rejected"] == (negative_error_shape,)


def test_every_check_is_registered_once_with_its_apis_and_a_docstring_naming_its_rule():
    for name in {**checks.RESPONSE_CHECKS, **checks.FLOW_CHECKS}:
        function = checks.RESPONSE_CHECKS.get(name) or checks.FLOW_CHECKS[name]
        rule_id = name.upper().replace("_", "-")
        assert function.__doc__.startswith(rule_id), name
        assert "passes if" in function.__doc__ and "fails" in function.__doc__, name
        assert checks.CHECK_APIS[name]


@pytest.mark.parametrize("api, status, body", [
    ("sportsbook-order", 400, {"code": 400, "msg": "invalid request", "data": None}),
    ("jackpot-ticket", 422, {"detail": [{"loc": ["body", "price"], "msg": "bad", "type": "int_type"}]}),
    ("jackpot-ticket", 400, {"code": 118, "message": "Betcard not found"}),
    ("superbet-reserve", 403, {"code": 403, "message": "Forbidden"}),
    ("travel-order", 400, {"data": None, "code": 101, "message": "invalid body"}),
    ("bet-placement", 400, {"status": "FAILURE", "errorCode": "INVALID_BET_DETAILS"}),
])
def test_negative_error_shape_passes(api, status, body):
    assert negative_error_shape(exchange(api, status, body, mode="negative")) is None


@pytest.mark.parametrize("api, status, body", [
    ("sportsbook-order", 400, {"code": 200, "msg": "success", "data": None}),
    ("sportsbook-order", 422, {"detail": [{"loc": ["body"], "msg": "x", "type": "y"}]}),
    ("superbet-reserve", 400, {"code": 118, "message": "Betcard not found"}),
    ("superbet-reserve", 422, {"error": "validation"}),
    ("travel-order", 400, {"data": None, "code": 100, "message": "success"}),
    ("travel-order", 415, {"Message": "unsupported media type"}),
    ("bet-placement", 422, {"detail": [{"loc": ["body"], "msg": "x", "type": "y"}]}),
])
def test_negative_error_shape_fails_with_the_api_negative_rule(api, status, body):
    prefix = {"sportsbook-order": "SO", "superbet-reserve": "SR", "travel-order": "TO", "bet-placement": "BP"}[api]
    assert_fails(f"{prefix}-NEGATIVE", negative_error_shape, exchange(api, status, body, mode="negative"))


def test_negative_error_shape_does_not_apply_to_2xx_5xx_or_other_methods():
    assert negative_error_shape(exchange("travel-order", 200, {"code": 100})) is NOT_APPLICABLE
    assert negative_error_shape(exchange("travel-order", 500, "boom")) is NOT_APPLICABLE
    assert negative_error_shape(exchange("travel-order", 405, "no", method="GET")) is NOT_APPLICABLE
