"""The sportsbook-order checks (orderproof.apis.sportsbook_order.checks): the envelope, the echoes and
the data of an accepted order on hand-made answers; the wallet flows against a small model of the
target, correct or with one named bug."""

import copy
from decimal import Decimal

import pytest

from orderproof.apis.sportsbook_order import currency_code
from orderproof.apis.sportsbook_order.checks import (
    so_amount_echo,
    so_balance,
    so_data,
    so_envelope,
    so_reject_nothing,
    so_repeat,
    so_success_msg,
    so_ticket_echo,
)
from orderproof.catalogue import load_catalogue
from orderproof.checks.base import NOT_APPLICABLE, NotVerified
from orderproof.checks.conventions import ConventionBook
from tests.apis.fakes import (
    assert_fails,
    assert_flow_fails,
    exchange,
    rule,
    run_flow,
    sportsbook,
)

# --- SO-ENVELOPE / SO-SUCCESS-MSG -------------------------------------------------------------------------

SO_OK = {"code": 200, "msg": "success", "data": {"userId": "u1", "orderTime": 1, "ticketId": 1, "amount": 100,
                                                 "balance": 900}}


# an order in the table's types (| ticketId | bigint |, | macthId | long |, | gameType | int |, | oddsView |
# double |, | comboId | long |), and the request sample's forms of the same order
TABLE_ORDER = {"customerToken": "t", "ticketId": 116295584494649344, "orderAmount": 100, "currency": 1,
               "qTime": 1519872502536, "betType": 1,
               "optionArray": [{"macthId": 10002, "gameType": 1, "oddsView": 3.0, "optionId": "1975443"}],
               "betList": [{"comboId": 1, "betAmount": 100, "num": 1, "cnt": 1, "oddsEuro": 3.0}]}
SAMPLE_FORMS = [("ticketId", "116295584494649344"), ("macthId", "10002"), ("gameType", "1"), ("oddsView", "3.0"),
                ("comboId", None)]


def in_sample_form(field, value):
    order = copy.deepcopy(TABLE_ORDER)
    holder = order if field == "ticketId" else order["betList"][0] if field == "comboId" else order["optionArray"][0]
    holder[field] = value
    return order


def so(status, body, method="POST", request=TABLE_ORDER, mode=None):
    return exchange("sportsbook-order", status, body, request, method=method, mode=mode)


def test_so_envelope_passes_on_success_and_on_either_form_of_rejection():
    envelope = rule("SO-ENVELOPE")
    assert so_envelope(envelope, so(200, SO_OK)) is None
    assert so_envelope(envelope, so(200, {"code": 200, "msg": "成功", "data": SO_OK["data"]})) is None  # SO-SUCCESS-MSG's
    assert so_envelope(envelope, so(400, {"code": 402, "msg": "insufficient balance", "data": None})) is None
    assert so_envelope(envelope, so(401, {"code": 1002, "msg": "unknown token"})) is None
    assert so_envelope(envelope, so(200, {"code": 1003, "msg": "insufficient balance"})) is None  # another run's
    # the table's code is an int, a value: 400.0 is one (JSON Schema's integer too), 400.5 is not
    assert so_envelope(envelope, so(400, '{"code": 400.0, "msg": "insufficient balance", "data": null}')) is None
    assert so_envelope(envelope, so(200, '{"code": 2E+2, "msg": "success", "data": null}')) is None
    assert_fails("SO-ENVELOPE", so_envelope, so(400, '{"code": 400.5, "msg": "insufficient balance", "data": null}'))


def test_so_envelope_judges_each_answer_alone_so_rejection_forms_may_mix():
    """The seed gives no status: a malformed request at HTTP 200 and a refused order at HTTP 400 in
    one run are each a correct envelope (one form per run is SO-NEGATIVE's convention, a SHOULD)."""
    book = ConventionBook()
    first, second = so(400, {"code": 1, "msg": "x"}), so(200, {"code": 2, "msg": "y"})
    for ex in (first, second):
        object.__setattr__(ex, "conventions", book)
    assert so_envelope(rule("SO-ENVELOPE"), first) is None
    assert so_envelope(rule("SO-ENVELOPE"), second) is None


