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

PROBE = Path(__file__).with_name("determinism_probe.py")
ROOT = Path(__file__).resolve().parents[2]


def probe(cwd: Path, cache: Path, pythonpath: str | None = None) -> subprocess.Popen:
    """The probe, started; ``cache``: a cache directory without pools, so that every process draws its
    cases (Hypothesis' Unicode tables, which do not decide any case, may be there)."""
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
    here = output(probe(ROOT, tmp_path / "cache-1"))
    wheel_like = tmp_path / "lib" / "site-packages"         # where a wheel would put orderproof
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                           "--no-index", "--target", str(wheel_like), str(ROOT)], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    for other in ("cache-2", "cache-3"):                     # the tables the first probe computed
        shutil.copytree(tmp_path / "cache-1" / "hypothesis", tmp_path / other / "hypothesis")
    elsewhere = probe(tmp_path, tmp_path / "cache-2")
    installed = probe(tmp_path, tmp_path / "cache-3", str(wheel_like))
    assert output(elsewhere) == here
    assert output(installed) == here
    count = int(here.split()[0])
    assert count > 300, here                                 # every API's shared pass took part
