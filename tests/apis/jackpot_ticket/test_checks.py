"""The jackpot-ticket checks (orderproof.apis.jackpot_ticket.checks): cents, echoes, currency, taxes,
odds and payouts, times on hand-made answers; the odds tolerance, business errors, the signature and
the operator header against a small model of the ticket engine, correct or with one named bug."""

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from orderproof.apis.jackpot_ticket.checks import (
    jt_auth,
    jt_cents,
    jt_currency,
    jt_echo,
    jt_error_codes,
    jt_errors,
    jt_excise_rate,
    jt_excise_sum,
    jt_gross_payout,
    jt_net_payout,
    jt_odds,
    jt_odds_diff,
    jt_operator_header,
    jt_times,
    jt_wht_rate,
)
from orderproof.checks.base import NOT_APPLICABLE, NotVerified
from orderproof.checks.conventions import ConventionBook
from tests.apis.fakes import (
    assert_fails,
    assert_flow_fails,
    exchange,
    rule,
    run_flow,
    ticket_engine,
    validation_422_for,
)

# the provider's calculator example: price 1000, odds 1.20 x 1.90 x 1.50 = 3.42, ext 12.5, wht 20
TICKET = {"price": 1000, "stake": 889, "ext_amount": 111, "ext": Decimal("12.5"), "ext_type": "inclusive",
          "gross_payout": 3040, "net_payout": 2610, "wht_amount": 430, "wht": Decimal("20.0"), "currency": "EUR"}
JACKPOT = TICKET | {"prize": 1_000_000, "bonus_prizes": [10_000, 5_000]}
PAYOUT = {"price": 1000, "stake": 889, "ext_amount": 111, "ext": Decimal("12.5"), "odds": Decimal("3.42"),
          "gross_payout": 3040, "wht": Decimal("20.0"), "wht_amount": 430, "net_payout": 2610}
EVENTS = {"events": [{"id": 1, "bet": 11, "odds": Decimal("1.20")}, {"id": 2, "bet": 21, "odds": Decimal("1.90")},
                     {"id": 3, "bet": 31, "odds": Decimal("1.50")}]}
REQUEST = {"operator": "site", "token": "t0k3n-secret", "price": 2000, "currency": "KES", "atag": "affiliate-1",
           "source": "mobile", "type": "jackpot", "event": 100001, "bets": [101, 102], "betcard_code": "BC-1",
           "prize": 1_000_000, "bonus_prizes": [10_000, 5_000]}
ECHOED = {"price": 2000, "currency": "KES", "atag": "affiliate-1", "source": "mobile", "type": "jackpot",
          "betcard_code": "BC-1", "prize": 1_000_000, "bonus_prizes": [10_000, 5_000]}
TIMES = {"created": "2024-07-11T18:40:52.995000", "operator_time_created": "2024-07-11T20:40:52.995000",
         "updated": "2024-07-11T18:40:53.013000", "operator_time_updated": "2024-07-11T20:40:53.013000"}
JT = "jackpot-ticket"


def jt(body, status=200, request=None):
    return exchange(JT, status, body, request)


# --- JT-CENTS ---------------------------------------------------------------------------------------------


def test_cents_passes_on_integer_literals():
    assert jt_cents(rule("JT-CENTS"), jt(JACKPOT)) is None


def test_jt_cents_fails_on_a_decimal_bonus_prize():
    body = '{"price": 1000, "prize": 1000000, "bonus_prizes": [10000, 5000.0]}'
    assert "bonus_prizes[1]" in assert_fails("JT-CENTS", jt_cents, jt(body)).message


def test_cents_does_not_apply_to_errors_or_non_json():
    assert jt_cents(rule("JT-CENTS"), jt('{"code": 103, "price": 1.5}', status=400)) is NOT_APPLICABLE
    assert jt_cents(rule("JT-CENTS"), jt("not json")) is NOT_APPLICABLE


