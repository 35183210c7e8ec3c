"""The generic rules (<P>-SCHEMA, <P>-NO-5XX, <P>-NEGATIVE, <P>-POSITIVE), the answer outcomes they
read (checks/outcomes.py) and the registry invariants every check keeps."""

import pytest
import schemathesis.checks
from hypothesis import given, settings
from hypothesis import strategies as st

import orderproof.checks as checks
from orderproof.apis import APIS
from orderproof.checks.base import NOT_APPLICABLE, RuleFailure
from orderproof.checks.conventions import ConventionBook
from orderproof.checks.generic import (
    GENERIC,
    SCHEMA_CHECKS,
    negative_rejected,
    no_server_error,
    positive_accepted,
    schema_applies,
)
from orderproof.checks.outcomes import outcome

from .conftest import assert_fails, exchange


def test_generic_rules_and_the_schemathesis_checks_behind_schema():
    assert set(GENERIC) == {"schema_conformance", "no_server_error", "negative_rejected", "positive_accepted"}
    for function in SCHEMA_CHECKS:
        assert getattr(schemathesis.checks, function.__name__) is function


def test_every_check_is_registered_once_with_its_apis_and_a_docstring_naming_its_rule():
    for name in {**checks.RESPONSE_CHECKS, **checks.FLOW_CHECKS}:
        function = checks.RESPONSE_CHECKS.get(name) or checks.FLOW_CHECKS[name]
        rule_id = name.upper().replace("_", "-")
        assert function.__doc__.startswith(rule_id), name
        assert "passes if" in function.__doc__ and "fails" in function.__doc__, name
        assert checks.CHECK_APIS[name]


# --- outcomes -----------------------------------------------------------------------------------------

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
    result = outcome(exchange(api, status, body))
    assert result.kind == kind
    assert result.option == option


# --- <P>-NO-5XX ---------------------------------------------------------------------------------------

def test_no_server_error_fails_a_5xx_and_no_answer_and_passes_the_rest():
    assert no_server_error("BP-NO-5XX", exchange("bet-placement", 400, {"status": "FAILURE"})) is None
    assert_fails("BP-NO-5XX", lambda ex: no_server_error("BP-NO-5XX", ex), exchange("bet-placement", 503, "x"))
    silent = exchange("bet-placement", 0, "")
    silent.extra["error"] = "connection reset"
    assert_fails("BP-NO-5XX", lambda ex: no_server_error("BP-NO-5XX", ex), silent)


# --- <P>-NEGATIVE -------------------------------------------------------------------------------------

VALID_SLIP = {"requestId": "92e02ae9-a2a3-48e2-af0e-940aec4bbcfb", "userId": "u1", "sessionToken": "s",
              "timestamp": "1640995200000", "bets": [{
                  "betId": "5b0f6f57-8a3c-4f7e-9d1e-2a6c4b8d0e11", "sportId": "1", "sportName": "f",
                  "sportDisplayName": "F", "eventId": "1", "eventName": "e", "eventDisplayName": "E",
                  "eventStage": "PRE_PLAY", "competitionId": "1", "competitionName": "c",
                  "competitionDisplayName": "C", "marketTypeId": "1", "marketId": "1", "marketName": "m",
                  "marketDisplayName": "M", "marketStage": "PRE_PLAY", "selectionId": "1", "selectionName": "s",
                  "selectionDisplayName": "S", "decimalPrice": 1.85, "stake": 10}]}


def negative(api, status, body, request, *, auth="valid"):
    ex = exchange(api, status, body, request, mode="negative")
    if auth:
        ex.extra["auth"] = auth
    return ex


def test_negative_judges_only_clearly_invalid_requests():
    lenient = {**VALID_SLIP, "bets": [{**VALID_SLIP["bets"][0], "stake": "10.5"}]}     # a parser reads "10.5"
    accepted = {"status": "PLACED"}
    assert negative_rejected("BP-NEGATIVE", negative("bet-placement", 200, accepted, lenient)) is NOT_APPLICABLE
    assert negative_rejected("BP-NEGATIVE", exchange("bet-placement", 200, accepted, VALID_SLIP,
                                                     mode="positive")) is NOT_APPLICABLE
    missing = {key: value for key, value in VALID_SLIP.items() if key != "userId"}
    failure = assert_fails("BP-NEGATIVE", lambda ex: negative_rejected("BP-NEGATIVE", ex),
                           negative("bet-placement", 200, accepted, missing))
    assert "userId" in failure.message and "accepted" in failure.message


def test_negative_demands_credentials_of_the_apis_that_have_them():
    generated = negative("bet-placement", 200, {"status": "PLACED"}, VALID_SLIP, auth=None)
    assert_fails("BP-NEGATIVE", lambda ex: negative_rejected("BP-NEGATIVE", ex), generated)
    refused = negative("bet-placement", 403, {"status": "FAILURE", "errorCode": "AUTHENTICATION_FAILED"},
                       VALID_SLIP, auth=None)
    assert negative_rejected("BP-NEGATIVE", refused) is None


