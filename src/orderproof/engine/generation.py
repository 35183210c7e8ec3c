"""Schemathesis-driven requests for any registered API: its spec loaded once per process, pools of
generated cases, the coverage phase's negative cases, positive cases made realistic by the API's
adapter, and every answer turned into an :class:`~orderproof.checks.base.Exchange`.

The adapter changes only positive cases (and, for a coverage case, the fields it did not break): a
negative case stays as Schemathesis mutated it, so that <P>-NEGATIVE judges what it generated.
"""

from __future__ import annotations

import copy
import json
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from typing import Any

import requests
import schemathesis
from hypothesis import given, seed
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.transport import Response
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.schemas import APIOperation

from orderproof import registry
from orderproof.checks.base import Exchange, loads_exact
from orderproof.checks.bodies import request_example
from orderproof.core.paths import spec_document
from orderproof.core.profiles import hypothesis_settings, seed_alone
from orderproof.engine.scene import Scene
from orderproof.engine.target import Target
from orderproof.engine.transport import Reply

__all__ = ["EDGE_NUMBERS", "build_request", "case_pool", "case_strategy", "coverage_choice", "coverage_sample",
           "description_of", "edge_cases", "exchange_from", "form_drops_nesting", "fresh_case", "identify_negative",
           "load_operation", "mode_of",
           "overlay_case", "request_fields", "set_path", "spec_example", "valid_body"]

# Schemathesis config: no example database; sanitisation of its own messages keeps
# idempotency keys readable and hides credentials.
_SCHEMATHESIS_CONFIG = {
    "generation": {"database": "none"},
    "output": {
        "sanitization": {
            "sensitive-markers": ["token", "secret", "password", "passwd", "auth", "session", "credential",
                                  "signature", "apikey", "api-key", "api_key"],
            "keys-to-sanitize": ["authorization", "cookie", "set-cookie", "x-api-key", "signature"],
        }
    },
}


@cache
def load_schema(slug: str) -> Any:
    """The API's spec loaded by Schemathesis (once per process)."""
    return schemathesis.openapi.from_path(registry.get(slug).spec_path,
                                          config=schemathesis.Config.from_dict(_SCHEMATHESIS_CONFIG))


@cache
def load_operation(slug: str) -> APIOperation:
    api = registry.get(slug)
    return load_schema(slug)[api.path][api.method]


@cache
def case_strategy(slug: str, mode: str = "all") -> st.SearchStrategy:
    """Cases of the API's operation: ``positive``, ``negative`` or ``all`` (either)."""
    operation = load_operation(slug)
    if mode == "positive":
        return operation.as_strategy(GenerationMode.POSITIVE)
    if mode == "negative":
        return operation.as_strategy(GenerationMode.NEGATIVE)
    return st.one_of(case_strategy(slug, "positive"), case_strategy(slug, "negative"))


def case_pool(slug: str, mode: str, size: int, pool_seed: int) -> tuple[Any, ...]:
    """``size`` cases of (API, ``positive`` or ``negative``) for the seed: one seeded Hypothesis run
    (a run draws each pool once: :mod:`orderproof.engine.pools`)."""
    collected: list[Any] = []

    @hypothesis_settings(size)
    @seed(pool_seed)
    @given(case=case_strategy(slug, mode))
    def collect(case: Any) -> None:
        collected.append(case)

    with seed_alone():
        collect()
    return tuple(collected)


# --- coverage cases: one thing broken in an otherwise valid request ------------------------------------

