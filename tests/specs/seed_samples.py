"""Samples and field tables read from the seed documents, and the spec lookups the tests hold them to.

Every extraction is small and explicit: the seeds are a few pages of loosely formatted text, so each
reader says which layout it expects and fails loudly (AssertionError naming the seed) when the text
does not have it, rather than silently returning nothing.
"""

from __future__ import annotations

import html
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any, Iterator

import yaml
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from orderproof import registry
from orderproof.core.paths import PROVIDER_STATES_SPEC

REPO = Path(__file__).resolve().parents[2]
SEEDS_DIR = Path(os.environ.get("ORDERPROOF_SEEDS_DIR", REPO.parent / "shared" / "seeds"))


# ---------------------------------------------------------------------------------------------
# Seeds


def seed_text(slug: str) -> str:
    return (SEEDS_DIR / registry.get(slug).seed).read_text(encoding="utf-8")


def fenced_blocks(text: str) -> list[str]:
    """The bodies of the ``` fenced blocks, in order."""
    return re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)


def sportsbook_samples() -> dict[str, str]:
    """Seed 000's three fenced samples, raw: the request, the ComboItem and the response."""
    text = seed_text("sportsbook-order")
    blocks = fenced_blocks(text)
    assert len(blocks) == 3, f"seed 000: expected 3 fenced samples, found {len(blocks)}"
    request, combo_item, response = blocks
    assert '"customerToken"' in request and '"SubComboId"' in combo_item and '"msg"' in response
    return {"request": request, "combo_item": combo_item, "response": response}


def repair_json_syntax(raw: str) -> str:
    """Seed 000's syntax slips, repaired: a missing comma between a value that ends a line and the
    next key, and a trailing comma before a closing bracket."""
    text = re.sub(r'(["\d\]}el])(\s*\n\s*")', r"\1,\2", raw)
    return re.sub(r",(\s*[}\]])", r"\1", text)


def repaired_sportsbook_request() -> dict[str, Any]:
    """Seed 000's request sample as JSON: syntax repaired and the `[ComboItem]` placeholder replaced
    by the seed's own ComboItem sample. Nothing else is changed (the missing fields stay missing)."""
    samples = sportsbook_samples()
    combo = repair_json_syntax(samples["combo_item"])
    assert "[ComboItem]" in samples["request"], "seed 000: the [ComboItem] placeholder is gone"
    text = repair_json_syntax(samples["request"]).replace("[ComboItem]", f"[{combo}]")
    return json.loads(text)


def markdown_tables(text: str) -> list[list[list[str]]]:
    """Every run of `|` lines as a table: its data rows as lists of cells (the header row above the
    separator, the separator and rows with an empty first cell left out)."""
    tables: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in text.splitlines():
        if not line.startswith("|"):
            current = None
            continue
        if current is None:
            current = []
            tables.append(current)
        cells = [_clean(cell) for cell in line.strip().strip("|").split("|")]
        if set(cells[0]) <= set("-: ") and cells[0]:
            del current[:]  # a separator: the row above it, if any, was the header
        elif cells[0]:
            current.append(cells)
    return [table for table in tables if table]


def _clean(cell: str) -> str:
    return html.unescape(cell).replace("\\_", "_").replace("\\<", "<").strip()


TICKET_TYPES = {"string", "integer", "float", "bool", "string or null", "list of integers",
                "list of objects"}


