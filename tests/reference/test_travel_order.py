"""The reference travel-order call (seed 002): media types, envelope, 101/102/103, dates, faults."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from orderproof.reference import travel_order
from orderproof.reference.app import create_app
from orderproof.reference.faults import FAULTS

SEEDS = Path(os.environ.get("ORDERPROOF_SEEDS_DIR", Path(__file__).resolve().parents[3] / "shared" / "seeds"))
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed documents not found in {SEEDS}")
PATH = "/api/invoice/createorder"
MEMBER = 100001


def make_app(tmp_path: Path, fault: str | None = None) -> FastAPI:
    """The embedded reference (optionally with one fault) with one member, memberid MEMBER."""
    app = create_app(fault=fault, db_path=str(tmp_path / "reference.sqlite3"))
    with app.state.store.transaction() as conn:
        conn.execute("INSERT INTO operators (name, secret) VALUES ('site', 'x')")
        conn.execute(
            "INSERT INTO players (user_id, session_token, session_expires_at, token, customer_token, memberid,"
            " operator, balance, currency, min_stake, max_stake)"
            " VALUES ('member-1', 's', ?, 't', 'c', ?, 'site', '0.00', 'HKD', '0.10', '500.00')",
            (time.time() + 60, MEMBER))
    return app


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    with TestClient(app) as client:
        yield client


def seed_sample() -> dict:
    """The help page's request sample, numbers kept exact (126.0 stays Decimal('126.0'))."""
    text = (SEEDS / "002_4e2407b4eee4c5f7.txt").read_text(encoding="utf-8")
    start = text.index("{", text.index("Request Formats"))
    return json.JSONDecoder(parse_float=Decimal).raw_decode(text[start:])[0]


def encode(body) -> bytes:
    return json.dumps(body, default=lambda d: f"@@{d}@@").replace('"@@', "").replace('@@"', "").encode()


def post(client, body, media="application/json", raw: bytes | None = None):
    content = raw if raw is not None else (urlencode(body).encode() if "form" in media else encode(body))
    headers = {"content-type": media} if media else {}
    return client.post(PATH, content=content, headers=headers)


def orders(app) -> list:
    with app.state.store.read() as conn:
        return [dict(row) for row in conn.execute("SELECT docno, orderno, user_id, memberid FROM travel_orders")]


def snapshot(app) -> dict:
    with app.state.store.read() as conn:
        return travel_order.snapshot(conn, "member-1")


def rejected(response, code: int) -> None:
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"data", "code", "message"} and body["data"] is None and body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]


# --- success ----------------------------------------------------------------------------------------

@needs_seeds
def test_seed_sample_is_accepted_for_a_member(app, client):
    response = post(client, seed_sample() | {"memberid": MEMBER})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"data", "code", "message"} and body["code"] == 100 and body["message"] == "success"
    assert body["data"]["docno"] == "sample string 7" and body["data"]["orderno"]
    assert snapshot(app) == {"travel_orders": [body["data"]]}


@needs_seeds
def test_seed_sample_without_member_and_text_json(app, client):
    sample = seed_sample()
    del sample["memberid"]
    first = post(client, sample)
    second = post(client, sample, "text/json; charset=utf-8")
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    assert first.json()["data"]["orderno"] != second.json()["data"]["orderno"]
    assert [o["user_id"] for o in orders(app)] == [None, None] and snapshot(app) == {"travel_orders": []}


@needs_seeds
def test_form_of_top_level_scalars(app, client):
    sample = seed_sample()
    scalars = {k: v for k, v in sample.items() if not isinstance(v, (dict, list))} | {"memberid": MEMBER}
    scalars["isrecivemail"] = "true"
    response = post(client, scalars, "application/x-www-form-urlencoded")
    assert response.status_code == 200, response.text
    assert snapshot(app)["travel_orders"] == [response.json()["data"]]
    assert post(client, {"docno": "A1"}, "application/x-www-form-urlencoded").json()["data"]["docno"] == "A1"


def test_nothing_is_required(client):
    response = post(client, {})
    assert response.status_code == 200 and response.json()["data"]["docno"]


# --- dates ------------------------------------------------------------------------------------------

