"""The rule catalogue: the real contracts load, agree with the specs and quote their seeds verbatim;
invalid contract files fail with a message naming the file, the rule and the bad value."""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import re
import types
from pathlib import Path

import pytest
import yaml

from orderproof import registry
from orderproof.catalogue import (
    ContractError,
    check_name,
    load_catalogue,
    load_contract,
)
from orderproof.cli import main
from orderproof.commands import rules as rules_command
from orderproof.core.errors import UsageError
from orderproof.reference import IMPLEMENTED

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO.parent / "shared" / "seeds"            # the seed documents, beside the checkout
DOMAIN = SEEDS.parent / "DOMAIN.md"

REQUIRED_IDS = {
    # per API, the generic rules
    *(f"{registry.get(slug).prefix}-{suffix}" for slug in IMPLEMENTED for suffix in ("SCHEMA", "NO-5XX", "NEGATIVE", "POSITIVE")),
    "SO-ENVELOPE", "SO-SUCCESS-MSG", "SO-TICKET-ECHO", "SO-AMOUNT-ECHO", "SO-DATA", "SO-BALANCE",
    "SO-REJECT-NOTHING", "SO-REPEAT",
    "JT-CENTS", "JT-ECHO", "JT-CURRENCY", "JT-EXCISE-SUM", "JT-EXCISE-RATE", "JT-NET-PAYOUT", "JT-WHT-RATE",
    "JT-ODDS", "JT-GROSS-PAYOUT", "JT-ODDS-DIFF", "JT-TIMES", "JT-ERRORS", "JT-ERROR-CODES", "JT-AUTH",
    "JT-OPERATOR-HEADER",
    "SR-CENTS", "SR-ECHO", "SR-CURRENCY", "SR-STATE", "SR-ZERO-PAYOUT", "SR-EXCISE-SUM", "SR-EXCISE-RATE", "SR-TIMES",
    "SR-ERRORS", "SR-AUTH",
    "TO-ENVELOPE", "TO-MEDIA", "TO-MEDIA-FORM", "TO-DATES", "TO-FAILURE-CODE", "TO-LOCAL-TOTAL",
    "BP-ECHO", "BP-PAYOUT", "BP-PENDING", "BP-ATOMIC", "BP-FUNDS", "BP-DEBIT", "BP-SESSION", "BP-USER",
    "BP-STAKE-LIMITS", "BP-MISSING", "BP-KEY-REQUIRED", "BP-ERROR-SHAPE", "BP-AUTH", "BP-IDEMPOTENT",
    "BP-IDEMPOTENT-CONFLICT", "BP-IDEMPOTENT-RACE", "BP-IDEMPOTENT-REPLAY", "BP-PAYOUT-PRECISION",
}
# What rests on practice, inference or a convention, never on the seed's own words (issue: calibrated
# verdicts): seed 000 documents no rejection at all, seed 002 no HTTP status and no validation.
SHOULD_IDS = {
    *(f"{registry.get(slug).prefix}-POSITIVE" for slug in IMPLEMENTED),
    "SO-NO-5XX", "SO-NEGATIVE", "SO-SUCCESS-MSG", "SO-BALANCE", "SO-REJECT-NOTHING", "SO-REPEAT",
    "JT-EXCISE-SUM", "JT-EXCISE-RATE", "JT-NET-PAYOUT", "JT-WHT-RATE", "JT-GROSS-PAYOUT", "JT-ERROR-CODES", "SR-EXCISE-RATE",
    "JT-AUTH", "SR-AUTH", "JT-OPERATOR-HEADER", "SR-CURRENCY",
    "TO-NO-5XX", "TO-NEGATIVE", "TO-MEDIA-FORM", "TO-LOCAL-TOTAL",
    "BP-DEBIT", "BP-KEY-REQUIRED", "BP-IDEMPOTENT-CONFLICT", "BP-IDEMPOTENT-RACE", "BP-IDEMPOTENT-REPLAY",
    "BP-PAYOUT-PRECISION", "BP-AUTH",
}


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


# --- the real catalogue ---------------------------------------------------------------------------

def test_catalogue_loads_every_api_in_table_order(catalogue):
    assert catalogue.apis == tuple(registry.slugs())
    for slug, contract in catalogue.contracts.items():
        assert contract.api == slug
        assert contract.seed == registry.get(slug).seed
        assert contract.rules and all(rule.api == slug for rule in contract.rules)
    assert catalogue.rules == tuple(r for c in catalogue.contracts.values() for r in c.rules)


