"""The reference ticket engine: jackpot-ticket (seed 001) and superbet-reserve (seed 003)."""

from __future__ import annotations

import json
import os
import re
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from orderproof.apis.ticket_engine.signing import ticket_signature
from orderproof.reference import ticket_engine
from orderproof.reference.app import create_app
from orderproof.reference.faults import FAULTS
from orderproof.reference.storage import Store

SEEDS = Path(os.environ.get("ORDERPROOF_SEEDS_DIR", Path(__file__).resolve().parents[3] / "shared" / "seeds"))
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed documents not found in {SEEDS}")
SECRET = "operator-secret-for-tests"
TOKEN = "sGhx12skwrXsukbZmWh7bkCC9YPEzYQKtKSe9EfCth3Q"   # the superbet sample's player token
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
FMT = "%Y-%m-%dT%H:%M:%S.%f"


def make_app(tmp_path: Path, fault: str | None = None) -> FastAPI:
    """The embedded reference (optionally with one fault), provisioned with the fixtures below."""
    app = create_app(fault=fault, db_path=str(tmp_path / "reference.sqlite3"))
    provision(app.state.store)
    return app


def provision(store: Store) -> None:
    """Operators, players, events and a betcard (ids fixed so that tests read plainly)."""
    with store.transaction() as conn:
        for name, webhook in (("site", "http://127.0.0.1/webhook"), ("nohook", None)):
            conn.execute("INSERT INTO operators (name, secret, timezone_offset_minutes, webhook_url, ext, wht)"
                         " VALUES (?, ?, 120, ?, '12.5', '20.0')", (name, SECRET, webhook))
        for user_id, token, operator, memberid in (("token_i", TOKEN, "site", 1), ("nohook-user", "tok-nohook", "nohook", 2)):
            conn.execute(
                "INSERT INTO players (user_id, session_token, session_expires_at, token, customer_token, memberid,"
                " operator, balance, currency, blocked, min_stake, max_stake)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, '1000.00', 'EUR', 0, '0.10', '500.00')",
                (user_id, f"s-{user_id}", time.time() + 1800, token, f"c-{user_id}", memberid, operator))
        # event -> [(market id, code, allowed, [(bet id, price)])]
        events = {
            100001: [(1, "1X2", 1, [(101, "1.85"), (102, "3.40"), (103, "4.20"), (107, "1.20")]),
                     (2, "OU", 1, [(104, "1.90"), (105, "1.90"), (106, "2.10")])],
            100002: [(3, "1X2", 1, [(201, "2.10"), (203, "1.90")])],
            100003: [(4, "1X2", 1, [(301, "3.40"), (302, "1.50")])],
            100004: [(5, "1X2", 1, [(401, "2.00")])],                      # started
            100005: [(6, "HT", 0, [(501, "2.00")])],                       # market not allowed
        }
        for event_id, markets in events.items():
            conn.execute("INSERT INTO events (event_id, name, started) VALUES (?, ?, ?)",
                         (event_id, f"event {event_id}", int(event_id == 100004)))
            for market_id, code, allowed, bets in markets:
                conn.execute("INSERT INTO markets (market_id, event_id, code, allowed) VALUES (?, ?, ?, ?)",
                             (market_id, event_id, code, allowed))
                for bet_id, price in bets:
                    conn.execute("INSERT INTO selections (bet_id, market_id, event_id, name, decimal_price)"
                                 " VALUES (?, ?, ?, ?, ?)", (bet_id, market_id, event_id, str(bet_id), price))
        conn.execute("INSERT INTO betcards (code, prize, bonus_prizes, event_ids)"
                     " VALUES ('JP-1', 1000000, '[10000, 5000]', '[100001, 100002, 100003]')")


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


