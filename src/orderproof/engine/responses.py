"""Response rules: every generated request of an API judged by every response rule of the API.

One shared pass per API sends positive and negative cases drawn from a generated pool, a sample of
Schemathesis' coverage-phase negative cases and one request per edge number, and every response rule
judges every exchange. A rule that fails there gets a Hypothesis run of its own, seeded from the run
seed, which shrinks the failing case to a minimal one for the evidence. Exchanges a flow sends are
judged here too (:func:`observe`); a failure goes to the response rule, not the flow.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests
from hypothesis import Phase, given, seed
from hypothesis import strategies as st
from hypothesis.control import current_build_context
from schemathesis.core import NotSet
from schemathesis.errors import FailureGroup

from orderproof import registry
from orderproof.catalogue import Rule
from orderproof.checks.base import (
    NOT_APPLICABLE,
    RESPONSE_CHECKS,
    Exchange,
    NotVerified,
    RuleFailure,
)
from orderproof.core.profiles import hypothesis_settings
from orderproof.core.results import RuleResult, Verdict
from orderproof.engine import generic, pools
from orderproof.engine.context import Observation, RunContext, Traffic, rule_kind
from orderproof.engine.evidence import (
    BUDGET,
    NO_APPLICABLE,
    fail,
    failure_text,
    passed,
    result,
)
from orderproof.engine.generation import (
    body_bytes,
    build_request,
    case_strategy,
    edge_cases,
    exchange_from,
    form_drops_nesting,
    fresh_case,
    identify_negative,
    mode_of,
    mutated_names,
    overlay_case,
    set_path,
)
from orderproof.engine.scene import Scene
from orderproof.engine.trace import RecordingDraw, encode
from orderproof.engine.transport import BudgetExhausted, Unsendable

__all__ = ["SHRINK_BUDGET", "judge", "observe", "send_case", "traffic", "verify_response"]

SHRINK_BUDGET = 40          # extra calls a failing rule may spend shrinking its case


class _NoErrorReply:
    error = None


_NO_ERROR = _NoErrorReply()


def judge(rule: Rule, exchange: Exchange, case: Any = None, reply: Any = _NO_ERROR) -> Any:
    """Run one rule's check on one exchange: None (pass), NOT_APPLICABLE, or a RuleFailure.
    ``case`` (the Schemathesis case, when there is one) lets <P>-SCHEMA use Schemathesis' checks.
    An answer that is not the API's own (:func:`generic.judges`) is judged by few rules."""
    if not generic.judges(rule.check, exchange):
        return NOT_APPLICABLE
    if rule.check in generic.GENERIC:
        return _judge_generic(rule, exchange, case, reply)
    if reply.error or (exchange.mode == "negative" and 200 <= exchange.status < 300):
        # a success to a negative case is <P>-NEGATIVE's question; what the answer echoes of the
        # suite's own invalid input is not the response rules' business
        return NOT_APPLICABLE
    check = RESPONSE_CHECKS[rule.check]
    try:
        outcome = check(rule, exchange)
    except (RuleFailure, NotVerified) as raised:
        if isinstance(raised, NotVerified):
            raise
        return raised
    except Exception as exc:  # a response the check could not read is the target's, and shown
        return RuleFailure(rule, f"the response could not be evaluated: {exc.__class__.__name__}: {exc}")
    return NOT_APPLICABLE if outcome is NOT_APPLICABLE else None


def _judge_generic(rule: Rule, exchange: Exchange, case: Any, reply: Any) -> Any:
    cases = generic.GENERIC[rule.check]
    if cases != "all" and exchange.mode != cases:
        return NOT_APPLICABLE
    own = generic.CHECKS.get(rule.check)
    if own is not None:
        try:
            return own(rule, exchange)
        except RuleFailure as failure:
            return failure
    if case is None or not generic.schema_applies(exchange):
        return NOT_APPLICABLE
    response, checks = generic.schema_reading(exchange, reply)
    try:
        case.validate_response(response, checks=checks, headers=dict(reply.request.headers))
    except FailureGroup as group:
        own = generic.not_echoed(group.exceptions, exchange)
        return RuleFailure(rule, failure_text(FailureGroup(own))) if own else None
    return None


# --- sending generated cases -------------------------------------------------------------------------

