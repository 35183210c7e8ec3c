"""What a check is: one named function, one signature, one typed failure.

Two kinds, both registered by name (the ``check`` field of a contract rule):

* response checks ``fn(exchange) -> None | NOT_APPLICABLE`` run on every generated request/response
  pair (Schemathesis positive and negative cases, and every request a flow sends);
* flow checks ``fn(flow) -> None`` drive a scenario of several calls through a :class:`Flow`
  (provider states set the scene, snapshots before and after prove what changed).

A check passes by returning ``None``, says "does not apply here" by returning ``NOT_APPLICABLE``,
fails by raising :class:`RuleFailure` (an ``AssertionError``, so Hypothesis shrinks it) and gives up
with a reason by raising :class:`NotVerified`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, wraps
from typing import Any, Protocol

NOT_APPLICABLE = True


class RuleFailure(AssertionError):
    """The target broke the rule: ``received`` against ``documented``."""

    def __init__(self, rule_id: str, message: str, *, received: Any = None, documented: Any = None):
        self.rule_id = rule_id
        self.message = message
        self.received = received
        self.documented = documented
        text = f"[{rule_id}] {message}"
        if received is not None or documented is not None:
            text += f"\n  received:   {received!r}\n  documented: {documented!r}"
        super().__init__(text)


class NotVerified(Exception):
    """The rule cannot be verified against this target (e.g. no provider-state hook): the reason."""


class BodyNotJSON(ValueError):
    pass


def loads_exact(text: str | bytes) -> Any:
    """Parse JSON keeping number literals exact: floats become ``Decimal`` (so ``3500.0`` is not an
    integer and ``0.1`` stays ``0.1``); integers stay ``int`` of any size."""
    return json.loads(text, parse_float=Decimal)


@dataclass(frozen=True)
class Exchange:
    """One request and its response, as every check sees them (headers lower-cased)."""

    api: str
    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: Any                  # parsed JSON of what was sent (exact), or None
    request_text: str | None           # the body as sent, when it was text
    media_type: str | None
    status: int
    response_headers: Mapping[str, str]
    response_text: str
    mode: str | None = None            # "positive" / "negative" when Schemathesis generated it
    elapsed_s: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)
    conventions: Any = field(default=None, compare=False, repr=False)   # the run's ConventionBook

    @cached_property
    def json(self) -> Any:
        """The response body parsed exactly; raises :class:`BodyNotJSON` when it is not JSON."""
        try:
            return loads_exact(self.response_text)
        except (ValueError, TypeError) as exc:
            raise BodyNotJSON(f"response body is not JSON: {self.response_text[:200]!r}") from exc


ResponseCheck = Callable[[Exchange], Any]


class Flow(Protocol):
    """What a flow check may do against the target (implemented by the runner)."""

    api: str            # slug of the API under test
    rule_id: str
    conventions: Any    # the run's ConventionBook (observe(rule_id, name, options, evidence))

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        """Draw from a Hypothesis strategy (shrinks with the scenario)."""

    def fresh_id(self) -> str:
        """A new identity (digits) for this run, never repeated (a docno, a ticket number)."""

    def setup(self, state: str, **params: Any) -> dict[str, Any]:
        """Set up a provider state (Pact convention); raises NotVerified when the target has no hook
        and no fixture for it."""

    def snapshot(self, player: Mapping[str, Any]) -> dict[str, Any]:
        """The read-only "a player snapshot" state for a player returned by "a player exists"."""

    def valid_body(self, player: Mapping[str, Any] | None = None, **fixtures: Any) -> Any:
        """A schema-valid request body generated from the spec, with fixture values (identities,
        event ids, prices) filled in so that a correct target accepts it. Fresh identities on every
        call (requestId and betIds, ticketId). ``fixtures``: ``event=`` (an "an event exists" answer,
        superbet-reserve) or ``betcard=`` (a "a jackpot betcard exists" answer, jackpot-ticket)
        replace the scene's for this body; the current odds of the chosen selections are filled in."""

    def send(self, body: Any = None, *, player: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None, media_type: str = "application/json",
             raw: bytes | None = None, auth: str = "valid", sign_as: Mapping[str, Any] | None = None) -> Exchange:
        """Send one request to the API under test; ``auth`` is "valid", "bad" or "none"; ``sign_as``
        (an "an operator exists" answer) signs a ticket-engine request as that operator. Every
        response checks of this API also run on the exchange (they may fail the flow).

        ``Decimal`` values are written as the exact JSON number they hold; a form body
        (``application/x-www-form-urlencoded``) sends the top-level scalars. ``headers`` override the
        computed ones (credentials, signature, a fresh ``X-Idempotency-Key`` per call for
        bet-placement); a header given as ``None`` is left out. The signature is computed over the
        body actually sent, with the secret of ``player``'s operator."""

    def send_concurrently(self, requests: list[dict[str, Any]]) -> list[Exchange]:
        """Send the given ``send`` keyword dicts at the same time (bounded) and return in order."""