SUPERBET_SAMPLE = {   # seed 003's request sample, verbatim (test_superbet_sample_is_the_seeds)
    "operator": "site", "token": TOKEN, "price": 2000, "currency": "KES", "atag": "affiliate-1",
    "source": "mobile", "type": "superbet", "event": 100001, "bets": [101, 102, 103, 104, 105, 106],
}
SUPERBET_RESPONSE_FIELDS = [   # seed 003's response sample, in its order
    "id", "code", "price", "stake", "gross_payout", "net_payout", "wht_amount", "wht", "ext_amount", "ext",
    "ext_type", "currency", "status", "result", "approved", "source", "type", "atag", "user_id", "created",
    "operator_time_created", "updated", "operator_time_updated"]


def seed_json(after: str) -> dict:
    text = (SEEDS / "003_64f71779543a2cc8.txt").read_text(encoding="utf-8")
    return json.JSONDecoder().raw_decode(text[text.index("{", text.index(after)):])[0]


@needs_seeds
def test_superbet_sample_is_the_seeds():
    assert seed_json("Sample request to reserve superbet ticket:") == SUPERBET_SAMPLE
    assert list(seed_json("Sample response (status=200)")) == SUPERBET_RESPONSE_FIELDS


def superbet_sample() -> dict:
    return json.loads(json.dumps(SUPERBET_SAMPLE))


def jackpot_body(**changes) -> dict:
    body = {
        "operator": "site", "token": TOKEN, "price": 1000, "currency": "KES", "atag": "affiliate-1",
        "source": "mobile", "type": "jackpot", "odds_diff": 0,
        "events": [{"id": 100001, "bet": 107, "odds": Decimal("1.20")},
                   {"id": 100002, "bet": 203, "odds": Decimal("1.90")},
                   {"id": 100003, "bet": 302, "odds": Decimal("1.50")}],
        "betcard_code": "JP-1", "prize": 1000000, "bonus_prizes": [10000, 5000],
    }
    return body | changes


def encode(body) -> bytes:
    """JSON with Decimal odds written exactly (1.20 stays 1.20)."""
    return json.dumps(body, default=lambda d: f"@@{d}@@").replace('"@@', "").replace('@@"', "").encode()


def send(client, path: str, body, *, operator: str = "site", secret: str = SECRET, timestamp: str = "1720723252",
         signature: str | None = None, raw: bytes | None = None, headers: dict | None = None):
    raw = encode(body) if raw is None else raw
    sent = {"operator-name": operator, "timestamp": timestamp, "content-type": "application/json",
            "signature": signature or ticket_signature(secret, timestamp, raw)}
    return client.post(path, content=raw, headers=sent | (headers or {}))


def jackpot(client, body=None, **kwargs):
    return send(client, "/be/tickets", jackpot_body() if body is None else body, **kwargs)


def superbet(client, body=None, **kwargs):
    return send(client, "/be/tickets/reserve", superbet_sample() if body is None else body, **kwargs)


def stored(app) -> list[dict]:
    with app.state.store.read() as conn:
        return ticket_engine.snapshot(conn, "token_i")["tickets"]


def exact(response) -> dict:
    return json.loads(response.text, parse_float=Decimal)


# --- arithmetic (DOMAIN.md worked example) ------------------------------------------------------------

def test_domain_example_arithmetic():
    assert ticket_engine.inclusive_excise(1000, Decimal("12.5")) == (889, 111)
    assert ticket_engine.jackpot_payout(889, Decimal("3.42"), Decimal("20.0")) == (3040, 430, 2610)
    assert ticket_engine.odds_product([Decimal("1.85"), Decimal("2.10"), Decimal("3.40")]) == Decimal("13.209")


def test_rounding_is_half_up_and_withholding_never_negative():
    assert ticket_engine.inclusive_excise(1125, Decimal("12.5")) == (1000, 125)
    assert ticket_engine.inclusive_excise(9, Decimal("12.5")) == (8, 1)             # 8.0 exactly
    assert ticket_engine.inclusive_excise(17, Decimal("100")) == (9, 8)              # 8.5 -> 9
    assert ticket_engine.jackpot_payout(1000, Decimal("0.5"), Decimal("20.0")) == (500, 0, 500)


