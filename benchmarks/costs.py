"""Measure what each API's run costs on this machine: the numbers its adapter declares
(``certify_seconds``, ``draw_ms``) and shares are dealt by.

    python benchmarks/costs.py [--profiles quick,standard] [--repeats 3]

For each API and profile: ``certify --api SLUG --profile P --jobs 1`` in process with an empty cache
of generated cases (a first run: every pool drawn; ``certify_seconds``; one seed per repeat) and again with the cache it
wrote (a rerun; ``rerun_seconds``), each less the time a process takes to start (``orderproof
rules``); and the milliseconds to draw one case of each pool (positive, negative; coverage: the
whole sample), drawn in this process after one warm-up pool. Prints the values to paste into the
adapters.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from orderproof import registry
from orderproof.core.profiles import PROFILES, seed_alone
from orderproof.engine import pools

SEED = 20241125


def timed(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return elapsed


def start_seconds(env: dict[str, str], repeats: int) -> float:
    """A process that starts, loads the catalogue and ends: what every certify pays before its rules."""
    return statistics.median(timed([sys.executable, "-m", "orderproof", "rules"], env) for _ in range(repeats))


def certify_seconds(slug: str, profile: str, env: dict[str, str], folder: Path, repeats: int) -> tuple[float, float]:
    """(first run, rerun): medians over ``repeats`` seeds, each on a cache without pools (what a seed
    draws varies: travel-order's quick pools take 3-5 s of CPU by seed). Each cache starts with
    Hypothesis' Unicode tables, which a machine computes once whatever the run."""
    firsts, reruns = [], []
    for repeat in range(repeats):
        cache = folder / f"cache-{slug}-{profile}-{repeat}"
        shutil.copytree(folder / "warm" / "hypothesis", cache / "hypothesis")
        argv = [sys.executable, "-m", "orderproof", "certify", "--api", slug, "--profile", profile, "--jobs", "1",
                "--seed", str(SEED + repeat), "--report-dir", str(folder / "reports")]
        with_cache = {**env, "ORDERPROOF_CACHE_DIR": str(cache)}
        firsts.append(timed(argv, with_cache))
        reruns.append(timed(argv, with_cache))
    return statistics.median(firsts), statistics.median(reruns)


def draw_ms(slug: str, profile: str) -> dict[str, float]:
    chosen = PROFILES[profile]
    with seed_alone():
        pools.draw_pool(slug, "positive", 2, SEED + 1)                  # the spec loaded, strategies built
        found = {}
        for mode, size in (("positive", chosen.response_examples), ("negative", chosen.response_examples),
                           ("coverage", chosen.coverage_examples)):
            started = time.perf_counter()
            pools.draw_pool(slug, mode, size, SEED)
            elapsed_ms = (time.perf_counter() - started) * 1000
            found[mode] = round(elapsed_ms if mode == "coverage" else elapsed_ms / size)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", default="quick,standard")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    profiles = args.profiles.split(",")
    env = {key: value for key, value in os.environ.items() if key != "ORDERPROOF_JOBS"}
    start = start_seconds(env, args.repeats)
    print(f"process start (orderproof rules): {start:.2f} s")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        timed([sys.executable, "-m", "orderproof", "certify", "--api", "superbet-reserve", "--profile", "quick",
               "--jobs", "1", "--report-dir", str(Path(tmp) / "reports")],
              {**env, "ORDERPROOF_CACHE_DIR": str(Path(tmp) / "warm")})
        for slug in registry.slugs():
            first, rerun = {}, {}
            for profile in profiles:
                seconds = certify_seconds(slug, profile, env, Path(tmp), args.repeats)
                first[profile], rerun[profile] = (round(max(0.1, value - start), 1) for value in seconds)
            draws = draw_ms(slug, "standard")
            rows.append((slug, first, rerun, draws))
            print(f"{slug:18s} first {first}  rerun {rerun}  draw_ms {draws}", flush=True)
    print("\nfor the adapters:")
    for slug, first, rerun, draws in rows:
        print(f"  {slug}: certify_seconds = {first}; rerun_seconds = {rerun}; draw_ms = {draws}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
