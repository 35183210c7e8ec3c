"""Building bet-placement scenarios (orderproof.apis.bet_placement.slips)."""

import pytest

from orderproof.apis.bet_placement.slips import limits
from orderproof.checks.base import NotVerified


def test_a_player_answer_without_limits_is_not_verified_rather_than_a_crash():
    with pytest.raises(NotVerified, match="min_stake"):
        limits({"max_stake": "500.00"})
    assert limits({"min_stake": "0.10", "max_stake": "500"}) == (10, 50_000)