# --- success --------------------------------------------------------------------------------------------

def test_superbet_seed_sample_is_accepted(app, client):
    response = superbet(client)
    assert response.status_code == 200, response.text
    ticket = exact(response)
    assert list(ticket) == SUPERBET_RESPONSE_FIELDS                  # the sample's fields, in its order
    assert re.fullmatch(r"[0-9a-f]{24}", ticket["id"]) and re.fullmatch(r"[A-Z0-9]{6}", ticket["code"])
    assert {k: ticket[k] for k in ("price", "stake", "ext_amount", "gross_payout", "net_payout", "wht_amount")} == {
        "price": 2000, "stake": 1778, "ext_amount": 222, "gross_payout": 0, "net_payout": 0, "wht_amount": 0}
    assert '"price":2000,' in response.text and '"gross_payout":0,' in response.text
    assert '"wht":20.0,' in response.text and '"ext":12.5,' in response.text
    assert ticket | {"id": None, "code": None} == ticket | {
        "id": None, "code": None, "ext_type": "inclusive", "currency": "KES", "status": "reserved",
        "result": "pending", "approved": True, "source": "mobile", "type": "superbet", "atag": "affiliate-1",
        "user_id": "token_i"}
    times = {key: datetime.strptime(ticket[key], FMT) for key in ("created", "updated", "operator_time_created",
                                                                   "operator_time_updated")}
    assert all(TIME_RE.match(ticket[key]) for key in times)
    assert times["updated"] >= times["created"]
    assert times["operator_time_created"] - times["created"] == timedelta(hours=2)
    assert times["operator_time_updated"] - times["updated"] == timedelta(hours=2)
    assert stored(app) == [{"id": ticket["id"], "type": "superbet", "price": 2000, "stake": 1778, "ext_amount": 222,
                            "gross_payout": 0, "net_payout": 0, "wht_amount": 0, "status": "reserved",
                            "result": "pending"}]


def test_jackpot_domain_example(app, client):
    response = jackpot(client)
    assert response.status_code == 200, response.text
    ticket = exact(response)
    assert {k: ticket[k] for k in ("price", "stake", "ext_amount", "gross_payout", "wht_amount", "net_payout")} == {
        "price": 1000, "stake": 889, "ext_amount": 111, "gross_payout": 3040, "wht_amount": 430, "net_payout": 2610}
    assert '"odds":3.42,' in response.text
    assert ticket["status"] == "open" and ticket["result"] == "pending" and ticket["approved"] is True
    assert (ticket["currency"], ticket["atag"], ticket["betcard_code"], ticket["prize"], ticket["bonus_prizes"]) == (
        "KES", "affiliate-1", "JP-1", 1000000, [10000, 5000])
    assert ticket["type"] == "jackpot" and ticket["user_id"] == "token_i" and ticket["ext_type"] == "inclusive"
    assert len(stored(app)) == 1 and stored(app)[0]["net_payout"] == 2610


def test_jackpot_odds_is_the_exact_product(client):
    events = [{"id": 100001, "bet": 101, "odds": Decimal("1.85")}, {"id": 100002, "bet": 201, "odds": Decimal("2.10")},
              {"id": 100003, "bet": 301, "odds": Decimal("3.40")}]
    response = jackpot(client, jackpot_body(events=events, atag=None))
    assert response.status_code == 200, response.text
    assert '"odds":13.209,' in response.text and '"atag":null,' in response.text
    ticket = exact(response)
    assert ticket["gross_payout"] == 11743          # 889 x 13.209 = 11742.801
    assert ticket["wht_amount"] == 2171 and ticket["net_payout"] == 9572


def test_odds_diff_allows_the_documented_deviation(client):
    moved = jackpot_body(odds_diff=Decimal("0.05"))
    moved["events"][0]["odds"] = Decimal("1.25")                       # current 1.20
    assert jackpot(client, moved).status_code == 200
    assert '"odds":3.5625,' in jackpot(client, moved).text            # the odds the player saw