def ticket_engine_fields(slug: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Seeds 001/003 list fields as lines "name", "type", "description". A field is a name-like
    line followed (blank lines aside) by a known type. Request fields come first; the response
    fields start at `id`. Nested fields are spelled "events id" (property `id` of `events[]`)."""
    lines = [line.strip() for line in seed_text(slug).splitlines() if line.strip()]
    fields = [
        (name, kind)
        for name, kind in zip(lines, lines[1:])
        if kind in TICKET_TYPES and re.fullmatch(r"[a-z_]+( [a-z_]+)?", name)
    ]
    names = [name for name, _ in fields]
    assert "id" in names, f"seed {slug}: no response field `id` found"
    split = names.index("id")
    return fields[:split], fields[split:]


def status_codes(slug: str) -> set[int]:
    """The status codes a seed's status table lists (lines that are just three digits)."""
    return {int(line) for line in re.findall(r"^\s*([1-5]\d\d)\s*$", seed_text(slug), flags=re.M)}


def json_samples(slug: str) -> list[tuple[str, Any]]:
    """Every JSON object that starts a line, with the nearest non-empty line above it as label."""
    text = seed_text(slug)
    decoder = json.JSONDecoder()
    samples = []
    for match in re.finditer(r"^\{", text, flags=re.M):
        value, _ = decoder.raw_decode(text, match.start())
        above = [line.strip() for line in text[: match.start()].splitlines() if line.strip()]
        samples.append((above[-1], value))
    return samples


def bet_placement_tables() -> list[tuple[str, list[list[str]]]]:
    """Seed 004's tables (HTML and Markdown), each with the heading it sits under, in order."""
    tables: list[tuple[str, list[list[str]]]] = []
    heading = ""
    markdown: list[str] = []

    def flush() -> None:
        if markdown:
            tables.extend((heading, rows) for rows in markdown_tables("\n".join(markdown)))
            markdown.clear()

    for line in seed_text("bet-placement").splitlines():
        if line.startswith("|"):
            markdown.append(line)
            continue
        flush()
        if match := re.match(r"#+ (.+)", line):
            heading = match.group(1).strip()
        elif "<table>" in line:
            rows = [
                [_clean(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td>(.*?)</td>", row)]
                for row in re.findall(r"<tr>(.*?)</tr>", line)
            ]
            tables.append((heading, [row for row in rows if row]))
    flush()
    return tables


# ---------------------------------------------------------------------------------------------
# Specs

SPEC_URI = "urn:orderproof:spec"


def spec_paths() -> dict[str, Path]:
    """Every spec orderproof ships, by name: each API's (its slug) and ``provider-states``."""
    return {**{slug: api.spec_path for slug, api in registry.adapters().items()}, "provider-states": PROVIDER_STATES_SPEC}


@cache
def load_spec(name: str) -> dict[str, Any]:
    """A spec by name (`bet-placement`, `provider-states`, ...)."""
    with spec_paths()[name].open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def pointer(*parts: str) -> str:
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def validator(spec: dict[str, Any], at: str) -> Draft202012Validator:
    """A validator for the schema at JSON pointer `at` of the spec, its `$ref`s resolved within
    the whole document."""
    resource = Resource.from_contents(spec, default_specification=DRAFT202012)
    registry = Registry().with_resource(SPEC_URI, resource)
    return Draft202012Validator(
        {"$ref": f"{SPEC_URI}#{at}"}, registry=registry, format_checker=FormatChecker()
    )


def errors(spec: dict[str, Any], at: str, instance: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
        for error in validator(spec, at).iter_errors(instance)
    ]


def component_pointer(name: str) -> str:
    return pointer("components", "schemas", name)


def the_operation(spec: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """(path, method, operation) of a single-operation spec."""
    operations = [
        (path, method, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in {"get", "put", "post", "delete", "patch"}
    ]
    assert len(operations) == 1, f"expected one operation, found {len(operations)}"
    return operations[0]


def request_pointer(spec: dict[str, Any]) -> str:
    path, method, _ = the_operation(spec)
    return pointer("paths", path, method, "requestBody", "content", "application/json", "schema")


def response_pointer(spec: dict[str, Any], status: str) -> str:
    path, method, operation = the_operation(spec)
    response = operation["responses"][status]
    if "$ref" in response:
        return response["$ref"].lstrip("#") + pointer("content", "application/json", "schema")
    return pointer("paths", path, method, "responses", status, "content", "application/json",
                   "schema")


def media_example(spec: dict[str, Any], status: str | None, name: str) -> Any:
    """The value of a named media-type example of the request (status None) or a response."""
    _, _, operation = the_operation(spec)
    holder = operation["requestBody"] if status is None else operation["responses"][status]
    return holder["content"]["application/json"]["examples"][name]


def iter_examples(spec: dict[str, Any]) -> Iterator[tuple[str, str, Any]]:
    """(where, schema pointer, example value) for every example in a spec: media-type and
    parameter `examples`/`example` (validated against the sibling `schema`; `$ref` examples
    followed) and schema `examples` lists (validated against the schema that holds them)."""

    def walk(node: Any, at: str) -> Iterator[tuple[str, str, Any]]:
        if isinstance(node, dict):
            if isinstance(node.get("schema"), dict):
                for name, example in (node.get("examples") or {}).items():
                    yield f"{at}/examples/{name}", at + "/schema", resolve(spec, example)["value"]
                if "example" in node:
                    yield f"{at}/example", at + "/schema", node["example"]
            if isinstance(node.get("examples"), list):
                for index, example in enumerate(node["examples"]):
                    yield f"{at}/examples/{index}", at, example
            for key, value in node.items():
                yield from walk(value, at + pointer(key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from walk(value, f"{at}/{index}")

    return walk(spec, "")


def iter_schemas(node: Any, at: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every dict that declares a JSON Schema `type` (as a string or a list), with its pointer."""
    if isinstance(node, dict):
        if isinstance(node.get("type"), (str, list)) and not {"in", "name"} <= node.keys():
            yield at, node
        for key, value in node.items():
            yield from iter_schemas(value, at + pointer(key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from iter_schemas(value, f"{at}/{index}")


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (one level at a time) to the schema it names."""
    while "$ref" in schema:
        target: Any = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        schema = target
    return schema


def field(spec: dict[str, Any], schema_name: str, dotted: str) -> tuple[dict[str, Any], bool]:
    """(schema, required) of a field of a component schema; `events id` is `id` of `events[]`."""
    schema = resolve(spec, spec["components"]["schemas"][schema_name])
    *parents, name = dotted.split()
    for parent in parents:
        schema = resolve(spec, resolve(spec, schema["properties"][parent])["items"])
    assert name in schema.get("properties", {}), f"{schema_name}: no field {dotted!r}"
    return schema["properties"][name], name in schema.get("required", [])
