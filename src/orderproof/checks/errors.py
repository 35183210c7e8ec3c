"""Error and envelope checks: every API's answer shape, its documented error codes, and the ticket
engine's business errors provoked one situation at a time.

The ticket engine's rules JT-ERRORS / SR-ERRORS are flow checks (each provokes a documented
situation and demands its code); the response-level shape of every 400/403/422 answer is verified on
each exchange those flows send, and on every rejection of a negative case through
:func:`orderproof.checks.generic.negative_error_shape`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from .atomicity import assert_unchanged, body_of
from .base import NOT_APPLICABLE, Exchange, Flow, RuleFailure, each_case, flow_check, only_operation, response_check, shown
from .money import is_json_int
from .outcomes import describe, outcome

from .conventions import book_of as exchange_book

# --- the ticket engine (jackpot-ticket, superbet-reserve) ---------------------------------------------

SR_CODES = frozenset({103, 105, 106, 107, 111, 112, 114, 115, 116})   # the superbet page's list
TICKET_ERROR_QUOTE = '{"code": 103, "message": "Event with `{event-id}` identifier is not found"}'


def ticket_error_shape(rule_id: str, exchange: Exchange) -> Any:
    """400 ``{code: int, message: str}``; 403 and 422 with any body (the pages do not give them);
    other statuses: not applicable."""
    if exchange.status != 400:
        return NOT_APPLICABLE
    body = body_of(exchange)
    if not isinstance(body, dict) or not is_json_int(body.get("code")) or not isinstance(body.get("message"), str):
        raise RuleFailure(rule_id, "a 400 answer is not {code: int, message: str}",
                          received=shown(exchange), documented=TICKET_ERROR_QUOTE)
    return None


def ticket_scene(flow: Flow, player: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A player and a valid body for the ticket API under test (a betcard for jackpot, an event for
    superbet)."""
    player = dict(player or flow.setup("a player exists"))
    if flow.api == "jackpot-ticket":
        return player, flow.valid_body(player, betcard=flow.setup("a jackpot betcard exists"))
    return player, flow.valid_body(player, event=flow.setup("an event exists"))


def _unknown_id(flow: Flow, label: str) -> int:
    return 2_000_000_000 + flow.draw(st.integers(0, 1_000_000), label)


def _situations(api: str) -> list[str]:
    common = ["unknown event", "unknown bet", "unknown operator", "operator without webhook",
              "operator header differs"]
    if api == "jackpot-ticket":
        return [*common, "unknown betcard"]
    return [*common, "event started", "market not allowed"]


EXPECTED_CODE = {
    "unknown event": 103, "unknown bet": 106, "event started": 107, "unknown operator": 112,
    "operator without webhook": 114, "operator header differs": 115, "market not allowed": 116,
    "unknown betcard": None,  # not in the superbet page's list: only 400 and the shape are required
}


SEED_MESSAGES = {  # the superbet page's error list
    103: "Event with `{event-id}` identifier is not found",
    106: "Market for bet with `{market-id}` identifier is not found",
    107: "Event with `{event-id}` identifier is not available for play because it has already started",
    112: "Operator with `{operator-id}` name is not found",
    114: "No webhook url for operator with `{operator-id}` name",
    115: "Operators in request body and in request header are not identical",
    116: "Market with `{market-id}` code is not allowed",
}


def _provoke(flow: Flow, situation: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, str] | None,
                                                  dict[str, Any] | None]:
    """Set the scene for ``situation``: (player, body, extra headers, the operator who signs it)."""
    jackpot = flow.api == "jackpot-ticket"
    headers = None
    sign_as = None
    if situation == "operator without webhook":
        operator = flow.setup("an operator exists", webhook_url=None)
        player, body = ticket_scene(flow, flow.setup("a player exists", operator=operator["name"]))
    elif situation == "event started" and not jackpot:
        player = flow.setup("a player exists")
        body = flow.valid_body(player, event=flow.setup("an event exists", started=True))
    elif situation == "market not allowed" and not jackpot:
        player, body = ticket_scene(flow)  # a valid body, then pointed at the closed market
        event = flow.setup("an event exists",
                           markets=[{"code": "1X2", "allowed": False, "prices": ["1.85", "3.40", "4.20"]}])
        body["event"] = event["event_id"]
        body["bets"] = [s["bet_id"] for s in event["markets"][0]["selections"]]
    else:
        player, body = ticket_scene(flow)
    if situation == "unknown event":
        if jackpot:
            index = flow.draw(st.integers(0, len(body["events"]) - 1), "event made unknown")
            body["events"][index]["id"] = _unknown_id(flow, "unknown event id")
        else:
            body["event"] = _unknown_id(flow, "unknown event id")
    elif situation == "unknown bet":
        if jackpot:
            index = flow.draw(st.integers(0, len(body["events"]) - 1), "event with an unknown bet")
            body["events"][index]["bet"] = _unknown_id(flow, "unknown bet id")
        else:
            index = flow.draw(st.integers(0, len(body["bets"]) - 1), "bet made unknown")
            body["bets"][index] = _unknown_id(flow, "unknown bet id")
    elif situation == "unknown operator":
        name = f"orderproof-unknown-{uuid.uuid4().hex[:8]}"
        body["operator"], headers = name, {"operator-name": name}
    elif situation == "operator header differs":      # signed by the header's operator, with its own secret
        sign_as = flow.setup("an operator exists")
        headers = {"operator-name": sign_as["name"]}
    elif situation == "unknown betcard":
        body["betcard_code"] = f"ORDERPROOF-UNKNOWN-{uuid.uuid4().hex[:8]}"
    return player, body, headers, sign_as


