"""Running the rules: one :class:`RunContext` per run (target, transport, provider states, seeds),
one verdict per rule, and :func:`run_conformance`, which runs the conformance items through pytest
(JUnit XML and allure-results) and returns the verdicts.

Response rules share the generated traffic of their API: one Hypothesis pass per API sends
positive and negative cases and every response rule judges every exchange. A rule that fails there
gets a Hypothesis run of its own, seeded from the run seed, which shrinks the failing case to a
minimal one for the evidence. Flow rules are Hypothesis tests of their own (``flows.py``).
"""

from __future__ import annotations

import shlex
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from hypothesis.control import current_build_context

from orderproof import masking
from orderproof.catalogue import Catalogue, Rule, load_catalogue
from orderproof.checks.conventions import ConventionBook, validate_pins
from orderproof.checks import generic
from orderproof.checks.base import FLOW_CHECKS, NOT_APPLICABLE, RESPONSE_CHECKS, Exchange, NotVerified, RuleFailure
from orderproof.errors import UsageError
from orderproof.generation import (
    Scene,
    auth_headers,
    body_bytes,
    build_request,
    case_pool,
    case_strategy,
    coverage_sample,
    annotate,
    edge_cases,
    set_path,
    exchange_from,
    fresh_case,
    identify_negative,
    mutated_names,
    operator_offset,
    overlay_case,
    schemathesis_response,
)
from orderproof.profiles import Profile, get_profile
from orderproof.provider_states import ProviderStates
from orderproof.results import Evidence, RuleResult, Verdict
from orderproof.target import Target, resolve_target
from orderproof.transport import BudgetExhausted, Transport, Unsendable

__all__ = ["RunContext", "RunOptions", "RunResult", "run_conformance"]

NO_APPLICABLE = "no response to which the rule applies was observed"
CREDENTIAL_HEADERS = frozenset({"x-api-key", "operator-name", "timestamp", "signature"})
BUDGET = "request budget exhausted"
SHRINK_BUDGET = 40          # extra calls a failing rule may spend shrinking its case


@dataclass
class RunOptions:
    target_url: str | None = None
    target_config: Path | None = None
    serve: bool = False                 # embedded reference on a loopback port (uvicorn)
    apis: tuple[str, ...] = ()          # empty: every API the target implements
    profile: str = "standard"           # quick | standard | thorough
    seed: int | None = None             # None: a random seed, recorded in the result
    fault: str | None = None            # embedded reference only
    variation: str | None = None        # embedded reference only: a named correct variation
    conventions: dict[str, str] = field(default_factory=dict)   # pinned conventions (--convention)
    report_dir: Path = Path("reports")
    max_requests: int | None = None     # hard cap on requests sent to the target
    rate_limit: float | None = None     # requests per second; 429 + Retry-After backs off
    request_timeout: float = 10.0
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    on_event: Callable[[str, dict], None] | None = None   # "rule-start" / "rule-end" progress


@dataclass
class RunResult:
    results: list[RuleResult]
    target: str
    apis: tuple[str, ...]
    profile: str
    seed: int
    run_id: str
    started: datetime
    finished: datetime
    junit_path: Path
    allure_dir: Path
    spec_sha256: dict[str, str]
    exit_code: int                      # 0 every MUST passed, 1 a MUST failed
    conventions: list[dict[str, Any]] = field(default_factory=list)   # what the run was certified under


def rule_kind(rule: Rule) -> str:
    if rule.check in generic.GENERIC:
        return "generic"
    if rule.check in RESPONSE_CHECKS:
        return "response"
    if rule.check in FLOW_CHECKS:
        return "flow"
    return "missing"


def derive_seed(run_seed: int, name: str) -> int:
    return (run_seed + zlib.crc32(name.encode())) % (2**32)


@dataclass
class Observation:
    failure: RuleFailure
    exchange: Exchange
    flow_rule: str | None = None      # the flow rule whose scenario sent the exchange
    steps: tuple[str, ...] = ()       # a failing scenario's requests, in order


@dataclass
class Traffic:
    """What the shared pass of one API saw, per rule."""

    cases: dict[str, int] = field(default_factory=dict)
    applicable: dict[str, int] = field(default_factory=dict)
    failures: dict[str, Observation] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    budget_exhausted: bool = False
    duration_s: float = 0.0


