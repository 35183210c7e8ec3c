"""Idempotency under real concurrency: duplicates sent together to a served reference (uvicorn on
loopback) place the slip once, and every answer is the stored replay or 409. Also the claim's
life cycle: in flight (409), abandoned by a crashed worker (taken over), released after a 5xx."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

from orderproof.core.paths import PROVIDER_STATES_PATH
from orderproof.reference import idempotency

from .conftest import dumps, loads, make_slip, served

DUPLICATES = 12


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"} | headers)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def send_duplicates(base: str) -> tuple[dict, list[tuple[int, bytes]], dict]:
    """A player, then DUPLICATES identical slips released together; returns (player, answers, snapshot)."""
    status, raw = post(base + PROVIDER_STATES_PATH, b'{"state": "a player exists"}', {})
    assert status == 200
    player = loads(raw)
    body = dumps(make_slip(player))
    headers = {"X-API-Key": player["apiKey"], "X-Idempotency-Key": str(uuid.uuid4())}
    start = threading.Barrier(DUPLICATES, timeout=10)

    def one(_: int) -> tuple[int, bytes]:
        start.wait()
        return post(base + "/bet", body, headers)

    with ThreadPoolExecutor(max_workers=DUPLICATES) as pool:
        answers = list(pool.map(one, range(DUPLICATES), timeout=60))
    snapshot_body = dumps({"state": "a player snapshot", "params": {"userId": player["userId"]}})
    status, raw = post(base + PROVIDER_STATES_PATH, snapshot_body, {})
    assert status == 200
    return player, answers, loads(raw)


def test_concurrent_duplicates_place_once_and_get_the_replay_or_409(app_factory):
    with served(app_factory()) as base:
        player, answers, snapshot = send_duplicates(base)

    placed = [body for status, body in answers if status == 200]
    assert placed and all(body == placed[0] for body in placed), "every 200 must be the same stored bytes"
    assert loads(placed[0])["status"] == "PLACED"
    assert all(status in (200, 409) for status, _ in answers), [status for status, _ in answers]
    assert all(loads(body)["status"] == "FAILURE" for status, body in answers if status == 409)
    assert len(snapshot["bets"]) == 1 and len(snapshot["ledger"]) == 1
    assert snapshot["balance"] == "997.45"


def test_the_race_fault_places_concurrent_duplicates_more_than_once(app_factory):
    """A race needs the duplicates to meet: on a busy machine a burst may reach the server spread out
    (the fault opens its window only while a duplicate is in flight), so up to three bursts are sent,
    each for a new player and key; one that places the slip twice shows the fault."""
    with served(app_factory(fault="idempotency-race")) as base:
        for _ in range(3):
            _, answers, snapshot = send_duplicates(base)
            assert all(status == 200 for status, _ in answers)
            if len(snapshot["bets"]) > 1:
                break
    assert len(snapshot["bets"]) > 1, "idempotency-race must let duplicates through"


def claim(ref, key: str, *, age_s: float, fingerprint: str = "f" * 64) -> None:
    with ref.app.state.store.transaction() as conn:
        conn.execute(
            "INSERT INTO idempotency_keys (scope, key, fingerprint, owner, claimed_at) VALUES (?, ?, ?, ?, ?)",
            ("bet-placement", key, fingerprint, "another-worker", time.time() - age_s),
        )


def fingerprint_of(slip) -> str:
    from orderproof.reference.errors import fingerprint

    return fingerprint(loads(dumps(slip)))


def test_a_repeat_while_the_first_is_in_flight_gets_409(ref):
    player = ref.player()
    slip, key = make_slip(player), str(uuid.uuid4())
    claim(ref, key, age_s=1, fingerprint=fingerprint_of(slip))

    response = ref.bet(player, slip, key=key)

    assert response.status_code == 409
    assert response.json()["status"] == "FAILURE"
    assert ref.snapshot(player["userId"])["bets"] == []


def test_an_abandoned_claim_is_taken_over(ref):
    player = ref.player()
    slip, key = make_slip(player), str(uuid.uuid4())
    claim(ref, key, age_s=idempotency.STALE_AFTER_S + 1, fingerprint=fingerprint_of(slip))

    response = ref.bet(player, slip, key=key)

    assert response.status_code == 200
    assert ref.bet(player, slip, key=key).content == response.content
    assert len(ref.snapshot(player["userId"])["bets"]) == 1


def test_a_worker_that_lost_its_claim_keeps_nothing(ref):
    """The owner check when the answer is stored: work done while another worker took the claim
    over (after STALE_AFTER_S) is rolled back, and the answer is 409."""
    player = ref.player()

    def taken_over_meanwhile(conn):
        conn.execute("UPDATE players SET balance = '0.00' WHERE user_id = ?", (player["userId"],))
        conn.execute("UPDATE idempotency_keys SET owner = 'another-worker' WHERE key = 'k'")
        return idempotency.Reply(200, b"{}")

    outcome = idempotency.claim_then_process(ref.app.state.store, "bet-placement", "k", "f", taken_over_meanwhile)

    assert outcome.kind == "in-flight"
    assert ref.snapshot(player["userId"])["balance"] == "1000.00"
