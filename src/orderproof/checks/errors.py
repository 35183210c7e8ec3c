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
from .base import NOT_APPLICABLE, Exchange, Flow, RuleFailure, flow_check, only_operation, response_check, shown
from .money import is_json_int

# --- the ticket engine (jackpot-ticket, superbet-reserve) ---------------------------------------------

SR_CODES = frozenset({103, 105, 106, 107, 111, 112, 114, 115, 116})
JT_CODES = SR_CODES | {117, 118}  # 117 odds changed, 118 unknown betcard: recorded decisions
TICKET_ERROR_QUOTE = '{"code": 103, "message": "Event with `{event-id}` identifier is not found"}'


def ticket_error_shape(rule_id: str, exchange: Exchange, codes: frozenset[int]) -> Any:
    """400 ``{code, message}`` with a documented code, 403 ``{code, message}``, 422 ``{"detail":
    [{loc, msg, type}, ...]}``; other statuses: not applicable."""
    if exchange.status not in (400, 403, 422):
        return NOT_APPLICABLE
    body = body_of(exchange)
    if exchange.status == 422:
        detail = body.get("detail") if isinstance(body, dict) else None
        if not isinstance(detail, list) or not detail or not all(
            isinstance(d, dict) and isinstance(d.get("loc"), list) and isinstance(d.get("msg"), str)
            and isinstance(d.get("type"), str) for d in detail
        ):
            raise RuleFailure(rule_id, "a 422 answer is not a validation error body", received=shown(exchange),
                              documented='422 Validation Error: {"detail": [{"loc": [...], "msg": str, "type": str}]}')
        return None
    if not isinstance(body, dict) or not is_json_int(body.get("code")) or not isinstance(body.get("message"), str):
        raise RuleFailure(rule_id, f"a {exchange.status} answer is not {{code: int, message: str}}",
                          received=shown(exchange), documented=TICKET_ERROR_QUOTE)
    if exchange.status == 400 and body["code"] not in codes:
        raise RuleFailure(rule_id, "a 400 answer carries an undocumented error code", received=body["code"],
                          documented=f"one of {sorted(codes)}")
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
    "unknown betcard": None,  # 118 is a recorded decision: only 400 and the shape are required
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


def _provoke(flow: Flow, situation: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, str] | None]:
    """Set the scene for ``situation``: (player, body, extra headers)."""
    jackpot = flow.api == "jackpot-ticket"
    headers = None
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
    elif situation == "operator header differs":
        headers = {"operator-name": flow.setup("an operator exists")["name"]}
    elif situation == "unknown betcard":
        body["betcard_code"] = f"ORDERPROOF-UNKNOWN-{uuid.uuid4().hex[:8]}"
    return player, body, headers


def _ticket_errors(flow: Flow, rule_id: str, codes: frozenset[int]) -> None:
    first = flow.draw(st.sampled_from(_situations(flow.api)), "situation provoked first")
    for situation in [first, *(s for s in _situations(flow.api) if s != first)]:
        _ticket_error(flow, rule_id, codes, situation)


def _ticket_error(flow: Flow, rule_id: str, codes: frozenset[int], situation: str) -> None:
    player, body, headers = _provoke(flow, situation)
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player, headers=headers)
    ticket_error_shape(rule_id, exchange, codes)
    expected = EXPECTED_CODE[situation]
    answer = body_of(exchange)
    got = answer.get("code") if isinstance(answer, dict) else None
    if exchange.status != 400 or (expected is not None and got != expected):
        documented = (f'"code": {expected}, "message": "{SEED_MESSAGES[expected]}"' if expected is not None
                      else "Error response (status=400) {code, message} (an unknown betcard: status and shape only)")
        raise RuleFailure(rule_id, f"{situation}: expected 400 with code {expected or 'documented'}",
                          received=shown(exchange), documented=documented)
    assert_unchanged(rule_id, before, flow.snapshot(player), f"{situation} was rejected",
                     "Error response (status=400): no ticket is created", keys=("tickets",))


@flow_check("jt_errors", apis=("jackpot-ticket",))
def jt_errors(flow: Flow) -> None:
    """JT-ERRORS: passes if each provoked situation gets 400 {code, message} with its code (unknown
    event 103, unknown bet 106, unknown operator 112, operator without webhook 114, operator header
    differs 115; unknown betcard: 400 and the shape only) and stores no ticket, and every 400/403/422
    answer has the documented shape; fails otherwise; does not apply: always applies (needs provider
    states). Every example provokes every situation (the first one drawn), each with a fresh scene. A
    started event (107) and a market not allowed (116) cannot be set on a betcard, so they are
    provoked for superbet only."""
    _ticket_errors(flow, "JT-ERRORS", JT_CODES)


