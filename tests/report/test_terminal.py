"""The end-of-run summary fits the terminal (100 columns without one) and breaks lines between
words, colours verdicts only on a terminal without NO_COLOR, and says where the replays are."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from orderproof.report.terminal import colours, print_summary, width_of

NAMES = {"md": "certificate.md", "json": "certificate.json", "junit": "junit.xml", "allure": "allure-results"}
LONG = ("A slip whose stakes sum to more than the balance gets 400 INSUFFICIENT_FUNDS and stores nothing; "
        "concurrent slips never overdraw")


def certificate() -> dict:
    rule = {"api": "bet-placement", "rule_id": "BP-FUNDS", "level": "MUST", "verdict": "FAIL", "title": LONG,
            "reason": "r", "evidence": {"message": "the slip was placed although the balance was 1.00 and the stakes "
                                                   "summed to 2.55, which the seed refuses\n  received:   {\"balance\": 1.00}"
                                                   "\n  documented: '400 INSUFFICIENT_FUNDS'",
                                        "replay": {"script": "replay/BP-FUNDS.sh"}}}
    warning = {**rule, "rule_id": "BP-DEBIT", "level": "SHOULD", "title": "t", "evidence": None, "reason": "slow"}
    passing = {**rule, "rule_id": "BP-ECHO", "verdict": "PASS", "evidence": None}
    return {"target": "http://127.0.0.1:8000 (" + "x" * 150 + ")", "rules": [rule, warning, passing],
            "counts": {"rules": 3, "PASS": 1, "FAIL": 2, "NOT VERIFIED": 0, "must_failed": 1, "must_not_verified": 0,
                       "should_failed": 1},
            "counts_by_api": {"bet-placement": {}}, "result": "NOT CERTIFIED", "seed": 7, "run_id": "abc",
            "replay": "orderproof certify --target-config staging.yaml --api bet-placement --rate-limit 20 --seed 7"}


def printed(monkeypatch, tty: bool = False, **env: str) -> str:
    for name in ("COLUMNS", "NO_COLOR", "TERM"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = io.StringIO()
    out.isatty = lambda: tty
    print_summary(certificate(), Path("reports"), out, names=NAMES)
    return out.getvalue()


def test_every_line_fits_100_columns_and_no_word_is_cut(monkeypatch):
    text = printed(monkeypatch)
    assert all(len(line) <= 100 for line in text.splitlines()), text
    words = " ".join(text.split())
    assert "concurrent slips never overdraw" in words and "400 INSUFFICIENT_FUNDS" in words
    assert "WARNING BP-DEBIT (SHOULD)" in text and "FAIL BP-FUNDS (MUST)" in text
    assert "replay: reports/replay/BP-FUNDS.sh (bash + curl) or orderproof replay reports BP-FUNDS" in text
    assert "\033[" not in text                                       # not a terminal: no colour


def test_a_narrow_terminal_still_wraps_and_keeps_words(monkeypatch):
    text = printed(monkeypatch, COLUMNS="64")
    assert all(len(line) <= 64 for line in text.splitlines()), text
    assert "concurrent slips never overdraw" in " ".join(text.split())


@pytest.mark.parametrize(("tty", "env", "coloured"), [(True, {}, True), (True, {"NO_COLOR": "1"}, False),
                                                      (True, {"TERM": "dumb"}, False), (False, {}, False)])
def test_colour_only_on_a_terminal_without_no_color(monkeypatch, tty, env, coloured):
    text = printed(monkeypatch, tty=tty, **env)
    assert ("\033[31" in text) is coloured


def test_width_is_100_without_a_terminal(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    out = io.StringIO()
    assert width_of(out) == 100 and colours(out) is False
