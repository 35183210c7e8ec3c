"""What every test process shares (and the processes the tests start inherit).

* ``ORDERPROOF_JOBS=1``: certify runs in the test's own process (tests monkeypatch it); the tests of a
  run in several processes pass ``--jobs`` themselves.
* One cache of generated cases for the whole test session and its pytest-xdist workers, in the
  temporary directory, not the user's cache (entries are keyed by the generation code's hash, so an
  old entry is never read by new code). Tests of the cache itself use their own directory.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("ORDERPROOF_JOBS", "1")
os.environ.setdefault("ORDERPROOF_CACHE_DIR", str(Path(tempfile.gettempdir()) / f"orderproof-tests-{os.getuid()}"))
