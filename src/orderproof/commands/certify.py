"""``orderproof certify``: run every rule against a service and write the certificate.

Exit codes: 0 certified (every MUST rule passed; SHOULD failures are shown as warnings),
1 not certified (a MUST rule failed or could not be verified), 2 a usage error, a bad target file
or an unreachable target (one sentence on stderr), 3 an internal error in orderproof (one line;
``ORDERPROOF_DEBUG=1`` prints the traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import os
import sys
import traceback
from pathlib import Path
from typing import Any

from orderproof import registry
from orderproof.commands import jobs
from orderproof.core import masking
from orderproof.core.errors import UsageError
from orderproof.core.options import RunOptions, add_options
from orderproof.core.results import RunResult
from orderproof.engine import pools
from orderproof.engine.context import RunContext, build_context
from orderproof.report import certificate
from orderproof.report.directory import StagedReports
from orderproof.report.progress import Progress
from orderproof.report.replays import write_replays
from orderproof.report.terminal import print_summary
from orderproof.session.run import run_conformance

NAME = "certify"
HELP = ("Certify a service against the contracts and write junit.xml, allure-results/ and the "
        "certificate (default target: the embedded reference).")
INTERNAL_ERROR = 3
INTERRUPTED = 130
EPILOG = """exit codes:
  0    CERTIFIED: every MUST rule passed (SHOULD failures are printed as warnings)
  1    NOT CERTIFIED: a MUST rule failed or could not be verified
  2    usage error: a bad option, target file or URL, an unreachable target, an unwritable
       report directory (one sentence; the previous reports are untouched)
  3    internal error in orderproof (ORDERPROOF_DEBUG=1 shows the traceback)
  130  interrupted (the previous reports are untouched)

