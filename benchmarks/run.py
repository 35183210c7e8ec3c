"""Benchmarks of orderproof against its embedded reference and vanilla Schemathesis, on loopback only.

Measures, in one bounded run, and writes ``benchmarks/RESULTS.md`` (and prints the same tables):

* ``certify`` per profile: total time and cases per second, in process, served on loopback
  (``--serve``) and against a separate ``orderproof serve`` process (the same server vanilla uses);
* vanilla ``schemathesis run`` (built-in checks only, no hooks) on the same specs against the same
  served reference with the same example count: time per case and the ratio orderproof / vanilla;
* the reference's raw throughput on loopback (threads posting valid betslips): the ceiling;
* per reference fault: the time ``certify --profile quick`` takes to report its first FAIL, and
  whether vanilla ``schemathesis run`` catches the fault at all (exit 1 with a failure it does not
  also report against the clean reference);
* a pyinstrument profile of one quick in-process run: where the time goes, by package.

Every run is a subprocess with a hard timeout; a part that cannot run yet is reported as such.

    python benchmarks/run.py                       # everything but the thorough profile
    python benchmarks/run.py --profiles quick,standard,thorough
    python benchmarks/run.py --only certify,vanilla --no-write
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import load  # noqa: E402  (benchmarks/load.py: the served reference and the slip generator)

SECTIONS = ("speed", "shard", "certify", "vanilla", "throughput", "faults", "profile", "tests")
MODES = ("in-process", "served", "url")
STATES_PATH = "/_orderproof/provider-states"
CHILD_TIMEOUT = {"quick": 600, "standard": 1200, "thorough": 3000}
# One working directory for every run of both tools: Hypothesis caches its Unicode tables under
# ./.hypothesis, and a fresh directory per run would charge each run a few seconds of table building.
WORK = Path(tempfile.gettempdir())


def warm_up() -> None:
    """Build Hypothesis' character tables once in WORK (both tools generate utf-8 and ascii text)."""
    code = ("from hypothesis.internal.charmap import charmap, intervals_from_codec; "
            "charmap(); intervals_from_codec('utf-8'); intervals_from_codec('ascii')")
    subprocess.run([sys.executable, "-c", code], cwd=WORK, check=True, timeout=300)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# == the child: one certify run, instrumented ======================================================

def child(spec: dict[str, Any]) -> None:
    """Run ``orderproof certify`` in this process with counters on the transport and the rule events;
    write the figures as JSON to ``spec["out"]``."""
    from urllib.parse import urlsplit

    from orderproof import cli, registry
    from orderproof.commands import certify
    from orderproof.engine import transport

    slugs = {api.path: slug for slug, api in registry.adapters().items()}
    stats: dict[str, Any] = {"api_requests": 0, "hook_requests": 0, "transport_s": 0.0, "rules": [],
                             "by_api": Counter(),
                             "first_fail_s": None, "first_fail_rule": None, "first_fail_requests": None}
    lock = threading.Lock()
    send_once = transport.Transport._send_once

    def counted(self, prepared):
        started = time.perf_counter()
        reply = send_once(self, prepared)
        path = urlsplit(prepared.url or "").path
        with lock:
            stats["transport_s"] += time.perf_counter() - started
            stats["hook_requests" if path == STATES_PATH else "api_requests"] += 1
            if path in slugs:
                stats["by_api"][slugs[path]] += 1
        return reply

    transport.Transport._send_once = counted
    run_conformance = certify.run_conformance

    def timed(context):
        options = context.options
        user_event = options.on_event
        started = time.perf_counter()

        def on_event(kind: str, data: dict) -> None:
            if kind == "rule-end":
                verdict = getattr(data.get("verdict"), "value", data.get("verdict"))
                at = time.perf_counter() - started
                with lock:
                    stats["rules"].append({"rule": data.get("rule_id"), "api": data.get("api"), "verdict": verdict,
                                           "level": data.get("level"), "at_s": round(at, 3),
                                           "duration_s": data.get("duration_s")})
                    if verdict == "FAIL" and stats["first_fail_s"] is None:
                        stats.update(first_fail_s=at, first_fail_rule=data.get("rule_id"),
                                     first_fail_requests=stats["api_requests"] + stats["hook_requests"])
            if user_event is not None:
                user_event(kind, data)

        context.options = dataclasses.replace(options, on_event=on_event)
        try:
            return run_conformance(context)
        finally:
            stats["run_s"] = time.perf_counter() - started

    certify.run_conformance = timed
    profiler = None
    if spec.get("profile"):
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.002)
        profiler.start()
    started = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):
        code = cli.main(spec["argv"])
    stats["certify_s"] = time.perf_counter() - started
    stats["exit_code"] = code
    if profiler is not None:
        profiler.stop()
        stats["profile"] = summarize_profile(profiler.last_session)
    Path(spec["out"]).write_text(json.dumps(stats), encoding="utf-8")


def classify(path: str) -> str:
    path = path or ""
    for marker, name in (("/orderproof/reference/", "reference app (orderproof.reference)"),
                         ("/schemathesis/python/asgi", "ASGI app stack (starlette, fastapi, pydantic)"),
                         ("/starlette/testclient", "ASGI app stack (starlette, fastapi, pydantic)"),
                         ("/orderproof/", "suite (orderproof)"),
                         ("/hypothesis/", "hypothesis (generation)"),
                         ("/hypothesis_jsonschema/", "hypothesis (generation)"),
                         ("/schemathesis/", "schemathesis"),
                         ("/jsonschema", "jsonschema (validation)"), ("/referencing/", "jsonschema (validation)"),
                         ("/rpds", "jsonschema (validation)"),
                         ("/starlette/", "ASGI app stack (starlette, fastapi, pydantic)"),
                         ("/fastapi/", "ASGI app stack (starlette, fastapi, pydantic)"),
                         ("/pydantic", "ASGI app stack (starlette, fastapi, pydantic)"),
                         ("/anyio/", "ASGI app stack (starlette, fastapi, pydantic)"),
                         ("/uvicorn/", "uvicorn / asyncio"), ("/asyncio/", "uvicorn / asyncio"),
                         ("/requests/", "HTTP client (requests, urllib3, httpx)"),
                         ("/urllib3/", "HTTP client (requests, urllib3, httpx)"),
                         ("/httpx", "HTTP client (requests, urllib3, httpx)"),
                         ("/httpcore", "HTTP client (requests, urllib3, httpx)"),
                         ("/_pytest/", "pytest + allure"), ("/pytest", "pytest + allure"),
                         ("/pluggy/", "pytest + allure"), ("/allure", "pytest + allure"),
                         ("/yaml/", "YAML loading"), ("sqlite3", "sqlite3"),
                         ("/json/", "json"), ("/socket.py", "sockets"), ("/ssl.py", "sockets"),
                         ("/threading.py", "threads (waiting)"), ("importlib", "imports"),
                         ("<frozen", "imports")):
        if marker in path:
            return name
    return "other (stdlib, builtins)"


