"""Building bet-placement scenarios: players with limits, slips of bets on an event set up for them,
stakes within or beyond the limits, and what a placed or refused slip must answer."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from orderproof.checks.base import Exchange, Flow, NotVerified, RuleFailure, shown
from orderproof.checks.numbers import major, to_decimal
from orderproof.checks.snapshots import player_cents

from .answers import ERROR_STATUS, error_code, is_placed

BP_FIELDS = ("requestId", "userId", "sessionToken", "timestamp", "bets")
BET_FIELDS = (
    "betId", "sportId", "sportName", "sportDisplayName", "eventId", "eventName", "eventDisplayName",
    "eventStage", "competitionId", "competitionName", "competitionDisplayName", "marketTypeId",
    "marketId", "marketName", "marketDisplayName", "marketStage", "selectionId", "selectionName",
    "selectionDisplayName", "decimalPrice", "stake",
)
NOTHING_STORED = "a refused slip stores none of its bets and moves no money"


# A slip within the player's limits that a service refuses INVALID_STAKE breaks a restriction of the
# service's own, which the seed lets it make: "regulatory restrictions (could be cool down periods, max
# stakes, max liability per market type etc.)". A rule reading a placed slip learns nothing from it.
OWN_LIMIT = ("the slip was refused INVALID_STAKE though its stakes are within the player's limits: a service may "
             "hold a limit of its own, such as a maximum liability (\"max stakes, max liability per market type "
             "etc.\")")


def own_limit(exchange: Exchange) -> bool:
    """A slip within the player's limits was refused INVALID_STAKE (:data:`OWN_LIMIT`)."""
    return exchange.status == ERROR_STATUS["INVALID_STAKE"] and error_code(exchange) == "INVALID_STAKE"


def expect_placed(rule: Any, flow: Flow, exchange: Exchange) -> bool:
    """The scene's valid slip must be placed (True); refused for a limit of the service's own
    (:func:`own_limit`) it tells the rule nothing (False, the flow's why_not said); any other answer
    fails the rule."""
    if own_limit(exchange):
        flow.why_not = OWN_LIMIT
        return False
    if not is_placed(exchange):
        raise RuleFailure(rule, "a valid slip (known user, live session, funds, stakes within limits) "
                          "was not placed", received=shown(exchange), documented='status: String ("PLACED")')
    return True


def expect_failure(rule: Any, exchange: Exchange, status: int, code: str, situation: str, documented: str) -> None:
    """The answer must be HTTP ``status`` with the FAILURE ``errorCode`` ``code``."""
    if exchange.status != status or error_code(exchange) != code:
        raise RuleFailure(rule, f"{situation}: expected HTTP {status} {code}", received=shown(exchange),
                          documented=documented)


def limits(player: Mapping[str, Any]) -> tuple[int, int]:
    """The player's (min_stake, max_stake) in cents."""
    return player_cents(player, "min_stake"), player_cents(player, "max_stake")


def stakes_within(flow: Flow, player: Mapping[str, Any], n: int) -> list[Decimal]:
    """``n`` stakes within the player's limits whose sum the balance covers."""
    lo, hi = limits(player)
    hi = max(lo, min(hi, player_cents(player, "balance") // max(n, 1)))
    return [major(flow.draw(st.integers(lo, hi), f"stake {i} in cents")) for i in range(n)]


def slip(flow: Flow, player: Mapping[str, Any], stakes: list[Decimal],
         prices: list[Decimal] | None = None) -> dict[str, Any]:
    """The spec's valid body for ``player`` with one bet per stake, each on its own selection of an
    event set up for the slip (a fresh betId each, the selection's current price): two bets of one
    slip on one selection are a choice a service may refuse. ``prices`` set up an event whose
    selections have those prices, one per bet; without them, the default event, or one with a
    selection per bet when the default has fewer."""
    event = flow.setup("an event exists") if prices is None else _event_priced(flow, prices)
    if prices is None and len(_selections(event)) < len(stakes):
        event = _event_priced(flow, [FLOW_PRICES[i % len(FLOW_PRICES)] + i for i in range(len(stakes))])
    body = copy.deepcopy(flow.valid_body(player, event=event))
    template = body["bets"][0]
    market = _market(event)
    selections = market["selections"]
    if len(selections) < len(stakes):
        raise NotVerified(f"the event set up has {len(selections)} selection(s) for a slip of {len(stakes)} bets")
    bets = []
    for i, stake in enumerate(stakes):
        chosen = selections[i]
        bet = copy.deepcopy(template)
        bet.update(betId=flow.fresh_uuid(), eventId=str(event["event_id"]), marketId=str(market["market_id"]),
                   selectionId=str(chosen["bet_id"]), decimalPrice=to_decimal(chosen["decimal_price"]), stake=stake)
        bets.append(bet)
    body["bets"] = bets
    return body


FLOW_PRICES = (Decimal("1.85"), Decimal("3.40"), Decimal("4.20"))


def _event_priced(flow: Flow, prices: list[Decimal]) -> dict[str, Any]:
    return flow.setup("an event exists", markets=[{"code": "1X2", "allowed": True,
                                                   "prices": [str(price) for price in prices]}])


def _market(event: Mapping[str, Any]) -> Mapping[str, Any]:
    markets = [market for market in event.get("markets") or [] if market.get("selections")]
    if not markets:
        raise NotVerified("the event set up has no market with selections")
    return markets[0]


def _selections(event: Mapping[str, Any]) -> list[Any]:
    markets = [market for market in event.get("markets") or [] if market.get("selections")]
    return markets[0]["selections"] if markets else []


def bp_player(flow: Flow, balance: str = "100000.00", **params: Any) -> dict[str, Any]:
    """A player with explicit limits (so draws can be made before or after setup)."""
    return flow.setup("a player exists", balance=balance, min_stake="0.10", max_stake="500.00", **params)
