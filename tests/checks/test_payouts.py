from decimal import Decimal

import pytest

from orderproof.checks.base import NOT_APPLICABLE
from orderproof.checks.conventions import ConventionBook
from orderproof.checks.payouts import (
    bp_payout,
    bp_pending,
    jt_gross_payout,
    jt_net_payout,
    jt_odds,
    jt_odds_diff,
    jt_wht_rate,
    sr_state,
    sr_zero_payout,
)

from .conftest import assert_fails, assert_flow_fails, bet_placement, exchange, run_flow, ticket_engine

# the provider's calculator example: price 1000, odds 1.20 x 1.90 x 1.50 = 3.42, ext 12.5, wht 20
TICKET = {"price": 1000, "stake": 889, "ext_amount": 111, "ext": Decimal("12.5"), "odds": Decimal("3.42"),
          "gross_payout": 3040, "wht": Decimal("20.0"), "wht_amount": 430, "net_payout": 2610}
REQUEST = {"events": [{"id": 1, "bet": 11, "odds": Decimal("1.20")}, {"id": 2, "bet": 21, "odds": Decimal("1.90")},
                      {"id": 3, "bet": 31, "odds": Decimal("1.50")}]}


def jt(body, status=200, request=None):
    return exchange("jackpot-ticket", status, body, request)


# JT-NET-PAYOUT


def test_net_payout_passes_fails_and_does_not_apply():
    assert jt_net_payout(jt(TICKET)) is None
    assert_fails("JT-NET-PAYOUT", jt_net_payout, jt(TICKET | {"net_payout": 3040}))
    assert jt_net_payout(jt({"net_payout": 1})) is NOT_APPLICABLE
    assert jt_net_payout(jt(TICKET, status=400)) is NOT_APPLICABLE


# JT-WHT-RATE


def test_wht_rate_passes_on_the_calculator_example_and_on_no_winnings():
    assert jt_wht_rate(jt(TICKET)) is None
    assert jt_wht_rate(jt(TICKET | {"gross_payout": 800, "wht_amount": 0, "net_payout": 800})) is None


@pytest.mark.parametrize("wht_amount", [608, 431, -18])  # tax on the gross; off by a cent; negative tax
def test_wht_rate_fails_on_a_wrong_base_or_rounding(wht_amount):
    assert_fails("JT-WHT-RATE", jt_wht_rate, jt(TICKET | {"wht_amount": wht_amount}))


def test_wht_rate_accepts_half_even_and_half_up():
    # winnings 2151 * 10% = 215.1 -> 215; winnings 5 * 10% = 0.5 -> 0 (even) or 1 (up)
    for wht_amount in (0, 1):
        assert jt_wht_rate(jt({"stake": 10, "gross_payout": 15, "wht": 10, "wht_amount": wht_amount})) is None


# JT-ODDS


def test_odds_passes_on_the_product_and_its_2_decimal_rounding():
    assert jt_odds(jt(TICKET, request=REQUEST)) is None
    request = {"events": [{"odds": Decimal("1.85")}, {"odds": Decimal("3.40")}]}  # 6.29 exactly
    assert jt_odds(jt({"odds": Decimal("6.29"), "stake": 100, "gross_payout": 629}, request=request)) is None
    request = {"events": [{"odds": Decimal("1.15")}, {"odds": Decimal("1.15")}]}  # 1.3225 -> 1.32
    assert jt_odds(jt({"odds": Decimal("1.32"), "stake": 100, "gross_payout": 132}, request=request)) is None
    assert jt_odds(jt({"odds": Decimal("1.3225"), "stake": 100, "gross_payout": 132}, request=request)) is None


def test_odds_takes_the_product_in_double_precision_and_fails_a_sum_or_a_coarser_rounding():
    request = {"events": [{"odds": Decimal("1.15")}, {"odds": Decimal("1.15")}]}
    float_product = Decimal(repr(1.15 * 1.15))  # 1.3224999999999998: the page types odds float
    assert jt_odds(jt({"odds": float_product, "stake": 100, "gross_payout": 132}, request=request)) is None
    assert_fails("JT-ODDS", jt_odds, jt(TICKET | {"odds": Decimal("4.60")}, request=REQUEST))      # the sum
    assert_fails("JT-ODDS", jt_odds, jt({"odds": Decimal("1.3")}, request=request))              # 1 decimal


def test_odds_may_use_the_current_odds_one_way_through_the_run():
    book = ConventionBook()
    submitted = jt(TICKET, request=REQUEST)
    current = jt(TICKET | {"odds": Decimal("3.5625")}, request=REQUEST)   # 1.25 x 1.90 x 1.50
    for ex in (current, submitted):
        ex.extra["current_odds"] = ["1.25", "1.90", "1.50"]
        object.__setattr__(ex, "conventions", book)
    assert jt_odds(current) is None
    assert "odds-source" in assert_fails("JT-ODDS", jt_odds, submitted).message