def test_seven_digit_dates_are_parsed_exactly():
    date = travel_order.parse_date("2024-12-23T14:51:37.2652335+08:00")
    assert date.ticks == 2652335 and date.instant.microsecond == 265233
    assert date.instant.utcoffset() == timedelta(hours=8) and date.instant.second == 37
    assert travel_order.parse_date("2024-12-23T14:51:37.249611+08:00").ticks == 2496110
    assert travel_order.parse_date("2024-12-23T06:51:37Z").ticks == 0
    assert travel_order.parse_date("2024-12-23t06:51:37.5-05:30").instant.utcoffset() == -timedelta(hours=5, minutes=30)
    for bad in ("2024-12-23T14:51:37.26523351+08:00", "2024-12-23T14:51:37", "2024-13-23T14:51:37Z",
                "2024-02-30T14:51:37Z", "2024-12-23 14:51:37Z", "2024-12-23T24:00:00Z", "2024-12-23T14:51:37+24:00",
                "２０２４-12-23T14:51:37Z", "yesterday"):
        with pytest.raises(ValueError):
            travel_order.parse_date(bad)


def test_dates_in_requests(client):
    assert post(client, {"createdate": "2024-12-23T14:51:37.2652335+08:00"}).status_code == 200
    rejected(post(client, {"createdate": "2024-12-23T14:51:37.26523351+08:00"}), 101)
    rejected(post(client, {"createdate": "2024-12-23"}), 101)
    rejected(post(client, {"paymentinfo": {"paydate": "soon"}}), 101)
    assert post(client, {"sugarAIRoutine": [{"depDate": "sample string 4"}]}).status_code == 200   # a string field


# --- rejections -------------------------------------------------------------------------------------

WRONG = {
    "memberid as string": {"memberid": "8"},
    "memberid as float": {"memberid": Decimal("8.0")},
    "memberid beyond int64": {"memberid": 2**63},
    "enum beyond int32": {"itemtype": 2**31},
    "boolean as string": {"isrecivemail": "yes"},
    "number as string": {"integralnum": "4.0"},
    "null": {"docno": None},
    "object for collection": {"couponinfos": {"coupontype": 0}},
    "nested wrong type": {"localtravelroutine": [{"localTravelDetails": [{"quantity": "9"}]}]},
    "boolean for integer": {"status": True},
}


@pytest.mark.parametrize("case", WRONG, ids=list(WRONG))
def test_wrong_types_are_101(app, client, case):
    rejected(post(client, WRONG[case]), 101)
    assert orders(app) == []


@pytest.mark.parametrize("raw", [b"", b"{", b"[]", b"12", b'"x"', b"null", b'{"extraamt": NaN}', b"\xff",
                                 b'{"docno": "\\udc80"}', b"[" * 50000 + b"]" * 50000,
                                 b'{"memberid": 1' + b"0" * 5000 + b"}"])
def test_malformed_json_is_101(app, client, raw):
    rejected(post(client, None, raw=raw), 101)
    assert orders(app) == []


@pytest.mark.parametrize("media", ["text/plain", "application/xml", "multipart/form-data; boundary=x", None,
                                   "application/json-patch+json"])
def test_other_media_types_are_101(app, client, media):
    rejected(post(client, None, media, raw=b"{}"), 101)
    assert orders(app) == []


def test_bad_forms_are_101(app, client):
    form = "application/x-www-form-urlencoded"
    for raw in (b"memberid=abc", b"isrecivemail=maybe", b"itemtype=99999999999", b"\xff=1", b"extraamt=NaN"):
        rejected(post(client, None, form, raw=raw), 101)
    assert orders(app) == []


def test_an_empty_form_is_an_object_without_fields(client):
    form = "application/x-www-form-urlencoded"
    empty_form, empty_json = post(client, None, form, raw=b""), post(client, {})
    assert (empty_form.status_code, empty_form.json()["code"]) == (empty_json.status_code, empty_json.json()["code"])


def test_unknown_member_is_102(app, client):
    rejected(post(client, {"memberid": 8, "docno": "sample string 7"}), 102)
    rejected(post(client, {"memberid": -1}), 102)
    assert orders(app) == []


def _local(total, *lines):
    details = [{"price": price, "quantity": quantity} for price, quantity in lines]
    return {"memberid": MEMBER, "localtravelroutine": [{"totalAmt": total, "localTravelDetails": details}]}


def test_local_total_must_be_the_sum_103(app, client):
    rejected(post(client, _local(Decimal("125.99"), (Decimal("7.0"), 9), (Decimal("7.0"), 9))), 103)
    rejected(post(client, _local(Decimal("0.3"), (Decimal("0.1"), 1), (Decimal("0.1"), 1))), 103)
    assert orders(app) == []
    assert post(client, _local(Decimal("0.3"), (Decimal("0.1"), 1), (Decimal("0.2"), 1))).status_code == 200
    assert post(client, _local(Decimal("126"), (Decimal("7.0"), 18))).status_code == 200
    assert post(client, {"localtravelroutine": [{"totalAmt": 5, "localTravelDetails": []}]}).status_code == 200
    assert post(client, {"localtravelroutine": [{"localTravelDetails": [{"price": 1, "quantity": 1}]}]}
                ).status_code == 200
    assert len(snapshot(app)["travel_orders"]) == 2


