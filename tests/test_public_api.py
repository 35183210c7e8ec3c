"""What an API package author uses is ``orderproof``'s public API (``orderproof.__all__``): the
adapter base, the check decorators and guards, the failure types, the exchange and the flow. The
outside API of ``tests/outside_api`` is written against it alone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import orderproof
from orderproof import RuleFailure, flow_check, response_check
from orderproof.catalogue import load_catalogue
from orderproof.checks.base import RESPONSE_CHECKS

OUTSIDE = Path(__file__).resolve().parent / "outside_api" / "src" / "voucher_api"


def test_every_public_name_is_there():
    assert set(orderproof.__all__) >= {"ApiAdapter", "response_check", "flow_check", "RuleFailure", "NotVerified",
                                       "NOT_APPLICABLE", "Exchange", "Flow", "Outcome", "only_status", "__version__"}
    for name in orderproof.__all__:
        assert getattr(orderproof, name) is not None, name


def test_the_outside_api_uses_nothing_but_the_public_api():
    used = set()
    for path in OUTSIDE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("orderproof"):
                assert node.module == "orderproof", f"{path.name} imports {node.module}"
                used |= {alias.name for alias in node.names}
    assert used and used <= set(orderproof.__all__)


def test_a_failure_takes_its_id_and_the_seed_quote_from_its_rule():
    rule = load_catalogue(["bet-placement"]).rule("BP-PAYOUT")
    failure = RuleFailure(rule, "the payout is not the product", received="1.0100000035")
    assert failure.rule_id == "BP-PAYOUT" and failure.documented == rule.source.quote
    assert str(failure).startswith("[BP-PAYOUT] the payout is not the product\n  received:   '1.0100000035'")
    assert RuleFailure(rule, "x", documented="400 INSUFFICIENT_FUNDS").documented == "400 INSUFFICIENT_FUNDS"


def test_a_check_is_registered_once_under_its_name():
    def xy_total(rule, exchange):
        return None

    def another():
        def xy_total(rule, flow):
            return None

        return xy_total

    assert "xy_total" not in RESPONSE_CHECKS
    try:
        assert response_check(xy_total) is xy_total and RESPONSE_CHECKS["xy_total"] is xy_total
        assert response_check(xy_total) is xy_total         # its module imported anew: the same check
        with pytest.raises(ValueError, match="check 'xy_total' registered twice: .*test_public_api"):
            flow_check(another())
    finally:
        RESPONSE_CHECKS.pop("xy_total", None)               # registries are process-wide: leave none behind
    assert "xy_total" not in RESPONSE_CHECKS