def test_so_envelope_holds_a_target_to_the_rejection_form_it_pins():
    book = ConventionBook(pinned={"sportsbook-order.rejection": "http-200"})
    at_200, at_400 = so(200, {"code": 2, "msg": "y"}), so(400, {"code": 1, "msg": "x"})
    for ex in (at_200, at_400):
        object.__setattr__(ex, "conventions", book)
    assert so_envelope(rule("SO-ENVELOPE"), at_200) is None
    assert "pins http-200" in assert_fails("SO-ENVELOPE", so_envelope, at_400).message


def test_so_envelope_takes_a_success_without_data_and_at_any_2xx():
    """| data | object | N |: data is optional; the seed names no status."""
    for status, body in ((200, {"code": 200, "msg": "success"}), (200, {"code": 200, "msg": "success", "data": None}),
                         (201, SO_OK)):
        assert so_envelope(rule("SO-ENVELOPE"), so(status, body)) is None


@pytest.mark.parametrize("body", [{"detail": [{"loc": ["body", "ticketId"], "msg": "field required"}]},
                                  {"type": "about:blank", "title": "Bad Request", "status": 400},
                                  "<html>400 Bad Request</html>"])
@pytest.mark.parametrize("mode, realistic", [("negative", False), ("positive", False)])
def test_so_envelope_leaves_a_framework_error_to_an_invalid_request_to_so_negative(body, mode, realistic):
    """A request the suite sent as invalid (a negative case, an edge number, a positive case without
    fixtures) may be refused in the framework's own shape: the seed documents no rejection."""
    ex = so(422, body, mode=mode)
    ex.extra["realistic"] = realistic
    assert so_envelope(rule("SO-ENVELOPE"), ex) is NOT_APPLICABLE
    ex.extra["realistic"] = True
    if mode == "positive":          # a realistic valid order is answered in the envelope
        assert_fails("SO-ENVELOPE", so_envelope, ex)
    # the envelope is still read when it is there: code 200 with a 4xx is a contradiction
    assert_fails("SO-ENVELOPE", so_envelope, exchange("sportsbook-order", 400, {"code": 200, "msg": "success"},
                                                      mode=mode))


@pytest.mark.parametrize("status, body", [
    (400, {"code": 200, "msg": "success", "data": None}),
    (401, {"error": "unauthorized"}),
    (200, {"detail": "validation"}),
    (200, {"code": 200, "msg": "success", "data": [1]}),
    (400, {"code": 200, "msg": "success", "data": SO_OK["data"]}),
    (400, {"detail": "validation"}),
    (200, {"code": "200", "msg": "success", "data": SO_OK["data"]}),
    (200, {"code": 200, "data": SO_OK["data"]}),
])
def test_so_envelope_fails(status, body):
    assert_fails("SO-ENVELOPE", so_envelope, so(status, body))


@pytest.mark.parametrize("field, value", SAMPLE_FORMS)
def test_so_envelope_leaves_a_framework_error_to_an_order_in_the_samples_forms_to_so_negative(field, value):
    """Where the request sample writes a field otherwise than the table types it ("macthId": "10002",
    "comboId": null), a service typed by the table may refuse the order in its framework's shape."""
    body = {"detail": [{"type": "int_type", "loc": ["body", field]}]}
    assert so_envelope(rule("SO-ENVELOPE"), so(422, body, request=in_sample_form(field, value))) is NOT_APPLICABLE
    assert_fails("SO-ENVELOPE", so_envelope, so(422, body))                  # the same order in the table's types


def test_so_envelope_leaves_server_errors_to_so_no_5xx():
    assert so_envelope(rule("SO-ENVELOPE"), so(500, "Internal Server Error")) is NOT_APPLICABLE


def test_so_success_msg_is_the_samples_word():
    assert so_success_msg(rule("SO-SUCCESS-MSG"), so(200, SO_OK)) is None
    assert so_success_msg(rule("SO-SUCCESS-MSG"), so(400, {"code": 1, "msg": "nope"})) is NOT_APPLICABLE
    assert_fails("SO-SUCCESS-MSG", so_success_msg, so(200, {"code": 200, "msg": "OK", "data": SO_OK["data"]}))


def test_so_envelope_does_not_apply_to_other_methods():
    assert so_envelope(rule("SO-ENVELOPE"), so(405, {"detail": "Method Not Allowed"}, method="GET")) is NOT_APPLICABLE