# --- rejections ----------------------------------------------------------------------------------------

def _without(key):
    body = jackpot_body()
    del body[key]
    return body


def _event(i, **changes):
    body = jackpot_body()
    body["events"][i] |= changes
    return body


JACKPOT_ERRORS = {
    "unknown event 103": (_event(1, id=999999), 400, 103, "Event with `999999` identifier is not found"),
    "bet of another event 106": (_event(1, bet=101), 400, 106, "Market for bet with `101` identifier is not found"),
    "started event 107": (_event(1, id=100004, bet=401, odds=Decimal("2.00")), 400, 107,
                          "Event with `100004` identifier is not available for play because it has already started"),
    "market not allowed 116": (_event(1, id=100005, bet=501, odds=Decimal("2.00")), 400, 116,
                               "Market with `HT` code is not allowed"),
    "unknown betcard 118": (jackpot_body(betcard_code="NOPE"), 400, 118, "Betcard with `NOPE` code is not found"),
    "odds changed 117": (_event(0, odds=Decimal("1.21")), 400, 117, "Ticket odds changed"),
    "unknown operator 112": (jackpot_body(operator="ghost"), 400, 112, "Operator with `ghost` name is not found"),
    "no webhook 114": (jackpot_body(operator="nohook", token="tok-nohook"), 400, 114,
                       "No webhook url for operator with `nohook` name"),
    "unknown token 403": (jackpot_body(token="who"), 403, 403, "Forbidden"),
    "token of another operator 403": (jackpot_body(token="tok-nohook"), 403, 403, "Forbidden"),
}


@pytest.mark.parametrize("case", JACKPOT_ERRORS, ids=list(JACKPOT_ERRORS))
def test_jackpot_errors_store_nothing(app, client, case):
    body, status, code, message = JACKPOT_ERRORS[case]
    response = jackpot(client, body, operator=body["operator"])
    assert (response.status_code, response.json()) == (status, {"code": code, "message": message})
    assert stored(app) == []


def _superbet(**changes):
    return superbet_sample() | changes


SUPERBET_ERRORS = {
    "unknown event 103": (_superbet(event=999999), 103, "Event with `999999` identifier is not found"),
    "unknown bet 106": (_superbet(bets=[101, 999]), 106, "Market for bet with `999` identifier is not found"),
    "started event 107": (_superbet(event=100004, bets=[401]), 107,
                          "Event with `100004` identifier is not available for play because it has already started"),
    "market not allowed 116": (_superbet(event=100005, bets=[501]), 116, "Market with `HT` code is not allowed"),
}


@pytest.mark.parametrize("case", SUPERBET_ERRORS, ids=list(SUPERBET_ERRORS))
def test_superbet_errors_store_nothing(app, client, case):
    body, code, message = SUPERBET_ERRORS[case]
    response = superbet(client, body)
    assert (response.status_code, response.json()) == (400, {"code": code, "message": message})
    assert stored(app) == []


def test_operator_header_differs_115(app, client):
    response = superbet(client, operator="nohook")
    assert (response.status_code, response.json()) == (
        400, {"code": 115, "message": "Operators in request body and in request header are not identical"})
    response = jackpot(client, operator="nohook")
    assert response.json()["code"] == 115 and stored(app) == []


def test_bad_signature_403(app, client):
    for kwargs in ({"secret": "wrong"}, {"signature": "0" * 64}, {"timestamp": "1720723253",
                                                                  "signature": ticket_signature(SECRET, "1", b"{}")}):
        for call in (jackpot, superbet):
            response = call(client, **kwargs)
            assert (response.status_code, response.json()) == (403, {"code": 403, "message": "Forbidden"})
    assert stored(app) == []


def test_spaces_in_the_body_do_not_change_the_signature(client):
    raw = json.dumps(superbet_sample(), indent=4).encode()
    signature = ticket_signature(SECRET, "1720723252", raw.replace(b" ", b""))
    assert superbet(client, raw=raw, signature=signature).status_code == 200


