"""``orderproof replay`` and the replay scripts, end to end: a certify run with a faulty reference
writes ``replay/<RULE>.sh``; the script, run with bash and curl against a served faulty reference,
exits 1 ("FAIL again"), against the clean reference 0; ``orderproof replay DIR RULE`` does the same
from the recording; usage errors are exit 2 with one sentence, an unreplayable scenario exit 3."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from orderproof.cli import main
from orderproof.commands.replay import _offline_context
from orderproof.core import masking
from orderproof.core.options import RunOptions
from orderproof.engine.target import served
from orderproof.reference import create_app
from tests import SEED

pytestmark = pytest.mark.skipif(shutil.which("curl") is None or shutil.which("bash") is None,
                                reason="the replay scripts need bash and curl")

FAULT, RULE, API = "payout-without-stake", "BP-PAYOUT", "bet-placement"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("reports")
    code = main(["certify", "--fault", FAULT, "--api", API, "--profile", "quick", "--seed", str(SEED),
                 "--report-dir", str(directory)])
    assert code == 1
    return directory


def run_script(script: Path, base_url: str, work: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "BASE_URL": base_url, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("HOOK_URL", None)
    if work is not None:
        env["WORK"] = str(work)
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
def test_the_script_fails_again_on_the_faulty_service_and_passes_on_the_clean_one(report):
    script = report / "replay" / f"{RULE}.sh"
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/usr/bin/env bash") and os.access(script, os.X_OK)
    assert "provider state 'a player exists'" in text and "POST /bet" in text
    with served(create_app(fault=FAULT)) as faulty:
        again = run_script(script, faulty)
    assert again.returncode == 1, again.stdout + again.stderr
    assert f"FAIL again: {RULE}" in again.stdout and "potentialPayout" in again.stdout
    with served(create_app()) as clean:
        work = report.parent / "answers" / "not-made-yet"             # a WORK directory the script makes
        fixed = run_script(script, clean, work)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert (work / "salt").is_file()
    assert f"no longer fails: {RULE}" in fixed.stdout


def test_no_secret_is_written_to_the_replay_files(report):
    secrets = [v for v in masking.registry().values() if len(v) >= masking.MIN_SECRET_LENGTH]
    assert secrets                                   # the run learned its API key and session tokens
    files = [path for path in (report / "replay").rglob("*") if path.is_file()]
    assert len(files) >= 4
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not [secret for secret in secrets if secret in text], path


def test_replay_command_against_the_certified_target_and_another(report, tmp_path, capsys):
    assert main(["replay", str(report), RULE]) == 1                 # the certified embedded faulty reference
    assert f"FAIL again: {RULE}" in capsys.readouterr().out
    with served(create_app()) as clean:
        config = tmp_path / "target.yaml"
        config.write_text(f"base_url: {clean}\napis:\n  bet-placement: {{}}\nprovider_states:\n  url: {clean}/_orderproof/provider-states\n")
        assert main(["replay", str(report), RULE, "--target-config", str(config)]) == 0
    assert f"no longer fails: {RULE}" in capsys.readouterr().out


def test_a_target_without_provider_states_cannot_replay_it(report, capsys):
    with served(create_app()) as clean:
        assert main(["replay", str(report), RULE, "--target-url", clean]) == 3
    captured = capsys.readouterr()
    assert "NOT REPLAYED" in captured.out and "provider-state hook" in captured.err


@pytest.mark.parametrize("args, message", [
    (["BP-NOPE"], "no replay of BP-NOPE in"),
    (["--answers", "/nonexistent/work", RULE], "is not a directory"),
])
def test_usage_errors_are_one_sentence_and_exit_2(report, capsys, args, message):
    argv = ["replay", str(report), *args] if args[0] != "--answers" else ["replay", str(report), RULE, *args[:2]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_run_recorded_by_another_version_is_not_replayed(report, tmp_path, capsys):
    """Another version may ask other draws of the scenario, and a scenario that goes another way would
    read as "no longer fails": the replay says which version to use instead, and sends nothing."""
    copy = tmp_path / "reports"
    shutil.copytree(report, copy)
    path = copy / "certificate.json"
    cert = json.loads(path.read_text(encoding="utf-8"))
    cert["suite"]["version"] = "0.0.1"
    path.write_text(json.dumps(cert), encoding="utf-8")
    assert main(["replay", str(copy), RULE]) == 3
    captured = capsys.readouterr()
    assert f"NOT REPLAYED: {RULE}" in captured.out
    assert "recorded by orderproof 0.0.1" in captured.err and "pip install orderproof==0.0.1" in captured.err
    assert main(["replay", str(copy), RULE, "--answers", str(tmp_path)]) == 3      # the script's judge alike


def test_a_directory_without_a_certificate_is_exit_2(tmp_path, capsys):
    assert main(["replay", str(tmp_path), RULE]) == 2
    assert "holds no readable certificate.json" in capsys.readouterr().err


# One fault per kind of scenario a script must carry: provider states and a snapshot, requests sent
# at the same time, a signed request, a sportsbook order, a travel order with a numeric member id.
SCRIPTED = [("idempotency-race", "bet-placement", "BP-IDEMPOTENT-RACE"),
            ("skips-signature", "jackpot-ticket", "JT-AUTH"),
            ("jt-wht-on-gross", "jackpot-ticket", "JT-WHT-RATE"),
            ("reserve-status-open", "superbet-reserve", "SR-STATE"),
            ("stores-rejected-order", "sportsbook-order", "SO-REJECT-NOTHING"),
            ("seven-digit-dates-rejected", "travel-order", "TO-POSITIVE")]


@pytest.mark.slow
@pytest.mark.parametrize("fault, api, rule", SCRIPTED, ids=[rule for _, _, rule in SCRIPTED])
def test_every_kind_of_scenario_replays_from_its_script(tmp_path, fault, api, rule):
    code = main(["certify", "--fault", fault, "--api", api, "--profile", "quick", "--seed", str(SEED),
                 "--report-dir", str(tmp_path)])
    assert code in (0, 1)                     # 0: a SHOULD rule failed, certified with a warning
    script = tmp_path / "replay" / f"{rule}.sh"
    assert script.is_file(), sorted(p.name for p in (tmp_path / "replay").iterdir())
    # A race reproduces only when the script's concurrent curl processes reach the service within the
    # fault's window; on a loaded machine one launch can come too late, so the race gets three tries
    # (each on a fresh faulty service). Every other kind, and the clean service, get one.
    for _ in range(3 if fault == "idempotency-race" else 1):
        with served(create_app(fault=fault)) as faulty:
            again = run_script(script, faulty)
        if again.returncode == 1:
            break
    with served(create_app()) as clean:
        fixed = run_script(script, clean)
    assert (again.returncode, fixed.returncode) == (1, 0), again.stdout + again.stderr + fixed.stdout + fixed.stderr
    assert f"FAIL again: {rule}" in again.stdout and f"no longer fails: {rule}" in fixed.stdout


def test_an_offline_replay_judges_under_the_runs_pinned_conventions(tmp_path):
    """The replay script's offline judge (``--answers``) holds the target to what the run pinned: a
    pin lost there would call a pinned FAIL fixed."""
    options = RunOptions(apis=("sportsbook-order",), conventions={"sportsbook-order.rejection": "http-200"})
    answers = tmp_path / "answers"
    answers.mkdir()
    context = _offline_context(options, tmp_path / "steps", answers, 1)
    try:
        assert context.conventions.pinned == {"sportsbook-order.rejection": "http-200"}
    finally:
        context.close()