def summarize_profile(session: Any) -> dict[str, Any]:
    """Self time by package and the functions with the most self time. A built-in (``lock.acquire``,
    ``socket.send``) counts for the package that called it, so that waiting on the in-process app's
    thread shows up as the app stack and not as "builtins"."""
    by_group: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    stack = [(session.root_frame(), "other (stdlib, builtins)")]
    while stack:
        frame, caller_group = stack.pop()
        if frame.is_synthetic:               # [self], [await]: already in the parent's total_self_time
            continue
        path = frame.file_path or ""
        real = path and not path.startswith("<")
        group = classify(path) if real else caller_group
        stack.extend((child, group) for child in frame.children)
        own = frame.total_self_time
        if own <= 0:
            continue
        by_group[group] += own
        short = path.split("site-packages/")[-1].split("/src/")[-1].split("/lib/python3.11/")[-1]
        by_function[f"{frame.function} ({short}:{frame.line_no})"] += own
    total = sum(by_group.values())
    return {"total_s": total, "duration_s": session.duration, "groups": by_group.most_common(),
            "functions": by_function.most_common(15)}


def run_child(argv: list[str], timeout: float, profile: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="orderproof-bench-") as tmp:
        out = Path(tmp) / "stats.json"
        spec = {"argv": argv, "out": str(out), "profile": profile}
        started = time.perf_counter()
        # one process and an empty cache of generated cases: the engine's whole cost per case
        env = {**os.environ, "ORDERPROOF_JOBS": "1", "ORDERPROOF_CACHE_DIR": str(Path(tmp) / "cache")}
        try:
            done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(spec)],
                                  capture_output=True, text=True, timeout=timeout, cwd=WORK, env=env)
        except subprocess.TimeoutExpired:
            return {"error": f"did not finish within {timeout:g} s"}
        wall = time.perf_counter() - started
        if not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return {"error": f"exit {done.returncode}: " + " | ".join(tail)}
        stats = json.loads(out.read_text(encoding="utf-8"))
        stats["wall_s"] = wall
        stats["output_tail"] = done.stderr.strip().splitlines()[-4:]
        return stats


def certify_argv(profile: str, seed: int, report_dir: str, *, mode: str = "in-process",
                 target_config: str | None = None, fault: str | None = None,
                 apis: tuple[str, ...] = ()) -> list[str]:
    argv = ["certify", "--profile", profile, "--seed", str(seed), "--report-dir", report_dir]
    if mode == "served":
        argv.append("--serve")
    elif mode == "url":        # no politeness limit: certify's default for a URL is 20 requests/s
        argv += ["--target-config", str(target_config), "--rate-limit", "0"]
    if fault:
        argv += ["--fault", fault]
    for api in apis:
        argv += ["--api", api]
    return argv


# == helpers: the served reference, vanilla Schemathesis ============================================

COUNT_PATH = "/_bench/requests"