# --- JT-ECHO ----------------------------------------------------------------------------------------------


def test_jt_echo_passes():
    assert jt_echo(rule("JT-ECHO"), jt(ECHOED, request=REQUEST)) is None


@pytest.mark.parametrize("change", [{"price": 1999}, {"source": "desktop"}, {"atag": "other"},
                                    {"bonus_prizes": [10_000]}, {"betcard_code": "BC-2"}])
def test_jt_echo_fails_on_a_changed_field(change):
    failure = assert_fails("JT-ECHO", jt_echo, jt(ECHOED | change, request=REQUEST))
    assert next(iter(change)) in failure.message


def test_jt_echo_takes_a_listed_word_in_its_canonical_form_but_not_another_word_or_tag():
    sent = REQUEST | {"currency": "kes", "source": " Mobile", "type": "JACKPOT"}
    assert jt_echo(rule("JT-ECHO"), jt(ECHOED, request=sent)) is None      # KES, mobile, jackpot answered
    assert "source" in assert_fails("JT-ECHO", jt_echo, jt(ECHOED | {"source": "mobil"}, request=sent)).message
    tagged = REQUEST | {"atag": "Affiliate-1"}                                # a tag is opaque: exact
    assert "atag" in assert_fails("JT-ECHO", jt_echo, jt(ECHOED, request=tagged)).message
    padded = REQUEST | {"atag": f" {ECHOED['atag']} "}                         # but may be stored trimmed
    assert jt_echo(rule("JT-ECHO"), jt(ECHOED, request=padded)) is None


# --- JT-CURRENCY ------------------------------------------------------------------------------------------


def test_currency_passes_when_echoed():
    assert jt_currency(rule("JT-CURRENCY"), jt(TICKET, request={"currency": "EUR"})) is None


def test_currency_passes_on_the_request_code_in_upper_case_and_fails_on_lower_case_or_another():
    assert jt_currency(rule("JT-CURRENCY"), jt(TICKET | {"currency": "KES"}, request={"currency": "kes"})) is None
    assert_fails("JT-CURRENCY", jt_currency, jt(TICKET | {"currency": "kes"}, request={"currency": "kes"}))
    assert_fails("JT-CURRENCY", jt_currency, jt(TICKET | {"currency": "EUR"}, request={"currency": "KES"}))


def test_currency_does_not_apply_without_a_request_object_or_to_a_400():
    assert jt_currency(rule("JT-CURRENCY"), jt(TICKET, request=None)) is NOT_APPLICABLE
    assert jt_currency(rule("JT-CURRENCY"), jt({"code": 112, "message": "x"}, status=400,
                                               request={"currency": "EUR"})) is NOT_APPLICABLE


# --- JT-EXCISE-SUM / JT-EXCISE-RATE -----------------------------------------------------------------------


def test_excise_sum_passes():
    assert jt_excise_sum(rule("JT-EXCISE-SUM"), jt(TICKET)) is None


def test_excise_sum_does_not_apply_to_other_ext_types_or_missing_fields():
    with pytest.raises(NotVerified, match="ext_type is 'exclusive'"):     # NOT VERIFIED if no ticket is inclusive
        jt_excise_sum(rule("JT-EXCISE-SUM"), jt(TICKET | {"ext_type": "exclusive"}))
    assert jt_excise_sum(rule("JT-EXCISE-SUM"), jt({"price": 1000})) is NOT_APPLICABLE


@pytest.mark.parametrize("price, stake", [(1000, 889), (1125, 1000), (9, 8)])
def test_excise_rate_passes_on_the_rounded_stake(price, stake):
    body = TICKET | {"price": price, "stake": stake, "ext_amount": price - stake}
    assert jt_excise_rate(rule("JT-EXCISE-RATE"), jt(body)) is None


def test_excise_rate_fails_on_truncation():
    assert_fails("JT-EXCISE-RATE", jt_excise_rate, jt(TICKET | {"stake": 888, "ext_amount": 112}))


