"""``--seed N`` repeats a run exactly: the same cases in the same order, whether orderproof is
installed editable or as a wheel (in a site-packages directory) and from whichever directory it runs.
Each run is a fresh process (``determinism_probe.py`` prints the count and sha256 of every case the
shared passes send). Without ``core.profiles.seed_alone`` the wheel install sent 461 cases where the
editable one sent 469: Hypothesis drew literals from orderproof's own source when it was "local"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow          # two processes that draw every quick pool

PROBE = Path(__file__).with_name("determinism_probe.py")
ROOT = Path(__file__).resolve().parents[2]


def probe(cwd: Path, cache: Path, pythonpath: str | None = None) -> subprocess.Popen:
    """The probe, started; ``cache``: a cache directory without pools, so that every process draws its
    cases (Hypothesis' Unicode tables, which do not decide any case, are copied from the test session's
    cache when it has them)."""
    tables = Path(os.environ["ORDERPROOF_CACHE_DIR"]) / "hypothesis"
    if tables.is_dir():
        shutil.copytree(tables, cache / "hypothesis")
    assert not (cache / "pools").exists()
    env = {**os.environ, "ORDERPROOF_CACHE_DIR": str(cache)}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.Popen([sys.executable, str(PROBE), "7"], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def output(proc: subprocess.Popen) -> str:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    return out.strip().splitlines()[-1]


def test_one_seed_sends_the_same_cases_from_any_directory_and_either_install(tmp_path):
    """An editable install run from the repository and a wheel-like install run from elsewhere (both
    differences at once, in two processes side by side) send the same cases for one seed."""
    wheel_like = tmp_path / "lib" / "site-packages"         # where a wheel would put orderproof
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(wheel_like), str(ROOT)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    here = probe(ROOT, tmp_path / "cache-1")
    elsewhere_installed = probe(tmp_path, tmp_path / "cache-2", str(wheel_like))
    expected, found = output(here), output(elsewhere_installed)
    assert found == expected, ("the wheel install run from another directory sent other cases than the editable "
                               "install run from the repository")
    count = int(expected.split()[0])
    assert count > 300, expected                             # every API's shared pass took part
