"""The voucher-order checks: what an issued voucher echoes, and that a refusal issues nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from orderproof import (
    Exchange,
    Flow,
    RuleFailure,
    flow_check,
    only_json_object,
    only_request_object,
    only_status,
    response_check,
)


@response_check
@only_status(200, 201)
@only_json_object
@only_request_object
def vo_echo(rule: Any, exchange: Exchange) -> None:
    """Passes if the voucher's amount and currency are the request's, exactly (cents stay cents)."""
    sent, got = exchange.request_body, exchange.json
    for name in ("amount", "currency"):
        if got.get(name) != sent.get(name):
            raise RuleFailure(rule, f"the voucher's {name} is not the request's", received=got.get(name),
                              documented=f"{name} {sent.get(name)!r}, as requested")


@flow_check
def vo_refused_issues_nothing(rule: Any, flow: Flow) -> None:
    """Passes if an order with an amount below one cent is refused with 400 and the customer has no
    more vouchers than before."""
    player = flow.setup("a player exists")
    before = flow.snapshot(player)["vouchers"]
    body = {**flow.valid_body(player), "amount": flow.draw(st.sampled_from([0, -1, -2500]), "amount")}
    exchange = flow.send(body, player=player)
    if exchange.status != 400:
        raise RuleFailure(rule, f"an amount of {body['amount']} was answered HTTP {exchange.status}",
                          received=exchange.response_text[:200], documented="400 INVALID_REQUEST")
    after = flow.snapshot(player)["vouchers"]
    if after != before:
        raise RuleFailure(rule, "a refused order issued a voucher", received=after, documented=before)