def test_validation_errors_are_422_with_details(app, client):
    cases = [
        (superbet(client, _superbet(price=20.5)), ["body", "price"]),
        (superbet(client, _superbet(price="2000")), ["body", "price"]),
        (superbet(client, _superbet(price=-1)), ["body", "price"]),
        (superbet(client, {k: v for k, v in superbet_sample().items() if k != "token"}), ["body", "token"]),
        (superbet(client, _superbet(currency="usd")), ["body", "currency"]),
        (superbet(client, _superbet(source="web")), ["body", "source"]),
        (superbet(client, _superbet(type="jackpot")), ["body", "type"]),
        (superbet(client, _superbet(bets=[101, True])), ["body", "bets", 1]),
        (jackpot(client, _event(2, odds="1.50")), ["body", "events", 2, "odds"]),
        (jackpot(client, _event(2, odds=0)), ["body", "events", 2, "odds"]),
        (jackpot(client, jackpot_body(odds_diff=-1)), ["body", "odds_diff"]),
        (jackpot(client, _without("bonus_prizes")), ["body", "bonus_prizes"]),
        (superbet(client, raw=b'{"operator": "site",'), ["body", 0]),
        (superbet(client, raw=b"[]"), ["body"]),
        (superbet(client, timestamp="17207232520000"), ["header", "timestamp"]),
        (superbet(client, timestamp="abc"), ["header", "timestamp"]),
        (superbet(client, signature="XYZ"), ["header", "signature"]),
    ]
    for response, loc in cases:
        assert response.status_code == 422, (loc, response.text)
        detail = response.json()["detail"]
        assert loc in [problem["loc"] for problem in detail], detail
        assert all(set(problem) == {"loc", "msg", "type"} for problem in detail)
    missing = client.post("/be/tickets/reserve", content=encode(superbet_sample()))
    assert missing.status_code == 422
    assert {tuple(p["loc"]) for p in missing.json()["detail"]} == {
        ("header", "operator-name"), ("header", "timestamp"), ("header", "signature")}
    assert stored(app) == []


BAD_RAW = [
    b"", b"null", b'"text"', b"12", b"{", b"\xff\xfe", b"[" * 100000 + b"]" * 100000,
    b'{"price": NaN}', b'{"price": Infinity}', b'{"price": 1' + b"0" * 5000 + b"}",
    b'{"operator": "site", "token": "\\ud800", "price": 1, "currency": "KES", "source": "mobile",'
    b' "type": "superbet", "event": 100001, "bets": [101]}',
]


@pytest.mark.parametrize("raw", BAD_RAW, ids=range(len(BAD_RAW)))
def test_bad_bodies_never_500(app, client, raw):
    for path in ("/be/tickets", "/be/tickets/reserve"):
        assert send(client, path, None, raw=raw).status_code == 422
    assert stored(app) == []


HUGE = [
    _superbet(price=10**30), _superbet(price=2**63), _superbet(event=10**30), _superbet(bets=[-(2**63) - 1]),
    jackpot_body(price=10**30), jackpot_body(prize=10**19), _event(0, id=10**20), _event(0, odds=Decimal("1e400")),
    jackpot_body(odds_diff=Decimal("1e999999999")) | {"events": [{"id": 100001, "bet": 101, "odds": Decimal("1e999999")}]},
    jackpot_body(price=2**63 - 1, odds_diff=Decimal("1e9")),
    jackpot_body(price=0, odds_diff=Decimal("1e40")) | {"events": [{"id": 100001, "bet": 101, "odds": Decimal("1e30")}]},
]


@pytest.mark.parametrize("body", HUGE, ids=range(len(HUGE)))
def test_huge_numbers_never_500(app, client, body):
    response = (jackpot if body["type"] == "jackpot" else superbet)(client, body)
    if body.get("price") == 0:                                   # nothing staked, nothing to overflow
        assert response.status_code == 200 and '"odds":1000000000000000000000000000000.0,' in response.text
        return
    assert response.status_code in (400, 422), response.text
    assert stored(app) == []


