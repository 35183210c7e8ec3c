"""The reference agrees with its own spec: every positive case the generator draws from an API's
spec (Hypothesis' seeded sample, and Schemathesis' coverage phase, which puts every field at its
bounds: the longest digit string, the largest integer, ...) gets past the reference's request
validation. The reference may still refuse it for a business reason (an unknown player, no funds,
a stake it does not take); what it must not do is call a request the spec allows malformed.
A number with a zero fraction (``234.0``) for an integer field is left out: JSON Schema counts it
an integer, the seeds' int columns leave it open, and the engine never sends one in a positive case
(``integral_floats_as_ints``).

A disagreement is fixed on the side the seed supports (``macthId`` is a long: the spec's digit
string stops at 2^63-1, as the reference does)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from orderproof.engine.generation import (
    case_pool,
    coverage_cases,
    integral_floats_as_ints,
)
from orderproof.engine.inprocess import InProcessSession
from orderproof.reference import IMPLEMENTED, create_app

pytestmark = pytest.mark.slow          # a Hypothesis sample of 120 cases an API

KEY = "agrees-with-spec-key"
SAMPLE = 120          # Hypothesis' positive cases per API, on top of every coverage-phase positive case
SEED = 20261202


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


# How the reference says "this request is malformed" (a field missing, of the wrong type or format):
# its own validation, before any business rule. Refusals with a business reason the seed names
# (INVALID_STAKE or INVALID_BET_DETAILS for a stake or price it does not take, an amount it does not
# take) are the service's to make and are not counted.
_BP_MALFORMED = re.compile(r"must be (a string|a UUID|JSON numbers|one of|an object|a non-empty array)|"
                           r"timestamp must be")
_SO_MALFORMED = re.compile(r"missing required field|has the wrong type or format|must be an object")
MALFORMED: dict[str, Callable[[Any], bool]] = {
    "sportsbook-order": lambda r: (_json(r) or {}).get("code") == 400
    and bool(_SO_MALFORMED.search(str((_json(r) or {}).get("msg")))),
    "travel-order": lambda r: (_json(r) or {}).get("code") == 101,
    "jackpot-ticket": lambda r: r.status_code == 422,
    "superbet-reserve": lambda r: r.status_code == 422,
    "bet-placement": lambda r: (_json(r) or {}).get("errorCode") == "MISSING_PARAMETER"
    or ((_json(r) or {}).get("errorCode") == "INVALID_BET_DETAILS"
        and bool(_BP_MALFORMED.search(str((_json(r) or {}).get("errorMessage"))))),
}


@pytest.mark.parametrize("slug", IMPLEMENTED)
def test_every_positive_case_passes_the_reference_validation(slug):
    cases = list(coverage_cases(slug, "positive")) + list(case_pool(slug, "positive", SAMPLE, SEED))
    refused, reached = [], 0
    app = create_app(api_key=KEY)
    session = InProcessSession(app)            # the reference in this process, as certify calls it
    try:
        for case in cases:
            headers = {"X-API-Key": KEY, "X-Idempotency-Key": str(uuid.uuid4())} if slug == "bet-placement" else {}
            case.body = integral_floats_as_ints(case.body)
            response = case.call(base_url="http://127.0.0.1", session=session, headers=headers)
            if MALFORMED[slug](response):
                refused.append(f"{response.status_code} {response.text[:300]}")
            else:
                reached += 1
    finally:
        app.state.store.close()
    assert not refused, f"{len(refused)} of {len(cases)} positive cases refused as malformed:\n" + "\n".join(sorted(set(refused))[:40])
    assert reached == len(cases) >= SAMPLE
