"""The generic rules every API has: <P>-SCHEMA, <P>-NO-5XX, <P>-NEGATIVE, <P>-POSITIVE.

<P>-SCHEMA is Schemathesis' own response checks (schema, status code, content type) against the
spec; the runner calls them through the Schemathesis case (``SCHEMA_CHECKS``). The other three are
orderproof's, because Schemathesis' defaults are not what a conformance verdict needs: its
``negative_data_rejection`` accepts a 5xx (and any body) as a rejection, and it calls invalid every
value the strict spec refuses, where a correct service may read ``"3500"`` as 3500
(:mod:`orderproof.engine.lenient`). Each reads the answer through its API's adapter
(``ApiAdapter.outcome``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from orderproof import registry
from orderproof.checks.base import (
    GENERIC_RULES,
    NOT_APPLICABLE,
    BodyNotJSON,
    Exchange,
    RuleFailure,
)
from orderproof.checks.conventions import book_of
from orderproof.checks.outcomes import OTHER, describe
from orderproof.engine.generation import documented_only, schemathesis_response
from orderproof.engine.lenient import clearly_invalid, is_clearly_invalid, unreadable

__all__ = ["CHECKS", "GENERIC", "SCHEMA_CHECKS", "content_type_conformance", "credentials_broken",
           "json_labelled_otherwise", "negative_rejected", "no_server_error", "not_echoed", "positive_accepted",
           "schema_applies", "schema_reading"]

SCHEMA_CHECKS = (response_schema_conformance, status_code_conformance, content_type_conformance)

# generic check name -> the generated cases it judges ("all", "negative", "positive")
GENERIC: dict[str, str] = {check: cases for check, cases in GENERIC_RULES.values()}


def schema_applies(exchange: Exchange) -> bool:
    """<P>-SCHEMA judges every answer but a server error (<P>-NO-5XX's finding), a success to a
    negative case (whether it should have been refused is <P>-NEGATIVE's question: a field of the
    answer that echoes the suite's own invalid input is not a schema failure of the service), and a
    refusal in a situation the seed does not document (``ApiAdapter.own_refusal``: its status and
    code are the service's, judged by the API's own rule)."""
    if exchange.status >= 500 or exchange.extra.get("error") or registry.get(exchange.api).own_refusal(exchange):
        return False
    return not (exchange.mode == "negative" and 200 <= exchange.status < 300)


def schema_reading(exchange: Exchange, reply: Any) -> tuple[Any, list[Any]]:
    """The reply as Schemathesis' checks read it, and the checks <P>-SCHEMA runs: all of them, or,
    where the API's seed names no media type and the body is JSON labelled other than
    application/json (text/plain, or a JSON type of the service's own such as
    application/vnd.engine.v1+json), the body read as JSON and no content-type check."""
    if not registry.get(exchange.api).response_media_type_stated and json_labelled_otherwise(exchange):
        return (schemathesis_response(reply, content_type="application/json"),
                [check for check in SCHEMA_CHECKS if check is not content_type_conformance])
    return schemathesis_response(reply), list(SCHEMA_CHECKS)


def json_labelled_otherwise(exchange: Exchange) -> bool:
    """The answer is JSON labelled other than application/json: a JSON type of the service's own
    (``+json``), or another media type (or none) over a body that is JSON."""
    kind = (exchange.response_headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if kind == "application/json":
        return False
    if kind.endswith("+json"):
        return True
    try:
        exchange.json
    except BodyNotJSON:
        return False
    return True


def not_echoed(failures: Sequence[Any], exchange: Exchange) -> list[Any]:
    """The <P>-SCHEMA failures of an answer that are the service's own: for an answer to the suite's
    invalid request, a value that fails its schema where the request sent that very value under the
    same name (a failedBets entry naming the bet by the betId "" it was sent with) is the suite's
    input echoed back; whether it should have been refused is <P>-NEGATIVE's question."""
    if exchange.mode != "negative":
        return list(failures)
    try:
        sent = set(_named_values(exchange.request_body))
    except RecursionError:          # a body too deep to walk: nothing is excused
        return list(failures)
    return [failure for failure in failures if _named_failure(failure) not in sent]


def _named_failure(failure: Any) -> tuple[str, str] | None:
    """(the name the failing value stands under, the value as JSON) of a schema failure; None when
    it names no value (a status or content-type failure, a document without names)."""
    names = [part for part in getattr(failure, "instance_path", None) or [] if isinstance(part, str)]
    if not names or not hasattr(failure, "instance"):
        return None
    return names[-1], _canonical(failure.instance)


def _named_values(value: Any) -> Iterator[tuple[str, str]]:
    """Every (name, value as JSON) of a request body: each member of each object, and each item of a
    list that a member holds (under the member's name)."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield str(name), _canonical(item)
            if isinstance(item, list):
                yield from ((str(name), _canonical(element)) for element in item)
            yield from _named_values(item)
    elif isinstance(value, list):
        for item in value:
            yield from _named_values(item)


def _canonical(value: Any) -> str:
    """The value as JSON, a request's exact decimals as the floats an answer is read into."""
    return json.dumps(value, sort_keys=True, default=_as_float)


def _as_float(item: Any) -> Any:
    return float(item) if isinstance(item, Decimal) else str(item)


def no_server_error(rule: Any, exchange: Exchange) -> Any:
    """<P>-NO-5XX: passes if the request got an answer below 500 (or a 5xx the API's document pairs
    with an answer of its own: ``ApiAdapter.documented_server_answer``), fails on a 5xx or no answer."""
    if exchange.extra.get("error"):
        raise RuleFailure(rule, f"no answer: {exchange.extra['error']}", received=exchange.extra["error"],
                          documented="an answer for every request")
    if exchange.status >= 500 and not registry.get(exchange.api).documented_server_answer(exchange):
        raise RuleFailure(rule, f"a server error for {_kind_of_request(exchange)}",
                          received=describe(exchange, 300), documented="a documented answer, never a 5xx")
    return None


def _kind_of_request(exchange: Exchange) -> str:
    """What the suite sent, in a vendor's words."""
    if exchange.mode is None:
        return "a request of the rule's scenario"
    if exchange.mode == "negative":
        return "a generated invalid request"
    if exchange.sent_as_valid:
        return "a generated valid request"
    return "a generated request the schema allows, not made realistic (an edge value, no fixtures, ...)"


def credentials_broken(exchange: Exchange) -> bool:
    """The request did not carry the credentials a correct caller sends (the case was generated
    with its own header values, or one of them was the part Schemathesis broke), and the API's seed
    states those credentials (``ApiAdapter.credentials_stated``): a scheme the suite infers from
    practice does not make a request clearly invalid."""
    api = registry.get(exchange.api)
    return bool(api.credential_headers) and api.credentials_stated and exchange.extra.get("auth") != "valid"


# The checks that judge any answer: one that is not the API's own (below) too.
ANY_REQUEST = ("no_server_error", "negative_rejected")


def _unreadable(exchange: Exchange) -> str | None:
    """:func:`lenient.unreadable` of the exchange's request, read once (a body the exchange already
    holds parsed is readable: no second parse)."""
    if exchange.request_body is not None:
        return None
    if "unreadable" not in exchange.extra:
        exchange.extra["unreadable"] = unreadable(exchange.api, exchange.media_type, exchange.request_text)
    return exchange.extra["unreadable"]


def judges(check: str, exchange: Exchange) -> bool:
    """Whether the rule checked by ``check`` judges this answer. A 429 left after the transport's
    back-offs is no answer of the API (<P>-NO-5XX's alone). Only ``ANY_REQUEST`` judge: a case whose
    fresh header (an idempotency key) is the part Schemathesis broke, the same in every run, which a
    long-lived service may answer as a repeat (``maybe_repeat``); a 401/403 to the suite's credentials
    from a target that takes none of them (``auth_refused``); a request no API reads, answered not in
    the API's own shape (its framework answered); and a generated request carrying members its
    document does not name, refused at HTTP 4xx not in the API's own shape where the seed documents
    no answer to an invalid request (a strict parser's refusal of unknown fields: the seeds say
    nothing of them)."""
    if exchange.status == 429:
        return check == "no_server_error"
    if check in ANY_REQUEST:
        return True
    if exchange.extra.get("maybe_repeat") or exchange.extra.get("auth_refused"):
        return False
    api = registry.get(exchange.api)
    if _unreadable(exchange) is not None:
        return api.outcome(exchange).kind != OTHER
    return not (400 <= exchange.status < 500 and not api.invalid_answer_stated and _carries_undocumented(exchange)
                and api.outcome(exchange).kind == OTHER)


def negative_rejected(rule: Any, exchange: Exchange) -> Any:
    """<P>-NEGATIVE: passes if a clearly invalid request (its body breaks the lenient schema, or it
    lacks valid credentials of a scheme its API's seed states) is refused in the API's own way (its
    adapter's ``outcome``: any of its rejection convention's options, unless the target pins one), or
    at any HTTP 4xx where no API reads the request (no body, not JSON: its framework answers) or the
    API's seed documents no answer to an invalid request (``invalid_answer_stated``), or with a 5xx
    its document pairs with an answer of its own (``documented_server_answer``); fails if it is
    accepted, answered with a 5xx or with a body that is not the API's; does not apply to positive
    cases or to negative cases a correct service may accept (``"3500"`` for an integer, a missing
    optional header, ...)."""
    if exchange.mode != "negative":
        return NOT_APPLICABLE
    unread = _unreadable(exchange)
    if not (unread is not None or is_clearly_invalid(exchange.api, exchange.media_type, exchange.request_text)
            or credentials_broken(exchange)):
        return NOT_APPLICABLE
    api = registry.get(exchange.api)
    if 400 <= exchange.status < 500 and (unread is not None or not api.invalid_answer_stated):
        return None        # a framework's answer, or a refusal the seed leaves open
    if api.documented_server_answer(exchange):
        return None        # a failure the API's document pairs with a 5xx (a stale request's REQUEST_TIMED_OUT)
    result = api.outcome(exchange)
    if result.refused:
        if result.convention and api.invalid_answer_stated:   # the seed documents the answer: the pin holds it
            book_of(exchange).note(rule.id, result.convention, result.option, describe(exchange))
        return None
    why = (unread or clearly_invalid(exchange.api, exchange.media_type, exchange.request_text)
           or "the request carries no valid credentials")
    if result.accepted:
        raise RuleFailure(rule, f"a clearly invalid request was accepted ({why})",
                          received=describe(exchange, 300), documented="a refusal in the API's error shape")
    raise RuleFailure(rule, f"a clearly invalid request ({why}) was not refused in the API's own way: {result.why}",
                      received=describe(exchange, 300), documented="a refusal in the API's error shape")


def positive_accepted(rule: Any, exchange: Exchange) -> Any:
    """<P>-POSITIVE: passes if a realistic valid request (a real player, fixtures, sane amounts) is
    accepted, fails if it is refused or answered otherwise, does not apply to other cases, nor to a
    refusal of a request that carries properties its document does not name (generated bodies carry
    random extra ones, which the schema allows; a strict service may refuse them: the seeds say
    nothing of unknown fields)."""
    if exchange.mode != "positive" or not exchange.sent_as_valid:
        return NOT_APPLICABLE
    result = registry.get(exchange.api).outcome(exchange)
    if result.accepted:
        return None
    if result.refused and _carries_undocumented(exchange):
        return NOT_APPLICABLE
    detail = f"refused with code {result.code!r}" if result.refused and result.code is not None else \
        ("refused" if result.refused else result.why)
    raise RuleFailure(rule, f"a valid request for an existing player with funds was not accepted: {detail}",
                      received=describe(exchange, 300), documented="the request is valid and its fixtures exist")


def _carries_undocumented(exchange: Exchange) -> bool:
    body = exchange.request_body
    return isinstance(body, dict) and documented_only(exchange.api, body, exchange.media_type) != body


# The generic checks orderproof judges itself (<P>-SCHEMA is Schemathesis' SCHEMA_CHECKS).
CHECKS = {"no_server_error": no_server_error, "negative_rejected": negative_rejected,
          "positive_accepted": positive_accepted}
