"""Helpers for the check tests of every API package: hand-made exchanges, the catalogue's rules and a
scripted fake Flow.

Every check takes its contract rule first; tests name it literally (``bp_echo(rule("BP-ECHO"), ex)``,
``assert_fails("BP-ECHO", bp_echo, ex)``, ``run_flow("BP-ATOMIC", bp_atomic, bet_placement())``) so that
grepping a rule id finds its tests. A flow runs against the API of its rule.

``FakeFlow`` stands in for the runner's Flow: ``setup`` answers canned provider states, ``snapshot``
returns a copy of one in-memory player state, ``valid_body`` a canned valid body per API, and
``send`` hands each request to a *responder* written by the test (a small model of a correct or a
buggy target) that returns ``(status, payload)`` and may change the state.
"""

from __future__ import annotations

import copy
import json
import struct
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from orderproof.catalogue import Catalogue, Rule, load_catalogue
from orderproof.checks.base import Exchange, RuleFailure
from orderproof.checks.conventions import ConventionBook

API_METHOD = "POST"


@cache
def catalogue() -> Catalogue:
    """The catalogue of every registered API (loading it registers every API's checks)."""
    return load_catalogue()


def rule(rule_id: str) -> Rule:
    """The contract rule ``rule_id`` (e.g. ``"BP-ECHO"``), as the runner hands it to its check."""
    return catalogue().rule(rule_id)


def dumps(payload: Any) -> str:
    """JSON with Decimals written as number literals (``Decimal("3500.0")`` -> ``3500.0``)."""
    return json.dumps(payload, default=lambda o: float(o) if isinstance(o, Decimal) else str(o))


def exchange(api: str, status: int, response: Any, request: Any = None, *, method: str = "POST",
             headers: dict[str, str] | None = None, media_type: str = "application/json",
             mode: str | None = None) -> Exchange:
    """An Exchange; ``response`` is a payload (dumped) or the raw response text."""
    text = response if isinstance(response, str) else dumps(response)
    return Exchange(api=api, method=method, url=f"http://target.test/{api}", request_headers=headers or {},
                    request_body=copy.deepcopy(request), request_text=None if request is None else dumps(request),
                    media_type=media_type, status=status, response_headers={"content-type": "application/json"},
                    response_text=text, mode=mode)


def assert_fails(rule_id: str, check: Callable[[Rule, Exchange], Any], ex: Exchange) -> RuleFailure:
    """``check`` (given the rule ``rule_id``) fails on ``ex`` with a failure of that rule."""
    with pytest.raises(RuleFailure) as info:
        check(rule(rule_id), ex)
    assert info.value.rule_id == rule_id
    assert f"[{rule_id}]" in str(info.value)
    return info.value


# --- the fake Flow ----------------------------------------------------------------------------------


@dataclass
class Request:
    body: Any
    headers: dict[str, Any]
    auth: str
    media_type: str
    player: dict[str, Any] | None
    sign_as: dict[str, Any] | None = None     # the operator who signs, when not the player's


BET = {
    "sportId": "1", "sportName": "Soccer", "sportDisplayName": "Soccer", "eventId": "7", "eventName": "A v B",
    "eventDisplayName": "A v B", "eventStage": "PRE_PLAY", "competitionId": "3", "competitionName": "League",
    "competitionDisplayName": "League", "marketTypeId": "1", "marketId": "70", "marketName": "1X2",
    "marketDisplayName": "1X2", "marketStage": "PRE_PLAY", "selectionId": "701", "selectionName": "1",
    "selectionDisplayName": "1", "decimalPrice": Decimal("1.85"), "stake": Decimal("1.00"),
}


