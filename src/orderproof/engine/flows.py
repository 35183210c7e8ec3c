"""The :class:`~orderproof.checks.base.Flow` implementation: what a flow check may do against the
target, inside one Hypothesis example (so a failing scenario shrinks like any other example).

:func:`verify_flow` runs a flow rule: a Hypothesis test whose every example is one scenario.
Every exchange a flow sends also passes the API's response checks. A response check that fails
there is recorded against *its* rule (the response rule then FAILs with that evidence), not against
the flow rule, so that each rule answers for its own property.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import requests
from hypothesis import given, seed
from hypothesis import strategies as st
from hypothesis.control import current_build_context

from orderproof import registry
from orderproof.catalogue import Rule
from orderproof.checks.base import (
    FLOW_CHECKS,
    NOT_APPLICABLE,
    Exchange,
    NotVerified,
    RuleFailure,
    dumps_exact,
)
from orderproof.checks.outcomes import describe
from orderproof.core.profiles import hypothesis_settings
from orderproof.core.results import RuleResult, Verdict
from orderproof.engine import pools
from orderproof.engine.context import Observation, RunContext
from orderproof.engine.evidence import BUDGET, NO_APPLICABLE, fail, passed, result
from orderproof.engine.generation import (
    documented_only,
    exchange_from,
    valid_body,
)
from orderproof.engine.responses import SHRINK_BUDGET, observe, with_prelude
from orderproof.engine.scene import PLAYER_PARAMS, PLAYER_STATE, Scene
from orderproof.engine.trace import RecordingDraw
from orderproof.engine.transport import BudgetExhausted, Unsendable

__all__ = ["MAX_CONCURRENCY", "RuleFlow", "credentials_refused", "dumps_exact", "encode_body", "verify_flow"]

MAX_CONCURRENCY = 8


def encode_body(body: Any, media_type: str) -> bytes:
    """The bytes for ``body`` in ``media_type`` (JSON, or a form of the top-level scalars)."""
    if media_type == "application/x-www-form-urlencoded":
        if not isinstance(body, Mapping):
            raise TypeError("a form body must be a mapping")
        scalars = {key: ("true" if value is True else "false" if value is False
                         else format(value, "f") if isinstance(value, Decimal) else value)
                   for key, value in body.items() if isinstance(value, (str, int, float, Decimal, bool))}
        return urlencode(scalars).encode("ascii")
    return dumps_exact(body).encode("utf-8")


class RuleFlow:
    """One scenario of one flow rule against the run's target."""

    def __init__(self, ctx: RunContext, rule: Rule, data: Any, scene: Scene,
                 on_exchange: Callable[[Exchange], None] | None = None):
        self.ctx = ctx
        self.rule = rule
        # what runs on every exchange sent (not a repeat): by default the API's response checks,
        # whose failures go to their own rules; a replay judges one rule instead
        self.on_exchange = on_exchange if on_exchange is not None else self._observe
        self.api = rule.api
        self.adapter = registry.get(rule.api)
        self._draw = RecordingDraw(data.draw)       # every value drawn, for a replay of the scenario
        self.scene = scene
        self.exchanges: list[Exchange] = []
        self.conventions = ctx.conventions
        self._players: list[Mapping[str, Any]] = []
        self._identities: set[str] = set()
        self._groups = 0                               # requests sent at the same time, counted
        self.conventions_seen: dict[str, Any] = {}     # the run's conventions when the scenario began
        # called when a request sent with the suite's valid credentials gets 401 or 403 (verify_flow
        # asks then whether the target takes the suite's credentials at all)
        self.on_auth_refusal: Callable[[Exchange], None] | None = None
        self.why_not: str | None = None          # why the check did not apply to this scenario (its words)
        self._lock = threading.Lock()

    # Flow protocol -----------------------------------------------------------------------------
    @property
    def draws(self) -> list[dict[str, Any]]:
        return self._draw.draws

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        return self._draw(strategy, label)

    def fresh_id(self) -> str:
        """A new identity (digits) for this run: never repeated, even by a replay with the same seed."""
        return str(self.scene.big_id())

    def fresh_uuid(self) -> str:
        return self.scene.uuid()

    def setup(self, state: str, **params: Any) -> dict[str, Any]:
        answer = self.ctx.states.setup(state, **params)
        if state == PLAYER_STATE:
            self._players.append(answer)
        return answer

    def snapshot(self, player: Mapping[str, Any]) -> dict[str, Any]:
        return self.ctx.states.snapshot(player)

    def valid_body(self, player: Mapping[str, Any] | None = None, **fixtures: Any) -> Any:
        player = player or self._default_player()
        case = self.draw(pools.flow_bodies(self.ctx, self.api), "generated body")
        body = documented_only(self.api, copy.deepcopy(case.body), case.media_type or "application/json")
        return valid_body(self.api, body, self.scene, player, self.draw, **fixtures)

    def send(self, body: Any = None, *, player: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None, media_type: str = "application/json",
             raw: bytes | None = None, auth: str = "valid", sign_as: Mapping[str, Any] | None = None,
             refusable: bool = False) -> Exchange:
        if body is None and raw is None:
            body = self.valid_body(player)
        return self._send(body, player=player, headers=headers, media_type=media_type, raw=raw, auth=auth,
                          sign_as=sign_as, refusable=refusable)

    def send_concurrently(self, requests: list[dict[str, Any]]) -> list[Exchange]:
        prepared = []
        for kwargs in requests:               # draws happen here, in this thread, never in workers
            kwargs = dict(kwargs)
            if kwargs.get("body") is None and kwargs.get("raw") is None:
                kwargs["body"] = self.valid_body(kwargs.get("player"))
            prepared.append(kwargs)
        if not prepared:
            return []
        # Which of concurrent duplicates the service takes first is its own business: none of them is
        # "the first request" whose answer the response rules judge (the loser's 409 is not an error).
        keys = [self.adapter.repeat_identity(kwargs.get("headers") or {}, kwargs.get("body")) for kwargs in prepared]
        self._groups += 1
        for index, (kwargs, key) in enumerate(zip(prepared, keys)):
            kwargs["duplicate"] = key is not None and keys.count(key) > 1
            kwargs["tag"] = {"group": self._groups, "index": index}
        with ThreadPoolExecutor(max_workers=min(len(prepared), MAX_CONCURRENCY)) as pool:
            futures = [pool.submit(self._send, kwargs.pop("body", None), **kwargs) for kwargs in prepared]
            return [future.result() for future in futures]

    # internals ---------------------------------------------------------------------------------
    def _default_player(self) -> Mapping[str, Any]:
        return self._players[-1] if self._players else self.scene.player()

    def _send(self, body: Any, *, player: Mapping[str, Any] | None = None,
              headers: Mapping[str, str] | None = None, media_type: str = "application/json",
              raw: bytes | None = None, auth: str = "valid", sign_as: Mapping[str, Any] | None = None,
              duplicate: bool = False, tag: Any = None, refusable: bool = False) -> Exchange:
        adapter = self.adapter
        content = raw if raw is not None else encode_body(body, media_type)
        merged: dict[str, str] = {"Content-Type": media_type, **adapter.fresh_headers(self.scene)}
        credential_player = player or (self._players[-1] if self._players else None)
        if credential_player is None and auth != "none" and adapter.credential_headers:
            credential_player = self.scene.player()
        signer = {"operator": sign_as} if sign_as is not None else credential_player
        merged.update(adapter.auth_headers(content, self.scene, signer, auth))
        for name, value in (headers or {}).items():
            for existing in [key for key in merged if key.lower() == name.lower()]:
                del merged[existing]
            if value is not None:
                merged[name] = value
        identity = adapter.repeat_identity(merged, body)
        with self._lock:                       # decided before sending: concurrent duplicates race
            repeat = duplicate or (identity is not None and identity in self._identities)
            if identity is not None:
                self._identities.add(identity)
        transport = self.ctx.transport
        request = transport.build(adapter.method, self.ctx.target.url_for(self.api), headers=merged, content=content)
        exchange = exchange_from(self.api, transport.send(request, tag), conventions=self.conventions)
        if tag is not None:
            exchange.extra["concurrent"] = True       # sent alongside others (send_concurrently)
        if refusable:
            exchange.extra["refusable"] = True        # breaks a business rule on purpose: not sent as valid
        adapter.annotate(exchange, self.scene, credential_player)
        if isinstance(credential_player, dict) and not repeat:
            with self._lock:
                adapter.carry_forward(exchange, credential_player)
        self.exchanges.append(exchange)
        if exchange.status == 429:          # still rate limited after the transport's back-offs
            raise NotVerified("the target kept answering 429 Too Many Requests after the suite backed off as its "
                              "Retry-After asked: lower --rate-limit (requests per second) and certify again")
        if auth == "valid" and adapter.refuses_credentials(exchange.status) and self.on_auth_refusal is not None:
            self.on_auth_refusal(exchange)
        if not repeat:        # a repeat's answer is the idempotency rules' business, not the echo's
            self.on_exchange(exchange)
        return exchange

    def _observe(self, exchange: Exchange) -> None:
        observe(self.ctx, self.rule, exchange, self.draws, self.conventions_seen)


