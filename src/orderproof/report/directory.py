"""The report directory, replaced whole or not at all.

A run writes its reports into a staging directory beside them (``<report-dir>/.run-<id>/``) and moves
them into place only when it ends with a verdict. A refused run (a bad target, a bad option), an
interrupted one (Ctrl-C) or one that fails inside orderproof leaves the previous reports as they were,
and removes its staging directory. A report directory that cannot be written is a usage error
before anything is sent.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

from orderproof.core.errors import UsageError

__all__ = ["REPORT_ITEMS", "StagedReports"]

# What a run writes (every other file in the report directory is the user's, and stays).
REPORT_ITEMS = ("junit.xml", "allure-results", "certificate.json", "certificate.md", "replay")


class StagedReports:
    """``with StagedReports(report_dir) as stage: ... stage.commit()``: write into ``stage.path``;
    without ``commit`` (an exception, an interrupt) the previous reports stay untouched."""

    def __init__(self, report_dir: Path):
        self.report_dir = Path(report_dir)
        self.path = self.report_dir / f".run-{uuid.uuid4().hex[:12]}"
        self._created_dir = False

    def __enter__(self) -> StagedReports:
        where = f"--report-dir {self.report_dir}"
        if self.report_dir.exists() and not self.report_dir.is_dir():
            raise UsageError(f"{where} is a file, not a directory")
        try:
            self._created_dir = not self.report_dir.exists()
            self.report_dir.mkdir(parents=True, exist_ok=True)
            self.path.mkdir()
            probe = self.path / ".writable"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            self.discard()
            raise UsageError(f"{where} cannot be written: {exc.strerror or exc}") from None
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.discard()

    def commit(self) -> None:
        """Move this run's reports into place, each replacing the previous one of its name."""
        for name in REPORT_ITEMS:
            new, old = self.path / name, self.report_dir / name
            if old.is_dir() and not old.is_symlink():
                retired = self.path / f".old-{name}"
                os.replace(old, retired)
            elif old.exists() or old.is_symlink():
                old.unlink()
            if new.exists():
                os.replace(new, old)
        self._created_dir = False

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
        if self._created_dir:               # a refused first run leaves no empty report directory
            try:
                self.report_dir.rmdir()
            except OSError:
                pass
            self._created_dir = False
