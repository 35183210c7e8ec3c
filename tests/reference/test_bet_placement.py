"""bet-placement (004) on the reference: the happy path, every error of the seed's table with its
HTTP status, the order of checks, atomicity and idempotent repeats."""

from __future__ import annotations

import uuid
from decimal import Decimal, localcontext

import pytest

from orderproof.reference.app import API_MODULES
from orderproof.reference.behaviour import build_behaviour

from .conftest import assert_matches, bet_details, dumps, loads, make_slip


def state_of(ref, player):
    """What a rejected call must leave unchanged: balance, bets and ledger."""
    snapshot = ref.snapshot(player["userId"])
    return snapshot["balance"], snapshot["bets"], snapshot["ledger"]


def test_a_slip_is_placed_debited_and_stored_pending_with_exact_payouts(ref):
    player = ref.player(balance="100.00")
    bets = [bet_details(stake=Decimal("2.55"), decimalPrice=Decimal("1.85")),
            bet_details(stake=Decimal("10"), decimalPrice=Decimal("3.333"))]
    slip = make_slip(player, *bets)

    response = ref.bet(player, slip)

    assert response.status_code == 200, response.text
    answer = loads(response.content)
    assert_matches("bet-placement", "PlacementResponse", response.json())
    assert answer["status"] == "PLACED"
    assert (answer["requestId"], answer["userId"], answer["sessionToken"]) == (
        slip["requestId"], player["userId"], player["sessionToken"])
    assert answer["bets"] == slip["bets"]
    assert b'"stake":2.55' in response.content and b'"decimalPrice":3.333' in response.content
    snapshot = ref.snapshot(player["userId"])
    assert snapshot["balance"] == "87.45"
    assert [(b["betId"], b["stake"], b["decimalPrice"], b["potentialPayout"], b["status"]) for b in snapshot["bets"]] == [
        (bets[0]["betId"], "2.55", "1.85", "4.7175", "pending"),
        (bets[1]["betId"], "10", "3.333", "33.330", "pending"),
    ]
    assert all(b["requestId"] == slip["requestId"] for b in snapshot["bets"])
    assert [(e["amount"], e["balance_after"], e["reference"]) for e in snapshot["ledger"]] == [
        ("-2.55", "97.45", bets[0]["betId"]), ("-10", "87.45", bets[1]["betId"])]


def test_an_alternate_event_id_is_stored_as_given(ref):
    player = ref.player()
    assert ref.bet(player, make_slip(player, bet_details(eventAltId="DDE-77"))).status_code == 200
    # optional ("Required? No"): null is the field left unset, as serializers write it
    assert ref.bet(player, make_slip(player, bet_details(eventAltId=None))).status_code == 200
    with ref.app.state.store.read() as conn:
        assert conn.execute("SELECT event_alt_id FROM bets").fetchone()[0] == "DDE-77"


def test_potential_payout_is_exact_for_long_prices(ref):
    player = ref.player()
    price = Decimal("1.123456789012345678901234567891")
    assert ref.bet(player, make_slip(player, bet_details(stake=Decimal("499.99"), decimalPrice=price))).status_code == 200
    stored = ref.snapshot(player["userId"])["bets"][0]["potentialPayout"]
    assert stored == "561.71715993828271599382827159982109"   # 499.99 x price, all 35 digits
    with localcontext(prec=100):
        assert Decimal(stored) == Decimal("499.99") * price


def invalid_details(player):
    return {
        "stake zero": make_slip(player, bet_details(stake=0)),
        "stake negative": make_slip(player, bet_details(stake=Decimal("-1"))),
        "stake with 3 decimals": make_slip(player, bet_details(stake=Decimal("1.005"))),
        "stake as a string": make_slip(player, bet_details(stake="10")),
        "stake true": make_slip(player, bet_details(stake=True)),
        "price 1": make_slip(player, bet_details(decimalPrice=1)),
        "price above 10000": make_slip(player, bet_details(decimalPrice=Decimal("10000.01"))),
        "price 1e400": make_slip(player, bet_details(decimalPrice=Decimal("1e400"))),
        "requestId not a UUID": make_slip(player, requestId="req-1"),
        "betId without hyphens": make_slip(player, bet_details(betId=uuid.uuid4().hex)),
        "userId a number": make_slip(player, userId=12),
        "timestamp a number": make_slip(player, timestamp=1640995200000),
        "unknown stage": make_slip(player, bet_details(eventStage="LIVE")),
        "no bets": make_slip(player, bets=[]),
        "a bet not an object": make_slip(player, bets=["bet"]),
        "bets an object": make_slip(player, bets={"stake": 1}),
    }