@pytest.mark.parametrize("api, status, body", [
    ("bet-placement", 500, {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION"}),
    ("bet-placement", 501, "<html>Unsupported method</html>"),
    ("bet-placement", 422, {"detail": [{"loc": ["body"], "msg": "x", "type": "y"}]}),
    ("jackpot-ticket", 400, "plain text"),
    ("sportsbook-order", 422, {"detail": []}),
])
def test_negative_fails_a_5xx_or_an_answer_not_in_the_apis_shape(api, status, body):
    prefix = {"bet-placement": "BP", "jackpot-ticket": "JT", "sportsbook-order": "SO"}[api]
    broken = negative(api, status, body, {"no": "such fields"})
    assert_fails(f"{prefix}-NEGATIVE", lambda ex: negative_rejected(f"{prefix}-NEGATIVE", ex), broken)


def test_negative_refusals_follow_one_rejection_convention_through_the_run():
    book = ConventionBook()
    first = negative("sportsbook-order", 400, {"code": 1, "msg": "bad", "data": None}, {"ticketId": {}})
    second = negative("sportsbook-order", 200, {"code": 2, "msg": "bad", "data": None}, {"ticketId": {}})
    for ex in (first, second):
        object.__setattr__(ex, "conventions", book)
    assert negative_rejected("SO-NEGATIVE", first) is None
    failure = assert_fails("SO-NEGATIVE", lambda ex: negative_rejected("SO-NEGATIVE", ex), second)
    assert "sportsbook-order.rejection" in failure.message and "http-4xx" in failure.message


def test_a_pinned_rejection_convention_fails_the_other_option_at_once():
    book = ConventionBook(pinned={"travel-order.rejection": "http-200"})
    ex = negative("travel-order", 400, {"data": None, "code": 5, "message": None}, "{")
    object.__setattr__(ex, "conventions", book)
    failure = assert_fails("TO-NEGATIVE", lambda e: negative_rejected("TO-NEGATIVE", e), ex)
    assert "pins http-200" in failure.message


# --- <P>-POSITIVE and <P>-SCHEMA's reach ------------------------------------------------------------------

def test_positive_judges_realistic_cases_only():
    realistic = exchange("bet-placement", 400, {"status": "FAILURE", "errorCode": "INVALID_USER"}, VALID_SLIP,
                         mode="positive")
    assert positive_accepted("BP-POSITIVE", realistic) is NOT_APPLICABLE
    realistic.extra["realistic"] = True
    failure = assert_fails("BP-POSITIVE", lambda ex: positive_accepted("BP-POSITIVE", ex), realistic)
    assert "INVALID_USER" in failure.message
    placed = exchange("bet-placement", 200, {"status": "PLACED"}, VALID_SLIP, mode="positive")
    placed.extra["realistic"] = True
    assert positive_accepted("BP-POSITIVE", placed) is None


def test_schema_leaves_server_errors_and_successes_to_negative_cases_to_their_own_rules():
    assert schema_applies(exchange("bet-placement", 400, {}))
    assert not schema_applies(exchange("bet-placement", 500, {}))
    assert not schema_applies(exchange("bet-placement", 200, {}, mode="negative"))
    assert schema_applies(exchange("bet-placement", 200, {}, mode="positive"))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.decimals(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["code", "msg", "data", "message", "status", "errorCode", "failedBets", "price", "stake",
                         "ext_amount", "ext", "odds", "events", "gross_payout", "wht", "wht_amount", "net_payout",
                         "created", "updated", "ticketId", "ticketID", "amount", "orderAmount", "bets", "requestId",
                         "detail", "currency", "userId", "orderTime", "docno", "orderno", "decimalPrice", "betId",
                         "prize", "bonus_prizes"]),
        inner, max_size=6),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None, database=None)
@given(api=st.sampled_from(sorted(APIS)), status=st.sampled_from([200, 400, 401, 403, 409, 422, 500]),
       request=JSON, response=JSON | st.text(max_size=10), mode=st.sampled_from([None, "positive", "negative"]))
def test_response_checks_never_crash_on_hostile_bodies(api, status, request, response, mode):
    generic = {"negative_rejected": negative_rejected, "positive_accepted": positive_accepted,
               "no_server_error": no_server_error}
    for name, check in {**checks.RESPONSE_CHECKS, **generic}.items():
        if name not in generic and api not in checks.CHECK_APIS[name]:
            continue
        ex = exchange(api, status, response, request, mode=mode)
        try:
            result = check("X-RULE", ex) if name in generic else check(ex)
        except RuleFailure:
            continue
        assert result in (None, NOT_APPLICABLE), name