def test_huge_numbers_never_500(client):
    assert post(client, {"extraamt": Decimal("1e400"), "integralnum": 10**30}).status_code == 200
    assert post(client, _local(Decimal("1e999999999"), (Decimal("1e999999999"), 1))).status_code == 200
    rejected(post(client, _local(Decimal("1e999999999"), (Decimal("1e999999999"), 2))), 103)
    rejected(post(client, {"memberid": -(10**30)}), 101)


# --- faults -----------------------------------------------------------------------------------------

def faulty(tmp_path, name):
    return TestClient(make_app(tmp_path, name))


def test_every_travel_fault_patches_one_behaviour_and_names_its_rules():
    travel = [f for f in FAULTS.values() if f.api == "travel-order"]
    assert len(travel) == 9
    for fault in travel:
        assert len(fault.patch) == 1 and set(fault.patch) <= set(travel_order.BEHAVIOUR), fault.name
        assert fault.rules and all(rule.startswith("TO-") for rule in fault.rules) and fault.description


def test_fault_travel_rejected_says_100(tmp_path):
    response = post(faulty(tmp_path, "travel-rejected-says-100"), {"memberid": "x"})
    assert response.status_code == 400 and response.json()["code"] == 100


def test_fault_text_json_rejected(tmp_path):
    client = faulty(tmp_path, "text-json-rejected")
    rejected(post(client, {}, "text/json"), 101)
    assert post(client, {}).status_code == 200


def test_fault_seven_digit_dates_rejected(tmp_path):
    client = faulty(tmp_path, "seven-digit-dates-rejected")
    rejected(post(client, {"createdate": "2024-12-23T14:51:37.2652335+08:00"}), 101)
    assert post(client, {"createdate": "2024-12-23T14:51:37.265233+08:00"}).status_code == 200


def test_fault_travel_orderno_number(tmp_path):
    response = post(faulty(tmp_path, "travel-orderno-number"), {})
    assert response.status_code == 200 and isinstance(response.json()["data"]["orderno"], int)


def test_fault_travel_success_code_0(tmp_path):
    response = post(faulty(tmp_path, "travel-success-code-0"), {})
    assert response.status_code == 200 and response.json()["code"] == 0


def test_fault_form_unsupported(tmp_path):
    client = faulty(tmp_path, "form-unsupported")
    rejected(post(client, {"docno": "A1"}, "application/x-www-form-urlencoded"), 101)
    assert post(client, {}, "text/json").status_code == 200


def test_fault_local_total_one_sided(tmp_path):
    client = faulty(tmp_path, "local-total-one-sided")
    assert post(client, _local(Decimal("1"), (Decimal("7.0"), 9))).status_code == 200      # below: accepted
    assert post(client, _local(Decimal("100"), (Decimal("7.0"), 9))).json()["code"] != 100  # above: refused


def test_fault_extra_charges_overflow_500(tmp_path):
    client = TestClient(make_app(tmp_path, "extra-charges-overflow-500"), raise_server_exceptions=False)
    for name in ("extraamt", "integraldiscount"):
        assert post(client, {name: 1.7976931348623157e308}).status_code == 500, name
    assert post(client, {"extraamt": 6.0, "integraldiscount": 5.0}).status_code == 200   # everyday amounts are fine
    clean = tmp_path / "clean"
    clean.mkdir()
    assert post(TestClient(make_app(clean)), {"extraamt": 1.7976931348623157e308}).status_code == 200


def test_fault_travel_accepts_wrong_types(tmp_path):
    client = faulty(tmp_path, "travel-accepts-wrong-types")
    for body in ({"memberid": "8"}, {"couponinfos": 3}, {"localtravelroutine": "x"}, {"isrecivemail": "yes"}):
        assert post(client, body).status_code == 200, body
    assert post(client, None, raw=b"[1, 2]").status_code == 200
    rejected(post(client, {"createdate": "soon"}), 101)                 # dates are still checked


@needs_seeds
def test_order_for_a_provider_state_member(tmp_path):
    with TestClient(create_app(db_path=str(tmp_path / "hook.sqlite3"))) as client:
        def state(name, **params):
            response = client.post("/_orderproof/provider-states", json={"state": name, "params": params})
            assert response.status_code == 200, response.text
            return response.json()

        player = state("a player exists")
        response = post(client, seed_sample() | {"memberid": int(player["memberid"])}, "text/json")
        assert response.status_code == 200, response.text
        assert state("a player snapshot", userId=player["userId"])["travel_orders"] == [response.json()["data"]]