def send_case(ctx: RunContext, slug: str, case: Any, scene: Scene, draw: Callable,
              edge: tuple[tuple[Any, ...], Any] | None = None, coverage: bool = False,
              mode: str | None = None, broken: set[str] | None = None) -> tuple[Exchange, Any] | None:
    """Fill in a case (positive: fixtures; coverage negative: identity), sign it, send it.
    ``edge`` (path, value) puts an edge number into a positive case after it was filled in.
    ``mode`` and ``broken`` default to what the case's metadata says (a replayed case has none).
    None when the generated request cannot be put on the wire (e.g. a header value HTTP cannot
    carry), or an edge path the body does not have: such a case says nothing and is not counted."""
    if mode is None:
        mode = mode_of(case)
    if broken is None:
        broken = mutated_names(case) if mode == "negative" and coverage else set()
    try:
        return _send_case(ctx, slug, case, scene, draw, edge, coverage, mode, broken)
    except (Unsendable, requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, UnicodeEncodeError):
        return None


def case_spec(case: Any, mode: str | None, edge: tuple[tuple[Any, ...], Any] | None, coverage: bool,
              broken: set[str] | None = None) -> dict[str, Any]:
    """A generated case as a replay needs it (JSON): what Schemathesis generated, and how it was sent
    (``broken``: the parts a coverage case broke, when the caller already has them)."""
    if broken is None:
        broken = mutated_names(case) if mode == "negative" and coverage else set()
    return {"mode": mode, "coverage": coverage, "broken": sorted(broken),
            "edge": None if edge is None else [list(edge[0]), encode(edge[1])],
            "media_type": case.media_type, "body_set": not isinstance(case.body, NotSet),
            "body": None if isinstance(case.body, NotSet) else encode(case.body),
            "headers": encode(dict(case.headers or {})), "query": encode(dict(case.query or {})),
            "path_parameters": encode(dict(case.path_parameters or {})), "cookies": encode(dict(case.cookies or {}))}


def _send_case(ctx: RunContext, slug: str, case: Any, scene: Scene, draw: Callable,
               edge: tuple[tuple[Any, ...], Any] | None, coverage: bool, mode: str | None,
               broken: set[str]) -> tuple[Exchange, Any] | None:
    api = registry.get(slug)
    player = None
    realistic = False
    try:
        if mode == "positive":
            player = overlay_case(slug, case, scene, draw)
            realistic = player is not None and scene.realistic
        elif mode == "negative" and coverage:
            player = identify_negative(slug, case, scene, draw, broken)
    except NotVerified:
        player = None        # no fixtures: the case goes as generated
    if edge is not None:
        if not set_path(case.body, *edge):
            return None
        realistic = False
    if realistic and form_drops_nesting(case):
        realistic = False      # a form carries no nested objects: the order sent is not the one made valid
    request = build_request(slug, case, ctx.target, ctx.transport)
    if player is not None:
        try:
            extra = api.auth_headers(body_bytes(request), scene, player)
        except NotVerified:
            extra = {}
        request.headers.update({name: value for name, value in extra.items() if name.lower() not in broken})
    stale = False
    for name, value in api.fresh_headers(scene).items():    # e.g. a key no other case used
        if name.lower() not in broken:
            request.headers[name] = value
        elif name in request.headers:   # the case's own value ("null", "{}"); a missing key repeats nothing
            stale = True
    reply = ctx.transport.send(request)
    exchange = exchange_from(slug, reply, mode, conventions=ctx.conventions)
    exchange.extra["realistic"] = realistic
    if stale:       # its key is the case's own ("null", "{}"), the same in every run: maybe a repeat
        exchange.extra["maybe_repeat"] = True
    if ctx.credentials.get(slug) and api.refuses_credentials(exchange.status):
        exchange.extra["auth_refused"] = True     # the target refuses the suite's credentials (found by a flow)
    if player is not None and not broken & api.credential_headers:
        exchange.extra["auth"] = "valid"
    api.annotate(exchange, scene, player)
    if isinstance(player, dict) and not stale:
        api.carry_forward(exchange, player)
    return exchange, reply


# --- the shared pass of one API ----------------------------------------------------------------------

def traffic(ctx: RunContext, slug: str) -> Traffic:
    """The shared pass of ``slug``, run once per run (the first response rule of the API runs it)."""
    with ctx.lock:
        if slug not in ctx.traffic:
            ctx.traffic[slug] = _shared_pass(ctx, slug)
        return ctx.traffic[slug]


