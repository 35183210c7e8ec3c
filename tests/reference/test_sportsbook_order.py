"""sportsbook-order (000) on the reference: the seed's sample, exact bigint ticket ids, repeats,
and every rejection answered in the envelope with nothing stored."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
import yaml

from orderproof import registry

from .conftest import assert_matches, dumps, loads, seed_order


def wallet(ref, player):
    snapshot = ref.snapshot(player["userId"])
    return snapshot["balance"], snapshot["orders"], snapshot["ledger"]


def test_the_corrected_seed_sample_is_accepted_and_debits_the_wallet(ref):
    player = ref.player()

    response = ref.order(seed_order(player["customerToken"]))

    assert response.status_code == 200, response.text
    assert_matches("sportsbook-order", "OrderSuccess", response.json())
    answer = loads(response.content)
    assert (answer["code"], answer["msg"]) == (200, "success")
    data = answer["data"]
    assert (data["amount"], data["balance"], data["userId"]) == (100, Decimal("900.00"), player["userId"])
    assert b'"ticketId":116295584494649344' in response.content
    assert isinstance(data["orderTime"], int)
    balance, orders, ledger = wallet(ref, player)
    assert balance == "900.00"
    assert orders == [{"ticketId": "116295584494649344", "amount": "100", "balance_after": "900.00",
                       "order_time": data["orderTime"]}]
    assert [(e["amount"], e["balance_after"], e["reason"], e["reference"]) for e in ledger] == [
        ("-100", "900.00", "sportsbook-order", "116295584494649344")]


def test_the_specs_own_request_examples_are_accepted(ref):
    spec = yaml.safe_load(registry.get("sportsbook-order").spec_path.read_text(encoding="utf-8"))
    examples = spec["paths"]["/order"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    for number, (name, example) in enumerate(examples.items()):
        player = ref.player()   # the examples share a ticketId: give each its own ticket
        body = dict(example["value"], customerToken=player["customerToken"], ticketId=str(10**18 + number))
        response = ref.order(raw=json.dumps(body).encode())   # YAML numbers are floats: plain json
        assert response.status_code == 200, f"{name}: {response.text}"


@pytest.mark.parametrize("ticket_id", [116295584494649344, "116295584494649344", 2**63 - 1, str(2**63 - 1),
                                       2**53 + 1, "0000000000000000007"])
def test_a_bigint_ticket_id_round_trips_exactly_as_a_json_integer(ref, ticket_id):
    player = ref.player()
    response = ref.order(seed_order(player["customerToken"], ticketId=ticket_id))
    assert response.status_code == 200, response.text
    echoed = re.search(rb'"ticketId":(\d+)[,}]', response.content)
    assert echoed and int(echoed.group(1)) == int(ticket_id)
    assert loads(response.content)["data"]["ticketId"] == int(ticket_id)
    assert wallet(ref, player)[1][0]["ticketId"] == str(int(ticket_id))


def test_amounts_are_echoed_exactly(ref):
    player = ref.player(balance="1000.00")
    response = ref.order(seed_order(player["customerToken"], orderAmount=Decimal("19.99")))
    assert b'"amount":19.99,"balance":980.01,' in response.content
    assert wallet(ref, player)[0] == "980.01"


def test_a_repeated_ticket_replays_the_first_answer_and_debits_nothing(ref):
    player = ref.player()
    order = seed_order(player["customerToken"])
    first = ref.order(order)
    after_first = wallet(ref, player)

    again = ref.order(dict(order, ticketId=116295584494649344))   # the same ticket as a number

    assert (again.status_code, again.content) == (200, first.content)
    assert wallet(ref, player) == after_first


def test_a_reused_ticket_id_with_another_body_gets_409_and_changes_nothing(ref):
    player = ref.player()
    ref.order(seed_order(player["customerToken"]))
    after_first = wallet(ref, player)
    response = ref.order(seed_order(player["customerToken"], orderAmount=5))
    assert response.status_code == 400
    assert response.json() == {"code": 409, "msg": "ticketId was already used with another order", "data": None}
    assert wallet(ref, player) == after_first


def rejected(ref, player, response, code):
    assert response.status_code == 400, response.text
    answer = response.json()
    assert answer["code"] == code and answer["data"] is None and isinstance(answer["msg"], str)
    assert_matches("sportsbook-order", "OrderRejection", answer)


def test_an_unknown_customer_token_gets_401(ref):
    player = ref.player()
    before = wallet(ref, player)
    rejected(ref, player, ref.order(seed_order("nobody")), 401)
    assert wallet(ref, player) == before


def test_insufficient_balance_gets_402(ref):
    player = ref.player(balance="99.99")
    before = wallet(ref, player)
    rejected(ref, player, ref.order(seed_order(player["customerToken"])), 402)
    assert wallet(ref, player) == before
    big = dumps(seed_order(player["customerToken"], orderAmount=Decimal("123.45"))).replace(b"123.45", b"1e400")
    rejected(ref, player, ref.order(raw=big), 402)
    assert wallet(ref, player) == before


def test_a_blocked_player_gets_403(ref):
    player = ref.player(blocked=True)
    before = wallet(ref, player)
    rejected(ref, player, ref.order(seed_order(player["customerToken"])), 403)
    assert wallet(ref, player) == before


def without(document, *path):
    document = loads(dumps(document))
    node = document
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return document


def invalid_orders(token):
    order = seed_order(token)
    return {
        "ticketId missing": without(order, "ticketId"),
        "ticketId negative": seed_order(token, ticketId=-1),
        "ticketId beyond int64": seed_order(token, ticketId=2**63),
        "ticketId digits beyond int64": seed_order(token, ticketId=str(2**64)),
        "ticketId not digits": seed_order(token, ticketId="12a"),
        "ticketId a float": seed_order(token, ticketId=Decimal("1.5")),
        "orderAmount a string": seed_order(token, orderAmount="100"),
        "orderAmount zero": seed_order(token, orderAmount=0),
        "orderAmount 3 decimals": seed_order(token, orderAmount=Decimal("1.005")),
        "customerToken a number": seed_order(token, customerToken=5),
        "currency missing": without(order, "currency"),
        "currency beyond int32": seed_order(token, currency=2**31),
        "qTime a string": seed_order(token, qTime="now"),
        "betList not an array": seed_order(token, betList={}),
        "bet not an object": seed_order(token, betList=[1]),
        "bet num missing": without(order, "betList", 0, "num"),
        "comboId missing": without(order, "betList", 0, "comboId"),
        "comboItems camelCase": seed_order(token, betList=[dict(order["betList"][0], comboItems=[{"subComboId": 1, "optionIds": [1]}])]),
        "option macthId text": seed_order(token, optionArray=[dict(order["optionArray"][0], macthId="ten")]),
        "option oddsView text": seed_order(token, optionArray=[dict(order["optionArray"][0], oddsView="high")]),
        "option betBar a number": seed_order(token, optionArray=[dict(order["optionArray"][0], betBar=1)]),
        "option missing optionId": without(order, "optionArray", 0, "optionId"),
        "body an array": [order],
        "body null": None,
    }


@pytest.mark.parametrize("case", list(invalid_orders("t")))
def test_an_invalid_order_gets_400_and_stores_nothing(ref, case):
    player = ref.player()
    before = wallet(ref, player)
    rejected(ref, player, ref.order(invalid_orders(player["customerToken"])[case]), 400)
    assert wallet(ref, player) == before


@pytest.mark.parametrize("raw, content_type", [
    (b"{oops", "application/json"),
    (b"", "application/json"),
    (b'{"orderAmount": NaN}', "application/json"),
    (b'{"orderAmount": -Infinity}', "application/json"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
    (b"{}", "text/plain"),
    (b"customerToken=x", "application/x-www-form-urlencoded"),
])
def test_an_unreadable_order_gets_400(ref, raw, content_type):
    player = ref.player()
    before = wallet(ref, player)
    rejected(ref, player, ref.order(raw=raw, content_type=content_type), 400)
    assert wallet(ref, player) == before