def _event(event_id: int, *, started: bool = False, markets: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    markets = markets or [{"code": "1X2"}]
    return {"event_id": event_id, "name": f"event {event_id}", "started": started, "markets": [
        {"market_id": event_id * 10 + m, "code": market["code"], "allowed": market.get("allowed", True), "selections": [
            {"bet_id": event_id * 100 + m * 10 + i, "name": str(i + 1), "decimal_price": p}
            for i, p in enumerate(market.get("prices") or ["1.85", "3.40", "4.20"])]}
        for m, market in enumerate(markets)]}


@dataclass
class FakeFlow:
    api: str
    data: Any
    respond: Callable[[FakeFlow, Request], tuple[int, Any]]
    rule: Any = None                                                     # the rule the scenario verifies
    states: dict[str, dict[str, Any]] = field(default_factory=dict)      # userId -> that player's state
    players: list[dict[str, Any]] = field(default_factory=list)
    operators: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[int, dict[str, Any]] = field(default_factory=dict)
    sent: list[Exchange] = field(default_factory=list)
    conventions: ConventionBook = field(default_factory=ConventionBook)
    why_not: str | None = None
    _ids: int = 0

    # Flow protocol
    def draw(self, strategy: Any, label: str | None = None) -> Any:
        return self.data.draw(strategy, label=label)

    def fresh_id(self) -> str:
        self._ids += 1                      # as the engine's: a number in [2^53, 2^63), 16 to 19 digits
        return str(2**53 + uuid.uuid4().int % (2**63 - 2**53))

    def fresh_uuid(self) -> str:
        return str(uuid.uuid4())

    def setup(self, state: str, **params: Any) -> dict[str, Any]:
        if state == "an operator exists":
            operator = {"name": params.get("name", f"op-{len(self.operators)}"), "secret": "s3cret-op",
                        "timezone_offset": "+02:00", "webhook_url": params.get("webhook_url", "http://127.0.0.1/hook"),
                        "ext": "12.5", "wht": "20.0"}
            self.operators[operator["name"]] = operator
            return operator
        if state == "a player exists":
            operator = self.operators.get(params.get("operator")) or self.setup("an operator exists")
            player = {"userId": f"user-{len(self.players)}", "sessionToken": f"sess-tok-{len(self.players)}",
                      "token": "tok-1234",
                      "customerToken": "cust-tok-1234", "memberid": str(100001 + len(self.players)), "apiKey": "key-1234",
                      "balance": params.get("balance", "1000.00"), "currency": "EUR",
                      "blocked": params.get("blocked", False), "min_stake": params.get("min_stake", "0.10"),
                      "max_stake": params.get("max_stake", "500.00"),
                      "session_expired": params.get("session_expired", False),
                      "expired_ago": params.get("session_expired_seconds_ago", 60), "operator": operator}
            self.players.append(player)
            self.states[player["userId"]] = {"balance": player["balance"], "bets": [], "orders": [], "tickets": [],
                                             "travel_orders": [], "ledger": []}
            return player
        if state == "an event exists":
            event = _event(len(self.events) + 1, started=params.get("started", False), markets=params.get("markets"))
            self.events[event["event_id"]] = event
            return event
        if state == "a jackpot betcard exists":
            events = [self.setup("an event exists") for _ in range(params.get("events", 3))]
            return {"betcard_code": "BC-1", "prize": 1_000_000, "bonus_prizes": [10_000, 5_000], "events": events}
        raise AssertionError(f"unexpected state {state!r}")

    @property
    def state(self) -> dict[str, Any]:
        """The state of the last player set up (the one most scenarios use)."""
        return self.states[self.players[-1]["userId"]]

    def player_of(self, body: Any) -> dict[str, Any] | None:
        user = body.get("userId") if isinstance(body, dict) else None
        return next((p for p in self.players if p["userId"] == user), None)

    def snapshot(self, player: Any) -> dict[str, Any]:
        return copy.deepcopy(self.states[player["userId"]])

    def valid_body(self, player: Any = None, **fixtures: Any) -> Any:
        player = player or self.players[-1]
        if self.api == "bet-placement":
            return {"requestId": str(uuid.uuid4()), "userId": player["userId"], "sessionToken": player["sessionToken"],
                    "timestamp": "1640995200000", "bets": [dict(BET, betId=str(uuid.uuid4()))]}
        if self.api == "sportsbook-order":
            return {"customerToken": player["customerToken"], "ticketId": str(uuid.uuid4().int >> 65),
                    "orderAmount": Decimal("100"), "currency": 1, "qTime": 1519872502536, "betType": 1,
                    "betList": [], "optionArray": []}
        if self.api in ("jackpot-ticket", "superbet-reserve"):
            body = {"operator": player["operator"]["name"], "token": player["token"], "price": 1000,
                    "currency": "EUR", "atag": "a-1", "source": "mobile"}
            if self.api == "jackpot-ticket":
                card = fixtures["betcard"]
                return body | {"type": "jackpot", "odds_diff": Decimal("0.1"), "betcard_code": card["betcard_code"],
                               "prize": card["prize"], "bonus_prizes": card["bonus_prizes"],
                               "events": [{"id": e["event_id"], "bet": e["markets"][0]["selections"][0]["bet_id"],
                                           "odds": Decimal(e["markets"][0]["selections"][0]["decimal_price"])}
                                          for e in card["events"]]}
            event = fixtures["event"]
            return body | {"type": "superbet", "event": event["event_id"],
                           "bets": [s["bet_id"] for s in event["markets"][0]["selections"]]}
        if self.api == "travel-order":
            return {"memberid": int(player["memberid"]), "docno": "D-1", "currency": "HKD", "isrecivemail": True,
                    "createdate": "2024-12-23T14:51:37.249611+08:00", "integralnum": Decimal("4.0"),
                    "paymentinfo": {"createdate": "2024-12-23T14:51:37.249611+08:00", "payamt": Decimal("6.0")},
                    "localtravelroutine": [{"totalAmt": Decimal("126.0"), "localTravelDetails": [
                        {"did": "d1", "price": Decimal("7.0"), "quantity": 9}] * 2}]}
        raise AssertionError(self.api)

    def send(self, body: Any = None, *, player: Any = None, headers: Any = None,
             media_type: str = "application/json", raw: bytes | None = None, auth: str = "valid",
             sign_as: Any = None, refusable: bool = False) -> Exchange:
        request = Request(copy.deepcopy(body), dict(headers or {}), auth, media_type, player, sign_as)
        status, payload = self.respond(self, request)
        ex = exchange(self.api, status, payload, body, media_type=media_type,
                      headers={k.lower(): v for k, v in request.headers.items() if v is not None})
        object.__setattr__(ex, "conventions", self.conventions)
        if refusable:
            ex.extra["refusable"] = True
        self.sent.append(ex)
        return ex

    def send_concurrently(self, requests: list[dict[str, Any]]) -> list[Exchange]:
        return [self.send(r.get("body"), **{k: v for k, v in r.items() if k != "body"}) for r in requests]


def run_flow(rule_id: str, check: Callable[[Rule, Any], Any], respond: Callable[[FakeFlow, Request], tuple[int, Any]],
             max_examples: int = 25, book: ConventionBook | None = None, shrink: bool = False) -> None:
    """Run the flow check of rule ``rule_id`` as the runner does: inside a Hypothesis test, one fresh
    FakeFlow of the rule's API per example (carrying the rule), one convention book for the whole run,
    the rule handed to the check. A failure ends the run as found (a test of the verdict need not
    shrink it; ``shrink=True`` for one that reads the simplest failing scenario)."""
    verified = rule(rule_id)
    book = book if book is not None else ConventionBook()
    phases = (Phase.explicit, Phase.generate) + ((Phase.shrink,) if shrink else ())

    @settings(max_examples=max_examples, deadline=None, database=None, derandomize=True, report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck), phases=phases)
    @given(st.data())
    def scenario(data: Any) -> None:
        check(verified, FakeFlow(verified.api, data, respond, rule=verified, conventions=book))

    scenario()


