"""The generated cases a run draws from, made once per run and before the first rule needs them.

Each API's rules draw from pools (:func:`positives`, :func:`negatives`, :func:`coverage`,
:func:`flow_bodies`), each one seeded Hypothesis run over the API's spec. Drawing them is the
largest cost of a run (a complex body takes 100 ms and more), so :func:`prime`:

* reads the pools from the cache on disk (``<cache dir>/pools/``) when a run with the same seed,
  profile and spec drew them before: the key is (API, pool, size, seed, profile, the spec file's
  sha256, the generator version: orderproof's generation code, Schemathesis and Hypothesis;
  :mod:`orderproof.engine.pool_cache`);
* draws the missing ones in parallel, one API per task, in this process and in worker
  processes (one per core; one when the run already is one of several pytest-xdist workers),
  and writes them to the cache (``--no-cache``: neither read nor write).

Same seed, same cases: a pool is one seeded Hypothesis run that depends on the seed alone
(:func:`orderproof.core.profiles.seed_alone`), so it is the same drawn here, in a worker or read from
the cache. Nothing mutable is shared with a worker: it gets the keys and sends back the cases.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from schemathesis.auths import GLOBAL_AUTH_STORAGE
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

from orderproof import registry
from orderproof.catalogue import Rule
from orderproof.core.limits import usable_cores
from orderproof.core.profiles import seed_alone
from orderproof.engine import generation, pool_cache
from orderproof.engine.context import RunContext, rule_kind

__all__ = ["PoolKey", "Primed", "coverage", "draw_pool", "flow_bodies", "forget", "has", "install",
           "cached_part", "needed", "negatives", "pool", "positives", "prime", "sampler"]

_WORKER_START_MS = 1500                  # a worker process imports Schemathesis and loads the spec first


@dataclass(frozen=True)
class PoolKey:
    slug: str
    mode: str          # positive | negative | coverage
    size: int
    seed: int

    @property
    def args(self) -> tuple[str, str, int, int]:
        return (self.slug, self.mode, self.size, self.seed)

    @property
    def cost_ms(self) -> float:
        """What drawing it costs, by the adapter's measurement (``draw_ms``; a guess without one)."""
        draw_ms = registry.get(self.slug).draw_ms
        if self.mode == "coverage":
            return draw_ms.get("coverage", 500)
        return self.size * draw_ms.get(self.mode, 50)


# --- the pools of this process -----------------------------------------------------------------------

# Pools drawn (or read from the cache, or handed over by a worker process) in this process, by
# (API, mode, size, seed): runs that share a seed (every fault of the self-verification) share them.
_POOLS: dict[tuple[str, str, int, int], tuple[Any, ...]] = {}
# ``st.sampled_from`` over a pool, made once: a new one hashes every case of the pool again for its
# label (Hypothesis labels a sampled_from by its elements), about 10 ms a draw from a 260-case pool
_SAMPLERS: dict[tuple[str, str, int, int], tuple[tuple[Any, ...], Any]] = {}


def pool(slug: str, mode: str, size: int, pool_seed: int) -> tuple[Any, ...]:
    """The pool of (API, mode, size, seed), drawn once per process: ``positive`` or ``negative``
    generated cases, or the ``coverage`` sample."""
    key = (slug, mode, size, pool_seed)
    found = _POOLS.get(key)
    if found is None:
        install(key, draw_pool(*key))
        found = _POOLS[key]
    return found


def draw_pool(slug: str, mode: str, size: int, pool_seed: int, use_cache: bool = False) -> tuple[Any, ...]:
    """Draw one pool (no memo): what :func:`pool` keeps, and what a worker process sends back.
    Schemathesis hooks and auth providers registered globally in this process (``@schemathesis.hook``,
    ``@schemathesis.auth``: a user's own, or :mod:`orderproof.schemathesis_hooks` once imported)
    take no part: the cases are the seed's alone, the same in any process. ``use_cache``: a coverage
    sample is taken from the API's enumeration in the cache, which is written there when missing."""
    with _without_global_registrations():
        if mode == "coverage":
            return _coverage_sample(slug, size, pool_seed, use_cache)
        return generation.case_pool(slug, mode, size, pool_seed)


def _coverage_sample(slug: str, size: int, pool_seed: int, use_cache: bool) -> tuple[Any, ...]:
    """:func:`generation.coverage_sample`, the same cases, from the cached enumeration when there is one."""
    kept = pool_cache.read_enumeration(slug) if use_cache else None
    if kept is not None:
        cases = kept.cases(generation.coverage_choice(kept.descriptions, size, pool_seed))
        if cases is not None:
            return cases
    if use_cache:
        pool_cache.write_enumeration(slug, generation.coverage_cases(slug))
    return tuple(generation.coverage_sample(slug, size, pool_seed))


