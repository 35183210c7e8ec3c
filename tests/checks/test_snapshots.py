"""What a flow compares (orderproof.checks.snapshots): "nothing changed" between two snapshots."""

from decimal import Decimal

import pytest

from orderproof.checks.base import NotVerified, RuleFailure
from orderproof.checks.snapshots import assert_unchanged, balance_of, money, stored
from tests.apis.fakes import rule


def test_assert_unchanged_compares_balances_as_decimals_and_lists_exactly():
    assert_unchanged(rule("BP-ATOMIC"), {"balance": "10.0", "bets": []}, {"balance": "10.00", "bets": []}, "x", "y")
    with pytest.raises(RuleFailure, match=r"\[BP-ATOMIC\] a slip was rejected, yet the player's bets changed"):
        assert_unchanged(rule("BP-ATOMIC"), {"balance": "1", "bets": []}, {"balance": "1", "bets": [{"betId": "b"}]},
                         "a slip was rejected", "store none")


def test_a_snapshot_without_a_ledger_is_judged_on_the_rest_never_as_an_unchanged_ledger():
    assert_unchanged(rule("BP-ATOMIC"), {"balance": "1", "bets": []}, {"balance": "1", "bets": []}, "x")
    with pytest.raises(RuleFailure, match="the player's ledger changed"):
        assert_unchanged(rule("BP-ATOMIC"), {"balance": "1", "bets": [], "ledger": []},
                         {"balance": "1", "bets": [], "ledger": [{"amount": "-1"}]}, "a slip was rejected")
    # a ledger one snapshot gives and the other leaves out: left out for being empty
    assert_unchanged(rule("BP-ATOMIC"), {"balance": "1", "bets": [], "ledger": []}, {"balance": "1", "bets": []}, "x")
    with pytest.raises(RuleFailure, match="the player's ledger changed"):
        assert_unchanged(rule("BP-ATOMIC"), {"balance": "1", "bets": [], "ledger": [{"amount": "-1"}]},
                         {"balance": "1", "bets": []}, "x")
    with pytest.raises(NotVerified, match="the player snapshot has no 'bets' .* cannot be told"):
        assert_unchanged(rule("BP-ATOMIC"), {"balance": "1"}, {"balance": "1"}, "x")


def test_the_hook_gives_lists_in_any_order_and_a_ledger_is_judged_by_the_money_it_moved():
    bets = [{"betId": "a", "stake": "1.00"}, {"betId": "b", "stake": "2.00"}]
    assert_unchanged(rule("BP-IDEMPOTENT"), {"balance": "1", "bets": bets}, {"balance": "1", "bets": bets[::-1]}, "x")
    reserved = [{"amount": "-3.00", "reason": "reserve"}, {"amount": "3.00", "reason": "release"}]
    assert_unchanged(rule("BP-ATOMIC"), {"balance": "1", "bets": [], "ledger": []},
                     {"balance": "1", "bets": [], "ledger": reserved}, "a slip was rejected")   # nothing moved
    with pytest.raises(RuleFailure, match="the player's ledger changed"):
        assert_unchanged(rule("BP-ATOMIC"), {"balance": "1", "bets": [], "ledger": []},
                         {"balance": "1", "bets": [], "ledger": reserved[:1]}, "a slip was rejected")
    with pytest.raises(RuleFailure, match="the player's bets changed"):
        assert_unchanged(rule("BP-IDEMPOTENT"), {"balance": "1", "bets": bets}, {"balance": "1", "bets": bets[:1]}, "x")


@pytest.mark.parametrize("status", ["rejected", "REFUSED", "failed", "declined", "validation_error", "INVALID",
                                    "CANCELLED", "void", "NOT_PLACED", "INSUFFICIENT_FUNDS", "USER_BLOCKED",
                                    "MISSING_PARAMETER", "REQUEST_TIMED_OUT", "GENERAL_EXCEPTION", "NOT_ACCEPTED",
                                    "unaccepted", "unsuccessful", "aborted", "ROLLED_BACK", "rollback", "reverted",
                                    "discarded", "EVENT_NOT_FOUND", "MARKET_NOT_ALLOWED", "ODDS_CHANGED",
                                    "unknown_operator"])
def test_a_refused_attempt_kept_as_a_record_is_not_a_stored_ticket(status):
    """A service may keep a refused reservation as a record with a status that says so (an audit
    trail); a ticket of any other status, or none, is stored."""
    tickets = [{"id": "t1", "status": "reserved"}]
    assert_unchanged(rule("SR-ERRORS"), {"tickets": tickets}, {"tickets": [*tickets, {"id": "t2", "status": status}]},
                     "unknown event was rejected", keys=("tickets",))
    assert_unchanged(rule("JT-ODDS-DIFF"), {"tickets": tickets},
                     {"tickets": [*tickets, {"id": "t2", "status": "closed", "result": "void", "approved": False}]},
                     "moved odds were rejected", keys=("tickets",))
    for kept in ({"id": "t2", "status": "reserved"}, {"id": "t2", "status": "open"}, {"id": "t2"},
                 {"id": "t2", "status": "closed", "result": "pending"}, {"id": "t2", "status": "new", "approved": False},
                 {"id": "t2", "status": "ACCEPTED"}, {"id": "t2", "status": "placed"}):
        with pytest.raises(RuleFailure, match="the player's tickets changed"):
            assert_unchanged(rule("SR-ERRORS"), {"tickets": tickets}, {"tickets": [*tickets, kept]},
                             "unknown event was rejected", keys=("tickets",))


def test_a_balance_kept_in_doubles_is_read_as_the_cents_it_stands_for():
    """96.21 - 67.07 in doubles prints 29.13999999999999: 29.14; a real fraction of a cent stays."""
    assert money(repr(96.21 - 67.07)) == Decimal("29.14") and money("29.135") == Decimal("29.135")
    assert balance_of(rule("BP-FUNDS"), {"balance": "29.13999999999999"}) == Decimal("29.14")
    assert_unchanged(rule("BP-ATOMIC"), {"balance": "29.14", "bets": []},
                     {"balance": repr(96.21 - 67.07), "bets": []}, "a slip was rejected")
    with pytest.raises(RuleFailure, match="the player's balance changed"):
        assert_unchanged(rule("BP-ATOMIC"), {"balance": "29.14", "bets": []}, {"balance": "29.13", "bets": []}, "x")
    assert money(None) is None and money("x") is None


def test_stored_entries_leave_out_refused_records_and_read_a_missing_part_as_empty():
    snapshot = {"tickets": [{"id": "t1", "status": "open"}, {"id": "t2", "status": "rejected"}]}
    assert stored(snapshot, "tickets") == [{"id": "t1", "status": "open"}]
    assert stored({}, "tickets") == []


def test_a_list_part_one_snapshot_leaves_out_was_left_out_for_being_empty():
    """A hook that omits empty lists: the snapshot before a refused slip has no bets; after one
    wrongly stored, it has them."""
    with pytest.raises(RuleFailure, match="the player's bets changed"):
        assert_unchanged(rule("BP-ATOMIC"), {"balance": "1"}, {"balance": "1", "bets": [{"betId": "b"}]}, "x")
    assert_unchanged(rule("BP-ATOMIC"), {"balance": "1", "bets": []}, {"balance": "1"}, "x")
    with pytest.raises(NotVerified, match="leaves an empty one out where the protocol asks for"):
        assert_unchanged(rule("BP-ATOMIC"), {"balance": "1"}, {"balance": "1"}, "x")