def serve_counting(port: int, db: str, fault: str | None) -> None:
    """What ``orderproof serve`` runs (the reference under uvicorn), behind an ASGI wrapper that counts
    the requests per kind, so that both tools' cases are counted by the same server. ``GET
    /_bench/requests`` answers the counts."""
    import uvicorn

    from orderproof import registry
    from orderproof.reference import create_app

    app = create_app(fault=fault, db_path=db)
    operations = {api.path for api in registry.adapters().values()}
    counts: Counter[str] = Counter()

    async def counting(scope, receive, send):
        if scope["type"] == "http":
            path = scope["path"]
            if path == COUNT_PATH:
                await send({"type": "http.response.start", "status": 200,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": json.dumps(counts).encode()})
                return
            counts["hook" if path == STATES_PATH else "api" if path in operations else "other"] += 1
        await app(scope, receive, send)

    uvicorn.run(counting, host="127.0.0.1", port=port, access_log=False, log_level="warning")


class CountingServer(load.Server):
    def command(self) -> list[str]:
        return [sys.executable, str(Path(__file__).resolve()), "--serve-counting",
                json.dumps({"port": self.port, "db": str(self.db), "fault": self.fault})]

    def counts(self) -> Counter[str]:
        import requests

        return Counter(requests.get(self.base + COUNT_PATH, timeout=10).json())


@contextlib.contextmanager
def served(fault: str | None = None):
    """The reference in a subprocess on loopback, on a fresh database, counting requests."""
    with tempfile.TemporaryDirectory(prefix="orderproof-bench-db-") as tmp:
        server = CountingServer(Path(tmp) / "reference.sqlite3", load.free_port(), fault)
        server.start()
        try:
            yield server
        finally:
            server.stop()


def target_file(base: str, directory: Path) -> Path:
    from orderproof import registry

    path = directory / "target.yaml"
    lines = [f"base_url: {base}", "apis:"] + [f"  {slug}:" for slug in registry.slugs()]
    lines += ["provider_states:", f"  url: {base}{STATES_PATH}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def schemathesis_command() -> list[str]:
    st = shutil.which("st") or shutil.which("schemathesis")
    return [st] if st else [sys.executable, "-m", "schemathesis.cli"]


def vanilla(slug: str, server: CountingServer, examples: int, seed: int, api_key: str | None) -> dict[str, Any]:
    """``schemathesis run`` with its built-in checks only, the fuzzing phase, ``examples`` per operation;
    its cases are the requests the server saw for the operation."""
    base = server.base
    before = server.counts()
    from orderproof import registry

    spec = registry.get(slug).spec_path              # the spec as installed with the API's package
    with tempfile.TemporaryDirectory(prefix="orderproof-bench-st-") as tmp:
        command = schemathesis_command() + [
            "run", str(spec), "-u", base, "-n", str(examples), "--phases", "fuzzing", "--checks", "all",
            "--continue-on-failure", "--seed", str(seed), "--generation-database", "none", "-w", "1",
            "--request-timeout", "10", "--report", "ndjson", "--report-dir", tmp, "--no-color",
        ]
        if api_key and slug == "bet-placement":
            command += ["-H", f"X-API-Key: {api_key}"]
        started = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=WORK,
                                  env={**os.environ, "NO_COLOR": "1"})
        except subprocess.TimeoutExpired:
            return {"error": "schemathesis run did not finish within 600 s"}
        wall = time.perf_counter() - started
        engine = None
        for report in Path(tmp).glob("*.ndjson"):
            for line in report.read_text(encoding="utf-8").splitlines():
                if '"EngineFinished"' in line:
                    engine = json.loads(line)["EngineFinished"]["running_time"]
    generated = re.search(r"(\d+) generated", done.stdout)
    failures = sorted(set(re.findall(r"(ST\d+ [^:\n]+): \d+", done.stdout)))
    if done.returncode not in (0, 1) or generated is None:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        return {"error": f"schemathesis run exit {done.returncode}: {tail}"}
    cases = server.counts()["api"] - before["api"]
    return {"exit_code": done.returncode, "cases": cases, "generated": int(generated.group(1)), "engine_s": engine,
            "wall_s": wall, "failures": failures}


def api_key_of(base: str) -> str:
    return load.state(base, "a player exists")["apiKey"]


# == sections ======================================================================================

@dataclass
class Results:
    meta: dict[str, Any] = field(default_factory=dict)
    speed: list[dict[str, Any]] = field(default_factory=list)
    shard: list[dict[str, Any]] = field(default_factory=list)
    tests: dict[str, Any] = field(default_factory=dict)
    certify: list[dict[str, Any]] = field(default_factory=list)
    vanilla: list[dict[str, Any]] = field(default_factory=list)
    throughput: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    profile: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


# == what a user waits for: whole certify processes ====================================================

SPEED_GOALS = {("quick", "first"): 6.0, ("quick", "new seed"): 6.0, ("standard", "first"): 15.0,
               ("standard", "rerun"): 8.0}
SPEED_KINDS = (   # (name, extra certify options, cache: none, empty, without pools, or kept from "first"; seed + n)
    ("one process, no cache", ["--jobs", "1", "--no-cache"], "none", 0),
    ("first on a new machine", [], "empty", 0),
    ("first", [], "fresh", 0),
    ("new seed", [], "warm", 1),
    ("rerun", [], "warm", 0),
)


def timed_command(argv: list[str], env: dict[str, str] | None = None, timeout: float = 1200) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=WORK,
                          env={**os.environ, **(env or {})})
    return {"wall_s": round(time.perf_counter() - started, 2), "exit_code": done.returncode,
            "tail": (done.stderr or done.stdout).strip().splitlines()[-2:]}


def bench_speed(results: Results, profiles: list[str], seed: int, repeats: int) -> None:
    """``orderproof certify`` as a user runs it (default --jobs: one process per core), in process,
    interleaved: in one process without the cache (as every run was before), a first run on a new
    machine (empty cache), a first run of the spec and seed (no pools cached), a run of a new seed on
    the cache the first run wrote (the spec's coverage enumeration kept, no pools of that seed), and a
    rerun with the first run's seed. Medians of ``repeats``."""
    orderproof = [sys.executable, "-m", "orderproof"]
    with tempfile.TemporaryDirectory(prefix="orderproof-bench-speed-") as tmp:
        # Hypothesis makes its Unicode tables once per cache directory (orderproof writes the costly
        # UTF-8 one itself): a "first" run is a new seed or spec on a machine that has them, "first on
        # a new machine" not
        tables = Path(tmp) / "tables"
        timed_command(orderproof + ["certify", "--api", "superbet-reserve", "--profile", "quick", "--jobs", "1",
                                    "--report-dir", str(Path(tmp) / "reports")], {"ORDERPROOF_CACHE_DIR": str(tables)})
        for round_ in range(repeats):
            for profile in profiles:
                cache = Path(tmp) / f"cache-{profile}-{round_}"
                shutil.copytree(tables / "hypothesis", cache / "hypothesis")
                for name, extra, kind, offset in SPEED_KINDS:
                    log(f"speed: certify --profile {profile} ({name}, round {round_ + 1})")
                    where = {"none": Path(tmp) / "unused", "empty": Path(tmp) / f"empty-{profile}-{round_}"}
                    env = {"ORDERPROOF_CACHE_DIR": str(where.get(kind, cache))}
                    argv = orderproof + ["certify", "--profile", profile, "--seed", str(seed + offset), "--report-dir",
                                         str(Path(tmp) / "reports"), *extra]
                    results.speed.append({"profile": profile, "kind": name, "round": round_,
                                          **timed_command(argv, env, CHILD_TIMEOUT[profile])})


def bench_shard(results: Results, profiles: list[str], seed: int) -> None:
    """N = 1, 2, 4 shards of one run started at once as separate processes (as N CI runners would
    be, here sharing 2 cores), then merge-reports: the wall time until the last shard ends, the
    merge's own time, and the speed-up over one unsharded process."""
    orderproof = [sys.executable, "-m", "orderproof"]
    with tempfile.TemporaryDirectory(prefix="orderproof-bench-shard-") as tmp:
        for profile in profiles:
            for count in (1, 2, 4):
                log(f"shard: --profile {profile}, {count} shard(s)")
                env = {**os.environ, "ORDERPROOF_CACHE_DIR": str(Path(tmp) / f"cache-{profile}-{count}"),
                       "ORDERPROOF_JOBS": "1"}
                started = time.perf_counter()
                if count == 1:
                    runs = [subprocess.Popen(orderproof + ["certify", "--profile", profile, "--seed", str(seed),
                                                           "--report-dir", str(Path(tmp) / f"whole-{profile}")],
                                             cwd=WORK, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
                else:
                    runs = [subprocess.Popen(orderproof + ["certify", "--profile", profile, "--seed", str(seed),
                                                           "--shard", f"{index}/{count}", "--report-dir",
                                                           str(Path(tmp) / f"{profile}-{count}-{index}")],
                                             cwd=WORK, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                            for index in range(1, count + 1)]
                codes = [run.wait(timeout=CHILD_TIMEOUT[profile]) for run in runs]
                shards_s = time.perf_counter() - started
                merge = None
                if count > 1:
                    merge = timed_command(orderproof + ["merge-reports", *(str(Path(tmp) / f"{profile}-{count}-{index}")
                                                                           for index in range(1, count + 1)),
                                                        "--report-dir", str(Path(tmp) / f"merged-{profile}-{count}")])
                results.shard.append({"profile": profile, "shards": count, "shards_s": round(shards_s, 2),
                                      "exit_codes": codes, "merge_s": merge and merge["wall_s"],
                                      "merge_exit": merge and merge["exit_code"]})


def _pytest(*words: str) -> tuple[float, subprocess.CompletedProcess]:
    """``python -m pytest -n auto -q WORDS`` on an empty cache of generated cases and of bytecode (as a
    fresh CI machine has: every module, the installed packages' too, is compiled again into an empty
    ``PYTHONPYCACHEPREFIX``): its wall time and the finished process."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="orderproof-bench-tests-") as cache:
        done = subprocess.run([sys.executable, "-m", "pytest", "-n", "auto", "-q", "-p", "no:randomly", *words],
                              capture_output=True, text=True, timeout=3600, cwd=ROOT,
                              env={**os.environ, "ORDERPROOF_CACHE_DIR": cache,
                                   "PYTHONPYCACHEPREFIX": str(Path(cache) / "pycache")})
    return time.perf_counter() - started, done


def _summary(done: subprocess.CompletedProcess) -> str:
    line = next((line for line in reversed(done.stdout.splitlines()) if " in " in line and "passed" in line), "")
    return line.strip("= ")


def bench_tests(results: Results) -> None:
    """The suite's own tests as the README runs them (``pytest -n auto``), with the 25 slowest, and
    the inner loop of tests/README.md (``-m "not slow"``), each on empty caches. They need the test
    extra (pytest-xdist and the rest): without it the section says so instead of timing a usage error."""
    try:
        import xdist  # noqa: F401
    except ImportError:
        raise RuntimeError("the tests section needs the test extra: pip install -e '.[test,bench]'") from None
    log('tests: python -m pytest -n auto -m "not slow"')
    inner_wall, inner = _pytest("-m", "not slow")
    log("tests: python -m pytest -n auto --durations=25")
    wall, done = _pytest("--durations=25")
    slowest = re.findall(r"^([0-9.]+)s (call|setup|teardown)\s+(\S+)$", done.stdout, re.M)
    results.tests = {"wall_s": round(wall, 1), "exit_code": done.returncode, "summary": _summary(done),
                     "slowest": [[float(seconds), when, test] for seconds, when, test in slowest],
                     "inner": {"wall_s": round(inner_wall, 1), "exit_code": inner.returncode,
                               "summary": _summary(inner)}}


def bench_certify(results: Results, profiles: list[str], seed: int) -> None:
    """Each url run gets a fresh server: a second run with the same seed against the same database
    reuses the first run's idempotency keys and ticket ids (see RESULTS.md)."""
    with tempfile.TemporaryDirectory(prefix="orderproof-bench-rep-") as tmp:
        for profile in profiles:
            for mode in MODES:
                log(f"certify --profile {profile} ({mode})")
                with served() as server:
                    config = target_file(server.base, Path(tmp))
                    argv = certify_argv(profile, seed, str(Path(tmp) / f"{profile}-{mode}"), mode=mode,
                                        target_config=str(config))
                    stats = run_child(argv, CHILD_TIMEOUT[profile])
                    if mode == "url":
                        stats["server_api_requests"] = server.counts()["api"]
                results.certify.append({"profile": profile, "mode": mode, **stats})


def bench_vanilla(results: Results, profiles: list[str], seed: int) -> None:
    """Per profile and API: vanilla with the profile's example count (``-n``), and with ``-n`` set to
    the number of cases orderproof sent to that API in the same profile (same volume of traffic)."""
    from orderproof import registry
    from orderproof.core.profiles import get_profile

    with served() as server:
        key = api_key_of(server.base)
        for profile in profiles:
            ours = next((r for r in results.certify if r["profile"] == profile and r["mode"] == "url"
                         and not r.get("error")), None)
            for basis in ("examples", "cases"):
                for slug in registry.slugs():
                    if basis == "examples":
                        examples = get_profile(profile).response_examples
                    elif ours and ours["by_api"].get(slug):
                        examples = ours["by_api"][slug]
                    else:
                        continue
                    log(f"schemathesis run {slug} -n {examples} (same {basis} as {profile})")
                    results.vanilla.append({"profile": profile, "basis": basis, "api": slug, "examples": examples,
                                            **vanilla(slug, server, examples, seed, key)})


def bench_throughput(results: Results, seconds: float, thread_counts: list[int]) -> None:
    with served() as server:
        for threads in thread_counts:
            log(f"raw throughput, {threads} client threads, {seconds:g} s")
            results.throughput.append(throughput(server.base, threads, seconds))


def throughput(base: str, threads: int, seconds: float) -> dict[str, Any]:
    import random

    import requests

    players = [load.state(base, "a player exists", balance="100000000.00", max_stake="500.00")
               for _ in range(threads)]
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(i: int) -> None:
        nonlocal errors
        rng = random.Random(i)
        session = requests.Session()
        headers = {"Content-Type": "application/json", "X-API-Key": players[i]["apiKey"]}
        mine: list[float] = []
        mine_status: Counter[int] = Counter()
        failed = 0
        while time.monotonic() < deadline:
            body, bad = load.make_slip(rng, players[i], Decimal("500.00"))
            if bad:
                continue
            started = time.perf_counter()
            try:
                answer = session.post(base + "/bet", data=json.dumps(body), timeout=10,
                                      headers={**headers, "X-Idempotency-Key": str(uuid.uuid4())})
            except requests.RequestException:
                failed += 1
                continue
            mine.append(time.perf_counter() - started)
            mine_status[answer.status_code] += 1
        with lock:
            latencies.extend(mine)
            statuses.update(mine_status)
            errors += failed

    started = time.monotonic()
    workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + 30)
    elapsed = time.monotonic() - started
    latencies.sort()
    quantile = (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000) if latencies else (lambda q: 0.0)
    return {"threads": threads, "seconds": elapsed, "requests": len(latencies), "rps": len(latencies) / elapsed,
            "p50_ms": quantile(0.5), "p95_ms": quantile(0.95), "statuses": dict(statuses), "errors": errors}


def bench_faults(results: Results, seed: int, only: list[str] | None, skip_vanilla: bool) -> None:
    from orderproof import registry
    from orderproof.core.profiles import get_profile
    from orderproof.reference.faults import FAULTS

    names = [name for name in FAULTS if not only or name in only]
    examples = get_profile("quick").response_examples
    baseline: dict[str, dict[str, Any]] = {}
    if not skip_vanilla:
        with served() as server:
            key = api_key_of(server.base)
            for slug in registry.slugs():
                log(f"vanilla baseline on the clean reference: {slug}")
                baseline[slug] = vanilla(slug, server, examples, seed, key)
    with tempfile.TemporaryDirectory(prefix="orderproof-bench-faults-") as tmp:
        for name in names:
            fault = FAULTS[name]
            # every API whose rules the fault is declared to break (a ticket-engine fault breaks JT and SR rules)
            apis = tuple(dict.fromkeys([fault.api] + [slug for rule in fault.rules for slug, api in registry.adapters().items()
                                                      if rule.startswith(api.prefix + "-")]))
            log(f"fault {name} ({', '.join(apis)}): certify --profile quick")
            stats = run_child(certify_argv("quick", seed, str(Path(tmp) / name), fault=name, apis=apis),
                              CHILD_TIMEOUT["quick"])
            row = {"fault": name, "api": fault.api, "expected": list(fault.rules), **stats}
            if not skip_vanilla:
                log(f"fault {name}: schemathesis run")
                with served(name) as server:
                    st = vanilla(fault.api, server, examples, seed, api_key_of(server.base))
                clean = baseline.get(fault.api, {})
                new = sorted(set(st.get("failures", [])) - set(clean.get("failures", [])))
                row["vanilla"] = {**st, "new_failures": new,
                                  "caught": st.get("exit_code") == 1 and (clean.get("exit_code") == 0 or bool(new))}
            results.faults.append(row)
    results.notes.append("vanilla baseline (clean reference): " + "; ".join(
        f"{slug} exit {b.get('exit_code', b.get('error'))} {', '.join(b.get('failures', [])) or 'no failures'}"
        for slug, b in baseline.items()))
    results.meta["vanilla_baseline"] = baseline


def bench_profile(results: Results, seed: int) -> None:
    log("pyinstrument profile of certify --profile quick (in process)")
    try:
        import pyinstrument  # noqa: F401
    except ImportError:
        results.profile = {"error": "pyinstrument is not installed (pip install -e '.[bench]')"}
        return
    with tempfile.TemporaryDirectory(prefix="orderproof-bench-prof-") as tmp:
        results.profile = run_child(certify_argv("quick", seed, tmp), CHILD_TIMEOUT["quick"], profile=True)


# == the report ====================================================================================

def machine() -> dict[str, Any]:
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    import schemathesis

    import orderproof

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "src", "openapi", "contracts"],
                           capture_output=True, text=True, cwd=ROOT).stdout.strip()
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "cpu": cpu, "cores": os.cpu_count(),
            "platform": platform.platform(), "python": platform.python_version(),
            "schemathesis": schemathesis.__version__ if hasattr(schemathesis, "__version__") else "?",
            "orderproof": orderproof.__version__, "commit": commit + (" (with uncommitted changes)" if dirty else ""),
            "load_start": os.getloadavg()}


