"""What a check is: one named function, one signature, one typed failure.

Two kinds, both registered under their function's name, which is the ``check`` field of the
contract rule they verify (rule ``XY-TOTAL`` -> check ``xy_total``):

* response checks ``fn(rule, exchange) -> None | NOT_APPLICABLE`` run on every generated
  request/response pair of their API (Schemathesis positive and negative cases, and every request a
  flow sends);
* flow checks ``fn(rule, flow) -> None | NOT_APPLICABLE`` drive a scenario of several calls through
  a :class:`Flow` (provider states set the scene, snapshots before and after prove what changed).

A check passes by returning ``None``, says "does not apply here" by returning ``NOT_APPLICABLE``,
fails by raising :class:`RuleFailure` (an ``AssertionError``, so Hypothesis shrinks it) and gives up
with a reason by raising :class:`NotVerified`. A check receives its :class:`~orderproof.catalogue.Rule`:
the failure takes the rule's id (and, by default, its seed quote) from it, so no check body names
its rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property, wraps
from typing import Any, Protocol

from orderproof.core.masking import mask_head

__all__ = [
    "FLOW_CHECKS", "GENERIC_RULES", "NOT_APPLICABLE", "RESPONSE_CHECKS", "BodyNotJSON", "Exchange", "Flow",
    "NotVerified", "RuleFailure", "applies_if", "dumps_exact", "each_case", "flow_check", "loads_exact",
    "only_json_object", "only_operation", "only_request_object", "only_status", "response_check", "rule_id_of",
    "shown",
]

NOT_APPLICABLE = True

# The rules every API has, by id suffix: (the check that verifies them, the generated cases they judge).
GENERIC_RULES: dict[str, tuple[str, str]] = {
    "SCHEMA": ("schema_conformance", "all"),
    "NO-5XX": ("no_server_error", "all"),
    "NEGATIVE": ("negative_rejected", "negative"),
    "POSITIVE": ("positive_accepted", "positive"),
}


class RuleLike(Protocol):
    id: str
    source: Any


def rule_id_of(rule: RuleLike | str) -> str:
    return rule if isinstance(rule, str) else rule.id


class RuleFailure(AssertionError):
    """The target broke ``rule``: ``received`` against ``documented`` (by default the rule's seed
    quote)."""

    def __init__(self, rule: RuleLike | str, message: str, *, received: Any = None, documented: Any = None):
        self.rule_id = rule_id_of(rule)
        if documented is None and not isinstance(rule, str):
            documented = rule.source.quote
        self.message = message
        self.received = received
        self.documented = documented
        self.exchange: Any = None       # in a flow of several situations: the last request of the one that failed
        super().__init__(f"[{self.rule_id}] {self.details()}")

    def details(self) -> str:
        """The message, then what was received and what the document says (those given)."""
        text = self.message
        if self.received is not None:
            text += f"\n  received:   {_shown_value(self.received)}"
        if self.documented is not None:
            text += f"\n  documented: {_shown_value(self.documented)}"
        return text


class NotVerified(Exception):
    """The rule cannot be verified against this target (e.g. no provider-state hook): the reason."""


class BodyNotJSON(ValueError):
    pass


def dumps_exact(body: Any) -> str:
    """JSON text in which a ``Decimal`` is written as the exact number it holds (``Decimal("0.10")``
    -> ``0.10``), never as a float approximation or a string; what JSON cannot hold, as text."""
    decimals: list[str] = []

    def mark(value: Any) -> Any:
        if isinstance(value, Decimal):
            decimals.append(format(value, "f") if value.is_finite() else str(value))
            return f"\u0000decimal{len(decimals) - 1}\u0000"
        if isinstance(value, Mapping):
            return {str(key): mark(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [mark(item) for item in value]
        return value

    text = json.dumps(mark(body), default=str, ensure_ascii=False)
    for index, number in enumerate(decimals):
        text = text.replace(f'"\\u0000decimal{index}\\u0000"', number, 1)
    return text


def _shown_value(value: Any) -> str:
    """A received or documented value as a reader takes it: JSON for data, the text for text."""
    if isinstance(value, (Mapping, list, tuple)):
        return dumps_exact(value)
    return repr(value)


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
    request_bytes: bytes | None = field(default=None, compare=False, repr=False)   # the body exactly as sent

    @property
    def sent_as_valid(self) -> bool:
        """The suite sent the request as a valid one: a scenario's (flows send valid requests) or a
        generated positive case made realistic (a real player and fixtures, sane amounts). What a
        service answers to anything else (a negative case, an edge number, a positive case without
        fixtures) may be its framework's business."""
        return self.mode is None or (self.mode == "positive" and bool(self.extra.get("realistic")))

    @cached_property
    def json(self) -> Any:
        """The response body parsed exactly; raises :class:`BodyNotJSON` when it is not JSON."""
        try:
            return loads_exact(self.response_text)
        except (ValueError, TypeError) as exc:
            raise BodyNotJSON(f"response body is not JSON: {self.response_text[:200]!r}") from exc


