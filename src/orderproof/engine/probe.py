"""Does the target speak the API at all? A few probe requests before an API's rules run.

A target that answers every probe (the spec's example, an empty object, malformed JSON) with 404,
405 or 501, with an HTML page, or with a 2xx that is not JSON is not a service of the API: its
schema and negative rules FAIL with that answer as evidence, its other rules are NOT VERIFIED with
the reason, and no rule can pass by accident.
"""

from __future__ import annotations

from orderproof import registry
from orderproof.checks.base import Exchange
from orderproof.engine.context import RunContext
from orderproof.engine.generation import exchange_from, json_dumps, spec_example

__all__ = ["PROBES", "foreign"]

PROBES = 3


def foreign(ctx: RunContext, slug: str) -> tuple[str, Exchange] | None:
    """(reason, first answer) when the target does not speak ``slug``; decided once per API."""
    with ctx.lock:
        if slug in ctx.foreign:
            return ctx.foreign[slug]
    verdict = _probe(ctx, slug)
    with ctx.lock:
        ctx.foreign.setdefault(slug, verdict)
    if verdict is not None and ctx.on_notice is not None:
        ctx.on_notice(slug, verdict[0])
    return verdict


def _probe(ctx: RunContext, slug: str) -> tuple[str, Exchange] | None:
    api = registry.get(slug)
    url = ctx.target.url_for(slug)
    bodies = [json_dumps(spec_example(slug)), b"{}", b"{"][:PROBES]
    answers = []
    for body in bodies:
        request = ctx.transport.build(api.method, url, headers={"Content-Type": "application/json"}, content=body)
        exchange = exchange_from(slug, ctx.transport.send(request), conventions=ctx.conventions)
        if exchange.extra.get("error") or not _foreign_answer(exchange):
            return None
        answers.append(exchange)
    statuses = sorted({f"{a.status} {a.response_headers.get('content-type', '').split(';')[0] or 'no body'}".strip()
                       for a in answers})
    hint = f" (is the path right? set apis.{slug}.path in a target file)" if all(
        a.status == 404 for a in answers) else ""
    reason = (f"the target does not speak {slug}: all {len(answers)} probe requests to {url} were answered "
              f"{', '.join(statuses)}{hint}")
    return reason, answers[0]


def _foreign_answer(exchange: Exchange) -> bool:
    """An answer no service of the API gives: 404/405/501, an HTML page, or a 2xx that is not JSON.
    A JSON body labelled text/html (PHP's default Content-Type) is the service's: its label is
    <P>-SCHEMA's business where the seed names a media type."""
    kind = exchange.response_headers.get("content-type", "").lower()
    if exchange.status in (404, 405, 501):
        return True
    if "text/html" in kind or 200 <= exchange.status < 300:
        try:
            exchange.json
        except ValueError:
            return True
    return False
