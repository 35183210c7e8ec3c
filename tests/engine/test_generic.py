"""The generic rules every API has (orderproof.engine.generic): <P>-SCHEMA, <P>-NO-5XX, <P>-NEGATIVE,
<P>-POSITIVE. (The answer outcomes they read are tested in tests/checks/test_outcomes.py, the registry
invariants every check keeps in tests/checks/test_base.py.)"""

import dataclasses
import json
import types
from typing import Any

import pytest
import requests
import schemathesis.checks
from schemathesis.core.failures import Failure
from schemathesis.core.transport import Response
from schemathesis.errors import FailureGroup

from orderproof import registry
from orderproof.apis.sportsbook_order.checks import so_envelope
from orderproof.catalogue import load_catalogue
from orderproof.checks.base import NOT_APPLICABLE, RuleFailure
from orderproof.checks.conventions import ConventionBook
from orderproof.core.paths import spec_document
from orderproof.engine.generation import form_drops_nesting, load_operation
from orderproof.engine.generic import (
    CHECKS,
    GENERIC,
    SCHEMA_CHECKS,
    negative_rejected,
    no_server_error,
    not_echoed,
    positive_accepted,
    schema_applies,
)
from orderproof.engine.responses import judge
from orderproof.engine.transport import Reply
from tests.apis.fakes import assert_fails, exchange, rule


def test_generic_rules_and_the_schemathesis_checks_behind_schema():
    assert set(GENERIC) == {"schema_conformance", "no_server_error", "negative_rejected", "positive_accepted"}
    assert set(CHECKS) == set(GENERIC) - {"schema_conformance"}
    for function in SCHEMA_CHECKS:
        assert getattr(schemathesis.checks, function.__name__) is function


# --- <P>-NO-5XX ---------------------------------------------------------------------------------------