class RunContext:
    """Everything one run shares: the target, the transport, provider states, seeds, results."""

    def __init__(self, *, target: Target, catalogue: Catalogue, profile: Profile, seed: int, run_id: str,
                 max_requests: int | None = None, rate_limit: float | None = None,
                 request_timeout: float = 10.0, replay_options: str = "",
                 conventions: Mapping[str, str] | None = None):
        self.target = target
        self.conventions = ConventionBook(catalogue.conventions, conventions)
        self.catalogue = catalogue
        self.profile = profile
        self.seed = seed
        self.run_id = run_id
        self.replay_options = replay_options
        self.transport = Transport(target, run_id=run_id, max_requests=max_requests, rate_limit=rate_limit,
                                   request_timeout=request_timeout)
        self.states = ProviderStates(self.transport, target.provider_states_url, target.fixtures)
        self.secrets = masking.registry()
        for value in target.secrets():
            self.secrets.add(value)
        self._traffic: dict[str, Traffic] = {}
        self._foreign: dict[str, tuple[str, Exchange] | None] = {}
        self.on_notice: Callable[[str, str], None] | None = None   # (api, one line) for the terminal
        self._lock = threading.Lock()
        self.flow_observations: dict[str, Observation] = {}


    def scene_seed(self, name: str) -> int:
        """Seed of the identities a scene draws (ids, idempotency keys, ticket ids). It mixes in the
        run id, so a replay with the same --seed against the same service sends the same data under
        fresh identities: a repeated key or ticket id would be a repeat, not a new request."""
        return derive_seed(self.seed, f"{name}/scene/{self.run_id}")
    def close(self) -> None:
        self.transport.close()
        self.target.close()

    @property
    def flow_pool_size(self) -> int:
        """Generated positive bodies flows draw from (then filled in with fresh fixtures)."""
        return max(4, 2 * self.profile.flow_examples)

    def pool_seed(self, slug: str) -> int:
        return derive_seed(self.seed, slug + "/flow-pool")

    # rules -------------------------------------------------------------------------------------
    def rules_of(self, slug: str) -> list[Rule]:
        return [rule for rule in self.catalogue.rules if rule.api == slug]

    def response_rules(self, slug: str) -> list[Rule]:
        return [rule for rule in self.rules_of(slug) if rule_kind(rule) in ("generic", "response")]

    def ordered_rules(self) -> list[Rule]:
        """Flow rules of an API before its response rules (so that what flows observe counts)."""
        ordered = []
        for slug in self.catalogue.apis:
            rules = self.rules_of(slug)
            ordered += [rule for rule in rules if rule_kind(rule) == "flow"]
            ordered += [rule for rule in rules if rule_kind(rule) != "flow"]
        return ordered

    def missing_needs(self, rule: Rule) -> str | None:
        has_hook = self.states.has_hook
        has_fixtures = bool(self.target.fixtures)
        if "snapshot" in rule.needs and not has_hook:
            return "the rule needs the player snapshot, and the target has no provider-state hook"
        if "provider-state" in rule.needs and not (has_hook or has_fixtures):
            return "the rule needs provider states, and the target has no provider-state hook and no fixtures"
        if "auth-material" in rule.needs and not has_hook:
            auth = self.target.apis[rule.api].auth
            players = self.target.fixtures.get("a player exists") or []
            if rule.api == "bet-placement" and not (auth.get("api_key") or any(p.get("apiKey") for p in players)):
                return "the rule needs the API key, and the target file gives none"
            if rule.api in ("jackpot-ticket", "superbet-reserve") and not auth.get("secret"):
                return "the rule needs the operator's signing secret, and the target file gives none"
        return None

    def verify(self, rule: Rule) -> RuleResult:
        started = time.perf_counter()
        try:
            result = self._verify(rule)
        except BudgetExhausted:
            result = self._result(rule, Verdict.NOT_VERIFIED, BUDGET)
        except Exception as exc:  # noqa: BLE001 - a defect of orderproof never passes a rule, nor hides it
            result = self._result(rule, Verdict.NOT_VERIFIED,
                                  f"orderproof could not verify this rule ({exc.__class__.__name__}: {exc}); "
                                  "please report it")
        result.duration_s = round(time.perf_counter() - started, 3)
        result.seed = self.seed
        result.reason = self.secrets.mask_text(result.reason)
        return result

    def _result(self, rule: Rule, verdict: Verdict, reason: str = "", **extra: Any) -> RuleResult:
        return RuleResult(api=rule.api, rule_id=rule.id, level=rule.level, title=rule.title, check=rule.check,
                          verdict=verdict, reason=reason, **extra)

    # a target that does not speak the API ------------------------------------------------------
    PROBES = 3

    def foreign(self, slug: str) -> tuple[str, Exchange] | None:
        """(reason, first answer) when the target does not speak ``slug`` at all: every one of a few
        probes (the spec's example, an empty object, malformed JSON) answered 404, 405 or 501, with
        HTML, or with a 2xx that is not JSON. Decided once per API, before its rules run."""
        with self._lock:
            if slug in self._foreign:
                return self._foreign[slug]
        verdict = self._probe(slug)
        with self._lock:
            self._foreign.setdefault(slug, verdict)
        if verdict is not None and self.on_notice is not None:
            self.on_notice(slug, verdict[0])
        return verdict

    def _probe(self, slug: str) -> tuple[str, Exchange] | None:
        from orderproof.generation import json_dumps, request_example

        bodies = [json_dumps(request_example(slug)), b"{}", b"{"][: self.PROBES]
        answers = []
        for body in bodies:
            request = self.transport.build("POST", self.target.url_for(slug),
                                           headers={"Content-Type": "application/json"}, content=body)
            exchange = exchange_from(slug, self.transport.send(request), conventions=self.conventions)
            if exchange.extra.get("error") or not _foreign_answer(exchange):
                return None
            answers.append(exchange)
        statuses = sorted({f"{a.status} {a.response_headers.get('content-type', '').split(';')[0] or 'no body'}".strip()
                           for a in answers})
        hint = " (is the path right? set apis.<api>.path in the target file)" if all(
            a.status == 404 for a in answers) else ""
        reason = (f"the target does not speak {slug}: all {len(answers)} probe requests to "
                  f"{self.target.url_for(slug)} were answered {', '.join(statuses)}{hint}")
        return reason, answers[0]

    def _verify(self, rule: Rule) -> RuleResult:
        kind = rule_kind(rule)
        if kind == "missing":
            return self._result(rule, Verdict.NOT_VERIFIED, f"no check named {rule.check!r} is registered")
        foreign = self.foreign(rule.api)
        if foreign is not None:
            reason, exchange = foreign
            if rule.check in ("schema_conformance", "negative_rejected"):
                return self._fail(rule, Observation(RuleFailure(rule.id, reason), exchange), cases=1, applicable=1)
            return self._result(rule, Verdict.NOT_VERIFIED, reason)
        missing = self.missing_needs(rule)
        if missing:
            return self._result(rule, Verdict.NOT_VERIFIED, missing)
        if self.transport.exhausted and (kind == "flow" or rule.api not in self._traffic):
            # A response rule whose API's shared pass already ran is judged on that traffic: a
            # failure it observed (a 500 storm) must not turn into "budget exhausted".
            return self._result(rule, Verdict.NOT_VERIFIED, BUDGET)
        if kind == "flow":
            return self._verify_flow(rule)
        return self._verify_response(rule)

    # response rules ----------------------------------------------------------------------------
    def _judge_generic(self, rule: Rule, exchange: Exchange, case: Any, reply: Any) -> Any:
        mode = generic.GENERIC[rule.check]
        if mode != "all" and exchange.mode != mode:
            return NOT_APPLICABLE
        try:
            if rule.check == "no_server_error":
                return generic.no_server_error(rule.id, exchange)
            if rule.check == "negative_rejected":
                return generic.negative_rejected(rule.id, exchange)
            if rule.check == "positive_accepted":
                return generic.positive_accepted(rule.id, exchange)
        except RuleFailure as failure:
            return failure
        if case is None or not generic.schema_applies(exchange):
            return NOT_APPLICABLE
        from schemathesis.errors import FailureGroup

        try:
            case.validate_response(schemathesis_response(reply), checks=list(generic.SCHEMA_CHECKS),
                                   headers=dict(reply.request.headers))
        except FailureGroup as group:
            return RuleFailure(rule.id, _failure_text(group))
        return None

    def judge(self, rule: Rule, exchange: Exchange, case: Any, reply: Any) -> Any:
        """Run one rule's check on one exchange: None (pass), NOT_APPLICABLE, or a RuleFailure."""
        if rule.check in generic.GENERIC:
            return self._judge_generic(rule, exchange, case, reply)
        if reply.error or (exchange.mode == "negative" and 200 <= exchange.status < 300):
            # a success to a negative case is <P>-NEGATIVE's question; what the answer echoes of the
            # suite's own invalid input is not the response rules' business
            return NOT_APPLICABLE
        check = RESPONSE_CHECKS[rule.check]
        try:
            outcome = check(exchange)
        except RuleFailure as failure:
            return failure
        except NotVerified:
            raise
        except Exception as exc:  # a response the check could not read is the target's, and shown
            return RuleFailure(rule.id, f"the response could not be evaluated: {exc.__class__.__name__}: {exc}")
        return NOT_APPLICABLE if outcome is NOT_APPLICABLE else None

    def send_case(self, slug: str, case: Any, scene: Scene, draw: Callable,
                  edge: tuple[tuple[Any, ...], Any] | None = None,
                  coverage: bool = False) -> tuple[Exchange, Any] | None:
        """Fill in a case (positive: fixtures; coverage negative: identity), sign it, send it.
        ``edge`` (path, value) puts an edge number into a positive case after it was filled in.
        None when the generated request cannot be put on the wire (e.g. a header value HTTP cannot
        carry), or an edge path the body does not have: such a case says nothing and is not counted."""
        try:
            return self._send_case(slug, case, scene, draw, edge, coverage)
        except (Unsendable, requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, UnicodeEncodeError):
            return None

    def _send_case(self, slug: str, case: Any, scene: Scene, draw: Callable,
                   edge: tuple[tuple[Any, ...], Any] | None = None,
                   coverage: bool = False) -> tuple[Exchange, Any] | None:
        mode = case.meta.generation.mode.value if case.meta is not None else None
        player, broken = None, set()
        realistic = False
        try:
            if mode == "positive":
                player = overlay_case(slug, case, scene, draw)
                realistic = player is not None and scene.realistic
            elif mode == "negative" and coverage:
                player = identify_negative(slug, case, scene, draw)
                broken = mutated_names(case)
        except NotVerified:
            player = None        # no fixtures: the case goes as generated
        if edge is not None:
            if not set_path(case.body, *edge):
                return None
            realistic = False
        request = build_request(slug, case, self.target, self.transport)
        if player is not None:
            try:
                extra = auth_headers(slug, body_bytes(request), scene, player)
            except NotVerified:
                extra = {}
            request.headers.update({name: value for name, value in extra.items() if name.lower() not in broken})
        if slug == "bet-placement" and "x-idempotency-key" not in broken:
            request.headers["X-Idempotency-Key"] = scene.uuid()   # never a key another case used
        reply = self.transport.send(request)
        exchange = exchange_from(slug, reply, mode, conventions=self.conventions)
        exchange.extra["realistic"] = realistic
        annotate(slug, exchange, scene)
        if player is not None and not broken & CREDENTIAL_HEADERS:
            exchange.extra["auth"] = "valid"
        exchange.extra.update(operator_offset(slug, player))
        return exchange, reply

    def traffic(self, slug: str) -> Traffic:
        with self._lock:
            if slug not in self._traffic:
                self._traffic[slug] = self._shared_pass(slug)
            return self._traffic[slug]

    def _shared_pass(self, slug: str) -> Traffic:
        traffic = Traffic()
        rules = [rule for rule in self.response_rules(slug) if not self.missing_needs(rule)]
        scene = Scene(self.target, self.states, self.scene_seed(slug))
        started = time.perf_counter()

        size = self.profile.response_examples
        cases = (case_pool(slug, "positive", size, derive_seed(self.seed, slug + "/pool+"))
                 + case_pool(slug, "negative", size, derive_seed(self.seed, slug + "/pool-")))

        @settings(max_examples=3 * self.profile.response_examples, database=None, deadline=None,
                  derandomize=self.profile.derandomize, phases=(Phase.generate,),
                  suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
        @seed(derive_seed(self.seed, slug))
        @given(pooled=st.sampled_from(cases), data=st.data())
        def shared(pooled: Any, data: Any) -> None:
            case = fresh_case(pooled)
            sent = self.send_case(slug, case, scene, data.draw)
            if sent is not None:
                judge_all(case, *sent, sent[0].mode or "all")

        def judge_all(case: Any, exchange: Exchange, reply: Any, origin: str) -> None:
            for rule in rules:
                traffic.cases[rule.id] = traffic.cases.get(rule.id, 0) + 1
                try:
                    outcome = self.judge(rule, exchange, case, reply)
                except NotVerified as exc:
                    traffic.reasons.setdefault(rule.id, str(exc))
                    continue
                if outcome is NOT_APPLICABLE:
                    continue
                traffic.applicable[rule.id] = traffic.applicable.get(rule.id, 0) + 1
                if isinstance(outcome, RuleFailure) and rule.id not in traffic.failures:
                    traffic.failures[rule.id] = Observation(outcome, exchange)
                    traffic.modes[rule.id] = origin

        try:
            shared()
            self._coverage_pass(slug, scene, judge_all)
            self._edge_pass(slug, scene, judge_all)
        except BudgetExhausted:
            traffic.budget_exhausted = True
        traffic.duration_s = time.perf_counter() - started
        return traffic

    def _coverage_pass(self, slug: str, scene: Scene, judge_all: Callable) -> None:
        """A seeded sample of Schemathesis' coverage-phase negative cases, each filled in with a real
        identity and fixtures where it is not broken (one Hypothesis example draws them all)."""
        sample = coverage_sample(slug, self.profile.coverage_examples, derive_seed(self.seed, slug + "/cov"))

        @settings(max_examples=1, database=None, deadline=None, phases=(Phase.generate,),
                  suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
        @seed(derive_seed(self.seed, f"{slug}/coverage"))
        @given(data=st.data())
        def send_all(data: Any) -> None:
            for pooled in sample:
                case = fresh_case(pooled)
                sent = self.send_case(slug, case, scene, data.draw, coverage=True)
                if sent is not None:
                    judge_all(case, *sent, "coverage")

        send_all()

    def _edge_pass(self, slug: str, scene: Scene, judge_all: Callable) -> None:
        """One otherwise valid request per edge number and money/id field of the API
        (``generation.edge_cases``), each a one-example Hypothesis run so its draws stay seeded."""
        positives = case_pool(slug, "positive", self.profile.response_examples, derive_seed(self.seed, slug + "/pool+"))

        def one(index: int, pooled: Any, edge: tuple[tuple[Any, ...], Any]) -> None:
            @settings(max_examples=1, database=None, deadline=None, phases=(Phase.generate,),
                      suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
            @seed(derive_seed(self.seed, f"{slug}/edge/{index}"))
            @given(data=st.data())
            def send_edge(data: Any) -> None:
                case = fresh_case(pooled)
                sent = self.send_case(slug, case, scene, data.draw, edge)
                if sent is not None:
                    judge_all(case, *sent, "edge")

            send_edge()

        for index, edge in enumerate(edge_cases(slug)):
            one(index, positives[index % len(positives)], edge)

    def _verify_response(self, rule: Rule) -> RuleResult:
        traffic = self.traffic(rule.api)
        cases, applicable = traffic.cases.get(rule.id, 0), traffic.applicable.get(rule.id, 0)
        observed = traffic.failures.get(rule.id)
        if observed is not None:
            origin = traffic.modes.get(rule.id, "all")
            shrinkable = Phase.shrink in self.profile.phases and origin not in ("coverage", "edge")
            minimal = self._shrink(rule, origin) if shrinkable else None
            chosen = minimal or observed
            return self._fail(rule, chosen, cases=cases, applicable=applicable)
        flow_seen = self.flow_observations.get(rule.id)
        if flow_seen is not None:
            return self._fail(rule, flow_seen, cases=cases, applicable=applicable + 1)
        if applicable == 0:
            if traffic.budget_exhausted:
                return self._result(rule, Verdict.NOT_VERIFIED, BUDGET, cases=cases)
            reason = traffic.reasons.get(rule.id)
            return self._result(rule, Verdict.NOT_VERIFIED, reason or NO_APPLICABLE, cases=cases)
        return self._result(rule, Verdict.PASS, cases=cases, applicable=applicable)

    def _shrink(self, rule: Rule, mode: str) -> Observation | None:
        """A Hypothesis run of this rule alone, to shrink its failing case to a minimal one."""
        slug = rule.api
        scene = Scene(self.target, self.states, self.scene_seed(rule.id))
        found: list[Observation] = []
        calls_after_failure = [0]

        @settings(max_examples=2 * self.profile.response_examples, database=None, deadline=None,
                  derandomize=self.profile.derandomize, phases=self.profile.phases,
                  suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, report_multiple_bugs=False)
        @seed(derive_seed(self.seed, rule.id))
        @given(case=case_strategy(slug, mode), data=st.data())
        def single(case: Any, data: Any) -> None:
            if found:
                calls_after_failure[0] += 1
                if calls_after_failure[0] > SHRINK_BUDGET and not current_build_context().is_final:
                    return
            sent = self.send_case(slug, case, scene, data.draw)
            if sent is None:
                return
            exchange, reply = sent
            outcome = self.judge(rule, exchange, case, reply)
            if isinstance(outcome, RuleFailure):
                found.append(Observation(outcome, exchange))
                raise outcome

        try:
            single()
        except BudgetExhausted:
            pass
        except Exception:  # noqa: BLE001 - the rule failed (or flaked): the last failing case is the minimal one
            pass
        return found[-1] if found else None

    # flow rules --------------------------------------------------------------------------------
    def observe(self, flow_rule_id: str, exchange: Exchange) -> None:
        """Run the API's response checks on an exchange a flow sent; failures go to their rules."""
        for rule in self.response_rules(exchange.api):
            if rule.id in self.flow_observations or rule_kind(rule) != "response":
                continue
            try:
                outcome = self.judge(rule, exchange, None, _NoError)
            except NotVerified:
                continue
            if isinstance(outcome, RuleFailure):
                with self._lock:
                    self.flow_observations.setdefault(rule.id, Observation(outcome, exchange, flow_rule_id))

    def _verify_flow(self, rule: Rule) -> RuleResult:
        from orderproof.flows import RuleFlow

        check = FLOW_CHECKS[rule.check]
        scene = Scene(self.target, self.states, self.scene_seed(rule.id))
        stats = {"cases": 0, "applicable": 0}
        found: list[Observation] = []
        calls_after_failure = [0]

        @settings(max_examples=self.profile.flow_examples, database=None, deadline=None,
                  derandomize=self.profile.derandomize, phases=self.profile.phases,
                  suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet, report_multiple_bugs=False)
        @seed(derive_seed(self.seed, rule.id))
        @given(data=st.data())
        def scenario(data: Any) -> None:
            if found:
                calls_after_failure[0] += 1
                if calls_after_failure[0] > SHRINK_BUDGET // 4 and not current_build_context().is_final:
                    return
            flow = RuleFlow(self, rule, data, scene)
            stats["cases"] += 1
            try:
                verdict = check(flow)
            except NotVerified as exc:
                raise _Unverifiable(str(exc)) from None
            except RuleFailure as failure:
                last = flow.exchanges[-1] if flow.exchanges else None
                steps = tuple(f"{e.method} {e.url} -> " + (f"HTTP {e.status}" if not e.extra.get("error")
                                                            else e.extra["error"]) for e in flow.exchanges)
                found.append(Observation(failure, last, steps=steps))
                raise
            if verdict is not NOT_APPLICABLE:
                stats["applicable"] += 1

        try:
            scenario()
        except _Unverifiable as exc:
            if not found:
                return self._result(rule, Verdict.NOT_VERIFIED, str(exc), cases=stats["cases"])
        except (Unsendable, requests.exceptions.InvalidHeader) as exc:
            if not found:
                return self._result(rule, Verdict.NOT_VERIFIED, f"a request of the scenario could not be sent: {exc}",
                                    cases=stats["cases"])
        except BudgetExhausted:
            if not found:
                return self._result(rule, Verdict.NOT_VERIFIED, BUDGET, cases=stats["cases"])
        except Exception as exc:  # noqa: BLE001
            if not found:
                return self._fail(rule, Observation(
                    RuleFailure(rule.id, f"the scenario could not run: {exc.__class__.__name__}: {exc}"), None),
                    cases=stats["cases"])
        if found:
            return self._fail(rule, found[-1], cases=stats["cases"], applicable=stats["applicable"] + 1)
        if stats["applicable"] == 0:
            return self._result(rule, Verdict.NOT_VERIFIED, NO_APPLICABLE, cases=stats["cases"])
        return self._result(rule, Verdict.PASS, cases=stats["cases"], applicable=stats["applicable"])

    # evidence ----------------------------------------------------------------------------------
    def replay_command(self, slug: str) -> str:
        return f"orderproof certify{self.replay_options} --api {slug} --seed {self.seed}"

    def _fail(self, rule: Rule, observation: Observation, **counts: Any) -> RuleResult:
        failure = observation.failure
        message = _received_documented(failure, failure.message) if failure.rule_id == rule.id else str(failure)
        if observation.flow_rule:
            message = f"{message}\n  (observed on a request sent by the scenario of {observation.flow_rule})"
        if observation.steps:
            shown = observation.steps[-12:]
            message += f"\n  scenario ({len(observation.steps)} request(s); the last one is shown below):"
            message += "".join(f"\n    {index}. {step}" for index, step in
                               enumerate(shown, start=len(observation.steps) - len(shown) + 1))
        message = self.secrets.mask_text(message)
        evidence = Evidence(message=message, replay=self.replay_command(rule.api))
        if observation.exchange is not None:
            evidence.request, evidence.response, evidence.curl = self.evidence_of(observation.exchange)
        summary = message.strip().splitlines()[0] if message.strip() else "the rule was broken"
        return self._result(rule, Verdict.FAIL, summary, evidence=evidence, **counts)

    def evidence_of(self, exchange: Exchange) -> tuple[dict, dict, str]:
        mask = self.secrets.mask_text
        headers = masking.mask_json(dict(exchange.request_headers), self.secrets.values())
        request = {"method": exchange.method, "url": exchange.url, "headers": headers,
                   "body": mask(exchange.request_text or "")}
        response = {"status": exchange.status,
                    "headers": masking.mask_json(dict(exchange.response_headers), self.secrets.values()),
                    "body": mask(_cut(exchange.response_text))}
        if exchange.extra.get("error"):
            response["error"] = exchange.extra["error"]
        parts = ["curl", "-X", exchange.method, shlex.quote(exchange.url)]
        for name, value in headers.items():
            if name in ("content-length", "accept-encoding", "connection", "accept"):
                continue
            parts += ["-H", shlex.quote(f"{name}: {value}")]
        if exchange.request_text:
            parts += ["--data-binary", shlex.quote(request["body"])]
        return request, response, " ".join(parts)


def _foreign_answer(exchange: Exchange) -> bool:
    """An answer no service of the API gives: 404/405/501, an HTML page, or a 2xx that is not JSON."""
    kind = exchange.response_headers.get("content-type", "").lower()
    if exchange.status in (404, 405, 501) or "text/html" in kind:
        return True
    if 200 <= exchange.status < 300:
        try:
            exchange.json
        except ValueError:
            return True
    return False


def _cut(text: str | None) -> str | None:
    """A response body cut to the certificate's limit *before* masking: a hostile 10 MB answer is
    evidence of its size, and masking it whole costs seconds per failing rule."""
    from orderproof.certificate import MAX_BODY_CHARS

    if text is None or len(text) <= MAX_BODY_CHARS:
        return text
    return f"{text[:MAX_BODY_CHARS]}... [cut: {len(text)} characters in all]"


class _Unverifiable(BaseException):
    """A flow gave up (NotVerified): stop Hypothesis at once, without shrinking."""


class _NoErrorReply:
    error = None


_NoError = _NoErrorReply()


def _failure_text(group: Any) -> str:
    """The readable part of a Schemathesis failure (its own curl line and reproduce hints dropped)."""
    lines = []
    for exc in getattr(group, "exceptions", [group]):
        title = getattr(exc, "title", "") or exc.__class__.__name__
        detail = getattr(exc, "message", "") or str(exc)
        lines.append(f"{title}: {detail}".strip())
    return "\n".join(lines)


def _received_documented(failure: RuleFailure, message: str) -> str:
    if failure.received is None and failure.documented is None:
        return message
    return f"{message}\n  received:   {failure.received!r}\n  documented: {failure.documented!r}"


# the whole run -----------------------------------------------------------------------------------


def build_context(*, target_url: str | None = None, target_config: str | Path | None = None, serve: bool = False,
                  apis: Iterable[str] = (), profile: str = "standard", seed: int | None = None,
                  fault: str | None = None, max_requests: int | None = None, rate_limit: float | None = None,
                  request_timeout: float = 10.0, run_id: str | None = None,
                  conventions: Mapping[str, str] | None = None, variation: str | None = None) -> RunContext:
    """Resolve the target and load the catalogue; raises UsageError for any bad option."""
    import random

    prof = get_profile(profile)
    if max_requests is not None and max_requests < 1:
        raise UsageError(f"--max-requests must be at least 1, not {max_requests}")
    if rate_limit is not None and rate_limit <= 0:
        raise UsageError(f"--rate-limit must be a positive number of requests per second, not {rate_limit}")
    if request_timeout <= 0:
        raise UsageError(f"--request-timeout must be a positive number of seconds, not {request_timeout}")
    apis = tuple(apis)
    target = resolve_target(target_url=target_url, target_config=target_config, serve=serve, apis=apis, fault=fault,
                            variation=variation)
    try:
        catalogue = load_catalogue(tuple(target.apis))
        import orderproof.checks  # noqa: F401  registers every check
        pins = dict(target.conventions)
        if target.conventions:
            validate_pins(target.conventions, catalogue.conventions, f"target file {target_config}")
        if conventions:
            validate_pins(conventions, catalogue.conventions, "--convention")
            pins.update(conventions)
    except BaseException:
        target.close()
        raise
    run_seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    options = ""
    if target_config is not None:
        options += f" --target-config {shlex.quote(str(target_config))}"
    elif target_url is not None:
        options += f" --target-url {shlex.quote(target_url)}"
    if serve:
        options += " --serve"
    if fault:
        options += f" --fault {fault}"
    if variation:
        options += f" --variation {variation}"
    if profile != "standard":
        options += f" --profile {profile}"
    for name, option in sorted((conventions or {}).items()):
        options += f" --convention {name}={option}"
    masking.reset_registry()
    return RunContext(target=target, catalogue=catalogue, profile=prof, seed=run_seed,
                      run_id=run_id or uuid.uuid4().hex, max_requests=max_requests, rate_limit=rate_limit,
                      request_timeout=request_timeout, replay_options=options, conventions=pins)


def run_conformance(options: RunOptions) -> RunResult:
    """Run the conformance items through pytest (JUnit XML, allure-results) and return the verdicts."""
    import pytest

    from orderproof.plugin import ResultCollector

    report_dir = Path(options.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    junit = report_dir / "junit.xml"
    allure_dir = report_dir / "allure-results"
    # resolve up front, so that usage errors surface as UsageError, not as a pytest exit code
    context = build_context(target_url=options.target_url, target_config=options.target_config,
                            serve=options.serve, apis=options.apis, profile=options.profile, seed=options.seed,
                            fault=options.fault, max_requests=options.max_requests, rate_limit=options.rate_limit,
                            request_timeout=options.request_timeout, run_id=options.run_id,
                            conventions=options.conventions, variation=options.variation)
    collector = ResultCollector(context, options.on_event)
    started = datetime.now(timezone.utc)
    args = [str(Path(__file__).with_name("conformance.py")), "-p", "no:cacheprovider", "-q", "--no-header",
            "--noconftest",                           # no conftest of the user's project takes part
            "-p", "no:randomly", "--junitxml", str(junit), "-o", "junit_family=xunit2",
            "-o", "junit_suite_name=orderproof", "-o", "addopts=", "--rootdir", str(report_dir)]
    try:
        import allure_pytest  # noqa: F401

        args += ["--alluredir", str(allure_dir)]
    except ImportError:
        pass
    try:
        code = pytest.main(args, plugins=[collector])
    finally:
        context.close()
    finished = datetime.now(timezone.utc)
    results = collector.results
    if code == pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the conformance run did not complete (pytest exit code {int(code)})")
    exit_code = 1 if any(r.level == "MUST" and r.verdict is Verdict.FAIL for r in results) else 0
    if allure_dir.is_dir():
        masking.mask_tree(allure_dir, context.secrets.values())
    if junit.is_file():
        _mask_file(junit, context)
    return RunResult(results=results, target=context.secrets.mask_text(context.target.description),
                     apis=tuple(context.catalogue.apis), profile=context.profile.name, seed=context.seed,
                     run_id=context.run_id, started=started, finished=finished, junit_path=junit,
                     allure_dir=allure_dir, spec_sha256=context.catalogue.file_hashes(), exit_code=exit_code,
                     conventions=context.conventions.report(context.catalogue.apis))


def _mask_file(path: Path, context: RunContext) -> None:
    text = path.read_text(encoding="utf-8")
    masked = masking.mask_text(text, context.secrets.values())
    if masked != text:
        path.write_text(masked, encoding="utf-8")
