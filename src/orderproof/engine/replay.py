"""A failure, replayed: its recorded scenario (:mod:`.trace`) run once more against a target, or
judged on the answers a replay script got (``orderproof replay --answers``).

A replay runs the same code as the run did (the flow check, or the shared pass's send and judge)
with the recorded draws handed back in order, a scene of its own (fresh identities from ``salt``)
and its own provider states. It ends FAIL (the failure happened again), PASS (the scenario passed),
or NOT VERIFIED (it could not run); a scenario that went another way (the service answered
differently) did not fail again, and says where it parted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from schemathesis.core import NOT_SET

from orderproof.catalogue import Rule
from orderproof.checks.base import (
    FLOW_CHECKS,
    NOT_APPLICABLE,
    Exchange,
    NotVerified,
    RuleFailure,
)
from orderproof.core.results import Verdict
from orderproof.engine.context import RunContext, rule_kind
from orderproof.engine.flows import RuleFlow
from orderproof.engine.generation import load_operation
from orderproof.engine.responses import judge, send_case
from orderproof.engine.scene import Scene
from orderproof.engine.trace import Diverged, Replayer, decode
from orderproof.engine.transport import BudgetExhausted, Reply, Transport

__all__ = ["AnswersTransport", "Replay", "replay"]


@dataclass
class Replay:
    verdict: Verdict
    reason: str
    failure: RuleFailure | None = None
    exchange: Exchange | None = None          # the exchange that failed again
    sent: list[tuple[Any, Reply]] = field(default_factory=list)   # every (tag, reply), in order
    scene: Scene | None = None

    @property
    def reproduced(self) -> bool:
        return self.verdict is Verdict.FAIL


class _JudgedFailure(Exception):
    def __init__(self, failure: RuleFailure, exchange: Exchange):
        self.failure, self.exchange = failure, exchange


def replay(ctx: RunContext, rule: Rule, trace: dict[str, Any], salt: int) -> Replay:
    """Run the recorded scenario of ``rule`` once against ``ctx``'s transport."""
    scene = Scene(ctx.target, ctx.states, salt)
    run_book = ctx.conventions
    ctx.conventions = run_book.continued(trace.get("conventions"))   # judged as the run judged it then
    try:
        result = _replay(ctx, rule, trace, scene)
    finally:
        ctx.conventions = run_book
    return result


def _replay(ctx: RunContext, rule: Rule, trace: dict[str, Any], scene: Scene) -> Replay:
    with ctx.transport.recording() as sent:
        try:
            outcome = _run(ctx, rule, trace, scene)
        except _JudgedFailure as judged:
            result = Replay(Verdict.FAIL, judged.failure.message, judged.failure, judged.exchange)
        except RuleFailure as failure:
            result = Replay(Verdict.FAIL, failure.message, failure)
        except Diverged as exc:
            result = Replay(Verdict.PASS, f"the scenario went another way: {exc}; the failure did not happen again")
        except NotVerified as exc:
            result = Replay(Verdict.NOT_VERIFIED, str(exc))
        except BudgetExhausted:
            result = Replay(Verdict.NOT_VERIFIED, "request budget exhausted")
        except (requests.exceptions.RequestException, ValueError) as exc:
            result = Replay(Verdict.NOT_VERIFIED, f"the replay could not run: {exc.__class__.__name__}: {exc}")
        else:
            if outcome is NOT_APPLICABLE:     # e.g. the fixed service refuses what it wrongly accepted
                result = Replay(Verdict.PASS, "the failure did not happen again: the service answered so that "
                                "the rule does not apply (e.g. it refused the request; see the answers above)")
            else:
                result = Replay(Verdict.PASS, "the scenario passed")
    result.sent, result.scene = list(sent), scene
    return result


def _run(ctx: RunContext, rule: Rule, trace: dict[str, Any], scene: Scene) -> Any:
    for earlier in trace.get("prelude") or ():     # the answers a convention failure contradicts, first
        try:
            _run(ctx, ctx.catalogue.rule(earlier["rule"]), earlier["trace"], scene)
        except (RuleFailure, _JudgedFailure, Diverged, NotVerified):
            pass                                    # only what they showed of the conventions counts
    replayer = Replayer(trace.get("draws") or [])
    if trace["kind"] == "flow":
        if trace.get("flow_rule") and trace["flow_rule"] != rule.id:
            # a response rule that failed on an exchange a flow sent: the flow again, this rule judging
            return _run_flow(ctx, ctx.catalogue.rule(trace["flow_rule"]), replayer, scene, judged=rule)
        return _run_flow(ctx, rule, replayer, scene)
    return _run_case(ctx, rule, trace["case"], replayer, scene)


