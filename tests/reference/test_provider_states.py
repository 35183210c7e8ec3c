"""The provider-state hook of the reference: each state does what it says and answers in the shape
openapi/provider-states.yaml gives; bad requests get 400; the hook can be switched off (404)."""

from __future__ import annotations

import time

import pytest

from orderproof.core.paths import PROVIDER_STATES_PATH

from .conftest import assert_matches, seed_order


def call(ref, body):
    return ref.client.post(PROVIDER_STATES_PATH, json=body)


def test_an_operator_exists_with_defaults_and_a_random_secret(ref):
    first, second = ref.state("an operator exists"), ref.state("an operator exists")
    assert_matches("provider-states", "OperatorAnswer", first)
    assert (first["timezone_offset"], first["webhook_url"], first["ext"], first["wht"]) == (
        "+02:00", "http://127.0.0.1/webhook", "12.5", "20.0")
    assert first["name"] != second["name"] and first["secret"] != second["secret"]
    assert len(first["secret"]) >= 32


def test_an_operator_exists_with_params(ref):
    answer = ref.state("an operator exists", name="site", secret="s", timezone_offset="-05:30",
                       webhook_url=None, ext=10, wht="0")
    assert answer == {"name": "site", "secret": "s", "timezone_offset": "-05:30", "webhook_url": None,
                      "ext": "10", "wht": "0"}
    with ref.app.state.store.read() as conn:
        assert conn.execute("SELECT timezone_offset_minutes FROM operators WHERE name = 'site'").fetchone()[0] == -330


def test_a_player_exists_with_defaults(ref):
    player = ref.player()
    assert_matches("provider-states", "PlayerAnswer", player)
    assert (player["balance"], player["currency"], player["blocked"], player["min_stake"], player["max_stake"]) == (
        "1000.00", "EUR", False, "0.10", "500.00")
    assert player["apiKey"] == ref.app.state.api_key
    assert player["operator"]["name"]
    other = ref.player()
    for secret in ("userId", "sessionToken", "token", "customerToken", "memberid"):
        assert player[secret] != other[secret], secret
    with ref.app.state.store.read() as conn:
        row = conn.execute("SELECT * FROM players WHERE user_id = ?", (player["userId"],)).fetchone()
    assert row["session_expires_at"] > time.time() + 60


def test_a_player_exists_with_params(ref, reference_factory):
    operator = ref.state("an operator exists")
    player = ref.player(balance=50, currency="USD", blocked=True, min_stake="1", max_stake="20.5",
                        session_expired=True, operator=operator["name"])
    assert (player["balance"], player["currency"], player["blocked"], player["min_stake"], player["max_stake"]) == (
        "50.00", "USD", True, "1.00", "20.50")
    assert player["operator"] == operator
    with ref.app.state.store.read() as conn:
        assert conn.execute("SELECT session_expires_at FROM players WHERE user_id = ?",
                            (player["userId"],)).fetchone()[0] < time.time()
    assert reference_factory().player()["apiKey"] != player["apiKey"]   # a random key per app


def test_a_player_exists_creates_a_named_operator_that_does_not_exist(ref):
    assert ref.player(operator="brand-new")["operator"]["name"] == "brand-new"


def test_an_event_exists_with_the_default_market(ref):
    event = ref.state("an event exists")
    assert_matches("provider-states", "EventAnswer", event)
    assert event["started"] is False
    [market] = event["markets"]
    assert (market["code"], market["allowed"]) == ("1X2", True)
    assert [(s["name"], s["decimal_price"]) for s in market["selections"]] == [("1", "1.85"), ("X", "3.40"), ("2", "4.20")]


def test_an_event_exists_with_markets(ref):
    event = ref.state("an event exists", started=True,
                      markets=[{"code": "OU", "allowed": False, "prices": ["1.90", 2]}, {"code": "1X2", "prices": ["3"]}])
    assert event["started"] is True
    assert [(m["code"], m["allowed"], [s["decimal_price"] for s in m["selections"]]) for m in event["markets"]] == [
        ("OU", False, ["1.90", "2"]), ("1X2", True, ["3"])]
    ids = [s["bet_id"] for m in event["markets"] for s in m["selections"]]
    assert len(set(ids)) == 3


def test_a_jackpot_betcard_exists(ref):
    betcard = ref.state("a jackpot betcard exists")
    assert_matches("provider-states", "BetcardAnswer", betcard)
    assert (betcard["prize"], betcard["bonus_prizes"], len(betcard["events"])) == (1_000_000, [10_000, 5_000], 3)
    betcard = ref.state("a jackpot betcard exists", events=1, prize=5, bonus_prizes=[])
    assert (betcard["prize"], betcard["bonus_prizes"], len(betcard["events"])) == (5, [], 1)