def fmt(value: Any, spec: str = ".1f", none: str = "n/a") -> str:
    if value is None:
        return none
    return format(value, spec)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


BASIS = {"examples": "same -n", "cases": "same cases"}


def grouped(rows: list[dict[str, Any]]) -> list[tuple[tuple[str, str], list[dict[str, Any]]]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["profile"], row["basis"]), []).append(row)
    return list(groups.items())


def vanilla_totals(group: list[dict[str, Any]]) -> tuple[int, float]:
    ok = [v for v in group if not v.get("error")]
    return sum(v["cases"] for v in ok), sum(v["engine_s"] or 0.0 for v in ok)


def expected_in_run(fault: dict[str, Any]) -> list[str]:
    """The declared rules of a fault that the run could see (those of the APIs it certified)."""
    seen = {r["rule"] for r in fault.get("rules", [])}
    return [rule for rule in fault["expected"] if rule in seen]


def per_case_ms(stats: dict[str, Any]) -> float | None:
    if stats.get("error") or not stats.get("api_requests"):
        return None
    return 1000 * stats["run_s"] / stats["api_requests"]


ANALYSIS_START, ANALYSIS_END = "<!-- analysis:start -->", "<!-- analysis:end -->"


def kept_analysis(path: Path) -> str:
    """The hand-written reading of the numbers in the current RESULTS.md, kept across reruns."""
    with contextlib.suppress(OSError):
        text = path.read_text(encoding="utf-8")
        if ANALYSIS_START in text and ANALYSIS_END in text:
            return text[text.index(ANALYSIS_START):text.index(ANALYSIS_END) + len(ANALYSIS_END)]
    return ""


