"""How a travel-order answer reads: the {data, code, message} envelope, code 100 accepted, any other
code a refusal at HTTP 200 or 4xx (convention travel-order.rejection)."""

from __future__ import annotations

from orderproof.checks.base import Exchange
from orderproof.checks.outcomes import Outcome, envelope_code

REJECTION = "travel-order.rejection"


def outcome(exchange: Exchange) -> Outcome:
    return envelope_code(exchange, 100, REJECTION)
