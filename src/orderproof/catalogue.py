"""The rule catalogue: the contract of every registered API loaded, validated and cross-checked
with its spec.

A contract file (``contract.yaml`` in the API's package) is validated by
``schemas/contract.schema.json`` (JSON Schema 2020-12) and then by the semantic checks the schema
cannot express: the id prefix belongs to the file's API, ids are unique, the operation exists in the
API's spec, the check is named after its rule, a MUST quotes the seed. Every problem is a
:class:`ContractError` naming the file, the rule and the bad value.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from orderproof import registry
from orderproof.checks.base import GENERIC_RULES
from orderproof.core.errors import UsageError
from orderproof.core.paths import SCHEMAS_DIR, current_spec_document, load_yaml

__all__ = ["GENERIC_CHECKS", "Catalogue", "Contract", "Convention", "ContractError", "Rule", "Source", "check_name",
           "load_catalogue", "load_contract"]

# Generic rules (<P>-SCHEMA, ...) are verified by the engine's generic checks under these names.
GENERIC_CHECKS = {suffix: check for suffix, (check, _cases) in GENERIC_RULES.items()}
DOMAIN_NOTES = "DOMAIN.md"


class ContractError(UsageError):
    """A contract file is missing, unreadable or breaks the contract format."""


BASES = ("seed", "practice", "convention")


@dataclass(frozen=True)
class Source:
    seed: str                  # file name of the API's source document, or DOMAIN.md
    quote: str                 # verbatim text of that file (whitespace and markdown escapes aside)
    basis: str = "seed"        # seed | practice | convention: only a seed basis carries a MUST
    note: str | None = None
    decision: str | None = None


@dataclass(frozen=True)
class Option:
    id: str
    description: str


@dataclass(frozen=True)
class Convention:
    """A choice the seed leaves open, with its options (the OpenID suite's test-plan variants)."""

    id: str                    # <api>.<choice>
    api: str
    title: str
    options: tuple[Option, ...]
    source: Source

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(option.id for option in self.options)


@dataclass(frozen=True)
class Rule:
    id: str
    api: str
    level: str                 # MUST | SHOULD
    title: str
    source: Source
    check: str
    needs: tuple[str, ...]
    operation: str             # the file's operation unless the rule overrides it
    conventions: tuple[str, ...] = ()   # ids of the conventions the verdict depends on
    unjudged: str = ""         # what nothing to judge means for a correct service (said with NOT VERIFIED)

    @property
    def prefix(self) -> str:
        return self.id.split("-", 1)[0]


@dataclass(frozen=True)
class Contract:
    api: str
    operation: str
    seed: str
    rules: tuple[Rule, ...]
    path: Path
    conventions: tuple[Convention, ...] = ()


@dataclass
class Catalogue:
    contracts: dict[str, Contract]             # by API slug, in registry order

    @cached_property
    def rules(self) -> tuple[Rule, ...]:
        return tuple(rule for contract in self.contracts.values() for rule in contract.rules)

    @cached_property
    def _by_id(self) -> dict[str, Rule]:
        return {rule.id: rule for rule in self.rules}

    @cached_property
    def conventions(self) -> dict[str, Convention]:
        """Every convention of the loaded contracts, by id."""
        return {c.id: c for contract in self.contracts.values() for c in contract.conventions}

    def rule(self, rule_id: str) -> Rule:
        try:
            return self._by_id[rule_id]
        except KeyError:
            raise KeyError(f"no rule {rule_id!r} in the catalogue of {', '.join(self.contracts)}") from None

    @property
    def apis(self) -> tuple[str, ...]:
        return tuple(self.contracts)

    @cached_property
    def specs(self) -> dict[str, dict[str, Any]]:
        """The OpenAPI document of each API, parsed on first use."""
        return {slug: _load_spec(registry.get(slug).spec_path) for slug in self.contracts}

    def spec_sha256(self, slug: str) -> str:
        return _sha256(registry.get(slug).spec_path)

    def file_hashes(self) -> dict[str, str]:
        """``<api>/<spec file>`` and ``<api>/<contract file>`` -> sha256, for every API loaded."""
        hashes = {}
        for slug, contract in self.contracts.items():
            api = registry.get(slug)
            hashes[f"{slug}/{api.spec_path.name}"] = self.spec_sha256(slug)
            hashes[f"{slug}/{contract.path.name}"] = _sha256(contract.path)
        return hashes


def check_name(rule_id: str) -> str:
    """The check a rule must name: ``XY-TOTAL`` -> ``xy_total``; generic rules -> the engine's names."""
    prefix, _, rest = rule_id.partition("-")
    return GENERIC_CHECKS.get(rest) or rule_id.lower().replace("-", "_")


def load_catalogue(apis: Iterable[str] | None = None) -> Catalogue:
    """Load the contracts of ``apis`` (default: every registered API), checking ids are unique."""
    known = registry.adapters()
    selected = list(known) if apis is None else list(dict.fromkeys(apis))
    unknown = [slug for slug in selected if slug not in known]
    if unknown:
        raise UsageError(
            f"unknown API {', '.join(map(repr, unknown))}; known APIs: {', '.join(known)}"
        )
    contracts: dict[str, Contract] = {}
    seen: dict[str, Path] = {}
    for slug in known:                      # registry order, whatever order the caller gave
        if slug not in selected:
            continue
        path = known[slug].contract_path
        contract = load_contract(path)
        if contract.api != slug:
            raise ContractError(
                f"{_display(path)}: api {contract.api!r} is not the API whose package holds it; "
                f"the contract of {slug} must say 'api: {slug}'"
            )
        for rule in contract.rules:
            if rule.id in seen:
                raise ContractError(
                    f"{_display(path)}: rule {rule.id}: id {rule.id!r} is already used in "
                    f"{_display(seen[rule.id])}; rule ids must be unique across contracts"
                )
            seen[rule.id] = path
        contracts[slug] = contract
    return Catalogue(contracts)


def load_contract(path: str | Path, *, spec_path: Path | None = None) -> Contract:
    """Parse and validate one contract file; ``spec_path`` (default: its API's spec) is the spec
    its operations are looked up in. Results are cached per file version."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise ContractError(f"{_display(path)}: cannot read the contract file ({exc.strerror})") from None
    contract = _read_contract(path.resolve(), stat.st_mtime_ns, stat.st_size)
    spec = Path(spec_path) if spec_path is not None else registry.get(contract.api).spec_path
    _check_operations(contract, spec)   # the spec may change on its own
    return contract


def _check_operations(contract: Contract, spec_path: Path) -> None:
    where = _display(contract.path)
    operations = _operations(_load_spec(spec_path, where))
    labels = [(contract.operation, "")] + [(rule.operation, f"rule {rule.id}: ") for rule in contract.rules]
    for label, what in labels:
        if label not in operations:
            raise ContractError(
                f"{where}: {what}operation {label!r} is not in {_display(spec_path)} "
                f"(it has: {', '.join(sorted(operations)) or 'no operations'})"
            )


@cache
def _read_contract(path: Path, _mtime_ns: int, _size: int) -> Contract:
    where = _display(path)
    try:
        data = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ContractError(f"{where}: not valid YAML{at}: {problem}; fix the syntax") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ContractError(f"{where}: cannot read the contract file ({exc})") from None
    if data is None:
        raise ContractError(
            f"{where}: the file is empty; a contract needs api, operation, seed and rules"
        )

    errors = sorted(_validator().iter_errors(data), key=lambda e: [str(p).zfill(9) for p in e.absolute_path])
    if errors:
        problems = [_describe(error, data) for error in errors]
        more = "\n  also: " + "\n  also: ".join(problems[1:5]) if len(problems) > 1 else ""
        raise ContractError(f"{where}: {problems[0]}{more}")

    known = registry.adapters()
    api = known.get(data["api"])
    if api is None:
        raise ContractError(f"{where}: api {data['api']!r} is unknown; known APIs: {', '.join(known)}")
    if data["seed"] != api.seed:
        raise ContractError(f"{where}: seed {data['seed']!r} is not the seed of {api.slug}; use {api.seed!r}")
    known_seeds = {a.seed for a in known.values()} | {DOMAIN_NOTES}
    conventions = []
    for raw in data.get("conventions") or []:
        at = f"{where}: convention {raw['id']}: "
        if raw["id"].split(".", 1)[0] != api.slug:
            raise ContractError(f"{at}id must start with '{api.slug}.' in the {api.slug} contract")
        if raw["id"] in {c.id for c in conventions}:
            raise ContractError(f"{at}id is used twice")
        options = tuple(Option(o["id"], o["description"].strip()) for o in raw["options"])
        if len({o.id for o in options}) != len(options):
            raise ContractError(f"{at}an option id is used twice")
        if raw["source"]["seed"] not in known_seeds:
            raise ContractError(f"{at}source seed {raw['source']['seed']!r} is not a known seed file or {DOMAIN_NOTES}")
        conventions.append(Convention(raw["id"], api.slug, raw["title"].strip(), options,
                                      Source(basis="convention", **raw["source"])))
    declared = {c.id for c in conventions}
    rules = []
    seen: set[str] = set()
    for raw in data["rules"]:
        rule_id = raw["id"]
        at = f"{where}: rule {rule_id}: "
        if raw["id"].split("-", 1)[0] != api.prefix:
            raise ContractError(f"{at}id {rule_id!r} must start with {api.prefix}- in the {api.slug} contract")
        if rule_id in seen:
            raise ContractError(f"{at}id {rule_id!r} is used twice; rule ids must be unique")
        seen.add(rule_id)
        expected = check_name(rule_id)
        if raw["check"] != expected:
            raise ContractError(f"{at}check {raw['check']!r} does not follow the rule id; use {expected!r}")
        if raw["source"]["seed"] not in known_seeds:
            raise ContractError(
                f"{at}source seed {raw['source']['seed']!r} is not a known seed file or {DOMAIN_NOTES}"
            )
        if raw["level"] == "MUST" and (raw["source"]["basis"] != "seed" or raw["source"]["seed"] == DOMAIN_NOTES):
            raise ContractError(
                f"{at}a MUST rule must rest on the seed's own words (source.basis seed, quoting a seed "
                f"document), not on {raw['source']['basis']} ({raw['source']['seed']}); make it SHOULD or "
                "quote the seed sentence, table row or sample that states it"
            )
        if raw["source"]["basis"] == "seed" and api.seed and raw["source"]["seed"] != api.seed:
            raise ContractError(
                f"{at}basis seed means the API's own document ({api.seed}); a sentence of "
                f"{raw['source']['seed']} is the provider's practice here (basis practice, and a SHOULD)"
            )
        unknown = [c for c in raw.get("conventions", []) if c not in declared]
        if unknown:
            raise ContractError(f"{at}conventions {', '.join(map(repr, unknown))} are not declared in this file; "
                                f"declared: {', '.join(sorted(declared)) or 'none'}")
        rules.append(
            Rule(
                id=rule_id,
                api=api.slug,
                level=raw["level"],
                title=raw["title"].strip(),
                source=Source(**raw["source"]),
                check=raw["check"],
                needs=tuple(raw["needs"]),
                operation=raw.get("operation", data["operation"]),
                conventions=tuple(raw.get("conventions", [])), unjudged=raw.get("unjudged", "").strip(),
            )
        )
    return Contract(api=api.slug, operation=data["operation"], seed=data["seed"], rules=tuple(rules), path=path,
                    conventions=tuple(conventions))


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS_DIR / "contract.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _describe(error: jsonschema.ValidationError, data: Any) -> str:
    """One schema error as '<rule X: ><field> <value> <problem>; <fix>'."""
    location = list(error.absolute_path)
    prefix = ""
    if len(location) >= 2 and location[0] == "rules" and isinstance(location[1], int):
        rule = data["rules"][location[1]]
        rule_id = rule.get("id") if isinstance(rule, Mapping) else None
        prefix = f"rule {rule_id}: " if isinstance(rule_id, str) else f"rule #{location[1] + 1}: "
        location = location[2:]
    field = ".".join(str(part) for part in location)     # "" for the rule or the file itself
    name = field or ("the rule" if prefix else "the contract")
    value = error.instance
    shown = _short(value)
    kind = error.validator
    if kind == "required":
        missing = [key for key in error.validator_value if key not in value]
        where = f"{field} is " if field else ""
        return f"{prefix}{where}missing required field {', '.join(map(repr, missing))}"
    if kind == "additionalProperties":
        known = error.schema.get("properties", {})
        extra = sorted(set(value) - set(known))
        where = f"{field} has " if field else ""
        return f"{prefix}{where}unknown field {', '.join(map(repr, extra))}; allowed: {', '.join(known)}"
    if kind == "enum":
        return f"{prefix}{name} {shown} is not one of {', '.join(map(str, error.validator_value))}"
    if kind == "pattern":
        hint = {"id": "; ids are the API's prefix and upper-case words, e.g. XY-TOTAL",
                "check": "; checks are snake_case, e.g. xy_total"}
        return f"{prefix}{name} {shown} does not match {error.validator_value}{hint.get(field, '')}"
    if kind == "type":
        return f"{prefix}{name} must be of type {error.validator_value}, got {shown}"
    if kind == "uniqueItems":
        return f"{prefix}{name} {shown} lists an item twice"
    if kind == "anyOf" and location[-1:] == ["seed"]:
        return f"{prefix}{name} {shown} is neither a source document file name nor {DOMAIN_NOTES}"
    return f"{prefix}{name} {shown}: {error.message}"


def _short(value: Any, width: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _load_spec(path: Path, where: str | None = None) -> dict[str, Any]:
    if not path.exists():
        context = f"{where}: " if where else ""
        raise ContractError(f"{context}spec {_display(path)} not found; the contract's operations are checked against it")
    try:
        spec = current_spec_document(path)
    except (OSError, yaml.YAMLError) as exc:
        raise ContractError(f"spec {_display(path)} cannot be read: {exc}") from None
    if not isinstance(spec, dict):
        raise ContractError(f"spec {_display(path)} is not an OpenAPI document (a mapping)")
    return spec


def _operations(spec: Mapping[str, Any]) -> set[str]:
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return {
        f"{method.upper()} {route}"
        for route, item in (spec.get("paths") or {}).items()
        if isinstance(item, Mapping)
        for method in item
        if method in methods
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _display(path: Path) -> str:
    """``<package>/contract.yaml`` for a file inside an installed API package (the last two parts),
    the full path for any other."""
    path = Path(path)
    for adapter in registry.adapters().values():
        try:
            path.resolve().relative_to(adapter.contract_path.parent.resolve())
        except (ValueError, OSError):
            continue
        return f"{adapter.slug}/{path.name}"
    return str(path)