def _shared_pass(ctx: RunContext, slug: str) -> Traffic:
    seen = Traffic()
    rules = [rule for rule in ctx.response_rules(slug) if not ctx.missing_needs(rule)]
    scene = Scene(ctx.target, ctx.states, ctx.scene_seed(slug))
    started = time.perf_counter()
    size = ctx.profile.response_examples
    positives = pools.positives(ctx, slug)
    cases = positives + pools.negatives(ctx, slug)

    def judge_all(case: Any, exchange: Exchange, reply: Any, origin: str, trace: dict[str, Any]) -> None:
        for rule in rules:
            seen.cases[rule.id] = seen.cases.get(rule.id, 0) + 1
            ctx.conventions.origin = {"rule": rule.id, "trace": trace}
            try:
                outcome = judge(rule, exchange, case, reply)
            except NotVerified as exc:
                seen.reasons.setdefault(rule.id, str(exc))
                continue
            if outcome is NOT_APPLICABLE:
                continue
            seen.applicable[rule.id] = seen.applicable.get(rule.id, 0) + 1
            seen.samples.setdefault(rule.id, exchange)
            if isinstance(outcome, RuleFailure) and rule.id not in seen.failures:
                seen.failures[rule.id] = Observation(outcome, exchange, trace=with_prelude(trace, outcome))
                seen.modes[rule.id] = origin

    def send(pooled: Any, draw: Callable, origin: str | None = None, edge: Any = None, coverage: bool = False) -> None:
        mode = mode_of(pooled)
        broken = mutated_names(pooled) if mode == "negative" and coverage else set()
        spec = case_spec(pooled, mode, edge, coverage, broken)       # as generated, before it is filled in
        seen_before = ctx.conventions.snapshot()                     # what a replay must judge with
        recorded = RecordingDraw(draw)
        case = fresh_case(pooled)
        sent = send_case(ctx, slug, case, scene, recorded, edge=edge, coverage=coverage, mode=mode, broken=broken)
        if sent is not None:
            judge_all(case, *sent, origin or sent[0].mode or "all",
                      {"kind": "response", "case": spec, "draws": recorded.draws, "conventions": seen_before})

    @hypothesis_settings(3 * size, derandomize=ctx.profile.derandomize)
    @seed(ctx.derive(slug))
    @given(pooled=st.sampled_from(cases), data=st.data())
    def generated(pooled: Any, data: Any) -> None:
        send(pooled, data.draw)

    # A seeded sample of Schemathesis' coverage-phase negative cases, each filled in with a real
    # identity and fixtures where it is not broken (one Hypothesis example draws them all).
    @hypothesis_settings(1)
    @seed(ctx.derive(f"{slug}/coverage"))
    @given(data=st.data())
    def coverage(data: Any) -> None:
        for pooled in pools.coverage(ctx, slug):
            send(pooled, data.draw, "coverage", coverage=True)

    def edge(index: int, edge_case: tuple[tuple[Any, ...], Any]) -> None:
        # one otherwise valid request per edge number and money/id field, its draws seeded apart
        @hypothesis_settings(1)
        @seed(ctx.derive(f"{slug}/edge/{index}"))
        @given(data=st.data())
        def one(data: Any) -> None:
            send(positives[index % len(positives)], data.draw, "edge", edge=edge_case)

        one()

    try:
        generated()
        coverage()
        for index, edge_case in enumerate(edge_cases(slug)):
            edge(index, edge_case)
    except BudgetExhausted:
        seen.budget_exhausted = True
    except Exception:
        if not ctx.transport.exhausted:
            raise
        seen.budget_exhausted = True      # Hypothesis, replaying a case cut short by the budget, saw it differ
    seen.duration_s = time.perf_counter() - started
    return seen


def verify_response(ctx: RunContext, rule: Rule) -> RuleResult:
    """The verdict of a response rule from its API's shared pass (and what flows observed)."""
    seen = traffic(ctx, rule.api)
    cases, applicable = seen.cases.get(rule.id, 0), seen.applicable.get(rule.id, 0)
    observed = seen.failures.get(rule.id)
    if observed is not None:
        origin = seen.modes.get(rule.id, "all")
        shrinkable = Phase.shrink in ctx.profile.phases and origin not in ("coverage", "edge")
        minimal = _shrink(ctx, rule, origin) if shrinkable else None
        return fail(ctx, rule, minimal or observed, cases=cases, applicable=applicable)
    flow_seen = ctx.flow_observations.get(rule.id)
    if flow_seen is not None:
        return fail(ctx, rule, flow_seen, cases=cases, applicable=applicable + 1)
    in_flows, flow_sample = ctx.flow_applied.get(rule.id, (0, None))
    if applicable == 0 and in_flows:        # judged on what the flows sent, and passed there
        return passed(ctx, rule, flow_sample, cases=cases + in_flows, applicable=in_flows)
    if applicable == 0:
        if seen.budget_exhausted:
            return result(rule, Verdict.NOT_VERIFIED, BUDGET, cases=cases)
        reason = seen.reasons.get(rule.id) or NO_APPLICABLE + (f": {rule.unjudged}" if rule.unjudged else "") \
            + _none_accepted(rule, seen)
        if ctx.credentials.get(rule.api):
            reason += f"; {ctx.credentials[rule.api]}"
        return result(rule, Verdict.NOT_VERIFIED, reason, cases=cases)
    return passed(ctx, rule, seen.samples.get(rule.id), cases=cases, applicable=applicable)


