"""The specs hold to their seed documents: every table field with the seed's required-ness, every
documented status, and every sample, validating as is or, where the spec records a correction,
failing as is and validating in the corrected form the spec gives."""

from __future__ import annotations

import copy
import json
from decimal import ROUND_HALF_UP, Decimal
from math import prod

import pytest

from .seed_samples import (
    SEEDS_DIR,
    bet_placement_tables,
    component_pointer,
    errors,
    field,
    json_samples,
    load_spec,
    markdown_tables,
    media_example,
    repair_json_syntax,
    repaired_sportsbook_request,
    request_pointer,
    resolve,
    response_pointer,
    seed_text,
    sportsbook_samples,
    status_codes,
    ticket_engine_fields,
    the_operation,
)

pytestmark = pytest.mark.skipif(not SEEDS_DIR.is_dir(), reason=f"seed documents not found in {SEEDS_DIR}")

JSON_TYPES = {
    "string": "string", "string or null": "string", "integer": "integer", "float": "number",
    "bool": "boolean", "list of integers": "array", "list of objects": "array",
}


def types_of(spec, schema) -> set[str]:
    """The JSON types a schema admits (following $ref, anyOf/oneOf branches)."""
    schema = resolve(spec, schema)
    if "type" in schema:
        return set(schema["type"]) if isinstance(schema["type"], list) else {schema["type"]}
    return set().union(*(types_of(spec, sub) for sub in schema.get("anyOf", schema.get("oneOf", []))))