def test_no_server_error_passes_the_5xx_the_seed_pairs_with_a_code_of_its_table_and_no_other():
    timed_out = {"status": "FAILURE", "errorCode": "REQUEST_TIMED_OUT"}      # | REQUEST_TIMED_OUT | 503 |
    assert no_server_error(rule("BP-NO-5XX"), exchange("bet-placement", 503, timed_out)) is None
    assert_fails("BP-NO-5XX", no_server_error, exchange("bet-placement", 500, timed_out))
    assert_fails("BP-NO-5XX", no_server_error,
                 exchange("bet-placement", 500, {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION"}))
    assert_fails("JT-NO-5XX", no_server_error, exchange("jackpot-ticket", 503, timed_out))


def test_no_server_error_fails_a_5xx_and_no_answer_and_passes_the_rest():
    assert no_server_error(rule("BP-NO-5XX"), exchange("bet-placement", 400, {"status": "FAILURE"})) is None
    assert_fails("BP-NO-5XX", no_server_error, exchange("bet-placement", 503, "x"))
    edge = exchange("bet-placement", 500, "x", mode="positive")           # not made realistic: an edge value
    assert "not made realistic" in assert_fails("BP-NO-5XX", no_server_error, edge).message
    edge.extra["realistic"] = True
    assert assert_fails("BP-NO-5XX", no_server_error, edge).message == "a server error for a generated valid request"
    silent = exchange("bet-placement", 0, "")
    silent.extra["error"] = "connection reset"
    assert_fails("BP-NO-5XX", no_server_error, silent)


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
    assert negative_rejected(rule("BP-NEGATIVE"), negative("bet-placement", 200, accepted, lenient)) is NOT_APPLICABLE
    assert negative_rejected(rule("BP-NEGATIVE"), exchange("bet-placement", 200, accepted, VALID_SLIP,
                                                           mode="positive")) is NOT_APPLICABLE
    missing = {key: value for key, value in VALID_SLIP.items() if key != "userId"}
    failure = assert_fails("BP-NEGATIVE", negative_rejected, negative("bet-placement", 200, accepted, missing))
    assert "userId" in failure.message and "accepted" in failure.message


def test_negative_demands_credentials_only_where_the_seed_states_them(monkeypatch):
    generated = negative("bet-placement", 200, {"status": "PLACED"}, VALID_SLIP, auth=None)
    assert negative_rejected(rule("BP-NEGATIVE"), generated) is NOT_APPLICABLE     # seed 004 names no header
    monkeypatch.setattr(registry.get("bet-placement"), "credentials_stated", True)
    assert_fails("BP-NEGATIVE", negative_rejected, generated)
    refused = negative("bet-placement", 403, {"status": "FAILURE", "errorCode": "AUTHENTICATION_FAILED"},
                       VALID_SLIP, auth=None)
    assert negative_rejected(rule("BP-NEGATIVE"), refused) is None


JACKPOT = {"operator": "op", "token": "t", "price": 1000, "currency": "EUR", "source": "mobile", "type": "jackpot",
           "odds_diff": 0, "events": [{"id": 1, "bet": 2, "odds": 1.5}], "betcard_code": "B", "prize": 5,
           "bonus_prizes": []}


@pytest.mark.parametrize("slug", list(registry.slugs()))
def test_no_api_declares_a_credential_scheme_its_seed_does_not_state(slug):
    assert registry.get(slug).credentials_stated is False


def test_a_ticket_without_signature_headers_is_not_clearly_invalid():
    unsigned = negative("jackpot-ticket", 200, {"id": "x"}, JACKPOT, auth=None)
    assert negative_rejected(rule("JT-NEGATIVE"), unsigned) is NOT_APPLICABLE


@pytest.mark.parametrize("rule_id, api, status, body", [
    ("BP-NEGATIVE", "bet-placement", 500, {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION"}),
    ("BP-NEGATIVE", "bet-placement", 501, "<html>Unsupported method</html>"),
    ("BP-NEGATIVE", "bet-placement", 422, {"detail": [{"loc": ["body"], "msg": "x", "type": "y"}]}),
    ("JT-NEGATIVE", "jackpot-ticket", 400, "plain text"),
    ("SO-NEGATIVE", "sportsbook-order", 500, {"code": 500, "msg": "x", "data": None}),
])
def test_negative_fails_a_5xx_or_an_answer_not_in_the_apis_shape(rule_id, api, status, body):
    broken = negative(api, status, body, {"no": "such fields"})
    assert_fails(rule_id, negative_rejected, broken)


def test_negative_takes_the_5xx_the_error_table_pairs_with_a_code_of_its_own():
    """| REQUEST_TIMED_OUT | 503 |: a service that checks a request's timestamp first answers a stale
    invalid request so (the table gives no order of checks); | GENERAL_EXCEPTION | 500 | is a failure."""
    stale = negative("bet-placement", 503, {"status": "FAILURE", "errorCode": "REQUEST_TIMED_OUT"}, {"no": "such fields"})
    assert negative_rejected(rule("BP-NEGATIVE"), stale) is None
    assert_fails("BP-NEGATIVE", negative_rejected,
                 negative("bet-placement", 503, {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION"}, {"no": "such"}))


def test_negative_refusals_may_come_either_way_and_say_nothing_of_how_valid_orders_are_refused():
    book = ConventionBook(load_catalogue(["sportsbook-order"]).conventions)
    first = negative("sportsbook-order", 400, {"code": 1, "msg": "bad", "data": None}, {"ticketId": {}})
    second = negative("sportsbook-order", 200, {"code": 2, "msg": "bad", "data": None}, {"ticketId": {}})
    for ex in (first, second):
        object.__setattr__(ex, "conventions", book)
    assert negative_rejected(rule("SO-NEGATIVE"), first) is None
    assert negative_rejected(rule("SO-NEGATIVE"), second) is None        # a framework's 400 and the app's 200
    row = next(row for row in book.report() if row["id"] == "sportsbook-order.rejection")
    assert row["observed"] == [] and row["pinned"] is None
    valid = exchange("sportsbook-order", 200, {"code": 5, "msg": "no funds", "data": None}, {"ticketId": "1"})
    object.__setattr__(valid, "conventions", book)
    assert so_envelope(rule("SO-ENVELOPE"), valid) is None                # a scenario's order, refused
    row = next(row for row in book.report() if row["id"] == "sportsbook-order.rejection")
    assert row["observed"] == ["http-200"]


def test_a_pinned_rejection_convention_holds_the_refusals_of_valid_orders_not_of_invalid_ones():
    book = ConventionBook(pinned={"sportsbook-order.rejection": "http-200"})
    invalid = negative("sportsbook-order", 400, {"code": 5, "msg": "bad", "data": None}, {"ticketId": {}})
    valid = exchange("sportsbook-order", 400, {"code": 5, "msg": "no funds", "data": None}, {"ticketId": "1"})
    for ex in (invalid, valid):
        object.__setattr__(ex, "conventions", book)
    assert negative_rejected(rule("SO-NEGATIVE"), invalid) is None        # the page documents no such answer
    assert so_envelope(rule("SO-ENVELOPE"), invalid) is None
    assert "pins http-200" in assert_fails("SO-ENVELOPE", so_envelope, valid).message     # a scenario's order


def test_where_the_seed_documents_no_validation_answer_any_4xx_refuses_a_clearly_invalid_request():
    problem = {"title": "One or more validation errors occurred.", "status": 400, "errors": {"$.memberid": ["x"]}}
    ex = negative("travel-order", 400, problem, {"memberid": {"a": 1}})
    object.__setattr__(ex, "conventions", ConventionBook(pinned={"travel-order.rejection": "http-200"}))
    assert negative_rejected(rule("TO-NEGATIVE"), ex) is None                  # ASP.NET's own, pinned or not
    spring = {"timestamp": "2026-12-03T00:28:13.226+00:00", "status": 400, "error": "Bad Request", "path": "/order"}
    assert negative_rejected(rule("SO-NEGATIVE"), negative("sportsbook-order", 400, spring, {"ticketId": {}})) is None
    assert_fails("TO-NEGATIVE", negative_rejected,
                 negative("travel-order", 200, {"data": {"docno": "d", "orderno": "1"}, "code": 100, "message": "ok"},
                          {"memberid": {"a": 1}}))                             # taking it still fails
    assert_fails("JT-NEGATIVE", negative_rejected,                              # the jackpot page documents its 400
                 negative("jackpot-ticket", 400, problem, {"no": "such fields"}))


# --- <P>-POSITIVE and <P>-SCHEMA's reach ------------------------------------------------------------------

def test_positive_judges_realistic_cases_only():
    realistic = exchange("bet-placement", 400, {"status": "FAILURE", "errorCode": "INVALID_USER"}, VALID_SLIP,
                         mode="positive")
    assert positive_accepted(rule("BP-POSITIVE"), realistic) is NOT_APPLICABLE
    realistic.extra["realistic"] = True
    failure = assert_fails("BP-POSITIVE", positive_accepted, realistic)
    assert "INVALID_USER" in failure.message
    placed = exchange("bet-placement", 200, {"status": "PLACED"}, VALID_SLIP, mode="positive")
    placed.extra["realistic"] = True
    assert positive_accepted(rule("BP-POSITIVE"), placed) is None


def test_positive_leaves_a_refusal_of_undocumented_properties_to_the_service():
    """Generated valid bodies carry random extra properties (the schema allows them); the seeds say
    nothing of unknown fields, so a strict service that refuses them is not warned."""
    refused = {"status": "FAILURE", "errorCode": "INVALID_BET_DETAILS"}
    extra = exchange("bet-placement", 400, refused, {**VALID_SLIP, "": None}, mode="positive")
    extra.extra["realistic"] = True
    assert positive_accepted(rule("BP-POSITIVE"), extra) is NOT_APPLICABLE
    plain = exchange("bet-placement", 400, refused, VALID_SLIP, mode="positive")
    plain.extra["realistic"] = True
    assert_fails("BP-POSITIVE", positive_accepted, plain)


def test_schema_leaves_server_errors_and_successes_to_negative_cases_to_their_own_rules():
    keyed = {"X-Idempotency-Key": "5b0f6f57-8a3c-4f7e-9d1e-2a6c4b8d0e11"}
    assert schema_applies(exchange("bet-placement", 400, {}, headers=keyed))
    assert not schema_applies(exchange("bet-placement", 500, {}))
    assert not schema_applies(exchange("bet-placement", 200, {}, mode="negative"))
    assert schema_applies(exchange("bet-placement", 200, {}, mode="positive"))


def test_schema_leaves_a_refusal_the_error_table_has_no_row_for_to_the_error_shape_rule():
    """A slip without a UUID X-Idempotency-Key, or sent alongside another, may be refused with a 4xx
    and code of the service's own (BP-ERROR-SHAPE judges it); any other answer to it is SCHEMA's."""
    own = {"status": "FAILURE", "errorCode": "IDEMPOTENCY_KEY_MISSING"}
    assert not schema_applies(exchange("bet-placement", 422, own))
    assert not schema_applies(exchange("bet-placement", 400, own, headers={"X-Idempotency-Key": "not-a-uuid"}))
    concurrent = exchange("bet-placement", 409, own, headers={"X-Idempotency-Key": "5b0f6f57-8a3c-4f7e-9d1e-2a6c4b8d0e11"})
    assert schema_applies(concurrent)
    concurrent.extra["concurrent"] = True
    assert not schema_applies(concurrent)
    assert schema_applies(exchange("bet-placement", 200, {"status": "PLACED"}, mode="positive"))


def _schema_failures(status: int, body: dict) -> list:
    """What Schemathesis' response_schema_conformance finds in a bet-placement answer."""
    reply = Response(status_code=status, headers={"content-type": ["application/json"]},
                     content=json.dumps(body).encode(), request=requests.Request("POST", "http://target.test/bet").prepare(),
                     elapsed=0.01, verify=True)
    try:
        load_operation("bet-placement").validate_response(reply)
    except FailureGroup as group:
        return list(group.exceptions)
    except Failure as failure:
        return [failure]
    return []


def test_schema_leaves_a_refusal_that_echoes_the_invalid_request_to_negative_and_judges_the_rest():
    """A refusal that names the failed bet by the betId "" the suite's invalid slip sent echoes the
    suite's input: not the service's schema failure. Its own values are judged as before, and so is
    every answer to a valid request."""
    slip = {**VALID_SLIP, "bets": [{**VALID_SLIP["bets"][0], "betId": "", "stake": 0}]}
    failed_bet = {"betId": "", "sportId": "1", "eventId": "e", "marketId": "m", "selectionId": "s", "reason": {}}
    answer = {"status": "FAILURE", "errorCode": "INVALID_STAKE", "failedBets": [failed_bet]}
    failures = _schema_failures(400, answer)
    assert [failure.instance_path for failure in failures] == [["failedBets", 0, "betId"]]
    assert not_echoed(failures, exchange("bet-placement", 400, answer, slip, mode="negative")) == []
    assert not_echoed(failures, exchange("bet-placement", 400, answer, slip, mode="positive")) == failures
    other = {**slip, "bets": [{**slip["bets"][0], "betId": "b-1"}]}            # "" is the service's own
    assert not_echoed(failures, exchange("bet-placement", 400, answer, other, mode="negative")) == failures
    own = {**answer, "failedBets": [{**failed_bet, "reason": "too big"}]}      # and so is a wrong reason
    mixed = _schema_failures(400, own)
    assert [f.instance_path for f in not_echoed(mixed, exchange("bet-placement", 400, own, slip, mode="negative"))] \
        == [["failedBets", 0, "reason"]]


def test_a_framework_answers_a_request_no_api_reads_its_own_way():
    html = "<html><body><pre>SyntaxError: Unexpected end of JSON input</pre></body></html>"
    for text in ("{", None):                         # a body that is not JSON, no body at all
        ex = dataclasses.replace(negative("bet-placement", 400, html, None), request_text=text)
        assert negative_rejected(rule("BP-NEGATIVE"), ex) is None
        assert judge(rule("BP-ERROR-SHAPE"), ex) is NOT_APPLICABLE
        assert isinstance(judge(rule("BP-NO-5XX"), dataclasses.replace(ex, status=500, extra={})), RuleFailure)
    own = dataclasses.replace(negative("bet-placement", 422, {"status": "FAILURE", "errorCode": "MISSING_PARAMETER"},
                                       None), request_text="{")
    assert isinstance(judge(rule("BP-ERROR-SHAPE"), own), RuleFailure)      # the API's own answer is judged
    accepted = dataclasses.replace(negative("bet-placement", 200, {"status": "PLACED"}, None), request_text="{")
    assert_fails("BP-NEGATIVE", negative_rejected, accepted)              # taking it is still a failure
    readable = negative("bet-placement", 400, html, {**VALID_SLIP, "bets": "none"})
    readable = dataclasses.replace(readable, request_headers={"X-Idempotency-Key": "5b0f6f57-8a3c-4f7e-9d1e-2a6c4b8d0e11"})
    assert_fails("BP-NEGATIVE", negative_rejected, readable)              # JSON of the wrong kind: the API's to answer
    assert isinstance(judge(rule("BP-ERROR-SHAPE"), readable), RuleFailure)


def test_a_form_that_cannot_carry_the_orders_lines_is_not_a_realistic_valid_order():
    order = {"memberid": 7, "localtravelroutine": [{"totalAmt": 7}]}
    form = types.SimpleNamespace(media_type="application/x-www-form-urlencoded", body=order)
    assert form_drops_nesting(form)                       # Schemathesis would send only the line's keys
    assert not form_drops_nesting(types.SimpleNamespace(media_type="application/x-www-form-urlencoded",
                                                         body={"memberid": 7, "platform": "PC"}))
    assert not form_drops_nesting(types.SimpleNamespace(media_type="application/json", body=order))


def test_a_429_still_there_after_the_back_offs_is_no_answer_of_the_api():
    limited = negative("bet-placement", 429, {"error": "too many requests"}, {"no": "such fields"})
    for rule_id in ("BP-ERROR-SHAPE", "BP-NEGATIVE", "BP-SCHEMA"):
        assert judge(rule(rule_id), limited) is NOT_APPLICABLE
    assert judge(rule("BP-NO-5XX"), limited) is None


def _judged_as_sent(slug: str, status: int, content_type: str, body: dict) -> Any:
    """<P>-SCHEMA's verdict on one answer of ``slug``, through Schemathesis' checks as a run judges it."""
    operation = load_operation(slug)
    request = requests.Request("POST", f"http://target.test{operation.path}", json={}).prepare()
    reply = Reply(request=request, status=status, headers={"content-type": [content_type]},
                  content=json.dumps(body).encode())
    keyed = {"X-Idempotency-Key": "5b0f6f57-8a3c-4f7e-9d1e-2a6c4b8d0e11"}     # a slip the error table covers
    ex = dataclasses.replace(exchange(slug, status, body, headers=keyed), response_headers={"content-type": content_type})
    return judge(rule(f"{registry.get(slug).prefix}-SCHEMA"), ex, operation.Case(body={}), reply)


def test_schema_reads_a_json_body_as_json_where_the_seed_names_no_media_type():
    """The ticket pages name no media type: a JSON ticket labelled text/plain (net/http's guess) is
    judged by its body, which must still be the ticket; bet-placement's seed names application/json."""
    spec = registry.get("jackpot-ticket").spec_path
    ticket = spec_document(spec)["paths"]["/be/tickets"]["post"]["responses"]["200"]["content"]["application/json"][
        "examples"]["threeEvents"]["value"]
    assert _judged_as_sent("jackpot-ticket", 200, "text/plain; charset=utf-8", ticket) is None
    broken = _judged_as_sent("jackpot-ticket", 200, "text/plain; charset=utf-8", {**ticket, "price": "1000"})
    assert isinstance(broken, RuleFailure) and "\"1000\" is not of type \"integer\"" in broken.message
    refusal = _judged_as_sent("bet-placement", 400, "text/plain", {"status": "FAILURE", "errorCode": "INVALID_USER"})
    assert isinstance(refusal, RuleFailure) and "Content-Type" in refusal.message
    # a JSON type of the service's own is JSON too, where the pages name none
    for label in ("application/vnd.ticket-engine.v1+json", "application/hal+json; charset=utf-8"):
        assert _judged_as_sent("jackpot-ticket", 200, label, ticket) is None
    vendor = _judged_as_sent("bet-placement", 400, "application/vnd.bets+json", {"status": "FAILURE", "errorCode": "INVALID_USER"})
    assert isinstance(vendor, RuleFailure) and "Content-Type" in vendor.message


@pytest.mark.parametrize("body", [{"code": 112, "message": ["Operator with `site` name is not found"]},
                                  [{"code": 112, "message": "Operator with `site` name is not found"}],
                                  {"errors": [{"errorCode": "OPERATOR_NOT_FOUND"}]}])
def test_a_jackpot_400_is_any_json_with_an_error_code_the_page_lost_its_bodies(body):
    """The jackpot page lists 13 error responses without their bodies ("Please check error code in
    response body"): a message list, a list of errors, another key hold the code as well."""
    assert _judged_as_sent("jackpot-ticket", 400, "application/json", body) is None


@pytest.mark.parametrize("timestamp, valid", [("1640995200350", True), ("1640995200", True), ("1640995200.591", True),
                                              ("1796382725668452972", True), ("2024-12-23T14:51:37Z", False),
                                              ("", False)])
def test_a_placed_answers_timestamp_is_any_epoch_string(timestamp, valid):
    """"timestamp | String (epoch) | Response timestamp": no unit, so seconds to nanoseconds, and a fraction."""
    spec = registry.get("bet-placement").spec_path
    placed = spec_document(spec)["paths"]["/bet"]["post"]["responses"]["2XX"]["content"]["application/json"][
        "examples"]["placed"]["value"]
    assert (_schema_failures(200, {**placed, "timestamp": timestamp}) == []) is valid