# --- JT-NET-PAYOUT / JT-WHT-RATE --------------------------------------------------------------------------


def test_net_payout_passes_fails_and_does_not_apply():
    assert jt_net_payout(rule("JT-NET-PAYOUT"), jt(PAYOUT)) is None
    assert_fails("JT-NET-PAYOUT", jt_net_payout, jt(PAYOUT | {"net_payout": 3040}))
    assert jt_net_payout(rule("JT-NET-PAYOUT"), jt({"net_payout": 1})) is NOT_APPLICABLE
    assert jt_net_payout(rule("JT-NET-PAYOUT"), jt(PAYOUT, status=400)) is NOT_APPLICABLE


@pytest.mark.parametrize("net_payout", [2609, 2611])
def test_net_payout_takes_a_cent_off_from_rounding_each_field(net_payout):
    # each field rounded from the exact amounts: gross 100.6 -> 101, tax 10.4 -> 10, net 90.2 -> 90 (not 91)
    assert jt_net_payout(rule("JT-NET-PAYOUT"), jt(PAYOUT | {"net_payout": net_payout})) is None
    assert_fails("JT-NET-PAYOUT", jt_net_payout, jt(PAYOUT | {"net_payout": 2608}))


def test_wht_rate_passes_on_the_calculator_example_and_on_no_winnings():
    assert jt_wht_rate(rule("JT-WHT-RATE"), jt(PAYOUT)) is None
    assert jt_wht_rate(rule("JT-WHT-RATE"), jt(PAYOUT | {"gross_payout": 800, "wht_amount": 0, "net_payout": 800})) \
        is None


@pytest.mark.parametrize("wht_amount", [608, 431, -18])  # tax on the gross; off by a cent; negative tax
def test_wht_rate_fails_on_a_wrong_base_or_rounding(wht_amount):
    assert_fails("JT-WHT-RATE", jt_wht_rate, jt(PAYOUT | {"wht_amount": wht_amount}))


def test_wht_rate_accepts_half_even_and_half_up():
    # winnings 2151 * 10% = 215.1 -> 215; winnings 5 * 10% = 0.5 -> 0 (even) or 1 (up)
    for wht_amount in (0, 1):
        assert jt_wht_rate(rule("JT-WHT-RATE"), jt({"stake": 10, "gross_payout": 15, "wht": 10,
                                                    "wht_amount": wht_amount})) is None


# --- JT-ODDS / JT-GROSS-PAYOUT ----------------------------------------------------------------------------


def test_odds_passes_on_the_product_and_its_2_decimal_rounding():
    assert jt_odds(rule("JT-ODDS"), jt(PAYOUT, request=EVENTS)) is None
    request = {"events": [{"odds": Decimal("1.85")}, {"odds": Decimal("3.40")}]}  # 6.29 exactly
    assert jt_odds(rule("JT-ODDS"), jt({"odds": Decimal("6.29"), "stake": 100, "gross_payout": 629},
                                       request=request)) is None
    request = {"events": [{"odds": Decimal("1.15")}, {"odds": Decimal("1.15")}]}  # 1.3225 -> 1.32
    assert jt_odds(rule("JT-ODDS"), jt({"odds": Decimal("1.32"), "stake": 100, "gross_payout": 132},
                                       request=request)) is None
    assert jt_odds(rule("JT-ODDS"), jt({"odds": Decimal("1.3225"), "stake": 100, "gross_payout": 132},
                                       request=request)) is None


def test_odds_takes_the_product_in_double_precision_and_fails_a_sum_or_a_coarser_rounding():
    request = {"events": [{"odds": Decimal("1.15")}, {"odds": Decimal("1.15")}]}
    float_product = Decimal(repr(1.15 * 1.15))  # 1.3224999999999998: the page types odds float
    assert jt_odds(rule("JT-ODDS"), jt({"odds": float_product, "stake": 100, "gross_payout": 132},
                                       request=request)) is None
    assert_fails("JT-ODDS", jt_odds, jt(PAYOUT | {"odds": Decimal("4.60")}, request=EVENTS))      # the sum
    assert_fails("JT-ODDS", jt_odds, jt({"odds": Decimal("1.3")}, request=request))              # 1 decimal


