"""A share of ``certify --jobs`` in a fork of the process: its events reach the parent as JSON lines,
its exit code is the share's, and a refusal or a crash ends as one line on its stderr; and the shares
are dealt by what each API costs this time (less where its cases are cached)."""

from __future__ import annotations

import json

import pytest

from orderproof import registry
from orderproof.commands import jobs
from orderproof.core.errors import UsageError
from orderproof.core.options import RunOptions
from tests import SEED

pytestmark = pytest.mark.skipif(not jobs.FORK, reason="shares are forked on Linux only")


def _share(here) -> tuple[int, list[str], list[str]]:
    child = jobs._Forked(here, RunOptions(seed=1))
    events, errors = child.stdout.read().splitlines(), child.stderr.read().splitlines()
    return child.wait(), events, errors


def test_a_forked_share_sends_its_events_and_exits_with_its_code():
    def here(options):
        options.on_event("rule-end", {"api": "x", "rule_id": "X-1"})
        print("a stray line on stdout is no event")
        return 1

    code, events, errors = _share(here)
    assert code == 1 and errors == []
    assert json.loads(events[0]) == {"kind": "rule-end", "data": {"api": "x", "rule_id": "X-1"}}
    assert events[1:] == ["a stray line on stdout is no event"]       # the relay skips it


@pytest.mark.parametrize(("raised", "code", "line"), [
    (UsageError("the target answered nothing"), 2, "orderproof certify: error: the target answered nothing"),
    (RuntimeError("a bug"), 3, "orderproof certify: internal error: RuntimeError: a bug"),
    (KeyboardInterrupt(), 130, None),
])
def test_a_forked_share_that_is_refused_or_breaks_says_so_in_one_line(raised, code, line):
    def here(options):
        raise raised

    got, events, errors = _share(here)
    assert got == code and events == []
    assert errors == ([line] if line else [])


def test_the_shares_are_dealt_by_what_each_api_costs_this_time():
    apis = ("travel-order", "bet-placement")
    first = registry.certify_costs(apis, "standard")
    rerun = registry.certify_costs(apis, "standard", cached={"travel-order": 1.0, "bet-placement": 1.0})
    half = registry.certify_costs(apis, "standard", cached={"travel-order": 0.5})
    travel = registry.get("travel-order")
    assert first["travel-order"] == travel.certify_seconds["standard"]
    assert rerun["travel-order"] == travel.rerun_seconds["standard"] < first["travel-order"]
    assert rerun["travel-order"] < half["travel-order"] < first["travel-order"]
    assert half["bet-placement"] == first["bet-placement"]


@pytest.mark.slow
def test_each_share_says_whose_cases_it_drew(capfd, tmp_path, monkeypatch):
    """In a run of several processes the notices interleave: each names the APIs of its share."""
    from orderproof.cli import main
    from orderproof.engine import pools

    monkeypatch.setenv("ORDERPROOF_CACHE_DIR", str(tmp_path / "cache"))
    pools.forget()          # a share in this process finds no pool an earlier test left in memory: it draws
    code = main(["certify", "--jobs", "2", "--api", "superbet-reserve", "--api", "jackpot-ticket", "--profile",
                 "quick", "--seed", str(SEED), "--report-dir", str(tmp_path / "reports")])
    out, err = capfd.readouterr()
    notices = sorted(line for line in (out + err).splitlines() if line.startswith("generated cases"))
    assert code == 0
    assert [line.split(":")[0] for line in notices] == ["generated cases of jackpot-ticket",
                                                        "generated cases of superbet-reserve"], notices
