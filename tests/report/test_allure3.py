"""The Allure results as a reader sees them: rendered with Allure 3 (``npx allure generate``), the
report's own data files show the tree grouped API > rule, a MUST failure failed (critical), a SHOULD
failure broken (minor) and the overall status failed, not a green ring. Needs Node.js and the npm
registry, as CI has; without npx the test says so and skips."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from orderproof.catalogue import load_catalogue
from orderproof.cli import main
from tests import SEED

pytestmark = pytest.mark.slow          # Allure 3 through npx

ALLURE = "allure@3"
API = "bet-placement"


@pytest.mark.skipif(shutil.which("npx") is None, reason="Allure 3 runs with npx (Node.js), not found here")
def test_allure3_renders_api_then_rule_and_a_warning_that_is_not_green(tmp_path):
    reports = tmp_path / "reports"
    # payout-without-stake breaks BP-PAYOUT (MUST) and BP-PAYOUT-PRECISION (SHOULD); the variation bp-key-optional warns on BP-KEY-REQUIRED (SHOULD)
    assert main(["certify", "--api", API, "--fault", "payout-without-stake", "--variation", "bp-key-optional",
                 "--profile", "quick", "--seed", str(SEED), "--report-dir", str(reports)]) == 1
    proc = subprocess.run(["npx", "--yes", ALLURE, "generate", str(reports / "allure-results"), "-o",
                           str(tmp_path / "site")], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    tree = json.loads((tmp_path / "site" / "widgets" / "tree.json").read_text(encoding="utf-8"))
    summary = json.loads((tmp_path / "site" / "summary.json").read_text(encoding="utf-8"))

    groups = list(tree["groupsById"].values())
    assert [group["name"] for group in groups] == [API]                       # API ...
    leaves = {leaf["name"].split(":")[0]: leaf for leaf in tree["leavesById"].values()}
    assert set(leaves) == {rule.id for rule in load_catalogue([API]).rules}   # ... then one leaf per rule
    assert (leaves["BP-PAYOUT"]["status"], leaves["BP-PAYOUT"]["severity"]) == ("failed", "critical")
    assert (leaves["BP-KEY-REQUIRED"]["status"], leaves["BP-KEY-REQUIRED"]["severity"]) == ("broken", "minor")
    assert (leaves["BP-PAYOUT-PRECISION"]["status"], leaves["BP-PAYOUT-PRECISION"]["severity"]) == ("broken", "minor")
    assert groups[0]["statistic"] == {"total": len(leaves), "passed": len(leaves) - 3, "failed": 1, "broken": 2}
    assert summary["status"] == "failed" and summary["stats"]["broken"] == 2