# --- SO-TICKET-ECHO / SO-AMOUNT-ECHO / SO-DATA ------------------------------------------------------------

BIG = 116295584494649344  # beyond 2^53


def so_ok(data, request):
    return exchange("sportsbook-order", 200, {"code": 200, "msg": "success", "data": data}, request)


@pytest.mark.parametrize("sent", [BIG, str(BIG)])
def test_so_ticket_echo_passes_on_the_exact_integer(sent):
    assert so_ticket_echo(rule("SO-TICKET-ECHO"), so_ok({"ticketId": BIG}, {"ticketId": sent})) is None


def test_so_ticket_echo_takes_the_form_the_request_sent_and_holds_a_service_to_it_when_pinned():
    """Convention ticket-id-type, option as-sent: digits for digits, an integer for an integer."""
    book = ConventionBook(load_catalogue(["sportsbook-order"]).conventions)
    pinned = ConventionBook(pinned={"sportsbook-order.ticket-id-type": "as-sent"})
    for ex in [so_ok({"ticketId": BIG}, {"ticketId": BIG}), so_ok({"ticketId": str(BIG)}, {"ticketId": str(BIG)})]:
        for held in (book, pinned):
            object.__setattr__(ex, "conventions", held)
            assert so_ticket_echo(rule("SO-TICKET-ECHO"), ex) is None
    row = next(row for row in book.report() if row["id"] == "sportsbook-order.ticket-id-type")
    assert (row["observed"], row["mixed"]) == (["as-sent"], False)
    changed = so_ok({"ticketId": BIG}, {"ticketId": str(BIG)})       # now not the form it was sent in
    object.__setattr__(changed, "conventions", pinned)
    assert "pins as-sent" in assert_fails("SO-TICKET-ECHO", so_ticket_echo, changed).message


def test_so_ticket_echo_takes_either_key_one_way_through_the_run_and_either_type_each_time():
    """The table types the id bigint and the request sample sends its digits: a service may answer a
    JSON integer up to 2^53 and the digits beyond (noted in the certificate, failed only when pinned);
    the key it is answered under stays one."""
    assert so_ticket_echo(rule("SO-TICKET-ECHO"), so_ok({"ticketID": str(BIG)}, {"ticketId": BIG})) is None
    book = ConventionBook(load_catalogue(["sportsbook-order"]).conventions)
    small, big = 2**53 - 1, 2**53 + 1
    answers = [so_ok({"ticketId": small}, {"ticketId": small}), so_ok({"ticketId": str(big)}, {"ticketId": big}),
               so_ok({"ticketID": small}, {"ticketId": small})]
    for ex in answers:
        object.__setattr__(ex, "conventions", book)
    assert so_ticket_echo(rule("SO-TICKET-ECHO"), answers[0]) is None
    assert so_ticket_echo(rule("SO-TICKET-ECHO"), answers[1]) is None
    row = next(row for row in book.report() if row["id"] == "sportsbook-order.ticket-id-type")
    assert row["mixed"] and set(row["observed"]) == {"integer", "as-sent", "digit-string"}
    assert "ticket-id-key" in assert_fails("SO-TICKET-ECHO", so_ticket_echo, answers[2]).message


@pytest.mark.parametrize("got", [BIG - 4, str(BIG - 4), Decimal("1.16295584494649344E+17"), None])
def test_so_ticket_echo_fails_on_a_rounded_decimal_or_missing_id(got):
    # BIG - 4 is how a JavaScript service prints the double it read (116295584494649340); a float
    # literal parses as Decimal
    text = '{"code": 200, "msg": "success", "data": {"ticketId": %s}}' % (
        "116295584494649340.0" if isinstance(got, Decimal) else "null" if got is None else
        f'"{got}"' if isinstance(got, str) else got)
    assert_fails("SO-TICKET-ECHO", so_ticket_echo, exchange("sportsbook-order", 200, text, {"ticketId": str(BIG)}))