def test_other_media_and_methods_never_500(client):
    assert client.post("/be/tickets", content=b"price=1", headers={"content-type": "application/x-www-form-urlencoded"}
                       ).status_code == 422
    assert client.get("/be/tickets").status_code == 405


def test_ticket_in_one_transaction_snapshot_lists_only_the_players_tickets(app, client):
    assert superbet(client).status_code == 200 and jackpot(client).status_code == 200
    assert [t["type"] for t in stored(app)] == ["superbet", "jackpot"]
    with app.state.store.read() as conn:
        assert ticket_engine.snapshot(conn, "nohook-user") == {"tickets": []}
        assert conn.execute("SELECT balance FROM players WHERE user_id = 'token_i'").fetchone()[0] == "1000.00"


# --- faults: each shows its bug -----------------------------------------------------------------------

def faulty(tmp_path, name):
    return TestClient(make_app(tmp_path, name))


TICKET_FAULTS = [f for f in FAULTS.values() if set(f.patch) <= set(ticket_engine.BEHAVIOUR)]


def test_every_ticket_fault_patches_one_behaviour_and_names_its_rules():
    assert len(TICKET_FAULTS) == 29
    for fault in TICKET_FAULTS:
        assert len(fault.patch) == 1 and fault.description, fault.name
        assert fault.rules and all(rule.startswith(("JT-", "SR-")) for rule in fault.rules), fault.name
        assert fault.api in ("jackpot-ticket", "superbet-reserve")


def test_fault_cents_as_float(tmp_path):
    client = faulty(tmp_path, "cents-as-float")
    assert '"price":2000.0,' in superbet(client).text and '"gross_payout":0.0,' in superbet(client).text
    assert '"net_payout":2610.0,' in jackpot(client).text


def test_fault_odds_product_rounded(tmp_path):
    events = [{"id": 100001, "bet": 101, "odds": Decimal("1.85")}, {"id": 100002, "bet": 201, "odds": Decimal("2.10")},
              {"id": 100003, "bet": 301, "odds": Decimal("3.40")}]
    response = jackpot(faulty(tmp_path, "odds-product-rounded"), jackpot_body(events=events))
    assert '"odds":13.2,' in response.text and response.json()["gross_payout"] == 11735     # 889 x 13.2


def test_fault_excise_added_on_top(tmp_path):
    client = faulty(tmp_path, "excise-added-on-top")
    for response in (jackpot(client), superbet(client)):
        ticket = response.json()
        assert ticket["stake"] == ticket["price"] and ticket["ext_amount"] == ticket["price"] // 8


def test_fault_stake_cut_down(tmp_path):
    ticket = superbet(faulty(tmp_path, "stake-cut-down")).json()
    assert (ticket["price"], ticket["stake"], ticket["ext_amount"]) == (2000, 1777, 223)   # holds 222.22: 1778, 222


def test_fault_net_ignores_wht(tmp_path):
    ticket = jackpot(faulty(tmp_path, "net-ignores-wht")).json()
    assert ticket["net_payout"] == ticket["gross_payout"] == 3040 and ticket["wht_amount"] == 430


def test_fault_skips_signature(tmp_path):
    client = faulty(tmp_path, "skips-signature")
    assert jackpot(client, secret="wrong").status_code == 200 and superbet(client, secret="wrong").status_code == 200


def test_fault_operator_header_unchecked(tmp_path):
    client = faulty(tmp_path, "operator-header-unchecked")
    assert superbet(client, operator="nohook").status_code == 200
    assert jackpot(client, operator="nohook").status_code == 200


def test_fault_jackpot_400_without_code(tmp_path):
    client = faulty(tmp_path, "jackpot-400-without-code")
    answer = jackpot(client, operator="nohook")
    assert answer.status_code == 400 and "code" not in answer.json() and "message" in answer.json()
    assert superbet(client, operator="nohook").json()["code"] == 115


