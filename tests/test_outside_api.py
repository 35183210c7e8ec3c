"""An API orderproof does not ship plugs in from outside ``src/``: the package in
``tests/outside_api`` (spec, contract, adapter, checks, a tiny service with one fault) is installed
into a temporary directory, registered by its ``orderproof.apis`` entry point, listed by
``orderproof rules`` and certified end to end; its fault is caught by the rule it breaks."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orderproof import registry
from orderproof.engine.target import served
from tests import SEED

pytestmark = pytest.mark.slow          # pip installs the outside package; certify processes

PACKAGE = Path(__file__).resolve().parent / "outside_api"
SLUG = "voucher-order"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The package built and installed with pip into a directory of its own (no network: the build
    backend is one of the test dependencies)."""
    target = tmp_path_factory.mktemp("outside-api")
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(target), str(PACKAGE)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return target


def orderproof(installed: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(installed), os.environ.get("PYTHONPATH")])),
           "CI": "true"}
    return subprocess.run([sys.executable, "-m", "orderproof", *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def service(installed):
    """The package's tiny service (``app.py``, from where pip put it), loaded on its own: importing
    the package would register its checks in this process, where orderproof knows five APIs."""
    spec = importlib.util.spec_from_file_location("voucher_service", installed / "voucher_api" / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.create_app


def target_file(tmp_path: Path, base_url: str) -> Path:
    path = tmp_path / "target.yaml"
    path.write_text(f"base_url: {base_url}\napis:\n  {SLUG}: null\n"
                    f"provider_states:\n  url: {base_url}/_orderproof/provider-states\n", encoding="utf-8")
    return path


def test_without_the_package_orderproof_knows_only_its_own_apis():
    assert SLUG not in registry.slugs()


def test_its_rules_are_listed(installed):
    proc = orderproof(installed, "rules", "--api", SLUG, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    listed = json.loads(proc.stdout)
    assert [row["id"] for row in listed["rules"]] == ["VO-SCHEMA", "VO-NO-5XX", "VO-NEGATIVE", "VO-POSITIVE",
                                                      "VO-ECHO", "VO-REFUSED-ISSUES-NOTHING"]
    assert listed["contracts"][0]["contract"] == "voucher_api/contract.yaml"
    every = orderproof(installed, "rules", "--format", "json")
    assert {row["api"] for row in json.loads(every.stdout)["rules"]} >= {SLUG, "bet-placement"}


def certify(installed: Path, tmp_path: Path, app) -> tuple[subprocess.CompletedProcess, dict]:
    with served(app) as base_url:
        proc = orderproof(installed, "certify", "--target-config", str(target_file(tmp_path, base_url)),
                          "--profile", "quick", "--seed", str(SEED), "--rate-limit", "0", "--report-dir",
                          str(tmp_path / "reports"))
    certificate = json.loads((tmp_path / "reports" / "certificate.json").read_text(encoding="utf-8"))
    return proc, {rule["rule_id"]: rule["verdict"] for rule in certificate["rules"]}


def test_a_correct_service_is_certified(installed, service, tmp_path):
    proc, verdicts = certify(installed, tmp_path, service())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(verdicts.values()) == {"PASS"} and len(verdicts) == 6, verdicts


def test_its_fault_is_caught_by_the_rule_it_breaks(installed, service, tmp_path):
    proc, verdicts = certify(installed, tmp_path, service(fault="amount-rounded-to-euros"))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert {rule for rule, verdict in verdicts.items() if verdict != "PASS"} == {"VO-ECHO"}
    summary = proc.stdout.split("\n  FAIL VO-ECHO (MUST) ", 1)[1]            # the failure, after the table
    assert "the voucher's amount is not the request's" in " ".join(summary.split())