def test_so_ticket_echo_takes_an_id_of_the_operators_own_one_reading_through_the_run():
    """The response sample's ticketID (116270986269032448) is not its request sample's ticketId
    (116295584494649344): data may carry the operator's own id, one reading through the run."""
    book = ConventionBook(load_catalogue(["sportsbook-order"]).conventions)
    own = [so_ok({"ticketId": 116270986269032448}, {"ticketId": str(BIG)}), so_ok({"ticketId": 7}, {"ticketId": 12})]
    echoed = so_ok({"ticketId": BIG}, {"ticketId": BIG})
    for ex in (*own, echoed):
        object.__setattr__(ex, "conventions", book)
    assert all(so_ticket_echo(rule("SO-TICKET-ECHO"), ex) is None for ex in own)
    assert "ticket-id-value" in assert_fails("SO-TICKET-ECHO", so_ticket_echo, echoed).message


def test_so_ticket_echo_does_not_apply_to_rejections_or_odd_requests():
    rejected = exchange("sportsbook-order", 400, {"code": 402, "msg": "x", "data": None}, {"ticketId": BIG})
    assert so_ticket_echo(rule("SO-TICKET-ECHO"), rejected) is NOT_APPLICABLE
    assert so_ticket_echo(rule("SO-TICKET-ECHO"), so_ok({"ticketId": 1}, {"ticketId": "12a"})) is NOT_APPLICABLE


@pytest.mark.parametrize("check", [so_ticket_echo, so_amount_echo, so_data])
def test_the_data_rules_are_not_verified_on_an_accepted_order_without_data(check):
    """| data | object | N |: an accepted order may carry no data; the rules reading it cannot pass on it."""
    for body in ({"code": 200, "msg": "success"}, {"code": 200, "msg": "success", "data": None}):
        with pytest.raises(NotVerified, match="carried no data"):
            check(rule("SO-DATA"), exchange("sportsbook-order", 200, body, {"ticketId": BIG, "orderAmount": 100}))


def test_so_amount_echo():
    assert so_amount_echo(rule("SO-AMOUNT-ECHO"), so_ok({"amount": Decimal("100.0")}, {"orderAmount": 100})) is None
    assert_fails("SO-AMOUNT-ECHO", so_amount_echo, so_ok({"amount": Decimal("99.99")}, {"orderAmount": 100}))
    assert_fails("SO-AMOUNT-ECHO", so_amount_echo, so_ok({"amount": "100"}, {"orderAmount": 100}))
    assert so_amount_echo(rule("SO-AMOUNT-ECHO"), so_ok({"amount": 1}, {"orderAmount": "100"})) is NOT_APPLICABLE
    # an orderAmount finer than a cent may be debited (and echoed) to the cent, rounded either way
    for debited in ("12.34", "12.35"):
        assert so_amount_echo(rule("SO-AMOUNT-ECHO"),
                              so_ok({"amount": Decimal(debited)}, {"orderAmount": Decimal("12.345")})) is None
    for wrong in ("12.33", "12.3", "12.36"):
        assert_fails("SO-AMOUNT-ECHO", so_amount_echo,
                     so_ok({"amount": Decimal(wrong)}, {"orderAmount": Decimal("12.345")}))
    assert_fails("SO-AMOUNT-ECHO", so_amount_echo, so_ok({"amount": Decimal("12.35")}, {"orderAmount": Decimal("12.34")}))


@pytest.mark.parametrize("sent", [Decimal("-0.0"), Decimal("5E-324"), Decimal("1.7976931348623157E+308")])
def test_so_amount_echo_takes_the_bets_total_where_the_order_amount_is_not_it(sent):
    """The edge pass sends an orderAmount the bets do not add up to: a service that debits what the
    bets say (the sample's orderAmount repeats its one bet's betAmount) answers their total."""
    bets = {"betList": [{"betAmount": Decimal("1.00"), "cnt": 1}, {"betAmount": Decimal("2.50"), "cnt": 2}]}
    for total in ("3.50", "6.00"):                        # the betAmounts, or each times its combinations
        assert so_amount_echo(rule("SO-AMOUNT-ECHO"), so_ok({"amount": Decimal(total)}, bets | {"orderAmount": sent})) \
            is None
    failure = assert_fails("SO-AMOUNT-ECHO", so_amount_echo, so_ok({"amount": Decimal("4.00")}, bets | {"orderAmount": sent}))
    assert "is not the request's orderAmount" in failure.message          # a verdict, not an evaluation error


