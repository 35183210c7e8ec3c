"""engine.generation: Schemathesis cases of any registered API, made realistic by its adapter."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from orderproof.engine import generation, pools
from orderproof.engine.scene import Scene

SLUG = "voucher-order"


def test_a_pool_is_the_same_for_the_same_seed_and_another_for_another(toy):
    first = pools.pool(SLUG, "positive", 6, 11)
    assert len(first) == 6 and first is pools.pool(SLUG, "positive", 6, 11)     # drawn once in a process
    bodies = [case.body for case in first]
    pools.forget()
    assert [case.body for case in pools.pool(SLUG, "positive", 6, 11)] == bodies
    assert [case.body for case in generation.case_pool(SLUG, "positive", 6, 11)] == bodies
    assert [case.body for case in pools.pool(SLUG, "positive", 6, 12)] != bodies


def test_the_coverage_sample_sends_every_missing_field_case(toy):
    missing = [case for case in generation.coverage_cases(SLUG) if "Missing" in generation._description(case)]
    assert {name for case in missing for name in generation.mutated_names(case)} >= {"customerid", "amount", "currency"}
    sample = generation.coverage_sample(SLUG, 2, 5)
    assert sample[: len(missing)] == missing and len(sample) == len(missing) + 2


def test_edge_cases_are_the_adapters_fields_times_the_edge_numbers(toy):
    cases = generation.edge_cases(SLUG)
    assert cases == tuple((("amount",), value) for value in generation.EDGE_NUMBERS)


def test_the_fields_a_seed_says_are_integer_cents_also_get_a_fraction_of_a_cent():
    assert generation.CENTS_WITH_A_FRACTION % 1 and generation.CENTS_WITH_A_FRACTION > 1
    for slug in ("jackpot-ticket", "superbet-reserve"):          # "Should be in integer format (cents)"
        assert generation.edge_cases(slug)[-1] == (("price",), generation.CENTS_WITH_A_FRACTION)
    for slug in ("bet-placement", "sportsbook-order", "travel-order"):   # decimals and doubles there
        assert all(value != generation.CENTS_WITH_A_FRACTION for _, value in generation.edge_cases(slug))


def test_set_path_puts_a_value_only_where_the_path_exists():
    body = {"bets": [{"stake": 1}], "amount": 2}
    assert generation.set_path(body, ("bets", 0, "stake"), 5) and body["bets"][0]["stake"] == 5
    assert not generation.set_path(body, ("bets", 3, "stake"), 5)
    assert not generation.set_path(body, ("nothing", "here"), 5)
    assert body == {"bets": [{"stake": 5}], "amount": 2}


def test_a_valid_body_is_the_adapters_overlay_with_plain_integers(toy, make_context):
    context = make_context()
    scene = Scene(context.target, context.states, 1)
    player = scene.player()

    @given(data=st.data())
    def check(data):
        body = generation.valid_body(SLUG, {"customerId": "x", "amount": 0.0, "extra": 3.0}, scene, player, data.draw)
        assert body["customerId"] == player["customerId"] and body["currency"] == "EUR"
        assert type(body["amount"]) is int and 1 <= body["amount"] <= 100_000
        assert type(body["extra"]) is int                   # 3.0 -> 3: the plain integer services expect

    check()


def test_documented_only_keeps_the_fields_the_request_schema_names(toy):
    body = {"customerId": "c", "amount": 1, "currency": "EUR", "x-random": {"a": 1}}
    assert generation.documented_only(SLUG, body) == {"customerId": "c", "amount": 1, "currency": "EUR"}


def test_the_spec_example_and_exact_request_fields(toy):
    assert generation.spec_example(SLUG) == {"customerId": "c-1", "amount": 2500, "currency": "EUR"}
    import requests

    request = requests.Request("POST", "http://t.test/vouchers", data=b'{"amount": 0.10}',
                               headers={"Content-Type": "application/json; charset=utf-8", "X-A": "1"}).prepare()
    fields = generation.request_fields(request)
    assert fields["request_body"] == {"amount": Decimal("0.10")} and fields["request_text"] == '{"amount": 0.10}'
    assert fields["media_type"] == "application/json" and fields["request_headers"]["x-a"] == "1"
