"""The generic rules (<P>-SCHEMA, <P>-NO-5XX, <P>-NEGATIVE, <P>-POSITIVE) are Schemathesis' built-in
checks; they need the Schemathesis case, so the runner calls them through Schemathesis:
``case.validate_response(response, checks=GENERIC_CHECKS[name])``.

On top of the built-ins, <P>-NEGATIVE demands the API's own error shape on a rejected negative case:
:func:`negative_error_shape` (``GENERIC_RESPONSE_CHECKS["negative_rejected"]``), a response check the
runner runs on the exchanges of negative cases.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from orderproof.apis import get_api

from .base import NOT_APPLICABLE, Exchange, ResponseCheck, only_operation
from .errors import (
    JT_CODES,
    SR_CODES,
    bp_failure_shape,
    so_envelope_shape,
    ticket_error_shape,
    to_envelope_shape,
    to_failure_shape,
)

GENERIC_CHECKS: dict[str, tuple[Callable[..., Any], ...]] = {
    "schema_conformance": (response_schema_conformance, status_code_conformance, content_type_conformance),
    "no_server_error": (not_a_server_error,),
    "negative_rejected": (negative_data_rejection,),
    "positive_accepted": (positive_data_acceptance,),
}


def _rejection(exchange: Exchange) -> bool:
    return 400 <= exchange.status < 500


def _ticket(codes: frozenset[int]) -> Callable[[str, Exchange], Any]:
    return lambda rule_id, exchange: ticket_error_shape(rule_id, exchange, codes)


def _sportsbook(rule_id: str, exchange: Exchange) -> None:
    so_envelope_shape(rule_id, exchange)


def _travel(rule_id: str, exchange: Exchange) -> None:
    to_envelope_shape(rule_id, exchange)
    to_failure_shape(rule_id, exchange)


_SHAPES: dict[str, Callable[[str, Exchange], Any]] = {
    "sportsbook-order": _sportsbook,
    "jackpot-ticket": _ticket(JT_CODES),
    "superbet-reserve": _ticket(SR_CODES),
    "travel-order": _travel,
    "bet-placement": bp_failure_shape,
}


@only_operation
def negative_error_shape(exchange: Exchange) -> Any:
    """SO-NEGATIVE / JT-NEGATIVE / SR-NEGATIVE / TO-NEGATIVE / BP-NEGATIVE (the API's own half):
    passes if a 4xx answer has the API's error shape (sportsbook: the {code, msg, data} envelope
    with a code other than 200; ticket engine: 400 {code, message} with a documented code, 403
    {code, message}, 422 {"detail": [...]}; travel: the {data, code, message} envelope with a code
    other than 100; bet placement: the FAILURE body with the table's status), fails otherwise, does
    not apply to answers that are not 4xx (Schemathesis' negative_data_rejection and
    not_a_server_error judge those) or to other methods."""
    if not _rejection(exchange):
        return NOT_APPLICABLE
    return _SHAPES[exchange.api](f"{get_api(exchange.api).prefix}-NEGATIVE", exchange)


GENERIC_RESPONSE_CHECKS: dict[str, tuple[ResponseCheck, ...]] = {"negative_rejected": (negative_error_shape,)}