@pytest.mark.parametrize("case", list(invalid_details({"userId": "u", "sessionToken": "s"})))
def test_invalid_bet_details(ref, case):
    player = ref.player()
    before = state_of(ref, player)
    response = ref.bet(player, invalid_details(player)[case])
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == "INVALID_BET_DETAILS"
    assert_matches("bet-placement", "Failure400", response.json())
    assert state_of(ref, player) == before


@pytest.mark.parametrize("raw, content_type", [
    (b"{not json", "application/json"),
    (b"", "application/json"),
    (b"[1, 2]", "application/json"),
    (b'"a string"', "application/json"),
    (b'{"stake": NaN}', "application/json"),
    (b'{"stake": Infinity}', "application/json"),
    (b"\xff\xfe{}", "application/json"),
    (b"[" * 5000 + b"]" * 5000, "application/json"),
    (b'{"a": ' + b"9" * 5000 + b"}", "application/json"),
    (b"requestId=1", "application/x-www-form-urlencoded"),
    (b"{}", "text/plain"),
])
def test_unreadable_bodies_get_invalid_bet_details(ref, raw, content_type):
    player = ref.player()
    before = state_of(ref, player)
    response = ref.bet(player, raw=raw, headers={"Content-Type": content_type})
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == "INVALID_BET_DETAILS"
    assert state_of(ref, player) == before


@pytest.mark.parametrize("field", ["requestId", "userId", "sessionToken", "timestamp", "bets"])
@pytest.mark.parametrize("how", ["missing", "null"])
def test_a_missing_or_null_field_gets_missing_parameter(ref, field, how):
    player = ref.player()
    slip = make_slip(player)
    if how == "missing":
        del slip[field]
    else:
        slip[field] = None
    response = ref.bet(player, slip)
    assert (response.status_code, response.json()["errorCode"]) == (400, "MISSING_PARAMETER")
    assert field in response.json()["errorMessage"]
    assert state_of(ref, player)[1] == []


def test_a_missing_bet_field_gets_missing_parameter(ref):
    player = ref.player()
    bet = bet_details()
    del bet["selectionName"]
    response = ref.bet(player, make_slip(player, bet))
    assert (response.status_code, response.json()["errorCode"]) == (400, "MISSING_PARAMETER")
    assert "bets[0].selectionName" in response.json()["errorMessage"]


def test_a_missing_idempotency_key_gets_missing_parameter(ref):
    player = ref.player()
    response = ref.bet(player, headers={"X-Idempotency-Key": None})
    assert (response.status_code, response.json()["errorCode"]) == (400, "MISSING_PARAMETER")
    response = ref.bet(player, key="not-a-uuid")
    assert (response.status_code, response.json()["errorCode"]) == (400, "INVALID_BET_DETAILS")
    assert state_of(ref, player)[1] == []


@pytest.mark.parametrize("api_key", [None, "wrong-key", ""])
def test_a_missing_or_wrong_api_key_gets_authentication_failed(ref, api_key):
    player = ref.player()
    response = ref.bet(player, headers={"X-API-Key": api_key})
    assert (response.status_code, response.json()["errorCode"]) == (403, "AUTHENTICATION_FAILED")
    assert_matches("bet-placement", "Failure403", response.json())
    assert state_of(ref, player)[1] == []


def test_an_unknown_user_gets_invalid_user(ref):
    player = ref.player()
    response = ref.bet(player, make_slip(player, userId="nobody"))
    assert (response.status_code, response.json()["errorCode"]) == (400, "INVALID_USER")


