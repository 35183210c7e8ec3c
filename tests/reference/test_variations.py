"""The variation registry is consistent, create_app combines a fault and a variation, and each
variation really switches on its other (correct) behaviour: a direct test per variation against the
app. Whether the suite accepts each variation is the self-verification's business, elsewhere."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml

from orderproof import registry
from orderproof.reference import VARIATIONS, Variation, get_variation
from orderproof.reference.app import API_MODULES
from orderproof.reference.faults import FAULTS

from .conftest import (
    TRAVEL_PATH,
    bet_details,
    jackpot_request,
    loads,
    make_slip,
    seed_order,
    spec_validator,
    superbet_request,
)

TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def contract_rules(slug: str) -> dict[str, str]:
    """rule id -> level of contracts/<slug>.yaml."""
    rules = yaml.safe_load(registry.get(slug).contract_path.read_text(encoding="utf-8"))["rules"]
    return {rule["id"]: rule["level"] for rule in rules}


# --- the registry ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(VARIATIONS))
def test_every_variation_is_well_formed_and_starts(name, app_factory):
    variation = VARIATIONS[name]
    assert isinstance(variation, Variation) and variation.name == name
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert variation.apis and set(variation.apis) <= set(registry.slugs())
    assert variation.description and variation.patch
    should = {rule for slug in variation.apis for rule, level in contract_rules(slug).items() if level == "SHOULD"}
    assert set(variation.warns) <= should, f"{name}: warns names a rule that is not a SHOULD of its APIs"
    app = app_factory(variation=name)    # a patch naming an unknown behaviour would fail here
    assert app.state.variation == name and app.state.fault is None
    assert f"Variation switched on: {name}." in app.description
    for behaviour, function in variation.patch.items():
        assert getattr(app.state.behaviour, behaviour) is function


def test_every_behaviour_patched_by_a_variation_exists_and_keeps_the_api_prefix():
    declared = {name for module in API_MODULES for name in module.BEHAVIOUR}
    patched = {name for variation in VARIATIONS.values() for name in variation.patch}
    assert patched <= declared
    assert all(name.startswith(("bp_", "so_", "ticket_", "travel_")) for name in declared)


def test_variation_names_are_not_fault_names():
    assert not set(VARIATIONS) & set(FAULTS)


def test_the_variations_that_warn_are_these():
    assert {name: v.warns for name, v in VARIATIONS.items() if v.warns} == {
        "bp-key-any-string": ("BP-KEY-REQUIRED",),
        "bp-key-optional": ("BP-KEY-REQUIRED",),
        "bp-key-missing-own-code": ("BP-KEY-REQUIRED",),
        "bp-repeat-409": ("BP-IDEMPOTENT-REPLAY",),
        "jt-operator-from-header-only": ("JT-OPERATOR-HEADER", "JT-ERROR-CODES"),
        "so-balance-before": ("SO-BALANCE",),
        "to-json-only": ("TO-MEDIA-FORM",),
        "to-order-facts-required": ("TO-POSITIVE",),
    }


def test_every_variation_has_a_test_showing_its_behaviour():
    text = Path(__file__).read_text(encoding="utf-8")
    shown = set(re.findall(r'varied\(reference_factory, "([a-z0-9-]+)"\)', text))
    assert set(VARIATIONS) <= shown, sorted(set(VARIATIONS) - shown)


def test_an_unknown_variation_is_a_value_error_listing_the_known_ones(app_factory):
    with pytest.raises(ValueError, match="unknown variation 'no-such-choice'; known variations: .*so-reject-http-200"):
        app_factory(variation="no-such-choice")
    with pytest.raises(ValueError, match="known variations"):
        get_variation("")


@pytest.mark.parametrize("fault, variation, behaviour", [
    ("rejection-code-200", "so-own-codes", "so_rejection_code"),
    ("payout-float", "bp-payout-double", "bp_potential_payout"),
    ("session-token-any-user", "bp-session-refresh", "bp_session_lookup"),
])
def test_a_fault_and_a_variation_patching_the_same_behaviour_cannot_be_combined(app_factory, fault, variation,
                                                                                   behaviour):
    with pytest.raises(ValueError, match=f"fault '{fault}' and variation '{variation}' both patch the "
                                         f"behaviour\\(s\\) {behaviour}"):
        app_factory(fault=fault, variation=variation)


def test_a_fault_and_a_variation_on_other_behaviours_are_both_switched_on(reference_factory):
    ref = reference_factory(fault="ticket-id-precision", variation="so-ticket-id-string")
    assert (ref.app.state.fault, ref.app.state.variation) == ("ticket-id-precision", "so-ticket-id-string")
    assert "Fault switched on: ticket-id-precision. Variation switched on: so-ticket-id-string." in ref.app.description
    player = ref.player()
    data = ref.order(seed_order(player["customerToken"], ticketId="116295584494649345")).json()["data"]
    assert data["ticketId"] == "116295584494649344"      # the fault's double, written as the variation's string


def test_the_clean_reference_has_no_variation(ref):
    assert ref.app.state.variation is None and "No variation switched on." in ref.app.description


# --- sportsbook-order --------------------------------------------------------------------------------

def varied(reference_factory, name):
    return reference_factory(variation=name)


def test_so_reject_http_200(reference_factory):
    ref = varied(reference_factory, "so-reject-http-200")
    player = ref.player(balance="10.00")
    for order, code in ((seed_order("nobody"), 401), (seed_order(player["customerToken"], currency="EUR"), 400),
                        (seed_order(player["customerToken"]), 402)):
        response = ref.order(order)
        assert (response.status_code, response.json()["code"], response.json()["data"]) == (200, code, None)
    assert ref.snapshot(player["userId"])["balance"] == "10.00"
    rich = ref.player()
    assert ref.order(seed_order(rich["customerToken"], ticketId=5)).json()["code"] == 200


def test_so_ticket_id_sample_key(reference_factory):
    ref = varied(reference_factory, "so-ticket-id-sample-key")
    player = ref.player()
    data = loads(ref.order(seed_order(player["customerToken"])).content)["data"]
    assert data["ticketID"] == 116295584494649344 and "ticketId" not in data
    spec_validator("sportsbook-order", "OrderData").validate(data)


def test_so_ticket_id_string(reference_factory):
    ref = varied(reference_factory, "so-ticket-id-string")
    player = ref.player()
    for sent in ("116295584494649344", 116295584494649345):
        data = loads(ref.order(seed_order(player["customerToken"], ticketId=sent)).content)["data"]
        assert data["ticketId"] == str(sent)
        spec_validator("sportsbook-order", "OrderData").validate(data)


def test_so_own_codes(reference_factory):
    ref = varied(reference_factory, "so-own-codes")
    player = ref.player(balance="10.00")
    answers = [ref.order(order) for order in (seed_order(player["customerToken"], currency="EUR"),
                                              seed_order("nobody"), seed_order(player["customerToken"]))]
    assert [(r.status_code, r.json()["code"], r.json()["msg"]) for r in answers] == [
        (400, 1001, "parameter error"), (400, 1002, "token invalid or expired"), (400, 1003, "balance not enough")]


def test_so_repeat_refused(reference_factory):
    ref = varied(reference_factory, "so-repeat-refused")
    player = ref.player()
    order = seed_order(player["customerToken"])
    assert ref.order(order).json()["code"] == 200
    after_first = ref.snapshot(player["userId"])
    repeat = ref.order(order)
    assert (repeat.status_code, repeat.json()) == (400, {"code": 409, "msg": "duplicate ticket", "data": None})
    snapshot = ref.snapshot(player["userId"])
    assert (snapshot["balance"], snapshot["orders"]) == (after_first["balance"], after_first["orders"])


def test_so_rejection_no_data(reference_factory):
    ref = varied(reference_factory, "so-rejection-no-data")
    response = ref.order(seed_order("nobody"))
    assert (response.status_code, response.json()) == (400, {"code": 401, "msg": "unknown customerToken"})
    player = ref.player()
    assert "data" in ref.order(seed_order(player["customerToken"])).json()


def test_so_unknown_token_401(reference_factory):
    ref = varied(reference_factory, "so-unknown-token-401")
    response = ref.order(seed_order("nobody"))
    assert (response.status_code, response.json()["code"], response.json()["data"]) == (401, 401, None)
    player = ref.player(balance="1.00")
    assert ref.order(seed_order(player["customerToken"])).status_code == 400   # the other rejections


def test_so_ticket_id_as_sent(reference_factory):
    ref = varied(reference_factory, "so-ticket-id-as-sent")
    player = ref.player()
    for sent in ("116295584494649344", 116295584494649345):
        data = loads(ref.order(seed_order(player["customerToken"], ticketId=sent)).content)["data"]
        assert data["ticketId"] == sent
        spec_validator("sportsbook-order", "OrderData").validate(data)


def test_so_ticket_id_safe_integer(reference_factory):
    ref = varied(reference_factory, "so-ticket-id-safe-integer")
    player = ref.player()
    for sent, answered in (("116295584494649344", "116295584494649344"), (2**53, 2**53), ("42", 42)):
        data = loads(ref.order(seed_order(player["customerToken"], ticketId=sent)).content)["data"]
        assert data["ticketId"] == answered
        spec_validator("sportsbook-order", "OrderData").validate(data)


def test_so_invalid_body_http_200(reference_factory):
    ref = varied(reference_factory, "so-invalid-body-http-200")
    player = ref.player(balance="10.00")
    response = ref.order(seed_order(player["customerToken"], currency="EUR"))
    assert (response.status_code, response.json()["code"]) == (200, 400)
    assert ref.order(seed_order("nobody")).status_code == 400   # a refused well-formed order keeps HTTP 400
    assert ref.order(seed_order(player["customerToken"])).status_code == 400


def test_so_success_201(reference_factory):
    ref = varied(reference_factory, "so-success-201")
    player = ref.player()
    order = seed_order(player["customerToken"])
    first, repeat = ref.order(order), ref.order(order)
    assert (first.status_code, first.json()["code"]) == (201, 200)
    assert (repeat.status_code, repeat.content) == (201, first.content)
    assert ref.order(seed_order("nobody")).status_code == 400


def test_so_order_time_string(reference_factory):
    ref = varied(reference_factory, "so-order-time-string")
    player = ref.player()
    data = loads(ref.order(seed_order(player["customerToken"])).content)["data"]
    assert isinstance(data["orderTime"], str) and data["orderTime"].isdigit()
    spec_validator("sportsbook-order", "OrderData").validate(data)


def test_so_balance_before(reference_factory):
    ref = varied(reference_factory, "so-balance-before")
    player = ref.player(balance="400.00")
    data = ref.order(seed_order(player["customerToken"])).json()["data"]
    assert (data["amount"], data["balance"]) == (100, 400)                 # the balance before the order
    assert ref.snapshot(player["userId"])["balance"] == "300.00"          # which it debited


def test_so_sample_defaults(reference_factory):
    ref = varied(reference_factory, "so-sample-defaults")
    player = ref.player()
    order = seed_order(player["customerToken"])
    order.pop("currency")
    order["betList"] = [{key: value for key, value in bet.items() if key not in ("num", "cnt", "comboId")}
                        for bet in order["betList"]]
    assert ref.order(order).json()["code"] == 200                 # as the seed's own request sample
    clean = reference_factory()
    order["customerToken"] = clean.player()["customerToken"]
    refused = clean.order(order).json()                           # the reference itself asks for them
    assert refused["code"] == 400 and "missing required field" in refused["msg"]
    assert ref.order(seed_order(player["customerToken"], betList="none")).json()["code"] == 400


def test_so_own_ticket_id(reference_factory):
    ref = varied(reference_factory, "so-own-ticket-id")
    player = ref.player()
    data = ref.order(seed_order(player["customerToken"], ticketId=116295584494649344)).json()["data"]
    assert data["ticketId"] != 116295584494649344 and len(str(data["ticketId"])) == 18


def test_so_ticket_id_unbounded(reference_factory):
    ref = varied(reference_factory, "so-ticket-id-unbounded")
    player = ref.player()
    for sent in (2**63 + 1, "92233720368547758090"):
        answer = ref.order(seed_order(player["customerToken"], ticketId=sent)).json()
        assert answer["code"] == 200 and answer["data"]["ticketId"] == str(sent), answer
    assert ref.order(seed_order(player["customerToken"], ticketId=7)).json()["data"]["ticketId"] == "7"
    clean = reference_factory()
    refused = clean.order(seed_order(clean.player()["customerToken"], ticketId=2**63 + 1)).json()
    assert refused["code"] != 200                                       # the reference itself takes a long


def test_so_unknown_members_refused(reference_factory):
    ref = varied(reference_factory, "so-unknown-members-refused")
    player = ref.player()
    for order in (seed_order(player["customerToken"]) | {"extra": 1},
                  seed_order(player["customerToken"], betList=[{**seed_order("x")["betList"][0], "note": "x"}])):
        refused = ref.order(order)
        assert refused.status_code == 400 and refused.json()["error"] == "Bad Request" and "code" not in refused.json()
    assert ref.order(seed_order(player["customerToken"])).json()["code"] == 200
    assert ref.snapshot(player["userId"])["orders"][0]["amount"] and len(ref.snapshot(player["userId"])["orders"]) == 1
    unknown = ref.order(seed_order("nobody")).json()                  # other refusals keep the envelope
    assert unknown["code"] != 200 and "msg" in unknown


# --- travel-order ------------------------------------------------------------------------------------

UNKNOWN_MEMBER = {"memberid": 999_999_999}
BAD_TOTAL = {"localtravelroutine": [{"totalAmt": Decimal("1"),
                                     "localTravelDetails": [{"price": Decimal("7.0"), "quantity": 9}]}]}


def member(ref) -> dict:
    return {"memberid": int(ref.player()["memberid"])}


def test_to_reject_http_200(reference_factory):
    ref = varied(reference_factory, "to-reject-http-200")
    for order, code in ((UNKNOWN_MEMBER, 102), ({"memberid": "x"}, 101), (BAD_TOTAL, 103)):
        response = ref.travel(order)
        assert (response.status_code, response.json()["code"], response.json()["data"]) == (200, code, None)
    assert ref.travel(member(ref)).json()["code"] == 100


def test_to_message_null(reference_factory):
    ref = varied(reference_factory, "to-message-null")
    success, refusal = ref.travel(member(ref)), ref.travel(UNKNOWN_MEMBER)
    assert (success.status_code, success.json()["code"], success.json()["message"]) == (200, 100, None)
    assert (refusal.status_code, refusal.json()) == (400, {"data": None, "code": 102, "message": None})


def test_to_own_codes(reference_factory):
    ref = varied(reference_factory, "to-own-codes")
    answers = [ref.travel(order) for order in ({"memberid": "x"}, UNKNOWN_MEMBER, BAD_TOTAL)]
    assert [(r.status_code, r.json()["code"]) for r in answers] == [(400, -1), (400, 500), (400, 501)]
    assert ref.travel(member(ref)).json()["code"] == 100


def test_to_local_total_computed(reference_factory):
    ref = varied(reference_factory, "to-local-total-computed")
    answer = ref.travel(member(ref) | BAD_TOTAL)
    assert (answer.status_code, answer.json()["code"]) == (200, 100)


def test_to_omit_nulls(reference_factory):
    ref = varied(reference_factory, "to-omit-nulls")
    refusal = ref.travel(UNKNOWN_MEMBER)
    assert refusal.status_code == 400 and refusal.json() == {"code": 102, "message": "unknown memberid 999999999"}
    success = ref.travel(member(ref)).json()
    assert success["code"] == 100 and set(success["data"]) == {"docno", "orderno"}


def test_to_server_docno(reference_factory):
    ref = varied(reference_factory, "to-server-docno")
    first, second = (ref.travel(member(ref) | {"docno": "MY-DOC-1"}).json()["data"] for _ in range(2))
    assert first["docno"] != "MY-DOC-1" and second["docno"] != "MY-DOC-1" and first["docno"] != second["docno"]
    assert first["orderno"].isdigit() and int(second["orderno"]) == int(first["orderno"]) + 1
    assert ref.snapshot(ref.player()["userId"])["travel_orders"] == []


def test_to_repeat_refused(reference_factory):
    ref = varied(reference_factory, "to-repeat-refused")
    booked = member(ref) | {"farerouteing": [{"flightpnr": "ABC123"}], "couponinfos": [{"couponcode": "SAVE10"}]}
    assert ref.travel(booked).json()["code"] == 100
    for again in (booked, member(ref) | {"couponinfos": [{"couponcode": "SAVE10"}]},
                  member(ref) | {"farerouteing": [{"flightpnr": "ABC123"}]}):
        answer = ref.travel(again)
        assert (answer.status_code, answer.json()["code"]) == (400, 601), answer.text
    assert ref.travel(member(ref) | {"farerouteing": [{"flightpnr": "XYZ789"}]}).json()["code"] == 100


def test_to_fraction_required(reference_factory):
    ref = varied(reference_factory, "to-fraction-required")
    assert ref.travel(member(ref) | {"createdate": "2024-12-23T14:51:37+08:00"}).json()["code"] == 101
    for date in ("2024-12-23T14:51:37.2652335+08:00", "2024-12-23T14:51:37.249611+08:00"):
        assert ref.travel(member(ref) | {"createdate": date}).json()["code"] == 100, date


def test_to_one_order_per_member(reference_factory):
    ref = varied(reference_factory, "to-one-order-per-member")
    line = {"localtravelroutine": [{"totalAmt": Decimal("14.0"), "localTravelDetails": [
        {"skuName": "city tour", "price": Decimal("7.0"), "quantity": 2}]}]}
    first = member(ref)
    assert ref.travel(first | line | {"docno": "D-1"}).json()["code"] == 100
    again = ref.travel(first | line | {"docno": "D-2"})
    assert (again.status_code, again.json()["code"]) == (400, 106)
    assert ref.travel(member(ref) | line | {"docno": "D-3"}).json()["code"] == 100      # another member's


def test_to_reject_mixed(reference_factory):
    ref = varied(reference_factory, "to-reject-mixed")
    answers = [ref.travel(order) for order in ({"memberid": "x"}, UNKNOWN_MEMBER, BAD_TOTAL)]
    assert [(r.status_code, r.json()["code"]) for r in answers] == [(400, 101), (200, 102), (200, 103)]
    assert ref.travel(member(ref)).json()["code"] == 100


def test_to_invalid_problem_details(reference_factory):
    ref = varied(reference_factory, "to-invalid-problem-details")
    invalid = ref.travel({"memberid": "x"})
    assert invalid.status_code == 400 and invalid.headers["content-type"] == "application/problem+json"
    assert invalid.json()["title"] == "One or more validation errors occurred." and "code" not in invalid.json()
    refusal = ref.travel(UNKNOWN_MEMBER)
    assert (refusal.status_code, refusal.json()["code"]) == (400, 102)
    assert ref.travel(member(ref)).json()["code"] == 100


def test_to_total_validation_problem(reference_factory):
    ref = varied(reference_factory, "to-total-validation-problem")
    refused = ref.travel(member(ref) | BAD_TOTAL)
    assert refused.status_code == 400 and refused.headers["content-type"] == "application/problem+json"
    assert "totalAmt" in refused.text and "code" not in refused.json()
    good = {"localtravelroutine": [{"totalAmt": 63, "localTravelDetails": [{"price": 7, "quantity": 9}]}]}
    assert ref.travel(member(ref) | good).json()["code"] == 100


def test_to_docno_null(reference_factory):
    ref = varied(reference_factory, "to-docno-null")
    data = ref.travel(member(ref) | {"docno": "D-7"}).json()["data"]
    assert data["docno"] is None and data["orderno"]


def test_to_companies_registered(reference_factory):
    ref = varied(reference_factory, "to-companies-registered")
    refused = ref.travel(member(ref) | {"companyid": "OP1234567890123456"})
    assert (refused.status_code, refused.json()["code"]) == (400, 107), refused.text
    assert ref.travel(member(ref)).json()["code"] == 100


def test_to_order_facts_required(reference_factory):
    ref = varied(reference_factory, "to-order-facts-required")
    facts = {"contactinfo": [{"lastname": "Chan", "email": "traveller@example.com"}], "currency": "HKD",
             "createdate": "2024-12-23T14:51:37.2652335+08:00"}
    for lacking in ("contactinfo", "currency", "createdate"):
        refused = ref.travel(member(ref) | {key: value for key, value in facts.items() if key != lacking})
        assert (refused.status_code, refused.json()["code"]) == (400, 108), refused.text
    assert ref.travel(member(ref) | facts | {"contactinfo": [{"lastname": "Chan"}]}).json()["code"] == 108
    assert ref.travel(member(ref) | facts).json()["code"] == 100


def test_to_createdate_recent(reference_factory):
    ref = varied(reference_factory, "to-createdate-recent")
    now = datetime.now(timezone(timedelta(hours=8)))
    for stale in ("2024-12-23T14:51:37.2652335+08:00", f"{now + timedelta(days=2):%Y-%m-%dT%H:%M:%S}.2652335+08:00"):
        refused = ref.travel(member(ref) | {"createdate": stale})
        assert (refused.status_code, refused.json()["code"]) == (400, 106), refused.text
    recent = f"{now - timedelta(minutes=1):%Y-%m-%dT%H:%M:%S}.2652335+08:00"
    assert ref.travel(member(ref) | {"createdate": recent}).json()["code"] == 100
    assert ref.travel(member(ref)).json()["code"] == 100


def test_to_unknown_members_refused(reference_factory):
    ref = varied(reference_factory, "to-unknown-members-refused")
    order = member(ref)
    nested = order | {"localtravelroutine": [{"totalAmt": 63, "localTravelDetails": [{"price": 7, "quantity": 9, "note": "x"}]}]}
    for extra in (order | {"extra": 1}, nested):
        refused = ref.travel(extra)
        assert refused.status_code == 400 and refused.headers["content-type"] == "application/problem+json"
        assert "unknown member" in refused.text and "code" not in refused.json()
    assert ref.travel(order).json()["code"] == 100
    assert (ref.travel(UNKNOWN_MEMBER).json()["code"]) == 102           # business refusals keep the envelope


def test_to_dotnet_dates(reference_factory):
    ref = varied(reference_factory, "to-dotnet-dates")
    for date in ("2024-12-23T14:51:37.2652335+14:30", "0001-01-01T03:00:00+08:00", "9999-12-31T23:00:00-05:00"):
        refused = ref.travel(member(ref) | {"createdate": date})
        assert refused.status_code == 400 and refused.headers["content-type"] == "application/problem+json", date
    for date in ("2024-12-23T14:51:37.2652335+14:00", "0001-01-01T03:00:00+00:00", "2024-12-23T14:51:37-12:00"):
        assert ref.travel(member(ref) | {"createdate": date}).json()["code"] == 100, date
    clean = reference_factory()          # the reference itself takes any offset within 24 h
    assert clean.travel(member(clean) | {"createdate": "2024-12-23T14:51:37+14:30"}).json()["code"] == 100


def test_to_json_only(reference_factory):
    ref = varied(reference_factory, "to-json-only")
    form = ref.client.post(TRAVEL_PATH, content=urlencode({"memberid": member(ref)["memberid"], "docno": "D-1"}),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 415 and form.headers["content-type"] == "application/problem+json"
    assert form.json()["title"] == "Unsupported Media Type" and "code" not in form.json()
    invalid = ref.travel({"memberid": "x"})
    assert invalid.status_code == 400 and invalid.headers["content-type"] == "application/problem+json"
    for media_type in ("application/json", "text/json"):
        assert ref.travel(member(ref), content_type=media_type).json()["code"] == 100


# --- the ticket engine ---------------------------------------------------------------------------------

def ticket_scene(ref, **player_params):
    player = ref.player(**player_params)
    return player, ref.state("a jackpot betcard exists"), ref.state("an event exists")


def test_ticket_403_empty(reference_factory):
    ref = varied(reference_factory, "ticket-403-empty")
    player, betcard, event = ticket_scene(ref)
    for response in (ref.jackpot(player, jackpot_request(player, betcard), secret="wrong"),
                     ref.superbet(player, superbet_request(player, event, token="nobody"))):
        assert (response.status_code, response.content) == (403, b"")
    assert ref.snapshot(player["userId"])["tickets"] == []


def test_ticket_unreadable_html_400(reference_factory):
    ref = varied(reference_factory, "ticket-unreadable-html-400")
    player, betcard, event = ticket_scene(ref)
    for response in (ref.jackpot(player, None, raw=b"{"), ref.superbet(player, None, raw=b"")):
        assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
        assert b"SyntaxError" in response.content
    body = jackpot_request(player, betcard)
    del body["currency"]
    assert ref.jackpot(player, body).status_code == 422              # a readable body: the API's own 422
    assert ref.snapshot(player["userId"])["tickets"] == []


def test_ticket_422_own_body(reference_factory):
    ref = varied(reference_factory, "ticket-422-own-body")
    player, betcard, event = ticket_scene(ref)
    body = jackpot_request(player, betcard)
    del body["currency"]
    response = ref.jackpot(player, body)
    assert response.status_code == 422
    answer = response.json()
    assert set(answer) == {"code", "message"} and answer["code"] == 422
    assert answer["message"].startswith("Validation error: body/currency")
    reservation = ref.superbet(player, superbet_request(player, event, price="x"))
    assert reservation.status_code == 422 and reservation.json()["code"] == 422


def test_ticket_bets_first(reference_factory):
    ref = varied(reference_factory, "ticket-bets-first")
    player, betcard, event = ticket_scene(ref)
    events = jackpot_request(player, betcard)["events"]
    events[0]["id"] = 2_000_000_001
    for response in (ref.jackpot(player, jackpot_request(player, betcard, events=events)),
                     ref.superbet(player, superbet_request(player, event) | {"event": 2_000_000_001})):
        assert (response.status_code, response.json()["code"]) == (400, 106)      # the reference: 103
    assert ref.superbet(player, superbet_request(player, event)).status_code == 200


def test_jt_odds_rounded_up(reference_factory):
    ref = varied(reference_factory, "jt-odds-rounded-up")
    player, betcard, _ = ticket_scene(ref)
    assert '"odds":6.34,' in ref.jackpot(player, jackpot_request(player, betcard)).text    # 1.85 ** 3 = 6.331625


def test_ticket_type_ignored(reference_factory):
    ref = varied(reference_factory, "ticket-type-ignored")
    player, betcard, event = ticket_scene(ref)
    for response, kind in ((ref.jackpot(player, jackpot_request(player, betcard, type={})), "jackpot"),
                           (ref.superbet(player, superbet_request(player, event, type=[None])), "superbet")):
        assert response.status_code == 200 and response.json()["type"] == kind


def test_ticket_atag_not_kept(reference_factory):
    ref = varied(reference_factory, "ticket-atag-not-kept")
    player, betcard, event = ticket_scene(ref)
    for response in (ref.jackpot(player, jackpot_request(player, betcard)), ref.superbet(player, superbet_request(player, event))):
        assert response.status_code == 200 and response.json()["atag"] is None


def test_ticket_currency_from_wallet(reference_factory):
    ref = varied(reference_factory, "ticket-currency-from-wallet")
    player, betcard, event = ticket_scene(ref, currency="KES")
    for response in (ref.jackpot(player, jackpot_request(player, betcard, currency={})),
                     ref.superbet(player, superbet_request(player, event, currency="EUR"))):
        assert response.status_code == 200 and response.json()["currency"] == "KES", response.text


def test_ticket_strict_values(reference_factory):
    ref = varied(reference_factory, "ticket-strict-values")
    player, betcard, event = ticket_scene(ref)
    for changes in ({"source": "sms"}, {"atag": "\u00ae affiliate"}, {"atag": "a" * 65}, {"price": 10_001}):
        for response in (ref.jackpot(player, jackpot_request(player, betcard, **changes)),
                         ref.superbet(player, superbet_request(player, event, **changes))):
            assert response.status_code == 422, response.text
    long_name = "orderproof-unknown-85c10699"               # an operator's name of 27 characters
    refused = ref.superbet(player, superbet_request(player, event, operator=long_name), operator=long_name)
    assert refused.status_code == 422 and "operator-name" in refused.text, refused.text
    for changes in ({"source": "mobile", "atag": "affiliate-1"}, {"source": "desktop", "atag": "atag_value"}):
        for response in (ref.jackpot(player, jackpot_request(player, betcard, **changes)),
                         ref.superbet(player, superbet_request(player, event, **changes))):
            assert response.status_code == 200, response.text


def test_ticket_signature_upper_hex(reference_factory):
    ref = varied(reference_factory, "ticket-signature-upper-hex")
    player, betcard, event = ticket_scene(ref)
    for form, status in (("lower-case hex", 403), ("upper-case hex", 200)):
        assert ref.superbet(player, superbet_request(player, event), form=form).status_code == status
        assert ref.jackpot(player, jackpot_request(player, betcard), form=form).status_code == status


def test_jt_operator_from_header_only(reference_factory):
    ref = varied(reference_factory, "jt-operator-from-header-only")
    player, betcard, event = ticket_scene(ref)
    for operator in ([None, None], "someone-else"):
        response = ref.jackpot(player, jackpot_request(player, betcard, operator=operator))
        assert response.status_code == 200, response.text
    other = ref.superbet(player, superbet_request(player, event, operator="someone-else"))
    assert (other.status_code, other.json()["code"]) == (400, 115)        # the superbet page's 115 still holds


def test_ticket_operator_from_header(reference_factory):
    ref = varied(reference_factory, "ticket-operator-from-header")
    player, betcard, event = ticket_scene(ref)
    jackpot = {k: v for k, v in jackpot_request(player, betcard).items() if k != "operator"}
    superbet = {k: v for k, v in superbet_request(player, event).items() if k != "operator"}
    for response in (ref.jackpot(player, jackpot), ref.superbet(player, superbet)):
        assert response.status_code == 200, response.text
    assert len(ref.snapshot(player["userId"])["tickets"]) == 2
    other = ref.superbet(player, superbet_request(player, event, operator="someone-else"))
    assert (other.status_code, other.json()["code"]) == (400, 115)      # a body's operator must still agree


def test_ticket_json_as_text_plain(reference_factory):
    ref = varied(reference_factory, "ticket-json-as-text-plain")
    player, betcard, event = ticket_scene(ref)
    ticket = ref.jackpot(player, jackpot_request(player, betcard))
    refused = ref.superbet(player, superbet_request(player, event) | {"event": 2_000_000_001})
    for response, status in ((ticket, 200), (refused, 400)):
        assert response.status_code == status and response.headers["content-type"] == "text/plain; charset=utf-8"
    assert ticket.json()["type"] == "jackpot" and refused.json()["code"] == 103


def test_ticket_400_problem_json(reference_factory):
    ref = varied(reference_factory, "ticket-400-problem-json")
    player, _, event = ticket_scene(ref)
    response = ref.superbet(player, superbet_request(player, event) | {"event": 2_000_000_001})
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == 103


def test_ticket_signature_first(reference_factory):
    ref = varied(reference_factory, "ticket-signature-first")
    player, betcard, event = ticket_scene(ref)
    name = f"unknown-{uuid.uuid4().hex[:8]}"
    for response in (ref.jackpot(player, jackpot_request(player, betcard, operator=name), operator=name),
                     ref.superbet(player, superbet_request(player, event, operator=name), operator=name)):
        assert response.status_code == 403                 # the reference: 400 code 112
    assert ref.jackpot(player, jackpot_request(player, betcard), secret="wrong").status_code == 403
    other = ref.state("an operator exists")                # a header naming another operator: still 115 first
    response = ref.jackpot(player, jackpot_request(player, betcard), operator=other["name"], secret=other["secret"])
    assert (response.status_code, response.json()["code"]) == (400, 115)
    assert ref.jackpot(player, jackpot_request(player, betcard)).status_code == 200


def test_jt_odds_current(reference_factory):
    ref = varied(reference_factory, "jt-odds-current")
    player, betcard, _ = ticket_scene(ref)
    body = jackpot_request(player, betcard, odds_diff=Decimal("0.10"))
    body["events"][0]["odds"] = Decimal("1.90")            # current 1.85, within odds_diff
    ticket = loads(ref.jackpot(player, body).content)
    current = Decimal("1.85") ** 3
    assert ticket["odds"] == current                       # not 1.90 x 1.85 x 1.85
    assert ticket["gross_payout"] == int((ticket["stake"] * current).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert ticket["net_payout"] == ticket["gross_payout"] - ticket["wht_amount"]


def test_jt_gross_zero(reference_factory):
    ref = varied(reference_factory, "jt-gross-zero")
    player, betcard, _ = ticket_scene(ref)
    ticket = ref.jackpot(player, jackpot_request(player, betcard)).json()
    assert (ticket["gross_payout"], ticket["wht_amount"], ticket["net_payout"]) == (0, 0, 0)
    assert (ticket["stake"], ticket["ext_amount"]) == (889, 111)
    stored = ref.snapshot(player["userId"])["tickets"][0]
    assert (stored["gross_payout"], stored["wht_amount"], stored["net_payout"]) == (0, 0, 0)


def test_jt_gross_prize(reference_factory):
    ref = varied(reference_factory, "jt-gross-prize")
    player, betcard, _ = ticket_scene(ref)
    ticket = ref.jackpot(player, jackpot_request(player, betcard, prize=1_000_000)).json()
    wht = int((Decimal(1_000_000 - 889) * 20 / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert (ticket["gross_payout"], ticket["wht_amount"], ticket["net_payout"]) == (1_000_000, wht, 1_000_000 - wht)
    small = ref.jackpot(player, jackpot_request(player, betcard, prize=500)).json()   # a prize below the stake
    assert (small["gross_payout"], small["wht_amount"], small["net_payout"]) == (500, 0, 500)


def test_jt_odds_rounded(reference_factory):
    ref = varied(reference_factory, "jt-odds-rounded")
    player, betcard, _ = ticket_scene(ref)
    response = ref.jackpot(player, jackpot_request(player, betcard))    # 1.85 ** 3 = 6.331625
    assert '"odds":6.33,' in response.text
    assert response.json()["gross_payout"] == 5629                      # 889 x 6.331625, not 889 x 6.33
    body = jackpot_request(player, betcard)
    for event, odds in zip(body["events"], ("1.85", "1.85", "1.00")):  # 3.4225 -> 3.42 (half even)
        event["odds"] = Decimal(odds)
    body["odds_diff"] = Decimal("0.85")
    assert '"odds":3.42,' in ref.jackpot(player, body).text


def _moved(ref, player, betcard, odds: str, odds_diff: str = "0.10"):
    body = jackpot_request(player, betcard, odds_diff=Decimal(odds_diff))
    body["events"][0]["odds"] = Decimal(odds)             # current 1.85
    return ref.jackpot(player, body).status_code


def test_jt_odds_diff_float(reference_factory):
    ref = varied(reference_factory, "jt-odds-diff-float")
    player, betcard, _ = ticket_scene(ref)
    assert _moved(ref, player, betcard, "1.75") == 400    # abs(1.75 - 1.85) is 0.10000000000000009 in doubles
    assert _moved(ref, player, betcard, "1.95") == 200    # and abs(1.95 - 1.85) 0.09999999999999987
    assert _moved(ref, player, betcard, "1.76") == 200
    assert _moved(ref, player, betcard, "1.85", odds_diff="0") == 200


def test_jt_odds_diff_relative(reference_factory):
    ref = varied(reference_factory, "jt-odds-diff-relative")
    player, betcard, _ = ticket_scene(ref)
    assert _moved(ref, player, betcard, "2.05") == 200    # 0.20 / 2.05 = 0.098
    assert _moved(ref, player, betcard, "1.66") == 400    # 0.19 / 1.66 = 0.114
    assert _moved(ref, player, betcard, "1.86", odds_diff="0") == 400


def test_jt_odds_diff_percent(reference_factory):
    ref = varied(reference_factory, "jt-odds-diff-percent")
    player, betcard, _ = ticket_scene(ref)
    assert _moved(ref, player, betcard, "1.94", odds_diff="5") == 200    # 0.09 / 1.94 = 4.6 %
    assert _moved(ref, player, betcard, "1.95", odds_diff="5") == 400    # 0.10 / 1.95 = 5.1 %
    assert _moved(ref, player, betcard, "1.86", odds_diff="0.10") == 400  # 0.01 / 1.86 = 0.54 % > 0.10 %
    assert _moved(ref, player, betcard, "1.85", odds_diff="0") == 200


def test_jt_odds_stepwise(reference_factory):
    ref = varied(reference_factory, "jt-odds-stepwise")
    player, betcard, _ = ticket_scene(ref)
    response = ref.jackpot(player, jackpot_request(player, betcard))    # 1.85 x 1.85 = 3.42(25), x 1.85 = 6.32(7)
    assert '"odds":6.32,' in response.text
    assert response.json()["gross_payout"] == 5618                      # 889 x 6.32 = 5618.48


def operator_time_shifts(ref, player, betcard, event) -> list[timedelta]:
    """operator_time_created - created of a jackpot ticket and a superbet reservation."""
    shifts = []
    for response in (ref.jackpot(player, jackpot_request(player, betcard)),
                     ref.superbet(player, superbet_request(player, event))):
        ticket = response.json()
        shifts.append(datetime.strptime(ticket["operator_time_created"], TIME_FORMAT)
                      - datetime.strptime(ticket["created"], TIME_FORMAT))
    return shifts


def test_ticket_operator_times_read_again(reference_factory):
    ref = varied(reference_factory, "ticket-operator-times-read-again")
    assert operator_time_shifts(ref, *ticket_scene(ref)) == [timedelta(hours=2, microseconds=137)] * 2


def test_jt_own_error_codes(reference_factory):
    ref = varied(reference_factory, "jt-own-error-codes")
    player, betcard, _ = ticket_scene(ref)
    unknown = ref.jackpot(player, jackpot_request(player, betcard, betcard_code="NO-SUCH-CARD"))
    body = jackpot_request(player, betcard)
    body["events"][1]["odds"] = Decimal("2.00")
    moved = ref.jackpot(player, body)
    assert (unknown.status_code, unknown.json()["code"]) == (400, 102)
    assert (moved.status_code, moved.json()) == (400, {"code": 108, "message": "Ticket odds changed"})
    assert ref.snapshot(player["userId"])["tickets"] == []


def test_ticket_operator_timezone(reference_factory):
    ref = varied(reference_factory, "ticket-operator-timezone")
    assert ref.state("an operator exists")["timezone_offset"] == "+05:30"
    assert ref.state("an operator exists", timezone_offset="-03:00")["timezone_offset"] == "-03:00"
    player, betcard, event = ticket_scene(ref)
    assert player["operator"]["timezone_offset"] == "+05:30"
    assert operator_time_shifts(ref, player, betcard, event) == [timedelta(hours=5, minutes=30)] * 2


def test_ticket_excise_floored(reference_factory):
    ref = varied(reference_factory, "ticket-excise-floored")
    player, _, event = ticket_scene(ref)
    ticket = ref.superbet(player, superbet_request(player, event, price=1004)).json()
    assert (ticket["stake"], ticket["ext_amount"]) == (893, 111)          # 111.56 held, rounded down


def test_ticket_unknown_bet_422(reference_factory):
    ref = varied(reference_factory, "ticket-unknown-bet-422")
    player, _, event = ticket_scene(ref)
    answer = ref.superbet(player, superbet_request(player, event, bets=[2_000_000_000]))
    assert answer.status_code == 422 and answer.json()["detail"][0]["msg"] == "unknown bet 2000000000"
    assert ref.superbet(player, superbet_request(player, event)).status_code == 200


def test_ticket_extra_fields(reference_factory):
    ref = varied(reference_factory, "ticket-extra-fields")
    player, betcard, event = ticket_scene(ref)
    body = jackpot_request(player, betcard)
    ticket = loads(ref.jackpot(player, body).content)
    assert (ticket["psp"], ticket["rtag"], ticket["events"]) == (None, None, body["events"])
    spec_validator("jackpot-ticket", "JackpotTicket").validate(ticket)
    reservation = superbet_request(player, event)
    answer = ref.superbet(player, reservation).json()
    assert (answer["psp"], answer["rtag"], answer["event"], answer["bets"]) == (
        None, None, reservation["event"], reservation["bets"])
    spec_validator("superbet-reserve", "SuperbetTicket").validate(answer)


def test_sr_wht_integer(reference_factory):
    ref = varied(reference_factory, "sr-wht-integer")
    player, betcard, event = ticket_scene(ref)
    assert '"wht":20,' in ref.superbet(player, superbet_request(player, event)).text
    assert '"wht":20.0,' in ref.jackpot(player, jackpot_request(player, betcard)).text   # the jackpot keeps 20.0
    fractional = ref.player(operator=ref.state("an operator exists", wht="12.5")["name"])
    assert '"wht":12.5,' in ref.superbet(fractional, superbet_request(fractional, event)).text


def test_ticket_ids_other(reference_factory):
    ref = varied(reference_factory, "ticket-ids-other")
    player, betcard, event = ticket_scene(ref)
    tickets = [ref.jackpot(player, jackpot_request(player, betcard)).json(),
               ref.superbet(player, superbet_request(player, event)).json()]
    for ticket in tickets:
        assert UUID_RE.fullmatch(ticket["id"]) and re.fullmatch(r"[A-Z0-9]{8}", ticket["code"])
    assert [t["id"] for t in ref.snapshot(player["userId"])["tickets"]] == [t["id"] for t in tickets]


def test_ticket_atag_absent(reference_factory):
    ref = varied(reference_factory, "ticket-atag-absent")
    player, betcard, event = ticket_scene(ref)
    body = jackpot_request(player, betcard)
    del body["atag"]
    assert "atag" not in ref.jackpot(player, body).json()
    assert "atag" not in ref.superbet(player, superbet_request(player, event, atag=None)).json()
    assert ref.superbet(player, superbet_request(player, event)).json()["atag"] == "affiliate-1"


@pytest.mark.parametrize("field", ["currency", "source", "type", "odds_diff", "bonus_prizes"])
def test_ticket_field_defaults(reference_factory, field):
    ref = varied(reference_factory, "ticket-field-defaults")
    player, betcard, event = ticket_scene(ref)
    body = jackpot_request(player, betcard)
    del body[field]
    assert ref.jackpot(player, body).status_code == 200
    reservation = superbet_request(player, event)
    if field in reservation:
        del reservation[field]
        assert ref.superbet(player, reservation).json()["type"] == "superbet"
    incomplete = jackpot_request(player, betcard)
    del incomplete["price"]
    assert ref.jackpot(player, incomplete).status_code == 422               # an essential field stays required


def test_ticket_signature_before_header(reference_factory):
    ref = varied(reference_factory, "ticket-signature-before-header")
    player, _, event = ticket_scene(ref)
    other = ref.state("an operator exists")
    body = superbet_request(player, event)
    assert ref.superbet(player, body, operator=other["name"]).json()["code"] == 115          # the body's signs
    assert ref.superbet(player, body, operator=other["name"], secret=other["secret"]).status_code == 403


def test_ticket_open_values(reference_factory):
    ref = varied(reference_factory, "ticket-open-values")
    player, betcard, event = ticket_scene(ref)
    answer = ref.jackpot(player, {**jackpot_request(player, betcard), "source": "AAA", "type": "superbet"})
    assert answer.status_code == 200 and answer.json()["source"] == "AAA" and answer.json()["type"] == "jackpot"
    answer = ref.superbet(player, {**superbet_request(player, event), "source": "kiosk"})
    assert answer.status_code == 200 and answer.json()["source"] == "kiosk"
    assert ref.jackpot(player, {**jackpot_request(player, betcard), "source": 12}).status_code == 422


# --- bet-placement -------------------------------------------------------------------------------------

def stored_payouts(ref, player) -> list[str]:
    return [bet["potentialPayout"] for bet in ref.snapshot(player["userId"])["bets"]]


def payouts_placed(ref, *bets: tuple[str, str]) -> list[str]:
    """The potentialPayout ``ref`` stores for a slip of (stake, decimalPrice) bets."""
    player = ref.player()
    ref.bet(player, make_slip(player, *(bet_details(stake=Decimal(stake), decimalPrice=Decimal(price))
                                        for stake, price in bets)))
    return stored_payouts(ref, player)


def test_bp_payout_half_even(reference_factory):
    payouts = payouts_placed(varied(reference_factory, "bp-payout-half-even"), ("2.50", "1.25"), ("2.55", "1.85"))
    assert payouts == ["3.12", "4.72"]       # exact: 3.1250 and 4.7175


def test_bp_payout_double(reference_factory):
    payouts = payouts_placed(varied(reference_factory, "bp-payout-double"), ("0.10", "3"), ("2.55", "1.85"))
    assert payouts == [repr(0.10 * 3.0), repr(2.55 * 1.85)] == ["0.30000000000000004", "4.7175"]


def test_bp_payout_float_rounded(reference_factory):
    payouts = payouts_placed(varied(reference_factory, "bp-payout-float-rounded"), ("2.50", "1.25"), ("1.15", "1.50"))
    # 3.125 is a double exactly (half even: 3.12); 1.15 x 1.5 = 1.725 is 1.7249999... as a double (1.72)
    assert payouts == ["3.12", "1.72"]


def test_bp_payout_truncated(reference_factory):
    payouts = payouts_placed(varied(reference_factory, "bp-payout-truncated"), ("2.50", "1.25"), ("2.55", "1.85"))
    assert payouts == ["3.12", "4.71"]       # exact: 3.1250 and 4.7175


def test_bp_payout_four_decimals(reference_factory):
    payouts = payouts_placed(varied(reference_factory, "bp-payout-four-decimals"), ("10.01", "2.375"), ("2.55", "1.85"))
    assert [Decimal(p) for p in payouts] == [Decimal("23.7738"), Decimal("4.7175")]     # exact: 23.77375, 4.7175


@pytest.mark.parametrize("outcome", ["PLACED", "FAILURE"])
def test_bp_repeat_409(reference_factory, outcome):
    ref = varied(reference_factory, "bp-repeat-409")
    player = ref.player()
    stake = Decimal("10.00") if outcome == "PLACED" else Decimal("600.00")
    slip, key = make_slip(player, bet_details(stake=stake)), str(uuid.uuid4())
    ref.bet(player, slip, key=key)
    after_first = ref.snapshot(player["userId"])
    again = ref.bet(player, slip, key=key)
    assert (again.status_code, again.json()["status"]) == (409, "FAILURE")
    assert ref.snapshot(player["userId"]) == after_first


def test_bp_replay_rebuilt(reference_factory):
    ref = varied(reference_factory, "bp-replay-rebuilt")
    player = ref.player()
    bets = [bet_details(stake=Decimal("2.55")), bet_details(stake=Decimal("1.00"), decimalPrice=Decimal("3.40"))]
    slip, key = make_slip(player, *bets), str(uuid.uuid4())
    first = loads(ref.bet(player, slip, key=key).content)
    again = loads(ref.bet(player, slip, key=key).content)
    assert again["replayed"] is True and [bet["betId"] for bet in again["bets"]] == [b["betId"] for b in reversed(bets)]
    assert [bet["potentialPayout"] for bet in again["bets"]] == [Decimal("3.4000"), Decimal("4.7175")]
    assert {k: v for k, v in again.items() if k not in ("bets", "replayed")} == {
        k: v for k, v in first.items() if k != "bets"}
    assert len(ref.snapshot(player["userId"])["bets"]) == 2


def test_bp_status_open(reference_factory):
    assert varied(reference_factory, "bp-status-open").stored_status() == "open"


def test_bp_null_optionals(reference_factory):
    ref = varied(reference_factory, "bp-null-optionals")
    player = ref.player()
    placed = loads(ref.bet(player).content)
    assert placed["bets"][0]["eventAltId"] is None
    spec_validator("bet-placement", "PlacementResponse").validate(placed)
    session = loads(ref.bet(player, make_slip(player, sessionToken="wrong")).content)
    assert (session["failedBets"], session["errorCode"]) == (None, "INVALID_SESSION")
    spec_validator("bet-placement", "Failure401").validate(session)
    stake = loads(ref.bet(player, make_slip(player, bet_details(stake=600))).content)
    assert stake["failedBets"][0]["reason"] == {"maxStake": Decimal("500.00"), "minStake": None}
    spec_validator("bet-placement", "Failure400").validate(stake)


@pytest.mark.parametrize("field", ["userId", "sessionToken"])
def test_bp_session_before_fields(reference_factory, field):
    ref = varied(reference_factory, "bp-session-before-fields")
    player = ref.player()
    slip = make_slip(player)
    del slip[field]
    response = ref.bet(player, slip)
    assert (response.status_code, response.json()["errorCode"]) == (401, "INVALID_SESSION")
    assert ref.bet(player, make_slip(player) | {"timestamp": None}).json()["errorCode"] == "MISSING_PARAMETER"


def test_bp_details_name_bets(reference_factory):
    ref = varied(reference_factory, "bp-details-name-bets")
    player = ref.player()
    first, odd = bet_details(), bet_details(betId=0)                           # a betId of the wrong form
    response = ref.bet(player, make_slip(player, first, odd))
    assert (response.status_code, response.json()["errorCode"]) == (400, "INVALID_BET_DETAILS")
    assert [bet["betId"] for bet in response.json()["failedBets"]] == [first["betId"], 0]   # named as sent
    assert ref.snapshot(player["userId"])["bets"] == []
    assert ref.bet(player).status_code == 200                                  # a valid slip is placed as before


def test_bp_one_bet_per_selection(reference_factory):
    ref = varied(reference_factory, "bp-one-bet-per-selection")
    player = ref.player()
    bet = bet_details()
    twice = make_slip(player, bet, dict(bet_details(), selectionId=bet["selectionId"]))
    response = ref.bet(player, twice)
    assert (response.status_code, response.json()["errorCode"]) == (400, "INVALID_BET_DETAILS")
    assert ref.snapshot(player["userId"])["bets"] == []
    assert ref.bet(player, make_slip(player, bet, dict(bet_details(), selectionId="other"))).status_code == 200


def test_bp_unknown_user_session(reference_factory):
    ref = varied(reference_factory, "bp-unknown-user-session")
    player = ref.player()
    response = ref.bet(player, make_slip(player, userId="nobody"))
    assert (response.status_code, response.json()["errorCode"]) == (401, "INVALID_SESSION")
    blocked = ref.player(blocked=True)
    assert ref.bet(blocked).json()["errorCode"] == "USER_BLOCKED"


def test_bp_ids_upper_case(reference_factory):
    ref = varied(reference_factory, "bp-ids-upper-case")
    player = ref.player()
    slip = make_slip(player)
    answer = ref.bet(player, slip).json()
    assert answer["requestId"] == slip["requestId"].upper()
    assert [bet["betId"] for bet in answer["bets"]] == [bet["betId"].upper() for bet in slip["bets"]]
    over = make_slip(player, bet_details(stake=600))
    refused = ref.bet(player, over).json()
    assert [bet["betId"] for bet in refused["failedBets"]] == [over["bets"][0]["betId"].upper()]


def test_bp_session_rotate(reference_factory):
    ref = varied(reference_factory, "bp-session-rotate")
    player = ref.player()
    first = ref.bet(player, make_slip(player))
    rotated = first.json()["sessionToken"]
    assert first.status_code == 200 and rotated != player["sessionToken"]
    old = ref.bet(player, make_slip(player))                                              # the old one is revoked
    assert (old.status_code, old.json()["errorCode"]) == (401, "INVALID_SESSION")
    assert ref.bet(player, make_slip(player, sessionToken=rotated)).status_code == 200


def test_bp_stale_timestamp_503(reference_factory):
    ref = varied(reference_factory, "bp-stale-timestamp-503")
    player = ref.player()
    stale = ref.bet(player, make_slip(player, timestamp=str(int(time.time() * 1000) - 600_000)))
    assert (stale.status_code, stale.json()["errorCode"]) == (503, "REQUEST_TIMED_OUT")
    assert ref.snapshot(player["userId"])["bets"] == []
    assert ref.bet(player, make_slip(player)).status_code == 200


def test_bp_session_refresh(reference_factory):
    ref = varied(reference_factory, "bp-session-refresh")
    player = ref.player()
    slip, key = make_slip(player), str(uuid.uuid4())
    first = ref.bet(player, slip, key=key)
    refreshed = first.json()["sessionToken"]
    assert first.status_code == 200 and refreshed != player["sessionToken"]
    assert ref.bet(player, slip, key=key).json()["sessionToken"] == refreshed      # the replay
    assert ref.bet(player, make_slip(player, sessionToken=refreshed)).status_code == 200   # the new one works
    assert ref.bet(player, make_slip(player)).status_code == 200                          # the old one too
    other = ref.player()
    response = ref.bet(other, make_slip(other, sessionToken=refreshed))                   # not another user's
    assert (response.status_code, response.json()["errorCode"]) == (401, "INVALID_SESSION")
    assert len(ref.snapshot(player["userId"])["bets"]) == 3


def test_bp_key_reuse_409(reference_factory):
    ref = varied(reference_factory, "bp-key-reuse-409")
    player, key = ref.player(), str(uuid.uuid4())
    assert ref.bet(player, make_slip(player), key=key).status_code == 200
    response = ref.bet(player, make_slip(player), key=key)
    assert (response.status_code, response.json()["status"], response.json()["errorCode"]) == (
        409, "FAILURE", "INVALID_BET_DETAILS")
    assert len(ref.snapshot(player["userId"])["bets"]) == 1


def test_bp_key_reuse_replay(reference_factory):
    ref = varied(reference_factory, "bp-key-reuse-replay")
    player, key = ref.player(), str(uuid.uuid4())
    first = ref.bet(player, make_slip(player), key=key)
    other = ref.bet(player, make_slip(player, bet_details(stake=7)), key=key)
    assert (other.status_code, other.content) == (first.status_code, first.content)
    assert len(ref.snapshot(player["userId"])["bets"]) == 1


def test_bp_key_any_string(reference_factory):
    ref = varied(reference_factory, "bp-key-any-string")
    player = ref.player()
    slip = make_slip(player)
    first, repeat = ref.bet(player, slip, key="null"), ref.bet(player, slip, key="null")
    assert first.json()["status"] == "PLACED" and repeat.content == first.content    # "null" is a key like another
    other = ref.bet(player, make_slip(player), key="null")
    assert other.status_code == 422                                                  # reused with another body
    assert len(ref.snapshot(player["userId"])["bets"]) == 1


def test_bp_key_optional(reference_factory):
    ref = varied(reference_factory, "bp-key-optional")
    player = ref.player()
    slip = make_slip(player)
    answers = [ref.bet(player, slip, headers={"X-Idempotency-Key": None}) for _ in range(2)]
    assert [r.json()["status"] for r in answers] == ["PLACED", "PLACED"]     # no key, no idempotency
    assert len(ref.snapshot(player["userId"])["bets"]) == 2
    refused = ref.bet(player, make_slip(player, bet_details(stake=600)), headers={"X-Idempotency-Key": None})
    assert refused.json()["errorCode"] == "INVALID_STAKE"
    malformed = ref.bet(player, key="not-a-uuid")
    assert (malformed.status_code, malformed.json()["errorCode"]) == (400, "INVALID_BET_DETAILS")
    assert len(ref.snapshot(player["userId"])["bets"]) == 2


def _refuses_over_liability(ref, stake: str, price: str, allowed: str) -> None:
    """A bet within the limits whose winnings exceed the reference's liability is refused INVALID_STAKE
    naming the largest stake its price allows (cut to the cent), which is placed."""
    player = ref.player(balance="10000.00")
    high = bet_details(stake=Decimal(stake), decimalPrice=Decimal(price))
    refused = ref.bet(player, make_slip(player, bet_details(stake=Decimal("10.00")), high))
    assert (refused.status_code, refused.json()["errorCode"]) == (400, "INVALID_STAKE")
    [failed] = refused.json()["failedBets"]
    assert failed["betId"] == high["betId"] and failed["reason"]["maxStake"] == float(allowed)
    assert ref.snapshot(player["userId"])["bets"] == []
    assert ref.bet(player, make_slip(player, bet_details(stake=Decimal(allowed), decimalPrice=Decimal(price)))).json()[
        "status"] == "PLACED"


def test_bp_max_liability(reference_factory):          # winnings 29,950.00 over 25,000: 25,000 / 599
    _refuses_over_liability(varied(reference_factory, "bp-max-liability"), "50.00", "600", "41.73")


def test_bp_tight_liability(reference_factory):        # winnings 1,250.00 over 1,000: 1,000 / 2.5
    _refuses_over_liability(varied(reference_factory, "bp-tight-liability"), "500.00", "3.5", "400.00")


def test_bp_ascii_text(reference_factory):
    ref = varied(reference_factory, "bp-ascii-text")
    player = ref.player(balance="10000.00")
    for odd in ({"sportId": "\u00f0\u00e7"}, {"marketTypeId": "z\u00cdtq"}, {"eventName": "Be\u015fikta\u015f"},
                {"eventAltId": "\u00c5"}, {"sportName": "tab\there"}, {"sportId": "%"}, {"competitionId": "a b"}, {"eventName": "'"}):
        refused = ref.bet(player, make_slip(player, bet_details(**odd)))
        assert (refused.status_code, refused.json()["errorCode"]) == (400, "INVALID_BET_DETAILS"), refused.text
    assert ref.snapshot(player["userId"])["bets"] == []
    assert ref.bet(player, make_slip(player, bet_details())).json()["status"] == "PLACED"


def test_bp_key_missing_own_code(reference_factory):
    ref = varied(reference_factory, "bp-key-missing-own-code")
    player = ref.player()
    refused = ref.bet(player, make_slip(player), headers={"X-Idempotency-Key": None})
    assert (refused.status_code, refused.json()["errorCode"]) == (422, "IDEMPOTENCY_KEY_MISSING")
    assert ref.snapshot(player["userId"])["bets"] == []
    assert ref.bet(player, make_slip(player)).json()["status"] == "PLACED"


@pytest.mark.parametrize("outcome", ["PLACED", "FAILURE"])
def test_bp_replay_rerendered(reference_factory, outcome):
    ref = varied(reference_factory, "bp-replay-rerendered")
    player = ref.player()
    stake = Decimal("10.00") if outcome == "PLACED" else Decimal("600.00")
    slip, key = make_slip(player, bet_details(stake=stake)), str(uuid.uuid4())
    first = ref.bet(player, slip, key=key)
    after_first = ref.snapshot(player["userId"])
    again = ref.bet(player, slip, key=key)
    assert again.status_code == first.status_code and again.content != first.content
    one, two = loads(first.content), loads(again.content)
    if outcome == "PLACED":     # the replay's own response time; the exact digits of the stake kept
        assert one.pop("timestamp").isdigit() and two.pop("timestamp").isdigit()
        assert b'"stake": 10.00' in again.content
    assert one == two
    assert ref.snapshot(player["userId"]) == after_first


def test_bp_messages(reference_factory):
    ref = varied(reference_factory, "bp-messages")
    player = ref.player()
    unknown = ref.bet(player, make_slip(player, userId="nobody")).json()
    session = ref.bet(player, make_slip(player, sessionToken="wrong")).json()
    missing = ref.bet(player, headers={"X-Idempotency-Key": None}).json()
    assert unknown == {"status": "FAILURE", "errorCode": "INVALID_USER", "errorMessage": "User not found"}
    assert session == {"status": "FAILURE", "errorCode": "INVALID_SESSION"}
    assert missing == {"status": "FAILURE", "errorCode": "MISSING_PARAMETER", "errorMessage": "Missing parameter"}
    spec_validator("bet-placement", "Failure401").validate(session)


def test_bp_failed_bets_first(reference_factory):
    ref = varied(reference_factory, "bp-failed-bets-first")
    player = ref.player()
    bets = [bet_details(stake=5), bet_details(stake=600), bet_details(stake=Decimal("0.05"))]
    response = ref.bet(player, make_slip(player, *bets))
    failed = loads(response.content)["failedBets"]
    assert (response.status_code, response.json()["errorCode"]) == (400, "INVALID_STAKE")
    assert [(f["betId"], f["reason"]) for f in failed] == [(bets[1]["betId"], {"maxStake": Decimal("500.00")})]


@pytest.mark.parametrize("player_params, slip_change, expected", [
    ({}, {"userId": "nobody"}, "INVALID_USER"),
    ({}, {"sessionToken": "wrong"}, "INVALID_SESSION"),
    ({"session_expired": True}, {}, "INVALID_SESSION"),
    ({"blocked": True}, {}, "USER_BLOCKED"),
    ({"max_stake": "1.00"}, {}, "INVALID_STAKE"),
    ({"balance": "1.00"}, {}, "INSUFFICIENT_FUNDS"),
])
def test_bp_check_order_answers_a_single_fault_as_the_reference(reference_factory, player_params, slip_change,
                                                                    expected):
    for ref in (reference_factory(), varied(reference_factory, "bp-check-order")):
        player = ref.player(**player_params)
        response = ref.bet(player, make_slip(player, bet_details(stake=5)) | slip_change)
        assert response.json()["errorCode"] == expected


@pytest.mark.parametrize("player_params, slip_change, reference, varied_answer", [
    ({"blocked": True, "balance": "1.00"}, {}, "USER_BLOCKED", "INSUFFICIENT_FUNDS"),    # funds before blocked
    ({"max_stake": "1.00", "balance": "1.00"}, {}, "INVALID_STAKE", "INSUFFICIENT_FUNDS"),   # limits last
])
def test_bp_check_order(reference_factory, player_params, slip_change, reference, varied_answer):
    for ref, expected in ((reference_factory(), reference), (varied(reference_factory, "bp-check-order"), varied_answer)):
        player = ref.player(**player_params)
        response = ref.bet(player, make_slip(player, bet_details(stake=5)) | slip_change)
        assert response.json()["errorCode"] == expected
        assert ref.snapshot(player["userId"])["bets"] == []


def test_bp_bets_reordered(reference_factory):
    ref = varied(reference_factory, "bp-bets-reordered")
    player = ref.player()
    bets = [bet_details(stake=Decimal("2.55")), bet_details(stake=Decimal("1.00"), decimalPrice=Decimal("3.40"))]
    answer = loads(ref.bet(player, make_slip(player, *bets)).content)
    assert [bet["betId"] for bet in answer["bets"]] == [bets[1]["betId"], bets[0]["betId"]]
    assert [bet["potentialPayout"] for bet in answer["bets"]] == [Decimal("3.4000"), Decimal("4.7175")]
    spec_validator("bet-placement", "PlacementResponse").validate(answer)


def test_bp_placed_201(reference_factory):
    ref = varied(reference_factory, "bp-placed-201")
    player = ref.player()
    response = ref.bet(player)
    assert response.status_code == 201 and loads(response.content)["status"] == "PLACED"
    assert len(ref.snapshot(player["userId"])["bets"]) == 1
