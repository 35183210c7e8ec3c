"""The suite verifies itself against its embedded reference, both ways:

* every named fault of the reference fails exactly the rules it is meant to break (and no other
  MUST rule): a check that cannot fail is a defect, and a fault that no rule catches is a failing
  test naming the fault (the mutation score bar is 100 %); the replay of its first failure, from
  the recording alone, fails again on a fresh faulty reference and passes on the clean one;
* every named variation (a correct behaviour the seeds permit that differs from the reference's own
  choice) stays CERTIFIED, with no MUST rule failed or not verified and no SHOULD warning but those it
  declares: a check that fails a conforming service is a defect too.

Slow (the whole suite runs once clean and once per fault and variation, in process, quick profile,
fixed seed): ``pytest tests/test_self_verification.py -s`` prints both tables.
"""

from __future__ import annotations

import time

import pytest

from orderproof import registry
from orderproof.catalogue import load_catalogue
from orderproof.core.options import RunOptions
from orderproof.core.profiles import seed_alone
from orderproof.core.results import Verdict
from orderproof.engine.context import build_context
from orderproof.engine.replay import replay
from orderproof.engine.runner import verify
from orderproof.reference import FAULTS, IMPLEMENTED, VARIATIONS
from tests import SEED

pytestmark = pytest.mark.slow

PROFILE = "quick"
PREFIXES = {registry.get(slug).prefix: slug for slug in IMPLEMENTED}

# Rules that may end NOT VERIFIED against the clean reference, with the documented reason.
# (None today: the reference offers the provider-state hook and every fixture a rule needs.)
EXPECTED_NOT_VERIFIED: dict[str, str] = {}

TABLE: list[tuple[str, str, str, str]] = []
REPLAYS: list[tuple[str, str, str, str]] = []
VARIATION_TABLE: list[tuple[str, str, str, str, str]] = []


def run(apis: tuple[str, ...], fault: str | None = None, variation: str | None = None) -> tuple[list, float | None]:
    """Every rule of ``apis`` against the reference (with ``fault`` or ``variation``); the results
    and the time from the start to the first FAIL."""
    context = build_context(RunOptions(apis=apis, fault=fault, variation=variation, profile=PROFILE, seed=SEED))
    results, first_failure = [], None
    started = time.perf_counter()
    try:
        for rule in context.ordered_rules():
            result = verify(context, rule)
            results.append(result)
            if result.verdict is Verdict.FAIL and first_failure is None:
                first_failure = time.perf_counter() - started
    finally:
        context.close()
    return results, first_failure


def test_clean_reference_passes_every_rule() -> None:
    started = time.perf_counter()
    results, _ = run(IMPLEMENTED)
    elapsed = time.perf_counter() - started
    problems = []
    for result in results:
        if result.verdict is Verdict.FAIL:
            problems.append(f"{result.rule_id} FAIL: {result.reason}")
        elif result.verdict is Verdict.NOT_VERIFIED and result.rule_id not in EXPECTED_NOT_VERIFIED:
            problems.append(f"{result.rule_id} NOT VERIFIED: {result.reason}")
    print(f"\nclean reference: {len(results)} rules, {elapsed:.1f}s")
    assert not problems, "the clean reference must pass every rule:\n" + "\n".join(problems)
    assert len(results) >= 5 * 4          # every API has at least its four generic rules


def _apis_of(fault) -> tuple[str, ...]:
    slugs = {fault.api} | {PREFIXES[rule.split("-", 1)[0]] for rule in fault.rules}
    return tuple(slug for slug in IMPLEMENTED if slug in slugs)


def _named_by_rules() -> list:
    """Test ids that name the rules each fault proves (``payout-without-stake:BP-PAYOUT``), so that a rule id
    is found among the tests that prove it (``pytest --co -q | grep BP-PAYOUT``)."""
    return [pytest.param(name, id=f"{name}:{'+'.join(sorted(FAULTS[name].rules))}") for name in sorted(FAULTS)]