@pytest.mark.parametrize("expired, token", [(False, "someone-else"), (True, None)])
def test_a_wrong_or_expired_session_gets_invalid_session(ref, expired, token):
    player = ref.player(session_expired=expired)
    before = state_of(ref, player)
    response = ref.bet(player, make_slip(player, sessionToken=token or player["sessionToken"]))
    assert (response.status_code, response.json()["errorCode"]) == (401, "INVALID_SESSION")
    assert_matches("bet-placement", "Failure401", response.json())
    assert state_of(ref, player) == before


def test_a_blocked_user_gets_user_blocked(ref):
    player = ref.player(blocked=True)
    before = state_of(ref, player)
    response = ref.bet(player)
    assert (response.status_code, response.json()["errorCode"]) == (400, "USER_BLOCKED")
    assert state_of(ref, player) == before


def test_stakes_outside_the_limits_get_invalid_stake_with_the_limit_breached(ref):
    player = ref.player(min_stake="1.00", max_stake="50.00")
    fine, high, low = bet_details(stake=5), bet_details(stake=Decimal("50.01")), bet_details(stake=Decimal("0.99"))
    before = state_of(ref, player)
    response = ref.bet(player, make_slip(player, fine, high, low))
    assert response.status_code == 400
    answer = loads(response.content)
    assert answer["errorCode"] == "INVALID_STAKE"
    assert_matches("bet-placement", "Failure400", response.json())
    assert [(f["betId"], f["reason"]) for f in answer["failedBets"]] == [
        (high["betId"], {"maxStake": Decimal("50.00")}), (low["betId"], {"minStake": Decimal("1.00")})]
    assert set(answer["failedBets"][0]) == {"betId", "sportId", "eventId", "marketId", "selectionId", "reason"}
    assert state_of(ref, player) == before


@pytest.mark.parametrize("literal", [b"1e400", b"1" + b"0" * 30, b"9e999999", b"1E+999999999"])
def test_a_huge_stake_is_a_stake_above_the_limit_not_a_server_error(ref, literal):
    player = ref.player()
    raw = dumps(make_slip(player, bet_details(stake=Decimal("123.45")))).replace(b"123.45", literal)
    response = ref.bet(player, raw=raw)
    assert response.status_code == 400, response.text
    assert response.json()["errorCode"] == "INVALID_STAKE"
    assert loads(response.content)["failedBets"][0]["reason"] == {"maxStake": Decimal("500.00")}


def test_stakes_summing_above_the_balance_get_insufficient_funds(ref):
    player = ref.player(balance="10.00")
    before = state_of(ref, player)
    response = ref.bet(player, make_slip(player, bet_details(stake=6), bet_details(stake=Decimal("4.01"))))
    assert (response.status_code, response.json()["errorCode"]) == (400, "INSUFFICIENT_FUNDS")
    assert state_of(ref, player) == before
    assert ref.bet(player, make_slip(player, bet_details(stake=6), bet_details(stake=4))).status_code == 200
    assert ref.snapshot(player["userId"])["balance"] == "0.00"


@pytest.mark.parametrize("player_params, slip_change, expected", [
    ({"blocked": True}, {"userId": "nobody"}, "INVALID_USER"),                  # user before blocked
    ({"blocked": True}, {"sessionToken": "wrong"}, "INVALID_SESSION"),          # session before blocked
    ({"blocked": True, "balance": "1.00"}, {}, "USER_BLOCKED"),                 # blocked before funds
    ({"max_stake": "1.00", "balance": "1.00"}, {}, "INVALID_STAKE"),            # limits before funds
    ({}, {"userId": "nobody", "timestamp": "soon"}, "INVALID_BET_DETAILS"),     # details before user
    ({}, {"userId": None, "timestamp": "soon"}, "MISSING_PARAMETER"),           # missing before details
])
def test_the_order_of_checks(ref, player_params, slip_change, expected):
    player = ref.player(**player_params)
    response = ref.bet(player, make_slip(player, bet_details(stake=5)) | slip_change)
    assert response.json()["errorCode"] == expected


