"""Verdicts with their evidence: a :class:`~orderproof.core.results.RuleResult` for a rule, and for a
FAIL the failing request and response (masked, cut), a curl line and the command that replays the run.
"""

from __future__ import annotations

import shlex
from typing import Any

from orderproof.catalogue import Rule
from orderproof.checks.base import Exchange
from orderproof.core import masking
from orderproof.core.limits import cut_body
from orderproof.core.results import Evidence, RuleResult, Verdict
from orderproof.engine.context import Observation, RunContext

__all__ = ["BUDGET", "NO_APPLICABLE", "evidence_of", "fail", "failure_text", "passed", "result"]

NO_APPLICABLE = "no response to which the rule applies was observed"
BUDGET = "request budget exhausted"
_CURL_SKIPPED = ("content-length", "accept-encoding", "connection", "accept")
MAX_INLINE_BODY = 2000      # bytes of a body a curl line carries inline


def result(rule: Rule, verdict: Verdict, reason: str = "", **extra: Any) -> RuleResult:
    return RuleResult(api=rule.api, rule_id=rule.id, level=rule.level, title=rule.title, check=rule.check,
                      verdict=verdict, reason=reason, **extra)


def fail(ctx: RunContext, rule: Rule, observation: Observation, **counts: Any) -> RuleResult:
    """A FAIL of ``rule`` with the evidence of ``observation`` (masked with the run's secrets)."""
    failure = observation.failure
    message = failure.details() if failure.rule_id == rule.id else str(failure)
    if observation.flow_rule:
        message = f"{message}\n  (observed on a request sent by the scenario of {observation.flow_rule})"
    if observation.steps:
        shown = observation.steps[-12:]
        message += f"\n  scenario ({len(observation.steps)} request(s); the last one is shown below):"
        message += "".join(f"\n    {index}. {step}" for index, step in
                           enumerate(shown, start=len(observation.steps) - len(shown) + 1))
    message = ctx.secrets.mask_text(message)
    evidence = Evidence(message=message, replay=ctx.replay_command(rule.api),
                        scenario={"trace": observation.trace} if observation.trace is not None else None)
    if observation.exchange is not None:
        evidence.request, evidence.response, evidence.curl = evidence_of(ctx, observation.exchange, rule.id)
        if "body_file" in evidence.request:
            evidence.body_file = observation.exchange.request_bytes
    summary = message.strip().splitlines()[0] if message.strip() else "the rule was broken"
    return result(rule, Verdict.FAIL, summary, evidence=evidence, **counts)


def passed(ctx: RunContext, rule: Rule, sample: Exchange | None, **counts: Any) -> RuleResult:
    """A PASS, with one exchange the rule applied to as its sample (request and response, masked)."""
    outcome = result(rule, Verdict.PASS, **counts)
    if sample is not None:
        request, response, curl = evidence_of(ctx, sample)
        if not inline_body(sample.request_bytes):         # a sample is shown, never replayed: cut, no curl
            request["body"], curl = cut_body(request["body"]), ""
        outcome.sample = {"request": request, "response": response, "curl": curl}
    return outcome


def inline_body(raw: bytes | None) -> bool:
    """Whether curl can carry a body inline, unchanged by a shell or a terminal: short printable UTF-8."""
    if raw is None:
        return True
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return len(raw) <= MAX_INLINE_BODY and text.isprintable()


def body_file_name(rule_id: str) -> str:
    return f"replay/{rule_id}.body"


def evidence_of(ctx: RunContext, exchange: Exchange, rule_id: str | None = None) -> tuple[dict, dict, str]:
    """The request and response of ``exchange`` as evidence, and a curl line that sends it again (a
    body curl cannot carry inline, with NUL bytes, invalid UTF-8, control characters or over 2 KB,
    is read from ``replay/<RULE>.body`` beside the scripts)."""
    mask = ctx.secrets.mask_text
    secrets = ctx.secrets.values()
    headers = masking.mask_json(dict(exchange.request_headers), secrets)
    request = {"method": exchange.method, "url": exchange.url, "headers": headers,
               "body": mask(exchange.request_text or "")}
    response = {"status": exchange.status, "headers": masking.mask_json(dict(exchange.response_headers), secrets),
                "body": cut_body(exchange.response_text, mask)}
    if exchange.extra.get("error"):
        response["error"] = exchange.extra["error"]
    parts = ["curl", "-X", exchange.method, shlex.quote(exchange.url)]
    for name, value in headers.items():
        if name not in _CURL_SKIPPED:
            parts += ["-H", shlex.quote(f"{name}: {value}")]
    raw = exchange.request_bytes if exchange.request_bytes is not None else (
        exchange.request_text.encode("utf-8") if exchange.request_text else None)
    if raw and rule_id is not None and not inline_body(raw):
        request["body_file"] = body_file_name(rule_id)
        parts += ["--data-binary", shlex.quote("@" + request["body_file"])]
    elif exchange.request_text:
        parts += ["--data-binary", shlex.quote(request["body"])]
    return request, response, " ".join(parts)


def failure_text(group: Any) -> str:
    """The readable part of a Schemathesis failure (its own curl line, reproduce hints and its
    guesses at a cause dropped: a hint names only a cause the suite verified)."""
    lines = []
    for exc in getattr(group, "exceptions", [group]):
        title = getattr(exc, "title", "") or exc.__class__.__name__
        detail = getattr(exc, "message", "") or str(exc)
        detail = detail.split("\nHint:", 1)[0]      # Schemathesis' guess at a cause, which the suite did not verify
        same = detail.strip().lower().startswith(title.strip().lower())     # "Server error: Server error"
        lines.append(detail.strip() if same else f"{title}: {detail}".strip())
    return "\n".join(lines)