@pytest.mark.parametrize("slug", list(registry.slugs()))
def test_contract_names_an_existing_spec_operation(catalogue, slug):
    spec = catalogue.specs[slug]
    for rule in catalogue.contracts[slug].rules:
        method, route = rule.operation.split(" ", 1)
        assert method.lower() in spec["paths"].get(route, {}), f"{rule.id}: {rule.operation} not in the spec"


def test_rule_ids_are_unique_across_files():
    ids = [
        rule["id"]
        for path in (api.contract_path for api in registry.adapters().values())
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]
    ]
    duplicates = {rule_id for rule_id in ids if ids.count(rule_id) > 1}
    assert not duplicates


def test_required_rule_ids_are_present_with_their_level(catalogue):
    ids = {rule.id for rule in catalogue.rules}
    assert REQUIRED_IDS - ids == set()
    assert {rule_id for rule_id in REQUIRED_IDS if catalogue.rule(rule_id).level == "SHOULD"} == SHOULD_IDS


def test_checks_are_named_after_their_rules(catalogue):
    assert catalogue.rule("BP-ATOMIC").check == "bp_atomic"
    assert catalogue.rule("SO-SCHEMA").check == "schema_conformance"
    assert {catalogue.rule(f"JT-{s}").check for s in ("SCHEMA", "NO-5XX", "NEGATIVE", "POSITIVE")} == {
        "schema_conformance", "no_server_error", "negative_rejected", "positive_accepted",
    }
    assert all(rule.check == check_name(rule.id) for rule in catalogue.rules)


def test_rule_lookup_of_an_unknown_id_names_it(catalogue):
    with pytest.raises(KeyError, match="BP-NOPE"):
        catalogue.rule("BP-NOPE")


def test_file_hashes_are_the_sha256_of_the_spec_and_contract_files(catalogue):
    hashes = catalogue.file_hashes()
    files = {f"{slug}/{path.name}": path for slug, api in registry.adapters().items()
             for path in (api.spec_path, api.contract_path)}
    assert set(hashes) == set(files)
    for name, digest in hashes.items():
        assert digest == hashlib.sha256(files[name].read_bytes()).hexdigest()
    assert catalogue.spec_sha256("bet-placement") == hashes["bet-placement/openapi.yaml"]


def test_load_catalogue_selects_apis_and_rejects_unknown_ones():
    assert load_catalogue(["bet-placement", "travel-order"]).apis == ("travel-order", "bet-placement")
    with pytest.raises(UsageError, match=r"unknown API 'nope'; known APIs: sportsbook-order, .*bet-placement"):
        load_catalogue(["bet-placement", "nope"])


def test_repeated_loads_are_cached_until_the_file_changes(tmp_path):
    spec_dir = _spec_dir(tmp_path)
    path = _write(tmp_path, "bet-placement.yaml", _contract())
    first = load_contract(path, spec_path=spec_dir / "bet-placement.yaml")
    assert load_contract(path, spec_path=spec_dir / "bet-placement.yaml") is first
    _write(tmp_path, "bet-placement.yaml", _contract(_rule(title="A longer title than before, so the file changes")))
    assert load_contract(path, spec_path=spec_dir / "bet-placement.yaml").rules[0].title.startswith("A longer title")


# --- quotes are verbatim --------------------------------------------------------------------------

def _normalise(text: str) -> str:
    """Compare modulo whitespace, HTML entities (&#x3C;) and markdown escapes (INVALID\\_USER)."""
    text = html.unescape(text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>|])", r"\1", text)
    return " ".join(text.split())


def _all_rules():
    return [rule for rule in load_catalogue().rules]


@pytest.mark.parametrize("rule", _all_rules(), ids=lambda rule: rule.id)
def test_every_quote_occurs_in_the_file_it_names(rule):
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS} (a repository test: needs ../shared beside the checkout)")
    source = DOMAIN if rule.source.seed == "DOMAIN.md" else SEEDS / rule.source.seed
    assert _normalise(rule.source.quote) in _normalise(source.read_text(encoding="utf-8")), (
        f"{rule.id}: quote not found in {source.name}: {rule.source.quote!r}"
    )


