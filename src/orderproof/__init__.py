"""orderproof: contract-testing and conformance suite for order and bet-placement APIs.

What an API package uses (see ``docs/adding-an-api.md``): :class:`ApiAdapter` (the base of its
adapter), :func:`response_check` and :func:`flow_check` (register a check under its contract rule's
``check`` name), :class:`RuleFailure`, :class:`NotVerified` and ``NOT_APPLICABLE`` (what a check
says), :class:`Exchange` and :class:`Flow` (what a check receives), :class:`Outcome` (how an
adapter reads an answer) and the guards (``only_status``, ``only_json_object``, ...).
"""

from orderproof.adapter import ApiAdapter
from orderproof.checks.base import (
    NOT_APPLICABLE,
    Exchange,
    Flow,
    NotVerified,
    RuleFailure,
    applies_if,
    flow_check,
    only_json_object,
    only_operation,
    only_request_object,
    only_status,
    response_check,
)
from orderproof.checks.outcomes import ACCEPTED, OTHER, REFUSED, Outcome
from orderproof.core.version import __version__

__all__ = [
    "ACCEPTED", "NOT_APPLICABLE", "OTHER", "REFUSED", "ApiAdapter", "Exchange", "Flow", "NotVerified", "Outcome",
    "RuleFailure", "__version__", "applies_if", "flow_check", "only_json_object", "only_operation",
    "only_request_object", "only_status", "response_check",
]