@contextmanager
def _without_global_registrations() -> Iterator[None]:
    hooks, providers = GLOBAL_HOOK_DISPATCHER._hooks, GLOBAL_AUTH_STORAGE.providers
    GLOBAL_HOOK_DISPATCHER._hooks, GLOBAL_AUTH_STORAGE.providers = defaultdict(list), []
    try:
        yield
    finally:
        GLOBAL_HOOK_DISPATCHER._hooks, GLOBAL_AUTH_STORAGE.providers = hooks, providers


def install(key: tuple[str, str, int, int], cases: tuple[Any, ...]) -> None:
    """Keep a pool. Its cases are never changed (the shared pass sends a copy,
    :func:`generation.fresh_case`; a flow copies the body), so their metadata is frozen: reading it
    no longer hashes every part of the case again, and a pool read from the cache or handed over by a
    worker process gives the modes Schemathesis generated, as one drawn here does."""
    for case in cases:
        case.freeze_metadata()
    _POOLS[key] = cases


def has(key: tuple[str, str, int, int]) -> bool:
    return key in _POOLS


def forget() -> None:
    _POOLS.clear()
    _SAMPLERS.clear()


def sampler(slug: str, mode: str, size: int, pool_seed: int) -> Any:
    """``st.sampled_from`` over :func:`pool` of the same key, one strategy per pool."""
    key = (slug, mode, size, pool_seed)
    cases = pool(*key)
    held = _SAMPLERS.get(key)
    if held is None or held[0] is not cases:
        held = _SAMPLERS[key] = (cases, st.sampled_from(cases))
    return held[1]


# --- the pools a run's rules draw from ---------------------------------------------------------------

def _positives_key(ctx: RunContext, slug: str) -> PoolKey:
    return PoolKey(slug, "positive", ctx.profile.response_examples, ctx.derive(slug + "/pool+"))


def _negatives_key(ctx: RunContext, slug: str) -> PoolKey:
    return PoolKey(slug, "negative", ctx.profile.response_examples, ctx.derive(slug + "/pool-"))


def _coverage_key(ctx: RunContext, slug: str) -> PoolKey:
    return PoolKey(slug, "coverage", ctx.profile.coverage_examples, ctx.derive(slug + "/cov"))


def _flow_key(ctx: RunContext, slug: str) -> PoolKey:
    return PoolKey(slug, "positive", ctx.flow_pool_size, ctx.pool_seed(slug))


def positives(ctx: RunContext, slug: str) -> tuple[Any, ...]:
    """The shared pass's generated valid cases."""
    return pool(*_positives_key(ctx, slug).args)


def negatives(ctx: RunContext, slug: str) -> tuple[Any, ...]:
    """The shared pass's generated invalid cases."""
    return pool(*_negatives_key(ctx, slug).args)


def coverage(ctx: RunContext, slug: str) -> tuple[Any, ...]:
    """The shared pass's sample of Schemathesis' coverage-phase negative cases."""
    return pool(*_coverage_key(ctx, slug).args)


def flow_bodies(ctx: RunContext, slug: str) -> Any:
    """The strategy the API's flow rules draw their bodies with: one of its pool of valid cases."""
    return sampler(*_flow_key(ctx, slug).args)


def needed(ctx: RunContext, rules: Iterable[Rule]) -> list[PoolKey]:
    """The pools ``rules`` draw from, API by API in the run's order."""
    keys: list[PoolKey] = []
    kinds: dict[str, set[str]] = {}
    for rule in rules:
        kinds.setdefault(rule.api, set()).add(rule_kind(rule))
    for slug in ctx.catalogue.apis:
        found = kinds.get(slug, set())
        if found & {"generic", "response"}:
            keys += [_positives_key(ctx, slug), _negatives_key(ctx, slug), _coverage_key(ctx, slug)]
        if "flow" in found:
            keys.append(_flow_key(ctx, slug))
    return list(dict.fromkeys(keys))


def cached_part(ctx: RunContext) -> dict[str, float]:
    """For each API of the run, the part (0 to 1, by drawing cost) of its pools already in the cache."""
    found: dict[str, float] = {}
    if ctx.options.no_cache:
        return found
    for slug in ctx.run_apis:
        keys = needed(ctx, [rule for rule in ctx.catalogue.rules if rule.api == slug])
        total = sum(key.cost_ms for key in keys)
        cached = sum(key.cost_ms for key in keys if pool_cache.exists(key, ctx.profile.name)
                     or (key.mode == "coverage" and pool_cache.enumerated(slug)))
        found[slug] = cached / total if total else 0.0
    return found


# --- priming: the cache, then parallel drawing ---------------------------------------------------------

