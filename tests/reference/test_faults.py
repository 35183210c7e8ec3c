"""The fault registry is consistent, and each bet-placement and sportsbook-order fault really
produces its bug (a direct test per fault; the suite's self-verification is elsewhere)."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from jsonschema import ValidationError

from orderproof import cli, registry
from orderproof.core.paths import PROVIDER_STATES_PATH
from orderproof.reference.app import API_MODULES
from orderproof.reference.behaviour import build_behaviour
from orderproof.reference.faults import FAULTS, get_fault
from orderproof.reference.variations import VARIATIONS

from .conftest import (
    bet_details,
    dumps,
    free_port,
    loads,
    make_slip,
    seed_order,
    spec_validator,
)

MINE = ("bet-placement", "sportsbook-order")


# --- the registry ----------------------------------------------------------------------------------

def contract_ids(slug: str) -> set[str]:
    return {rule["id"] for rule in yaml.safe_load(registry.get(slug).contract_path.read_text(encoding="utf-8"))["rules"]}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_every_fault_is_well_formed_and_starts(name, app_factory):
    fault = FAULTS[name]
    assert fault.name == name and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name)
    assert fault.api in registry.slugs()
    assert fault.rules and len(set(fault.rules)) == len(fault.rules)
    # a fault of the shared ticket engine may break rules of both its APIs
    assert set(fault.rules) <= set().union(*map(contract_ids, registry.slugs())), f"{name}: rules not in any contract"
    assert set(fault.rules) & contract_ids(fault.api), f"{name}: no rule of contracts/{fault.api}.yaml"
    assert len(fault.patch) == 1, "a fault replaces exactly one behaviour"
    assert fault.description
    app = app_factory(fault=name)   # a patch naming an unknown behaviour would fail here
    [(behaviour, function)] = fault.patch.items()
    assert getattr(app.state.behaviour, behaviour) is function


def test_every_behaviour_patched_by_a_fault_exists():
    declared = {name for module in API_MODULES for name in module.BEHAVIOUR}
    assert {name for fault in FAULTS.values() for name in fault.patch} <= declared


def test_an_unknown_fault_is_a_value_error_listing_the_known_ones(app_factory):
    with pytest.raises(ValueError, match="unknown fault 'no-such-bug'; known faults: .*payout-float"):
        app_factory(fault="no-such-bug")
    with pytest.raises(ValueError, match="known faults"):
        get_fault("")


def test_a_patch_of_an_unknown_behaviour_or_a_duplicate_behaviour_fails_at_start_up():
    with pytest.raises(ValueError, match="unknown behaviour 'bp_nonexistent'"):
        build_behaviour({"m": {"bp_a": print}}, {"bp_nonexistent": print})
    with pytest.raises(ValueError, match="declared by both m and n"):
        build_behaviour({"m": {"bp_a": print}, "n": {"bp_a": print}})


def test_every_fault_of_these_apis_has_a_test_proving_its_bug():
    tests = "".join(path.read_text(encoding="utf-8") for path in Path(__file__).parent.glob("test_*.py"))
    missing = [name for name, fault in FAULTS.items() if fault.api in MINE and f'"{name}"' not in tests.replace(
        "FAULTS", "")]
    assert not missing


# --- bet-placement faults: each bug, for real --------------------------------------------------------

def faulty(reference_factory, name):
    return reference_factory(fault=name)


def test_stores_partial_slip(reference_factory):
    ref = faulty(reference_factory, "stores-partial-slip")
    player = ref.player(max_stake="50.00")
    response = ref.bet(player, make_slip(player, bet_details(stake=5), bet_details(stake=60), bet_details(stake=5)))
    assert response.json()["errorCode"] == "INVALID_STAKE"
    assert len(response.json()["failedBets"]) == 1
    snapshot = ref.snapshot(player["userId"])
    assert (len(snapshot["bets"]), snapshot["balance"]) == (2, "990.00")   # the bug: a rejected slip stored


def test_payout_float(reference_factory):
    ref = faulty(reference_factory, "payout-float")
    player = ref.player()
    ref.bet(player, make_slip(player, bet_details(stake=Decimal("2.55"), decimalPrice=Decimal("1.85"))))
    stored = ref.snapshot(player["userId"])["bets"][0]["potentialPayout"]
    assert stored == "4.71750020980835"     # single precision; exact, in cents and in a double: 4.7175
    assert float(stored) != 2.55 * 1.85


def test_payout_price_to_cents(reference_factory):
    ref = faulty(reference_factory, "payout-price-to-cents")
    player = ref.player()
    ref.bet(player, make_slip(player, bet_details(stake=Decimal("10.00"), decimalPrice=Decimal("2.375"))))
    assert Decimal(ref.snapshot(player["userId"])["bets"][0]["potentialPayout"]) == Decimal("23.80")   # not 23.75


def test_payout_without_stake(reference_factory):
    ref = faulty(reference_factory, "payout-without-stake")
    player = ref.player()
    ref.bet(player, make_slip(player, bet_details(stake=Decimal("2.55"), decimalPrice=Decimal("1.85"))))
    assert ref.snapshot(player["userId"])["bets"][0]["potentialPayout"] == "2.1675"   # 2.55 x 0.85, not 4.7175


def test_ignores_idempotency_key(reference_factory):
    ref = faulty(reference_factory, "ignores-idempotency-key")
    player = ref.player()
    slip, key = make_slip(player), str(uuid.uuid4())
    assert [ref.bet(player, slip, key=key).status_code for _ in range(2)] == [200, 200]
    assert ref.bet(player, make_slip(player), key=key).status_code == 200    # no 422 either
    assert len(ref.snapshot(player["userId"])["bets"]) == 3


def test_replay_status_200(reference_factory):
    ref = faulty(reference_factory, "replay-status-200")
    player = ref.player()
    slip, key = make_slip(player, bet_details(stake=Decimal("600"))), str(uuid.uuid4())   # over max_stake
    first, again = ref.bet(player, slip, key=key), ref.bet(player, slip, key=key)
    assert (first.status_code, first.json()["errorCode"]) == (400, "INVALID_STAKE")
    assert (again.status_code, again.content) == (200, first.content)    # the bug: the FAILURE body at 200
    placed, placed_key = make_slip(player), str(uuid.uuid4())
    assert [ref.bet(player, placed, key=placed_key).status_code for _ in range(2)] == [200, 200]
    assert len(ref.snapshot(player["userId"])["bets"]) == 1


def test_session_token_any_user(reference_factory):
    ref = faulty(reference_factory, "session-token-any-user")
    player, other = ref.player(), ref.player()
    slip = make_slip(player, sessionToken=other["sessionToken"])   # another user's live session
    assert ref.bet(player, slip).status_code == 200
    assert ref.bet(player, make_slip(player, sessionToken="nobody's")).status_code == 401


def test_non_uuid_key_500(reference_factory):
    ref = faulty(reference_factory, "non-uuid-key-500")
    player = ref.player()
    response = ref.bet(player, key="not-a-uuid")
    assert (response.status_code, response.json()["errorCode"]) == (500, "GENERAL_EXCEPTION")
    assert ref.snapshot(player["userId"])["bets"] == []
    assert ref.bet(player).status_code == 200   # a UUID key works


def test_accepts_conflicting_key(reference_factory):
    ref = faulty(reference_factory, "accepts-conflicting-key")
    player = ref.player()
    key = str(uuid.uuid4())
    first = ref.bet(player, make_slip(player), key=key)
    other = ref.bet(player, make_slip(player, bet_details(stake=7)), key=key)
    assert (first.status_code, other.status_code) == (200, 200)   # not 422
    assert len(ref.snapshot(player["userId"])["bets"]) == 2


def test_accepts_expired_session(reference_factory):
    ref = faulty(reference_factory, "accepts-expired-session")
    player = ref.player(session_expired=True)
    assert ref.bet(player).status_code == 200
    assert ref.bet(player, make_slip(player, sessionToken="wrong")).status_code == 401   # only expiry is skipped


def test_session_grace_period(reference_factory):
    ref = faulty(reference_factory, "session-grace-period")
    recent = ref.player(session_expired=True, session_expired_seconds_ago=1)
    assert ref.bet(recent).status_code == 200                                          # the undocumented grace
    long_ago = ref.player(session_expired=True, session_expired_seconds_ago=600)
    assert ref.bet(long_ago).json()["errorCode"] == "INVALID_SESSION"                  # beyond it: refused


def test_framework_422(reference_factory):
    ref = faulty(reference_factory, "framework-422")
    player = ref.player()
    slip = make_slip(player)
    del slip["userId"]
    response = ref.bet(player, slip)
    assert response.status_code == 422
    assert response.json() == {"detail": [{"loc": ["body", "userId"], "msg": "Field required", "type": "missing"}]}
    assert ref.bet(player, headers={"X-Idempotency-Key": None}).status_code == 422


def test_wrong_error_status(reference_factory):
    ref = faulty(reference_factory, "wrong-error-status")
    player = ref.player(balance="1.00")
    response = ref.bet(player)
    assert (response.status_code, response.json()["errorCode"]) == (402, "INSUFFICIENT_FUNDS")


def test_sessions_refused(reference_factory):
    ref = faulty(reference_factory, "sessions-refused")
    player = ref.player()
    response = ref.bet(player)                          # a live session, a valid slip, the right API key
    assert (response.status_code, loads(response.content)["errorCode"]) == (401, "INVALID_SESSION")
    assert ref.snapshot(player["userId"])["bets"] == []


def test_skips_api_key(reference_factory):
    ref = faulty(reference_factory, "skips-api-key")
    player = ref.player()
    assert ref.bet(player, headers={"X-API-Key": None}).status_code == 200


def test_echo_rounds_stake(reference_factory):
    ref = faulty(reference_factory, "echo-rounds-stake")
    player = ref.player()
    response = ref.bet(player, make_slip(player, bet_details(stake=Decimal("2.55"))))
    assert loads(response.content)["bets"][0]["stake"] == 3


def test_bet_status_settled(reference_factory):
    assert faulty(reference_factory, "bet-status-settled").stored_status() == "SETTLED"


def test_overdraws(reference_factory):
    ref = faulty(reference_factory, "overdraws")
    player = ref.player(balance="10.00")
    assert ref.bet(player, make_slip(player, bet_details(stake=20))).status_code == 200
    assert ref.snapshot(player["userId"])["balance"] == "-10.00"


def test_funds_must_exceed_stakes(reference_factory):
    ref = faulty(reference_factory, "funds-must-exceed-stakes")
    player = ref.player(balance="10.00")
    refused = ref.bet(player, make_slip(player, bet_details(stake=4), bet_details(stake=6)))   # exactly 10.00
    assert (refused.status_code, refused.json()["errorCode"]) == (400, "INSUFFICIENT_FUNDS")
    assert ref.bet(player, make_slip(player, bet_details(stake=9))).status_code == 200


def test_debits_first_bet_only(reference_factory):
    ref = faulty(reference_factory, "debits-first-bet-only")
    player = ref.player()
    ref.bet(player, make_slip(player, bet_details(stake=5), bet_details(stake=7)))
    snapshot = ref.snapshot(player["userId"])
    assert (len(snapshot["bets"]), snapshot["balance"], len(snapshot["ledger"])) == (2, "995.00", 1)


def test_ignores_blocked_user(reference_factory):
    ref = faulty(reference_factory, "ignores-blocked-user")
    player = ref.player(blocked=True)
    assert ref.bet(player).status_code == 200


def test_stake_limit_reports_stake(reference_factory):
    ref = faulty(reference_factory, "stake-limit-reports-stake")
    player = ref.player()
    response = ref.bet(player, make_slip(player, bet_details(stake=600)))
    assert loads(response.content)["failedBets"][0]["reason"] == {"maxStake": 600}   # the limit is 500.00


def test_stake_limit_max_exclusive(reference_factory):
    ref = faulty(reference_factory, "stake-limit-max-exclusive")
    player = ref.player()
    response = ref.bet(player, make_slip(player, bet_details(stake=500)))    # the limit is 500.00
    assert loads(response.content)["failedBets"][0]["reason"] == {"maxStake": Decimal("500.00")}
    assert ref.bet(player, make_slip(player, bet_details(stake=Decimal("499.99")))).status_code == 200


def test_huge_number_500(reference_factory):
    ref = faulty(reference_factory, "huge-number-500")
    player = ref.player()
    raw = dumps(make_slip(player, bet_details(stake=Decimal("123.45")))).replace(b"123.45", b"1e400")
    response = ref.bet(player, raw=raw)
    assert (response.status_code, response.json()["errorCode"]) == (500, "GENERAL_EXCEPTION")
    assert ref.bet(player).status_code == 200   # everyday stakes are fine


# --- sportsbook-order faults ---------------------------------------------------------------------------

def test_ticket_id_precision(reference_factory):
    ref = faulty(reference_factory, "ticket-id-precision")
    player = ref.player()
    response = ref.order(seed_order(player["customerToken"], ticketId="116295584494649345"))
    assert loads(response.content)["data"]["ticketId"] == 116295584494649344


def test_debits_repeat_ticket(reference_factory):
    ref = faulty(reference_factory, "debits-repeat-ticket")
    player = ref.player()
    order = seed_order(player["customerToken"])
    assert [ref.order(order).status_code for _ in range(2)] == [200, 200]
    assert ref.snapshot(player["userId"])["balance"] == "800.00"


def test_amount_echo_cents(reference_factory):
    ref = faulty(reference_factory, "amount-echo-cents")
    player = ref.player()
    assert ref.order(seed_order(player["customerToken"])).json()["data"]["amount"] == 10000


def test_balance_off_by_rounding(reference_factory):
    ref = faulty(reference_factory, "balance-off-by-rounding")
    player = ref.player(balance="1000.00")
    response = ref.order(seed_order(player["customerToken"], orderAmount=Decimal("19.99")))
    assert loads(response.content)["data"]["balance"] == Decimal("980")
    assert ref.snapshot(player["userId"])["balance"] == "980.01"


def test_balance_null_when_empty(reference_factory):
    ref = faulty(reference_factory, "balance-null-when-empty")
    player = ref.player(balance="300.00")
    first = ref.order(seed_order(player["customerToken"], ticketId="1001", orderAmount=Decimal("200.00")))
    last = ref.order(seed_order(player["customerToken"], ticketId="1002", orderAmount=Decimal("100.00")))
    assert [loads(r.content)["data"]["balance"] for r in (first, last)] == [Decimal("100.00"), None]
    assert ref.snapshot(player["userId"])["balance"] == "0.00"


def test_envelope_success_code_0(reference_factory):
    ref = faulty(reference_factory, "envelope-success-code-0")
    player = ref.player()
    response = ref.order(seed_order(player["customerToken"]))
    assert (response.status_code, response.json()["code"], response.json()["msg"]) == (200, 0, "success")


def test_success_msg_ok(reference_factory):
    ref = faulty(reference_factory, "success-msg-ok")
    player = ref.player()
    answer = ref.order(seed_order(player["customerToken"])).json()
    assert (answer["code"], answer["msg"]) == (200, "OK")


def test_rejection_code_200(reference_factory):
    ref = faulty(reference_factory, "rejection-code-200")
    player = ref.player(balance="10.00")
    for order in (seed_order(player["customerToken"], currency="EUR"), seed_order("nobody"),
                  seed_order(player["customerToken"])):
        response = ref.order(order)
        assert (response.status_code, response.json()["code"]) == (400, 200)
    assert ref.snapshot(player["userId"])["balance"] == "10.00"


def test_unknown_token_plain_error(reference_factory):
    ref = faulty(reference_factory, "unknown-token-plain-error")
    response = ref.order(seed_order("nobody"))
    assert (response.status_code, response.json()) == (400, {"error": "unauthorized",
                                                              "message": "unknown customerToken"})
    player = ref.player(balance="10.00")
    assert ref.order(seed_order(player["customerToken"])).json()["code"] == 402   # other rejections: the envelope


def test_stores_rejected_order(reference_factory):
    ref = faulty(reference_factory, "stores-rejected-order")
    player = ref.player(balance="10.00")
    assert ref.order(seed_order(player["customerToken"])).json()["code"] == 402
    snapshot = ref.snapshot(player["userId"])
    assert (len(snapshot["orders"]), snapshot["balance"]) == (1, "10.00")
    rich = ref.player()
    assert ref.order(seed_order(rich["customerToken"], ticketId=7)).json()["code"] == 200
    assert len(ref.snapshot(rich["userId"])["orders"]) == 1   # a successful order is stored once


def test_response_schema_drift(reference_factory):
    ref = faulty(reference_factory, "response-schema-drift")
    player = ref.player()
    answer = ref.order(seed_order(player["customerToken"])).json()
    assert isinstance(answer["data"]["orderTime"], str)
    with pytest.raises(ValidationError):
        spec_validator("sportsbook-order", "OrderSuccess").validate(answer)


def test_accepts_invalid_body(reference_factory):
    ref = faulty(reference_factory, "accepts-invalid-body")
    player = ref.player()
    order = seed_order(player["customerToken"])
    del order["betList"], order["currency"]
    assert ref.order(order).json()["code"] == 200


def test_ticket_id_digits_refused(reference_factory):
    ref = faulty(reference_factory, "ticket-id-digits-refused")
    player = ref.player()
    answer = ref.order(seed_order(player["customerToken"])).json()          # "116295584494649344", as the sample
    assert answer["code"] != 200 and "ticketId" in answer["msg"]
    assert ref.order(seed_order(player["customerToken"], ticketId=116295584494649344)).json()["code"] == 200


def test_amount_cents_overflow_500(reference_factory):
    ref = faulty(reference_factory, "amount-cents-overflow-500")
    player = ref.player()
    assert ref.order(seed_order(player["customerToken"], orderAmount=Decimal("1e307"))).status_code == 500
    assert ref.order(seed_order(player["customerToken"])).json()["code"] == 200   # everyday amounts are fine
    clean = reference_factory().order(seed_order("nobody", orderAmount=Decimal("1e307")))
    assert clean.status_code < 500

# --- the commands ------------------------------------------------------------------------------------

def test_orderproof_faults_lists_each_fault_with_its_rules(capsys):
    assert cli.main(["faults", "--api", "bet-placement"]) == 0
    out = capsys.readouterr().out
    for fault in FAULTS.values():
        assert (fault.name in out) == (fault.api == "bet-placement")
    assert re.search(r"payout-float\s+bet-placement\s+breaks BP-PAYOUT", out)
    assert cli.main(["faults"]) == 0           # a fault breaking many rules wraps them, whole, at 100 columns
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 100 and "SR-EXCISE-AMOUNT" in out


def test_orderproof_faults_variations_lists_each_variation_and_what_it_warns(capsys):
    """The command --variation's help points to: every variation of the API, with the SHOULD rules it
    is declared to warn on."""
    assert cli.main(["faults", "--variations", "--api", "travel-order"]) == 0
    out = capsys.readouterr().out
    for variation in VARIATIONS.values():
        assert (f"\n{variation.name} " in f"\n{out}") == ("travel-order" in variation.apis), variation.name
    assert re.search(r"to-json-only\s+travel-order\s+warns TO-MEDIA-FORM", out)
    assert not any(f"\n{name} " in f"\n{out}" for name in FAULTS) and max(map(len, out.splitlines())) <= 100


@pytest.mark.parametrize("argv, message", [
    (["serve", "--host", "0.0.0.0"], "not a loopback address"),
    (["serve", "--fault", "no-such-bug"], "unknown fault 'no-such-bug'; known faults:"),
    (["serve", "--port", "70000"], "--port"),
])
def test_orderproof_serve_refuses_bad_options(capsys, argv, message):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_orderproof_serve_serves_the_reference(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "orderproof", "serve", "--port", str(port), "--db", str(tmp_path / "served.sqlite3"),
         "--variation", sorted(VARIATIONS)[0]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = process.stdout.readline().strip()
        assert first == f"orderproof reference listening on http://127.0.0.1:{port} with variation {sorted(VARIATIONS)[0]}"
        printed = []
        while not printed or not printed[-1].startswith("More players"):
            printed.append(process.stdout.readline().strip())
        assert f"provider states    POST http://127.0.0.1:{port}{PROVIDER_STATES_PATH}" in printed
        shown = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in printed if re.search(r"\S\s{2,}\S", line))
        deadline = time.monotonic() + 15
        while True:
            try:
                request = urllib.request.Request(f"http://127.0.0.1:{port}{PROVIDER_STATES_PATH}",
                                                 data=b'{"state": "a player exists"}',
                                                 headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(request, timeout=5) as response:
                    player = loads(response.read())
                break
            except OSError:
                assert time.monotonic() < deadline, "orderproof serve did not answer"
                time.sleep(0.1)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert shown["apiKey"] == player["apiKey"]                     # the key it printed is the one it uses
    assert shown["operator secret (signs requests)"] and shown["userId"].startswith("user-")
    assert (tmp_path / "served.sqlite3").exists()