ResponseCheck = Callable[[Any, Exchange], Any]


class Flow(Protocol):
    """What a flow check may do against the target (implemented by the engine)."""

    api: str            # slug of the API under test
    rule: Any           # the rule the scenario verifies
    conventions: Any    # the run's ConventionBook (observe(rule, name, options, evidence))
    why_not: str | None  # set by a check that returns NOT_APPLICABLE: why (the reason when no scenario applied)

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        """Draw from a Hypothesis strategy (shrinks with the scenario)."""

    def fresh_id(self) -> str:
        """A new identity (digits) for this run, never repeated (a docno, a ticket number)."""

    def fresh_uuid(self) -> str:
        """A new UUID for this run (a bet id, an idempotency key, an unknown name). Checks take their
        identities here, never from ``uuid.uuid4()``, so that a replay of the scenario makes the same."""

    def setup(self, state: str, **params: Any) -> dict[str, Any]:
        """Set up a provider state (Pact convention); raises NotVerified when the target has no hook
        and no fixture for it."""

    def snapshot(self, player: Mapping[str, Any]) -> dict[str, Any]:
        """The read-only "a player snapshot" state for a player returned by "a player exists"."""

    def valid_body(self, player: Mapping[str, Any] | None = None, **fixtures: Any) -> Any:
        """A schema-valid request body generated from the spec and made realistic by the API's
        adapter (identities, fixture ids, current prices). Fresh identities on every call.
        ``fixtures`` (e.g. ``event=``, ``betcard=``: provider-state answers) replace the scene's."""

    def send(self, body: Any = None, *, player: Mapping[str, Any] | None = None,
             headers: Mapping[str, str] | None = None, media_type: str = "application/json",
             raw: bytes | None = None, auth: str = "valid", sign_as: Mapping[str, Any] | None = None,
             refusable: bool = False) -> Exchange:
        """Send one request to the API under test; ``auth`` is "valid", "bad" or "none"; ``sign_as``
        (an "an operator exists" answer) signs the request as that operator. The API's response
        checks also run on the exchange (their failures go to their own rules); ``refusable``: the
        body breaks a business rule on purpose and a service may refuse it for that, in a framework's
        shape too (``extra["refusable"]``: a rule that holds refusals of valid requests to the API's
        own shape leaves such a one alone).

        ``Decimal`` values are written as the exact JSON number they hold; a form body
        (``application/x-www-form-urlencoded``) sends the top-level scalars. ``headers`` override the
        computed ones (credentials, a fresh idempotency key); a header given as ``None`` is left out."""

    def send_concurrently(self, requests: list[dict[str, Any]]) -> list[Exchange]:
        """Send the given ``send`` keyword dicts at the same time (bounded) and return in order."""


FlowCheck = Callable[[Any, Flow], Any]

RESPONSE_CHECKS: dict[str, ResponseCheck] = {}
FLOW_CHECKS: dict[str, FlowCheck] = {}