def provenance(meta: dict[str, Any]) -> list[dict[str, Any]]:
    merged = meta.get("merged") or []
    return [merged] if isinstance(merged, dict) else merged


def render(results: Results, command: str, analysis: str = "") -> str:
    m = results.meta
    out = ["# Benchmarks", "",
           f"Measured {m['date']} on {m['cores']} cores ({m['cpu']}), {m['platform']}, Python {m['python']}, "
           f"Schemathesis {m['schemathesis']}, orderproof {m['orderproof']} at commit {m['commit']}. "
           "Everything ran on loopback (127.0.0.1) on a machine shared with other work: 1-minute load average "
           f"{m['load_start'][0]:.1f} at the start and {m.get('load_end', m['load_start'])[0]:.1f} at the end, so "
           "absolute times are noisy (±25 % or more); the ratios compare runs taken back to back.", "",
           *(["Sections measured in earlier runs on the same machine: " + "; ".join(
               f"{', '.join(part['sections'])} on {part['date']} at commit {part['commit']}"
               for part in provenance(m)) + ". The others were measured as above.", ""] if provenance(m) else []),
           "Rerun:", "", "```bash", "pip install -e '.[test,bench]'", command, "```", ""]
    if analysis:
        out += [analysis, ""]

    out += render_speed(results)
    if results.certify:
        out += ["## certify per profile", "",
                "A *case* is one request to an API operation (provider-state calls are counted apart). "
                "*Run* is `run_conformance` from start to verdicts; *total* is the whole `orderproof certify` "
                "process, interpreter start and imports included. *url* is the suite against a separate "
                "`orderproof serve` process through a target file and `--rate-limit 0` (the same server vanilla "
                "Schemathesis uses; certify's default for a URL target is a gentle 20 requests/s); "
                "*served* is `--serve` (uvicorn in a thread of the suite's own process).", ""]
        rows = []
        for r in results.certify:
            if r.get("error"):
                rows.append([r["profile"], r["mode"], "error: " + r["error"][:150], "", "", "", "", "", "", ""])
                continue
            rows.append([r["profile"], r["mode"], fmt(r["wall_s"]), fmt(r["run_s"]), fmt(r["transport_s"]),
                         str(r["api_requests"]), str(r["hook_requests"]), fmt(r["api_requests"] / r["run_s"], ".1f"),
                         fmt(per_case_ms(r), ".1f"), f"exit {r['exit_code']}"])
        out += table(["profile", "target", "total s", "run s", "in transport s", "cases", "hook calls", "cases/s",
                      "ms/case", "result"], rows) + [""]
        out += ["*In transport* is the time spent inside the transport's send (for the in-process target "
                "that includes the app's own work). The rest of *run* is generation, checks, flows' "
                "bookkeeping and pytest.", ""]

    if results.vanilla:
        out += ["## orderproof against vanilla Schemathesis", "",
                "Vanilla: `schemathesis run <the API's openapi.yaml> -u <served reference> -n <N> "
                "--phases fuzzing --checks all --continue-on-failure -w 1` (built-in checks, no hooks; "
                "bet-placement gets the environment's `X-API-Key` header, the other APIs nothing: vanilla "
                "cannot sign ticket requests or look up a player). *N* is either the profile's example count "
                "(*same -n*) or the number of cases orderproof sent to that API in the same profile "
                "(*same cases*). Its time is the engine's running time (spec loading and interpreter start "
                "excluded, as for orderproof's *run*); its cases are the requests the server counted.", ""]
        rows = []
        for (profile, basis), group in grouped(results.vanilla):
            for v in group:
                if v.get("error"):
                    rows.append([profile, BASIS[basis], v["api"], str(v["examples"]), "error: " + v["error"][:120],
                                 "", "", ""])
                else:
                    rows.append([profile, BASIS[basis], v["api"], str(v["examples"]), str(v["cases"]),
                                 fmt(v["engine_s"], ".2f"), fmt(1000 * v["engine_s"] / max(v["cases"], 1), ".1f"),
                                 f"exit {v['exit_code']} {', '.join(v['failures'])}"])
            cases, seconds = vanilla_totals(group)
            rows.append([profile, BASIS[basis], "**all five**", "", str(cases), fmt(seconds, ".2f"),
                         fmt(1000 * seconds / cases if cases else None, ".1f"), ""])
        out += table(["profile", "N", "API", "-n", "cases", "engine s", "ms/case", "result"], rows) + [""]
        ratio_rows = []
        for (profile, basis), group in grouped(results.vanilla):
            cases, seconds = vanilla_totals(group)
            vanilla_ms = 1000 * seconds / cases if cases else None
            for r in results.certify:
                if r["profile"] == profile and per_case_ms(r) is not None and vanilla_ms:
                    ratio = per_case_ms(r) / vanilla_ms
                    ratio_rows.append([profile, r["mode"], BASIS[basis], fmt(per_case_ms(r)), fmt(vanilla_ms),
                                       f"**{ratio:.2f}x**" + (" (goal met)" if ratio <= 1.0 else " (over the goal)")])
        if ratio_rows:
            out += ["Time per case, orderproof / vanilla (goal: at most 1.0x; orderproof in one process with an empty cache):", ""]
            out += table(["profile", "orderproof target", "vanilla N", "orderproof ms/case", "vanilla ms/case",
                          "ratio"], ratio_rows) + [""]

    if results.throughput:
        out += ["## The reference's raw throughput (the ceiling)", "",
                "Threads with a `requests.Session` each post valid one-to-four-bet slips (a new idempotency key "
                "each) to `POST /bet` of `orderproof serve` for a fixed time; client and server share the "
                "machine's cores.", ""]
        out += table(["client threads", "seconds", "requests", "req/s", "p50 ms", "p95 ms", "statuses", "errors"],
                     [[str(t["threads"]), fmt(t["seconds"]), str(t["requests"]), fmt(t["rps"], ".0f"),
                       fmt(t["p50_ms"]), fmt(t["p95_ms"]), ", ".join(f"{k}={v}" for k, v in sorted(t["statuses"].items())),
                       str(t["errors"])] for t in results.throughput]) + [""]

    if results.faults:
        out += ["## Faults: time to the first FAIL, and what vanilla Schemathesis catches", "",
                "orderproof: `orderproof certify --fault <name> --api <API> --profile quick` in process, `--api` "
                "being every API whose rules the fault is declared to break; "
                "*first FAIL* is the time from the start of the run to the end of the first rule that failed "
                "(its shrinking included), *expected* says whether that rule is one the fault is declared to "
                "break, *all expected FAIL* whether every declared rule of the APIs in the run failed. Vanilla: "
                "`schemathesis run` "
                "as above against `orderproof serve --fault <name>`; *caught* means exit 1 with a failure it "
                "does not also report against the clean reference.", ""]
        rows = []
        for f in results.faults:
            failed = {r["rule"] for r in f.get("rules", []) if r["verdict"] == "FAIL"}
            f["expected_in_run"] = expected_in_run(f)
            v = f.get("vanilla", {})
            caught = "n/a" if not v else ("error" if v.get("error") else ("**yes**" if v["caught"] else "no"))
            if f.get("error"):
                rows.append([f["fault"], f["api"], "error: " + f["error"][:120], "", "", "", "", caught, ""])
                continue
            rows.append([f["fault"], f["api"], fmt(f["first_fail_s"], ".1f", "none"), f["first_fail_rule"] or "-",
                         "yes" if f["first_fail_rule"] in f["expected"] else "no",
                         "yes" if set(f["expected_in_run"]) <= failed else "no", fmt(f["run_s"]), caught,
                         ", ".join(v.get("new_failures", [])) if v else ""])
        out += table(["fault", "API", "first FAIL s", "first failing rule", "expected", "all expected FAIL",
                      "run s", "vanilla caught", "vanilla's new failures"], rows) + [""]
        ok = [f for f in results.faults if not f.get("error")]
        caught_by_us = sum(1 for f in ok if f["first_fail_s"] is not None)
        all_expected = sum(1 for f in ok if set(expected_in_run(f)) <= {r["rule"] for r in f["rules"] if r["verdict"] == "FAIL"})
        with_vanilla = [f for f in results.faults if f.get("vanilla") and not f["vanilla"].get("error")]
        caught_by_vanilla = sum(1 for f in with_vanilla if f["vanilla"]["caught"])
        firsts = [f["first_fail_s"] for f in ok if f["first_fail_s"] is not None]
        out += [f"orderproof (quick) reported a FAIL for **{caught_by_us} of {len(ok)}** faults "
                f"({all_expected} with every declared rule failing); median time to the first FAIL "
                f"{fmt(statistics.median(firsts) if firsts else None)} s, max {fmt(max(firsts) if firsts else None)} s.",
                f"Vanilla Schemathesis caught **{caught_by_vanilla} of {len(with_vanilla)}**.", ""]
        for note in results.notes:
            out += [f"- {note}"]
        out += [""]

    prof = results.profile
    if prof:
        out += ["## Where the time goes", ""]
        if prof.get("error"):
            out += [f"Profile not taken: {prof['error']}", ""]
        else:
            p = prof["profile"]
            out += [f"pyinstrument (2 ms sampling) over `orderproof certify --profile quick` in process: "
                    f"{p['total_s']:.1f} s sampled, {prof['api_requests']} cases. Self time by package:", ""]
            out += table(["package", "self s", "share"],
                         [[g, fmt(s, ".2f"), f"{100 * s / p['total_s']:.0f} %"] for g, s in p["groups"]]) + [""]
            out += ["Functions with the most self time:", ""]
            out += table(["function", "self s"], [[f"`{name}`", fmt(s, ".2f")] for name, s in p["functions"]]) + [""]
    return "\n".join(out) + "\n"