# --- flow rules: a Hypothesis test per rule, each example one scenario ---------------------------------

class _Unverifiable(BaseException):
    """A flow gave up (NotVerified): stop Hypothesis at once, without shrinking."""


def credentials_refused(ctx: RunContext, rule: Rule) -> str | None:
    """Why the target does not take the suite's credentials for ``rule``'s API (None: it does, or
    the question cannot be asked), decided once per API and run with one control request: a valid
    request for a new, well-funded player, sent as every scenario sends it. When even that gets 401
    or 403, a scenario's 401/403 says nothing of the rule it tests (a service that signs or
    authenticates otherwise than the suite would FAIL every rule whose situation it refuses first):
    a flow rule that met one ends NOT VERIFIED with this reason."""
    with ctx.lock:                         # one control per API, while other threads wait for it
        if rule.api not in ctx.credentials:
            ctx.credentials[rule.api] = None          # the control's own answer is not questioned
            try:
                ctx.credentials[rule.api] = _in_another_form(ctx, rule, _control(ctx, rule))
            except BaseException:
                del ctx.credentials[rule.api]         # not answered: asked again by the next rule that meets one
                raise
            if ctx.credentials[rule.api] and ctx.on_notice is not None:
                ctx.on_notice(rule.api, ctx.credentials[rule.api])
        return ctx.credentials[rule.api]


