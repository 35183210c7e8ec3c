from decimal import Decimal

import pytest

from orderproof.checks.base import NOT_APPLICABLE
from orderproof.checks.conventions import ConventionBook
from orderproof.checks.echo import bp_echo, jt_echo, so_amount_echo, so_data, so_ticket_echo, sr_echo

from .conftest import BET, assert_fails, exchange

SR_REQUEST = {"operator": "site", "token": "t0k3n-secret", "price": 2000, "currency": "KES", "atag": "affiliate-1",
              "source": "mobile", "type": "superbet", "event": 100001, "bets": [101, 102]}
SR_TICKET = {"price": 2000, "currency": "KES", "atag": "affiliate-1", "source": "mobile", "type": "superbet"}
JT_REQUEST = SR_REQUEST | {"type": "jackpot", "betcard_code": "BC-1", "prize": 1_000_000, "bonus_prizes": [10_000, 5_000]}
JT_TICKET = SR_TICKET | {"type": "jackpot", "betcard_code": "BC-1", "prize": 1_000_000, "bonus_prizes": [10_000, 5_000]}


def test_ticket_echo_passes():
    assert sr_echo(exchange("superbet-reserve", 200, SR_TICKET, SR_REQUEST)) is None
    assert jt_echo(exchange("jackpot-ticket", 200, JT_TICKET, JT_REQUEST)) is None


def test_ticket_echo_skips_an_atag_the_request_left_out():
    request = {k: v for k, v in SR_REQUEST.items() if k != "atag"}
    assert sr_echo(exchange("superbet-reserve", 200, SR_TICKET | {"atag": None}, request)) is None


@pytest.mark.parametrize("change", [{"price": 1999}, {"source": "desktop"}, {"atag": "other"}, {"bonus_prizes": [10_000]},
                                    {"betcard_code": "BC-2"}])
def test_jt_echo_fails_on_a_changed_field(change):
    failure = assert_fails("JT-ECHO", jt_echo, exchange("jackpot-ticket", 200, JT_TICKET | change, JT_REQUEST))
    assert next(iter(change)) in failure.message


def test_ticket_echo_does_not_apply_to_errors():
    assert sr_echo(exchange("superbet-reserve", 400, {"code": 103, "message": "x"}, SR_REQUEST)) is NOT_APPLICABLE


# sportsbook-order

BIG = 116295584494649344  # beyond 2^53


def so_ok(data, request):
    return exchange("sportsbook-order", 200, {"code": 200, "msg": "success", "data": data}, request)


@pytest.mark.parametrize("sent", [BIG, str(BIG)])
def test_so_ticket_echo_passes_on_the_exact_integer(sent):
    assert so_ticket_echo(so_ok({"ticketId": BIG}, {"ticketId": sent})) is None


def test_so_ticket_echo_takes_either_key_and_either_type_one_way_through_the_run():
    assert so_ticket_echo(so_ok({"ticketID": str(BIG)}, {"ticketId": BIG})) is None
    book = ConventionBook()
    first = so_ok({"ticketId": BIG}, {"ticketId": BIG})
    second = so_ok({"ticketId": str(BIG)}, {"ticketId": BIG})
    for ex in (first, second):
        object.__setattr__(ex, "conventions", book)
    assert so_ticket_echo(first) is None
    assert "ticket-id-type" in assert_fails("SO-TICKET-ECHO", so_ticket_echo, second).message


@pytest.mark.parametrize("got", [BIG + 16, str(BIG + 16), Decimal("1.16295584494649344E+17"), None])
def test_so_ticket_echo_fails_on_a_rounded_decimal_or_missing_id(got):
    # BIG + 16 is what a double-based parser makes of it; a float literal parses as Decimal
    text = '{"code": 200, "msg": "success", "data": {"ticketId": %s}}' % (
        "116295584494649340.0" if isinstance(got, Decimal) else "null" if got is None else
        f'"{got}"' if isinstance(got, str) else got)
    assert_fails("SO-TICKET-ECHO", so_ticket_echo, exchange("sportsbook-order", 200, text, {"ticketId": str(BIG)}))


