"""The travel-order checks (orderproof.apis.travel_order.checks): the envelope and its failure code on
hand-made answers; the media types, .NET dates and the local total against a small model of the
target, correct or with one named bug."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderproof.apis.travel_order.answers import outcome
from orderproof.apis.travel_order.checks import (
    dotnet_dates,
    to_dates,
    to_envelope,
    to_failure_code,
    to_local_total,
    to_media,
    to_media_form,
    to_rejection_style,
)
from orderproof.apis.travel_order.orders import fresh_identifiers, has_product_line
from orderproof.checks.base import NOT_APPLICABLE
from orderproof.checks.conventions import ConventionBook
from tests.apis.fakes import (
    FakeFlow,
    assert_fails,
    assert_flow_fails,
    exchange,
    rule,
    run_flow,
    travel,
)

# --- TO-ENVELOPE / TO-FAILURE-CODE ------------------------------------------------------------------------

TO_OK = {"data": {"docno": "D1", "orderno": "O1"}, "code": 100, "message": "success"}


def to(status, body):
    return exchange("travel-order", status, body)


def test_to_envelope():
    assert to_envelope(rule("TO-ENVELOPE"), to(200, TO_OK)) is None
    assert to_envelope(rule("TO-ENVELOPE"), to(200, TO_OK | {"message": None})) is None
    assert to_envelope(rule("TO-ENVELOPE"), to(400, {"data": None, "code": 101, "message": "invalid"})) is None
    assert to_envelope(rule("TO-ENVELOPE"), to(400, {"code": 101, "message": None})) is None        # nulls omitted
    assert to_envelope(rule("TO-ENVELOPE"), to(200, {"data": None, "code": 1, "message": "the sample's own code 1"})) \
        is None
    assert_fails("TO-ENVELOPE", to_envelope, to(200, {"data": {"docno": "D1"}, "code": 100, "message": "success"}))
    # the docno is the request's own document number: a .NET string member, which may be null or omitted
    for data in ({"docno": None, "orderno": "O1"}, {"orderno": "O1"}):
        assert to_envelope(rule("TO-ENVELOPE"), to(200, TO_OK | {"data": data})) is None
    for data in ({"docno": "D1", "orderno": None}, {"docno": 7, "orderno": "O1"}):
        assert_fails("TO-ENVELOPE", to_envelope, to(200, TO_OK | {"data": data}))
    # "code | integer": 100.0 is the integer 100 in JSON (and to TO-SCHEMA's JSON Schema); "100" is not
    whole = to(200, '{"data": {"docno": "D1", "orderno": "O1"}, "code": 100.0, "message": "success"}')
    assert to_envelope(rule("TO-ENVELOPE"), whole) is None and outcome(whole).accepted
    assert to_envelope(rule("TO-ENVELOPE"), to(400, '{"data": null, "code": 1.01E+2, "message": "x"}')) is None
    assert_fails("TO-ENVELOPE", to_envelope, to(200, TO_OK | {"code": "100"}))
    assert_fails("TO-ENVELOPE", to_envelope, to(400, '{"data": null, "code": 101.5, "message": "x"}'))
    assert_fails("TO-ENVELOPE", to_envelope, to(400, {"Message": "The request is invalid."}))
    assert "carries code 100" in assert_fails("TO-ENVELOPE", to_envelope, to(400, TO_OK)).message


def test_to_envelope_judges_answers_to_valid_orders_only():
    problem = {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.1", "title": "One or more validation errors "
               "occurred.", "status": 400, "errors": {"memberid": ["not an integer"]}}
    fastapi = {"detail": [{"loc": ["body", "memberid"], "msg": "Input should be a valid integer"}]}
    for status, body in ((400, problem), (422, fastapi), (400, "Bad Request")):
        assert to_envelope(rule("TO-ENVELOPE"), exchange("travel-order", status, body, mode="negative")) \
            is NOT_APPLICABLE
        edge = exchange("travel-order", status, body, mode="positive")       # an edge number: not realistic
        edge.extra["realistic"] = False
        assert to_envelope(rule("TO-ENVELOPE"), edge) is NOT_APPLICABLE
        realistic = exchange("travel-order", status, body, mode="positive")
        realistic.extra["realistic"] = True
        assert_fails("TO-ENVELOPE", to_envelope, realistic)
        assert_fails("TO-ENVELOPE", to_envelope, to(status, body))           # sent by a scenario


def test_to_envelope_leaves_a_framework_answer_to_a_form_to_to_media_form():
    unsupported = {"type": "https://tools.ietf.org/html/rfc9110#section-15.5.16", "title": "Unsupported Media Type",
                   "status": 415}
    form = "application/x-www-form-urlencoded"
    assert to_envelope(rule("TO-ENVELOPE"), exchange("travel-order", 415, unsupported, media_type=form)) \
        is NOT_APPLICABLE
    assert_fails("TO-ENVELOPE", to_envelope, exchange("travel-order", 415, unsupported))        # sent as JSON
    assert_fails("TO-ENVELOPE", to_envelope, exchange("travel-order", 200, "OK", media_type=form))  # not a refusal
    assert to_envelope(rule("TO-ENVELOPE"), exchange("travel-order", 200, TO_OK, media_type=form)) is None
    assert "carries code 100" in assert_fails(                  # an envelope answer to a form is judged
        "TO-ENVELOPE", to_envelope, exchange("travel-order", 400, TO_OK, media_type=form)).message


def test_refusals_of_valid_orders_at_200_and_at_400_in_one_run_warn_only_under_to_rejection_style():
    book = ConventionBook()
    business = to(200, {"data": None, "code": 102, "message": "unknown memberid"})
    unreadable = to(400, {"data": None, "code": 101, "message": "invalid request"})
    for ex in (business, unreadable):
        object.__setattr__(ex, "conventions", book)
        assert to_envelope(rule("TO-ENVELOPE"), ex) is None
    assert to_rejection_style(rule("TO-REJECTION-STYLE"), business) is None
    framework = exchange("travel-order", 400, {"data": None, "code": 400, "message": "bad json"}, mode="negative")
    object.__setattr__(framework, "conventions", book)       # a body sent as invalid: TO-NEGATIVE's
    assert to_rejection_style(rule("TO-REJECTION-STYLE"), framework) is NOT_APPLICABLE
    assert "http-200" in assert_fails("TO-REJECTION-STYLE", to_rejection_style, unreadable).message
    assert to_rejection_style(rule("TO-REJECTION-STYLE"), to(200, TO_OK)) is NOT_APPLICABLE


def test_to_failure_code():
    assert to_failure_code(rule("TO-FAILURE-CODE"), to(200, TO_OK)) is None
    assert to_failure_code(rule("TO-FAILURE-CODE"), to(400, {"data": None, "code": 101, "message": "x"})) is None
    assert "HTTP 400 says code 100" in assert_fails("TO-FAILURE-CODE", to_failure_code,
                                                    to(400, {"data": None, "code": 100, "message": "x"})).message
    assert_fails("TO-FAILURE-CODE", to_failure_code, to(200, {"data": None, "code": 100, "message": "success"}))
    assert to_failure_code(rule("TO-FAILURE-CODE"), to(400, "not json")) is NOT_APPLICABLE


# --- TO-MEDIA / TO-MEDIA-FORM / TO-DATES / TO-LOCAL-TOTAL (flows) -------------------------------------------


@given(dotnet_dates())
def test_dotnet_dates_carry_an_offset_and_1_to_7_fractional_digits(text):
    fraction, offset = text[20:-6], text[-6:]
    assert text[19] == "." and 1 <= len(fraction) <= 7 and fraction.isdigit()
    assert offset[0] in "+-" and offset[3] == ":"


def test_to_media_passes_and_fails_when_text_json_is_refused():
    run_flow("TO-MEDIA", to_media, travel())
    assert "text/json" in assert_flow_fails("TO-MEDIA", to_media, travel("json-only")).message


def test_to_media_form_sends_only_scalars_and_fails_when_forms_are_refused():
    seen = []

    def records(flow, request):
        seen.append(request)
        return travel()(flow, request)

    run_flow("TO-MEDIA-FORM", to_media_form, records, max_examples=3)
    assert {r.media_type for r in seen} == {"application/x-www-form-urlencoded", "application/json"}
    assert all(not isinstance(v, (dict, list)) for r in seen for v in r.body.values())
    assert_flow_fails("TO-MEDIA-FORM", to_media_form, travel("json-only"))


@given(st.data())
def test_an_order_refused_alike_in_both_media_types_says_why_the_comparison_does_not_apply(data):
    def nothing_ordered(flow, request):
        return 200, {"data": None, "code": 202, "message": "the order has no product"}

    flow = FakeFlow("travel-order", data, nothing_ordered, rule=rule("TO-MEDIA-FORM"))
    assert to_media_form(rule("TO-MEDIA-FORM"), flow) is NOT_APPLICABLE
    assert flow.why_not.startswith("the order got the same refusal each way (as a form, as JSON: HTTP 200")
    assert "202" in flow.why_not


def test_to_dates_passes_and_fails_when_7_digits_are_refused():
    run_flow("TO-DATES", to_dates, travel())
    failure = assert_flow_fails("TO-DATES", to_dates, travel("six-digits"))
    assert "createdate" in failure.message


def test_to_dates_takes_a_service_that_requires_fractional_seconds():
    """The samples show 7 and 6 fractional digits and never whole seconds: a service may refuse those."""
    run_flow("TO-DATES", to_dates, travel("fraction-required"))


@pytest.mark.parametrize("check, rule_id", [(to_media, "TO-MEDIA"), (to_dates, "TO-DATES")])
@pytest.mark.parametrize("guard", ["one-order-per-member", "one-order-per-products"])
def test_the_comparisons_take_a_service_that_refuses_a_repeated_order(check, rule_id, guard):
    """The page says nothing of repeats: each order of a comparison is a member's own, and a second
    order refused whose first form, sent again, is refused too shows a repeat guard, not a form refused."""
    run_flow(rule_id, check, travel(guard))


@given(st.data())
def test_the_comparisons_are_judged_against_a_company_repeat_guard(data):
    """Each order of a comparison is a member's own of a company of its own: a guard on a company's
    repeated products lets the comparison apply."""
    for check, rule_id in ((to_media, "TO-MEDIA"), (to_dates, "TO-DATES")):
        flow = FakeFlow("travel-order", data, travel("one-order-per-company"), rule=rule(rule_id))
        assert check(rule(rule_id), flow) is None


@pytest.mark.parametrize("check, rule_id", [(to_media, "TO-MEDIA"), (to_dates, "TO-DATES")])
def test_the_comparisons_give_every_order_identifiers_of_one_length(check, rule_id):
    """A service may limit a docno's length (a column of 20 characters): the orders of a comparison
    carry identifiers of one length, so the limit treats them alike."""
    run_flow(rule_id, check, travel("docno-20"), max_examples=40)


@pytest.mark.parametrize("check, rule_id, bug", [(to_media, "TO-MEDIA", "json-only"), (to_dates, "TO-DATES", "six-digits")])
def test_the_comparisons_still_fail_a_refused_form_behind_a_repeat_guard(check, rule_id, bug):
    assert_flow_fails(rule_id, check, travel(bug, "one-order-per-products"))


def test_to_local_total_takes_either_answer_one_way_and_fails_a_one_sided_check_or_a_pin():
    run_flow("TO-LOCAL-TOTAL", to_local_total, travel())                       # every mismatch refused
    run_flow("TO-LOCAL-TOTAL", to_local_total, travel("no-total-check"))       # every mismatch accepted
    failure = assert_flow_fails("TO-LOCAL-TOTAL", to_local_total, travel("overcharge-check-only"))
    assert "travel-order.local-total" in failure.message
    pinned = ConventionBook(pinned={"travel-order.local-total": "refuse"})
    with pytest.raises(Exception, match="pins refuse"):
        run_flow("TO-LOCAL-TOTAL", to_local_total, travel("no-total-check"), book=pinned)


# --- the orders the comparisons send ---------------------------------------------------------------------

ORDER_WITH_IDS = {"docno": "D-1", "platform": "PC", "currency": "HKD",
                  "farerouteing": [{"flightpnr": "ABC123", "adult": 1}], "couponinfos": [{"couponcode": "SAVE10"}],
                  "paymentinfo": {"paytranid": "TX-1", "payamt": 6}}


def test_fresh_identifiers_renew_every_identifying_string_and_nothing_else():
    ids = iter(range(1, 100))
    fresh = fresh_identifiers(ORDER_WITH_IDS, lambda: str(next(ids)))
    assert fresh["farerouteing"][0]["flightpnr"] not in ("ABC123", fresh["docno"])
    assert fresh["couponinfos"][0]["couponcode"] != "SAVE10" and fresh["paymentinfo"]["paytranid"] != "TX-1"
    assert (fresh["platform"], fresh["currency"], fresh["farerouteing"][0]["adult"]) == ("PC", "HKD", 1)


def refusing_repeats(flow, req):
    """A correct target that refuses an order repeating a docno, PNR, coupon or payment transaction
    of an earlier one (code 601), and an order with no product line (code 602)."""
    body = req.body
    seen = flow.__dict__.setdefault("seen_ids", set())
    if not has_product_line(body):
        return 200, {"data": None, "code": 602, "message": "nothing ordered"}
    ids = {str(body.get("docno"))} | {line.get("flightpnr") for line in body.get("farerouteing") or []} \
        | {coupon.get("couponcode") for coupon in body.get("couponinfos") or []} \
        | {(body.get("paymentinfo") or {}).get("paytranid")}
    ids.discard(None)
    if ids & seen:
        return 200, {"data": None, "code": 601, "message": "already ordered"}
    seen.update(ids)
    return travel()(flow, req)


def with_ids(flow_class_valid_body):
    def valid_body(self, player=None, **fixtures):
        return flow_class_valid_body(self, player, **fixtures) | {
            key: value for key, value in ORDER_WITH_IDS.items() if key not in ("docno",)}
    return valid_body


@pytest.mark.parametrize("check, rule_id", [(to_media, "TO-MEDIA"), (to_dates, "TO-DATES")])
def test_comparisons_send_no_identifier_twice_and_orders_with_a_product_line(monkeypatch, check, rule_id):
    """A service refusing a repeated PNR/coupon/payment (or an empty order) is judged on orders it
    accepts: the check passes and verifies (it is not left NOT_APPLICABLE)."""
    monkeypatch.setattr(FakeFlow, "valid_body", with_ids(FakeFlow.valid_body))
    run_flow(rule_id, check, refusing_repeats)
    verdicts = []
    run_flow(rule_id, lambda rule, flow: verdicts.append(check(rule, flow)), refusing_repeats, max_examples=5)
    assert verdicts and all(verdict is None for verdict in verdicts)
    bare = FakeFlow.valid_body                        # a generated order with no product line at all
    monkeypatch.setattr(FakeFlow, "valid_body", lambda self, player=None, **f: {
        k: v for k, v in bare(self, player, **f).items() if k != "localtravelroutine"})
    verdicts.clear()
    run_flow(rule_id, lambda rule, flow: verdicts.append(check(rule, flow)), refusing_repeats, max_examples=5)
    assert verdicts and all(verdict is None for verdict in verdicts)