def test_a_player_snapshot_merges_every_api(ref):
    player = ref.player()
    empty = ref.snapshot(player["userId"])
    assert_matches("provider-states", "SnapshotAnswer", empty)
    assert empty == {"userId": player["userId"], "balance": "1000.00", "currency": "EUR", "bets": [], "orders": [],
                     "tickets": [], "travel_orders": [], "ledger": []}
    assert ref.bet(player).status_code == 200
    assert ref.order(seed_order(player["customerToken"])).status_code == 200
    snapshot = ref.snapshot(player["userId"])
    assert_matches("provider-states", "SnapshotAnswer", snapshot)
    assert (len(snapshot["bets"]), len(snapshot["orders"]), len(snapshot["ledger"])) == (1, 1, 2)
    assert [e["reason"] for e in snapshot["ledger"]] == ["bet-placement", "sportsbook-order"]
    assert snapshot["balance"] == snapshot["ledger"][-1]["balance_after"] == "897.45"


def test_teardown_answers_an_empty_object(ref):
    response = call(ref, {"state": "a player exists", "action": "teardown"})
    assert (response.status_code, response.json()) == (200, {})


@pytest.mark.parametrize("body, message", [
    ({"state": "a dragon exists"}, "unknown provider state 'a dragon exists'"),
    ({"params": {}}, "the body must be"),
    ({"state": "a player exists", "action": "explode"}, "action must be"),
    ({"state": "a player exists", "params": []}, "params must be an object"),
    ({"state": "a player exists", "params": {"balance": "lots"}}, "balance"),
    ({"state": "a player exists", "params": {"balance": "-1"}}, "balance"),
    ({"state": "a player exists", "params": {"balance": "1.005"}}, "balance"),
    ({"state": "a player exists", "params": {"currency": "euro"}}, "currency"),
    ({"state": "a player exists", "params": {"blocked": "yes"}}, "blocked"),
    ({"state": "a player exists", "params": {"min_stake": "5", "max_stake": "1"}}, "min_stake"),
    ({"state": "a player exists", "params": {"colour": "red"}}, "unknown param(s) colour"),
    ({"state": "an operator exists", "params": {"timezone_offset": "2h"}}, "timezone_offset"),
    ({"state": "an operator exists", "params": {"ext": "NaN"}}, "ext"),
    ({"state": "an event exists", "params": {"markets": []}}, "markets"),
    ({"state": "an event exists", "params": {"markets": [{"code": "1X2", "prices": ["1.00"]}]}}, "greater than 1"),
    ({"state": "a jackpot betcard exists", "params": {"events": 0}}, "events"),
    ({"state": "a jackpot betcard exists", "params": {"bonus_prizes": [1.5]}}, "bonus_prizes"),
    ({"state": "a player snapshot", "params": {}}, "userId"),
    ({"state": "a player snapshot", "params": {"userId": "nobody"}}, "no player"),
])
def test_bad_requests_get_400_with_the_reason(ref, body, message):
    response = call(ref, body)
    assert response.status_code == 400
    assert_matches("provider-states", "HookError", response.json())
    assert message in response.json()["error"]


def test_a_duplicate_operator_name_gets_400(ref):
    ref.state("an operator exists", name="twice")
    assert call(ref, {"state": "an operator exists", "params": {"name": "twice"}}).status_code == 400


def test_malformed_json_gets_400(ref):
    response = ref.client.post(PROVIDER_STATES_PATH, content=b"{nope", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]


def test_the_hook_can_be_disabled(reference_factory):
    ref = reference_factory(provider_states=False)
    assert call(ref, {"state": "a player exists"}).status_code == 404


def test_a_player_whose_session_expired_minutes_ago(ref):
    player = ref.state("a player exists", session_expired=True, session_expired_seconds_ago=600)
    with ref.app.state.store.read() as conn:
        expires_at = conn.execute("SELECT session_expires_at FROM players WHERE user_id = ?",
                                  (player["userId"],)).fetchone()[0]
    assert 590 <= time.time() - expires_at <= 620
    refused = ref.client.post(PROVIDER_STATES_PATH, json={"state": "a player exists",
                                                           "params": {"session_expired_seconds_ago": 0}})
    assert refused.status_code == 400
    too_long = ref.client.post(PROVIDER_STATES_PATH, json={"state": "a player exists",
                                                            "params": {"session_expired_seconds_ago": 31_536_001}})
    assert too_long.status_code == 400 and "from 1 to 31536000" in too_long.text