def assert_flow_fails(rule_id: str, check: Callable[[Rule, Any], Any],
                      respond: Callable[[FakeFlow, Request], tuple[int, Any]], max_examples: int = 40,
                      shrink: bool = False) -> RuleFailure:
    """The flow check of rule ``rule_id`` fails against ``respond`` with a failure of that rule."""
    with pytest.raises(RuleFailure) as info:
        run_flow(rule_id, check, respond, max_examples, shrink=shrink)
    assert info.value.rule_id == rule_id, str(info.value)
    return info.value


# --- small models of the targets: correct by default, one named bug at a time ----------------------


def failure(code: str, **extra: Any) -> dict[str, Any]:
    return {"status": "FAILURE", "errorCode": code, "errorMessage": code.lower(), **extra}


BP_STATUS = {"INVALID_SESSION": 401, "AUTHENTICATION_FAILED": 403}
BP_TOP = ("requestId", "userId", "sessionToken", "timestamp", "bets")


def bet_placement(*bugs: str) -> Callable[[FakeFlow, Request], tuple[int, Any]]:
    """A bet-placement target. Bugs: partial (stores the good bets of an INVALID_STAKE slip),
    float-payout, status-placed (stores bets as "PLACED"), no-idempotency, no-funds-check,
    wrong-limit (reason carries the stake), max-exclusive (a stake of exactly max_stake is refused),
    framework-422 (missing field -> 422), ignore-session,
    ignore-key, no-debit, conflict-replays (reused key + other body replays the first answer),
    any-user-session (a session token of any user is accepted). ``float-payout`` stores the payout in
    single precision (a double-precision or cent-rounded payout is a legitimate reading)."""
    replies: dict[str, tuple[str, tuple[int, Any]]] = {}

    def fail(code: str, **extra: Any) -> tuple[int, Any]:
        return BP_STATUS.get(code, 400), failure(code, **extra)

    def process(flow: FakeFlow, req: Request) -> tuple[int, Any]:
        body = req.body
        bets = body.get("bets") if isinstance(body, dict) else None
        if any(name not in body for name in BP_TOP) or any(
                set(BET) - set(bet) - {"betId"} or "betId" not in bet for bet in bets or []):
            return (422, {"detail": "missing"}) if "framework-422" in bugs else fail("MISSING_PARAMETER")
        player = flow.player_of(body)
        if player is None:
            return fail("INVALID_USER")
        tokens = {p["sessionToken"] for p in flow.players} if "any-user-session" in bugs else {player["sessionToken"]}
        expired = player["session_expired"] and not ("session-grace" in bugs and player["expired_ago"] < 300)
        if "ignore-session" not in bugs and (body["sessionToken"] not in tokens or expired):
            return fail("INVALID_SESSION")
        if player["blocked"]:
            return fail("USER_BLOCKED")
        lo, hi = Decimal(player["min_stake"]), Decimal(player["max_stake"])
        failed = [{"betId": b["betId"], "sportId": b["sportId"], "eventId": b["eventId"], "marketId": b["marketId"],
                   "selectionId": b["selectionId"],
                   "reason": {"maxStake": b["stake"] if "wrong-limit" in bugs else hi} if b["stake"] >= hi
                   else {"minStake": lo}} for b in bets
                  if not lo <= b["stake"] <= hi or ("max-exclusive" in bugs and b["stake"] == hi)]
        state = flow.states[player["userId"]]
        if failed:
            if "partial" in bugs:
                store(state, [b for b in bets if lo <= b["stake"] <= hi])
            return fail("INVALID_STAKE", failedBets=failed)
        total = sum((b["stake"] for b in bets), Decimal(0))
        if "no-funds-check" not in bugs and total > Decimal(state["balance"]):
            return fail("INSUFFICIENT_FUNDS")
        store(state, bets)
        return 200, {"requestId": body["requestId"], "userId": body["userId"], "sessionToken": player["sessionToken"],
                     "timestamp": "1640995200001", "status": "PLACED", "bets": bets}

    def store(state: dict[str, Any], bets: list[dict[str, Any]]) -> None:
        for bet in bets:
            payout = (struct.unpack("f", struct.pack("f", float(bet["stake"]) * float(bet["decimalPrice"])))[0]
                      if "float-payout" in bugs else bet["stake"] * bet["decimalPrice"])
            state["bets"].append({"betId": bet["betId"], "stake": str(bet["stake"]),
                                  "decimalPrice": str(bet["decimalPrice"]), "potentialPayout": str(payout),
                                  "status": "PLACED" if "status-placed" in bugs else "pending"})
            if "no-debit" not in bugs:
                state["balance"] = str(Decimal(state["balance"]) - bet["stake"])
                state["ledger"].append({"amount": str(-bet["stake"]), "reference": bet["betId"]})

    def respond(flow: FakeFlow, req: Request) -> tuple[int, Any]:
        if req.auth != "valid" and "ignore-key" not in bugs:
            return fail("AUTHENTICATION_FAILED")
        if "X-Idempotency-Key" in req.headers and req.headers["X-Idempotency-Key"] is None:
            return fail("MISSING_PARAMETER")
        key = req.headers.get("X-Idempotency-Key") or str(uuid.uuid4())
        fingerprint = dumps(req.body)
        if key in replies and "no-idempotency" not in bugs:
            seen, reply = replies[key]
            if seen != fingerprint and "conflict-replays" not in bugs:
                return 422, failure("INVALID_BET_DETAILS")
            return reply
        replies[key] = (fingerprint, process(flow, req))
        return replies[key][1]

    return respond