def _ticket_errors(flow: Flow, rule_id: str, *, codes: bool) -> None:
    """Provoke every situation of the API (the first one drawn) and collect every failure."""
    first = flow.draw(st.sampled_from(_situations(flow.api)), "situation provoked first")
    order = [first, *(s for s in _situations(flow.api) if s != first)]
    each_case(rule_id, order, lambda situation: _ticket_error(flow, rule_id, situation, codes=codes))


def _ticket_error(flow: Flow, rule_id: str, situation: str, *, codes: bool) -> None:
    player, body, headers, sign_as = _provoke(flow, situation)
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player, headers=headers, sign_as=sign_as)
    ticket_error_shape(rule_id, exchange)
    answer = body_of(exchange)
    got = answer.get("code") if isinstance(answer, dict) else None
    expected = EXPECTED_CODE[situation] if (codes or flow.api == "superbet-reserve") else None
    if situation == "unknown operator" and exchange.status == 403:
        flow.conventions.observe(rule_id, f"{flow.api}.unknown-operator", "forbidden-403", f"{situation}: HTTP 403")
    elif exchange.status != 400 or (expected is not None and got != expected):
        documented = (f'"code": {expected}, "message": "{SEED_MESSAGES[expected]}"' if expected is not None
                      else "Error response (status=400) {code, message}")
        raise RuleFailure(rule_id, f"{situation}: expected 400 with code {expected or 'of the error list'}",
                          received=shown(exchange), documented=documented)
    elif situation == "unknown operator":
        flow.conventions.observe(rule_id, f"{flow.api}.unknown-operator", "error-400", f"{situation}: HTTP 400 code {got}")
    assert_unchanged(rule_id, before, flow.snapshot(player), f"{situation} was rejected",
                     "Error response (status=400): no ticket is created", keys=("tickets",))


@flow_check("jt_errors", apis=("jackpot-ticket",))
def jt_errors(flow: Flow) -> None:
    """JT-ERRORS: passes if each provoked situation (unknown event, unknown bet, unknown operator,
    operator without webhook, operator header differs, unknown betcard) gets 400 {code: int, message}
    (any code: the jackpot page lost its list; an unknown operator may get 403, convention
    jackpot-ticket.unknown-operator) and stores no ticket; fails otherwise, listing every situation
    that failed; does not apply: always applies (needs provider states). Each situation gets a fresh
    scene. A started event (107) and a market not allowed (116) cannot be set on a betcard."""
    _ticket_errors(flow, "JT-ERRORS", codes=False)


@flow_check("jt_error_codes", apis=("jackpot-ticket",))
def jt_error_codes(flow: Flow) -> None:
    """JT-ERROR-CODES: passes if the jackpot situations carry the engine's codes (unknown event 103,
    unknown bet 106, unknown operator 112 unless refused with 403, operator without webhook 114,
    operator header differs 115; an unknown betcard any code) and store no ticket; fails otherwise,
    listing every situation that failed; does not apply: always applies (needs provider states)."""
    _ticket_errors(flow, "JT-ERROR-CODES", codes=True)


@flow_check("sr_errors", apis=("superbet-reserve",))
def sr_errors(flow: Flow) -> None:
    """SR-ERRORS: passes if each provoked situation gets 400 {code, message} with its code (unknown
    event 103, unknown bet 106, event started 107, unknown operator 112 or a 403 (convention
    superbet-reserve.unknown-operator), operator without webhook 114, operator header differs 115,
    market not allowed 116) and stores no ticket; fails otherwise, listing every situation that
    failed; does not apply: always applies (needs provider states). Each situation gets a fresh scene."""
    _ticket_errors(flow, "SR-ERRORS", codes=True)


# --- sportsbook-order envelope -------------------------------------------------------------------------