def test_fault_reserved_nonzero_payout(tmp_path):
    ticket = superbet(faulty(tmp_path, "reserved-nonzero-payout")).json()
    assert ticket["gross_payout"] == ticket["net_payout"] == 1778


def test_fault_reserve_status_open(tmp_path):
    assert superbet(faulty(tmp_path, "reserve-status-open")).json()["status"] == "open"


def test_fault_currency_from_operator(tmp_path):
    client = faulty(tmp_path, "currency-from-operator")
    assert jackpot(client, jackpot_body(currency="EUR")).json()["currency"] == "KES"
    assert superbet(client, _superbet(currency="EUR")).json()["currency"] == "EUR"


def test_fault_echo_replaces_atag(tmp_path):
    client = faulty(tmp_path, "echo-replaces-atag")
    assert jackpot(client).json()["atag"] == "house-affiliate" == superbet(client).json()["atag"]


def test_fault_operator_time_unshifted(tmp_path):
    ticket = superbet(faulty(tmp_path, "operator-time-unshifted")).json()
    assert ticket["operator_time_updated"] == ticket["updated"]
    assert ticket["operator_time_created"] != ticket["created"]


@pytest.mark.parametrize(("minutes", "shifted"), [(330, 300), (-210, -180), (120, 120)])
def test_fault_operator_offset_whole_hours(minutes, shifted):
    """+05:30 is read as +5 h, -03:30 as -3 h; a whole-hour zone (the fixtures' +02:00) is unchanged."""
    created = datetime(2024, 7, 11, 18, 40, 52, 995000)
    patch = FAULTS["operator-offset-whole-hours"].patch["ticket_operator_times"]
    assert patch(created, created, minutes) == (created + timedelta(minutes=shifted),) * 2


def test_fault_odds_diff_ignored(tmp_path):
    assert jackpot(faulty(tmp_path, "odds-diff-ignored"), _event(0, odds=Decimal("9.99"))).status_code == 200


def test_fault_odds_diff_limit_exclusive(tmp_path):
    client = faulty(tmp_path, "odds-diff-limit-exclusive")
    body = jackpot_body()
    assert body["odds_diff"] == 0 and jackpot(client, body).json()["message"] == "Ticket odds changed"


def test_fault_started_event_wrong_code(tmp_path):
    client = faulty(tmp_path, "started-event-wrong-code")
    assert superbet(client, _superbet(event=100004, bets=[401])).json()["code"] == 103
    assert jackpot(client, _event(1, id=100004, bet=401, odds=Decimal("2.00"))).json()["code"] == 103


def test_fault_jackpot_schema_drift(tmp_path):
    client = faulty(tmp_path, "jackpot-schema-drift")
    ticket = jackpot(client).json()
    assert "user_id" not in ticket and ticket["userId"] == "token_i"
    assert superbet(client).json()["user_id"] == "token_i"


def test_fault_ticket_huge_price_500(tmp_path):
    client = TestClient(make_app(tmp_path, "ticket-huge-price-500"), raise_server_exceptions=False)
    assert superbet(client, _superbet(price=10**30)).status_code == 500
    assert jackpot(client, jackpot_body(price=2**63)).status_code == 500
    # before any authentication: an unsigned request from an unknown operator
    assert send(client, "/be/tickets/reserve", _superbet(operator="x", event=2**63), operator="x",
                signature="0" * 64).status_code == 500
    assert superbet(client).status_code == 200 and jackpot(client).status_code == 200


def test_fault_jt_wht_on_gross(tmp_path):
    ticket = jackpot(faulty(tmp_path, "jt-wht-on-gross")).json()
    assert (ticket["gross_payout"], ticket["wht_amount"], ticket["net_payout"]) == (3040, 608, 2432)   # not 430