def render_speed(results: Results) -> list[str]:
    out: list[str] = []
    if results.speed:
        out += ["## certify as a user runs it", "",
                "`python -m orderproof certify --profile P --seed S` in process against the embedded reference, "
                "interpreter start included, interleaved rounds (medians). *one process, no cache*: `--jobs 1 "
                "--no-cache`, how every run went before the cache and the shares; *first*: the default (one "
                "process per core, the APIs shared among them) of a spec and seed of which nothing is cached; *first "
                "on a new machine*: the same with an empty cache directory (Hypothesis' Unicode tables are made once "
                "per cache directory; the UTF-8 table, once 1.3-1.5 s of each process, orderproof writes "
                "itself); *new seed*: another seed on the cache the first run "
                "wrote (a CI gate without `--seed` draws a new one each run: the spec's coverage-phase enumeration is "
                "read from the cache, every pool of the seed is drawn); *rerun*: the first run's seed again, its "
                "cases read from the cache.", ""]
        rows = []
        profiles = list(dict.fromkeys(row["profile"] for row in results.speed))
        for profile in profiles:
            medians = {}
            for name, *_ in SPEED_KINDS:
                times = [row["wall_s"] for row in results.speed if row["profile"] == profile and row["kind"] == name]
                codes = {row["exit_code"] for row in results.speed if row["profile"] == profile and row["kind"] == name}
                medians[name] = statistics.median(times) if times else None
                goal = SPEED_GOALS.get((profile, name))
                base = medians.get("one process, no cache")
                ratio = f"{medians[name] / base:.2f}x" if base and medians[name] else ""
                verdict = "" if goal is None or medians[name] is None else (
                    f"goal <= {goal:g} s: {'met' if medians[name] <= goal else 'not met'}")
                rows.append([profile, name, ", ".join(fmt(t, ".1f") for t in times), fmt(medians[name]),
                             ratio, verdict, ", ".join(f"exit {c}" for c in sorted(codes))])
        out += table(["profile", "run", "seconds (rounds)", "median s", "vs one process, no cache", "goal", "result"],
                     rows) + [""]
    if results.shard:
        out += ["## One run split into shards", "",
                "`certify --shard I/N --seed S` for I = 1..N started at once as separate processes (as N CI "
                "runners would run them; here they share the machine's 2 cores, so N = 4 cannot beat N = 2), "
                "then `merge-reports`. *Shards s*: until the last shard ended; *speed-up*: one unsharded process "
                "over the shards; the merge's own time apart.", ""]
        rows = []
        for row in results.shard:
            whole = next((r["shards_s"] for r in results.shard if r["profile"] == row["profile"] and r["shards"] == 1), None)
            rows.append([row["profile"], str(row["shards"]), fmt(row["shards_s"]),
                         f"{whole / row['shards_s']:.2f}x" if whole else "", fmt(row["merge_s"], ".2f", ""),
                         ", ".join(f"exit {c}" for c in row["exit_codes"]) +
                         (f"; merge exit {row['merge_exit']}" if row["merge_exit"] is not None else "")])
        out += table(["profile", "shards", "shards s", "speed-up", "merge s", "result"], rows) + [""]
    if results.tests:
        t = results.tests
        out += ["## The suite's own tests", "",
                f"`python -m pytest -n auto` (the README's command) on this machine: **{fmt(t['wall_s'])} s** wall, "
                f"{t['summary']} (exit {t['exit_code']}). The 25 slowest test phases (`--durations=25`):", ""]
        out += table(["seconds", "phase", "test"], [[fmt(sec), when, f"`{test}`"] for sec, when, test in t["slowest"]])
        out += [""]
        if t.get("inner"):
            inner = t["inner"]
            out += [f'The inner loop of tests/README.md, `python -m pytest -n auto -m "not slow"`, measured just before: '
                    f"**{fmt(inner['wall_s'])} s** wall, {inner['summary']} (exit {inner['exit_code']}).", ""]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--serve-counting", help=argparse.SUPPRESS)
    parser.add_argument("--profiles", default="quick,standard", help="certify profiles to time (default: quick,standard)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"sections to run (default: all): {','.join(SECTIONS)}")
    parser.add_argument("--faults", help="only these faults (comma-separated; default: every fault)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the speed section (medians; default 3)")
    parser.add_argument("--throughput-seconds", type=float, default=5.0, help="per thread count (at most 60)")
    parser.add_argument("--threads", default="1,4", help="client thread counts for the throughput (default: 1,4)")
    parser.add_argument("--faults-without-vanilla", action="store_true",
                        help="in the faults section, run only orderproof (not schemathesis run per fault)")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    parser.add_argument("--json", type=Path, help="also write the raw figures as JSON here")
    parser.add_argument("--no-write", action="store_true", help="print only; do not write RESULTS.md")
    parser.add_argument("--render", type=Path, metavar="JSON", help="only write RESULTS.md again from an earlier --json run")
    parser.add_argument("--merge", type=Path, metavar="JSON",
                        help="start from the figures of an earlier --json run; the sections of --only are measured anew")
    args = parser.parse_args(argv)
    if args.child:
        child(json.loads(args.child))
        return 0
    if args.serve_counting:
        serve_counting(**json.loads(args.serve_counting))
        return 0
    from orderproof.core.profiles import PROFILES

    profiles = [p for p in args.profiles.split(",") if p]
    sections = [s for s in args.only.split(",") if s]
    bad = [p for p in profiles if p not in PROFILES] + [s for s in sections if s not in SECTIONS]
    if bad or not 0 < args.throughput_seconds <= 60:
        parser.error(f"unknown profile or section {bad}; profiles: {', '.join(PROFILES)}; sections: {', '.join(SECTIONS)}"
                     if bad else "--throughput-seconds must be in (0, 60]")
    global WORK
    if args.render:
        results = Results(**json.loads(args.render.read_text(encoding="utf-8")))
        text = render(results, results.meta.get("command", "python benchmarks/run.py"), kept_analysis(args.results))
        args.results.write_text(text, encoding="utf-8")
        print(text)
        return 0
    results = Results(meta=machine())
    if args.merge:
        earlier = json.loads(args.merge.read_text(encoding="utf-8"))
        for name in SECTIONS:
            if name not in sections and earlier.get(name):
                setattr(results, name, earlier[name])
        kept = [name for name in SECTIONS if name not in sections and earlier.get(name)]
        # where each kept section was measured (an earlier run may itself have been merged)
        parts = [dict(part, sections=[x for x in part["sections"] if x in kept])
                 for part in provenance(earlier["meta"])]
        older = {x for part in parts for x in part["sections"]}
        parts.append({"sections": [x for x in kept if x not in older], "date": earlier["meta"]["date"],
                      "commit": earlier["meta"]["commit"]})
        results.meta["merged"] = [part for part in parts if part["sections"]]
        results.meta["vanilla_baseline"] = earlier["meta"].get("vanilla_baseline")
        results.notes = [note for note in earlier.get("notes", []) if "faults" in kept]
    WORK = Path(tempfile.mkdtemp(prefix="orderproof-bench-work-"))
    warm_up()
    steps = {
        "speed": lambda: bench_speed(results, profiles, args.seed, args.repeats),
        "shard": lambda: bench_shard(results, profiles, args.seed),
        "tests": lambda: bench_tests(results),
        "certify": lambda: bench_certify(results, profiles, args.seed),
        "vanilla": lambda: bench_vanilla(results, profiles, args.seed),
        "throughput": lambda: bench_throughput(results, args.throughput_seconds,
                                               [int(t) for t in args.threads.split(",")]),
        "faults": lambda: bench_faults(results, args.seed, args.faults.split(",") if args.faults else None,
                                       args.faults_without_vanilla),
        "profile": lambda: bench_profile(results, args.seed),
    }
    for name in SECTIONS:
        if name in sections:
            try:
                steps[name]()
            except Exception as exc:            # a part that cannot run yet: say so, go on
                log(f"section {name} failed: {type(exc).__name__}: {exc}")
                results.notes.append(f"section {name} could not run: {type(exc).__name__}: {exc}")
    results.meta["load_end"] = os.getloadavg()
    shutil.rmtree(WORK, ignore_errors=True)
    command = "python benchmarks/run.py " + " ".join(
        a for a in (f"--profiles {args.profiles}" if args.profiles != "quick,standard" else "",
                    f"--only {args.only}" if args.only != ",".join(SECTIONS) and not args.merge else "",
                    f"--seed {args.seed}" if args.seed != 1 else "") if a)
    results.meta["command"] = command.strip()
    text = render(results, command.strip(), kept_analysis(args.results))
    print(text)
    if args.json:
        args.json.write_text(json.dumps(results.__dict__, indent=1, default=str), encoding="utf-8")
    if not args.no_write:
        args.results.write_text(text, encoding="utf-8")
        log(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
