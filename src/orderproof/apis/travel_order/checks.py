"""The travel-order checks: the answer envelope and its failure code, the three request media types
and .NET dates (compared by outcome), and the local travel total that must add up."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from orderproof.checks.base import (
    NOT_APPLICABLE,
    Exchange,
    Flow,
    RuleFailure,
    flow_check,
    only_operation,
    response_check,
    shown,
)
from orderproof.checks.conventions import book_of
from orderproof.checks.numbers import integral, major
from orderproof.checks.outcomes import describe
from orderproof.checks.snapshots import body_of

from .answers import outcome
from .orders import fresh_identifiers, like_the_sample, local_now, member_id

ENVELOPE = '{"data": {"docno": ..., "orderno": ...}, "code": 100 for success (any other code: a refusal), "message": ...}'
FORM = "application/x-www-form-urlencoded"


# --- the envelope -----------------------------------------------------------------------------------

@response_check
@only_operation
def to_envelope(rule: Any, exchange: Exchange) -> Any:
    """TO-ENVELOPE: passes if the answer to a valid order is {data: object|null, code: int, message:
    string|null}, and code 100 comes only with a 2xx and data.orderno a string (data.docno, the
    request's document number, a string, null or absent); fails
    otherwise (including a body that is not JSON); does not apply to a server error (TO-NO-5XX's),
    another method, or a request that is not one of the suite's valid orders (``Exchange.sent_as_valid``:
    what a service answers to malformed JSON, wrong types or numbers no .NET type holds is its
    framework's business, TO-NEGATIVE's (SHOULD)). An order sent as a form is valid only as the suite
    infers a form (the page gives no form sample): a 4xx to it that is not the envelope (a framework's
    415 to a JSON-only action) is TO-MEDIA-FORM's (SHOULD); every other answer to it is judged. So is
    a 4xx that is not the envelope to an order a scenario sent ``refusable`` (a total that does not
    add up, which a framework's model validation may refuse): TO-LOCAL-TOTAL's."""
    if exchange.status >= 500 or not exchange.sent_as_valid:
        return NOT_APPLICABLE
    body = body_of(exchange)
    if not isinstance(body, dict) or integral(body.get("code")) is None \
            or not (body.get("message") is None or isinstance(body.get("message"), str)) \
            or not (body.get("data") is None or isinstance(body.get("data"), dict)):
        if (exchange.media_type == FORM or exchange.extra.get("refusable")) and 400 <= exchange.status < 500:
            return NOT_APPLICABLE     # a framework's 415 to a form, or its validation of a refusable order
        raise RuleFailure(rule, "the answer is not the {data: object|null, code: int, message: string} envelope",
                          received=shown(exchange), documented=ENVELOPE)
    if body["code"] == 100:
        data = body.get("data") or {}
        if not outcome(exchange).accepted:
            raise RuleFailure(rule, f"HTTP {exchange.status} carries code 100 (success)", received=shown(exchange),
                              documented="状态码:100成功,其他自定义 (100 success, anything else a failure)")
        if not isinstance(data.get("orderno"), str) or not isinstance(data.get("docno"), (str, type(None))):
            raise RuleFailure(rule, "a code 100 answer must carry data.orderno as a string (and data.docno a string "
                              "or null)",
                              received=shown(exchange), documented=ENVELOPE)
    return None


@response_check
@only_operation
def to_rejection_style(rule: Any, exchange: Exchange) -> Any:
    """TO-REJECTION-STYLE: passes if the refusal of an order the suite sent as valid (the envelope
    with a code other than 100) comes the way the run's refusals of such orders came so far (HTTP 200
    or HTTP 4xx, convention travel-order.rejection, or the pinned option); fails when the run shows
    both; does not apply to an answer that is not a refusal, to a request sent as invalid (what a
    framework answers to a body it cannot read is TO-NEGATIVE's), or another method."""
    result = outcome(exchange)
    if not result.refused or not exchange.sent_as_valid:
        return NOT_APPLICABLE
    book_of(exchange).observe(rule, result.convention, result.option, describe(exchange))
    return None


@response_check
@only_operation
def to_failure_code(rule: Any, exchange: Exchange) -> Any:
    """TO-FAILURE-CODE: passes if a 4xx/5xx answer never says code 100 and a code 100 answer carries
    data, fails otherwise, does not apply if the body is not a JSON object with a code (TO-ENVELOPE
    judges it) or the method is not the operation's."""
    body = body_of(exchange)
    if not isinstance(body, dict) or "code" not in body:
        return NOT_APPLICABLE
    if exchange.status >= 400 and body["code"] == 100:
        raise RuleFailure(rule, f"HTTP {exchange.status} says code 100 (success)", received=shown(exchange),
                          documented="状态码:100成功,其他自定义 (100 success, anything else a failure)")
    if body["code"] == 100 and not isinstance(body.get("data"), dict):
        raise RuleFailure(rule, "code 100 (success) without the order's data", received=shown(exchange),
                          documented=ENVELOPE)
    return None


# --- media types and dates: the same order, the same outcome ----------------------------------------------

def _verdict(exchange: Exchange) -> tuple[str, Any]:
    """What an answer decides: ("accepted", None), ("refused", its code) or ("other", the answer)."""
    result = outcome(exchange)
    if result.accepted:
        return ("accepted", None)
    if result.refused:
        return ("refused", result.code)
    return ("other", shown(exchange, 120))


def _fresh(flow: Flow, body: Any, company: bool) -> Any:
    """The same order under new identifiers (docno, PNRs, coupons, payment transaction, cart, ...:
    orders.IDENTIFIERS): a service may refuse one it has already stored. ``company``: for a company of
    its own (a new companyid, for a service refusing a company's second order for the same
    products); else for none (no companyid: a service may refuse one it has not registered, and the
    suite can register none). Every new identifier has the same length (OP and 16 digits), so that a
    service's limit on one (a docno column of 20 characters) treats every order of a comparison alike."""
    fresh = fresh_identifiers(copy.deepcopy(body), lambda: _same_length_id(flow))
    if isinstance(fresh, dict):
        fresh.pop("companyid", None)
        if company:
            fresh["companyid"] = f"OP{_same_length_id(flow)}"
    return fresh


def _same_length_id(flow: Flow) -> str:
    """A new identity of 16 digits (the last of a fresh one's 19, leading zeros kept)."""
    return flow.fresh_id().zfill(19)[-16:]


def _for_another_member(flow: Flow, body: Any) -> Any:
    """The order placed by a member of its own (set up now): a service may refuse a member's second
    order for the same products, whatever its identifiers (the page says nothing of repeats)."""
    if isinstance(body, dict) and "memberid" in body:
        body["memberid"] = member_id(flow.setup("a player exists")["memberid"])
    return body


def _sample_like(flow: Flow, body: Any) -> Any:
    """The order of a comparison as the sample carries one (:func:`.orders.like_the_sample`)."""
    return like_the_sample(body, flow.draw(st.integers(1, 60), "createdate age"))


def same_outcome(rule: Any, flow: Flow, sent: list[tuple[str, Any, str]], documented: str | None = None) -> Any:
    """Send each (label, body, media type), each under fresh identifiers and by a member of its own,
    and demand one outcome for all: all accepted, or all refused with the same code. NOT_APPLICABLE
    when all were refused alike (nothing was shown), or when the first was accepted, a later one
    refused, and the first sent again is refused too: the service refuses the order's repeat, keyed
    on something the suite does not vary (the products, the company), which the page leaves open.
    The orders go for no company; a repeat refused so is compared again, each order for a company of
    its own (a guard on a company's products lets that comparison apply)."""
    for company in (False, True):
        answers = [(label, flow.send(_for_another_member(flow, _fresh(flow, body, company)) if i
                                     else _fresh(flow, body, company), media_type=media_type))
                   for i, (label, body, media_type) in enumerate(sent)]
        verdicts = [_verdict(exchange) for _label, exchange in answers]
        if not (verdicts[0][0] == "accepted" and any(kind == "refused" for kind, _ in verdicts[1:])
                and not any(kind == "other" for kind, _ in verdicts)):
            break
        label, body, media_type = sent[0]
        again = flow.send(_for_another_member(flow, _fresh(flow, body, company)), media_type=media_type)
        if _verdict(again)[0] != "refused":
            break
        flow.why_not = (f"the order was accepted once ({label}) and then refused, its first form too "
                        f"({shown(again, 120)}): a refusal of the order's repeat, so the comparison shows nothing")
    else:
        return NOT_APPLICABLE
    if any(kind == "other" for kind, _ in verdicts) or len(set(verdicts)) > 1:
        received = {label: shown(exchange, 160) for label, exchange in answers}
        raise RuleFailure(rule, "the same order got different outcomes: " + "; ".join(
            f"{label}: {kind}{'' if code is None else f' (code {code})'}" for (label, _), (kind, code)
            in zip(answers, verdicts)), received=received, documented=documented)
    if verdicts[0][0] == "accepted":
        return None
    flow.why_not = (f"the order got the same refusal each way ({', '.join(label for label, _, _ in sent)}: "
                    f"{shown(answers[0][1], 120)}), so the comparison shows nothing")
    return NOT_APPLICABLE


@flow_check
def to_media(rule: Any, flow: Flow) -> Any:
    """TO-MEDIA: passes if a valid order gets the same outcome (accepted, or refused with the same
    code) sent as application/json and as text/json, fails if the outcomes differ or either answer is
    not the envelope, does not apply when both were refused alike (the order's own content decided).
    Needs provider states (a member)."""
    player = flow.setup("a player exists")
    body = _sample_like(flow, flow.valid_body(player))        # with a product line (the adapter's overlay)
    first = flow.draw(st.sampled_from(["application/json", "text/json"]), "media type sent first")
    second = "text/json" if first == "application/json" else "application/json"
    return same_outcome(rule, flow, [(first, body, first), (second, body, second)])


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, Decimal, bool))


