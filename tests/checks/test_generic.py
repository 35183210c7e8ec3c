import pytest
import schemathesis.checks
from hypothesis import given, settings
from hypothesis import strategies as st

import orderproof.checks as checks
from orderproof.apis import APIS
from orderproof.checks.base import NOT_APPLICABLE, RuleFailure
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


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.decimals(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["code", "msg", "data", "message", "status", "errorCode", "failedBets", "price", "stake",
                         "ext_amount", "ext", "odds", "events", "gross_payout", "wht", "wht_amount", "net_payout",
                         "created", "updated", "ticketId", "amount", "orderAmount", "bets", "requestId", "detail",
                         "currency", "userId", "orderTime", "docno", "orderno", "decimalPrice", "betId"]),
        inner, max_size=6),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, database=None)
@given(api=st.sampled_from(sorted(APIS)), status=st.sampled_from([200, 400, 401, 403, 409, 422, 500]),
       request=JSON, response=JSON | st.text(max_size=10))
def test_response_checks_never_crash_on_hostile_bodies(api, status, request, response):
    for name, check in {**checks.RESPONSE_CHECKS, "negative_error_shape": negative_error_shape}.items():
        if name != "negative_error_shape" and api not in checks.CHECK_APIS[name]:
            continue
        try:
            outcome = check(exchange(api, status, response, request))
        except RuleFailure:
            continue
        assert outcome in (None, NOT_APPLICABLE), name