@cache
def coverage_cases(slug: str, mode: str = "negative") -> tuple[Any, ...]:
    """Schemathesis' coverage-phase negative cases of the operation: each breaks one thing (a
    missing required field, a wrong type, a value past a bound, a bad header) in an otherwise valid
    request. Probes with other HTTP methods and malformed Content-Type headers are left out (they
    test the web framework, not the API). ``mode="positive"``: its valid cases instead, every field
    at its bounds (the longest string, the largest integer, each enum value)."""
    operation = load_operation(slug)
    config = load_schema(slug).config.generation_for(operation=operation, phase="coverage")
    modes = [GenerationMode.POSITIVE if mode == "positive" else GenerationMode.NEGATIVE]
    generator = CoverageGenerator(
        operation=operation, generation_modes=modes, generation_config=config,
        auth_storage=None, override=Override(query={}, headers={}, cookies={}, path_parameters={}, body={}),
        feedback=FeedbackSources())
    return tuple(case for case in generator
                 if case.method.upper() == operation.method.upper()
                 and getattr(case.meta.phase.data, "parameter", None) != "Content-Type")


def _description(case: Any) -> str:
    return description_of(getattr(case, "meta", None))


def description_of(meta: Any) -> str:
    """What a coverage case's metadata says it broke (``customerToken: Incorrect type``)."""
    data = getattr(meta, "phase", None)
    return getattr(getattr(data, "data", None), "description", "") or ""


def coverage_choice(descriptions: Sequence[str], size: int, sample_seed: int) -> list[int]:
    """Which of the coverage cases (by their descriptions, in order) a sample sends, by index: every
    one that leaves out something required (the plainest invalid request there is), then a seeded
    sample of ``size`` of the others."""
    missing = [index for index, text in enumerate(descriptions) if "Missing" in text]
    rest = [index for index, text in enumerate(descriptions) if "Missing" not in text]
    if size < len(rest):
        rest = random.Random(sample_seed).sample(rest, size)
    return missing + rest


def coverage_sample(slug: str, size: int, sample_seed: int) -> list[Any]:
    """The :func:`coverage_choice` of the API's coverage cases."""
    cases = coverage_cases(slug)
    return [cases[index] for index in coverage_choice([_description(case) for case in cases], size, sample_seed)]


def mode_of(case: Any) -> str | None:
    """The mode Schemathesis generated a case in (``positive``, ``negative``; None for a case without
    metadata, as a replayed one)."""
    return case.meta.generation.mode.value if case.meta is not None else None


def mutated_names(case: Any) -> set[str]:
    """Names a coverage case says it broke (``customerToken: Incorrect type`` -> customerToken)."""
    data = getattr(case.meta, "phase", None) and case.meta.phase.data
    names = set(re.findall(r"[A-Za-z_][\w-]*", getattr(data, "description", "") or ""))
    parameter = getattr(data, "parameter", None)
    if parameter:
        names.add(parameter)
    return {name.lower() for name in names}


def fresh_case(case: Any) -> Any:
    """A copy of a pooled case that may be filled in without touching the pool."""
    return type(case)(
        case.operation, case.method, case.path, id=case.id,
        path_parameters=copy.deepcopy(case.path_parameters), headers=copy.deepcopy(case.headers),
        cookies=copy.deepcopy(case.cookies), query=copy.deepcopy(case.query), body=copy.deepcopy(case.body),
        media_type=case.media_type, multipart_content_types=case.multipart_content_types,
        meta=copy.deepcopy(case.meta),
    )


# --- realistic bodies ------------------------------------------------------------------------------------

def integral_floats_as_ints(value: Any) -> Any:
    """``0.0`` -> ``0`` throughout: JSON Schema counts ``0.0`` as an integer and Schemathesis
    generates it for integer fields; valid bodies use the plain integer form services expect."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {key: integral_floats_as_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral_floats_as_ints(item) for item in value]
    return value


def valid_body(slug: str, body: Any, scene: Scene, player: Mapping[str, Any], draw: Callable, **fixtures: Any) -> Any:
    """``body`` (a generated positive body) made realistic by the API's adapter. ``fixtures`` (e.g.
    ``event=``, ``betcard=``) replace the scene's for this body."""
    if not isinstance(body, dict):
        return body
    return registry.get(slug).overlay(integral_floats_as_ints(body), scene, player, draw, fixtures)