def _where(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def _register(table: dict[str, Callable], fn: Callable) -> Callable:
    """Register ``fn`` under its name; the same function again (its module imported anew) replaces
    itself, another function of the same name is an error naming both."""
    name = fn.__name__
    existing = RESPONSE_CHECKS.get(name) or FLOW_CHECKS.get(name)
    if existing is not None and (_where(existing) != _where(fn) or table.get(name) is not existing):
        raise ValueError(f"check {name!r} registered twice: {_where(existing)} and {_where(fn)}")
    table[name] = fn
    return fn


def response_check(fn: ResponseCheck) -> ResponseCheck:
    """Register a response check under its function's name (its contract rule's ``check``)."""
    return _register(RESPONSE_CHECKS, fn)


def flow_check(fn: FlowCheck) -> FlowCheck:
    """Register a flow check under its function's name (its contract rule's ``check``)."""
    return _register(FLOW_CHECKS, fn)


def each_case(rule: RuleLike | str, cases: Iterable[Any], run: Callable[[Any], Any], flow: Any = None) -> None:
    """Run ``run(case)`` for every case and raise one :class:`RuleFailure` naming every case that
    failed (a flow reports every failing situation it found, so a vendor fixes them in one round).
    A case that cannot be verified does not stop the others; it is raised only when none failed.
    Given the ``flow``, the failure carries the last request of the first situation that failed (its
    evidence), not the last request of the scenario."""
    failures: list[tuple[Any, RuleFailure]] = []
    unverified: NotVerified | None = None
    sent = getattr(flow, "exchanges", None)
    for case in cases:
        before = len(sent) if sent is not None else 0
        try:
            run(case)
        except RuleFailure as failure:
            if failure.exchange is None and sent is not None and len(sent) > before:
                failure.exchange = sent[-1]      # the case's own last request (none: the scenario's last)
            failures.append((case, failure))
        except NotVerified as exc:
            unverified = unverified or exc
    if len(failures) == 1:
        raise failures[0][1]
    if failures:
        first = failures[0][1].documented
        shared = all(failure.documented == first for _case, failure in failures)
        lines = [f"{len(failures)} situations failed:"]
        for index, (_case, failure) in enumerate(failures, start=1):
            text = failure.message.replace("\n", "\n     ")
            lines.append(f"  {index}. {text}")
            if failure.received is not None:
                lines.append(f"     received:   {failure.received!r}")
            if not shared and failure.documented is not None:      # each under its own situation
                lines.append(f"     documented: {failure.documented!r}")
        # one documented answer for every situation: said once, below the list; several: none below
        combined = (RuleFailure(rule, "\n".join(lines), documented=first) if shared
                    else RuleFailure(rule_id_of(rule), "\n".join(lines)))
        combined.exchange = failures[0][1].exchange
        raise combined
    if unverified is not None:
        raise unverified


# --- guards: when a response check applies, said by decorators (Schemathesis style) ---------------


def applies_if(applies: Callable[[Any, Exchange], bool]) -> Callable[[ResponseCheck], ResponseCheck]:
    """A guard: the check returns NOT_APPLICABLE unless ``applies(rule, exchange)`` is true."""

    def decorate(fn: ResponseCheck) -> ResponseCheck:
        @wraps(fn)
        def guarded(rule: Any, exchange: Exchange) -> Any:
            if not applies(rule, exchange):
                return NOT_APPLICABLE
            return fn(rule, exchange)

        return guarded

    return decorate


def only_status(*statuses: int) -> Callable[[ResponseCheck], ResponseCheck]:
    """The check applies only to responses with one of these HTTP statuses."""
    return applies_if(lambda rule, exchange: exchange.status in statuses)


def only_operation(fn: ResponseCheck) -> ResponseCheck:
    """The check applies only to requests with its rule's documented method (not to probes with
    other verbs, which ``status_code_conformance`` and the framework answer)."""
    return applies_if(lambda rule, exchange: exchange.method.upper() == rule.operation.split(" ", 1)[0])(fn)


def _is_json_object(rule: Any, exchange: Exchange) -> bool:
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
    return applies_if(lambda rule, exchange: isinstance(exchange.request_body, dict))(fn)


def shown(exchange: Exchange, limit: int = 300) -> str:
    """``HTTP <status> <body>`` for a failure message, secrets masked, body cut at ``limit`` (masked
    whole first: a cut secret would no longer be recognised by its field name or its value)."""
    return f"HTTP {exchange.status} {mask_head(exchange.response_text, limit)}"
