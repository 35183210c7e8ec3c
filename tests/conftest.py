"""What every test process shares (and the processes the tests start inherit).

* ``ORDERPROOF_JOBS=1``: certify runs in the test's own process (tests monkeypatch it); the tests of a
  run in several processes pass ``--jobs`` themselves.
* One cache of generated cases for the whole test session and its pytest-xdist workers, in the
  temporary directory, not the user's cache (entries are keyed by the generation code's hash, so an
  old entry is never read by new code). Tests of the cache itself use their own directory.
* ``-n auto`` starts one pytest-xdist worker more than the cores this process may use (unless
  ``PYTEST_XDIST_AUTO_NUM_WORKERS`` says otherwise): many tests wait on a served reference that
  sleeps on purpose, a hanging target or a process they started, and a third worker keeps two cores
  busy meanwhile (all tests on 2 cores: 202 s with 3 workers, 217 s with 2, 217 s with 4). Idle
  workers take queued tests from busy ones (``--dist worksteal`` unless a ``--dist`` is given).
* Bytecode caches, also where ``PYTHONDONTWRITEBYTECODE`` is set: pytest rewrites the asserts of every
  module of a package that provides a pytest plugin (Schemathesis, Hypothesis, orderproof: about 6 s
  per process), and the tests start some twenty pytest and CLI processes. Where the environment asks
  for no bytecode files beside the sources, they go to a directory of their own in the temporary
  directory (``sys.pycache_prefix``, or ``PYTHONPYCACHEPREFIX`` where set), written once and read by
  every later process.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("ORDERPROOF_JOBS", "1")
os.environ.setdefault("ORDERPROOF_CACHE_DIR", str(Path(tempfile.gettempdir()) / f"orderproof-tests-{os.getuid()}"))

if sys.dont_write_bytecode:
    _PYCACHE = sys.pycache_prefix or str(Path(tempfile.gettempdir()) / f"orderproof-tests-{os.getuid()}-pycache")
    sys.pycache_prefix, sys.dont_write_bytecode = _PYCACHE, False
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = _PYCACHE


@pytest.hookimpl(optionalhook=True)            # a pytest-xdist hook: unknown where xdist is not loaded
def pytest_xdist_auto_num_workers(config) -> int | None:
    """``-n auto``: the usable cores and one more (see the module's docstring)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None                                       # pytest-xdist reads it
    from orderproof.core.limits import usable_cores

    return usable_cores() + 1


def pytest_configure(config) -> None:
    """With ``-n``, idle workers take queued tests from busy ones (unless ``--dist`` says otherwise)."""
    chosen = any(arg == "--dist" or arg.startswith(("--dist=", "-d")) for arg in config.invocation_params.args)
    if getattr(config.option, "dist", None) == "load" and not chosen:
        config.option.dist = "worksteal"