def form_drops_nesting(case: Any) -> bool:
    """The case goes as a form (key=value pairs) while its body holds lists or objects, which no
    standard form encoding carries (Schemathesis writes their keys, not their content)."""
    return (case.media_type or "").startswith("application/x-www-form-urlencoded") and isinstance(case.body, dict) \
        and any(isinstance(value, (dict, list)) for value in case.body.values())


def overlay_case(slug: str, case: Any, scene: Scene, draw: Callable) -> Mapping[str, Any]:
    """Fill a positive case in place; returns the player used."""
    scene.realistic = True
    player = scene.player()
    case.body = valid_body(slug, case.body, scene, player, draw)
    return player


def identify_negative(slug: str, case: Any, scene: Scene, draw: Callable,
                      broken: set[str] | None = None) -> Mapping[str, Any] | None:
    """A coverage negative case with a real player's identity and real fixtures (events, betcards,
    prices) in every top-level field it did not break (``broken``: by default what the case says it
    broke), so that the broken field is the only reason left to reject it."""
    if not isinstance(case.body, dict):
        return None
    player = scene.player()
    broken = mutated_names(case) if broken is None else broken
    realistic = valid_body(slug, copy.deepcopy(case.body), scene, player, draw)
    body = dict(case.body)
    for key in body:
        if key.lower() not in broken and isinstance(realistic, dict) and key in realistic:
            body[key] = realistic[key]
    case.body = body
    return player


def spec_example(slug: str) -> dict[str, Any]:
    """The request example the API's spec documents (its ``example``/``examples``)."""
    api = registry.get(slug)
    return request_example(api.spec_path, api.path, api.method)


def documented_only(slug: str, body: Any, media_type: str = "application/json") -> Any:
    """``body`` without the properties the request schema does not name (generated positive bodies
    carry random extra properties, which the schema allows; a flow's scenario is about business
    rules, so its bodies keep to the documented fields)."""
    api = registry.get(slug)
    document = spec_document(api.spec_path)
    content = document["paths"][api.path][api.method.lower()]["requestBody"]["content"]
    schema = (content.get(media_type) or next(iter(content.values())))["schema"]
    return _documented(body, schema, document, 0)


def _resolve(schema: Any, document: Mapping[str, Any]) -> Any:
    while isinstance(schema, Mapping) and "$ref" in schema and str(schema["$ref"]).startswith("#/"):
        target: Any = document
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        schema = target
    return schema


def _documented(value: Any, schema: Any, document: Mapping[str, Any], depth: int) -> Any:
    schema = _resolve(schema, document)
    if not isinstance(schema, Mapping) or depth > 32:
        return value
    branches = [schema] + [_resolve(branch, document) for key in ("allOf", "anyOf", "oneOf")
                           for branch in schema.get(key, [])]
    if isinstance(value, dict):
        properties: dict[str, Any] = {}
        for branch in branches:
            if isinstance(branch, Mapping):
                properties.update(branch.get("properties") or {})
        if not properties:
            return value
        return {key: _documented(item, properties[key], document, depth + 1)
                for key, item in value.items() if key in properties}
    if isinstance(value, list):
        items = next((branch["items"] for branch in branches if isinstance(branch, Mapping) and "items" in branch), None)
        return [_documented(item, items, document, depth + 1) for item in value] if items is not None else value
    return value


# --- edge numbers ------------------------------------------------------------------------------------------

# Numbers at the edges of what a decimal, a double or a 64-bit parser copes with. Every run sends one
# otherwise valid request per (field, value), the fields each adapter names: the answer may be a
# refusal, never a server error (and an accepted one is judged by every response rule).
EDGE_NUMBERS: tuple[Any, ...] = (1.7976931348623157e308, -0.0, 5e-324, 2**53 - 1, 2**53 + 1, 2**63 - 1, 2**63 + 1)
# An amount of cents with a fraction, sent in the fields an adapter names as integer cents: refused,
# or accepted and then judged like any answer (a ticket of price 1000 for 1000.75 does not echo it,
# one of price 1000.75 is not in cents). 5e-324 has a fraction too, but a service that truncates it
# meets a price of 0, which it may refuse for being 0.
CENTS_WITH_A_FRACTION = 1000.75