def test_odds_takes_the_product_truncated_or_rounded_step_by_step():
    request = {"events": [{"odds": Decimal("1.85")}, {"odds": Decimal("2.10")}, {"odds": Decimal("3.40")}]}
    for odds in ("13.20", "13.209", "13.21", "13.19", "13.2"):   # 13.209 truncated; 3.885 -> 3.88 -> 13.192 -> 13.19
        assert jt_odds(rule("JT-ODDS"), jt({"odds": Decimal(odds)}, request=request)) is None, odds
    request = {"events": [{"odds": Decimal("1.15")}, {"odds": Decimal("1.15")}, {"odds": Decimal("1.15")}]}
    # 1.520875 exactly; step by step 1.3225 -> 1.32, then 1.518 -> 1.52 (rounded) or 1.51 (truncated)
    for odds in ("1.52", "1.51", "1.520875", "1.5209", "1.53", "1.521"):      # any rounding: the page gives none
        assert jt_odds(rule("JT-ODDS"), jt({"odds": Decimal(odds)}, request=request)) is None, odds
    for odds in ("1.5", "1.54", "1.519", "1.5219"):
        assert_fails("JT-ODDS", jt_odds, jt({"odds": Decimal(odds)}, request=request))
    # rounded up at every step: 1.85 -> 3.4225 -> 3.43 -> 6.3455 -> 6.35 (the product 6.331625 rounds to 6.34 at most)
    request = {"events": [{"odds": Decimal("1.85")}] * 3}
    assert jt_odds(rule("JT-ODDS"), jt({"odds": Decimal("6.35")}, request=request)) is None
    assert_fails("JT-ODDS", jt_odds, jt({"odds": Decimal("6.36")}, request=request))


def test_odds_takes_the_product_in_single_precision():
    """The page types odds "float": 1.85f x 2.10f x 3.40f in float32 is 13.209001, not 13.209."""
    request = {"events": [{"odds": Decimal("1.85")}, {"odds": Decimal("2.10")}, {"odds": Decimal("3.40")}]}
    assert jt_odds(rule("JT-ODDS"), jt({"odds": Decimal("13.209001")}, request=request)) is None
    assert_fails("JT-ODDS", jt_odds, jt({"odds": Decimal("13.2093")}, request=request))


def test_odds_may_use_the_current_odds_one_way_through_the_run():
    book = ConventionBook()
    submitted = jt(PAYOUT, request=EVENTS)
    current = jt(PAYOUT | {"odds": Decimal("3.5625")}, request=EVENTS)   # 1.25 x 1.90 x 1.50
    for ex in (current, submitted):
        ex.extra["current_odds"] = ["1.25", "1.90", "1.50"]
        object.__setattr__(ex, "conventions", book)
    assert jt_odds(rule("JT-ODDS"), current) is None
    assert "odds-source" in assert_fails("JT-ODDS", jt_odds, submitted).message