def sportsbook(*bugs: str) -> Callable[[FakeFlow, Request], tuple[int, Any]]:
    """A sportsbook-order target. Bugs: no-balance-check, debit-twice (a repeat debits again),
    debits-rejected (an unknown token still debits), wrong-balance (data.balance is the old one),
    null-empty-balance (data.balance null once the wallet is empty). Not a bug: repeat-409-detail (a
    repeat is refused by the framework, 409 {"detail": ...}), double-balance (data.balance a double
    whose last digits are off: 399.9000000000002)."""
    orders: dict[int, tuple[str, tuple[int, Any]]] = {}

    def respond(flow: FakeFlow, req: Request) -> tuple[int, Any]:
        body, player = req.body, flow.players[-1]
        ticket = int(body["ticketId"])
        if ticket in orders and "repeat-409-detail" in bugs:
            return 409, {"detail": "duplicate ticketId"}
        if ticket in orders and "debit-twice" not in bugs:
            return orders[ticket][1]
        amount = Decimal(body["orderAmount"])
        balance = Decimal(flow.state["balance"])
        if body["customerToken"] != player["customerToken"]:
            if "debits-rejected" in bugs:
                flow.state["balance"] = str(balance - amount)
            return 400, {"code": 401, "msg": "unknown customerToken", "data": None}
        if amount > balance and "no-balance-check" not in bugs:
            return 400, {"code": 402, "msg": "insufficient balance", "data": None}
        flow.state["balance"] = str(balance - amount)
        flow.state["orders"].append({"ticketId": str(ticket), "amount": str(amount)})
        reported = balance if "wrong-balance" in bugs else balance - amount
        if "null-empty-balance" in bugs and reported == 0:
            reported = None
        elif "double-balance" in bugs:       # the last digits of a double off, as 399.9000000000002
            reported = Decimal(repr(float(reported) + 2e-13))
        reply = (200, {"code": 200, "msg": "success", "data": {"userId": player["userId"], "balance": reported,
                                                               "ticketId": ticket, "amount": amount, "orderTime": 1}})
        orders[ticket] = (dumps(body), reply)
        return reply

    return respond


