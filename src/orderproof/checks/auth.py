"""Authentication checks: API key and session (bet-placement), signature and operator header (ticket
engine). Each rejected request must store nothing."""

from __future__ import annotations

import uuid

from hypothesis import strategies as st

from .atomicity import ATOMIC_QUOTE, BP, assert_unchanged, body_of, bp_player, expect_failure, slip, stakes_within
from .base import Flow, RuleFailure, each_case, flow_check, shown
from .errors import ticket_error_shape, ticket_scene


def _bp_rejected(flow: Flow, rule: str, player: dict, situation: str, status: int, code: str, **send) -> None:
    body = slip(flow, player, stakes_within(flow, player, flow.draw(st.integers(1, 3), "bets in the slip")))
    if "session_token" in send:
        body["sessionToken"] = send.pop("session_token")
    before = flow.snapshot(player)
    expect_failure(rule, flow.send(body, player=player, **send), status, code, situation, f"| {code} | {status} |")
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected", ATOMIC_QUOTE)


@flow_check("bp_auth", apis=BP)
def bp_auth(flow: Flow) -> None:
    """BP-AUTH: passes if a slip with a wrong or a missing X-API-Key gets 403 AUTHENTICATION_FAILED
    and stores nothing, fails otherwise (listing both), does not apply: always applies (needs provider
    states). Every example tries both."""
    player = bp_player(flow, balance="10000.00")
    each_case("BP-AUTH", (("bad", "a slip with a wrong X-API-Key"), ("none", "a slip without X-API-Key")),
              lambda case: _bp_rejected(flow, "BP-AUTH", player, case[1], 403, "AUTHENTICATION_FAILED", auth=case[0]))


@flow_check("bp_session", apis=BP)
def bp_session(flow: Flow) -> None:
    """BP-SESSION: passes if a slip whose sessionToken is not the user's (a token nobody has, and
    another player's live token) gets 401 INVALID_SESSION and stores nothing, fails otherwise
    (listing both), does not apply: always applies (needs provider states). Every example tries both."""
    player = bp_player(flow, balance="10000.00")

    def case(kind: str) -> None:
        token = uuid.uuid4().hex if kind == "unknown" else bp_player(flow, balance="10.00")["sessionToken"]
        situation = ("a slip with a sessionToken nobody has" if kind == "unknown"
                     else "a slip with another player's sessionToken")
        _bp_rejected(flow, "BP-SESSION", player, situation, 401, "INVALID_SESSION", session_token=token)

    each_case("BP-SESSION", ("unknown", "another player's"), case)


@flow_check("bp_session_expired", apis=BP)
def bp_session_expired(flow: Flow) -> None:
    """BP-SESSION-EXPIRED: passes if a slip with the user's expired session gets 401 INVALID_SESSION
    and stores nothing, fails otherwise, does not apply: always applies (needs provider states)."""
    _bp_rejected(flow, "BP-SESSION-EXPIRED", bp_player(flow, balance="10000.00", session_expired=True),
                 "a slip with an expired session", 401, "INVALID_SESSION")


def _bad_signature(flow: Flow, rule: str) -> None:
    player, body = ticket_scene(flow)
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player, auth="bad")
    if exchange.status != 403:
        raise RuleFailure(rule, "a request with a bad signature did not get 403",
                          received=shown(exchange), documented="403 Forbidden. You do not have access for such request")
    assert_unchanged(rule, before, flow.snapshot(player), "a request with a bad signature was rejected",
                     "403 Forbidden: no ticket is created", keys=("tickets",))


@flow_check("jt_auth", apis=("jackpot-ticket",))
def jt_auth(flow: Flow) -> None:
    """JT-AUTH: passes if a ticket with a bad signature gets 403 (any body: the page gives none) and no
    ticket is created, fails otherwise, does not apply: always applies (needs provider states)."""
    _bad_signature(flow, "JT-AUTH")


@flow_check("sr_auth", apis=("superbet-reserve",))
def sr_auth(flow: Flow) -> None:
    """SR-AUTH: passes if a reservation with a bad signature gets 403 (any body: the page gives none)
    and no ticket is created, fails otherwise, does not apply: always applies (needs provider states)."""
    _bad_signature(flow, "SR-AUTH")


@flow_check("jt_operator_header", apis=("jackpot-ticket",))
def jt_operator_header(flow: Flow) -> None:
    """JT-OPERATOR-HEADER: passes if a ticket whose operator-name header names another (existing)
    operator than the body's, signed by that header operator with its own secret, gets 400 {code,
    message} (any code: the jackpot page lost its list; JT-ERROR-CODES holds 115) and no ticket is
    stored, fails otherwise, does not apply: always applies (needs provider states)."""
    rule = "JT-OPERATOR-HEADER"
    player, body = ticket_scene(flow)
    other = flow.setup("an operator exists")
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player, headers={"operator-name": other["name"]}, sign_as=other)
    ticket_error_shape(rule, exchange)
    if exchange.status != 400:
        raise RuleFailure(rule, "an operator-name header that differs from the body's operator did not get 400",
                          received=shown(exchange),
                          documented='"code": 115, "message": "Operators in request body and in request header '
                          'are not identical"')
    assert_unchanged(rule, before, flow.snapshot(player), "a request with another operator-name was rejected",
                     "Error response (status=400): no ticket is created", keys=("tickets",))