def _in_another_form(ctx: RunContext, rule: Rule, refused: str | None) -> str | None:
    """``refused``, unless the service takes the suite's signature in another form the adapter writes
    (:attr:`~orderproof.adapter.ApiAdapter.signature_forms`: upper-case hex where lower was refused):
    then None, and the run signs in that form from now on (``target.signature_forms``)."""
    forms = registry.get(rule.api).signature_forms
    if not refused or len(forms) < 2 or rule.api in ctx.target.signature_forms:
        return refused
    for form in forms[1:]:
        ctx.target.signature_forms[rule.api] = form
        if _control(ctx, rule) is None:
            if ctx.on_notice is not None:
                ctx.on_notice(rule.api, f"the target takes the signature in {form}, not {forms[0]}: the run signs "
                              "so from now on")
            return None
    del ctx.target.signature_forms[rule.api]
    return refused


def _control(ctx: RunContext, rule: Rule) -> str | None:
    answers: list[Exchange | None] = []
    api = registry.get(rule.api)

    @hypothesis_settings(1, derandomize=True)
    @seed(ctx.derive(f"{rule.api}/credentials"))
    @given(data=st.data())
    def control(data: Any) -> None:
        if answers:
            return
        flow = RuleFlow(ctx, rule, data, Scene(ctx.target, ctx.states, ctx.scene_seed(f"{rule.api}/credentials")),
                        on_exchange=lambda exchange: None)
        try:
            answers.append(flow.send(player=flow.setup(PLAYER_STATE, **PLAYER_PARAMS)))
        except NotVerified:
            answers.append(None)         # no player to ask with: every scenario is judged as it is

    control()
    answer = answers[-1] if answers else None
    if answer is None or not api.refuses_credentials(answer.status):
        return None
    sent = sorted(name for name in answer.request_headers if name.lower() in api.credential_headers)
    how = f"with {', '.join(sent)}" if sent else "with no credentials"
    if api.script_signature:
        how += f", signed {api.script_signature['scheme']}"
    return (f"the target refuses the suite's credentials: a valid request for a new player ({how}) got "
            f"{describe(answer)}, so a refusal in a scenario says nothing of the rule (check apis.{rule.api}.auth "
            f"in the target file, and the README's \"How orderproof authenticates\")")


def verify_flow(ctx: RunContext, rule: Rule) -> RuleResult:
    """Run the scenarios of a flow rule; the last failing one (shrunk) is the evidence. A rule whose
    requests with the suite's valid credentials met 401 or 403 ends NOT VERIFIED when the target
    refuses those credentials (:func:`credentials_refused`, asked after the rule's scenarios: a
    Hypothesis test is not run inside another); when it takes them signed in another form, the
    rule's scenarios run again, signed so."""
    refusals: list[Exchange] = []
    form = ctx.target.signature_forms.get(rule.api)
    verdict = _verify_flow(ctx, rule, refusals)
    refused = credentials_refused(ctx, rule) if refusals else None
    if refused:
        return result(rule, Verdict.NOT_VERIFIED, refused, cases=verdict.cases)
    if ctx.target.signature_forms.get(rule.api) != form:     # the service signs otherwise: judged again so
        verdict = _verify_flow(ctx, rule, [])
    return verdict