SO_QUOTE = '{"code":200, "msg":"success", "data":{"userId":..., "orderTime": ...}}'
SO_TABLE = "| code | int | Y |; | msg | string | Y |; | data | object | N |"


def so_envelope_shape(rule_id: str, exchange: Exchange) -> None:
    """The {code, msg, data} envelope; code 200 only on a 2xx success with data; a refusal's form
    (HTTP 4xx or HTTP 200) observed against the sportsbook-order.rejection convention."""
    body = body_of(exchange)
    if not isinstance(body, dict) or not is_json_int(body.get("code")) or not isinstance(body.get("msg"), str) \
            or not (body.get("data") is None or isinstance(body.get("data"), dict)):
        raise RuleFailure(rule_id, "the answer is not the {code: int, msg: str, data: object|null} envelope",
                          received=shown(exchange), documented=SO_TABLE)
    result = outcome(exchange)
    if body["code"] == 200:
        if not result.accepted:
            raise RuleFailure(rule_id, f"HTTP {exchange.status} carries code 200 (success)",
                              received=shown(exchange), documented="code 200 is the success sample's; a refusal "
                              "carries another code")
        if not isinstance(body.get("data"), dict):
            raise RuleFailure(rule_id, "a code 200 answer carries no data", received=shown(exchange),
                              documented=SO_QUOTE)
    elif result.refused:
        exchange_book(exchange).observe(rule_id, result.convention, result.option, describe(exchange))


@response_check("so_envelope", apis=("sportsbook-order",))
@only_operation
def so_envelope(exchange: Exchange) -> Any:
    """SO-ENVELOPE: passes if the answer is the {code: int, msg: str, data: object|null} envelope,
    code 200 comes only with a 2xx and data, and refusals (another code) come one way through the run
    (HTTP 4xx or HTTP 200, convention sportsbook-order.rejection); fails otherwise (including a body
    that is not JSON); does not apply to a server error (SO-NO-5XX's) or another method."""
    if exchange.status >= 500:
        return NOT_APPLICABLE
    so_envelope_shape("SO-ENVELOPE", exchange)
    return None


@response_check("so_success_msg", apis=("sportsbook-order",))
@only_operation
def so_success_msg(exchange: Exchange) -> Any:
    """SO-SUCCESS-MSG: passes if an accepted order (code 200) says msg "success", fails on another
    msg, does not apply to other answers."""
    body = body_of(exchange)
    if not isinstance(body, dict) or body.get("code") != 200 or not 200 <= exchange.status < 300:
        return NOT_APPLICABLE
    if body.get("msg") != "success":
        raise RuleFailure("SO-SUCCESS-MSG", "a successful order does not say msg \"success\"",
                          received=body.get("msg"), documented='"code":200, "msg":"success",')
    return None


# --- travel-order envelope -------------------------------------------------------------------------------

TO_QUOTE = '{"data": {"docno": ..., "orderno": ...}, "code": 100, "message": ...} (状态码:100成功,其他自定义)'


def to_envelope_shape(rule_id: str, exchange: Exchange) -> None:
    """{data: object|null, code: int, message: str|null}; code 100 only on a 2xx with data.docno and
    data.orderno; a refusal's form observed against the travel-order.rejection convention."""
    body = body_of(exchange)
    if not isinstance(body, dict) or "code" not in body or not is_json_int(body["code"]) \
            or not (body.get("message") is None or isinstance(body.get("message"), str)) \
            or not (body.get("data") is None or isinstance(body.get("data"), dict)):
        raise RuleFailure(rule_id, "the answer is not the {data: object|null, code: int, message: string} envelope",
                          received=shown(exchange), documented=TO_QUOTE)
    result = outcome(exchange)
    if body["code"] == 100:
        data = body.get("data") or {}
        if not result.accepted:
            raise RuleFailure(rule_id, f"HTTP {exchange.status} carries code 100 (success)", received=shown(exchange),
                              documented="状态码:100成功,其他自定义 (100 success, anything else a failure)")
        if not isinstance(data.get("docno"), str) or not isinstance(data.get("orderno"), str):
            raise RuleFailure(rule_id, "a code 100 answer must carry data.docno and data.orderno strings",
                              received=shown(exchange), documented=TO_QUOTE)
    elif result.refused:
        exchange_book(exchange).observe(rule_id, result.convention, result.option, describe(exchange))


@response_check("to_envelope", apis=("travel-order",))
@only_operation
def to_envelope(exchange: Exchange) -> Any:
    """TO-ENVELOPE: passes if the answer is {data: object|null, code: int, message: string|null},
    code 100 comes only with a 2xx and data.docno and data.orderno strings, and refusals (another code)
    come one way through the run (HTTP 200 or HTTP 4xx, convention travel-order.rejection); fails
    otherwise (including a body that is not JSON); does not apply to a server error (TO-NO-5XX's) or
    another method."""
    if exchange.status >= 500:
        return NOT_APPLICABLE
    to_envelope_shape("TO-ENVELOPE", exchange)
    return None