def test_an_api_key_is_checked_before_the_idempotency_key(ref):
    player = ref.player()
    response = ref.bet(player, headers={"X-API-Key": "wrong", "X-Idempotency-Key": None})
    assert response.json()["errorCode"] == "AUTHENTICATION_FAILED"


def failing_insert(after: int):
    """A bp_insert_bet that fails on its (after+1)-th call, like a database error mid-slip."""
    calls = []
    real = API_MODULES[-1].BEHAVIOUR["bp_insert_bet"]

    def insert(conn, bet):
        calls.append(bet)
        if len(calls) > after:
            raise RuntimeError("disk I/O error")
        real(conn, bet)

    return insert


def test_a_failure_in_the_middle_of_a_slip_stores_nothing_and_does_not_consume_the_key(ref):
    player = ref.player()
    slip = make_slip(player, bet_details(), bet_details(), bet_details())
    key = str(uuid.uuid4())
    before = state_of(ref, player)
    healthy = ref.app.state.behaviour
    ref.app.state.behaviour = build_behaviour(
        {m.__name__: m.BEHAVIOUR for m in API_MODULES}, {"bp_insert_bet": failing_insert(after=2)})

    response = ref.bet(player, slip, key=key)

    assert response.status_code == 500
    assert response.json() == {"status": "FAILURE", "errorCode": "GENERAL_EXCEPTION", "errorMessage": "unexpected server error"}
    assert state_of(ref, player) == before
    ref.app.state.behaviour = healthy
    retry = ref.bet(player, slip, key=key)
    assert retry.status_code == 200
    assert len(ref.snapshot(player["userId"])["bets"]) == 3


@pytest.mark.parametrize("outcome", ["PLACED", "FAILURE"])
def test_a_repeat_replays_the_first_response_byte_for_byte_and_changes_nothing(ref, outcome):
    player = ref.player()
    slip = make_slip(player) if outcome == "PLACED" else make_slip(player, bet_details(stake=Decimal("600")))
    key = str(uuid.uuid4())
    first = ref.bet(player, slip, key=key)
    assert first.json()["status"] == outcome
    after_first = state_of(ref, player)

    repeats = [ref.bet(player, slip, key=key) for _ in range(2)]

    assert all((r.status_code, r.content) == (first.status_code, first.content) for r in repeats)
    assert state_of(ref, player) == after_first


def test_a_repeat_with_the_key_in_other_case_is_the_same_key(ref):
    player = ref.player()
    slip, key = make_slip(player), str(uuid.uuid4())
    first = ref.bet(player, slip, key=key)
    assert ref.bet(player, slip, key=key.upper()).content == first.content
    assert len(ref.snapshot(player["userId"])["bets"]) == 1


def test_a_repeat_of_an_unreadable_body_replays_its_failure(ref):
    player = ref.player()
    key = str(uuid.uuid4())
    first = ref.bet(player, raw=b"{oops", key=key)
    assert first.status_code == 400
    assert ref.bet(player, raw=b"{oops", key=key).content == first.content
    assert ref.bet(player, raw=b"{other", key=key).status_code == 422


def test_the_key_reused_with_another_body_gets_422_and_changes_nothing(ref):
    player = ref.player()
    key = str(uuid.uuid4())
    assert ref.bet(player, make_slip(player), key=key).status_code == 200
    after_first = state_of(ref, player)

    response = ref.bet(player, make_slip(player), key=key)

    assert response.status_code == 422
    assert response.json()["status"] == "FAILURE" and response.json()["errorCode"] == "INVALID_BET_DETAILS"
    assert_matches("bet-placement", "Failure422", response.json())
    assert state_of(ref, player) == after_first


def test_the_same_body_with_other_spacing_or_key_order_is_the_same_request(ref):
    player = ref.player()
    slip, key = make_slip(player), str(uuid.uuid4())
    first = ref.bet(player, slip, key=key)
    import json

    respaced = json.dumps(dict(reversed(list(loads(first.request.content).items()))), indent=2, default=str)
    respaced = respaced.replace('"2.55"', "2.55").replace('"1.85"', "1.85")
    assert ref.bet(player, raw=respaced.encode(), key=key).content == first.content
