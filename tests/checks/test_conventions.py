"""Declared conventions at run time: every option accepted, one way through a run, or the pinned one."""

import pytest

from orderproof.catalogue import load_catalogue
from orderproof.checks.base import RuleFailure
from orderproof.checks.conventions import ConventionBook, validate_pins
from orderproof.core.errors import UsageError
from orderproof.core.options import parse_pins


@pytest.fixture(scope="module")
def catalogue():
    return load_catalogue()


def test_answers_narrow_the_candidates_and_a_contradiction_fails(catalogue):
    book = ConventionBook(catalogue.conventions)
    name = "bet-placement.payout-precision"
    assert book.allowed(name) == ("exact", "cents-half-up", "cents-half-even", "cents-down", "double", "cents-of-double",
                                  "four-decimals")
    book.observe("BP-PAYOUT-PRECISION", name, ["exact", "cents-half-up"], "10.00 x 1.85 stored as 18.5000")
    book.observe("BP-PAYOUT-PRECISION", name, ["exact"], "10.10 x 1.85 stored as 18.6850")
    assert book.allowed(name) == ("exact",)
    with pytest.raises(RuleFailure) as info:
        book.observe("BP-PAYOUT-PRECISION", name, ["cents-half-up"], "10.10 x 1.85 stored as 18.69")
    assert info.value.rule_id == "BP-PAYOUT-PRECISION"
    assert "earlier answers of the run followed exact" in info.value.message
    assert "conventions: {bet-placement.payout-precision: <option>}" in info.value.message


def test_a_pinned_option_fails_the_others_at_once(catalogue):
    book = ConventionBook(catalogue.conventions, {"bet-placement.unknown-user": "invalid-session"})
    book.observe("BP-USER", "bet-placement.unknown-user", "invalid-session")
    with pytest.raises(RuleFailure, match="pins invalid-session"):
        book.observe("BP-USER", "bet-placement.unknown-user", "invalid-user")


def test_the_report_says_what_was_pinned_and_observed(catalogue):
    book = ConventionBook(catalogue.conventions, {"travel-order.rejection": "http-200"})
    book.observe("SO-ENVELOPE", "sportsbook-order.rejection", "http-4xx", "HTTP 400 {...}")
    rows = {row["id"]: row for row in book.report(["sportsbook-order", "travel-order"])}
    assert rows["travel-order.rejection"]["pinned"] == "http-200"
    assert rows["sportsbook-order.rejection"]["observed"] == ["http-4xx"]
    assert rows["sportsbook-order.rejection"]["evidence"] == {"http-4xx": "HTTP 400 {...}"}
    assert "bet-placement.unknown-user" not in rows


def test_a_noted_convention_is_never_failed_and_the_report_says_when_answers_mixed_its_options(catalogue):
    book = ConventionBook(catalogue.conventions)
    name = "sportsbook-order.rejection"
    book.note("SO-ENVELOPE", name, "http-4xx", "HTTP 400 {...}")
    book.note("SO-ENVELOPE", name, "http-4xx", "HTTP 422 {...}")
    row = next(row for row in book.report(["sportsbook-order"]) if row["id"] == name)
    assert (row["observed"], row["mixed"], row["evidence"]) == (["http-4xx"], False, {"http-4xx": "HTTP 400 {...}"})
    book.note("SO-ENVELOPE", name, "http-200", "HTTP 200 {...}")
    row = next(row for row in book.report(["sportsbook-order"]) if row["id"] == name)
    assert (row["observed"], row["mixed"]) == (["http-4xx", "http-200"], True)
    assert book.allowed(name) == ("http-4xx", "http-200")         # nothing held the run to one option
    pinned = ConventionBook(catalogue.conventions, {name: "http-4xx"})
    pinned.note("SO-ENVELOPE", name, "http-4xx")
    with pytest.raises(RuleFailure, match="pins http-4xx"):
        pinned.note("SO-ENVELOPE", name, "http-200")


def test_pins_are_validated_against_the_catalogue(catalogue):
    validate_pins({"sportsbook-order.rejection": "http-200"}, catalogue.conventions, "target file t.yaml")
    with pytest.raises(UsageError, match="unknown convention 'nope.x'"):
        validate_pins({"nope.x": "a"}, catalogue.conventions, "target file t.yaml")
    with pytest.raises(UsageError, match="choose one of: http-4xx, http-200"):
        validate_pins({"sportsbook-order.rejection": "http-500"}, catalogue.conventions, "--convention")


def test_convention_pins_parse_from_the_command_line():
    assert parse_pins(["a.b=c", " d.e = f "]) == {"a.b": "c", "d.e": "f"}
    with pytest.raises(UsageError, match="NAME=OPTION"):
        parse_pins(["a.b"])