def ticket_engine(*bugs: str) -> Callable[[FakeFlow, Request], tuple[int, Any]]:
    """The ticket engine. Bugs: ignore-signature, ignore-operator-header, stores-rejected (stores a
    ticket before a business error), no-odds-check, odds-check-strict (rejects any deviation),
    odds-limit-exclusive (a deviation equal to odds_diff is refused: with 0, unchanged odds too),
    wrong-code (every business error is 106), drops-unknown-bet (a superbet ticket keeps its known bets and
    drops the others), last-market-only (only the last bet's market is checked for 116),
    other-event-bets (a bet of another event is taken as one of this event's), header-operator-only (the
    header's operator is served and its player's token demanded, 403 otherwise; the body's operator is
    never compared with it). Choices the pages leave open: signature-400 (the header's operator is
    looked up, 112, then the signature verified with its secret before the operators are compared: a
    signature that does not verify is 400 code 120), player-first (the token's player is looked up
    first: a token that is no player of the body's operator is 400 code 150)."""

    def error(code: int) -> tuple[int, Any]:
        return 400, {"code": 106 if "wrong-code" in bugs else code, "message": f"error {code}"}

    def respond(flow: FakeFlow, req: Request) -> tuple[int, Any]:
        body = req.body
        signer = (req.player or {}).get("operator") or {}       # the flow signs as the player's operator
        header = req.headers.get("operator-name", signer.get("name", body["operator"]))
        if "player-first" in bugs and (body.get("token") != "tok-1234" or signer.get("name") != body["operator"]):
            return 400, {"code": 150, "message": "Player with the given token is not found for this operator"}
        if "signature-400" in bugs:
            if header not in flow.operators:
                return error(112)
            if req.auth == "bad" or (req.sign_as or signer).get("name") != header:
                return 400, {"code": 120, "message": "Invalid request signature"}
        if "header-operator-only" in bugs:
            if signer.get("name") != header:
                return 403, {"code": 403, "message": "Forbidden"}
            body = dict(body, operator=header)
        elif header != body["operator"] and "ignore-operator-header" not in bugs:
            return error(115)
        operator = flow.operators.get(body["operator"])
        if operator is None:
            return error(112)
        if req.auth == "bad" and "ignore-signature" not in bugs:
            return 403, {"code": 403, "message": "Forbidden"}
        if "stores-rejected" in bugs:
            flow.state["tickets"].append({"id": f"t{len(flow.state['tickets'])}"})
        if operator["webhook_url"] is None:
            return error(114)
        if flow.api == "superbet-reserve":
            event = flow.events.get(body["event"])
            if event is None:
                return error(103)
            events = flow.events.values() if "other-event-bets" in bugs else [event]
            market_of = {s["bet_id"]: market for e in events for market in e["markets"] for s in market["selections"]}
            if "drops-unknown-bet" in bugs:
                body = {**body, "bets": [bet for bet in body["bets"] if bet in market_of] or body["bets"]}
            if any(bet not in market_of for bet in body["bets"]):
                return error(106)
            if event["started"]:
                return error(107)
            checked = body["bets"][-1:] if "last-market-only" in bugs else body["bets"]
            if not all(market_of[bet]["allowed"] for bet in checked):
                return error(116)
        else:
            for item in body["events"]:
                event = flow.events.get(item["id"])
                if event is None:
                    return error(103)
                prices = {s["bet_id"]: Decimal(s["decimal_price"]) for s in event["markets"][0]["selections"]}
                if item["bet"] not in prices:
                    return error(106)
                deviation = abs(Decimal(item["odds"]) - prices[item["bet"]])
                limit = Decimal(0) if "odds-check-strict" in bugs else Decimal(body["odds_diff"])
                if (deviation > limit or ("odds-limit-exclusive" in bugs and deviation >= limit)) \
                        and "no-odds-check" not in bugs:
                    return error(117)
            if body["betcard_code"] != "BC-1":
                return error(118)
        if "stores-rejected" not in bugs:
            flow.state["tickets"].append({"id": f"t{len(flow.state['tickets'])}"})
        return 200, {"id": "t", "price": body["price"], "stake": 889, "ext_amount": 111}

    return respond