@pytest.mark.parametrize("convention", list(load_catalogue().conventions.values()), ids=lambda c: c.id)
def test_every_convention_quotes_the_file_it_names(convention):
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS} (a repository test: needs ../shared beside the checkout)")
    source = DOMAIN if convention.source.seed == "DOMAIN.md" else SEEDS / convention.source.seed
    assert _normalise(convention.source.quote) in _normalise(source.read_text(encoding="utf-8"))


def test_every_must_rests_on_a_seed_and_every_convention_a_rule_names_is_declared(catalogue):
    for rule in catalogue.rules:
        if rule.level == "MUST":
            assert rule.source.basis == "seed" and rule.source.seed != "DOMAIN.md", rule.id
        for name in rule.conventions:
            assert name in catalogue.conventions and name.startswith(rule.api + "."), (rule.id, name)
    assert len(catalogue.conventions) >= 10


def test_quote_normalisation_does_not_match_what_is_not_there():
    seed = "| INVALID\\_USER          | 400         |"
    assert _normalise("| INVALID_USER | 400 |") in _normalise(seed)
    assert _normalise("| INVALID_USER | 401 |") not in _normalise(seed)


# --- orderproof rules ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["table", "md", "markdown", "json", "csv"])
def test_rules_command_lists_every_rule(capsys, catalogue, fmt, monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert main(["rules", "--format", fmt]) == 0
    out = capsys.readouterr().out
    for rule in catalogue.rules:
        assert rule.id in out
    if fmt == "json":
        assert [row["id"] for row in json.loads(out)["rules"]] == [rule.id for rule in catalogue.rules]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert [row["id"] for row in rows] == [rule.id for rule in catalogue.rules]
        assert all(row["quote"] and row["level"] in ("MUST", "SHOULD") for row in rows)
    if fmt == "table":                         # for people: fits 100 columns, words whole
        assert max(len(line) for line in out.splitlines()) <= 100


def test_rules_command_filters_by_api(capsys):
    assert main(["rules", "--api", "travel-order", "--api", "superbet-reserve"]) == 0
    out = capsys.readouterr().out
    assert "TO-ENVELOPE" in out and "SR-STATE" in out
    assert "BP-" not in out and "JT-" not in out and "SO-" not in out


def test_rules_command_rejects_an_unknown_api(capsys):
    assert main(["rules", "--api", "nope"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().splitlines() == [
        "orderproof rules: error: unknown API 'nope'; known APIs: " + ", ".join(registry.slugs())
    ]


def test_rules_command_shows_the_last_verdict_and_the_proving_faults(capsys, tmp_path, monkeypatch):
    certificate = {"rules": [{"api": "bet-placement", "rule_id": "BP-ATOMIC", "verdict": "FAIL", "reason": "x"}]}
    (tmp_path / "certificate.json").write_text(json.dumps(certificate))
    monkeypatch.setattr(rules_command.reference, "FAULTS", {
        "stores-partial-slip": types.SimpleNamespace(name="stores-partial-slip", rules=("BP-ATOMIC",))})

    assert main(["rules", "--api", "bet-placement", "--report-dir", str(tmp_path), "--format", "json"]) == 0
    rows = {row["id"]: row for row in json.loads(capsys.readouterr().out)["rules"]}
    assert rows["BP-ATOMIC"]["verdict"] == "FAIL"
    assert rows["BP-ATOMIC"]["faults"] == ["stores-partial-slip"]
    assert rows["BP-PAYOUT"]["verdict"] is None and rows["BP-PAYOUT"]["faults"] == []

    assert main(["rules", "--api", "bet-placement", "--report-dir", str(tmp_path)]) == 0
    block = capsys.readouterr().out.split("BP-ATOMIC ", 1)[1].split("\nBP-", 1)[0]
    assert block.split("\n", 1)[0].split()[:2] == ["MUST", "FAIL"] and "faults: stores-partial-slip" in block


def test_rules_command_rejects_a_broken_certificate(capsys, tmp_path):
    (tmp_path / "certificate.json").write_text("{not json")
    assert main(["rules", "--report-dir", str(tmp_path)]) == 2
    assert "certificate.json is not a certificate" in capsys.readouterr().err


# --- invalid contract files ------------------------------------------------------------------------

def _rule(**fields):
    rule = {
        "id": "BP-ATOMIC",
        "level": "MUST",
        "title": "A rejected slip stores none of its bets",
        "source": {"basis": "seed", "seed": "004_f8015652c9def766.txt", "quote": "store none of the bets"},
        "check": "bp_atomic",
        "needs": ["snapshot"],
    }
    rule.update(fields)
    return {key: value for key, value in rule.items() if value is not None}


def _contract(*rules, **fields):
    contract = {"api": "bet-placement", "operation": "POST /bet", "seed": "004_f8015652c9def766.txt",
                "rules": list(rules) or [_rule()]}
    contract.update(fields)
    return yaml.safe_dump(contract, sort_keys=False)


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def _spec_dir(tmp_path: Path) -> Path:
    spec_dir = tmp_path / "openapi"
    spec_dir.mkdir(exist_ok=True)
    _write(spec_dir, "bet-placement.yaml", yaml.safe_dump(
        {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {"/bet": {"post": {}}}}
    ))
    return spec_dir


INVALID = {
    "missing field": (_contract(_rule(title=None)), ["rule BP-ATOMIC", "missing required field 'title'"]),
    "bad level": (_contract(_rule(level="MAY")), ["rule BP-ATOMIC: level 'MAY' is not one of MUST, SHOULD"]),
    "bad id pattern": (_contract(_rule(id="BP_atomic")), ["rule BP_atomic: id 'BP_atomic' does not match"]),
    "wrong prefix": (_contract(_rule(id="JT-ATOMIC", check="jt_atomic")),
                     ["rule JT-ATOMIC: id 'JT-ATOMIC' must start with BP-"]),
    "duplicate id": (_contract(_rule(), _rule(title="Again")), ["rule BP-ATOMIC: id 'BP-ATOMIC' is used twice"]),
    "unknown needs": (_contract(_rule(needs=["wallet"])), ["rule BP-ATOMIC: needs.0 'wallet' is not one of"]),
    "unknown operation": (_contract(operation="POST /bets"),
                          ["operation 'POST /bets' is not in ", "openapi/bet-placement.yaml", "POST /bet"]),
    "unknown rule operation": (_contract(_rule(operation="GET /bet")),
                               ["rule BP-ATOMIC: operation 'GET /bet' is not in ", "openapi/bet-placement.yaml"]),
    "non-list rules": ("api: bet-placement\noperation: POST /bet\nseed: 004_f8015652c9def766.txt\n"
                       "rules:\n  BP-ATOMIC: {level: MUST}\n", ["rules must be of type array", "BP-ATOMIC"]),
    "yaml syntax error": ("api: bet-placement\nrules: [\n  - id: BP-ATOMIC\n", ["not valid YAML at line"]),
    "empty file": ("", ["the file is empty"]),
    "check not after the id": (_contract(_rule(check="atomic")),
                               ["rule BP-ATOMIC: check 'atomic' does not follow the rule id; use 'bp_atomic'"]),
    "check not snake_case": (_contract(_rule(check="BpAtomic")), ["rule BP-ATOMIC: check 'BpAtomic' does not match"]),
    "unknown field": (_contract(_rule(levle="MUST")), ["rule BP-ATOMIC", "unknown field 'levle'"]),
    "unknown api": (_contract(api="bet-placing"), ["api 'bet-placing' is unknown; known APIs:"]),
    "wrong seed": (_contract(seed="001_8af5639306ef9f6c.txt"), ["seed '001_8af5639306ef9f6c.txt'", "'004_"]),
    "bad source seed": (_contract(_rule(source={"basis": "seed", "seed": "notes.txt", "quote": "x"})),
                        ["rule BP-ATOMIC: source seed 'notes.txt' is not a known seed file or DOMAIN.md"]),
    "no basis": (_contract(_rule(source={"seed": "004_f8015652c9def766.txt", "quote": "x"})),
                 ["rule BP-ATOMIC", "missing required field 'basis'"]),
    "MUST on practice": (_contract(_rule(source={"basis": "practice", "seed": "004_f8015652c9def766.txt",
                                                 "quote": "x"})),
                         ["rule BP-ATOMIC: a MUST rule must rest on the seed's own words", "make it SHOULD"]),
    "MUST on DOMAIN.md": (_contract(_rule(source={"basis": "seed", "seed": "DOMAIN.md", "quote": "x"})),
                          ["a MUST rule must rest on the seed's own words", "DOMAIN.md"]),
    "seed basis on another API's page": (_contract(_rule(level="SHOULD", source={
        "basis": "seed", "seed": "001_8af5639306ef9f6c.txt", "quote": "x"})),
        ["basis seed means the API's own document (004_f8015652c9def766.txt)", "basis practice"]),
    "undeclared convention": (_contract(_rule(conventions=["bet-placement.nope"])),
                              ["conventions 'bet-placement.nope' are not declared in this file"]),
    "convention of another api": (_contract(conventions=[{
        "id": "travel-order.x", "title": "t", "options": [{"id": "a", "description": "a"}, {"id": "b", "description": "b"}],
        "source": {"seed": "004_f8015652c9def766.txt", "quote": "q", "note": "n"}}]),
        ["convention travel-order.x: id must start with 'bet-placement.'"]),
    "rule not a mapping": (_contract("BP-ATOMIC"), ["rule #1", "'BP-ATOMIC'"]),
}


def test_the_base_of_the_invalid_cases_is_valid(tmp_path):
    contract = load_contract(_write(tmp_path, "bet-placement.yaml", _contract()), spec_path=_spec_dir(tmp_path) / "bet-placement.yaml")
    assert [rule.id for rule in contract.rules] == ["BP-ATOMIC"]
    assert contract.rules[0].needs == ("snapshot",) and contract.rules[0].operation == "POST /bet"


@pytest.mark.parametrize("text, expected", INVALID.values(), ids=INVALID.keys())
def test_invalid_contract_is_rejected_with_a_pointed_message(tmp_path, text, expected):
    path = _write(tmp_path, "bet-placement.yaml", text)
    with pytest.raises(ContractError) as caught:
        load_contract(path, spec_path=_spec_dir(tmp_path) / "bet-placement.yaml")
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    for fragment in expected:
        assert fragment in message, message


def test_a_missing_contract_file_is_a_contract_error(tmp_path):
    with pytest.raises(ContractError, match="cannot read the contract file"):
        load_contract(tmp_path / "absent.yaml")


def test_a_missing_spec_is_a_contract_error_naming_it(tmp_path):
    path = _write(tmp_path, "bet-placement.yaml", _contract())
    with pytest.raises(ContractError, match=r"bet-placement.yaml: spec .*openapi/bet-placement.yaml not found"):
        load_contract(path, spec_path=tmp_path / "openapi" / "bet-placement.yaml")


def test_a_spec_that_cannot_be_read_is_a_contract_error_saying_so(tmp_path):
    path = _write(tmp_path, "bet-placement.yaml", _contract())
    (tmp_path / "openapi" / "bet-placement.yaml").mkdir(parents=True)      # there, but not a file
    with pytest.raises(ContractError, match=r"spec .*openapi/bet-placement.yaml cannot be read"):
        load_contract(path, spec_path=tmp_path / "openapi" / "bet-placement.yaml")


def test_catalogue_rejects_a_contract_filed_under_another_api(tmp_path, monkeypatch):
    spec_dir = _spec_dir(tmp_path)
    _write(spec_dir, "jackpot-ticket.yaml", (spec_dir / "bet-placement.yaml").read_text())
    _write(tmp_path, "jackpot-ticket.yaml", _contract())          # says api: bet-placement
    adapter = type(registry.get("jackpot-ticket"))
    monkeypatch.setattr(adapter, "contract_path", property(lambda self: tmp_path / "jackpot-ticket.yaml"))
    monkeypatch.setattr(adapter, "spec_path", property(lambda self: spec_dir / "jackpot-ticket.yaml"))
    with pytest.raises(ContractError, match=r"jackpot-ticket.yaml: api 'bet-placement' is not the API whose package"):
        load_catalogue(["jackpot-ticket"])


# One reference module serves both ticket-engine APIs, so its faults may break rules of either.
SAME_SERVICE = {"jackpot-ticket": {"jackpot-ticket", "superbet-reserve"}}


def test_every_reference_fault_names_catalogue_rules_of_its_api(catalogue):
    from orderproof.reference import faults

    for fault in faults.FAULTS.values():
        assert fault.rules, f"fault {fault.name} proves no rule"
        apis = SAME_SERVICE.get(fault.api, {fault.api})
        for rule_id in fault.rules:
            assert catalogue.rule(rule_id).api in apis, f"fault {fault.name}: {rule_id} is not a {fault.api} rule"


def test_a_rule_may_say_what_nothing_to_judge_means(catalogue):
    assert "not at fault" in catalogue.rule("TO-REJECTION-STYLE").unjudged
    assert catalogue.rule("TO-SCHEMA").unjudged == ""
