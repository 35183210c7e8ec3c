"""The served reference under concurrent load, and killed (SIGKILL) in the middle of it:
``benchmarks/load.py`` with small bounds must end with every invariant holding.

The script is run as a subprocess with a hard timeout (it starts ``orderproof serve`` itself).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow          # load processes against a served reference

LOAD = Path(__file__).resolve().parents[2] / "benchmarks" / "load.py"
CLIENTS, SLIPS, SECONDS = 4, 25, 20
HARD_TIMEOUT_S = 120
CHECKS = ("PLACED slips stored whole", "no rejected slip stored", "each key placed once",
          "ledger explains balances", "stakes debited", "no negative balance")


def run_load(*extra: str, expected: int = 0) -> str:
    command = [sys.executable, str(LOAD), "--clients", str(CLIENTS), "--slips", str(SLIPS),
               "--seconds", str(SECONDS), "--seed", "7", *extra]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=HARD_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"load.py did not end within {HARD_TIMEOUT_S} s\nstdout: {exc.stdout!r}\nstderr: {exc.stderr!r}")
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert done.returncode == expected, f"exit {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    return done.stdout


def figure(out: str, name: str) -> int:
    match = re.search(rf"\b{name}=(\d+)", out)
    assert match, f"no {name}= in the output:\n{out}"
    return int(match.group(1))


def assert_invariants_reported(out: str) -> None:
    line = next((line for line in out.splitlines() if line.startswith("invariants hold: ")), None)
    assert line is not None, out
    for check in CHECKS:
        assert check in line, f"{check!r} missing from: {line}"


@pytest.mark.timeout(HARD_TIMEOUT_S + 30)
def test_concurrent_load_keeps_the_invariants() -> None:
    out = run_load()
    assert_invariants_reported(out)
    assert figure(out, "clients") == CLIENTS
    requests = figure(out, "requests")
    assert 0 < requests <= CLIENTS * SLIPS
    assert figure(out, "transport_errors") == 0
    assert figure(out, "placed_slips") > 0
    assert re.search(r"statuses: .*\b200=\d+", out), out
    assert re.search(r"statuses: .*\b4\d\d=\d+", out), "no slip was rejected: the load exercised only the happy path"


@pytest.mark.timeout(HARD_TIMEOUT_S + 30)
def test_sigkill_mid_load_loses_nothing_acknowledged() -> None:
    out = run_load("--crash")
    killed = re.search(r"killed the server \(SIGKILL\) after (\d+) requests", out)
    assert killed, out
    assert 0 < int(killed.group(1)) < CLIENTS * SLIPS, "the kill did not land in the middle of the load"
    assert "restarted the server on the same database" in out
    assert_invariants_reported(out)
    assert figure(out, "placed_slips") > 0


@pytest.mark.timeout(HARD_TIMEOUT_S + 30)
@pytest.mark.parametrize(("fault", "problem"), [
    ("stores-partial-slip", "partial slip stored"),
    ("ignores-idempotency-key", "stored twice"),
    ("overdraws", "negative balance"),
    ("debits-first-bet-only", "differ from the stored stakes"),
])
def test_invariant_checks_catch_a_faulty_reference(fault: str, problem: str) -> None:
    out = run_load("--fault", fault, expected=1)
    assert "INVARIANTS BROKEN" in out
    assert problem in out, out