@pytest.mark.parametrize("gross, option", [(3040, "stake-times-odds"), (0, "zero-until-resulted"),
                                           (1_000_000, "betcard-prize")])
def test_gross_payout_follows_any_reading(gross, option):
    book = ConventionBook()
    ex = jt(TICKET | {"gross_payout": gross}, request=REQUEST | {"prize": 1_000_000})
    object.__setattr__(ex, "conventions", book)
    assert jt_gross_payout(ex) is None
    assert option in book.allowed("jackpot-ticket.gross-payout")


def test_gross_payout_fails_when_it_is_none_of_them():
    failure = assert_fails("JT-GROSS-PAYOUT", jt_gross_payout, jt(TICKET | {"gross_payout": 3420},
                                                                  request=REQUEST | {"prize": 1_000_000}))
    assert "gross_payout" in failure.message


def test_odds_does_not_apply_without_events_or_numbers():
    assert jt_odds(jt(TICKET, request={"events": []})) is NOT_APPLICABLE
    assert jt_odds(jt(TICKET, request={"events": [{"odds": "1.5"}]})) is NOT_APPLICABLE
    assert jt_odds(jt(TICKET, status=422, request=REQUEST)) is NOT_APPLICABLE


# SR-STATE / SR-ZERO-PAYOUT


def test_sr_state():
    good = {"status": "reserved", "result": "pending"}
    assert sr_state(exchange("superbet-reserve", 200, good)) is None
    assert_fails("SR-STATE", sr_state, exchange("superbet-reserve", 200, good | {"status": "open"}))
    assert_fails("SR-STATE", sr_state, exchange("superbet-reserve", 200, good | {"result": "won"}))
    assert sr_state(exchange("superbet-reserve", 400, {"code": 103, "message": "x"})) is NOT_APPLICABLE


def test_sr_zero_payout():
    zero = {"gross_payout": 0, "net_payout": 0, "wht_amount": 0}
    assert sr_zero_payout(exchange("superbet-reserve", 200, zero)) is None
    assert_fails("SR-ZERO-PAYOUT", sr_zero_payout, exchange("superbet-reserve", 200, zero | {"gross_payout": 3040}))
    assert_fails("SR-ZERO-PAYOUT", sr_zero_payout, exchange("superbet-reserve", 200, {"gross_payout": 0}))
    assert sr_zero_payout(exchange("superbet-reserve", 403, {"code": 403, "message": "x"})) is NOT_APPLICABLE


# JT-ODDS-DIFF (flow)


def test_odds_diff_passes_on_a_correct_target():
    run_flow(jt_odds_diff, "jackpot-ticket", ticket_engine())


def test_odds_diff_fails_when_odds_are_not_checked():
    assert "not rejected" in assert_flow_fails("JT-ODDS-DIFF", jt_odds_diff, "jackpot-ticket",
                                               ticket_engine("no-odds-check")).message


def test_odds_diff_fails_when_any_deviation_is_rejected():
    assert "within odds_diff" in assert_flow_fails("JT-ODDS-DIFF", jt_odds_diff, "jackpot-ticket",
                                                   ticket_engine("odds-check-strict")).message


def test_odds_diff_fails_when_a_rejected_ticket_is_stored():
    assert "stored" in assert_flow_fails("JT-ODDS-DIFF", jt_odds_diff, "jackpot-ticket",
                                         ticket_engine("stores-rejected")).message


# BP-PAYOUT / BP-PENDING (flows)


def test_bp_payout_passes_on_exact_payouts():
    run_flow(bp_payout, "bet-placement", bet_placement())


def test_bp_payout_fails_on_float_payouts():
    assert "potentialPayout" in assert_flow_fails("BP-PAYOUT", bp_payout, "bet-placement",
                                                  bet_placement("float-payout")).message


def test_bp_pending_passes_and_fails_on_another_status():
    run_flow(bp_pending, "bet-placement", bet_placement())
    assert "PLACED" in assert_flow_fails("BP-PENDING", bp_pending, "bet-placement",
                                         bet_placement("status-placed")).message


def test_placed_slip_flows_fail_when_the_valid_slip_is_refused():
    def refuses(flow, request):
        return 400, {"status": "FAILURE", "errorCode": "INVALID_USER"}

    assert "was not placed" in assert_flow_fails("BP-PENDING", bp_pending, "bet-placement", refuses).message
