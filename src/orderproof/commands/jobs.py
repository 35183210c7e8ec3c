"""``certify`` in several processes: the run's APIs are dealt to ``--jobs`` processes (the shares of
``--shard``): share 1 in this process, each other the ``--shard I/N`` of the run with its seed, in a
fork of this process on Linux (elsewhere an ``orderproof certify --shard I/N`` of its own), and their
reports are joined into the run's (:func:`orderproof.report.merge.join`). Shards of one run reach the
verdicts of one process (tests/commands/test_shard.py proves it), and share nothing but the target:
each has its own embedded reference, or sends to the same service at its share of the rate limit.

A share reports progress to this process as JSON lines on its stdout (``ORDERPROOF_EVENTS=json``);
its own summary is not printed. A share that is refused (exit 2) or breaks (exit 3) ends the run
the same way, with its message.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orderproof import registry
from orderproof.core import masking
from orderproof.core.errors import UsageError
from orderproof.core.limits import usable_cores
from orderproof.core.options import RunOptions
from orderproof.core.shard import Shard, share
from orderproof.report.merge import Part, check_one_run, join, read_part

__all__ = ["EVENTS_ENV", "JsonEvents", "JobsFailed", "jobs_for", "run_in_processes"]

EVENTS_ENV = "ORDERPROOF_EVENTS"
JOBS_ENV = "ORDERPROOF_JOBS"            # the default of --jobs
# A share starts as a fork of this process where that is safe and usual (Linux); elsewhere as a new
# interpreter running `orderproof certify --shard I/N`.
FORK = sys.platform.startswith("linux")


def jobs_for(options: RunOptions) -> int:
    """How many processes a run may take (never more than its APIs): ``--jobs``, else
    ``$ORDERPROOF_JOBS``, else one per core for the embedded reference (a URL target keeps one: its
    rate limit, not the suite, sets the pace)."""
    if options.shard is not None or os.environ.get(EVENTS_ENV):
        return 1                              # a share runs in one process
    if options.jobs is not None:
        return max(1, options.jobs)
    if os.environ.get(JOBS_ENV, "").strip().isdigit():
        return max(1, int(os.environ[JOBS_ENV]))
    if options.external or options.max_requests is not None:
        return 1
    return usable_cores()


class JsonEvents:
    """``on_event`` of a share: each event one JSON line on stdout, for the process that started it."""

    def __init__(self, stream: Any = None):
        if stream is None:
            # pytest captures file descriptor 1 while a rule runs: a duplicate taken now still
            # reaches the parent's pipe
            try:
                stream = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1, encoding="utf-8")
            except (AttributeError, OSError, ValueError):
                stream = sys.stdout
        self.stream = stream
        self._lock = threading.Lock()

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        line = json.dumps({"kind": kind, "data": data}, default=lambda value: getattr(value, "value", str(value)))
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def close(self) -> None:
        pass


class JobsFailed(Exception):
    """A share ended without a verdict: ``code`` 2 (refused), 3 (broke) or 130 (interrupted)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


@dataclass
class _Share:
    index: int
    apis: tuple[str, ...]
    report_dir: Path
    process: subprocess.Popen | None = None
    stderr: list[str] = field(default_factory=list)


def _words(options: RunOptions, seed: int, shard: Shard, report_dir: Path, jobs: int) -> list[str]:
    words = options.command_words()[2:]
    if options.requests_per_second:                    # the run's rate, shared
        at = words.index("--rate-limit") if "--rate-limit" in words else None
        if at is not None:
            del words[at:at + 2]
        words += ["--rate-limit", f"{options.requests_per_second / jobs:g}"]
    for api in options.apis:
        words += ["--api", api]
    if options.no_cache:
        words.append("--no-cache")
    # the cores are taken by the shares: each draws its cases in its own process only
    return words + ["--seed", str(seed), "--shard", str(shard), "--report-dir", str(report_dir), "--jobs", "1"]


