"""Every spec orderproof ships (each API package's openapi.yaml, the provider-states spec) is a valid
OpenAPI 3.1 document whose examples fit their schemas; each API spec carries the operation its
adapter names; integers are bounded for generation."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from openapi_spec_validator import validate
from schemathesis.core.transport import Response
from schemathesis.errors import FailureGroup

from orderproof import registry
from orderproof.core.paths import PROVIDER_STATES_PATH
from orderproof.engine.generic import SCHEMA_CHECKS

from .seed_samples import (
    errors,
    iter_examples,
    iter_schemas,
    load_spec,
    resolve,
    spec_paths,
)

SPEC_NAMES = sorted(spec_paths())
OWN_API_SPECS = ["sportsbook-order", "jackpot-ticket", "superbet-reserve", "bet-placement"]


def test_the_specs_are_there():
    assert set(OWN_API_SPECS) | {"provider-states"} <= set(SPEC_NAMES)


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_spec_is_valid_openapi_3_1(name):
    spec = load_spec(name)
    assert spec["openapi"] == "3.1.0"
    validate(spec)


@pytest.mark.parametrize("name", SPEC_NAMES)
def test_every_example_fits_its_schema(name):
    spec = load_spec(name)
    examples = list(iter_examples(spec))
    assert examples, f"{name}: no examples"
    problems = [
        f"{where}: {problem}"
        for where, schema_at, value in examples
        for problem in errors(spec, schema_at, value)
    ]
    assert not problems, "\n".join(problems)


def test_example_walk_finds_media_parameter_and_schema_examples():
    spec = {
        "components": {
            "schemas": {"Id": {"type": "integer", "format": "int32", "examples": [1, "x"]}},
            "parameters": {"P": {"name": "p", "in": "header", "schema": {"type": "string"},
                                 "example": 3}},
        },
        "paths": {"/a": {"post": {"requestBody": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Id"},
            "examples": {"ok": {"value": 2}, "bad": {"value": "two"}}}}}}}},
    }
    found = {where: bool(errors(spec, at, value)) for where, at, value in iter_examples(spec)}
    assert found == {
        "/components/schemas/Id/examples/0": False,
        "/components/schemas/Id/examples/1": True,
        "/components/parameters/P/example": True,
        "/paths/~1a/post/requestBody/content/application~1json/examples/ok": False,
        "/paths/~1a/post/requestBody/content/application~1json/examples/bad": True,
    }


@pytest.mark.parametrize("slug", OWN_API_SPECS + (["travel-order"] if "travel-order" in SPEC_NAMES else []))
def test_operation_names_match_the_api_table(slug):
    api = registry.get(slug)
    spec = load_spec(slug)
    assert list(spec["paths"]) == [api.path]
    assert list(spec["paths"][api.path]) == [api.method.lower()]
    operation = spec["paths"][api.path][api.method.lower()]
    camel = slug.split("-")[0] + "".join(part.title() for part in slug.split("-")[1:])
    assert operation["operationId"] == camel
    assert operation["summary"].strip()
    assert operation["x-orderproof-api"] == slug
    assert operation["x-orderproof-seed"] == api.seed


@pytest.mark.parametrize("name", OWN_API_SPECS + ["provider-states"])
def test_every_integer_has_a_format_or_bounds(name):
    """Unbounded integers make Schemathesis generate values beyond 64 bits."""
    unbounded = [
        at
        for at, schema in iter_schemas(load_spec(name))
        if "integer" in (schema["type"] if isinstance(schema["type"], list) else [schema["type"]])
        and not {"format", "const", "enum", "maximum"} & schema.keys()
    ]
    assert not unbounded, f"{name}: integers without format or bounds: {unbounded}"


@pytest.mark.parametrize("name", OWN_API_SPECS)
def test_every_property_has_a_description(name):
    spec = load_spec(name)
    missing = [
        f"{at}/{prop}"
        for at, schema in iter_schemas(spec)
        for prop, sub in schema.get("properties", {}).items()
        if not sub.get("description")
        and not (set(sub) == {"$ref"} and "description" in resolve(spec, sub))
        and not set(sub) <= {"const", "enum"}   # a narrowing inside allOf
    ]
    assert not missing, f"{name}: properties without description: {missing}"


def test_provider_states_spec_matches_the_architecture():
    spec = load_spec("provider-states")
    assert list(spec["paths"]) == [PROVIDER_STATES_PATH]
    operation = spec["paths"][PROVIDER_STATES_PATH]["post"]
    assert {"200", "400", "404"} <= set(operation["responses"])
    schemas = spec["components"]["schemas"]
    states = schemas["StateName"]["enum"]
    assert states == ["an operator exists", "a player exists", "an event exists",
                      "a jackpot betcard exists", "a player snapshot"]
    assert schemas["Action"]["enum"] == ["setup", "teardown"]
    assert schemas["Action"]["default"] == "setup"
    # every state has a request variant with its params, a plain-English description and an answer
    variants = {}
    for ref in schemas["ProviderStateRequest"]["oneOf"]:
        variant = schemas[ref["$ref"].rsplit("/", 1)[1]]
        assert len(variant["description"]) > 40
        variants[variant["properties"]["state"]["const"]] = variant
    assert set(variants) == set(states)
    answers = operation["x-orderproof-state-answers"]
    assert set(answers) == set(states)
    for ref in answers.values():
        assert ref.rsplit("/", 1)[1] in schemas
    assert "production" in spec["info"]["description"]
    assert "test" in spec["info"]["description"].lower()


@pytest.mark.parametrize(
    ("state", "params", "valid"),
    [
        ("an operator exists", {}, True),
        ("an operator exists", {"webhook_url": None, "ext": 12.5, "wht": "20.0"}, True),
        ("an operator exists", {"colour": "red"}, False),
        ("a player exists", {"balance": "50.00", "blocked": True}, True),
        ("a player exists", {"balance": "fifty"}, False),
        ("an event exists", {"markets": [{"code": "1X2", "prices": ["1.85", 3.4]}]}, True),
        ("a jackpot betcard exists", {"events": 0}, False),
        ("a player snapshot", {"userId": "u1"}, True),
        ("a player snapshot", {}, False),
        ("a dragon exists", {}, False),
    ],
)
def test_provider_state_request_schema(state, params, valid):
    spec = load_spec("provider-states")
    body = {"state": state, "params": params, "action": "setup"}
    assert (not errors(spec, "/components/schemas/ProviderStateRequest", body)) is valid


@pytest.mark.parametrize(
    ("example", "answer"),
    [("operator", "OperatorAnswer"), ("player", "PlayerAnswer"), ("event", "EventAnswer"),
     ("betcard", "BetcardAnswer"), ("snapshot", "SnapshotAnswer"), ("teardown", "TeardownAnswer")],
)
def test_provider_state_answer_examples_fit_their_state_answer(example, answer):
    """The 200 schema is a union; each example must fit the answer of its own state."""
    spec = load_spec("provider-states")
    operation = spec["paths"][PROVIDER_STATES_PATH]["post"]
    value = operation["responses"]["200"]["content"]["application/json"]["examples"][example]["value"]
    assert not errors(spec, f"/components/schemas/{answer}", value)
    others = {"OperatorAnswer", "PlayerAnswer", "EventAnswer", "BetcardAnswer", "SnapshotAnswer"}
    if value:
        assert all(errors(spec, f"/components/schemas/{other}", value) for other in others - {answer})


def _schema_failures(slug: str, status: int, content_type: str, body: bytes) -> list[str]:
    """What Schemathesis' response checks (<P>-SCHEMA's) say of this answer to the API's operation."""
    spec = schemathesis.openapi.from_path(str(registry.get(slug).spec_path))
    operation = next(iter(spec.get_all_operations())).ok()
    prepared = requests.Request("POST", "http://target.test" + operation.path).prepare()
    response = Response(status_code=status, headers={"content-type": [content_type]}, content=body,
                        request=prepared, elapsed=0.01, verify=False)
    try:
        operation.Case(body={}).validate_response(response, checks=list(SCHEMA_CHECKS))
    except FailureGroup as group:
        return [str(exc) for exc in group.exceptions]
    return []


def test_a_superbet_400_may_come_in_any_media_type_and_a_jackpot_400_is_json():
    """The superbet page says nothing of a request it cannot read (a Go service's http.Error answers
    text/plain); the jackpot page asks for an error code in a 400's body."""
    go = b"json: cannot unmarshal object into Go struct field Request.type of type string"
    assert _schema_failures("superbet-reserve", 400, "text/plain; charset=utf-8", go) == []
    assert any("Content-Type" in failure for failure in
               _schema_failures("jackpot-ticket", 400, "text/plain; charset=utf-8", go))
