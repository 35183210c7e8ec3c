"""The superbet-reserve checks (orderproof.apis.superbet_reserve.checks): cents, echoes, currency, the
reservation's state and zero payouts, taxes, times on hand-made answers; the documented errors and
the signature against a small model of the ticket engine, correct or with one named bug."""

import dataclasses
from decimal import Decimal

import pytest

from orderproof import registry
from orderproof.apis.superbet_reserve.checks import (
    sr_auth,
    sr_cents,
    sr_currency,
    sr_echo,
    sr_errors,
    sr_excise_amount,
    sr_excise_rate,
    sr_excise_sum,
    sr_state,
    sr_times,
    sr_zero_payout,
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

TICKET = {"price": 1000, "stake": 889, "ext_amount": 111, "ext": Decimal("12.5"), "ext_type": "inclusive",
          "gross_payout": 3040, "net_payout": 2610, "wht_amount": 430, "wht": Decimal("20.0"), "currency": "EUR"}
REQUEST = {"operator": "site", "token": "t0k3n-secret", "price": 2000, "currency": "KES", "atag": "affiliate-1",
           "source": "mobile", "type": "superbet", "event": 100001, "bets": [101, 102]}
ECHOED = {"price": 2000, "currency": "KES", "atag": "affiliate-1", "source": "mobile", "type": "superbet"}
TIMES = {"created": "2024-07-11T18:40:52.995000", "operator_time_created": "2024-07-11T20:40:52.995000",
         "updated": "2024-07-11T18:40:53.013000", "operator_time_updated": "2024-07-11T20:40:53.013000"}
SR = "superbet-reserve"


def sr(body, status=200, request=None):
    return exchange(SR, status, body, request)


# --- SR-CENTS ---------------------------------------------------------------------------------------------


def test_cents_passes_on_integer_literals():
    assert sr_cents(rule("SR-CENTS"), sr(TICKET)) is None


@pytest.mark.parametrize("text", ['{"price": 3500.0, "stake": 3000}', '{"price": "3500"}', '{"stake": true}'])
def test_cents_fails_on_a_decimal_literal_string_or_bool(text):
    failure = assert_fails("SR-CENTS", sr_cents, sr(text))
    assert "integer" in failure.message


# --- SR-ECHO ----------------------------------------------------------------------------------------------


def test_sr_echo_passes():
    assert sr_echo(rule("SR-ECHO"), sr(ECHOED, request=REQUEST)) is None


def test_ticket_echo_skips_an_atag_the_request_left_out():
    request = {k: v for k, v in REQUEST.items() if k != "atag"}
    assert sr_echo(rule("SR-ECHO"), sr(ECHOED | {"atag": None}, request=request)) is None


def test_ticket_echo_skips_an_atag_the_answer_leaves_out_or_answers_null_but_not_another_one():
    """The response row says "Optional affiliate Tag" too: a service that does not keep it leaves it
    out or writes the unset field as null (as common serializers do); another tag is not the one sent."""
    answer = {k: v for k, v in ECHOED.items() if k != "atag"}
    assert sr_echo(rule("SR-ECHO"), sr(answer, request=REQUEST)) is None
    for sent in (REQUEST["atag"], "", "  "):
        assert sr_echo(rule("SR-ECHO"), sr(ECHOED | {"atag": None}, request=REQUEST | {"atag": sent})) is None
    assert "atag" in assert_fails("SR-ECHO", sr_echo, sr(ECHOED | {"atag": "other"}, request=REQUEST)).message


@pytest.mark.parametrize("sent, got", [(2**53 + 1, 2**53), (2**63 - 1, 2**63), ("2000", 2000)])
def test_ticket_echo_compares_numbers_as_values_also_as_doubles(sent, got):
    assert sr_echo(rule("SR-ECHO"), sr(ECHOED | {"price": got}, request=REQUEST | {"price": sent})) is None


@pytest.mark.parametrize("sent, got", [(Decimal("1000.75"), 1000), (Decimal("1000.75"), 1001), (1000, 1001),
                                       (Decimal("1000.75"), Decimal("1000.5"))])
def test_ticket_echo_fails_on_a_price_truncated_rounded_or_changed(sent, got):
    """1000.75 read as 1000 (Jackson truncates) or 1001 makes a ticket of another price: the money changed."""
    assert_fails("SR-ECHO", sr_echo, sr(ECHOED | {"price": got}, request=REQUEST | {"price": sent}))


def test_ticket_echo_fails_on_another_number():
    assert_fails("SR-ECHO", sr_echo, sr(ECHOED | {"price": 2**53 + 2}, request=REQUEST | {"price": 2**53}))


def test_ticket_echo_does_not_apply_to_errors():
    assert sr_echo(rule("SR-ECHO"), sr({"code": 103, "message": "x"}, status=400, request=REQUEST)) is NOT_APPLICABLE


# --- SR-CURRENCY ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("got", ["USD", "eur", "EURO", None])
def test_currency_fails_when_different_or_not_iso(got):
    assert_fails("SR-CURRENCY", sr_currency, sr(TICKET | {"currency": got}, request={"currency": "EUR"}))


# --- SR-EXCISE-SUM / SR-EXCISE-RATE -----------------------------------------------------------------------


def test_excise_sum_fails():
    failure = assert_fails("SR-EXCISE-SUM", sr_excise_sum, sr(TICKET | {"stake": 890}))
    assert "1001" in failure.message


def _as_javascript_prints(number: float) -> int:
    """The integer a JavaScript service writes for a double: its shortest decimal form."""
    return int(Decimal(repr(number)))


def test_excise_sum_takes_what_doubles_make_of_a_price_beyond_2_to_the_53():
    """A Node service keeps 2^63 - 1 in a double; stake + ext_amount, each printed in its shortest
    form, come to 9223372036854775700 against a price printed 9223372036854776000."""
    price = float(2**63 - 1)
    stake = float(round(price / 1.125))
    body = TICKET | {"price": _as_javascript_prints(price), "stake": _as_javascript_prints(stake),
                     "ext_amount": _as_javascript_prints(price - stake)}
    assert body["stake"] + body["ext_amount"] != body["price"]
    assert sr_excise_sum(rule("SR-EXCISE-SUM"), sr(body)) is None
    assert_fails("SR-EXCISE-SUM", sr_excise_sum, sr(body | {"ext_amount": body["ext_amount"] + 10**5}))
    assert_fails("SR-EXCISE-SUM", sr_excise_sum, sr(TICKET | {"price": 2**53, "stake": 2**53 - 112, "ext_amount": 111}))


def test_excise_rate_accepts_half_up_and_half_even():
    # 2.5 / 1.25 = 2 exactly; 5 / 1.25 = 4: use ext 100 -> price / 2: price 5 -> 2.5 -> 3 (up) or 2 (even)
    for stake in (2, 3):
        body = TICKET | {"price": 5, "ext": 100, "stake": stake, "ext_amount": 5 - stake}
        assert sr_excise_rate(rule("SR-EXCISE-RATE"), sr(body)) is None


def test_excise_rate_fails_on_a_wrong_ext_amount():
    assert_fails("SR-EXCISE-RATE", sr_excise_rate, sr(TICKET | {"ext_amount": 110}))


def test_excise_rate_accepts_the_floored_tax_of_the_sample():
    # 1000 x 100 / 112.5 = 888.89: stake 889 (rounded, and the tax 111.11 floored); 888 is the stake floored
    assert sr_excise_rate(rule("SR-EXCISE-RATE"), sr(TICKET)) is None
    body = TICKET | {"price": 1001, "stake": 890, "ext_amount": 111}     # 889.78 up; tax 111.22 floored
    assert sr_excise_rate(rule("SR-EXCISE-RATE"), sr(body)) is None
    assert_fails("SR-EXCISE-RATE", sr_excise_rate, sr(TICKET | {"stake": 888, "ext_amount": 112}))


@pytest.mark.parametrize(("price", "ext_amount"), [(1000, 111), (1001, 111), (1004, 112), (1004, 111)])
def test_excise_amount_passes_on_the_included_tax_rounded_down_or_to_the_nearest_unit(price, ext_amount):
    """1000 and 1001 hold 111.11 and 111.22 (down and nearest alike); 1004 holds 111.56 (nearest 112)."""
    body = TICKET | {"price": price, "stake": price - ext_amount, "ext_amount": ext_amount}
    assert sr_excise_amount(rule("SR-EXCISE-AMOUNT"), sr(body)) is None


@pytest.mark.parametrize("ext_amount", [0, 110, 112, 113, 125])   # no tax; off; rounded up; off; the tax on top
def test_excise_amount_fails_when_the_tax_is_not_the_one_the_price_holds(ext_amount):
    """112 is the tax rounded up (or the stake cut down to 888): the sample answers 1000 at 12.5 with 111."""
    body = TICKET | {"stake": 1000 - ext_amount, "ext_amount": ext_amount}
    assert_fails("SR-EXCISE-AMOUNT", sr_excise_amount, sr(body))


def test_excise_amount_takes_what_doubles_make_of_a_price_beyond_2_to_the_53():
    """2^53 + 1 at 12.5 holds 1000799917193443.67; round(price / 1.125) in doubles leaves 1000799917193445."""
    price = 2**53 + 1
    stake = round(float(price) / 1.125)
    body = TICKET | {"price": price, "stake": stake, "ext_amount": price - stake}
    assert price - stake == 1000799917193445
    assert sr_excise_amount(rule("SR-EXCISE-AMOUNT"), sr(body)) is None
    assert_fails("SR-EXCISE-AMOUNT", sr_excise_amount, sr(body | {"ext_amount": 1000799917193455}))


def test_excise_rules_judge_a_ticket_without_tax_whatever_its_ext_type_says():
    """At ext 0 every reading gives the stake the whole price: a service may call that ext_type "none"."""
    untaxed = TICKET | {"ext": 0, "ext_type": "none", "stake": 1000, "ext_amount": 0}
    assert sr_excise_sum(rule("SR-EXCISE-SUM"), sr(untaxed)) is None
    assert sr_excise_amount(rule("SR-EXCISE-AMOUNT"), sr(untaxed)) is None
    assert_fails("SR-EXCISE-AMOUNT", sr_excise_amount, sr(untaxed | {"stake": 990, "ext_amount": 10}))


@pytest.mark.parametrize("ext_type", ["INCLUSIVE", "Inclusive", " inclusive "])
def test_excise_rules_read_inclusive_in_any_letter_case(ext_type):
    """The pages list no values of ext_type: an enum's name (INCLUSIVE) is the sample's inclusive."""
    ticket = TICKET | {"ext_type": ext_type}
    assert sr_excise_sum(rule("SR-EXCISE-SUM"), sr(ticket)) is None
    assert sr_excise_amount(rule("SR-EXCISE-AMOUNT"), sr(ticket)) is None
    assert_fails("SR-EXCISE-SUM", sr_excise_sum, sr(ticket | {"stake": 1000}))
    assert_fails("SR-EXCISE-AMOUNT", sr_excise_amount, sr(ticket | {"ext_amount": 112, "stake": 888}))


def test_excise_amount_does_not_apply_to_other_ext_types_or_missing_fields():
    with pytest.raises(NotVerified, match="ext_type is 'exclusive'"):     # NOT VERIFIED if no ticket is inclusive
        sr_excise_amount(rule("SR-EXCISE-AMOUNT"), sr(TICKET | {"ext_type": "exclusive"}))
    assert sr_excise_amount(rule("SR-EXCISE-AMOUNT"), sr({"price": 1000, "ext": 12.5})) is NOT_APPLICABLE


# --- SR-STATE / SR-ZERO-PAYOUT ----------------------------------------------------------------------------


def test_sr_state():
    good = {"status": "reserved", "result": "pending"}
    assert sr_state(rule("SR-STATE"), sr(good)) is None
    assert_fails("SR-STATE", sr_state, sr(good | {"status": "open"}))
    assert_fails("SR-STATE", sr_state, sr(good | {"result": "won"}))
    assert sr_state(rule("SR-STATE"), sr({"status": "RESERVED", "result": "Pending"})) is None   # an enum's name
    assert_fails("SR-STATE", sr_state, sr({"status": "RESERVED", "result": "WON"}))
    for waiting in ("unsettled", "open", "not resulted", "AWAITING_RESULT"):          # "reserved and unresulted"
        assert sr_state(rule("SR-STATE"), sr({"status": "reserved", "result": waiting})) is None
    for dead in ("void", "lost", "cancelled", "resulted", "", None):
        assert_fails("SR-STATE", sr_state, sr({"status": "reserved", "result": dead}))
    assert sr_state(rule("SR-STATE"), sr({"code": 103, "message": "x"}, status=400)) is NOT_APPLICABLE


def test_sr_zero_payout():
    zero = {"gross_payout": 0, "net_payout": 0, "wht_amount": 0}
    assert sr_zero_payout(rule("SR-ZERO-PAYOUT"), sr(zero)) is None
    assert_fails("SR-ZERO-PAYOUT", sr_zero_payout, sr(zero | {"gross_payout": 3040}))
    assert_fails("SR-ZERO-PAYOUT", sr_zero_payout, sr({"gross_payout": 0}))
    assert sr_zero_payout(rule("SR-ZERO-PAYOUT"), sr({"code": 403, "message": "x"}, status=403)) is NOT_APPLICABLE


# --- SR-TIMES ---------------------------------------------------------------------------------------------


def in_zone(exchange_, zone):
    return dataclasses.replace(exchange_, extra={"operator_timezone_offset": zone})


def test_times_pass_on_the_seed_sample():
    assert sr_times(rule("SR-TIMES"), in_zone(sr(TIMES), "+02:00")) is None


def test_times_do_not_apply_to_errors():
    assert sr_times(rule("SR-TIMES"), sr({"detail": []}, status=422)) is NOT_APPLICABLE


def test_times_compare_with_the_operator_zone_and_are_not_verified_without_it():
    unshifted = TIMES | {"operator_time_created": TIMES["created"], "operator_time_updated": TIMES["updated"]}
    assert sr_times(rule("SR-TIMES"), in_zone(sr(unshifted), "+00:00")) is None  # UTC operators exist
    failure = assert_fails("SR-TIMES", sr_times, in_zone(sr(unshifted), "+02:00"))
    assert "+00:00 but the operator's zone is +02:00" in failure.message
    with pytest.raises(NotVerified, match="has no timezone_offset"):    # a zone the hook did not give
        sr_times(rule("SR-TIMES"), sr(unshifted))
    assert_fails("SR-TIMES", sr_times, sr(TIMES | {"created": "2024-07-11T18:40:52Z"}))   # still checked first


# --- SR-ERRORS (flow) -------------------------------------------------------------------------------------


def test_sr_errors_flow_passes_on_a_correct_engine():
    run_flow("SR-ERRORS", sr_errors, ticket_engine(), max_examples=10)


def test_sr_errors_flow_fails_on_wrong_codes():
    failure = assert_flow_fails("SR-ERRORS", sr_errors, ticket_engine("wrong-code"))
    assert "situations failed" in failure.message and "expected 400 with code 107" in failure.message
    assert "unknown event" not in failure.message      # 106 for it: its bets are then none of its own either


def test_an_unknown_operator_may_be_refused_with_403_one_way_through_the_run():
    correct = ticket_engine()

    def forbidden_first(flow, request):
        status, payload = correct(flow, request)
        return (403, "") if payload.get("code") == 112 else (status, payload)

    run_flow("SR-ERRORS", sr_errors, forbidden_first, max_examples=5)
    book = ConventionBook(pinned={"superbet-reserve.unknown-operator": "error-400"})
    with pytest.raises(Exception, match="pins error-400"):
        run_flow("SR-ERRORS", sr_errors, forbidden_first, max_examples=5, book=book)


def test_sr_errors_fails_when_an_unknown_bet_among_known_ones_is_dropped():
    """The unknown bet joins the known ones: a ticket reserved on the others is a refusal missed."""
    failure = assert_flow_fails("SR-ERRORS", sr_errors, ticket_engine("drops-unknown-bet"))
    assert "unknown bet: expected 400" in failure.message


def test_sr_errors_fails_when_only_the_last_bets_market_is_checked():
    """The closed market's bet goes among an open market's bets, in a drawn place."""
    failure = assert_flow_fails("SR-ERRORS", sr_errors, ticket_engine("last-market-only"))
    assert "market not allowed: expected 400 with code 116" in failure.message


def test_sr_errors_fails_when_the_body_operator_is_never_compared_with_the_header():
    """A service that serves the header's operator and demands its player's token refuses both
    situations where the header differs (403): the body naming another operator shows that it never
    compares the two."""
    failure = assert_flow_fails("SR-ERRORS", sr_errors, ticket_engine("header-operator-only"))
    assert "body names another operator: expected a refusal" in failure.message
    assert "operator header differs:" not in failure.message
    assert "operator header differs, body signs:" not in failure.message
    assert failure.documented == ('"code": 115, "message": "Operators in request body and in request header '
                                  'are not identical"')        # what the page documents for the mismatch


def test_sr_errors_takes_any_refusal_where_the_mismatch_comes_with_a_second_error():
    """Where the token is not the player of one of the two operators as well, a service may answer that
    first, in a code and status of its own (here 404 code 130); the mismatch alone, where the body's
    operator signs for its own player, is held to 115 (or 403, or the service's answer to a bad
    signature: here 403, not 404 code 130)."""
    correct = ticket_engine()

    def own_answer_for_115(flow, request):
        status, payload = correct(flow, request)
        return (404, {"code": 130, "message": "player not found"}) if payload.get("code") == 115 else (status, payload)

    failure = assert_flow_fails("SR-ERRORS", sr_errors, own_answer_for_115)
    assert "operator header differs, body signs: expected 400 with code 115 (or 403, or what the service answers a " \
        "bad signature)" in failure.message
    assert "operator header differs:" not in failure.message and "body names another operator" not in failure.message


def test_sr_errors_takes_the_answer_to_a_bad_signature_where_the_body_operator_signs():
    """A service that verifies the signature with the header's operator before comparing the operators
    sees, where the body's operator signed, a signature that does not verify: it may answer as it
    answers any (here 400 code 120); the superbet page states no credential scheme."""
    run_flow("SR-ERRORS", sr_errors, ticket_engine("signature-400"))


def test_sr_errors_takes_the_answer_to_an_unknown_token_where_an_unknown_operator_names_anothers_player():
    """The unknown operator comes with the token of another operator's player: a service that looks the
    player up first answers as it answers any token it does not know (here 400 code 150)."""
    run_flow("SR-ERRORS", sr_errors, ticket_engine("player-first"))
    correct = ticket_engine()

    def own_code_for_112(flow, request):
        status, payload = correct(flow, request)
        return (400, {"code": 150, "message": "x"}) if payload.get("code") == 112 else (status, payload)

    failure = assert_flow_fails("SR-ERRORS", sr_errors, own_code_for_112)       # its unknown token is not 150
    assert "unknown operator: expected 400 with code 112 (or 403, or what the service answers an unknown token)" \
        in failure.message


def test_sr_errors_fails_when_a_bet_of_another_event_is_taken():
    failure = assert_flow_fails("SR-ERRORS", sr_errors, ticket_engine("other-event-bets"))
    assert "bet of another event: expected 400" in failure.message


def test_ticket_errors_flow_fails_on_an_unshaped_error():
    def plain_text(flow, request):
        return 400, "Bad Request"

    assert "{code: int, message: str}" in assert_flow_fails("SR-ERRORS", sr_errors, plain_text).message


def test_an_unknown_bet_may_be_refused_as_a_validation_error_but_a_documented_situation_may_not():
    run_flow("SR-ERRORS", sr_errors, validation_422_for(106), max_examples=5)      # the page names no error for it
    run_flow("SR-ERRORS", sr_errors, validation_422_for(103), max_examples=5)      # nor for its bets, then
    failure = assert_flow_fails("SR-ERRORS", sr_errors, validation_422_for(107))   # 107 is the page's own
    assert "event started: expected 400 with code 107" in failure.message and "or 422" not in failure.message


def test_sr_errors_fails_when_a_started_event_is_answered_as_not_found():
    correct = ticket_engine()

    def started_as_103(flow, request):
        status, payload = correct(flow, request)
        return (status, dict(payload, code=103)) if payload.get("code") == 107 else (status, payload)

    failure = assert_flow_fails("SR-ERRORS", sr_errors, started_as_103)
    assert "event started: expected 400 with code 107" in failure.message
    assert "already started" in failure.documented


# --- SR-AUTH (flow) ---------------------------------------------------------------------------------------


def test_sr_auth_passes_and_fails_when_the_signature_is_ignored():
    run_flow("SR-AUTH", sr_auth, ticket_engine())
    assert_flow_fails("SR-AUTH", sr_auth, ticket_engine("ignore-signature"))


def test_sr_auth_takes_any_403_body():
    correct = ticket_engine()

    def bare(flow, request):
        answer = correct(flow, request)
        return (403, {"detail": "Forbidden"}) if answer[0] == 403 else answer

    run_flow("SR-AUTH", sr_auth, bare, max_examples=5)


def test_a_400_in_a_frameworks_own_body_is_a_refusal_and_its_named_situations_keep_code_and_message():
    """The page shows {code, message} for its named situations and nothing for a request it cannot
    read: FastAPI's 400 for a body that is not UTF-8 is a refusal (SR-NEGATIVE), not another shape."""
    framework = exchange("superbet-reserve", 400, {"detail": "There was an error parsing the body"})
    assert registry.get("superbet-reserve").outcome(framework).refused

    def detail(flow, request):
        return 400, {"detail": "Event not found"}

    assert "{code: int, message: str}" in assert_flow_fails("SR-ERRORS", sr_errors, detail).message