def test_so_ticket_echo_does_not_apply_to_rejections_or_odd_requests():
    rejected = exchange("sportsbook-order", 400, {"code": 402, "msg": "x", "data": None}, {"ticketId": BIG})
    assert so_ticket_echo(rejected) is NOT_APPLICABLE
    assert so_ticket_echo(so_ok({"ticketId": 1}, {"ticketId": "12a"})) is NOT_APPLICABLE


def test_so_amount_echo():
    assert so_amount_echo(so_ok({"amount": Decimal("100.0")}, {"orderAmount": 100})) is None
    assert_fails("SO-AMOUNT-ECHO", so_amount_echo, so_ok({"amount": Decimal("99.99")}, {"orderAmount": 100}))
    assert_fails("SO-AMOUNT-ECHO", so_amount_echo, so_ok({"amount": "100"}, {"orderAmount": 100}))
    assert so_amount_echo(so_ok({"amount": 1}, {"orderAmount": "100"})) is NOT_APPLICABLE


def test_so_data():
    data = {"amount": 100, "balance": Decimal("1000.00"), "userId": "u1", "orderTime": 231412354534}
    assert so_data(so_ok(data, {})) is None
    assert_fails("SO-DATA", so_data, so_ok(data | {"userId": 12214234234}, {}))
    assert_fails("SO-DATA", so_data, so_ok(data | {"orderTime": "231412354534"}, {}))
    assert_fails("SO-DATA", so_data, so_ok({k: v for k, v in data.items() if k != "balance"}, {}))
    assert so_data(exchange("sportsbook-order", 400, {"code": 401, "msg": "x", "data": None})) is NOT_APPLICABLE


# BP-ECHO

BET_1 = dict(BET, betId="b1")
BET_2 = dict(BET, betId="b2", stake=Decimal("2.50"), selectionId="702")
SLIP = {"requestId": "r1", "userId": "user-0", "sessionToken": "s3ss10n-tok", "timestamp": "1", "bets": [BET_1, BET_2]}
PLACED = {"requestId": "r1", "userId": "user-0", "sessionToken": "s3ss10n-tok", "timestamp": "2", "status": "PLACED",
          "bets": [BET_1, BET_2]}


def test_bp_echo_passes_and_compares_decimals_by_value():
    assert bp_echo(exchange("bet-placement", 200, PLACED, SLIP)) is None
    text = exchange("bet-placement", 200, PLACED, SLIP).response_text.replace('"stake": 2.5', '"stake": 2.500')
    assert bp_echo(exchange("bet-placement", 200, text, SLIP)) is None


def test_bp_echo_matches_bets_by_id_in_any_order_and_numbers_as_doubles():
    assert bp_echo(exchange("bet-placement", 200, PLACED | {"bets": [BET_2, BET_1]}, SLIP)) is None
    huge = dict(BET_2, decimalPrice=2**53 + 1)
    sent = SLIP | {"bets": [BET_1, huge]}
    assert bp_echo(exchange("bet-placement", 200, PLACED | {"bets": [BET_1, dict(huge, decimalPrice=float(2**53))]},
                            sent)) is None


@pytest.mark.parametrize("change", [
    {"requestId": "r2"},
    {"bets": [BET_1]},
    {"bets": [BET_1, BET_2, dict(BET, betId="b3")]},
    {"bets": [BET_1, dict(BET_2, stake=Decimal("2.49"))]},
    {"bets": [BET_1, dict(BET_2, selectionId="703")]},
])
def test_bp_echo_fails(change):
    assert_fails("BP-ECHO", bp_echo, exchange("bet-placement", 200, PLACED | change, SLIP))


def test_bp_echo_does_not_apply_to_failures():
    assert bp_echo(exchange("bet-placement", 400, {"status": "FAILURE", "errorCode": "INVALID_USER"}, SLIP)) \
        is NOT_APPLICABLE