def test_odds_may_take_the_better_odds_for_the_player_event_by_event_one_way_through_the_run():
    """Submitted 1.20 1.90 1.50: against current 1.25 1.85 1.50 the better odds make 1.25 x 1.90 x
    1.50 = 3.5625 (neither the submitted 3.42 nor the current 3.46875); against current 1.15 1.90
    1.50 they are the submitted ones. A ticket of the current (worse) odds then breaks the reading."""
    book = ConventionBook()

    def ticket(odds: str, current: list[str]) -> Any:
        ex = jt(PAYOUT | {"odds": Decimal(odds)}, request=EVENTS)
        ex.extra["current_odds"] = current
        object.__setattr__(ex, "conventions", book)
        return ex

    assert jt_odds(rule("JT-ODDS"), ticket("3.5625", ["1.25", "1.85", "1.50"])) is None
    assert jt_odds(rule("JT-ODDS"), ticket("3.42", ["1.15", "1.90", "1.50"])) is None
    assert book.allowed("jackpot-ticket.odds-source") == ("better",)
    assert "odds-source" in assert_fails("JT-ODDS", jt_odds, ticket("3.2775", ["1.15", "1.90", "1.50"])).message
    assert_fails("JT-ODDS", jt_odds, ticket("3.60", ["1.25", "1.85", "1.50"]))                 # no reading at all


@pytest.mark.parametrize("gross, option", [(3040, "stake-times-odds"), (0, "zero-until-resulted"),
                                           (1_000_000, "betcard-prize")])
def test_gross_payout_follows_any_reading(gross, option):
    book = ConventionBook()
    ex = jt(PAYOUT | {"gross_payout": gross}, request=EVENTS | {"prize": 1_000_000})
    object.__setattr__(ex, "conventions", book)
    assert jt_gross_payout(rule("JT-GROSS-PAYOUT"), ex) is None
    assert option in book.allowed("jackpot-ticket.gross-payout")


def test_wht_and_gross_payout_may_be_truncated_the_page_gives_no_rounding():
    # winnings 9 x 10% = 0.9: 0 truncated (1 rounded); stake 3636 x odds 6.331625 = 23021.99: 23021 truncated
    assert jt_wht_rate(rule("JT-WHT-RATE"), jt({"stake": 10, "gross_payout": 19, "wht": 10, "wht_amount": 0})) is None
    ex = jt({"stake": 3636, "odds": Decimal("6.331625"), "gross_payout": 23021}, request={})
    object.__setattr__(ex, "conventions", ConventionBook())
    assert jt_gross_payout(rule("JT-GROSS-PAYOUT"), ex) is None


def test_gross_payout_fails_when_it_is_none_of_them():
    failure = assert_fails("JT-GROSS-PAYOUT", jt_gross_payout, jt(PAYOUT | {"gross_payout": 3420},
                                                                  request=EVENTS | {"prize": 1_000_000}))
    assert "gross_payout" in failure.message


def test_odds_does_not_apply_without_events_or_numbers():
    assert jt_odds(rule("JT-ODDS"), jt(PAYOUT, request={"events": []})) is NOT_APPLICABLE
    assert jt_odds(rule("JT-ODDS"), jt(PAYOUT, request={"events": [{"odds": "1.5"}]})) is NOT_APPLICABLE
    assert jt_odds(rule("JT-ODDS"), jt(PAYOUT, status=422, request=EVENTS)) is NOT_APPLICABLE


# --- JT-TIMES ---------------------------------------------------------------------------------------------


def test_times_pass_on_negative_offsets():
    west = TIMES | {"operator_time_created": "2024-07-11T13:10:52.995000",
                    "operator_time_updated": "2024-07-11T13:10:53.013000"}
    assert jt_times(rule("JT-TIMES"), dataclasses.replace(jt(west), extra={"operator_timezone_offset": "-05:30"})) is None


@pytest.mark.parametrize("change", [
    {"created": "2024-07-11T18:40:52Z"},
    {"created": "2024-07-11T18:40:52.995000+00:00"},
    {"updated": "2024-07-11 18:40:53.013000"},
    {"updated": "2024-07-11T18:40:52.000000"},                          # before created
    {"operator_time_updated": "2024-07-11T21:40:53.013000"},            # two offsets
    {"operator_time_created": "2024-07-12T10:40:52.995000",
     "operator_time_updated": "2024-07-12T10:40:53.013000"},            # 16 h
    {"operator_time_created": "2024-07-11T20:40:57.995000",
     "operator_time_updated": "2024-07-11T20:40:58.013000"},            # not whole minutes
    {"operator_time_updated": None},
])
def test_times_fail(change):
    assert_fails("JT-TIMES", jt_times, jt(TIMES | change))