FlowCheck = Callable[[Flow], Any]


def each_case(rule_id: str, cases: Iterable[Any], run: Callable[[Any], Any]) -> None:
    """Run ``run(case)`` for every case and raise one :class:`RuleFailure` naming every case that
    failed (a flow reports every failing situation it found, so a vendor fixes them in one round).
    A case that cannot be verified does not stop the others; it is raised only when none failed."""
    failures: list[tuple[Any, RuleFailure]] = []
    unverified: NotVerified | None = None
    for case in cases:
        try:
            run(case)
        except RuleFailure as failure:
            failures.append((case, failure))
        except NotVerified as exc:
            unverified = unverified or exc
    if len(failures) == 1:
        raise failures[0][1]
    if failures:
        lines = [f"{len(failures)} situations failed:"]
        for index, (_case, failure) in enumerate(failures, start=1):
            text = failure.message.replace("\n", "\n     ")
            lines.append(f"  {index}. {text}")
            if failure.received is not None:
                lines.append(f"     received:   {failure.received!r}")
            if failure.documented is not None:
                lines.append(f"     documented: {failure.documented!r}")
        raise RuleFailure(rule_id, "\n".join(lines))
    if unverified is not None:
        raise unverified

RESPONSE_CHECKS: dict[str, ResponseCheck] = {}
FLOW_CHECKS: dict[str, FlowCheck] = {}
CHECK_APIS: dict[str, tuple[str, ...]] = {}


def response_check(name: str, *, apis: tuple[str, ...]) -> Callable[[ResponseCheck], ResponseCheck]:
    """Register a response check under its contract name for the given API slugs."""

    def register(fn: ResponseCheck) -> ResponseCheck:
        if name in RESPONSE_CHECKS or name in FLOW_CHECKS:
            raise ValueError(f"check {name!r} registered twice")
        RESPONSE_CHECKS[name] = fn
        CHECK_APIS[name] = apis
        return fn

    return register


def flow_check(name: str, *, apis: tuple[str, ...]) -> Callable[[FlowCheck], FlowCheck]:
    """Register a flow check under its contract name for the given API slugs."""

    def register(fn: FlowCheck) -> FlowCheck:
        if name in RESPONSE_CHECKS or name in FLOW_CHECKS:
            raise ValueError(f"check {name!r} registered twice")
        FLOW_CHECKS[name] = fn
        CHECK_APIS[name] = apis
        return fn

    return register


# --- guards: when a response check applies, said by decorators (Schemathesis style) ---------------


def applies_if(applies: Callable[[Exchange], bool]) -> Callable[[ResponseCheck], ResponseCheck]:
    """A guard: the check returns NOT_APPLICABLE unless ``applies(exchange)`` is true."""

    def decorate(fn: ResponseCheck) -> ResponseCheck:
        @wraps(fn)
        def guarded(exchange: Exchange) -> Any:
            if not applies(exchange):
                return NOT_APPLICABLE
            return fn(exchange)

        return guarded

    return decorate


def only_status(*statuses: int) -> Callable[[ResponseCheck], ResponseCheck]:
    """The check applies only to responses with one of these HTTP statuses."""
    return applies_if(lambda exchange: exchange.status in statuses)


def only_operation(fn: ResponseCheck) -> ResponseCheck:
    """The check applies only to requests with the API's documented method (not to probes with
    other verbs, which ``status_code_conformance`` and the framework answer)."""
    from orderproof.apis import get_api

    return applies_if(lambda exchange: exchange.method.upper() == get_api(exchange.api).method)(fn)


def _is_json_object(exchange: Exchange) -> bool:
    try:
        return isinstance(exchange.json, dict)
    except BodyNotJSON:
        return False


def only_json_object(fn: ResponseCheck) -> ResponseCheck:
    """The check applies only when the response body is a JSON object (the schema check judges
    any other body)."""
    return applies_if(_is_json_object)(fn)


def only_request_object(fn: ResponseCheck) -> ResponseCheck:
    """The check applies only when the request body was a JSON object (so it can be compared)."""
    return applies_if(lambda exchange: isinstance(exchange.request_body, dict))(fn)


def shown(exchange: Exchange, limit: int = 300) -> str:
    """``HTTP <status> <body>`` for a failure message, secrets masked, body cut at ``limit``."""
    from orderproof.masking import mask_text

    text = exchange.response_text
    if len(text) > limit:
        text = text[:limit] + "..."
    return mask_text(f"HTTP {exchange.status} {text}")
