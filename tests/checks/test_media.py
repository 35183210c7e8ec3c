from hypothesis import given

from orderproof.checks.media import dotnet_dates, to_dates, to_local_total, to_media, to_media_form

from .conftest import assert_flow_fails, run_flow, travel

TO = "travel-order"


@given(dotnet_dates())
def test_dotnet_dates_carry_an_offset_and_1_to_7_fractional_digits(text):
    fraction, offset = text[20:-6], text[-6:]
    assert text[19] == "." and 1 <= len(fraction) <= 7 and fraction.isdigit()
    assert offset[0] in "+-" and offset[3] == ":"


def test_to_media_passes_and_fails_when_text_json_is_refused():
    run_flow(to_media, TO, travel())
    assert "text/json" in assert_flow_fails("TO-MEDIA", to_media, TO, travel("json-only")).message


def test_to_media_form_sends_only_scalars_and_fails_when_forms_are_refused():
    seen = []

    def records(flow, request):
        seen.append(request)
        return travel()(flow, request)

    run_flow(to_media_form, TO, records, max_examples=3)
    assert {r.media_type for r in seen} == {"application/x-www-form-urlencoded", "application/json"}
    assert all(not isinstance(v, (dict, list)) for r in seen for v in r.body.values())
    assert_flow_fails("TO-MEDIA-FORM", to_media_form, TO, travel("json-only"))


def test_to_dates_passes_and_fails_when_7_digits_are_refused():
    run_flow(to_dates, TO, travel())
    failure = assert_flow_fails("TO-DATES", to_dates, TO, travel("six-digits"))
    assert "createdate" in failure.message


def test_to_local_total_passes_and_fails_when_totals_are_not_checked():
    run_flow(to_local_total, TO, travel())
    assert "was accepted" in assert_flow_fails("TO-LOCAL-TOTAL", to_local_total, TO, travel("no-total-check")).message
