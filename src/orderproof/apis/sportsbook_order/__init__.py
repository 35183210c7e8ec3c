"""sportsbook-order (seed 000): the operator's ``POST /order``, a seamless-wallet order call.

A sportsbook provider calls it when a player places a ticket; the operator debits the wallet. The
seed is two tables and two samples: no failure status or code is documented, so how a rejection is
answered is a declared convention (``sportsbook-order.rejection``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from orderproof.adapter import ApiAdapter, Draw
from orderproof.checks.base import Exchange
from orderproof.checks.bodies import (
    draw_cents,
    limits_cents,
    money_number,
    price_number,
)
from orderproof.checks.numbers import is_json_int
from orderproof.checks.outcomes import Outcome

from . import answers, checks  # noqa: F401  checks: registers the API's checks

__all__ = ["SportsbookOrder", "api"]

# the seed sample's codes (the code lists are not in the seed); the sample sends no currency: 1 unless
# the player's provider state gives its integer code (``currency_code``)
SAMPLE_CODES = {"currency": 1, "betType": 1, "sportNo": 10, "gameType": 1, "groupType": 1, "oddsFormat": 1,
                "betStage": 1}


def currency_code(player: Mapping[str, Any]) -> int:
    """The order's ``currency``: the player's integer code where its provider state gives one."""
    code = player.get("currency_code")
    return code if is_json_int(code) else SAMPLE_CODES["currency"]


class SportsbookOrder(ApiAdapter):
    slug = "sportsbook-order"
    prefix = "SO"
    title = "a sportsbook seamless-wallet order call"
    seed = "000_c220e78285a7d7fc.txt"
    credentials_stated = False         # no credential header: customerToken is a body field, judged with the body
    invalid_answer_stated = False      # the page documents no rejection at all, only the success envelope
    valid_request_hint = ("the orders carry currency = the player's currency_code from the provider state "
                          "\"a player exists\" (1, the sample's code, when it gives none)")
    path = "/order"
    order = 0
    edge_fields = (("ticketId",), ("orderAmount",), ("betList", 0, "betAmount"), ("optionArray", 0, "macthId"),
                   ("betList", 0, "oddsEuro"))
    certify_seconds = {"quick": 2.8, "standard": 4.8, "thorough": 17.0}
    rerun_seconds = {"quick": 1.1, "standard": 1.7}
    draw_ms = {"positive": 76, "negative": 92, "coverage": 149}
    snapshot_keys = ("balance", "orders", "ledger")

    def overlay(self, body: dict[str, Any], scene: Any, player: Mapping[str, Any], draw: Draw,
                fixtures: Mapping[str, Any]) -> dict[str, Any]:
        """An order like the seed's sample: 1-3 options, one bet of one combination over all of them,
        orderAmount = betAmount within the player's stake limits, the sample's codes. One coin per
        order picks the forms of macthId, gameType, oddsView and a single bet's comboId: the request
        sample's ("10002", "1", "3.0", null) or the table's types (long, int, double, long); ticketId
        has a coin of its own (the sample's digit string or the table's bigint)."""
        ticket = scene.big_id()
        sample_forms = draw(st.booleans(), "macthId, gameType, oddsView and comboId in the sample's forms")
        n = draw(st.integers(1, 3), "options in the order")
        options, product = [], Decimal(1)
        for i in range(n):
            odds = Decimal(draw(st.integers(101, 2000), f"option {i} odds in 1/100")) / 100
            product *= odds
            match, game_type, odds_view = scene.big_id() % 10**8, SAMPLE_CODES["gameType"], price_number(odds)
            if sample_forms:
                match, game_type, odds_view = str(match), str(game_type), str(odds_view)
            options.append({
                "sportNo": SAMPLE_CODES["sportNo"], "tourName": "Premier League", "macthId": match,
                "macthName": "Home vs Away", "gameType": game_type,
                "groupType": SAMPLE_CODES["groupType"], "optionId": str(scene.big_id() % 10**9),
                "betOption": draw(st.sampled_from(["1", "X", "2"]), f"option {i} outcome"),
                "insHomeScore": 0, "insAwayScore": 0, "oddsView": odds_view,
                "oddsFormat": SAMPLE_CODES["oddsFormat"], "betStage": SAMPLE_CODES["betStage"], "betBar": None})
        low, high = limits_cents(player, 100, 10_000)
        amount = money_number(draw_cents(draw, low, high))
        bet = {"comboId": None if n == 1 and sample_forms else scene.big_id() % 10**12, "betAmount": amount, "num": n, "cnt": 1,
               "oddsEuro": price_number(product.quantize(Decimal("0.01")))}
        return {**body, "customerToken": player["customerToken"],
                "ticketId": str(ticket) if draw(st.booleans(), "ticketId as string") else ticket,
                "orderAmount": amount, "currency": currency_code(player), "qTime": int(time.time() * 1000),
                "betType": SAMPLE_CODES["betType"], "optionArray": options, "betList": [bet]}

    def repeat_identity(self, headers: Mapping[str, str], body: Any) -> str | None:
        """The ticketId is the order's natural idempotency key."""
        if isinstance(body, Mapping) and body.get("ticketId") is not None:
            return str(body["ticketId"])
        return None

    def outcome(self, exchange: Exchange) -> Outcome:
        return answers.outcome(exchange)


api = SportsbookOrder()