def test_times_take_two_clock_reads_microseconds_apart():
    apart = TIMES | {"operator_time_created": "2024-07-11T20:40:52.995137",
                     "operator_time_updated": "2024-07-11T20:40:53.012890"}
    assert jt_times(rule("JT-TIMES"), dataclasses.replace(jt(apart), extra={"operator_timezone_offset": "+02:00"})) \
        is None


def test_times_compare_with_the_operator_zone_when_the_runner_knows_it():
    plus_two = dataclasses.replace(jt(TIMES), extra={"operator_timezone_offset": "+02:00"})
    assert jt_times(rule("JT-TIMES"), plus_two) is None


# --- JT-ODDS-DIFF (flow) ----------------------------------------------------------------------------------


def test_odds_diff_passes_on_a_correct_target():
    run_flow("JT-ODDS-DIFF", jt_odds_diff, ticket_engine())


def test_odds_diff_fails_when_odds_are_not_checked():
    assert "not rejected" in assert_flow_fails("JT-ODDS-DIFF", jt_odds_diff, ticket_engine("no-odds-check")).message


def test_odds_diff_fails_when_any_deviation_is_rejected():
    assert "within odds_diff" in assert_flow_fails("JT-ODDS-DIFF", jt_odds_diff,
                                                   ticket_engine("odds-check-strict")).message


def test_odds_diff_fails_when_unchanged_odds_are_refused_at_zero():
    """odds_diff 0 allows no difference, so odds that did not move are no difference: accepted."""
    failure = assert_flow_fails("JT-ODDS-DIFF", jt_odds_diff, ticket_engine("odds-limit-exclusive"))
    assert "whose odds did not move" in failure.message and "deviation 0), odds_diff 0" in failure.message
    assert "don't allow any odds difference" in str(failure.documented)


def test_odds_diff_fails_when_a_rejected_ticket_is_stored():
    assert "stored" in assert_flow_fails("JT-ODDS-DIFF", jt_odds_diff, ticket_engine("stores-rejected")).message


# --- JT-ERRORS / JT-ERROR-CODES (flows) -------------------------------------------------------------------


def test_jt_errors_flows_pass_on_a_correct_engine():
    run_flow("JT-ERRORS", jt_errors, ticket_engine(), max_examples=10)
    run_flow("JT-ERROR-CODES", jt_error_codes, ticket_engine(), max_examples=10)


def test_jt_errors_flows_fail_on_wrong_codes_and_on_stored_tickets():
    assert "tickets changed" in assert_flow_fails("JT-ERRORS", jt_errors, ticket_engine("stores-rejected")).message
    assert "expected 400 with code 112" in assert_flow_fails("JT-ERROR-CODES", jt_error_codes,
                                                             ticket_engine("wrong-code")).message


def test_jt_errors_accepts_any_code_the_jackpot_page_lost():
    run_flow("JT-ERRORS", jt_errors, ticket_engine("wrong-code"), max_examples=5)


def test_jt_error_codes_holds_an_unknown_betcard_to_400_with_any_code():
    correct = ticket_engine()

    def betcard_code(status, code):
        def respond(flow, request):
            answer, payload = correct(flow, request)
            return (status, dict(payload, code=code)) if payload.get("code") == 118 else (answer, payload)
        return respond

    run_flow("JT-ERROR-CODES", jt_error_codes, betcard_code(400, 102), max_examples=5)
    assert "unknown betcard: expected 400" in assert_flow_fails("JT-ERROR-CODES", jt_error_codes,
                                                                betcard_code(404, 118)).message
    run_flow("JT-ERRORS", jt_errors, betcard_code(404, 118), max_examples=5)     # not the page's situation


