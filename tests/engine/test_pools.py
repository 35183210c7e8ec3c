"""engine.pools: a run's generated cases, read from the cache or drawn in parallel processes, are
the cases one process draws for the seed."""

from __future__ import annotations

import os
import pickle
from typing import Any

import pytest
from schemathesis.core import NOT_SET

from orderproof import registry
from orderproof.core.options import RunOptions
from orderproof.engine import generation, pool_cache, pools
from orderproof.engine.context import build_context

SEED = 31


def _seen(case: Any) -> tuple:
    """What a case sends and how the engine reads it."""
    return (case.method, case.path, case.body if case.body is not NOT_SET else "<none>",
            sorted((case.headers or {}).items()), case.query, case.media_type, case.meta.generation.mode,
            generation._description(case), sorted(generation.mutated_names(case)))


def _all(ctx, rules) -> dict[tuple, list[tuple]]:
    return {key.args: [_seen(case) for case in pools.pool(*key.args)] for key in pools.needed(ctx, rules)}


def _entries(tmp_path, kind: str | None = None) -> list:
    """The cache's pool entries, or its entries of one ``kind`` (``coverage-all``: enumerations)."""
    found = sorted((tmp_path / "cache" / "pools").glob("*.pickle"))
    if kind is None:
        return [path for path in found if "-coverage-all-" not in path.name]
    return [path for path in found if f"-{kind}-" in path.name]


@pytest.fixture
def ctx(monkeypatch, tmp_path):
    monkeypatch.setenv("ORDERPROOF_CACHE_DIR", str(tmp_path / "cache"))
    pools.forget()
    context = build_context(RunOptions(profile="quick", seed=SEED))
    yield context
    context.close()
    pools.forget()


def test_every_api_needs_its_pools(ctx):
    keys = pools.needed(ctx, ctx.catalogue.rules)
    assert {key.slug for key in keys} == set(registry.slugs())
    assert {key.mode for key in keys} == {"positive", "negative", "coverage"}
    only_flows = [rule for rule in ctx.catalogue.rules if rule.id == "BP-ATOMIC"]
    assert [(key.slug, key.mode) for key in pools.needed(ctx, only_flows)] == [("bet-placement", "positive")]


@pytest.mark.slow
def test_the_cache_and_a_second_process_give_the_cases_one_process_draws(ctx, tmp_path):
    # two APIs (the share of one goes to the worker process), complex bodies both
    rules = [rule for rule in ctx.catalogue.rules if rule.api in ("sportsbook-order", "jackpot-ticket")]
    primed = pools.prime(ctx, rules, workers=1, use_cache=False)
    assert (primed.drawn, primed.from_cache, primed.processes) == (8, 0, 1)
    drawn_here = _all(ctx, rules)
    assert not (tmp_path / "cache" / "pools").exists(), "--no-cache writes nothing"

    pools.forget()
    primed = pools.prime(ctx, rules, workers=2)            # one share here, one in a worker process
    assert (primed.drawn, primed.processes) == (8, 2)
    assert _all(ctx, rules) == drawn_here
    assert len(_entries(tmp_path)) == 8 and len(_entries(tmp_path, "coverage-all")) == 2   # and each API's enumeration

    pools.forget()
    primed = pools.prime(ctx, rules)
    assert (primed.drawn, primed.from_cache) == (0, 8)
    assert _all(ctx, rules) == drawn_here
    assert pools.prime(ctx, rules).in_memory == 8          # and then kept in memory