def validation_422_for(code: int) -> Callable[[FakeFlow, Request], tuple[int, Any]]:
    """The ticket engine, answering 422 (a framework's validation body) where it would give the
    business error ``code``."""
    correct = ticket_engine()

    def respond(flow: FakeFlow, request: Request) -> tuple[int, Any]:
        status, payload = correct(flow, request)
        return (422, {"detail": [{"msg": f"error {code}"}]}) if payload.get("code") == code else (status, payload)

    return respond


def travel(*bugs: str) -> Callable[[FakeFlow, Request], tuple[int, Any]]:
    """A travel-order target. Bugs: json-only (refuses text/json and forms), six-digits (refuses 7
    fractional digits), no-total-check, overcharge-check-only (refuses a total above the sum only).
    Choices the page leaves open: fraction-required (refuses a date without fractional seconds),
    one-order-per-member (refuses, 409 code 106, a member's second order for the same products),
    one-order-per-products (the same, whoever the member: a guard keyed on the products),
    one-order-per-company (the same, for the order's companyid), docno-20 (a docno longer than 20
    characters is refused, code 102)."""

    def respond(flow: FakeFlow, req: Request) -> tuple[int, Any]:
        refused = 400, {"data": None, "code": 101, "message": "invalid"}
        if req.media_type != "application/json" and "json-only" in bugs:
            return refused
        body = req.body
        for date in (body.get("createdate"), (body.get("paymentinfo") or {}).get("createdate")):
            fraction = date.split(".")[1].split("+")[0].split("-")[0] if isinstance(date, str) and "." in date else ""
            if "six-digits" in bugs and len(fraction) > 6 or "fraction-required" in bugs and not fraction:
                return refused
        products = json.dumps([[d.get("skuName"), d.get("price"), d.get("quantity")]
                               for routine in body.get("localtravelroutine") or []
                               for d in routine.get("localTravelDetails") or []], default=str)
        if "docno-20" in bugs and isinstance(body.get("docno"), str) and len(body["docno"]) > 20:
            return 400, {"data": None, "code": 102, "message": "docno is longer than 20 characters"}
        guards = {"one-order-per-member": "memberid", "one-order-per-products": None, "one-order-per-company": "companyid"}
        guard = next((guards[bug] for bug in bugs if bug in guards), "none")
        if guard != "none":
            placed = flow.__dict__.setdefault("travel_orders_placed", set())      # the service's, per example
            key = (body.get(guard) if guard else None, products)
            if key in placed:
                return 409, {"data": None, "code": 106, "message": "您已有相同的订单"}
            placed.add(key)
        for routine in body.get("localtravelroutine") or []:
            total = sum((Decimal(d["price"]) * d["quantity"] for d in routine["localTravelDetails"]), Decimal(0))
            over = Decimal(routine["totalAmt"]) > total
            if total != Decimal(routine["totalAmt"]) and "no-total-check" not in bugs \
                    and (over or "overcharge-check-only" not in bugs):
                return 400, {"data": None, "code": 103, "message": "totalAmt"}
        return 200, {"data": {"docno": "D-1", "orderno": "O-1"}, "code": 100, "message": "success"}

    return respond
