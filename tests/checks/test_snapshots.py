"""What a flow compares (orderproof.checks.snapshots): "nothing changed" between two snapshots."""

import pytest

from orderproof.checks.base import RuleFailure
from orderproof.checks.snapshots import assert_unchanged
from tests.apis.fakes import rule


def test_assert_unchanged_compares_balances_as_decimals_and_lists_exactly():
    assert_unchanged(rule("BP-ATOMIC"), {"balance": "10.0", "bets": []}, {"balance": "10.00", "bets": []}, "x", "y")
    with pytest.raises(RuleFailure, match=r"\[BP-ATOMIC\] a slip was rejected, yet the player's bets changed"):
        assert_unchanged(rule("BP-ATOMIC"), {"balance": "1", "bets": []}, {"balance": "1", "bets": [{"betId": "b"}]},
                         "a slip was rejected", "store none")
