"""One verdict per rule: :func:`verify` decides how a rule is judged (a response rule on its API's
shared traffic, a flow rule by its scenarios), after what every rule depends on: a check by that
name exists, the target speaks the API (:mod:`.probe`), the target offers what the rule needs
(provider states, a snapshot, credentials), the request budget is not spent.

A defect of orderproof never passes a rule, nor hides it: it is NOT VERIFIED with the reason.
"""

from __future__ import annotations

import time
from typing import Any

from orderproof.catalogue import Rule
from orderproof.checks.base import RuleFailure
from orderproof.core.profiles import seed_alone
from orderproof.core.results import RuleResult, Verdict
from orderproof.engine import pools
from orderproof.engine.context import Observation, RunContext, rule_kind
from orderproof.engine.evidence import BUDGET, fail, result
from orderproof.engine.flows import verify_flow
from orderproof.engine.probe import foreign
from orderproof.engine.replay import replay
from orderproof.engine.responses import verify_response
from orderproof.engine.script import script_steps
from orderproof.engine.transport import BudgetExhausted

__all__ = ["verify"]

# The generic rules a target that does not speak the API fails (with the probe's answer); its other
# rules are NOT VERIFIED.
_FAILED_BY_A_FOREIGN_TARGET = ("schema_conformance", "negative_rejected")


def verify(ctx: RunContext, rule: Rule) -> RuleResult:
    """The verdict of ``rule`` against the run's target, timed, with its reason masked."""
    started = time.perf_counter()
    try:
        _prime(ctx, rule)
        with seed_alone():
            verdict = _verify(ctx, rule)
    except BudgetExhausted:
        verdict = result(rule, Verdict.NOT_VERIFIED, BUDGET)
    except Exception as exc:  # noqa: BLE001 - a defect of orderproof never passes a rule, nor hides it
        verdict = result(rule, Verdict.NOT_VERIFIED,
                         f"orderproof could not verify this rule ({exc.__class__.__name__}: {exc}); please report it")
    if verdict.verdict is Verdict.FAIL and verdict.evidence is not None and verdict.evidence.scenario:
        with seed_alone():
            confirm_replay(ctx, rule, verdict.evidence.scenario)
    verdict.duration_s = round(time.perf_counter() - started, 3)
    verdict.seed = ctx.seed
    verdict.reason = ctx.secrets.mask_text(verdict.reason)
    return verdict


def _prime(ctx: RunContext, rule: Rule) -> None:
    """Before a rule: the pools it draws from; before the first, those of every rule the session
    runs (``ctx.selected``, set by the collector for certify and the pytest plugin), read from the
    cache or drawn in parallel (:mod:`.pools`). A notice says what that took."""
    with ctx.lock:
        wanted = [rule]
        if ctx.selected and not ctx.primed:
            wanted = [*ctx.selected, rule]
        ctx.primed = True
        primed = pools.prime(ctx, wanted)
    if primed.drawn + primed.from_cache and ctx.on_notice is not None:
        where = f" in {primed.processes} processes" if primed.processes > 1 else ""
        cached = f", {primed.from_cache} read from the cache" if primed.from_cache else ""
        whose = f" of {', '.join(ctx.catalogue.apis)}" if ctx.options.shard is not None else ""   # one share of several
        ctx.on_notice("", f"generated cases{whose}: {primed.drawn} pools drawn{where}{cached} ({primed.seconds:.1f}s)")


def confirm_replay(ctx: RunContext, rule: Rule, scenario: dict[str, Any]) -> None:
    """Replay a failure once, at once: does it happen again (``reproduced``), and with which
    requests (the steps of its replay script)? A replay that cannot run says why."""
    salt = ctx.derive(f"{rule.id}/replay/{ctx.run_id}")
    try:
        replayed = replay(ctx, rule, scenario["trace"], salt)
    except Exception as exc:  # noqa: BLE001 - a replay that breaks takes nothing from the verdict
        scenario.update(salt=salt, reproduced=False, replay_reason=f"the replay broke: {exc.__class__.__name__}: {exc}",
                        steps=[], fresh=[], env={})
        return
    scenario.update(salt=salt, reproduced=replayed.reproduced,
                    replay_reason=ctx.secrets.mask_text(replayed.reason), **script_steps(ctx, rule.api, replayed))


def _verify(ctx: RunContext, rule: Rule) -> RuleResult:
    kind = rule_kind(rule)
    if kind == "missing":
        return result(rule, Verdict.NOT_VERIFIED, f"no check named {rule.check!r} is registered")
    probed = foreign(ctx, rule.api)
    if probed is not None:
        reason, exchange = probed
        if rule.check in _FAILED_BY_A_FOREIGN_TARGET:
            return fail(ctx, rule, Observation(RuleFailure(rule, reason), exchange), cases=1, applicable=1)
        return result(rule, Verdict.NOT_VERIFIED, reason)
    missing = ctx.missing_needs(rule)
    if missing:
        return result(rule, Verdict.NOT_VERIFIED, missing)
    if ctx.transport.exhausted and (kind == "flow" or rule.api not in ctx.traffic):
        # A response rule whose API's shared pass already ran is judged on that traffic: a
        # failure it observed (a 500 storm) must not turn into "budget exhausted".
        return result(rule, Verdict.NOT_VERIFIED, BUDGET)
    if kind == "flow":
        return verify_flow(ctx, rule)
    return verify_response(ctx, rule)
