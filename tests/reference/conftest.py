"""Fixtures for the reference tests: an in-process app, its provider-state hook, request builders
and a served instance (uvicorn on a free loopback port) for the concurrency tests."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from orderproof import registry
from orderproof.apis.ticket_engine.signing import ticket_signature
from orderproof.core.paths import PROVIDER_STATES_PATH, PROVIDER_STATES_SPEC
from orderproof.engine import target
from orderproof.reference import create_app

TRAVEL_PATH = registry.get("travel-order").path


def bet_details(**overrides: Any) -> dict[str, Any]:
    """One BetDetails (stake 2.55 at 1.85: potentialPayout 4.7175, a value float would round)."""
    bet = {
        "betId": str(uuid.uuid4()), "sportId": "1", "sportName": "football", "sportDisplayName": "Football",
        "eventId": "8812345", "eventName": "home-v-away", "eventDisplayName": "Home v Away",
        "eventStage": "PRE_PLAY", "competitionId": "17", "competitionName": "premier-league",
        "competitionDisplayName": "Premier League", "marketTypeId": "1", "marketId": "99001",
        "marketName": "match-result", "marketDisplayName": "Match Result", "marketStage": "PRE_PLAY",
        "selectionId": "990011", "selectionName": "home", "selectionDisplayName": "Home",
        "decimalPrice": Decimal("1.85"), "stake": Decimal("2.55"),
    }
    return bet | overrides


def make_slip(player: dict[str, Any], *bets: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    return {
        "requestId": str(uuid.uuid4()),
        "userId": player["userId"],
        "sessionToken": player["sessionToken"],
        "timestamp": str(int(time.time() * 1000)),
        "bets": list(bets) or [bet_details()],
    } | overrides


def seed_order(customer_token: str, **overrides: Any) -> dict[str, Any]:
    """The seed's order sample, corrected as openapi/sportsbook-order.yaml's example says."""
    order = {
        "customerToken": customer_token,
        "ticketId": "116295584494649344",
        "orderAmount": 100,
        "currency": 1,
        "qTime": 1519872502536,
        "betType": 1,
        "betList": [{
            "comboId": None, "betAmount": 100, "num": 1, "cnt": 1,
            "comboItems": [{"SubComboId": 12312341234, "OptionIds": [31241244, 1243124234, 124234235]}],
            "oddsEuro": Decimal("43.5"),
        }],
        "optionArray": [{
            "sportNo": 10, "tourName": "", "macthId": "10002", "macthName": "vs ", "gameType": "1",
            "gameName": "", "groupType": 1, "optionId": "1975443", "betOption": "X", "insHomeScore": 0,
            "insAwayScore": 0, "oddsFormat": 1, "oddsView": "3.0", "betStage": 1, "betBar": None,
        }],
    }
    return order | overrides


def jackpot_request(player: dict[str, Any], betcard: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A valid jackpot ticket for ``player`` on the betcard set up (each event's first selection at
    its current odds)."""
    events = [{"id": event["event_id"], "bet": event["markets"][0]["selections"][0]["bet_id"],
               "odds": Decimal(event["markets"][0]["selections"][0]["decimal_price"])} for event in betcard["events"]]
    body = {
        "operator": player["operator"]["name"], "token": player["token"], "price": 1000, "currency": "KES",
        "atag": "affiliate-1", "source": "mobile", "type": "jackpot", "odds_diff": 0, "events": events,
        "betcard_code": betcard["betcard_code"], "prize": betcard["prize"], "bonus_prizes": betcard["bonus_prizes"],
    }
    return body | overrides