@pytest.mark.parametrize("name", _named_by_rules())
def test_fault_fails_exactly_its_rules(name: str) -> None:
    fault = FAULTS[name]
    results, first_failure = run(_apis_of(fault), fault=name)
    by_id = {result.rule_id: result for result in results}
    failed = sorted(result.rule_id for result in results if result.verdict is Verdict.FAIL)
    TABLE.append((name, ",".join(sorted(fault.rules)), ",".join(failed),
                  f"{first_failure:.1f}s" if first_failure is not None else "-"))
    missed = [rule for rule in fault.rules if rule not in by_id or by_id[rule].verdict is not Verdict.FAIL]
    assert not missed, (f"fault {name} is not caught by {', '.join(missed)}: "
                        + "; ".join(f"{r} {by_id[r].verdict.value} {by_id[r].reason}" for r in missed if r in by_id))
    collateral = [f"{r.rule_id}: {r.reason}" for r in results if r.verdict is Verdict.FAIL and r.level == "MUST"
                  and r.rule_id not in fault.rules and r.rule_id not in fault.also]
    assert not collateral, f"fault {name} also fails MUST rules it does not name:\n" + "\n".join(collateral)
    first = next(by_id[rule] for rule in sorted(fault.rules) if by_id[rule].verdict is Verdict.FAIL)
    again, clean = replay_against(first, fault=name), replay_against(first, fault=None)
    REPLAYS.append((name, first.rule_id, again.verdict.value, clean.verdict.value))
    assert first.evidence.scenario["reproduced"], f"{first.rule_id}: {first.evidence.scenario['replay_reason']}"
    assert again.verdict is Verdict.FAIL, f"{first.rule_id} replayed on a fresh faulty reference: {again.reason}"
    assert clean.verdict is Verdict.PASS, f"{first.rule_id} replayed on the clean reference: {clean.reason}"


def replay_against(result, fault: str | None):
    """The recorded scenario of a FAIL, replayed once on a fresh reference (in process, as the run
    itself; tests/commands/test_replay.py replays each kind of scenario over HTTP)."""
    context = build_context(RunOptions(apis=(result.api,), fault=fault, profile=PROFILE, seed=SEED))
    try:
        with seed_alone():
            return replay(context, context.catalogue.rule(result.rule_id), result.evidence.scenario["trace"], salt=7)
    finally:
        context.close()


@pytest.mark.parametrize("name", sorted(VARIATIONS))
def test_variation_stays_certified(name: str) -> None:
    variation = VARIATIONS[name]
    results, _ = run(tuple(slug for slug in IMPLEMENTED if slug in variation.apis), variation=name)
    must_failed = [f"{r.rule_id}: {r.reason}" for r in results if r.level == "MUST" and r.verdict is Verdict.FAIL]
    must_unverified = [f"{r.rule_id}: {r.reason}" for r in results
                       if r.level == "MUST" and r.verdict is Verdict.NOT_VERIFIED]
    warnings = sorted(r.rule_id for r in results if r.level == "SHOULD" and r.verdict is Verdict.FAIL)
    unexpected = [f"{r.rule_id}: {r.reason}" for r in results if r.level == "SHOULD"
                  and r.verdict is Verdict.FAIL and r.rule_id not in variation.warns]
    VARIATION_TABLE.append((name, ",".join(variation.apis), str(len(must_failed)), str(len(must_unverified)),
                            ",".join(warnings) or "-"))
    assert not must_failed, f"variation {name} (a correct service) fails MUST rules:\n" + "\n".join(must_failed)
    assert not must_unverified, f"variation {name} leaves MUST rules not verified:\n" + "\n".join(must_unverified)
    assert not unexpected, f"variation {name} gets SHOULD warnings it does not declare:\n" + "\n".join(unexpected)


def test_there_are_enough_variations_and_every_must_rule_and_every_check_has_a_fault() -> None:
    """Every MUST rule is failed by a fault of its own; every check (SHOULD rules' too) is failed by a
    fault on some rule that uses it (a generic check such as no_server_error on one API at least)."""
    assert len(VARIATIONS) >= 25
    rules = load_catalogue(IMPLEMENTED).rules
    proven = {rule for fault in FAULTS.values() for rule in fault.rules}
    unproven = [rule.id for rule in rules if rule.level == "MUST" and rule.id not in proven]
    assert not unproven, f"MUST rules no fault proves: {', '.join(unproven)}"
    failing_checks = {rule.check for rule in rules if rule.id in proven}
    unproven_checks = [f"{rule.id} ({rule.check})" for rule in rules if rule.check not in failing_checks]
    assert not unproven_checks, f"checks no fault makes fail: {', '.join(unproven_checks)}"


def teardown_module() -> None:
    if TABLE:
        print("\nfault | rules expected | rules failed | first failure after")
        for row in TABLE:
            print(" | ".join(row))
    if REPLAYS:
        print("\nfault | first rule failed | its replay on a fresh faulty reference | on the clean reference")
        for row in REPLAYS:
            print(" | ".join(row))
    if VARIATION_TABLE:
        print("\nvariation | APIs | MUST FAILs (must be 0) | MUST not verified (must be 0) | SHOULD warnings")
        for row in VARIATION_TABLE:
            print(" | ".join(row))