@dataclass
class Primed:
    """What :func:`prime` did: pools found in memory, read from the cache, drawn, in how many processes."""

    in_memory: int = 0
    from_cache: int = 0
    drawn: int = 0
    processes: int = 1
    seconds: float = 0.0


def prime(ctx: RunContext, rules: Iterable[Rule] | None = None, *, workers: int | None = None,
          use_cache: bool | None = None) -> Primed:
    """Make every pool ``rules`` (default: all the run's) draw from before the first one is needed."""
    started = time.perf_counter()
    use_cache = (not ctx.options.no_cache) if use_cache is None else use_cache
    keys = needed(ctx, ctx.catalogue.rules if rules is None else rules)
    done = Primed()
    missing = [key for key in keys if not has(key.args)]
    done.in_memory = len(keys) - len(missing)
    if use_cache:
        for key in list(missing):
            cases = pool_cache.read(key, ctx.profile.name)
            if cases is not None:
                install(key.args, cases)
                missing.remove(key)
                done.from_cache += 1
    if missing:
        processes = _processes(workers if workers is not None else ctx.options.jobs, missing)
        drawn = _draw(missing, processes, use_cache)
        for key, cases in drawn.items():
            install(key.args, cases)
            if use_cache:
                pool_cache.write(key, ctx.profile.name, cases)
        done.drawn, done.processes = len(drawn), processes
        if use_cache:
            pool_cache.prune()
    done.seconds = round(time.perf_counter() - started, 3)
    return done


def _processes(workers: int | None, missing: Sequence[PoolKey]) -> int:
    apis = len({key.slug for key in missing})
    if workers is None:
        if os.environ.get("PYTEST_XDIST_WORKER"):
            return 1                     # already one of several processes sharing the cores
        workers = usable_cores()
    return max(1, min(workers, apis))


def _deal(keys: Sequence[PoolKey], processes: int) -> list[list[PoolKey]]:
    """The keys in ``processes`` shares, one API's pools together, the heaviest API first, to the
    share with the least work (this process has a head start over a worker that is still starting)."""
    by_api: dict[str, list[PoolKey]] = {}
    for key in keys:
        by_api.setdefault(key.slug, []).append(key)
    shares: list[list[PoolKey]] = [[] for _ in range(processes)]
    load = [0.0] + [_WORKER_START_MS] * (processes - 1)
    for slug in sorted(by_api, key=lambda slug: -sum(key.cost_ms for key in by_api[slug])):
        lightest = min(range(processes), key=lambda index: (load[index], index))
        shares[lightest] += by_api[slug]
        load[lightest] += sum(key.cost_ms for key in by_api[slug])
    return [share for share in shares if share] or [[]]


def _draw(keys: Sequence[PoolKey], processes: int, use_cache: bool = False) -> dict[PoolKey, tuple[Any, ...]]:
    """Draw ``keys``: the first share here, the others each in a worker process started at once."""
    shares = _deal(keys, processes)
    workers = [(share, _start_worker(share, use_cache)) for share in shares[1:]]
    with seed_alone():
        drawn = {key: draw_pool(*key.args, use_cache=use_cache) for key in shares[0]}
    for share, worker in workers:
        packed = _finish_worker(worker)
        if packed is None:                               # a worker that could not draw: its share here
            with seed_alone():
                drawn.update({key: draw_pool(*key.args, use_cache=use_cache) for key in share})
            continue
        for key in share:
            drawn[key] = tuple(pool_cache.unpack_case(key.slug, case) for case in packed[key.args])
    return drawn


def _start_worker(share: Sequence[PoolKey], use_cache: bool = False) -> subprocess.Popen | None:
    """``python -m orderproof.engine.pools`` with this process's import path, the keys on stdin."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
    try:
        worker = subprocess.Popen([sys.executable, "-m", __name__], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, env=env)
    except OSError:
        return None
    worker.stdin.write(pickle.dumps({"keys": [key.args for key in share], "use_cache": use_cache}))
    worker.stdin.close()
    return worker


def _finish_worker(worker: subprocess.Popen | None) -> dict[tuple[str, str, int, int], list[dict[str, Any]]] | None:
    if worker is None:
        return None
    try:
        output = worker.stdout.read()
        worker.wait(timeout=60)
        return pickle.loads(output) if worker.returncode == 0 else None
    except Exception:  # noqa: BLE001 - the caller draws the share itself
        worker.kill()
        return None


def _worker_main() -> None:
    """In a worker process: draw the pools named on stdin, write them to stdout as plain data."""
    order = pickle.loads(sys.stdin.buffer.read())
    with seed_alone():
        packed = {args: [pool_cache.pack_case(case) for case in draw_pool(*args, use_cache=order["use_cache"])]
                  for args in order["keys"]}
    sys.stdout.buffer.write(pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    _worker_main()