def _verify_flow(ctx: RunContext, rule: Rule, refusals: list[Exchange]) -> RuleResult:
    check = FLOW_CHECKS[rule.check]
    scene = Scene(ctx.target, ctx.states, ctx.scene_seed(rule.id))
    stats = {"cases": 0, "applicable": 0}
    why_not: list[str | None] = [None]      # the last scenario's word on why the rule did not apply
    found: list[Observation] = []
    samples: list[Any] = []                 # the last exchange of the first scenario the rule applied to
    calls_after_failure = [0]

    def question_credentials(exchange: Exchange) -> None:
        with ctx.lock:
            known, refused = rule.api in ctx.credentials, ctx.credentials.get(rule.api)
        if refused:
            raise NotVerified(refused)
        if not known:
            refusals.append(exchange)

    @hypothesis_settings(ctx.profile.flow_examples, ctx.profile.phases, derandomize=ctx.profile.derandomize)
    @seed(ctx.derive(rule.id))
    @given(data=st.data())
    def scenario(data: Any) -> None:
        if found:
            calls_after_failure[0] += 1
            if calls_after_failure[0] > SHRINK_BUDGET // 4 and not current_build_context().is_final:
                return
        seen_before = ctx.conventions.snapshot()        # what a replay must judge with
        flow = RuleFlow(ctx, rule, data, scene)
        flow.on_auth_refusal = question_credentials
        flow.conventions_seen = seen_before
        ctx.conventions.origin = {"rule": rule.id, "trace": {"kind": "flow", "draws": flow.draws,
                                                             "conventions": seen_before}}
        stats["cases"] += 1
        try:
            verdict = check(rule, flow)
        except NotVerified as exc:
            raise _Unverifiable(str(exc)) from None
        except RuleFailure as failure:
            last = failure.exchange or (flow.exchanges[-1] if flow.exchanges else None)
            steps = tuple(f"{e.method} {e.url} -> " + (f"HTTP {e.status}" if not e.extra.get("error")
                                                        else e.extra["error"]) for e in flow.exchanges)
            trace = with_prelude({"kind": "flow", "draws": flow.draws, "conventions": seen_before}, failure)
            found.append(Observation(failure, last, steps=steps, trace=trace))
            raise
        if verdict is not NOT_APPLICABLE:
            stats["applicable"] += 1
            if not samples and flow.exchanges:
                samples.append(flow.exchanges[-1])
        elif flow.why_not:
            why_not[0] = flow.why_not

    try:
        scenario()
    except _Unverifiable as exc:
        if not found:
            return result(rule, Verdict.NOT_VERIFIED, str(exc), cases=stats["cases"])
    except (Unsendable, requests.exceptions.InvalidHeader) as exc:
        if not found:
            return result(rule, Verdict.NOT_VERIFIED, f"a request of the scenario could not be sent: {exc}",
                          cases=stats["cases"])
    except BudgetExhausted:
        if not found:
            return result(rule, Verdict.NOT_VERIFIED, BUDGET, cases=stats["cases"])
    except Exception as exc:  # noqa: BLE001
        if not found and ctx.transport.exhausted:
            # the budget ran out mid-scenario, and Hypothesis, replaying it, saw it end elsewhere
            return result(rule, Verdict.NOT_VERIFIED, BUDGET, cases=stats["cases"])
        if not found:
            return fail(ctx, rule, Observation(
                RuleFailure(rule, f"the scenario could not run: {exc.__class__.__name__}: {exc}"), None),
                cases=stats["cases"])
    if found:
        return fail(ctx, rule, found[-1], cases=stats["cases"], applicable=stats["applicable"] + 1)
    if stats["applicable"] == 0:
        reason = f"{NO_APPLICABLE}: {why_not[0]}" if why_not[0] else NO_APPLICABLE
        return result(rule, Verdict.NOT_VERIFIED, ctx.secrets.mask_text(reason), cases=stats["cases"])
    return passed(ctx, rule, samples[0] if samples else None, cases=stats["cases"], applicable=stats["applicable"])
