"""How a sportsbook-order answer reads: the {code, msg, data} envelope, code 200 accepted, any other
code a rejection at HTTP 4xx or 200 (convention sportsbook-order.rejection)."""

from __future__ import annotations

from orderproof.checks.base import Exchange
from orderproof.checks.outcomes import Outcome, envelope_code

REJECTION = "sportsbook-order.rejection"


def outcome(exchange: Exchange) -> Outcome:
    return envelope_code(exchange, 200, REJECTION)
