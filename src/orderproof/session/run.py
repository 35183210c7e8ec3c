"""A whole run: the conformance items collected and run by pytest (JUnit XML and allure-results
written by pytest's own machinery), the verdicts gathered by :class:`~.collector.ResultCollector`.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from orderproof.catalogue import load_catalogue
from orderproof.core import masking
from orderproof.core.options import RunOptions
from orderproof.core.results import RunResult
from orderproof.engine.context import RunContext, build_context
from orderproof.session.collector import CONFORMANCE_MODULE, ResultCollector

__all__ = ["run_conformance"]


def run_conformance(run: RunOptions | RunContext) -> RunResult:
    """Run the conformance items through pytest and return the verdicts. Given options, the context
    is built first, so usage errors (a bad target, an unknown API) surface as
    :class:`~orderproof.core.errors.UsageError` before pytest starts. The context is closed at the end."""
    context = run if isinstance(run, RunContext) else build_context(run)
    options = context.options
    report_dir = Path(options.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    junit = report_dir / "junit.xml"
    allure_dir = report_dir / "allure-results"
    collector = ResultCollector(context, options.on_event)
    started = datetime.now(timezone.utc)
    args = [str(CONFORMANCE_MODULE), "-p", "no:cacheprovider", "-q", "--no-header",
            "--noconftest",                           # no conftest of the user's project takes part
            "--assert=plain",                         # verdicts are not asserts: rewriting ~160 modules costs ~1 s
            "-p", "no:randomly",
            "-p", "no:xdist",                         # one process (certify --jobs shares a run by API)
            "-p", "no:unraisableexception",           # its five full garbage collections at the end cost ~0.3 s
            "--junitxml", str(junit), "-o", "junit_family=xunit2",
            "-o", "junit_suite_name=orderproof", "-o", "addopts=", "--rootdir", str(report_dir),
            "--alluredir", str(allure_dir)]
    addopts = os.environ.pop("PYTEST_ADDOPTS", None)   # the user's pytest options are not this run's (-n, -x, ...)
    try:
        code = pytest.main(args, plugins=[collector])
    finally:
        if addopts is not None:
            os.environ["PYTEST_ADDOPTS"] = addopts
        context.close()
    finished = datetime.now(timezone.utc)
    if code == pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        raise RuntimeError(f"the conformance run did not complete (pytest exit code {int(code)})")
    if allure_dir.is_dir():
        masking.mask_tree(allure_dir, context.secrets.values())
    if junit.is_file():
        _mask_file(junit, context)
    return RunResult(results=collector.results, target=context.secrets.mask_text(context.target.description),
                     apis=tuple(context.catalogue.apis), profile=context.profile.name, seed=context.seed,
                     run_id=context.run_id, started=started, finished=finished, junit_path=junit,
                     allure_dir=allure_dir, spec_sha256=_file_hashes(context),
                     conventions=context.conventions.report(context.catalogue.apis), shard=_shard(context))


def _file_hashes(context: RunContext) -> dict[str, str]:
    """The specs and contracts of the run; a shard names those of the whole run (merge-reports
    refuses shards that ran different files)."""
    if context.options.shard is None:
        return context.catalogue.file_hashes()
    return load_catalogue(context.run_apis).file_hashes()


def _shard(context: RunContext) -> dict | None:
    shard = context.options.shard
    if shard is None:
        return None
    return {"index": shard.index, "count": shard.count, "apis": list(context.run_apis),
            "command": context.secrets.mask_text(context.options.command())}


def _mask_file(path: Path, context: RunContext) -> None:
    text = path.read_text(encoding="utf-8")
    masked = masking.mask_text(text, context.secrets.values())
    if masked != text:
        path.write_text(masked, encoding="utf-8")