@flow_check
def to_media_form(rule: Any, flow: Flow) -> Any:
    """TO-MEDIA-FORM: passes if an order made of a valid body's top-level scalar fields gets the same
    outcome as application/x-www-form-urlencoded and as application/json, fails if the outcomes differ
    or either answer is not the envelope, does not apply when both were refused alike. Needs provider
    states (a member)."""
    player = flow.setup("a player exists")
    form = {name: value for name, value in _sample_like(flow, flow.valid_body(player)).items() if _scalar(value)}
    return same_outcome(rule, flow, [("as a form", form, FORM),
                                     ("as JSON", form, "application/json")])


@st.composite
def dotnet_dates(draw: Any, min_digits: int = 1) -> str:
    """A .NET DateTimeOffset as the help page writes it: ``min_digits`` to 7 fractional digits and an
    offset, a moment of the last minute written in that offset (:func:`.orders.created_recently`)."""
    hours = draw(st.integers(-12, 14))
    minutes = 0 if abs(hours) == 14 else draw(st.sampled_from([0, 30, 45]))
    digits = draw(st.integers(min_digits, 7))
    fraction = str(draw(st.integers(0, 10**digits - 1))).zfill(digits)
    zone = f"{'-' if hours < 0 else '+'}{abs(hours):02d}:{minutes:02d}"
    return f"{local_now(zone, draw(st.integers(1, 60)))}.{fraction}{zone}"


