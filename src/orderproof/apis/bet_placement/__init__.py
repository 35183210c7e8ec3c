"""bet-placement (seed 004): an operator's bet-placement endpoint called by a betting provider. An
all-or-nothing betslip of single bets, X-API-Key authentication, X-Idempotency-Key repeats; the
seed gives no path (``/bet`` by default, per target)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from functools import cache
from typing import Any

from hypothesis import strategies as st

from orderproof.adapter import ApiAdapter, Draw
from orderproof.checks.base import Exchange, NotVerified
from orderproof.checks.bodies import (
    draw_cents,
    identifier,
    money_number,
    price_number,
    readable,
    request_example,
    selection,
)
from orderproof.checks.outcomes import Outcome, json_or_none
from orderproof.core import masking

from . import answers, checks, idempotency, refusals  # noqa: F401  idempotency, refusals: register the API's checks

__all__ = ["BetPlacement", "api"]

STAKE_KIND = "stakes: 0 as generated, else realistic"


@cache
def _bet_template(api: ApiAdapter) -> dict[str, Any]:
    """The spec's example bet, copied once: the overlay reads it (and copies what it keeps) for every slip."""
    return request_example(api.spec_path, api.path, api.method)["bets"][0]


class BetPlacement(ApiAdapter):
    slug = "bet-placement"
    prefix = "BP"
    title = "an all-or-nothing betslip with idempotency keys"
    seed = "004_f8015652c9def766.txt"
    path = "/bet"
    order = 4
    credential_headers = frozenset({"x-api-key"})
    credentials_stated = False         # seed 004 has "| AUTHENTICATION_FAILED | 403 |", not the X-API-Key header
    auth_keys = ("api_key",)
    auth_refusal_statuses = (403,)     # | AUTHENTICATION_FAILED | 403 |; 401 is INVALID_SESSION, a body field's
    secret_auth_keys = ("api_key",)
    edge_fields = (("bets", 0, "stake"), ("bets", 0, "decimalPrice"))
    certify_seconds = {"quick": 2.9, "standard": 4.7, "thorough": 40.0}
    rerun_seconds = {"quick": 1.6, "standard": 2.6}
    draw_ms = {"positive": 30, "negative": 41, "coverage": 54}
    snapshot_keys = ("balance", "bets", "ledger")

    def overlay(self, body: dict[str, Any], scene: Any, player: Mapping[str, Any], draw: Draw,
                fixtures: Mapping[str, Any]) -> dict[str, Any]:
        """A slip of up to 3 generated bets on distinct selections of the event set up (or ``event``), each at
        its current price, names of printable ASCII and ids of ASCII letters, digits and ._:- (the
        sample's where a generated one is not: a service may refuse others, and they test nothing of the
        rules), an eventAltId only when it is such an id (the optional field tests nothing of the rules),
        realistic stakes (or, one time in six, the stakes as generated: schema-valid, maybe absurd)."""
        event = fixtures.get("event") or scene.fixture("an event exists")
        template = _bet_template(self)
        generated = [bet for bet in body.get("bets") or [] if isinstance(bet, dict)][:3] or [dict(template)]
        stage = "IN_PLAY" if event.get("started") else "PRE_PLAY"
        bets, taken = [], set()
        kind = draw(st.integers(0, 5), STAKE_KIND)
        for bet in generated:
            if "eventAltId" in bet and not identifier(bet["eventAltId"]):   # optional: an id or none at all
                bet = {key: value for key, value in bet.items() if key != "eventAltId"}
            market, chosen = selection(draw, event)
            if str(chosen["bet_id"]) in taken:   # one bet per selection: a service may refuse two on one
                market, chosen = next(((m, c) for m in event.get("markets") or [] for c in m.get("selections") or []
                                       if str(c["bet_id"]) not in taken), (market, chosen))
            taken.add(str(chosen["bet_id"]))
            stake = money_number(draw_cents(draw, 100, 5_000))
            if kind == 0 and isinstance(bet.get("stake"), (int, float)) and not isinstance(bet.get("stake"), bool):
                stake, scene.realistic = bet["stake"], False
            bets.append({**readable(bet, template), "betId": scene.uuid(), "eventId": str(event["event_id"]),
                         "marketId": str(market["market_id"]), "selectionId": str(chosen["bet_id"]),
                         "eventStage": stage, "marketStage": stage,
                         "decimalPrice": price_number(chosen["decimal_price"]), "stake": stake})
        return {**body, "requestId": scene.uuid(), "userId": player["userId"],
                "sessionToken": player["sessionToken"], "timestamp": str(int(time.time() * 1000)), "bets": bets}

    def api_key(self, scene: Any, player: Mapping[str, Any] | None) -> str:
        configured = scene.target.apis.get(self.slug)
        key = (configured.auth.get("api_key") if configured else None) or (player or {}).get("apiKey")
        if not key:
            raise NotVerified("no API key: the target gives no bet-placement api_key and the provider state did "
                              "not reveal one")
        return key

    def auth_headers(self, body: bytes | None, scene: Any, player: Mapping[str, Any] | None,
                     auth: str = "valid") -> dict[str, str]:
        if auth == "none":
            return {}
        key = self.api_key(scene, player)
        return {"X-API-Key": key if auth == "valid" else f"wrong-{scene.uuid()}"}

    def fresh_headers(self, scene: Any) -> dict[str, str]:
        return {"X-Idempotency-Key": scene.uuid()}   # never a key another request used

    def repeat_identity(self, headers: Mapping[str, str], body: Any) -> str | None:
        return answers.idempotency_key(headers)

    def outcome(self, exchange: Exchange) -> Outcome:
        return answers.outcome(exchange)

    def own_refusal(self, exchange: Exchange) -> bool:
        """A 4xx to a request without a UUID X-Idempotency-Key or sent concurrently (:func:`checks.beyond_the_table`):
        the seed's error table covers neither, so BP-ERROR-SHAPE takes a code and 4xx of the service's own."""
        return checks.own_refusal(exchange)

    def documented_server_answer(self, exchange: Exchange) -> bool:
        """| REQUEST_TIMED_OUT | 503 |: the table's own pairing, which the page gives no meaning (a
        service may answer a stale request so); GENERAL_EXCEPTION 500 is a failure of the service."""
        answer = json_or_none(exchange) if exchange.status == 503 else None
        return isinstance(answer, dict) and answer.get("status") == "FAILURE" \
            and answer.get("errorCode") == "REQUEST_TIMED_OUT"

    def carry_forward(self, exchange: Exchange, player: dict[str, Any]) -> None:
        """A PLACED answer's sessionToken is "Original or refreshed": the player's later slips carry
        the refreshed one, as a client would (a service may revoke the old token on refresh); the
        token is a secret, masked in every report."""
        if not answers.is_placed(exchange):
            return
        answer = exchange.json
        if answer.get("userId") == player.get("userId") and isinstance(answer.get("sessionToken"), str) \
                and answer["sessionToken"]:
            masking.registry().add(answer["sessionToken"])
            player["sessionToken"] = answer["sessionToken"]

    def missing_auth_material(self, auth: Mapping[str, str], players: list[Mapping[str, Any]]) -> str | None:
        if not (auth.get("api_key") or any(player.get("apiKey") for player in players)):
            return ("the rule needs the API key, and the target gives none (a target file's `auth: {api_key}` or "
                    "the provider-state hook supplies it)")
        return None


api = BetPlacement()