target file (--target-config, YAML; schema: src/orderproof/schemas/target.schema.json):
  base_url: https://staging.example.test
  apis:                          # the APIs the service implements (orderproof rules lists them)
    <api-name>:
      path: /the/operation       # default: the API's own path
      auth: {api_key: "${API_KEY}"}        # the API's credentials; ${ENV} is expanded
  provider_states: {url: https://staging.example.test/_orderproof/provider-states}
  fixtures: {"a player exists": [...]}     # without a hook: pre-provisioned answers, by state
  conventions: {<api-name>.<choice>: <option>}   # pin (orderproof rules --conventions)

replay a failure: orderproof replay REPORT_DIR RULE-ID, or REPORT_DIR/replay/RULE-ID.sh
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("target (at most one; none: the embedded reference, in process)")
    add_options(parser.add_argument, group=lambda name: target.add_argument if name == "target" else parser.add_argument)


def run(args: argparse.Namespace) -> int:
    share = os.environ.get(jobs.EVENTS_ENV) == "json"          # a share of a run in several processes
    progress = jobs.JsonEvents() if share else Progress()
    options = RunOptions.from_namespace(args, on_event=progress)
    masking.reset_registry()
    # The previous reports stay until this run has a verdict: it writes beside them and moves into
    # place at the end. A report directory that cannot be written is refused before any traffic.
    with StagedReports(options.report_dir) as stage:
        context = build_context(dataclasses.replace(options, report_dir=stage.path))
        try:
            processes = jobs.jobs_for(options)
            if processes > 1 and len(context.run_apis) > 1:
                processes = min(processes, len(context.run_apis))
                cert = _run_in_processes(context, options, progress, processes, stage.path)
            else:
                cert = _certify_here(context, options, progress)
        except jobs.JobsFailed as exc:               # a share of a run in several processes ended without a verdict
            if exc.code == 2:
                raise UsageError(str(exc)) from None
            if exc.code == INTERRUPTED:
                return _interrupted(options.report_dir)
            return _internal_error(exc, options.report_dir)
        except KeyboardInterrupt:
            return _interrupted(options.report_dir)
        except UsageError:
            raise
        except Exception as exc:                              # a bug in orderproof, not the user's
            return _internal_error(exc, options.report_dir)
        stage.commit()
    if share:
        return cert["exit_code"]
    print_summary(cert, options.report_dir, sys.stdout, names={
        "md": certificate.CERTIFICATE_MD, "json": certificate.CERTIFICATE_JSON, "junit": certificate.JUNIT,
        "allure": certificate.ALLURE_DIR})
    return cert["exit_code"]


def _run(context: RunContext, progress: Progress) -> RunResult:
    # pytest's own terminal report of the conformance items is not for the user: the progress
    # display and the table say it all (ORDERPROOF_DEBUG=1 shows it after the run).
    pytest_output = io.StringIO()
    try:
        with contextlib.redirect_stdout(pytest_output):
            result = run_conformance(context)
    finally:
        progress.close()
        if _debug():
            print(masking.mask_text(pytest_output.getvalue()), file=sys.stderr)
    # Last line of defence: the runner writes every report through orderproof.core.masking; this
    # pass re-masks every text file it wrote with the secrets learned during the run, in case
    # one reached a report some other way (captured logs, a library's own output).
    for written in (result.junit_path, result.allure_dir):
        masking.mask_tree(Path(written))
    return result


def _certify_here(context: RunContext, options: RunOptions, progress: Any) -> dict:
    """Certify in this process: the verdicts, the replay scripts and the certificate, written into
    the context's report directory."""
    report_dir = Path(context.options.report_dir)
    result = _run(context, progress)
    _write_replays(context, result, report_dir)
    cert = certificate.build_certificate(result, command=masking.mask_text(options.command(report_dir=True)))
    certificate.write_certificate(cert, report_dir)
    return cert


def _run_in_processes(context: RunContext, options: RunOptions, progress: Progress, processes: int,
                      stage: Path) -> dict:
    """The run's APIs shared among ``processes`` certify processes (:mod:`.jobs`), their reports joined."""
    run_apis, seed, total = context.run_apis, context.seed, len(context.catalogue.rules)
    # the shares are dealt by what each API will cost this time: less where its cases are cached
    costs = registry.certify_costs(run_apis, options.profile, cached=pools.cached_part(context))
    context.close()                     # each share resolves the target itself (its own embedded reference)

    progress.interleaved = True         # the shares' rules end in any order: each line names its API

    def here(share_options: RunOptions) -> int:
        return _certify_here(build_context(share_options), share_options, _Quiet())["exit_code"]

    try:
        return jobs.run_in_processes(options, run_apis, seed, processes, stage, progress, total, here, costs)
    finally:
        progress.close()


class _Quiet:
    """The progress of this process's share is the run's (its events go through the share's
    ``on_event``): nothing of its own to close."""

    def close(self) -> None:
        pass


def _write_replays(context: RunContext, result: RunResult, report_dir: Path) -> None:
    """The replay script of every failure (replay/), pointed at the certified service; for the
    embedded reference, at `orderproof serve` with the run's fault or variation."""
    target = context.target
    if target.embedded:
        switches = "".join(f" --{name} {value}" for name, value in (("fault", target.fault),
                                                                   ("variation", target.variation)) if value)
        base, hook, hint = None, None, f"; start one with: orderproof serve{switches}"
    else:
        base, hook, hint = target.base_url, target.provider_states_url, ""
    write_replays(result.results, report_dir, target=result.target, base_url=base, hook_url=hook, serve_hint=hint)


def _interrupted(report_dir: Path) -> int:
    print(f"orderproof certify: interrupted; the previous reports in {report_dir} are untouched", file=sys.stderr)
    return INTERRUPTED


def _debug() -> bool:
    return os.environ.get("ORDERPROOF_DEBUG", "") not in ("", "0")


def _internal_error(exc: BaseException, report_dir: Path) -> int:
    message = masking.mask_text(" ".join(f"{type(exc).__name__}: {exc}".split()))
    message += f"; the previous reports in {report_dir} are untouched"
    if _debug():
        print(masking.mask_text(traceback.format_exc()), file=sys.stderr, end="")
        print(f"orderproof certify: internal error: {message}", file=sys.stderr)
    else:
        print(f"orderproof certify: internal error: {message} "
              "(rerun with ORDERPROOF_DEBUG=1 to see the traceback, and please report it)", file=sys.stderr)
    return INTERNAL_ERROR