def test_jt_errors_takes_a_code_anywhere_in_a_400_body_or_a_422():
    correct = ticket_engine()

    def reshaped(status, shape):
        def respond(flow, request):
            answer, payload = correct(flow, request)
            return (status, shape(payload)) if answer == 400 else (answer, payload)
        return respond

    run_flow("JT-ERRORS", jt_errors, reshaped(400, lambda p: {"detail": {"code": p["code"], "msg": "x"}}),
             max_examples=5)
    run_flow("JT-ERRORS", jt_errors, reshaped(422, lambda p: {"detail": [{"msg": "x"}]}), max_examples=5)
    for key in ("error_code", "errorCode", "errCode", "error", "errorId"):   # the page names no key for the code
        run_flow("JT-ERRORS", jt_errors, reshaped(400, lambda p, key=key: {key: p["code"], "message": "x"}),
                 max_examples=5)
    run_flow("JT-ERRORS", jt_errors, reshaped(400, lambda p: {"error": "EVENT_NOT_FOUND"}), max_examples=5)
    failure = assert_flow_fails("JT-ERRORS", jt_errors, reshaped(400, lambda p: {"message": p["message"]}))
    assert "no error code" in failure.message
    failure = assert_flow_fails("JT-ERRORS", jt_errors, reshaped(400, lambda p: {"error": p["message"]}))
    assert "no error code" in failure.message                   # a phrase under "error" is a message


# --- JT-AUTH / JT-OPERATOR-HEADER (flows) -----------------------------------------------------------------


def test_jt_auth_passes_and_fails_when_the_signature_is_ignored():
    run_flow("JT-AUTH", jt_auth, ticket_engine())
    assert "403" in assert_flow_fails("JT-AUTH", jt_auth, ticket_engine("ignore-signature")).message


def test_jt_auth_takes_any_403_body_and_fails_another_status():
    correct = ticket_engine()

    def bare(status, payload):
        def respond(flow, request):
            answer = correct(flow, request)
            return (status, payload) if answer[0] == 403 else answer
        return respond

    run_flow("JT-AUTH", jt_auth, bare(403, ""), max_examples=5)
    assert "did not get 403" in assert_flow_fails("JT-AUTH", jt_auth, bare(401, {"detail": "unauthorized"})).message


def test_operator_header_passes_and_fails_when_the_header_is_not_compared():
    run_flow("JT-OPERATOR-HEADER", jt_operator_header, ticket_engine())
    failure = assert_flow_fails("JT-OPERATOR-HEADER", jt_operator_header, ticket_engine("ignore-operator-header"))
    assert "operator header differs" in failure.message and "(or 403" in failure.message


def test_operator_header_fails_when_the_body_operator_is_never_compared_with_the_header():
    failure = assert_flow_fails("JT-OPERATOR-HEADER", jt_operator_header, ticket_engine("header-operator-only"))
    assert "body names another operator: expected a refusal (any 4xx)" in failure.message


def test_operator_header_takes_no_422_for_the_mismatch_alone():
    failure = assert_flow_fails("JT-OPERATOR-HEADER", jt_operator_header, validation_422_for(115))
    assert "operator header differs, body signs: expected 400" in failure.message and "or 422" not in failure.message
    assert "operator header differs:" not in failure.message        # that one comes with a second error


def test_jt_errors_take_a_422_for_any_situation_and_jt_error_codes_for_an_unknown_bet_only():
    run_flow("JT-ERRORS", jt_errors, validation_422_for(103), max_examples=5)          # the page lost its bodies
    run_flow("JT-ERROR-CODES", jt_error_codes, validation_422_for(106), max_examples=5)  # no code named for it
    run_flow("JT-ERROR-CODES", jt_error_codes, validation_422_for(103), max_examples=5)  # nor for its bet, then
    assert "operator without webhook: expected 400 with code 114" in assert_flow_fails(
        "JT-ERROR-CODES", jt_error_codes, validation_422_for(114)).message
