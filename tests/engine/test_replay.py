"""A replay with the same --seed against the same service must not collide with the first run:
the data repeats, the identities (idempotency keys, ticket ids) are fresh."""

from __future__ import annotations

import pytest
import requests

from orderproof.core.options import RunOptions
from orderproof.core.results import Verdict
from orderproof.engine.context import build_context
from orderproof.engine.replay import AnswersTransport, Diverged
from orderproof.engine.runner import verify
from orderproof.engine.target import Target, served
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


@pytest.mark.slow
def test_a_service_that_takes_other_credentials_fails_no_must_rule(tmp_path):
    """The reference, called with an API key it does not know (as a service that authenticates
    otherwise refuses the suite's): no MUST rule FAILs, the flow rules say why they are not verified."""
    with served(create_app()) as base_url:
        config = tmp_path / "target.yaml"
        config.write_text(f"base_url: {base_url}\napis:\n  bet-placement: {{auth: {{api_key: not-the-key}}}}\n"
                          f"provider_states:\n  url: {base_url}/_orderproof/provider-states\n")
        context = build_context(RunOptions(target_config=config, profile="quick", seed=3, rate_limit=0))
        try:
            results = [verify(context, rule) for rule in context.ordered_rules()]
        finally:
            context.close()
    must_failed = [r.rule_id for r in results if r.level == "MUST" and r.verdict is Verdict.FAIL]
    assert must_failed == [], must_failed
    unverified = [r for r in results if r.rule_id == "BP-FUNDS"][0]
    assert unverified.verdict is Verdict.NOT_VERIFIED and "refuses the suite's credentials" in unverified.reason


def test_a_script_step_closed_without_a_reply_is_no_answer_not_a_step_left_out(tmp_path):
    """curl writes no answer file for a connection closed without a reply (its status "000"): the
    offline judge reads that as no answer (which a rule such as <P>-NO-5XX fails), not as a script
    that stopped early (which says nothing)."""
    steps = [{"n": 1, "method": "POST", "path": "/bet"}, {"n": 2, "method": "POST", "path": "/bet"}]
    (tmp_path / "1.status").write_text("000\n", encoding="utf-8")
    target = Target(kind="url", base_url="http://127.0.0.1", apis={}, description="a script's answers")
    transport = AnswersTransport(target, steps, tmp_path, run_id="r")
    request = requests.Request("POST", "http://127.0.0.1/bet", data=b"{}").prepare()
    reply = transport.send(request)
    assert (reply.status, reply.content, reply.error) == (0, b"", "no answer (the script's curl failed)")
    with pytest.raises(Diverged, match="no answer for its step 2"):
        transport.send(request)
