"""The specs hold to their seed documents: every table field with the seed's required-ness, every
documented status, and every sample, validating as is or, where the spec records a correction,
failing as is and validating in the corrected form the spec gives."""

from __future__ import annotations

import copy
import json
from decimal import ROUND_HALF_UP, Decimal
from math import prod

import jsonschema
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
    the_operation,
    ticket_engine_fields,
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
        if (schema_name, name) == ("OrderData", "ticketId"):
            # required under ticketId or ticketID (convention sportsbook-order.ticket-id-key)
            alternatives = spec["components"]["schemas"]["OrderData"]["anyOf"]
            assert alternatives == [{"required": ["ticketId"]}, {"required": ["ticketID"]}]
            in_required = True
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


def test_sportsbook_raw_response_sample_conforms_as_it_is():
    """The sample's `ticketID` is one of the two accepted keys (convention ticket-id-key)."""
    raw = json.loads(sportsbook_samples()["response"])
    assert "ticketID" in raw["data"] and "ticketId" not in raw["data"]
    spec = load_spec("sportsbook-order")
    at = response_pointer(spec, "2XX")
    assert not errors(spec, at, raw)
    example = media_example(spec, "2XX", "seedSample")
    assert "ticketID" in example["x-orderproof-decision"]
    assert example["value"] == raw
    renamed = copy.deepcopy(raw)
    renamed["data"]["ticketId"] = renamed["data"].pop("ticketID")
    assert not errors(spec, at, renamed)


@pytest.mark.parametrize("key", ["ticketId", "ticketID"])
def test_sportsbook_response_ticket_id_is_an_integer_or_a_digit_string_under_either_key(key):
    """The schema holds the type and the key; that the value is the request's exactly is a check's
    job (JSON Schema sees 1.1627098626903245e17 as an integer)."""
    spec = load_spec("sportsbook-order")
    at = response_pointer(spec, "2XX")
    body = copy.deepcopy(media_example(spec, "2XX", "seedSample")["value"])
    del body["data"]["ticketID"]
    # "bigint" may be read as an integer of any size: its digits beyond 2^63-1 too (the integer has no bound)
    for right in (116270986269032448, "116270986269032448", 9223372036854775807, "12345678901234567890"):
        body["data"][key] = right
        assert not errors(spec, at, body), right
    for wrong in (1.5, -1, None, "11627098626903244a", "", "-7"):
        body["data"][key] = wrong
        assert errors(spec, at, body), wrong
    del body["data"][key]
    assert errors(spec, at, body), "a success without a ticket id"


def test_sportsbook_rejections_at_4xx_or_200_with_any_code_but_200():
    """Convention sportsbook-order.rejection: any 4xx, or a 2xx with the envelope and a non-200 code.
    A 4xx documents no content: the seed documents no failure, so a framework's own error body to an
    invalid request conforms (its envelope is SO-ENVELOPE's and SO-NEGATIVE's business)."""
    spec = load_spec("sportsbook-order")
    _, _, operation = the_operation(spec)
    assert set(operation["responses"]) == {"2XX", "4XX"}
    assert "sportsbook-order.rejection" in spec["info"]["description"]
    assert "content" not in operation["responses"]["4XX"]
    assert len(operation["responses"]["4XX"]["x-orderproof-decision"]) > 20
    at = response_pointer(spec, "2XX")
    for rejection in ({"code": 402, "msg": "rejected", "data": None},
                      {"code": -1, "msg": ""},
                      {"code": 500, "msg": "x", "data": {"reason": "blocked"}},
                      {"code": 0, "msg": "fail", "data": None, "traceId": "t-1"}):
        assert not errors(spec, at, rejection), rejection
    for wrong in ({"code": "402", "msg": "x"}, {"code": 402}, {"msg": "x"},
                  {"code": 402, "msg": None}, {"code": 402, "msg": "x", "data": [1]}):
        assert errors(spec, at, wrong), wrong
    rejection = component_pointer("OrderRejection")
    assert errors(spec, rejection, {"code": 200, "msg": "success", "data": None})
    for success_without_data in ({"code": 200, "msg": "success"}, {"code": 200, "msg": "success", "data": None}):
        assert not errors(spec, at, success_without_data), "data is optional (| data | object | N |)"
    success = copy.deepcopy(media_example(spec, "2XX", "seedSample")["value"])
    success["msg"] = "OK"
    success["data"]["currency"] = 1
    assert not errors(spec, at, success), "any msg text, extra data fields"
    for name in ("amount", "balance", "userId", "orderTime"):
        partial = copy.deepcopy(success)
        del partial["data"][name]
        assert errors(spec, at, partial), name
    for order_time in (231412354534, "231412354534"):
        assert not errors(spec, at, {**success, "data": {**success["data"], "orderTime": order_time}}), order_time
    for order_time in ("2024-01-01 00:00:00", 2.5, "-1"):
        assert errors(spec, at, {**success, "data": {**success["data"], "orderTime": order_time}}), order_time


