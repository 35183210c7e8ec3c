"""The travel-order spec against its seed (002): the help page's samples validate, and no field of
the request table or of any nested type in the request sample is missing from the spec."""

from __future__ import annotations

import json

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from orderproof import registry

from . import seed_samples as shared

pytestmark = pytest.mark.skipif(not shared.SEEDS_DIR.is_dir(),
                                reason=f"seed documents not found in {shared.SEEDS_DIR}")

API = registry.get("travel-order")
OPERATION = ("/api/invoice/createorder", "post")
JSON_TYPES = ("application/json", "text/json")
FORM = "application/x-www-form-urlencoded"
SPEC_URI = "urn:orderproof:openapi:travel-order"

# jsonschema checks date-time; the OpenAPI integer formats are bounds, as Schemathesis treats them.
FORMATS = jsonschema.FormatChecker()
for _name, _bits in (("int32", 32), ("int64", 64)):
    FORMATS.checks(_name)(
        lambda value, bits=_bits: not isinstance(value, int) or -(2 ** (bits - 1)) <= value < 2 ** (bits - 1)
    )


# --- the seed ---------------------------------------------------------------------------------

def seed_lines() -> list[str]:
    return shared.seed_text(API.slug).splitlines()


def seed_samples() -> list[dict]:
    """The JSON object on the line after each "Sample:" line: the request sample, then the
    response sample (the form-urlencoded "Sample:" is empty)."""
    lines = seed_lines()
    return [
        json.loads(lines[i + 1])
        for i, line in enumerate(lines[:-1])
        if line.strip() == "Sample:" and lines[i + 1].lstrip().startswith("{")
    ]


def request_sample() -> dict:
    return seed_samples()[0]


def response_sample() -> dict:
    return seed_samples()[-1]


def request_table_fields() -> list[str]:
    """Names in the CreateOrderRequest table. The table is flattened one cell per line (name,
    description, type, "None. |"), so a row starts after a "None. |" or a lone "|"; one row is
    collapsed onto a line (``invoiceparms | Collection of ParmInfo |``)."""
    lines = [line.strip() for line in seed_lines()]
    table = lines[lines.index("---|---|---|---|") + 1 : lines.index("Request Formats")]
    names = []
    for i, cell in enumerate(table):
        if i == 0 or table[i - 1] in ("None. |", "|"):
            name = cell.split("|")[0].strip()
            if name:
                names.append(name)
    return names


# --- the spec ---------------------------------------------------------------------------------

def spec() -> dict:
    return shared.load_spec(API.slug)


def operation() -> dict:
    path, method = OPERATION
    return spec()["paths"][path][method]


def validator(*parts: str) -> jsonschema.Draft202012Validator:
    """A 2020-12 validator (formats checked) for the schema at ``parts`` of the spec, its
    ``#/components/...`` refs resolved within the spec document."""
    registry = Registry().with_resource(SPEC_URI, Resource(contents=spec(), specification=DRAFT202012))
    return jsonschema.Draft202012Validator(
        {"$ref": SPEC_URI + "#" + shared.pointer(*parts)},
        registry=registry,
        format_checker=FORMATS,
    )


