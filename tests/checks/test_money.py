from decimal import Decimal

import pytest

from orderproof.checks.base import NOT_APPLICABLE
from orderproof.checks.money import (
    bp_debit,
    cents,
    jt_cents,
    jt_currency,
    jt_excise_rate,
    jt_excise_sum,
    so_balance,
    sr_cents,
    sr_currency,
    sr_excise_rate,
    sr_excise_sum,
    to_decimal,
)

from .conftest import assert_fails, assert_flow_fails, bet_placement, exchange, run_flow, sportsbook

TICKET = {"price": 1000, "stake": 889, "ext_amount": 111, "ext": Decimal("12.5"), "ext_type": "inclusive",
          "gross_payout": 3040, "net_payout": 2610, "wht_amount": 430, "wht": Decimal("20.0"), "currency": "EUR"}
JACKPOT = TICKET | {"prize": 1_000_000, "bonus_prizes": [10_000, 5_000]}


def test_helpers():
    assert to_decimal("12.30") == Decimal("12.3") and to_decimal(True) is None and to_decimal("x") is None
    assert to_decimal(Decimal("0.1")) == Decimal("0.1") and to_decimal(None) is None
    assert cents("12.34") == 1234
    with pytest.raises(ValueError, match="at most 2 decimals"):
        cents("1.234")


# JT-CENTS / SR-CENTS


def test_cents_passes_on_integer_literals():
    assert jt_cents(exchange("jackpot-ticket", 200, JACKPOT)) is None
    assert sr_cents(exchange("superbet-reserve", 200, TICKET)) is None


@pytest.mark.parametrize("text", ['{"price": 3500.0, "stake": 3000}', '{"price": "3500"}', '{"stake": true}'])
def test_cents_fails_on_a_decimal_literal_string_or_bool(text):
    failure = assert_fails("SR-CENTS", sr_cents, exchange("superbet-reserve", 200, text))
    assert "integer" in failure.message


def test_jt_cents_fails_on_a_decimal_bonus_prize():
    body = '{"price": 1000, "prize": 1000000, "bonus_prizes": [10000, 5000.0]}'
    assert "bonus_prizes[1]" in assert_fails("JT-CENTS", jt_cents, exchange("jackpot-ticket", 200, body)).message


def test_cents_does_not_apply_to_errors_or_non_json():
    assert jt_cents(exchange("jackpot-ticket", 400, '{"code": 103, "price": 1.5}')) is NOT_APPLICABLE
    assert jt_cents(exchange("jackpot-ticket", 200, "not json")) is NOT_APPLICABLE


# JT-CURRENCY / SR-CURRENCY


def test_currency_passes_when_echoed():
    assert jt_currency(exchange("jackpot-ticket", 200, TICKET, {"currency": "EUR"})) is None


@pytest.mark.parametrize("got", ["USD", "eur", "EURO", None])
def test_currency_fails_when_different_or_not_iso(got):
    assert_fails("SR-CURRENCY", sr_currency, exchange("superbet-reserve", 200, TICKET | {"currency": got},
                                                      {"currency": "EUR"}))


def test_currency_does_not_apply_without_a_request_object_or_to_a_400():
    assert jt_currency(exchange("jackpot-ticket", 200, TICKET, None)) is NOT_APPLICABLE
    assert jt_currency(exchange("jackpot-ticket", 400, {"code": 112, "message": "x"}, {"currency": "EUR"})) \
        is NOT_APPLICABLE


# JT-EXCISE-SUM / SR-EXCISE-SUM / *-EXCISE-RATE


def test_excise_sum_passes_and_fails():
    assert jt_excise_sum(exchange("jackpot-ticket", 200, TICKET)) is None
    failure = assert_fails("SR-EXCISE-SUM", sr_excise_sum, exchange("superbet-reserve", 200, TICKET | {"stake": 890}))
    assert "1001" in failure.message


def test_excise_sum_does_not_apply_to_other_ext_types_or_missing_fields():
    assert jt_excise_sum(exchange("jackpot-ticket", 200, TICKET | {"ext_type": "exclusive"})) is NOT_APPLICABLE
    assert jt_excise_sum(exchange("jackpot-ticket", 200, {"price": 1000})) is NOT_APPLICABLE


@pytest.mark.parametrize("price, stake", [(1000, 889), (1125, 1000), (9, 8)])
def test_excise_rate_passes_on_the_rounded_stake(price, stake):
    body = TICKET | {"price": price, "stake": stake, "ext_amount": price - stake}
    assert jt_excise_rate(exchange("jackpot-ticket", 200, body)) is None


def test_excise_rate_accepts_half_up_and_half_even():
    # 2.5 / 1.25 = 2 exactly; 5 / 1.25 = 4: use ext 100 -> price / 2: price 5 -> 2.5 -> 3 (up) or 2 (even)
    for stake in (2, 3):
        body = TICKET | {"price": 5, "ext": 100, "stake": stake, "ext_amount": 5 - stake}
        assert sr_excise_rate(exchange("superbet-reserve", 200, body)) is None


def test_excise_rate_fails_on_truncation_and_a_wrong_ext_amount():
    assert_fails("JT-EXCISE-RATE", jt_excise_rate,
                 exchange("jackpot-ticket", 200, TICKET | {"stake": 888, "ext_amount": 112}))
    assert_fails("SR-EXCISE-RATE", sr_excise_rate, exchange("superbet-reserve", 200, TICKET | {"ext_amount": 110}))


# SO-BALANCE (flow)


def test_so_balance_passes_on_a_correct_target():
    run_flow(so_balance, "sportsbook-order", sportsbook())


def test_so_balance_fails_when_data_balance_is_the_old_balance():
    assert "data.balance" in assert_flow_fails("SO-BALANCE", so_balance, "sportsbook-order",
                                               sportsbook("wrong-balance")).message


# BP-DEBIT (flow)


def test_bp_debit_passes_on_a_correct_target():
    run_flow(bp_debit, "bet-placement", bet_placement())


def test_bp_debit_fails_when_nothing_is_debited():
    assert "balance moved" in assert_flow_fails("BP-DEBIT", bp_debit, "bet-placement", bet_placement("no-debit")).message
