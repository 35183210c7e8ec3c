"""The generic rules every API has: <P>-SCHEMA, <P>-NO-5XX, <P>-NEGATIVE, <P>-POSITIVE.

<P>-SCHEMA is Schemathesis' own response checks (schema, status code, content type) against the
spec; the runner calls them through the Schemathesis case (``SCHEMA_CHECKS``). The other three are
orderproof's, because Schemathesis' defaults are not what a conformance verdict needs: its
``negative_data_rejection`` accepts a 5xx (and any body) as a rejection, and it calls invalid every
value the strict spec refuses, where a correct service may read ``"3500"`` as 3500
(:mod:`orderproof.lenient`).
"""

from __future__ import annotations

from typing import Any

from schemathesis.checks import content_type_conformance, response_schema_conformance, status_code_conformance

from .conventions import book_of
from orderproof.lenient import clearly_invalid

from .base import NOT_APPLICABLE, Exchange, RuleFailure
from .outcomes import describe, outcome

__all__ = ["SCHEMA_CHECKS", "GENERIC", "credentials_broken", "negative_rejected", "no_server_error",
           "positive_accepted", "schema_applies"]

SCHEMA_CHECKS = (response_schema_conformance, status_code_conformance, content_type_conformance)

# generic check name -> the generation mode of the cases it judges
GENERIC: dict[str, str] = {
    "schema_conformance": "all",
    "no_server_error": "all",
    "negative_rejected": "negative",
    "positive_accepted": "positive",
}

CREDENTIALED = ("bet-placement", "jackpot-ticket", "superbet-reserve")


def schema_applies(exchange: Exchange) -> bool:
    """<P>-SCHEMA judges every answer but a server error (<P>-NO-5XX's finding) and a success to
    a negative case (whether it should have been refused is <P>-NEGATIVE's question: a field of the
    answer that echoes the suite's own invalid input is not a schema failure of the service)."""
    if exchange.status >= 500 or exchange.extra.get("error"):
        return False
    return not (exchange.mode == "negative" and 200 <= exchange.status < 300)


def no_server_error(rule_id: str, exchange: Exchange) -> Any:
    """<P>-NO-5XX: passes if the request got an answer below 500, fails on a 5xx or no answer."""
    if exchange.extra.get("error"):
        raise RuleFailure(rule_id, f"no answer: {exchange.extra['error']}", received=exchange.extra["error"],
                          documented="an answer for every request")
    if exchange.status >= 500:
        raise RuleFailure(rule_id, f"a server error for a {exchange.mode or 'generated'} request",
                          received=describe(exchange, 300), documented="a documented answer, never a 5xx")
    return None


def credentials_broken(exchange: Exchange) -> bool:
    """The request did not carry the credentials a correct caller sends (the case was generated
    with its own header values, or one of them was the part Schemathesis broke)."""
    return exchange.api in CREDENTIALED and exchange.extra.get("auth") != "valid"


def negative_rejected(rule_id: str, exchange: Exchange) -> Any:
    """<P>-NEGATIVE: passes if a clearly invalid request (its body breaks the lenient schema, or it
    lacks valid credentials) is refused in the API's own way (see ``checks/outcomes.py``, under the
    run's rejection convention); fails if it is accepted, answered with a 5xx or with a body that is
    not the API's; does not apply to positive cases or to negative cases a correct service may
    accept (``"3500"`` for an integer, a missing X-Idempotency-Key, ...)."""
    if exchange.mode != "negative":
        return NOT_APPLICABLE
    why = clearly_invalid(exchange.api, exchange.media_type, exchange.request_text)
    if why is None and credentials_broken(exchange):
        why = "the request carries no valid credentials"
    if why is None:
        return NOT_APPLICABLE
    result = outcome(exchange)
    if result.refused:
        if result.convention:
            book_of(exchange).observe(rule_id, result.convention, result.option, describe(exchange))
        return None
    if result.accepted:
        raise RuleFailure(rule_id, f"a clearly invalid request was accepted ({why})",
                          received=describe(exchange, 300), documented="a refusal in the API's error shape")
    raise RuleFailure(rule_id, f"a clearly invalid request ({why}) was not refused in the API's own way: {result.why}",
                      received=describe(exchange, 300), documented="a refusal in the API's error shape")


def positive_accepted(rule_id: str, exchange: Exchange) -> Any:
    """<P>-POSITIVE: passes if a realistic valid request (a real player, fixtures, sane amounts) is
    accepted, fails if it is refused or answered otherwise, does not apply to other cases."""
    if exchange.mode != "positive" or not exchange.extra.get("realistic"):
        return NOT_APPLICABLE
    result = outcome(exchange)
    if result.accepted:
        return None
    detail = f"refused with code {result.code!r}" if result.refused and result.code is not None else \
        ("refused" if result.refused else result.why)
    raise RuleFailure(rule_id, f"a valid request for an existing player with funds was not accepted: {detail}",
                      received=describe(exchange, 300), documented="the request is valid and its fixtures exist")
