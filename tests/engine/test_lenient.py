"""Which requests are clearly invalid whoever wrote the service (orderproof.engine.lenient)."""

import copy
import json

import pytest

from orderproof import registry
from orderproof.engine import lenient
from orderproof.engine.generation import spec_example as request_example
from orderproof.engine.lenient import (
    clearly_invalid,
    is_clearly_invalid,
    lenient_schema,
)
from orderproof.reference import IMPLEMENTED


@pytest.mark.parametrize("slug", IMPLEMENTED)
def test_the_specs_own_examples_are_valid(slug):
    assert lenient_schema(slug) is not None
    assert clearly_invalid(slug, "application/json", json.dumps(request_example(slug))) is None


def _with(slug, **changes):
    body = dict(request_example(slug))
    body.update(changes)
    return json.dumps(body)


LENIENT = [
    ("jackpot-ticket", {"price": "3500"}),              # pydantic (lax) reads it
    ("jackpot-ticket", {"price": 3500.0}),              # an integral float
    ("jackpot-ticket", {"atag": None}),                 # optional and nullable
    ("superbet-reserve", {"event": "100001"}),
    ("jackpot-ticket", {"source": "AAA", "type": "other"}),        # the page lists no values for either
    ("superbet-reserve", {"source": "kiosk", "type": "jackpot"}),
    ("superbet-reserve", {"type": ["superbet"]}),       # the endpoint fixes the type: a service may ignore it
    ("jackpot-ticket", {"type": {}}),
    ("travel-order", {"memberid": None, "couponinfos": None, "isrecivemail": "true"}),   # ASP.NET binding
    ("travel-order", {"contactinfo": [None]}),
    ("bet-placement", {"timestamp": 1640995200000}),    # a number for a string: Jackson coerces it
    ("sportsbook-order", {"ticketId": 116295584494649344, "insAwayScore": "garbled row"}),
]
WRONG = [
    ("jackpot-ticket", {"price": {"a": 1}}, "price"),
    ("jackpot-ticket", {"price": "a lot"}, "not an integer"),
    ("superbet-reserve", {"bets": "101"}, "bets"),
    ("jackpot-ticket", {"source": {"name": "mobile"}}, "source"),  # open values, still a string
    ("superbet-reserve", {"source": ["mobile"]}, "source"),
    ("travel-order", {"memberid": "abc"}, "not an integer"),
    ("travel-order", {"couponinfos": "none"}, "couponinfos"),
]


@pytest.mark.parametrize("slug, changes", LENIENT)
def test_values_a_lenient_parser_reads_are_not_clearly_invalid(slug, changes):
    assert clearly_invalid(slug, "application/json", _with(slug, **changes)) is None


@pytest.mark.parametrize("slug, changes, words", WRONG)
def test_wrong_kinds_are_clearly_invalid(slug, changes, words):
    assert words in clearly_invalid(slug, "application/json", _with(slug, **changes))


def test_a_missing_required_field_malformed_json_and_no_body_are_clearly_invalid():
    body = dict(request_example("bet-placement"))
    del body["userId"]
    assert "userId" in clearly_invalid("bet-placement", "application/json", json.dumps(body))
    assert clearly_invalid("bet-placement", "application/json", "{") == "the body is not JSON"
    assert clearly_invalid("bet-placement", "application/json", None) == "the request has no body"


def test_forms_are_read_as_strings_and_other_media_types_are_not_judged():
    assert clearly_invalid("travel-order", "application/x-www-form-urlencoded", "memberid=12&extraamt=1.5") is None
    assert clearly_invalid("travel-order", "text/plain", "anything") is None


def test_fields_the_sportsbook_sample_leaves_out_are_not_essential_and_a_missing_one_is_named():
    body = dict(request_example("sportsbook-order"))
    body.pop("currency")                                      # the seed's request sample has none
    body["betList"] = [{key: value for key, value in bet.items() if key not in ("num", "cnt", "comboId")}
                       for bet in body["betList"]]            # nor num and cnt in its bet
    assert clearly_invalid("sportsbook-order", "application/json", json.dumps(body)) is None
    body["betList"][0]["comboItems"] = [{"OptionIds": [1]}, {"SubComboId": 2}]   # the seed has only a sample of one
    assert clearly_invalid("sportsbook-order", "application/json", json.dumps(body)) is None
    body["optionArray"][0]["gameName"] = {}                   # in the sample only, not in the table: ignorable
    assert clearly_invalid("sportsbook-order", "application/json", json.dumps(body)) is None
    body["betList"][0].pop("oddsEuro")
    # the bet may be null (a list item), but the error is the bet's own, not "... is not a null"
    assert clearly_invalid("sportsbook-order", "application/json", json.dumps(body)) == \
        "betList/0: 'oddsEuro' is a required property"


def _spec_required(slug):
    """The fields the spec's request body schema requires (a lenient reader may do without some)."""
    api, document = registry.get(slug), lenient._document(slug)
    schema = document["paths"][api.path][api.method.lower()]["requestBody"]["content"]["application/json"]["schema"]
    return lenient._resolve(schema, document).get("required", [])


def test_the_quick_answer_is_whether_there_is_a_reason():
    """``is_clearly_invalid`` (validation up to the first error) says what ``clearly_invalid`` (the
    best error's reason) does: on every body above, each spec example without each field its spec
    requires in turn (some a lenient reader may do without), no body, malformed JSON, other JSON media types, travel-order's form and a media type not
    judged."""
    bodies = [(slug, "application/json", _with(slug, **changes)) for slug, changes in LENIENT + [
        (slug, changes) for slug, changes, _ in WRONG]]
    for slug in IMPLEMENTED:
        example = request_example(slug)
        bodies += [(slug, "application/json", json.dumps({k: v for k, v in example.items() if k != field}))
                   for field in _spec_required(slug)]
        bodies += [(slug, "application/json", None), (slug, "application/json", "{"), (slug, "text/plain", "x"),
                   (slug, "text/json", json.dumps(example)), (slug, "application/json; charset=utf-8", "[1]")]
    bodies += [("travel-order", "application/x-www-form-urlencoded", "memberid=12&extraamt=1.5"),   # its form
               ("travel-order", "application/x-www-form-urlencoded", "memberid=abc")]
    verdicts = [(is_clearly_invalid(*body), clearly_invalid(*body) is not None) for body in bodies]
    assert all(quick == slow for quick, slow in verdicts), [b for b, v in zip(bodies, verdicts) if v[0] != v[1]]
    assert {quick for quick, _ in verdicts} == {True, False}


@pytest.mark.parametrize("stage, invalid", [(0, False), (1, False), ("pre_play", False), (2, True), ("LIVE", True)])
def test_an_enum_binds_from_its_ordinal_as_jackson_and_dotnet_bind_it(stage, invalid):
    """eventStage is "String/Stage" (IN_PLAY, PRE_PLAY): a Java or .NET service binds 0 and 1 to them."""
    body = copy.deepcopy(request_example("bet-placement"))
    body["bets"][0]["eventStage"] = stage
    assert (clearly_invalid("bet-placement", "application/json", json.dumps(body)) is not None) is invalid