def test_an_entry_of_another_generator_a_broken_one_or_no_cache_is_drawn_again(ctx, tmp_path, monkeypatch):
    rules = [rule for rule in ctx.catalogue.rules if rule.api == "superbet-reserve"]
    count = len(pools.needed(ctx, rules))
    assert pools.prime(ctx, rules, workers=1).drawn == count == 4       # positive, negative, coverage, flows
    entries = _entries(tmp_path)
    assert len(entries) == count
    pools.forget()
    pool_cache.generator_version.cache_clear()
    with monkeypatch.context() as patched:
        patched.setattr(pool_cache.schemathesis, "__version__", "0.0.0")        # another Schemathesis: other keys
        assert pools.prime(ctx, rules, workers=1).from_cache == 0
    pool_cache.generator_version.cache_clear()
    pools.forget()
    entries[0].write_bytes(b"not a pickle")
    primed = pools.prime(ctx, rules, workers=1)
    assert (primed.from_cache, primed.drawn) == (count - 1, 1)
    assert pickle.loads(entries[0].read_bytes())            # written again, whole


def test_a_new_seed_samples_the_coverage_enumeration_an_earlier_run_kept(ctx, tmp_path, monkeypatch):
    """The coverage phase enumerates the same cases whatever the seed: a run of another seed reads the
    enumeration from the cache (no coverage phase run again) and sends the cases it would have drawn."""
    rules = [rule for rule in ctx.catalogue.rules if rule.api == "jackpot-ticket"]
    pools.prime(ctx, rules, workers=1)
    assert len(_entries(tmp_path, "coverage-all")) == 1
    other = build_context(RunOptions(profile="quick", seed=SEED + 1, apis=("jackpot-ticket",)))
    try:
        key = next(key for key in pools.needed(other, rules) if key.mode == "coverage")
        enumerated = [_seen(case) for case in generation.coverage_sample(key.slug, key.size, key.seed)]
        with monkeypatch.context() as patched:
            patched.setattr(generation, "coverage_cases", lambda *args: pytest.fail("enumerated again"))
            pools.forget()
            assert pools.prime(other, rules, workers=1).drawn == 4
            assert [_seen(case) for case in pools.pool(*key.args)] == enumerated
        entry = _entries(tmp_path, "coverage-all")[0]                  # an enumeration it cannot read
        entry.write_bytes(pickle.dumps((["a description"], [b"not a pickle"])))
        pools.forget()
        for cached in _entries(tmp_path):
            cached.unlink()
        assert pools.prime(other, rules, workers=1).drawn == 4
        assert [_seen(case) for case in pools.pool(*key.args)] == enumerated
        assert len(pickle.loads(entry.read_bytes())[1]) > 1               # enumerated again, and written whole
    finally:
        other.close()


def test_the_cache_keeps_the_most_recently_used_entries_within_its_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERPROOF_CACHE_DIR", str(tmp_path))
    folder = tmp_path / "pools"
    folder.mkdir()
    for age, name in enumerate(["old", "mid", "new"]):
        entry = folder / f"{name}.pickle"
        entry.write_bytes(b"x" * 100)
        os.utime(entry, (1_000_000 + age, 1_000_000 + age))
    pool_cache.prune(limit=250)
    assert sorted(path.stem for path in folder.glob("*.pickle")) == ["mid", "new"]


def test_a_cache_that_cannot_be_written_is_no_error(ctx, tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache directory would be")
    monkeypatch.setenv("ORDERPROOF_CACHE_DIR", str(blocked))
    rules = [rule for rule in ctx.catalogue.rules if rule.api == "superbet-reserve"]
    assert pools.prime(ctx, rules, workers=1).drawn == len(pools.needed(ctx, rules))


def test_a_worker_that_cannot_start_leaves_its_share_to_this_process(ctx, monkeypatch):
    monkeypatch.setattr(pools, "_start_worker", lambda share, use_cache=False: None)
    rules = [rule for rule in ctx.catalogue.rules if rule.api in ("superbet-reserve", "bet-placement")]
    primed = pools.prime(ctx, rules, workers=2, use_cache=False)
    assert (primed.drawn, primed.processes) == (len(pools.needed(ctx, rules)), 2)
    assert all(pools.has(key.args) for key in pools.needed(ctx, rules))