def superbet_request(player: dict[str, Any], event: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """A valid superbet reservation for ``player`` on every selection of the event's first market."""
    body = {
        "operator": player["operator"]["name"], "token": player["token"], "price": 1000, "currency": "KES",
        "atag": "affiliate-1", "source": "mobile", "type": "superbet", "event": event["event_id"],
        "bets": [selection["bet_id"] for selection in event["markets"][0]["selections"]],
    }
    return body | overrides


def dumps(document: Any) -> bytes:
    """JSON with Decimals written exactly (the test client's json= would refuse them)."""
    from orderproof.reference.money import json_bytes

    return json_bytes(document)


def loads(raw: bytes | str) -> Any:
    return json.loads(raw, parse_float=Decimal)


class Reference:
    """A client of one reference app: its provider states and its APIs, as a test needs them."""

    def __init__(self, client: Any, app: Any) -> None:
        self.client, self.app = client, app

    def state(self, state: str, /, **params: Any) -> dict[str, Any]:
        response = self.client.post(PROVIDER_STATES_PATH, json={"state": state, "params": params})
        assert response.status_code == 200, response.text
        return response.json()

    def player(self, **params: Any) -> dict[str, Any]:
        return self.state("a player exists", **params)

    def snapshot(self, user_id: str) -> dict[str, Any]:
        return self.state("a player snapshot", userId=user_id)

    def stored_status(self) -> str:
        """The status a new player's one placed bet is stored with."""
        player = self.player()
        self.bet(player)
        return self.snapshot(player["userId"])["bets"][0]["status"]

    def bet(self, player: dict[str, Any] | None, slip: Any = None, *, key: str | None = None,
            raw: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
        sent = {"Content-Type": "application/json", "X-Idempotency-Key": key or str(uuid.uuid4())}
        if player is not None:
            sent["X-API-Key"] = player["apiKey"]
        sent |= headers or {}
        body = raw if raw is not None else dumps(slip if slip is not None else make_slip(player))
        return self.client.post("/bet", content=body, headers={k: v for k, v in sent.items() if v is not None})

    def order(self, order: Any = None, *, raw: bytes | None = None, content_type: str = "application/json") -> Any:
        body = raw if raw is not None else dumps(order)
        return self.client.post("/order", content=body, headers={"Content-Type": content_type})

    def ticket(self, path: str, body: Any, player: dict[str, Any], *, operator: str | None = None,
               secret: str | None = None, signature: str | None = None, raw: bytes | None = None,
               form: str = "lower-case hex") -> Any:
        """A ticket-engine call signed with the player's operator (``operator``/``secret`` override), its
        signature written in ``form`` (lower- or upper-case hex)."""
        raw = raw if raw is not None else dumps(body)
        timestamp = str(int(time.time()))
        secret = secret if secret is not None else player["operator"]["secret"]
        headers = {"Content-Type": "application/json", "timestamp": timestamp,
                   "operator-name": operator or player["operator"]["name"],
                   "signature": signature or ticket_signature(secret, timestamp, raw, form)}
        return self.client.post(path, content=raw, headers=headers)

    def jackpot(self, player: dict[str, Any], body: Any, **kwargs: Any) -> Any:
        return self.ticket("/be/tickets", body, player, **kwargs)

    def superbet(self, player: dict[str, Any], body: Any, **kwargs: Any) -> Any:
        return self.ticket("/be/tickets/reserve", body, player, **kwargs)

    def travel(self, order: Any, *, content_type: str = "application/json") -> Any:
        return self.client.post(TRAVEL_PATH, content=dumps(order), headers={"Content-Type": content_type})


@pytest.fixture
def app_factory(tmp_path) -> Iterator[Callable[..., Any]]:
    apps = []

    def make(**kwargs: Any) -> Any:
        kwargs.setdefault("db_path", str(tmp_path / f"reference-{len(apps)}.sqlite3"))
        app = create_app(**kwargs)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.state.store.close()


@pytest.fixture
def reference_factory(app_factory) -> Iterator[Callable[..., Reference]]:
    """``reference_factory(fault=...)``: a Reference over a fresh in-process app."""
    clients = []

    def make(**kwargs: Any) -> Reference:
        app = app_factory(**kwargs)
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        return Reference(client, app)

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def ref(reference_factory) -> Reference:
    return reference_factory()


# --- specs -------------------------------------------------------------------------------------------

def spec_validator(slug: str, component: str) -> Draft202012Validator:
    path = PROVIDER_STATES_SPEC if slug == "provider-states" else registry.get(slug).spec_path
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Draft202012Validator({"$ref": f"#/components/schemas/{component}", "components": spec["components"]})


def assert_matches(slug: str, component: str, instance: Any) -> None:
    errors = [error.message for error in spec_validator(slug, component).iter_errors(instance)]
    assert not errors, f"{component}: {errors}"


# --- a served instance -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


served = target.served   # the reference on a loopback port, as `certify --serve` runs it