@flow_check("sr_errors", apis=("superbet-reserve",))
def sr_errors(flow: Flow) -> None:
    """SR-ERRORS: passes if each provoked situation gets 400 {code, message} with its code (unknown
    event 103, unknown bet 106, event started 107, unknown operator 112, operator without webhook 114,
    operator header differs 115, market not allowed 116) and stores no ticket, and every 400/403/422
    answer has the documented shape; fails otherwise; does not apply: always applies (needs provider
    states). Every example provokes every situation (the first one drawn), each with a fresh scene."""
    _ticket_errors(flow, "SR-ERRORS", SR_CODES)


# --- sportsbook-order envelope -------------------------------------------------------------------------

SO_QUOTE = '{"code":200, "msg":"success", "data":{"userId":..., "orderTime": ...}}'


def so_envelope_shape(rule_id: str, exchange: Exchange) -> None:
    body = body_of(exchange)
    if not isinstance(body, dict) or not is_json_int(body.get("code")) or not isinstance(body.get("msg"), str) \
            or not (body.get("data") is None or isinstance(body.get("data"), dict)):
        raise RuleFailure(rule_id, "the answer is not the {code: int, msg: str, data: object|null} envelope",
                          received=shown(exchange), documented="| code | int | Y |; | msg | string | Y |; "
                          "| data | object | N |")
    if 200 <= exchange.status < 300 and body["code"] != 200:
        raise RuleFailure(rule_id, f"HTTP {exchange.status} carries code {body['code']}, not the success code 200",
                          received=shown(exchange), documented=SO_QUOTE)
    if body["code"] == 200:
        data = body.get("data")
        if body["msg"] != "success" or not isinstance(data, dict) or not {"userId", "orderTime"} <= set(data):
            raise RuleFailure(rule_id, "a code 200 answer must say msg \"success\" and carry data with userId "
                              "and orderTime", received=shown(exchange), documented=SO_QUOTE)
        if not 200 <= exchange.status < 300:
            raise RuleFailure(rule_id, f"HTTP {exchange.status} carries code 200 (success)",
                              received=shown(exchange), documented="code 200 means success; a rejection carries "
                              "another code")


@response_check("so_envelope", apis=("sportsbook-order",))
@only_operation
def so_envelope(exchange: Exchange) -> None:
    """SO-ENVELOPE: passes if the answer is the {code: int, msg: str, data} envelope, with msg
    "success" and data (userId, orderTime) when code is 200, code 200 on every 2xx and only there;
    fails otherwise (including a body that is not JSON); does not apply to requests with another
    method."""
    so_envelope_shape("SO-ENVELOPE", exchange)


# --- travel-order envelope -------------------------------------------------------------------------------

TO_QUOTE = '{"data": {"docno": ..., "orderno": ...}, "code": 100, "message": ...} (状态码:100成功,其他自定义)'


def to_envelope_shape(rule_id: str, exchange: Exchange) -> None:
    body = body_of(exchange)
    if not isinstance(body, dict) or not {"data", "code", "message"} <= set(body) \
            or not is_json_int(body["code"]) or not isinstance(body["message"], str) \
            or not (body["data"] is None or isinstance(body["data"], dict)):
        raise RuleFailure(rule_id, "the answer is not the {data: object|null, code: int, message: str} envelope",
                          received=shown(exchange), documented=TO_QUOTE)
    if 200 <= exchange.status < 300 and body["code"] != 100:
        raise RuleFailure(rule_id, f"HTTP {exchange.status} carries code {body['code']}, not the success code 100",
                          received=shown(exchange), documented=TO_QUOTE)
    if exchange.status == 200 and body["code"] == 100:
        data = body["data"] or {}
        if not isinstance(data.get("docno"), str) or not isinstance(data.get("orderno"), str):
            raise RuleFailure(rule_id, "a code 100 answer must carry data.docno and data.orderno strings",
                              received=shown(exchange), documented=TO_QUOTE)


@response_check("to_envelope", apis=("travel-order",))
@only_operation
def to_envelope(exchange: Exchange) -> None:
    """TO-ENVELOPE: passes if the answer is {data, code: int, message: str}, every 2xx carries code
    100 and an HTTP 200 with code 100 carries data.docno and data.orderno strings, fails otherwise
    (including a body that is not JSON), does not apply to requests with another method."""
    to_envelope_shape("TO-ENVELOPE", exchange)


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
    its errorCode (plus the idempotency answers: 409 in flight, 422 INVALID_BET_DETAILS for a key
    reused with another body)."""
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
    allowed = {BP_ERROR_STATUS[code], 409} | ({422} if code == "INVALID_BET_DETAILS" else set())
    if exchange.status not in allowed:
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
    the table pairs with its errorCode (409/422 allowed for idempotency answers) and INVALID_STAKE
    carries failedBets; fails otherwise; does not apply to successful answers or other methods."""
    return bp_failure_shape("BP-ERROR-SHAPE", exchange)
