"""A replay with the same --seed against the same service must not collide with the first run:
the data repeats, the identities (idempotency keys, ticket ids) are fresh."""

from __future__ import annotations

import pytest

from orderproof.core.options import RunOptions
from orderproof.core.results import Verdict
from orderproof.engine.context import build_context
from orderproof.engine.runner import verify
from orderproof.engine.target import served
from orderproof.reference import create_app


def verdicts(config, seed: int, profile: str = "quick") -> dict[str, Verdict]:
    context = build_context(RunOptions(target_config=config, profile=profile, seed=seed, rate_limit=0))
    try:
        return {rule.id: verify(context, rule).verdict for rule in context.ordered_rules()}
    finally:
        context.close()


@pytest.mark.slow
def test_same_seed_twice_against_one_service(tmp_path):
    with served(create_app()) as base_url:
        config = tmp_path / "target.yaml"
        config.write_text(f"base_url: {base_url}\napis:\n  sportsbook-order: {{}}\n"
                          f"provider_states:\n  url: {base_url}/_orderproof/provider-states\n")
        first, second = verdicts(config, 1), verdicts(config, 1)
    assert first == second
    assert set(second.values()) == {Verdict.PASS}, {k: v.value for k, v in second.items() if v is not Verdict.PASS}


@pytest.mark.slow
def test_a_long_lived_service_that_keys_any_string_is_judged_alike_on_a_second_run(tmp_path):
    """A case that breaks X-Idempotency-Key sends Schemathesis' value ("null", "{}"), the same in every
    run: a service that takes any string as a key answers the second run's as a repeat (a replay or a
    key-reuse refusal), which no response rule may hold against it."""
    with served(create_app(variation="bp-key-any-string")) as base_url:
        config = tmp_path / "target.yaml"
        config.write_text(f"base_url: {base_url}\napis:\n  bet-placement: {{}}\n"
                          f"provider_states:\n  url: {base_url}/_orderproof/provider-states\n")
        first, second = verdicts(config, 7, "standard"), verdicts(config, 7, "standard")   # its coverage phase
    failed = {rule: verdict.value for rule, verdict in second.items() if verdict is not Verdict.PASS}
    assert failed == {"BP-KEY-REQUIRED": "FAIL"}, failed          # the variation's own warning, nothing else
    assert first == second
