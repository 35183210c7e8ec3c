"""The bet-placement checks (orderproof.apis.bet_placement.checks): the FAILURE shape and the echo of a
placed slip on hand-made answers; the scenario checks against a small model of the target, correct
or with one named bug. (Refusals: test_refusals.py.)"""

from decimal import Decimal

import pytest

from orderproof.apis.bet_placement.answers import is_placed
from orderproof.apis.bet_placement.checks import (
    bp_debit,
    bp_echo,
    bp_error_shape,
    bp_payout,
    bp_payout_precision,
    bp_pending,
)
from orderproof.checks.base import NOT_APPLICABLE
from tests.apis.fakes import (
    BET,
    assert_fails,
    assert_flow_fails,
    bet_placement,
    exchange,
    rule,
    run_flow,
)

# --- BP-ERROR-SHAPE ---------------------------------------------------------------------------------------


KEYED = {"X-Idempotency-Key": "5b0f6f57-8a3c-4f7e-9d1e-2a6c4b8d0e11"}     # as the suite sends every slip


def bp(status, body):
    return exchange("bet-placement", status, body, headers=KEYED)


@pytest.mark.parametrize("status, body", [
    (400, {"status": "FAILURE", "errorCode": "INSUFFICIENT_FUNDS"}),
    (401, {"status": "FAILURE", "errorCode": "INVALID_SESSION", "errorMessage": "expired"}),
    (403, {"status": "FAILURE", "errorCode": "AUTHENTICATION_FAILED"}),
    (400, {"status": "FAILURE", "errorCode": "INVALID_STAKE",
           "failedBets": [{"betId": "b1", "reason": {"maxStake": 500}}]}),
    (500, {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION"}),
    (400, {"status": "FAILURE", "errorCode": "INVALID_USER", "errorMessage": None}),
])
def test_bp_error_shape_passes(status, body):
    assert bp_error_shape(rule("BP-ERROR-SHAPE"), bp(status, body)) is None


@pytest.mark.parametrize("status, body", [
    (400, {"status": "FAILURE", "errorCode": "INVALID_SESSION"}),        # the table says 401
    (403, {"status": "FAILURE", "errorCode": "INVALID_USER"}),
    (400, {"status": "FAILURE", "errorCode": "NOT_IN_TABLE"}),
    (400, {"status": "FAILURE", "errorCode": "INVALID_STAKE"}),          # no failedBets
    (422, {"detail": [{"loc": ["body"], "msg": "field required"}]}),     # a framework 422
    (200, {"status": "FAILURE", "errorCode": "INVALID_USER"}),
    (400, {"status": "FAILURE", "errorCode": "INVALID_USER", "errorMessage": 5}),
    (422, {"status": "FAILURE", "errorCode": "INVALID_BET_DETAILS"}),   # only a repeated key's answer
    (409, {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION"}),
])
def test_bp_error_shape_fails(status, body):
    assert_fails("BP-ERROR-SHAPE", bp_error_shape, bp(status, body))


def test_bp_error_shape_takes_a_code_of_its_own_beyond_the_seeds_situations_only():
    """A request without a UUID X-Idempotency-Key, or sent alongside others for the same player, is in a
    situation the seed's error table does not cover: a 4xx with a code of the service's own passes."""
    own = {"status": "FAILURE", "errorCode": "REQUEST_IN_PROGRESS"}
    busy = bp(409, own)
    busy.extra["concurrent"] = True
    assert bp_error_shape(rule("BP-ERROR-SHAPE"), busy) is None
    for key in ("not-a-uuid", None):
        odd = exchange("bet-placement", 400, own | {"errorCode": "INVALID_IDEMPOTENCY_KEY"},
                       headers={} if key is None else {"X-Idempotency-Key": key})
        assert bp_error_shape(rule("BP-ERROR-SHAPE"), odd) is None
    spring = {"timestamp": "2026-12-04T14:00:00.000+00:00", "status": 400, "error": "Bad Request", "path": "/bet"}
    for key in ("not-a-uuid", None):            # a framework's answer to a required UUID header it did not get
        framework = exchange("bet-placement", 400, spring, headers={} if key is None else {"X-Idempotency-Key": key})
        assert bp_error_shape(rule("BP-ERROR-SHAPE"), framework) is None
    assert "not a FAILURE body" in assert_fails("BP-ERROR-SHAPE", bp_error_shape, bp(400, spring)).message
    assert "not in the documented table" in assert_fails("BP-ERROR-SHAPE", bp_error_shape, bp(409, own)).message
    busy_500 = bp(500, own)
    busy_500.extra["concurrent"] = True
    assert_fails("BP-ERROR-SHAPE", bp_error_shape, busy_500)        # a 5xx stays the table's


def test_bp_error_shape_does_not_apply_to_placed_slips():
    assert bp_error_shape(rule("BP-ERROR-SHAPE"), bp(200, {"status": "PLACED"})) is NOT_APPLICABLE


# --- BP-ECHO ----------------------------------------------------------------------------------------------

BET_1 = dict(BET, betId="b1")
BET_2 = dict(BET, betId="b2", stake=Decimal("2.50"), selectionId="702")
SLIP = {"requestId": "r1", "userId": "user-0", "sessionToken": "s3ss10n-tok", "timestamp": "1", "bets": [BET_1, BET_2]}
PLACED = {"requestId": "r1", "userId": "user-0", "sessionToken": "s3ss10n-tok", "timestamp": "2", "status": "PLACED",
          "bets": [BET_1, BET_2]}


def test_bp_echo_passes_and_compares_decimals_by_value():
    assert bp_echo(rule("BP-ECHO"), exchange("bet-placement", 200, PLACED, SLIP)) is None
    text = exchange("bet-placement", 200, PLACED, SLIP).response_text.replace('"stake": 2.5', '"stake": 2.500')
    assert bp_echo(rule("BP-ECHO"), exchange("bet-placement", 200, text, SLIP)) is None


def test_bp_echo_matches_bets_by_id_in_any_order_and_numbers_as_doubles():
    assert bp_echo(rule("BP-ECHO"), exchange("bet-placement", 200, PLACED | {"bets": [BET_2, BET_1]}, SLIP)) is None
    huge = dict(BET_2, decimalPrice=2**53 + 1)
    sent = SLIP | {"bets": [BET_1, huge]}
    assert bp_echo(rule("BP-ECHO"), exchange("bet-placement", 200, PLACED | {
        "bets": [BET_1, dict(huge, decimalPrice=float(2**53))]}, sent)) is None


def test_bp_echo_reads_uuids_in_either_case():
    request_id, bet_id = "3F2504E0-4F89-41D3-9A0C-0305E82C3301", "7C9E6679-7425-40DE-944B-E07FC1F90AE7"
    sent = SLIP | {"requestId": request_id, "bets": [dict(BET_1, betId=bet_id), BET_2]}
    lower = PLACED | {"requestId": request_id.lower(), "bets": [dict(BET_1, betId=bet_id.lower()), BET_2]}
    assert bp_echo(rule("BP-ECHO"), exchange("bet-placement", 200, lower, sent)) is None   # a UUID-typed field
    other = lower | {"requestId": "3f2504e0-4f89-41d3-9a0c-0305e82c3302"}
    assert "requestId" in assert_fails("BP-ECHO", bp_echo, exchange("bet-placement", 200, other, sent)).message


def test_bp_echo_compares_the_optional_event_alt_id_only_when_the_answer_carries_it():
    sent = SLIP | {"bets": [dict(BET_1, eventAltId="dde-1"), BET_2]}
    for answered in (BET_1, dict(BET_1, eventAltId=None), dict(BET_1, eventAltId="dde-1")):
        assert bp_echo(rule("BP-ECHO"), exchange("bet-placement", 200, PLACED | {"bets": [answered, BET_2]}, sent)) is None
    assert_fails("BP-ECHO", bp_echo, exchange("bet-placement", 200, PLACED | {
        "bets": [dict(BET_1, eventAltId="dde-2"), BET_2]}, sent))


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
    assert bp_echo(rule("BP-ECHO"), exchange("bet-placement", 400, {"status": "FAILURE", "errorCode": "INVALID_USER"},
                                             SLIP)) is NOT_APPLICABLE


# --- BP-PAYOUT / BP-PENDING / BP-DEBIT: a placed slip (flows) ----------------------------------------------


def test_bp_payout_passes_on_exact_payouts():
    run_flow("BP-PAYOUT", bp_payout, bet_placement())
    run_flow("BP-PAYOUT-PRECISION", bp_payout_precision, bet_placement())


def stored_as(change):
    """A correct target whose stored bets are then changed by ``change(stored bet)``."""
    correct = bet_placement()

    def target(flow, request):
        reply = correct(flow, request)
        for state in flow.states.values():
            for bet in state["bets"]:
                change(bet)
        return reply

    return target


def payout_of(rounding):
    def change(bet):
        if not bet.get("rounded"):
            bet["rounded"] = True
            bet["potentialPayout"] = str(rounding(Decimal(bet["stake"]), Decimal(bet["decimalPrice"])))
    return change


def test_bp_payout_takes_any_rounding_to_the_cent_and_the_precision_takes_each_one_way():
    truncated = payout_of(lambda stake, price: (stake * price).quantize(Decimal("0.01"), rounding="ROUND_DOWN"))
    float_rounded = payout_of(lambda stake, price: round(float(stake) * float(price), 2))
    for change in (truncated, float_rounded):
        run_flow("BP-PAYOUT", bp_payout, stored_as(change), max_examples=40)
        run_flow("BP-PAYOUT-PRECISION", bp_payout_precision, stored_as(change), max_examples=40)


def test_bp_payout_fails_when_the_stake_is_left_out():
    without_stake = payout_of(lambda stake, price: stake * (price - 1))
    failure = assert_flow_fails("BP-PAYOUT", bp_payout, stored_as(without_stake))
    assert "potentialPayout" in failure.message


def test_bp_payout_precision_fails_on_single_precision_payouts():
    failure = assert_flow_fails("BP-PAYOUT-PRECISION", bp_payout_precision, bet_placement("float-payout"))
    assert "potentialPayout" in failure.message


@pytest.mark.parametrize("status", ["pending", "PENDING", "open", "unsettled", "accepted", "PLACED", "active",
                                    "TO_BE_SETTLED", "BET_NOT_SETTLED", "not yet resulted", "waiting to be resulted",
                                    "AwaitingSettlement", "un-settled"])
def test_bp_pending_passes_on_any_status_that_awaits_the_result(status):
    run_flow("BP-PENDING", bp_pending, stored_as(lambda bet: bet.update(status=status)))


@pytest.mark.parametrize("status", ["SETTLED", "won", "lost", "void", "cancelled", "rejected", "", None,
                                    "SETTLED_WON", "failed to settle", "bet-lost"])
def test_bp_pending_fails_on_a_status_of_a_resulted_or_dead_bet(status):
    failure = assert_flow_fails("BP-PENDING", bp_pending, stored_as(lambda bet: bet.update(status=status)))
    assert "awaits its result" in failure.message


def test_placed_slip_flows_fail_when_the_valid_slip_is_refused():
    def refuses(flow, request):
        return 400, {"status": "FAILURE", "errorCode": "INVALID_USER"}

    assert "was not placed" in assert_flow_fails("BP-PENDING", bp_pending, refuses).message


def test_bp_debit_passes_on_a_correct_target():
    run_flow("BP-DEBIT", bp_debit, bet_placement())


def test_bp_debit_fails_when_nothing_is_debited():
    assert "balance moved" in assert_flow_fails("BP-DEBIT", bp_debit, bet_placement("no-debit")).message


def test_a_placed_slip_is_placed_at_any_2xx():
    """The seed gives the PLACED answer no status: 200, or 201 for the bets it created."""
    placed = {"status": "PLACED", "requestId": "r", "bets": []}
    assert is_placed(exchange("bet-placement", 200, placed)) and is_placed(exchange("bet-placement", 201, placed))
    assert not is_placed(exchange("bet-placement", 400, placed))
    assert not is_placed(exchange("bet-placement", 201, {"status": "FAILURE", "errorCode": "INVALID_USER"}))


# --- a refreshed session ("Original or refreshed") ---------------------------------------------------------


def test_a_placed_answer_hands_its_refreshed_session_token_to_the_players_later_slips():
    """(End to end: variation bp-session-rotate, whose old token stops working.)"""
    from orderproof.apis.bet_placement import api
    from orderproof.core import masking

    masking.reset_registry()
    player = {"userId": "u-1", "sessionToken": "old"}
    api.carry_forward(bp(201, {"status": "PLACED", "userId": "u-1", "sessionToken": "new-token-0123456789"}), player)
    assert player["sessionToken"] == "new-token-0123456789"
    assert "new-token-0123456789" not in masking.mask_text("sent new-token-0123456789")    # a secret, masked
    for status, answer in [(400, {"status": "FAILURE", "userId": "u-1", "sessionToken": "other"}),
                           (201, {"status": "PLACED", "userId": "u-2", "sessionToken": "other"}),
                           (201, {"status": "PLACED", "userId": "u-1", "sessionToken": ""})]:
        api.carry_forward(bp(status, answer), player)
        assert player["sessionToken"] == "new-token-0123456789", answer
