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


def verdicts(config, seed: int) -> dict[str, Verdict]:
    context = build_context(RunOptions(target_config=config, profile="quick", seed=seed, rate_limit=0))
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