def _run_flow(ctx: RunContext, rule: Rule, replayer: Replayer, scene: Scene, judged: Rule | None = None) -> Any:
    def judge_one(exchange: Exchange) -> None:
        outcome = judge(judged, exchange)
        if isinstance(outcome, RuleFailure):
            raise _JudgedFailure(outcome, exchange)

    flow = RuleFlow(ctx, rule, replayer, scene, on_exchange=judge_one if judged is not None else lambda exchange: None)
    try:
        outcome = FLOW_CHECKS[rule.check](rule, flow)
    except RuleFailure:
        if judged is not None:          # the flow's own rule failed: the scenario ended before
            raise Diverged(f"the scenario of {rule.id} ended early (its own rule failed)") from None
        raise
    return outcome


def _run_case(ctx: RunContext, rule: Rule, spec: dict[str, Any], replayer: Replayer, scene: Scene) -> Any:
    if rule_kind(rule) == "flow":
        raise NotVerified(f"{rule.id} is a flow rule, and its recording is a single case")
    operation = load_operation(rule.api)
    case = operation.Case(body=decode(spec["body"]) if spec.get("body_set") else NOT_SET,
                          headers=decode(spec.get("headers") or {}), query=decode(spec.get("query") or {}),
                          path_parameters=decode(spec.get("path_parameters") or {}),
                          cookies=decode(spec.get("cookies") or {}), media_type=spec.get("media_type"))
    edge = (tuple(spec["edge"][0]), decode(spec["edge"][1])) if spec.get("edge") else None
    sent = send_case(ctx, rule.api, case, scene, replayer, edge=edge, coverage=bool(spec.get("coverage")),
                     mode=spec.get("mode"), broken=set(spec.get("broken") or ()))
    if sent is None:
        raise NotVerified("the recorded request cannot be put on the wire")
    exchange, reply = sent
    outcome = judge(rule, exchange, case, reply)
    if isinstance(outcome, RuleFailure):
        raise _JudgedFailure(outcome, exchange)
    return outcome


# --- judging a script's answers -------------------------------------------------------------------------

_STATUS = re.compile(rb"^HTTP/\S+\s+(\d{3})")


class AnswersTransport(Transport):
    """A transport that sends nothing: the n-th request gets the answer a replay script saved for its
    n-th step (``<n>.status``, ``<n>.headers``, ``<n>.answer`` in ``answers``), provided it is the same
    method and path; requests sent at the same time are matched by their place in the group."""

    def __init__(self, target: Any, steps: list[dict[str, Any]], answers: Path, **kwargs: Any):
        super().__init__(target, **kwargs)
        self.steps = steps
        self.answers = Path(answers)
        self._used: set[int] = set()

    def send(self, prepared: requests.PreparedRequest, tag: Any = None) -> Reply:
        reply = self._answer(prepared, tag)
        log = self._recording
        if log is not None:
            with self._lock:
                log.append((tag, reply))
        return reply

    def _answer(self, prepared: requests.PreparedRequest, tag: Any) -> Reply:
        path = urlsplit(prepared.url or "").path
        with self._lock:
            candidates = [step for step in self.steps if step["n"] not in self._used]
            if tag is not None:
                candidates = [step for step in candidates if step.get("tag") == tag] or candidates
            step = candidates[0] if candidates else None
            if step is None:
                raise Diverged(f"the scenario sent {prepared.method} {path} after the script's last step")
            if step["method"] != prepared.method or step["path"] != path:
                raise Diverged(f"the scenario sent {prepared.method} {path} where the script's step {step['n']} "
                               f"sent {step['method']} {step['path']}")
            self._used.add(step["n"])
        base = self.answers / str(step["n"])
        try:
            status_text = (base.with_suffix(".status")).read_text(encoding="utf-8").strip()
            answer = base.with_suffix(".answer")
            # curl writes no answer file for a connection closed without a reply ("000"): no answer
            content = answer.read_bytes() if answer.is_file() or status_text.strip("0") else b""
        except OSError:
            raise Diverged(f"the script has no answer for its step {step['n']} (did it run to the end?)") from None
        headers: dict[str, list[str]] = {}
        header_file = base.with_suffix(".headers")
        if header_file.is_file():
            blocks = header_file.read_bytes().split(b"\r\n\r\n")
            block = [b for b in blocks if b.strip()][-1] if any(b.strip() for b in blocks) else b""
            for line in block.splitlines()[1:]:
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip():
                    headers.setdefault(name.strip().lower(), []).append(value.strip())
        status = int(status_text) if status_text.isdigit() else 0
        error = None if status else "no answer (the script's curl failed)"
        return Reply(prepared, status=status, headers=headers, content=content, error=error)


def load_steps(directory: Path) -> list[dict[str, Any]]:
    """The step files of a replay script (``<n>.json``), in order."""
    steps = [json.loads(path.read_text(encoding="utf-8")) for path in Path(directory).glob("*.json")
             if path.stem.isdigit()]
    return sorted(steps, key=lambda step: step["n"])
