"""What a check is (orderproof.checks.base): the invariants every registered check keeps, over every
API package's checks and the generic ones."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderproof import registry
from orderproof.checks.base import (
    FLOW_CHECKS,
    NOT_APPLICABLE,
    RESPONSE_CHECKS,
    RuleFailure,
    each_case,
)
from orderproof.engine.generic import (
    GENERIC,
    negative_rejected,
    no_server_error,
    positive_accepted,
)
from tests.apis.fakes import catalogue, exchange, rule


def test_every_check_is_registered_once_for_its_rule_with_a_docstring_naming_it():
    rules = {r.check: r for r in catalogue().rules}     # loading the catalogue registers every API's checks
    assert not set(RESPONSE_CHECKS) & set(FLOW_CHECKS)
    for name in {**RESPONSE_CHECKS, **FLOW_CHECKS}:
        function = RESPONSE_CHECKS.get(name) or FLOW_CHECKS[name]
        rule_id = name.upper().replace("_", "-")
        assert function.__doc__.startswith(rule_id), name
        assert "passes if" in function.__doc__ and "fails" in function.__doc__, name
        assert rules[name].id == rule_id, name           # its API is its rule's
    for r in catalogue().rules:
        assert r.check in RESPONSE_CHECKS or r.check in FLOW_CHECKS or r.check in GENERIC, r.id


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.decimals(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["code", "msg", "data", "message", "status", "errorCode", "failedBets", "price", "stake",
                         "ext_amount", "ext", "odds", "events", "gross_payout", "wht", "wht_amount", "net_payout",
                         "created", "updated", "ticketId", "ticketID", "amount", "orderAmount", "bets", "requestId",
                         "detail", "currency", "userId", "orderTime", "docno", "orderno", "decimalPrice", "betId",
                         "prize", "bonus_prizes"]),
        inner, max_size=6),
    max_leaves=12,
)
GENERIC_CHECKS = {"NEGATIVE": negative_rejected, "POSITIVE": positive_accepted, "NO-5XX": no_server_error}


@settings(max_examples=300, deadline=None, database=None)
@given(api=st.sampled_from(sorted(registry.slugs())), status=st.sampled_from([200, 400, 401, 403, 409, 422, 500]),
       request=JSON, response=JSON | st.text(max_size=10), mode=st.sampled_from([None, "positive", "negative"]))
def test_response_checks_never_crash_on_hostile_bodies(api, status, request, response, mode):
    prefix = registry.get(api).prefix
    checks = {f"{prefix}-{suffix}": check for suffix, check in GENERIC_CHECKS.items()}
    checks.update({r.id: RESPONSE_CHECKS[r.check] for r in catalogue().rules
                   if r.api == api and r.check in RESPONSE_CHECKS})
    for rule_id, check in checks.items():
        ex = exchange(api, status, response, request, mode=mode)
        try:
            result = check(rule(rule_id), ex)
        except RuleFailure:
            continue
        assert result in (None, NOT_APPLICABLE), rule_id


def test_several_failed_situations_each_show_what_documents_them():
    """Situations documented differently each say theirs under them, and nothing is said below the
    list (where the first's read as the last one's); one answer documenting them all is said once,
    below."""
    jt = rule("JT-ERROR-CODES")

    def situation(code):
        raise RuleFailure(jt, f"expected code {code}", received="HTTP 400", documented=f'"code": {code}')

    with pytest.raises(RuleFailure) as raised:
        each_case(jt, (103, 114), situation)
    lines = raised.value.details().splitlines()
    assert lines[0] == "2 situations failed:"
    assert lines.index("     documented: '\"code\": 103'") < lines.index("  2. expected code 114")
    assert lines.index("     documented: '\"code\": 114'") > lines.index("  2. expected code 114")
    assert raised.value.documented is None and not lines[-1].startswith("  documented:")

    def alike(case):
        raise RuleFailure(jt, f"situation {case}", documented="| AUTHENTICATION_FAILED | 403 |")

    with pytest.raises(RuleFailure) as raised:
        each_case(jt, (1, 2), alike)
    lines = raised.value.details().splitlines()
    assert [line for line in lines if "documented" in line] == ["  documented: '| AUTHENTICATION_FAILED | 403 |'"]