def cents(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- sportsbook-order (000) ------------------------------------------------------------------

SPORTSBOOK_TABLES = ["OrderRequest", "Bet", "Option", "Option", "OrderResponse", "OrderData"]
SPORTSBOOK_TYPES = {"string": {"string"}, "int": {"integer"}, "long": {"integer"},
                    "bigint": {"integer"}, "double": {"number"}, "decimal": {"number"},
                    "array[object]": {"array"}, "array Comboltem": {"array"}, "object": {"object"}}


def sportsbook_table_fields():
    """(schema, field, seed type, required) for every row of seed 000's tables, with its two
    slips undone: `comboltems` is `comboItems`, and the garbled row "insHomeScore | insAwayScore |
    N" names two optional fields."""
    tables = markdown_tables(seed_text("sportsbook-order"))
    assert len(tables) == len(SPORTSBOOK_TABLES)
    for schema, rows in zip(SPORTSBOOK_TABLES, tables):
        for name, kind, flag, *_ in rows:
            if kind == "insAwayScore":
                yield schema, name, None, flag == "Y"
                yield schema, kind, None, flag == "Y"
                continue
            yield schema, {"comboltems": "comboItems"}.get(name, name), kind, flag == "Y"


def test_sportsbook_table_fields_are_in_the_spec_with_their_requiredness():
    spec = load_spec("sportsbook-order")
    rows = list(sportsbook_table_fields())
    assert len(rows) == 38   # the garbled insHomeScore/insAwayScore row appears twice
    for schema_name, name, kind, required in rows:
        schema, in_required = field(spec, schema_name, name)
        assert in_required is required, f"{schema_name}.{name}: required should be {required}"
        if kind is not None:
            assert SPORTSBOOK_TYPES[kind] <= types_of(spec, schema), f"{schema_name}.{name}: {kind}"


def test_sportsbook_raw_request_sample_is_not_json_and_its_repair_still_fails():
    raw = sportsbook_samples()["request"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)
    spec = load_spec("sportsbook-order")
    problems = errors(spec, request_pointer(spec), repaired_sportsbook_request())
    assert "(root): 'currency' is a required property" in problems
    assert "betList/0: 'num' is a required property" in problems
    assert "betList/0: 'cnt' is a required property" in problems
    assert len(problems) == 3, problems


def test_sportsbook_corrected_request_is_the_repaired_sample_plus_the_missing_fields():
    spec = load_spec("sportsbook-order")
    example = media_example(spec, None, "seedSample")
    assert "not valid JSON" in example["x-orderproof-decision"]
    corrected = copy.deepcopy(example["value"])
    assert not errors(spec, request_pointer(spec), corrected)
    del corrected["currency"], corrected["betList"][0]["num"], corrected["betList"][0]["cnt"]
    assert corrected == repaired_sportsbook_request()


@pytest.mark.parametrize(
    ("ticket_id", "accepted"),
    [("116295584494649344", True), (116295584494649344, True), (9223372036854775807, True),
     ("11629558449464934a", False), ("12345678901234567890", False), (1.5, False), (-1, False)],
)
def test_sportsbook_request_ticket_id_forms(ticket_id, accepted):
    spec = load_spec("sportsbook-order")
    body = copy.deepcopy(media_example(spec, None, "seedSample")["value"])
    body["ticketId"] = ticket_id
    assert (not errors(spec, request_pointer(spec), body)) is accepted


def test_sportsbook_combo_item_sample_needs_its_trailing_comma_removed():
    raw = sportsbook_samples()["combo_item"]
    with pytest.raises(json.JSONDecodeError):
        json.loads(raw)
    spec = load_spec("sportsbook-order")
    assert not errors(spec, component_pointer("ComboItem"), json.loads(repair_json_syntax(raw)))


def test_sportsbook_raw_response_sample_fails_on_ticketID_and_the_correction_renames_it():
    raw = json.loads(sportsbook_samples()["response"])
    spec = load_spec("sportsbook-order")
    at = response_pointer(spec, "200")
    assert "data: 'ticketId' is a required property" in errors(spec, at, raw)
    example = media_example(spec, "200", "seedSample")
    assert "ticketID" in example["x-orderproof-decision"]
    renamed = copy.deepcopy(raw)
    renamed["data"]["ticketId"] = renamed["data"].pop("ticketID")
    assert example["value"] == renamed
    assert not errors(spec, at, renamed)


def test_sportsbook_response_ticket_id_must_be_a_json_integer():
    """The schema can hold the type; that the value is exact is a check's job (JSON Schema sees
    1.1627098626903245e17 as an integer)."""
    spec = load_spec("sportsbook-order")
    body = copy.deepcopy(media_example(spec, "200", "seedSample")["value"])
    for wrong in ("116270986269032448", 1.5, -1, None):
        body["data"]["ticketId"] = wrong
        assert errors(spec, response_pointer(spec, "200"), body), wrong


def test_sportsbook_rejection_codes_are_the_recorded_ones():
    spec = load_spec("sportsbook-order")
    at = response_pointer(spec, "400")
    for code in (400, 401, 402, 403, 409):
        assert not errors(spec, at, {"code": code, "msg": "rejected", "data": None})
    assert errors(spec, at, {"code": 200, "msg": "success", "data": None})
    assert errors(spec, at, {"code": 402, "msg": "x", "data": {"amount": 1}})


# --- ticket engine: jackpot-ticket (001) and superbet-reserve (003) --------------------------

TICKET_SCHEMAS = {
    "jackpot-ticket": ("JackpotTicketRequest", "JackpotTicket"),
    "superbet-reserve": ("SuperbetReserveRequest", "SuperbetTicket"),
}


@pytest.mark.parametrize("slug", TICKET_SCHEMAS)
def test_ticket_engine_fields_are_in_the_spec(slug):
    """The seed has no Required column: the spec's decision is every field required except atag."""
    spec = load_spec(slug)
    assert "atag" in spec["info"]["x-orderproof-decision"]
    request_fields, response_fields = ticket_engine_fields(slug)
    assert len(request_fields) >= 9 and len(response_fields) >= 22
    for schema_name, fields in zip(TICKET_SCHEMAS[slug], (request_fields, response_fields)):
        for name, kind in fields:
            schema, required = field(spec, schema_name, name)
            assert required is (name != "atag"), f"{schema_name}.{name}"
            wanted = JSON_TYPES[kind]
            if (slug, name) == ("superbet-reserve", "wht"):
                wanted = "number"   # recorded decision: integer or number
                assert "x-orderproof-decision" in schema
            assert wanted in types_of(spec, schema), f"{schema_name}.{name}: {kind}"
            if kind == "string or null":
                assert "null" in types_of(spec, schema)


@pytest.mark.parametrize("slug", TICKET_SCHEMAS)
def test_ticket_engine_statuses_and_headers(slug):
    spec = load_spec(slug)
    _, _, operation = the_operation(spec)
    assert {int(status) for status in operation["responses"]} == status_codes(slug) == {200, 400, 403, 422}
    headers = {}
    for parameter in operation["parameters"]:
        parameter = resolve(spec, parameter)
        assert parameter["in"] == "header" and parameter["required"] is True
        headers[parameter["name"]] = parameter["schema"]
    assert set(headers) == {"operator-name", "timestamp", "signature"}
    assert not errors(spec, response_pointer(spec, "403"), {"code": 403, "message": "Forbidden"})
    detail = {"detail": [{"loc": ["body", "price"], "msg": "Field required", "type": "missing"}]}
    assert not errors(spec, response_pointer(spec, "422"), detail)
    assert errors(spec, response_pointer(spec, "422"), {"code": 422, "message": "invalid"})


def test_superbet_samples_validate_as_they_are():
    spec = load_spec("superbet-reserve")
    samples = json_samples("superbet-reserve")
    labels = [label for label, _ in samples]
    assert labels[:2] == ["Sample request to reserve superbet ticket:",
                          "Sample response (status=200) to superbet ticket:"]
    assert set(labels[2:]) == {"Error response (status=400):"}
    (_, request), (_, response), *failures = samples
    assert not errors(spec, request_pointer(spec), request)
    assert request == media_example(spec, None, "seedSample")["value"]
    assert not errors(spec, response_pointer(spec, "200"), response)
    assert response == media_example(spec, "200", "seedSample")["value"]
    for _, failure in failures:
        assert not errors(spec, response_pointer(spec, "400"), failure), failure
    seed_codes = [failure["code"] for _, failure in failures]
    assert seed_codes == spec["components"]["schemas"]["SuperbetError"]["properties"]["code"]["enum"]
    spec_examples = the_operation(spec)[2]["responses"]["400"]["content"]["application/json"]["examples"]
    assert [example["value"] for example in spec_examples.values()] == [f for _, f in failures]


def test_superbet_wht_is_accepted_as_integer_or_number():
    spec = load_spec("superbet-reserve")
    body = copy.deepcopy(media_example(spec, "200", "seedSample")["value"])
    for wht in (10, 10.0, 12.5):
        body["wht"] = wht
        assert not errors(spec, response_pointer(spec, "200"), body)
    body["wht"] = "10.0"
    assert errors(spec, response_pointer(spec, "200"), body)


def test_superbet_sample_fits_the_finance_formulas():
    spec = load_spec("superbet-reserve")
    ticket = media_example(spec, "200", "seedSample")["value"]
    ext = Decimal(str(ticket["ext"]))
    assert ticket["stake"] == cents(ticket["price"] / (1 + ext / 100))
    assert ticket["ext_amount"] == ticket["price"] - ticket["stake"]
    assert ticket["gross_payout"] == ticket["net_payout"] == ticket["wht_amount"] == 0


def test_jackpot_seed_has_no_sample_bodies_so_the_spec_example_fits_the_formulas():
    assert json_samples("jackpot-ticket") == []
    spec = load_spec("jackpot-ticket")
    request = media_example(spec, None, "threeEvents")
    ticket = media_example(spec, "200", "threeEvents")
    assert "x-orderproof-decision" in request and "x-orderproof-decision" in ticket
    request, ticket = request["value"], ticket["value"]
    odds = prod(Decimal(str(event["odds"])) for event in request["events"])
    ext, wht = Decimal(str(ticket["ext"])), Decimal(str(ticket["wht"]))
    assert Decimal(str(ticket["odds"])) == odds
    assert ticket["price"] == request["price"]
    assert ticket["stake"] == cents(request["price"] / (1 + ext / 100))
    assert ticket["ext_amount"] == ticket["price"] - ticket["stake"]
    assert ticket["gross_payout"] == cents(ticket["stake"] * odds)
    assert ticket["wht_amount"] == cents((ticket["gross_payout"] - ticket["stake"]) * wht / 100)
    assert ticket["net_payout"] == ticket["gross_payout"] - ticket["wht_amount"]
    # the domain notes' worked example
    assert (ticket["stake"], ticket["ext_amount"], ticket["gross_payout"], ticket["wht_amount"],
            ticket["net_payout"]) == (889, 111, 3040, 430, 2610)


def test_jackpot_error_codes_include_the_recorded_117_and_118():
    spec = load_spec("jackpot-ticket")
    error = spec["components"]["schemas"]["JackpotError"]
    assert {117, 118} <= set(error["properties"]["code"]["enum"])
    assert "117" in error["x-orderproof-decision"] and "118" in error["x-orderproof-decision"]
    superbet_codes = load_spec("superbet-reserve")["components"]["schemas"]["SuperbetError"]
    assert set(error["properties"]["code"]["enum"]) == set(superbet_codes["properties"]["code"]["enum"]) | {117, 118}


# --- bet-placement (004) ---------------------------------------------------------------------

BET_PLACEMENT_TABLES = {
    "Idempotency": "BetSlip",          # the request table sits under "Request Parameters > Idempotency"
    "Response Parameters": "PlacementResponse",
    "Error Response": "Failure",
    "BetDetails": "BetDetails",
    "FailedBet": "FailedBet",
    "BetFailureReason": "BetFailureReason",
}
BET_PLACEMENT_TYPES = {"String": "string", "String/UUID": "string", "String (epoch)": "string",
                       "String/Stage": "string", "Decimal/Double": "number",
                       "Array <BetDetails>": "array", "Array <FailedBet>": "array",
                       "BetFailureReason": "object"}


def test_bet_placement_tables_are_all_read():
    headings = [heading for heading, _ in bet_placement_tables()]
    assert headings == ["Idempotency", "Response Parameters", "Error Response", "Errors",
                        "BetDetails", "FailedBet", "BetFailureReason", "Stage"]


def test_bet_placement_table_fields_are_in_the_spec_with_their_requiredness():
    spec = load_spec("bet-placement")
    checked = 0
    for heading, rows in bet_placement_tables():
        if heading not in BET_PLACEMENT_TABLES:
            continue
        for name, kind, required, *_ in rows:
            schema, in_required = field(spec, BET_PLACEMENT_TABLES[heading], name)
            assert in_required is required.startswith("Yes"), f"{heading}.{name}: {required}"
            kind = kind.split(" (")[0] if kind.startswith("String (\"") else kind
            assert BET_PLACEMENT_TYPES[kind] in types_of(spec, schema), f"{heading}.{name}: {kind}"
            if "UUID" in kind:
                assert resolve(spec, schema).get("format") == "uuid", f"{heading}.{name}"
            checked += 1
    assert checked == 5 + 6 + 4 + 22 + 6 + 2


def test_bet_placement_stage_enum_is_the_seeds():
    spec = load_spec("bet-placement")
    stage_rows = dict(bet_placement_tables())["Stage"]
    assert spec["components"]["schemas"]["Stage"]["enum"] == [row[0] for row in stage_rows]


def test_bet_placement_error_codes_pair_with_their_seed_status():
    spec = load_spec("bet-placement")
    seed_pairs: dict[str, list[str]] = {}
    for code, status in dict(bet_placement_tables())["Errors"]:
        seed_pairs.setdefault(status, []).append(code)
    responses = the_operation(spec)[2]["responses"]
    assert set(responses) == {"200"} | set(seed_pairs) | {"409", "422"}
    for status, codes in seed_pairs.items():
        at = response_pointer(spec, status)
        for code in codes:
            body = {"status": "FAILURE", "errorCode": code}
            if code == "INVALID_STAKE":
                assert errors(spec, at, body), "INVALID_STAKE without failedBets must fail"
                body["failedBets"] = []
            assert not errors(spec, at, body), f"{status} {code}"
        for other in {c for s, cs in seed_pairs.items() if s != status for c in cs}:
            assert errors(spec, at, {"status": "FAILURE", "errorCode": other}), f"{status} {other}"
    for status in ("409", "422"):
        assert "x-orderproof-decision" in responses[status]
    assert not errors(spec, response_pointer(spec, "422"),
                      {"status": "FAILURE", "errorCode": "INVALID_BET_DETAILS"})


def test_bet_placement_headers_and_security():
    spec = load_spec("bet-placement")
    _, _, operation = the_operation(spec)
    assert operation["security"] == [{"apiKey": []}]
    assert spec["components"]["securitySchemes"]["apiKey"] == {
        **spec["components"]["securitySchemes"]["apiKey"], "type": "apiKey", "in": "header",
        "name": "X-API-Key"}
    (idempotency,) = operation["parameters"]
    assert (idempotency["name"], idempotency["in"], idempotency["required"]) == ("X-Idempotency-Key", "header", True)
    assert idempotency["schema"] == {"type": "string", "format": "uuid"}
    assert "X-Idempotency-Key" in seed_text("bet-placement")


def test_bet_placement_request_example_uses_the_seed_example_column():
    spec = load_spec("bet-placement")
    request_rows = dict(bet_placement_tables())["Idempotency"]
    example = media_example(spec, None, "singleBet")["value"]
    for name, _, _, seed_example in request_rows:
        if seed_example:
            assert str(example[name]) == seed_example, name


# --- every seed: the decisions are where a reader meets them ---------------------------------

@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("sportsbook-order", "/components/schemas/OrderRequest/properties/ticketId"),
        ("sportsbook-order", "/components/schemas/Option/properties/macthId"),
        ("sportsbook-order", "/components/schemas/Option/properties/gameType"),
        ("sportsbook-order", "/components/schemas/Option/properties/oddsView"),
        ("sportsbook-order", "/components/schemas/OrderData/properties/ticketId"),
        ("sportsbook-order", "/components/schemas/Bet/properties/comboItems"),
        ("superbet-reserve", "/components/schemas/SuperbetTicket/properties/wht"),
        ("jackpot-ticket", "/components/schemas/JackpotError"),
        ("jackpot-ticket", "/components/schemas/Forbidden"),
        ("jackpot-ticket", "/components/schemas/ValidationError"),
    ],
)
def test_decision_is_recorded(name, where):
    node = load_spec(name)
    for part in where.strip("/").split("/"):
        node = node[part]
    assert len(node["x-orderproof-decision"]) > 20