def test_sportsbook_score_fields_are_untyped_and_optional():
    spec = load_spec("sportsbook-order")
    body = copy.deepcopy(media_example(spec, None, "seedSample")["value"])
    for value in (0, "1", None, 2.5):
        body["optionArray"][0]["insHomeScore"] = body["optionArray"][0]["insAwayScore"] = value
        assert not errors(spec, request_pointer(spec), body), value
    del body["optionArray"][0]["insHomeScore"], body["optionArray"][0]["insAwayScore"]
    del body["optionArray"][0]["gameName"]
    assert not errors(spec, request_pointer(spec), body)


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
            if kind == "string or null" or name == "atag":
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
    # the pages give no body for 403 and 422: none is documented, so any body (or none) is accepted
    for status in ("403", "422"):
        response = resolve(spec, operation["responses"][status])
        assert "content" not in response, status
        assert len(response["x-orderproof-decision"]) > 20
    at = response_pointer(spec, "400")
    for body in ({"code": 103, "message": "Event not found"}, {"code": 999, "message": "new"}):
        assert not errors(spec, at, body), body
    if slug == "superbet-reserve":        # {code, message} are its named situations' (SR-ERRORS); other 400s: any body
        error = spec["components"]["schemas"]["SuperbetError"]
        for wrong in ({"code": "103", "message": "x"}, {"code": 103}, {"message": "x"}):
            assert not errors(spec, at, wrong) and list(jsonschema.Draft202012Validator(error).iter_errors(wrong)), wrong
        assert not errors(spec, at, {"detail": "There was an error parsing the body"})
    else:                                  # the jackpot page lost its error bodies: "check error code in response body"
        for body in ({"code": "103", "message": "x"}, {"code": 103}, {"detail": {"code": 117}}):
            assert not errors(spec, at, body), body
        assert errors(spec, at, {"code": [103]})


@pytest.mark.parametrize("slug", TICKET_SCHEMAS)
def test_ticket_engine_answer_is_not_held_to_the_fields_page(slug):
    """Values from the provider's Fields page are not enforced in the answer; atag may be null or
    absent; extra properties are allowed. The request keeps its enumerations."""
    spec = load_spec(slug)
    example = "seedSample" if slug == "superbet-reserve" else "threeEvents"
    at = response_pointer(spec, "200")
    ticket = copy.deepcopy(media_example(spec, "200", example)["value"])
    ticket.update(status="accepted", result="open", source="web", ext_type="exclusive", type="other",
                  atag=None, psp="mpesa")
    assert not errors(spec, at, ticket)
    del ticket["atag"]
    assert not errors(spec, at, ticket)
    ticket["wht"], ticket["ext"] = 20, 12
    assert not errors(spec, at, ticket), "integers are numbers"
    for name in ("status", "user_id", "wht"):
        partial = {key: value for key, value in ticket.items() if key != name}
        assert errors(spec, at, partial), name
    request = copy.deepcopy(media_example(spec, None, example)["value"])
    request["source"] = "web"
    assert errors(spec, request_pointer(spec), request), "the request keeps the Fields values"


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
    code = spec["components"]["schemas"]["SuperbetError"]["properties"]["code"]
    assert "enum" not in code
    assert code["examples"] == seed_codes
    assert all(str(c) in code["description"] for c in seed_codes)
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