def _six_digits(text: str) -> str:
    """``2024-12-23T14:51:37.2652335+08:00`` -> ``2024-12-23T14:51:37.265233+08:00`` (the other form
    the page's samples show: ``"createdate": "2024-12-23T14:51:37.249611+08:00"``)."""
    head, _, rest = text.partition(".")
    digits = rest[:len(rest) - len(rest.lstrip("0123456789"))]
    return f"{head}.{digits[:6].ljust(6, '0')}{rest[len(digits):]}"


@flow_check
def to_dates(rule: Any, flow: Flow) -> Any:
    """TO-DATES: passes if an order whose createdate carries an offset and 7 fractional digits (e.g.
    "2024-12-23T14:51:37.2652335+08:00") gets the same outcome as the same order with createdate at 6
    digits (the sample's "2024-12-23T14:51:37.249611+08:00"; paymentinfo.createdate, when present, at
    6 or 7 digits in both); fails if the outcomes differ (the 7 digits were refused); does not apply
    when both were refused alike. Needs provider states (a member)."""
    player = flow.setup("a player exists")
    body = _sample_like(flow, flow.valid_body(player))        # with a product line (the adapter's overlay)
    body["createdate"] = flow.draw(dotnet_dates(min_digits=7), "createdate")
    if isinstance(body.get("paymentinfo"), dict):
        body["paymentinfo"]["createdate"] = flow.draw(dotnet_dates(min_digits=6), "paymentinfo.createdate")
    six = copy.deepcopy(body)
    six["createdate"] = _six_digits(body["createdate"])
    return same_outcome(rule, flow, [(f"createdate {body['createdate']}", body, "application/json"),
                                     (f"createdate {six['createdate']}", six, "application/json")])


# --- the local travel total ------------------------------------------------------------------------------

def _first_object(items: Any) -> dict[str, Any]:
    """The first item of a list when it is an object (a template for the one the check writes)."""
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


@flow_check
def to_local_total(rule: Any, flow: Flow) -> None:
    """TO-LOCAL-TOTAL: passes if orders whose localtravelroutine totalAmt is above, and below, the sum
    of price x quantity of its details are answered one way through the run, refused or accepted
    (convention travel-order.local-total, or its pin); fails on the other answer (a service that
    checks one side only refuses one and accepts the other); does not apply: always applies (needs
    provider states)."""
    player = flow.setup("a player exists")
    first_below = flow.draw(st.booleans(), "below first")
    for below in (first_below, not first_below):
        body = flow.valid_body(player)
        routine = copy.deepcopy(_first_object(body.get("localtravelroutine")))
        template = _first_object(routine.get("localTravelDetails"))
        side = "below" if below else "above"
        lines = []
        for i in range(flow.draw(st.integers(1, 3), f"{side}: details")):
            line = dict(template)      # at least 1.00 a line: a total below the sum is still positive
            line["price"] = major(flow.draw(st.integers(100, 100_000), f"{side}: detail {i} price in cents"))
            line["quantity"] = flow.draw(st.integers(1, 9), f"{side}: detail {i} quantity")
            lines.append(line)
        total = sum((line["price"] * line["quantity"] for line in lines), Decimal(0))
        off = major(flow.draw(st.integers(1, min(10_000, int(total * 100) - 1)), f"{side}: cents off"))
        routine["localTravelDetails"] = lines
        routine["totalAmt"] = total - off if below else total + off
        body["localtravelroutine"] = [routine]
        exchange = flow.send(body, player=player, refusable=True)     # a framework's validation may refuse it
        answer = "accept" if outcome(exchange).accepted else "refuse"
        flow.conventions.observe(rule, "travel-order.local-total", answer,
                                 f"totalAmt {routine['totalAmt']} for details summing to {total}: "
                                 f"{'accepted' if answer == 'accept' else 'refused'} ({shown(exchange)})")
