"""superbet-reserve (seed 003): ``POST /be/tickets/reserve`` of the ticket engine, a superbet ticket
reserved and unpaid (payouts "will always be 0"). Its page keeps the engine's error list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from orderproof.adapter import Draw
from orderproof.apis.ticket_engine.adapter import TicketEngineAdapter
from orderproof.checks.bodies import selection

from . import checks  # noqa: F401  registers the API's checks

__all__ = ["SuperbetReserve", "api"]


class SuperbetReserve(TicketEngineAdapter):
    slug = "superbet-reserve"
    prefix = "SR"
    title = "a superbet ticket reservation of a ticket engine"
    seed = "003_64f71779543a2cc8.txt"
    path = "/be/tickets/reserve"
    order = 3
    edge_fields = (("price",), ("event",), ("bets", 0))
    certify_seconds = {"quick": 1.7, "standard": 2.6, "thorough": 9.0}
    rerun_seconds = {"quick": 0.9, "standard": 1.5}
    draw_ms = {"positive": 9, "negative": 14, "coverage": 28}

    def overlay(self, body: dict[str, Any], scene: Any, player: Mapping[str, Any], draw: Draw,
                fixtures: Mapping[str, Any]) -> dict[str, Any]:
        """A reservation on the event set up (or the one given as ``event``): some bets of one of
        its allowed markets."""
        event = fixtures.get("event") or scene.fixture("an event exists")
        market, _ = selection(draw, event)
        bet_ids = [chosen["bet_id"] for chosen in market["selections"]]
        bets = draw(st.lists(st.sampled_from(bet_ids), min_size=1, max_size=len(bet_ids), unique=True), "bets")
        return {**body, **self.common_fields(body, scene, player, draw), "type": "superbet",
                "event": event["event_id"], "bets": bets}


api = SuperbetReserve()
