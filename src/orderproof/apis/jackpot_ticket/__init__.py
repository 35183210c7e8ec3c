"""jackpot-ticket (seed 001): ``POST /be/tickets`` of the ticket engine, a jackpot ticket over the
events of a betcard. Integer cents, excise and withholding tax; the page's error list lost its
bodies, so its codes are open (JT-ERROR-CODES holds the superbet page's as a SHOULD)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from orderproof.adapter import Draw
from orderproof.apis.ticket_engine.adapter import TicketEngineAdapter
from orderproof.checks.base import Exchange
from orderproof.checks.bodies import price_number, selection

from . import checks  # noqa: F401  registers the API's checks

__all__ = ["JackpotTicket", "api"]

PRICES = "jackpot-ticket/prices"       # scene memo: (event id, bet id) -> the current decimal price
BETCARDS = "jackpot-ticket/betcards"   # scene memo: betcard code -> the "a jackpot betcard exists" answer


class JackpotTicket(TicketEngineAdapter):
    slug = "jackpot-ticket"
    prefix = "JT"
    title = "a jackpot ticket of a ticket engine"
    seed = "001_8af5639306ef9f6c.txt"
    path = "/be/tickets"
    order = 1
    error_body_stated = False          # thirteen "Error response (status=400):" headings, their bodies lost
    edge_fields = (("price",), ("prize",), ("events", 0, "id"), ("events", 0, "bet"), ("events", 0, "odds"),
                   ("odds_diff",))
    certify_seconds = {"quick": 2.4, "standard": 3.7, "thorough": 15.0}
    rerun_seconds = {"quick": 1.3, "standard": 2.0}
    draw_ms = {"positive": 20, "negative": 31, "coverage": 335}

    def overlay(self, body: dict[str, Any], scene: Any, player: Mapping[str, Any], draw: Draw,
                fixtures: Mapping[str, Any]) -> dict[str, Any]:
        """A ticket on the betcard set up (or the one given as ``betcard``): one selection per
        event at its current odds, the betcard's code and prizes."""
        card = fixtures.get("betcard") or scene.fixture("a jackpot betcard exists")
        prices = scene.memo.setdefault(PRICES, {})
        events = []
        for event in card["events"]:
            _, chosen = selection(draw, event)
            prices[(event["event_id"], chosen["bet_id"])] = chosen["decimal_price"]
            events.append({"id": event["event_id"], "bet": chosen["bet_id"], "odds": price_number(chosen["decimal_price"])})
        scene.memo.setdefault(BETCARDS, {})[card["betcard_code"]] = card
        return {**body, **self.common_fields(body, scene, player, draw), "type": "jackpot",
                "odds_diff": draw(st.sampled_from([0, 0.05, 0.1, 1]), "odds_diff"), "events": events,
                "betcard_code": card["betcard_code"], "prize": card["prize"], "bonus_prizes": card["bonus_prizes"]}

    def annotate(self, exchange: Exchange, scene: Any, player: Mapping[str, Any] | None) -> None:
        """The operator's zone, the current odds of the selections the ticket names (JT-ODDS reads
        which odds the product used) and its betcard as set up (its prizes may be answered instead
        of the request's)."""
        super().annotate(exchange, scene, player)
        body = exchange.request_body
        if not isinstance(body, dict):
            return
        card = scene.memo.get(BETCARDS, {}).get(body.get("betcard_code")) if isinstance(
            body.get("betcard_code"), str) else None
        if card is not None:
            exchange.extra["betcard"] = {key: card.get(key) for key in ("prize", "bonus_prizes")}
        if isinstance(body.get("events"), list):
            prices = scene.memo.get(PRICES, {})
            exchange.extra["current_odds"] = [
                prices.get((event.get("id"), event.get("bet")))
                if isinstance(event, dict) and isinstance(event.get("id"), int) and isinstance(event.get("bet"), int)
                else None
                for event in body["events"]]


api = JackpotTicket()
