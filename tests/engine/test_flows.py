"""engine.flows: the Flow a flow check drives, and verify_flow."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from orderproof import registry
from orderproof.checks.base import (
    FLOW_CHECKS,
    NOT_APPLICABLE,
    RESPONSE_CHECKS,
    NotVerified,
    RuleFailure,
    each_case,
)
from orderproof.core.profiles import hypothesis_settings
from orderproof.core.results import Verdict
from orderproof.engine.flows import RuleFlow, dumps_exact, encode_body, verify_flow
from orderproof.engine.responses import verify_response
from orderproof.engine.scene import Scene


def test_decimals_are_written_as_the_exact_numbers_they_hold():
    assert dumps_exact({"a": Decimal("0.10"), "b": [Decimal("1E+2"), 1.5], "c": "x"}) == '{"a": 0.10, "b": [100, 1.5], "c": "x"}'
    assert encode_body({"a": 1, "b": True, "c": {"d": 1}}, "application/x-www-form-urlencoded") == b"a=1&b=true"
    form = encode_body({"totalAmt": Decimal("126.0"), "big": Decimal("1E+2"), "list": [1]},
                       "application/x-www-form-urlencoded")
    assert form == b"totalAmt=126.0&big=100"          # an exact number read from JSON is a scalar too


def flow_of(context, data):
    rule = context.catalogue.rule("VO-REFUSED-ISSUES-NOTHING")
    return RuleFlow(context, rule, data, Scene(context.target, context.states, 3))


def test_a_flow_sends_realistic_bodies_and_its_exchanges_pass_the_response_checks(make_context, toy_app):
    context = make_context(toy_app(fault="amount-rounded-to-euros"))

    @hypothesis_settings(3)
    @given(data=st.data())
    def scenario(data):
        flow = flow_of(context, data)
        player = flow.setup("a player exists")
        exchange = flow.send(player=player)
        assert exchange.status == 201 and exchange.request_body["customerId"] == player["customerId"]
        assert flow.snapshot(player)["vouchers"]

    scenario()
    # the echo fault was seen on a request the flow sent, and is recorded against VO-ECHO, not the flow
    observed = context.flow_observations.get("VO-ECHO")
    assert observed is not None and observed.flow_rule == "VO-REFUSED-ISSUES-NOTHING"


def test_a_flow_of_an_api_without_credentials_sets_up_no_player_to_sign(make_context):
    context = make_context()

    @hypothesis_settings(1)
    @given(data=st.data())
    def scenario(data):
        flow = flow_of(context, data)
        flow.send({"customerId": "nobody", "amount": 1, "currency": "EUR"})
        assert context.states.calls == 0 and flow.exchanges[0].status == 400

    scenario()


def test_verify_flow_passes_fails_with_its_steps_and_gives_up_with_the_reason(make_context, toy_app, monkeypatch):
    context = make_context()
    rule = context.catalogue.rule("VO-REFUSED-ISSUES-NOTHING")
    assert verify_flow(context, rule).verdict is Verdict.PASS

    def gives_up(rule, flow):
        raise NotVerified("no such fixture")

    monkeypatch.setitem(FLOW_CHECKS, rule.check, gives_up)
    result = verify_flow(context, rule)
    assert (result.verdict, result.reason) == (Verdict.NOT_VERIFIED, "no such fixture")

    def fails(rule, flow):
        flow.send(player=flow.setup("a player exists"))
        raise RuleFailure(rule, "always")

    monkeypatch.setitem(FLOW_CHECKS, rule.check, fails)
    result = verify_flow(context, rule)
    assert result.verdict is Verdict.FAIL and result.reason == "always"
    assert "scenario (1 request(s)" in result.evidence.message and "POST http://testserver/vouchers -> HTTP 201" in result.evidence.message
    assert "A refused request issues no voucher." in result.evidence.message       # the rule's own quote


def _forbidding(app, *, only_marked: bool, seen: list | None = None):
    """The toy service behind a gate that answers 403 to its API: every request, or only those with
    an ``X-Situation`` header (a service that takes the suite's credentials and refuses one situation).
    ``seen`` collects the requests that reach the API."""
    async def gate(scope, receive, send):
        headers = dict(scope.get("headers") or []) if scope["type"] == "http" else {}
        if scope["type"] == "http" and scope["path"] == "/vouchers" and seen is not None:
            seen.append(b"x-situation" in headers)
        if scope["type"] == "http" and scope["path"] == "/vouchers" and (not only_marked or b"x-situation" in headers):
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"error":"forbidden"}'})
            return
        await app(scope, receive, send)
    return gate


def _refused_situation_fails(rule, flow):
    exchange = flow.send(player=flow.setup("a player exists"), headers={"X-Situation": "1"})
    if exchange.status == 403:
        raise RuleFailure(rule, "the situation was refused with 403")


def _behind_the_gate(make_context, toy_app, monkeypatch, *, only_marked, credentials=True):
    """A flow rule whose situation a 403 fails, run once against the gated toy service (its API taking
    credentials, or not): (context, rule, the requests that reached the API, the result)."""
    monkeypatch.setattr(registry.get("voucher-order"), "auth_keys", ("api_key",) if credentials else ())
    seen = []
    context = make_context(_forbidding(toy_app(), only_marked=only_marked, seen=seen))
    rule = context.catalogue.rule("VO-REFUSED-ISSUES-NOTHING")
    monkeypatch.setitem(FLOW_CHECKS, rule.check, _refused_situation_fails)
    return context, rule, seen, verify_flow(context, rule)


def test_a_target_that_refuses_the_suites_credentials_leaves_its_scenarios_not_verified(make_context, toy_app,
                                                                                       monkeypatch):
    context, rule, seen, result = _behind_the_gate(make_context, toy_app, monkeypatch, only_marked=False)
    assert result.verdict is Verdict.NOT_VERIFIED
    assert result.reason.startswith("the target refuses the suite's credentials: a valid request for a new player")
    assert 'got HTTP 403 {"error":"forbidden"}' in result.reason
    assert seen[-1] is False and seen.count(False) == 1     # the scenarios' requests, then one control
    before = len(seen)
    assert verify_flow(context, rule).verdict is Verdict.NOT_VERIFIED
    assert seen[before:] == [True]         # asked once a run: the next rule ends at its first 403


def test_a_refusal_of_one_situation_by_a_target_that_takes_the_credentials_is_judged(make_context, toy_app,
                                                                                   monkeypatch):
    context, _rule, seen, result = _behind_the_gate(make_context, toy_app, monkeypatch, only_marked=True)
    assert result.verdict is Verdict.FAIL and result.reason == "the situation was refused with 403"
    assert context.credentials == {"voucher-order": None} and seen.count(False) == 1   # one control, taken


def test_a_response_rule_that_applies_only_to_what_flows_sent_passes_on_it(make_context, monkeypatch):
    def scenarios_only(rule, exchange):
        return None if exchange.mode is None else NOT_APPLICABLE

    unflowed, context = make_context(), make_context()
    echo = context.catalogue.rule("VO-ECHO")
    monkeypatch.setitem(RESPONSE_CHECKS, echo.check, scenarios_only)
    assert verify_response(unflowed, echo).verdict is Verdict.NOT_VERIFIED     # no flow ran: nothing applied
    assert verify_flow(context, context.catalogue.rule("VO-REFUSED-ISSUES-NOTHING")).verdict is Verdict.PASS
    result = verify_response(context, echo)
    assert result.verdict is Verdict.PASS and result.applicable == context.flow_applied["VO-ECHO"][0] > 0
    assert result.sample["request"]


def test_the_evidence_of_a_flow_of_several_situations_is_the_request_of_the_one_that_failed(make_context,
                                                                                          monkeypatch):
    context = make_context()
    rule = context.catalogue.rule("VO-REFUSED-ISSUES-NOTHING")

    def two_situations(rule, flow):
        def case(kind):
            flow.send(player=flow.setup("a player exists"), headers={"X-Situation": kind})
            if kind == "first":
                raise RuleFailure(rule, "the first situation failed")
        each_case(rule, ("first", "second"), case, flow=flow)

    monkeypatch.setitem(FLOW_CHECKS, rule.check, two_situations)
    result = verify_flow(context, rule)
    assert result.verdict is Verdict.FAIL and result.reason == "the first situation failed"
    assert result.evidence.request["headers"]["x-situation"] == "first"      # not the last request sent


def test_a_flow_that_never_applied_says_why_in_its_reason(make_context, monkeypatch):
    context = make_context()
    rule = context.catalogue.rule("VO-REFUSED-ISSUES-NOTHING")

    def never_applies(rule, flow):
        flow.why_not = "every order was refused alike"
        return NOT_APPLICABLE

    monkeypatch.setitem(FLOW_CHECKS, rule.check, never_applies)
    result = verify_flow(context, rule)
    assert (result.verdict, result.reason) == (
        Verdict.NOT_VERIFIED, "no response to which the rule applies was observed: every order was refused alike")


def test_an_api_that_takes_no_credentials_never_asks_and_its_403_is_judged(make_context, toy_app, monkeypatch):
    context, _rule, seen, result = _behind_the_gate(make_context, toy_app, monkeypatch, only_marked=False,
                                                    credentials=False)
    assert result.verdict is Verdict.FAIL and result.reason == "the situation was refused with 403"
    assert context.credentials == {} and False not in seen          # no control request was sent


def test_a_flow_still_rate_limited_after_the_back_offs_is_not_verified(make_context, toy_app):
    async def limiter(scope, receive, send):
        if scope["type"] == "http" and scope["path"] == "/vouchers":
            await send({"type": "http.response.start", "status": 429,
                        "headers": [(b"retry-after", b"0"), (b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b'{"error":"slow down"}'})
            return
        await app(scope, receive, send)

    app = toy_app()
    context = make_context(limiter)
    result = verify_flow(context, context.catalogue.rule("VO-REFUSED-ISSUES-NOTHING"))
    assert result.verdict is Verdict.NOT_VERIFIED and "kept answering 429" in result.reason
