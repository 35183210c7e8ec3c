"""The five specs are clean under an outside linter: Redocly CLI 2 with its recommended ruleset
(`npx @redocly/cli lint`) reports no error; its warnings are printed (``-s`` shows them).
Needs Node.js and the npm registry, as CI has; without npx the test says so and skips."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from orderproof import registry
from orderproof.reference import IMPLEMENTED

pytestmark = pytest.mark.slow          # Redocly CLI through npx

REDOCLY = "@redocly/cli@2"


@pytest.mark.skipif(shutil.which("npx") is None, reason="Redocly CLI runs with npx (Node.js), not found here")
@pytest.mark.parametrize("slug", IMPLEMENTED)
def test_redocly_recommended_ruleset_reports_no_error(slug, tmp_path):
    spec = registry.get(slug).spec_path
    proc = subprocess.run(["npx", "--yes", REDOCLY, "lint", str(spec), "--format=json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    start = proc.stdout.find("{")
    assert start >= 0, f"no report from Redocly (exit {proc.returncode}): {proc.stderr[-2000:]}"
    report = json.loads(proc.stdout[start:])
    problems = [f"{p['severity']}: {p['ruleId']}: {p['message']} ({p['location'][0]['pointer']})"
                for p in report["problems"]]
    print(f"\n{slug}: {report['totals']['errors']} error(s), {report['totals']['warnings']} warning(s)",
          *problems, sep="\n  ")
    assert report["totals"]["errors"] == 0, "\n".join(problems)