def test_jackpot_error_code_is_any_code_and_the_known_codes_are_listed():
    spec = load_spec("jackpot-ticket")
    error = spec["components"]["schemas"]["JackpotError"]
    code = error["properties"]["code"]
    assert "enum" not in code and code["type"] == ["integer", "string"]       # the page lost its error bodies
    superbet_codes = load_spec("superbet-reserve")["components"]["schemas"]["SuperbetError"]
    for known in superbet_codes["properties"]["code"]["examples"] + [117, 118]:
        assert str(known) in code["description"], known
    assert "117" in error["x-orderproof-decision"] and "118" in error["x-orderproof-decision"]
    assert not errors(spec, response_pointer(spec, "400"), {"code": 120, "message": "Betcard closed"})


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
    assert set(responses) == {"2XX"} | set(seed_pairs)        # the seed gives PLACED no status
    for status, codes in seed_pairs.items():
        at = response_pointer(spec, status)
        for code in codes:
            body = {"status": "FAILURE", "errorCode": code}
            if code == "INVALID_STAKE":
                assert errors(spec, at, body), "INVALID_STAKE without failedBets must fail"
                body["failedBets"] = []
            assert not errors(spec, at, body), f"{status} {code}"
            assert not errors(spec, at, {**body, "errorMessage": None}), f"{status} {code} null message"
        for other in {c for s, cs in seed_pairs.items() if s != status for c in cs}:
            assert errors(spec, at, {"status": "FAILURE", "errorCode": other}), f"{status} {other}"
    # 409 and 422 answer only a repeated X-Idempotency-Key: described, not documented responses
    description = spec["info"]["description"]
    assert "409" in description and "422" in description and "bet-placement.key-reuse" in description


def test_bet_placement_failure_declares_failed_bets():
    spec = load_spec("bet-placement")
    failure = spec["components"]["schemas"]["Failure"]
    assert {"status", "errorCode", "errorMessage", "failedBets"} <= set(failure["properties"])
    assert failure["required"] == ["status", "errorCode"]
    assert failure["then"] == {"properties": {"failedBets": {"type": "array"}}, "required": ["failedBets"]}
    at = response_pointer(spec, "400")
    failed = {"betId": "5b0f6f57-8a3c-4f7e-9d1e-2a6c4b8d0e11", "sportId": "1", "eventId": "8",
              "marketId": "9", "selectionId": "10", "reason": {"minStake": 0.5}}
    body = {"status": "FAILURE", "errorCode": "INVALID_STAKE", "failedBets": [failed]}
    assert not errors(spec, at, body)
    assert errors(spec, at, {**body, "failedBets": [{**failed, "reason": {"maxStake": "5"}}]})
    assert errors(spec, at, {**body, "failedBets": [{k: v for k, v in failed.items() if k != "reason"}]})


def test_bet_placement_answer_allows_a_refreshed_token_and_extra_bet_fields():
    spec = load_spec("bet-placement")
    at = response_pointer(spec, "2XX")
    placed = copy.deepcopy(media_example(spec, "2XX", "placed")["value"])
    placed["sessionToken"] = "refreshed-token"
    placed["bets"][0]["potentialPayout"] = 18.5
    assert not errors(spec, at, placed)
    for wrong in ({"status": "PENDING"}, {"timestamp": 1640995200350}):
        assert errors(spec, at, {**placed, **wrong}), wrong


def test_bet_placement_headers_and_security():
    spec = load_spec("bet-placement")
    _, _, operation = the_operation(spec)
    assert operation["security"] == [{"apiKey": []}]
    assert spec["components"]["securitySchemes"]["apiKey"] == {
        **spec["components"]["securitySchemes"]["apiKey"], "type": "apiKey", "in": "header",
        "name": "X-API-Key"}
    (idempotency,) = operation["parameters"]
    assert (idempotency["name"], idempotency["in"], idempotency["required"]) == ("X-Idempotency-Key", "header", True)
    assert "BP-KEY-REQUIRED" in idempotency["description"] and "SHOULD" in idempotency["description"]
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
        ("sportsbook-order", "/components/schemas/OrderData"),
        ("sportsbook-order", "/components/schemas/TicketIdValue"),
        ("sportsbook-order", "/components/schemas/OrderRejection"),
        ("sportsbook-order", "/components/schemas/Option/properties/insHomeScore"),
        ("sportsbook-order", "/paths/~1order/post/responses/2XX"),
        ("sportsbook-order", "/paths/~1order/post/responses/4XX"),
        ("sportsbook-order", "/components/schemas/OrderData/properties/orderTime"),
        ("sportsbook-order", "/components/schemas/Bet/properties/comboItems"),
        ("superbet-reserve", "/components/schemas/SuperbetTicket/properties/wht"),
        ("jackpot-ticket", "/components/schemas/JackpotError"),
        ("jackpot-ticket", "/components/responses/Forbidden"),
        ("jackpot-ticket", "/components/responses/ValidationError"),
        ("superbet-reserve", "/components/schemas/SuperbetError"),
        ("superbet-reserve", "/components/responses/Forbidden"),
        ("superbet-reserve", "/components/responses/ValidationError"),
        ("bet-placement", "/components/schemas/Failure"),
    ],
)
def test_decision_is_recorded(name, where):
    node = load_spec(name)
    for part in where.strip("/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    assert len(node["x-orderproof-decision"]) > 20