def _none_accepted(rule: Rule, seen: Traffic) -> str:
    """When a valid request was not accepted (the API's <P>-POSITIVE failed): that, and what those
    requests take from the target, for a rule that had nothing to judge."""
    api = registry.get(rule.api)
    positive = f"{api.prefix}-POSITIVE"
    if rule.id == positive or positive not in seen.failures:
        return ""
    return f"; valid requests were not accepted (see {positive})" + (f": {api.valid_request_hint}"
                                                                     if api.valid_request_hint else "")


def _shrink(ctx: RunContext, rule: Rule, mode: str) -> Observation | None:
    """A Hypothesis run of this rule alone, to shrink its failing case to a minimal one."""
    slug = rule.api
    scene = Scene(ctx.target, ctx.states, ctx.scene_seed(rule.id))
    found: list[Observation] = []
    calls_after_failure = [0]

    @hypothesis_settings(2 * ctx.profile.response_examples, ctx.profile.phases, derandomize=ctx.profile.derandomize)
    @seed(ctx.derive(rule.id))
    @given(case=case_strategy(slug, mode), data=st.data())
    def single(case: Any, data: Any) -> None:
        if found:
            calls_after_failure[0] += 1
            if calls_after_failure[0] > SHRINK_BUDGET and not current_build_context().is_final:
                return
        mode = mode_of(case)
        spec = case_spec(case, mode, None, False)
        seen_before = ctx.conventions.snapshot()
        recorded = RecordingDraw(data.draw)
        sent = send_case(ctx, slug, case, scene, recorded)
        if sent is None:
            return
        exchange, reply = sent
        outcome = judge(rule, exchange, case, reply)
        if isinstance(outcome, RuleFailure):
            trace = {"kind": "response", "case": spec, "draws": recorded.draws, "conventions": seen_before}
            found.append(Observation(outcome, exchange, trace=with_prelude(trace, outcome)))
            raise outcome

    try:
        single()
    except BudgetExhausted:
        pass
    except Exception:  # noqa: BLE001 - the rule failed (or flaked): the last failing case is the minimal one
        pass
    return found[-1] if found else None


def with_prelude(trace: dict[str, Any], failure: RuleFailure) -> dict[str, Any]:
    """A failure that contradicts earlier answers of the run (a convention) is replayed with them:
    the scenarios that showed them come first, judged from a fresh start."""
    origins = getattr(failure, "origins", None)
    if not origins:
        return trace
    return {**trace, "conventions": {}, "prelude": list(origins)}


def observe(ctx: RunContext, flow_rule: Rule, exchange: Exchange, draws: list[dict[str, Any]],
            seen_before: dict[str, Any] | None = None) -> None:
    """Run the API's response checks on an exchange a flow sent; failures go to their own rules,
    with the flow's draws (``draws``, the list the flow keeps filling) to replay the scenario."""
    flow_origin = ctx.conventions.origin
    for rule in ctx.response_rules(exchange.api):
        if rule.id in ctx.flow_observations or rule_kind(rule) != "response":
            continue
        trace = {"kind": "flow", "flow_rule": flow_rule.id, "draws": draws, "conventions": seen_before}
        ctx.conventions.origin = {"rule": rule.id, "trace": trace}
        try:
            outcome = judge(rule, exchange)
        except NotVerified:
            continue
        finally:
            ctx.conventions.origin = flow_origin
        if outcome is NOT_APPLICABLE:
            continue
        with ctx.lock:
            count, sample = ctx.flow_applied.get(rule.id, (0, exchange))
            ctx.flow_applied[rule.id] = (count + 1, sample)
        if isinstance(outcome, RuleFailure):
            trace = with_prelude(trace, outcome)
            with ctx.lock:
                ctx.flow_observations.setdefault(rule.id, Observation(outcome, exchange, flow_rule.id, trace=trace))