def test_so_amount_echo_takes_the_bets_total_to_the_cent():
    """A service debiting what the bets say, in cents: the edge pass's betAmount 5e-324 is charged
    0.00 (or 0.01); a total it does not round to stays failed."""
    bets = {"betList": [{"betAmount": Decimal("5E-324"), "cnt": 1}], "orderAmount": Decimal("1.0")}
    for charged in ("0.00", "0.01", "0"):
        assert so_amount_echo(rule("SO-AMOUNT-ECHO"), so_ok({"amount": Decimal(charged)}, bets)) is None
    assert_fails("SO-AMOUNT-ECHO", so_amount_echo, so_ok({"amount": Decimal("0.02")}, bets))


def test_so_data():
    data = {"amount": 100, "balance": Decimal("1000.00"), "userId": "u1", "orderTime": 231412354534}
    assert so_data(rule("SO-DATA"), so_ok(data, {})) is None
    assert_fails("SO-DATA", so_data, so_ok(data | {"userId": 12214234234}, {}))
    assert so_data(rule("SO-DATA"), so_ok(data | {"orderTime": "231412354534"}, {})) is None   # a bigint's digits
    assert_fails("SO-DATA", so_data, so_ok(data | {"orderTime": "2018-03-01 02:48:22"}, {}))
    assert_fails("SO-DATA", so_data, so_ok(data | {"orderTime": Decimal("231412354534.5")}, {}))
    for whole in ("231412354534.0", "2.31412354534E+11"):    # JSON has one number type: a bigint's value
        assert so_data(rule("SO-DATA"), so_ok(data | {"orderTime": Decimal(whole)}, {})) is None
    assert_fails("SO-DATA", so_data, so_ok({k: v for k, v in data.items() if k != "balance"}, {}))
    assert so_data(rule("SO-DATA"), exchange("sportsbook-order", 400, {"code": 401, "msg": "x", "data": None})) \
        is NOT_APPLICABLE


# --- SO-BALANCE / SO-REJECT-NOTHING / SO-REPEAT (flows) ----------------------------------------------------


@pytest.mark.parametrize("target", ["", "double-balance"])
def test_so_balance_passes_on_a_correct_target(target):
    run_flow("SO-BALANCE", so_balance, sportsbook(*filter(None, [target])))


def test_so_balance_fails_when_data_balance_is_the_old_balance():
    assert "data.balance" in assert_flow_fails("SO-BALANCE", so_balance, sportsbook("wrong-balance")).message


def test_so_balance_spends_the_rest_and_fails_when_an_empty_wallet_reads_null():
    """The second order spends what the first left: a wallet at zero is still a balance."""
    failure = assert_flow_fails("SO-BALANCE", so_balance, sportsbook("null-empty-balance"))
    assert "data.balance" in failure.message and "is not 0" in failure.message


def test_so_reject_nothing_passes_on_a_correct_target():
    run_flow("SO-REJECT-NOTHING", so_reject_nothing, sportsbook())


def test_so_reject_nothing_fails_when_a_rejection_debits():
    failure = assert_flow_fails("SO-REJECT-NOTHING", so_reject_nothing, sportsbook("debits-rejected"))
    assert "balance" in failure.message


def test_so_reject_nothing_fails_when_an_order_over_the_balance_is_accepted():
    failure = assert_flow_fails("SO-REJECT-NOTHING", so_reject_nothing, sportsbook("no-balance-check"))
    assert "accepted" in failure.message


def test_so_repeat_passes_and_fails_when_a_repeat_debits_again():
    run_flow("SO-REPEAT", so_repeat, sportsbook())
    run_flow("SO-REPEAT", so_repeat, sportsbook("repeat-409-detail"))       # any 4xx refuses the repeat
    assert_flow_fails("SO-REPEAT", so_repeat, sportsbook("debit-twice"))


# --- the orders the suite sends ----------------------------------------------------------------------------

def test_an_order_carries_the_players_integer_currency_code_where_the_provider_state_gives_one():
    """| currency | int | Y |, no code list: 1 by default, the player's own code when its state gives it."""
    assert currency_code({"currency": "EUR"}) == 1
    assert currency_code({"currency": "EUR", "currency_code": 978}) == 978
    assert currency_code({"currency_code": "978"}) == 1 and currency_code({"currency_code": True}) == 1
