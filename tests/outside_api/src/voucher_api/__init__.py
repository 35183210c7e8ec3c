"""voucher-order: an API orderproof does not ship, plugged in through the ``orderproof.apis`` entry
point. Its adapter says what a realistic order is and how to read an answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from orderproof import ACCEPTED, OTHER, REFUSED, ApiAdapter, Exchange, Outcome

from . import checks  # noqa: F401  registers the API's checks

__all__ = ["VoucherOrder", "api"]


class VoucherOrder(ApiAdapter):
    slug = "voucher-order"
    prefix = "VO"
    title = "a gift voucher order"
    seed = "seed.txt"
    seed_file = "seed.txt"
    path = "/vouchers"
    edge_fields = (("amount",),)
    snapshot_keys = ("vouchers",)

    def overlay(self, body: dict[str, Any], scene: Any, player: Mapping[str, Any], draw: Any,
                fixtures: Mapping[str, Any]) -> dict[str, Any]:
        """The player's order of a sane amount in euros."""
        return {**body, "customerId": player["customerId"], "amount": draw(st.integers(1, 100_000), "cents"),
                "currency": "EUR"}

    def outcome(self, exchange: Exchange) -> Outcome:
        try:
            body = exchange.json
        except ValueError:
            return Outcome(OTHER, "the answer is not JSON")
        if exchange.status in (200, 201) and isinstance(body, dict) and "voucherId" in body:
            return Outcome(ACCEPTED)
        if exchange.status == 400 and isinstance(body, dict) and isinstance(body.get("error"), str):
            return Outcome(REFUSED, code=body["error"])
        return Outcome(OTHER, f"HTTP {exchange.status} is neither a voucher nor a documented error")


api = VoucherOrder()