def to_failure_shape(rule_id: str, exchange: Exchange) -> Any:
    body = body_of(exchange)
    if not isinstance(body, dict) or "code" not in body:
        return NOT_APPLICABLE
    if exchange.status >= 400 and body["code"] == 100:
        raise RuleFailure(rule_id, f"HTTP {exchange.status} says code 100 (success)", received=shown(exchange),
                          documented="状态码:100成功,其他自定义 (100 success, anything else a failure)")
    if body["code"] == 100 and not isinstance(body.get("data"), dict):
        raise RuleFailure(rule_id, "code 100 (success) without the order's data", received=shown(exchange),
                          documented=TO_QUOTE)
    return None


@response_check("to_failure_code", apis=("travel-order",))
@only_operation
def to_failure_code(exchange: Exchange) -> Any:
    """TO-FAILURE-CODE: passes if a 4xx/5xx answer never says code 100 and a code 100 answer carries
    data, fails otherwise, does not apply if the body is not a JSON object with a code (TO-ENVELOPE
    judges it) or the method is not the operation's."""
    return to_failure_shape("TO-FAILURE-CODE", exchange)


# --- bet-placement FAILURE shape ---------------------------------------------------------------------------

BP_ERROR_STATUS = {
    "INVALID_USER": 400, "INVALID_BET_DETAILS": 400, "INVALID_STAKE": 400, "INSUFFICIENT_FUNDS": 400,
    "USER_BLOCKED": 400, "MISSING_PARAMETER": 400, "INVALID_SESSION": 401, "AUTHENTICATION_FAILED": 403,
    "GENERAL_EXCEPTION": 500, "REQUEST_TIMED_OUT": 503,
}


def bp_failure_shape(rule_id: str, exchange: Exchange) -> Any:
    """``{status: "FAILURE", errorCode, errorMessage?, failedBets?}`` with the table's HTTP status for
    its errorCode. (The idempotency answers, 409 in flight and 422 for a key reused with another body,
    come only to repeats, whose answers the idempotency rules judge.)"""
    body = body_of(exchange)
    failure = isinstance(body, dict) and body.get("status") == "FAILURE"
    if exchange.status < 400 and not failure:
        return NOT_APPLICABLE
    if not failure:
        raise RuleFailure(rule_id, "an error answer is not a FAILURE body", received=shown(exchange),
                          documented='| status | String ("FAILURE") | Yes |')
    code = body.get("errorCode")
    if code not in BP_ERROR_STATUS:
        raise RuleFailure(rule_id, "errorCode is not in the documented table", received=code,
                          documented=sorted(BP_ERROR_STATUS))
    if exchange.status != BP_ERROR_STATUS[code]:
        raise RuleFailure(rule_id, f"{code} is answered with HTTP {exchange.status}", received=exchange.status,
                          documented=f"| {code} | {BP_ERROR_STATUS[code]} |")
    if body.get("errorMessage") is not None and not isinstance(body["errorMessage"], str):
        raise RuleFailure(rule_id, "errorMessage is not a string", received=body["errorMessage"],
                          documented="| errorMessage | String | No |")
    failed = body.get("failedBets")
    if code == "INVALID_STAKE" and (not isinstance(failed, list) or not failed or not all(
            isinstance(f, dict) and "betId" in f and isinstance(f.get("reason"), dict) for f in failed)):
        raise RuleFailure(rule_id, "INVALID_STAKE without failedBets (each with betId and reason)",
                          received=failed, documented="| failedBets | Array <FailedBet> | No (Except for "
                          "INVALID_STAKE errors) |")
    return None


@response_check("bp_error_shape", apis=("bet-placement",))
@only_operation
def bp_error_shape(exchange: Exchange) -> Any:
    """BP-ERROR-SHAPE: passes if every error answer (HTTP >= 400, or a body with status FAILURE) is
    {status: "FAILURE", errorCode from the table, errorMessage?: str, failedBets?} with the HTTP status
    the table pairs with its errorCode and INVALID_STAKE carries failedBets; fails otherwise; does not
    apply to successful answers, to a server error (BP-NO-5XX's) or to other methods. Repeats of an
    X-Idempotency-Key (409, 422) are the idempotency rules' business and never reach it."""
    if exchange.status >= 500 and exchange.status not in (500, 503):
        return NOT_APPLICABLE
    return bp_failure_shape("BP-ERROR-SHAPE", exchange)