def test_fault_gross_winnings_only(tmp_path):
    ticket = jackpot(faulty(tmp_path, "gross-winnings-only")).json()
    assert (ticket["stake"], ticket["gross_payout"]) == (889, 3040 - 889)          # the winnings, not 3040
    assert ticket["net_payout"] == ticket["gross_payout"] - ticket["wht_amount"]


def test_fault_jt_unknown_event_107(tmp_path):
    client = faulty(tmp_path, "jt-unknown-event-107")
    assert exact(jackpot(client, _event(1, id=999999)))["code"] == 107
    assert exact(superbet(client, _superbet(event=999999)))["code"] == 103   # the superbet path keeps 103


@pytest.mark.parametrize("price", [None, "a lot", True])
def test_fault_ticket_price_defaulted(tmp_path, price):
    client = faulty(tmp_path, "ticket-price-defaulted")
    body = jackpot_body()
    if price is None:
        del body["price"]
    else:
        body["price"] = price
    ticket = jackpot(client, body)
    assert ticket.status_code == 200 and ticket.json()["price"] == 0     # the bug: a free ticket
    assert jackpot(client, jackpot_body(currency=None)).status_code == 422


def test_fault_superbet_currency_lowercase(tmp_path):
    client = faulty(tmp_path, "superbet-currency-lowercase")
    assert superbet(client).json()["currency"] == "kes"
    assert jackpot(client).json()["currency"] == "KES"


# --- through the provider-state hook, as the suite drives it -------------------------------------------

def test_signed_tickets_for_provider_state_fixtures(tmp_path):
    with TestClient(create_app(db_path=str(tmp_path / "hook.sqlite3"))) as client:
        def state(name, **params):
            response = client.post("/_orderproof/provider-states", json={"state": name, "params": params})
            assert response.status_code == 200, response.text
            return response.json()

        player = state("a player exists", currency="KES")
        operator = player["operator"]
        card = state("a jackpot betcard exists")
        events = [{"id": e["event_id"], "bet": e["markets"][0]["selections"][0]["bet_id"],
                   "odds": Decimal(e["markets"][0]["selections"][0]["decimal_price"])} for e in card["events"]]
        body = jackpot_body(operator=operator["name"], token=player["token"], events=events,
                            betcard_code=card["betcard_code"])
        response = jackpot(client, body, operator=operator["name"], secret=operator["secret"])
        assert response.status_code == 200, response.text
        assert '"odds":6.331625,' in response.text                  # 1.85 ** 3, exactly
        event = state("an event exists")
        bets = [s["bet_id"] for s in event["markets"][0]["selections"]]
        body = _superbet(operator=operator["name"], token=player["token"], event=event["event_id"], bets=bets)
        response = superbet(client, body, operator=operator["name"], secret=operator["secret"])
        assert response.status_code == 200, response.text
        snapshot = state("a player snapshot", userId=player["userId"])
        assert [(t["type"], t["stake"], t["status"]) for t in snapshot["tickets"]] == [
            ("jackpot", 889, "open"), ("superbet", 1778, "reserved")]


def test_fault_other_event_bet_accepted(tmp_path):
    client = faulty(tmp_path, "other-event-bet-accepted")
    assert superbet(client, _superbet(bets=[101, 201])).status_code == 200        # 201 is event 100002's


def test_fault_unknown_bet_left_out(tmp_path):
    client = faulty(tmp_path, "unknown-bet-left-out")
    assert superbet(client, _superbet(bets=[101, 999])).status_code == 200
    assert jackpot(client, _event(1, bet=999)).json()["code"] == 106          # a jackpot ticket still refuses it


def test_fault_market_of_first_bet_only(tmp_path):
    client = faulty(tmp_path, "market-of-first-bet-only")
    with client.app.state.store.transaction() as conn:        # a closed market beside an open one, event 100001
        conn.execute("UPDATE markets SET allowed = 0 WHERE market_id = 2")
    assert superbet(client, _superbet(bets=[101, 104])).status_code == 200
    assert superbet(client, _superbet(bets=[104, 101])).json()["code"] == 116