def errors(instance, *parts: str) -> list[str]:
    found = sorted(validator(*parts).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [f"{list(e.absolute_path)}: {e.message}" for e in found]


def body_schema(media_type: str) -> tuple[str, ...]:
    return ("paths", *OPERATION, "requestBody", "content", media_type, "schema")


def response_schema(status: str, media_type: str) -> tuple[str, ...]:
    return ("paths", *OPERATION, "responses", status, "content", media_type, "schema")


def resolve(schema: dict) -> dict:
    return shared.resolve(spec(), schema)


def missing_keys(instance, schema: dict, path: str = "$") -> list[str]:
    """Every key of ``instance`` (recursively) that the schema at the same place does not list in
    its properties."""
    schema = resolve(schema)
    if isinstance(instance, list):
        return [m for item in instance for m in missing_keys(item, schema.get("items", {}), path + "[]")]
    if not isinstance(instance, dict):
        return []
    properties = schema.get("properties", {})
    missing = []
    for key, value in instance.items():
        if key not in properties:
            missing.append(f"{path}.{key}")
        else:
            missing.extend(missing_keys(value, properties[key], f"{path}.{key}"))
    return sorted(set(missing))


# --- tests ------------------------------------------------------------------------------------

def test_seed_has_the_two_samples():
    assert len(seed_samples()) == 2
    assert "opersystem" in request_sample()
    assert set(response_sample()) == {"data", "code", "message"}


def test_operation_is_labelled():
    op = operation()
    assert op["operationId"] == "travelOrder"
    assert op["x-orderproof-api"] == API.slug
    assert op["x-orderproof-seed"] == API.seed
    assert set(op["requestBody"]["content"]) == {*JSON_TYPES, FORM}


@pytest.mark.parametrize("media_type", JSON_TYPES)
def test_request_sample_validates(media_type):
    assert errors(request_sample(), *body_schema(media_type)) == []


@pytest.mark.parametrize("media_type", JSON_TYPES)
def test_response_sample_validates_against_2xx(media_type):
    assert errors(response_sample(), *response_schema("2XX", media_type)) == []


@pytest.mark.parametrize("media_type", JSON_TYPES)
def test_refusal_envelope_at_2xx(media_type):
    """Convention travel-order.rejection, option http-200: a refusal is the envelope with a code
    other than 100; data and message may be null or absent (a serializer omitting nulls), data's
    members null."""
    assert set(operation()["responses"]) == {"2XX", "4XX"}
    parts = response_schema("2XX", media_type)
    for refusal in ({"data": None, "code": 102, "message": "unknown memberid"},
                    {"code": 101}, {"code": -1, "message": None}, {"data": None, "code": 0},
                    {"data": {"docno": None, "orderno": None}, "code": 102, "message": "unknown memberid"},
                    response_sample()):
        assert errors(refusal, *parts) == [], refusal
    for wrong in ({"data": None, "message": "x"}, {"code": "101"}, {"code": 101, "message": 5},
                  {"code": 101, "data": "x"}, {"code": 101, "data": {"docno": 7}}):
        assert errors(wrong, *parts), wrong


def test_a_4xx_may_carry_any_body():
    """The page documents no HTTP status and no validation: what a framework answers to a body it
    cannot bind (ASP.NET problem+json, FastAPI's {"detail": [...]}) is TO-NEGATIVE's (a SHOULD), the
    envelope of a refusal of a valid order TO-ENVELOPE's."""
    assert operation()["responses"]["4XX"]["content"] == {
        "*/*": {"schema": {}, "examples": operation()["responses"]["4XX"]["content"]["*/*"]["examples"]}}


@pytest.mark.parametrize("media_type", JSON_TYPES)
def test_code_100_carries_docno_and_orderno(media_type):
    parts = response_schema("2XX", media_type)
    success = {"data": {"docno": "D1", "orderno": "O1"}, "code": 100, "message": "success"}
    assert errors(success, *parts) == []
    assert errors({"data": {"docno": "D1", "orderno": "O1"}, "code": 100}, *parts) == []
    for wrong in ({"code": 100}, {"data": None, "code": 100}, {"data": {"docno": "D1"}, "code": 100},
                  {"data": {"docno": "D1", "orderno": 7}, "code": 100},
                  {"data": {"docno": None, "orderno": None}, "code": 100}):
        assert errors(wrong, *parts), wrong


def test_validator_is_not_vacuous():
    """The request schema rejects wrong types, unparseable dates and wrong nested types."""
    parts = body_schema("application/json")
    assert errors({"memberid": "8"}, *parts)
    assert errors({"status": 2**31}, *parts), "int32"
    assert errors({"memberid": 2**63}, *parts), "int64"
    assert errors({"memberid": 2**63 - 1, "status": -(2**31)}, *parts) == []
    assert errors({"createdate": "23/12/2024 14:51"}, *parts)
    assert errors({"localtravelroutine": [{"localTravelDetails": [{"quantity": 1.5}]}]}, *parts)
    assert errors({"tourgrouproutine": [{"TourGroupEmerContact": []}]}, *parts)
    assert errors({}, *parts) == [], "no field is required"


def test_spec_examples_are_the_seed_samples():
    content = operation()["requestBody"]["content"]
    for media_type in JSON_TYPES:
        (example,) = content[media_type]["examples"].values()
        assert resolve(example)["value"] == request_sample()
        (example,) = operation()["responses"]["2XX"]["content"][media_type]["examples"].values()
        assert resolve(example)["value"] == response_sample()


def test_every_request_table_field_is_in_the_schema():
    fields = request_table_fields()
    assert len(fields) == 34, fields
    assert {"opersystem", "invoiceparms", "sugarAIRoutine", "outScopeReason"} <= set(fields)
    properties = resolve(spec()["components"]["schemas"]["CreateOrderRequest"])["properties"]
    assert [f for f in fields if f not in properties] == []


@pytest.mark.parametrize("media_type", JSON_TYPES)
def test_every_key_of_the_request_sample_is_in_the_schema(media_type):
    schema = {"$ref": "#" + shared.pointer(*body_schema(media_type))}
    assert missing_keys(request_sample(), schema) == []
    assert missing_keys({"farerouteing": [{"rule": {"refnud": "x"}}]}, schema) == [
        "$.farerouteing[].rule.refnud"
    ]


def test_form_body_is_the_top_level_scalars():
    request = resolve(spec()["components"]["schemas"]["CreateOrderRequest"])["properties"]
    scalars = {
        name for name, schema in request.items() if resolve(schema).get("type") not in ("array", "object")
    }
    form = resolve(operation()["requestBody"]["content"][FORM]["schema"])["properties"]
    assert set(form) == scalars
    for name, schema in form.items():
        assert resolve(schema).get("type") == resolve(request[name]).get("type"), name
        assert resolve(schema).get("format") == resolve(request[name]).get("format"), name


def test_every_integer_has_a_format():
    loose = [
        at
        for at, node in shared.iter_schemas(spec())
        if node["type"] == "integer" and node.get("format") not in ("int32", "int64")
    ]
    assert loose == []