def edge_cases(slug: str) -> tuple[tuple[tuple[Any, ...], Any], ...]:
    """Every (path, value) the edge pass of ``slug`` sends."""
    adapter = registry.get(slug)
    return (tuple((path, value) for path in adapter.edge_fields for value in EDGE_NUMBERS)
            + tuple((path, CENTS_WITH_A_FRACTION) for path in adapter.cents_fields))


def set_path(body: Any, path: tuple[Any, ...], value: Any) -> bool:
    """Put ``value`` at ``path`` in ``body`` (in place); False when the path does not exist."""
    target = body
    for step in path[:-1]:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(target, dict) or (isinstance(target, list) and isinstance(path[-1], int) and path[-1] < len(target)):
        target[path[-1]] = value
        return True
    return False


# --- requests and exchanges --------------------------------------------------------------------------------

def build_request(slug: str, case: Any, target: Target, transport: Any) -> requests.PreparedRequest:
    """The exact request for a case: Schemathesis serialises it, the target gives the URL. The case's
    metadata is frozen first: the engine judges a case as what it was generated (its mode is read
    before it is filled in), and a case left unfrozen has Schemathesis hash every part of it again
    each time something reads its metadata (a dozen times a request: about 6 % of a run)."""
    case.freeze_metadata()
    kwargs = case.as_transport_kwargs(base_url=target.base_url)
    headers = {name: value for name, value in kwargs.get("headers", {}).items()
               if name.lower() not in ("user-agent", "x-schemathesis-testcaseid")}
    request = requests.Request(
        method=kwargs["method"], url=target.url_for(slug), headers=headers, params=kwargs.get("params") or None,
        json=kwargs.get("json") if "json" in kwargs else None, data=kwargs.get("data"), files=kwargs.get("files"),
    ).prepare()
    request.headers.update(transport.headers)
    return request


def body_bytes(request: requests.PreparedRequest) -> bytes | None:
    body = request.body
    if body is None:
        return None
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def request_fields(request: requests.PreparedRequest) -> dict[str, Any]:
    """The request half of an :class:`Exchange`: method, url, lower-cased headers, the body as
    sent (text) and parsed exactly (``None`` when it is not JSON), and the media type."""
    raw = body_bytes(request)
    parsed = None
    if raw:
        try:
            parsed = loads_exact(raw)
        except (ValueError, UnicodeDecodeError):
            parsed = None
    return {
        "method": request.method or "",
        "url": request.url or "",
        "request_headers": {name.lower(): value for name, value in request.headers.items()},
        "request_body": parsed,
        "request_text": raw.decode("utf-8", errors="replace") if raw is not None else None,
        "request_bytes": raw,
        "media_type": (request.headers.get("Content-Type") or "").split(";")[0].strip() or None,
    }


def exchange_from(slug: str, reply: Reply, mode: str | None = None, conventions: Any = None) -> Exchange:
    extra: dict[str, Any] = {"sent_at": time.time() - (reply.elapsed or 0.0)}
    if reply.error:
        extra["error"] = reply.error
    return Exchange(
        api=slug,
        **request_fields(reply.request),
        status=reply.status,
        response_headers={name: ", ".join(values) for name, values in reply.headers.items()},
        response_text=reply.text,
        mode=mode,
        elapsed_s=reply.elapsed,
        extra=extra,
        conventions=conventions,
    )


def schemathesis_response(reply: Reply, content_type: str | None = None) -> Any:
    """The reply as a ``schemathesis.Response`` for its built-in checks (``content_type``: read as
    that media type instead of the one it carries)."""
    headers = reply.headers
    if content_type is not None:
        headers = {name: values for name, values in headers.items() if name.lower() != "content-type"}
        headers["content-type"] = [content_type]
    return Response(status_code=reply.status, headers=headers, content=reply.content,
                    request=reply.request, elapsed=reply.elapsed, verify=True)


def json_dumps(body: Any) -> bytes:
    return json.dumps(body).encode("utf-8")