def run_in_processes(options: RunOptions, run_apis: tuple[str, ...], seed: int, jobs: int, stage: Path,
                     on_event: Callable[[str, dict], None], total: int,
                     here: Callable[[RunOptions], int], costs: dict[str, float] | None = None) -> dict[str, Any]:
    """Certify the run in ``jobs`` processes: share 1 in this one (``here(options)`` certifies the
    share its options name and writes its reports), the others each in a process started first.
    Write the joined reports into ``stage`` and return the certificate. ``costs``: the seconds each
    API is expected to take (default: the adapters' first-run costs). Raises :class:`JobsFailed`
    when a share ends without a verdict."""
    if costs is None or not FORK:        # a new interpreter deals by the adapters' costs: so must this one
        costs = registry.certify_costs(run_apis, options.profile)
    options = dataclasses.replace(options, share_costs=costs)
    shares = [_Share(index, share(run_apis, Shard(index, jobs), costs), stage / f".share-{index}")
              for index in range(1, jobs + 1)]

    def share_options(part: _Share) -> RunOptions:
        return dataclasses.replace(options, seed=seed, shard=Shard(part.index, jobs), jobs=1,
                                   report_dir=part.report_dir)

    relay = _Relay(on_event, total)
    threads = []
    codes: list[int] = []
    try:
        for part in shares[1:]:
            if FORK:
                part.process = _Forked(here, share_options(part))
            else:
                env = {**os.environ, EVENTS_ENV: "json",
                       "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
                command = [sys.executable, "-m", "orderproof", "certify",
                           *_words(options, seed, Shard(part.index, jobs), part.report_dir, jobs)]
                part.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                                text=True, encoding="utf-8", errors="replace")
            threads += [threading.Thread(target=relay.read, args=(part.process.stdout,), daemon=True),
                        threading.Thread(target=_collect, args=(part.process.stderr, part.stderr), daemon=True)]
        for thread in threads:
            thread.start()
        codes.append(here(dataclasses.replace(share_options(shares[0]), on_event=relay.event)))
        codes += [part.process.wait() for part in shares[1:]]
        for thread in threads:
            thread.join()
    except BaseException:
        for part in shares:
            if part.process is not None and part.process.poll() is None:
                part.process.kill()
        raise
    for part, code in zip(shares, codes, strict=True):
        if code not in (0, 1):
            line = next((line for line in reversed(part.stderr) if line.strip()), f"exit code {code}")
            message = line.split(": error: ", 1)[-1].split("; the previous reports", 1)[0].strip()
            if code == 2:
                raise JobsFailed(2, message)
            raise JobsFailed(code if code == 130 else 3,
                             f"the process certifying {', '.join(part.apis)} ended without a verdict: {message}")
    parts: list[Part] = []
    try:
        parts = [read_part(part.report_dir) for part in shares]
        check_one_run(parts)
    except UsageError as exc:
        raise JobsFailed(3, f"the shares' reports could not be joined: {exc}") from None
    for part in parts:                   # a failure's replay command names the run's report directory
        for rule in part.cert["rules"]:
            replay = (rule.get("evidence") or {}).get("replay") or {}
            if replay.get("command"):
                replay["command"] = replay["command"].replace(f"--report-dir {shlex.quote(str(part.path))}",
                                                              f"--report-dir {shlex.quote(str(options.report_dir))}")
    return join(parts, stage, run_id=options.run_id, merged_from=None,
                replay=f"{options.command(report_dir=True)} "
                       f"{' '.join(f'--api {api}' for api in run_apis)} --seed {seed}")


class _Forked:
    """A share certified in a child of this process (``os.fork``): it starts with every module this
    process imported (a new interpreter takes about 2 s to import Schemathesis, Hypothesis, FastAPI
    and pytest), and is watched as a ``subprocess.Popen`` is: its events are JSON lines on
    ``stdout``, its refusal or error a line on ``stderr``, its exit code the share's."""

    def __init__(self, here: Callable[[RunOptions], int], options: RunOptions):
        out_read, out_write = os.pipe()
        err_read, err_write = os.pipe()
        for stream in (sys.stdout, sys.stderr):         # nothing buffered here is written twice
            stream.flush()
        self.pid = os.fork()
        if self.pid == 0:                                # the child: never returns
            os.close(out_read)
            os.close(err_read)
            os._exit(_certify_share(here, options, out_write, err_write))
        os.close(out_write)
        os.close(err_write)
        self.stdout = os.fdopen(out_read, "r", encoding="utf-8", errors="replace")
        self.stderr = os.fdopen(err_read, "r", encoding="utf-8", errors="replace")
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            _, status = os.waitpid(self.pid, 0)
            self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _certify_share(here: Callable[[RunOptions], int], options: RunOptions, events: int, errors: int) -> int:
    """In a forked child: certify the share, its events to ``events``, a refusal or an error to
    ``errors``; the exit code of ``orderproof certify`` (0, 1, 2 refused, 3 broke, 130 interrupted)."""
    code = 3
    try:
        # stdout is the events pipe (a stray line on it is skipped as no event), stderr the errors'
        os.dup2(events, 1)
        os.dup2(errors, 2)
        os.close(events)
        os.close(errors)
        sys.stdout = open(1, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)   # noqa: SIM115
        sys.stderr = open(2, "w", encoding="utf-8", errors="replace", buffering=1, closefd=False)   # noqa: SIM115
        os.environ[EVENTS_ENV] = "json"
        code = here(dataclasses.replace(options, on_event=JsonEvents()))
    except UsageError as exc:
        print(f"orderproof certify: error: {exc}", file=sys.stderr)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which ends the run with it
        print(masking.mask_text(f"orderproof certify: internal error: {type(exc).__name__}: {exc}"), file=sys.stderr)
        code = 3
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
    return code


class _Relay:
    """The shares' events as one run's: a rule's position is the count of rules ended so far."""

    def __init__(self, on_event: Callable[[str, dict], None], total: int):
        self.on_event = on_event
        self.total = total
        self.lock = threading.Lock()
        self.ended = 0

    def read(self, stream: Any) -> None:
        """A share's JSON lines."""
        for line in stream:
            try:
                event = json.loads(line)
                kind, data = event["kind"], dict(event["data"])
            except (ValueError, KeyError, TypeError):
                continue
            self.event(kind, data)

    def event(self, kind: str, data: dict[str, Any]) -> None:
        """One event of any share (this process's own share calls it directly)."""
        data = dict(data)
        with self.lock:
            if kind in ("rule-start", "rule-end"):
                self.ended += kind == "rule-end"
                data["index"] = self.ended + (kind == "rule-start")
                data["total"] = self.total
            self.on_event(kind, data)


def _collect(stream: Any, lines: list[str]) -> None:
    for line in stream:
        lines.append(line.rstrip("\n"))
