"""How hard a run tries: Hypothesis examples per rule, and which Hypothesis phases run.

| profile  | response rule examples | coverage cases | flow rule examples | use |
| -------- | ---------------------- | -------------- | ------------------ | --- |
| quick    | 8                      | 24             | 3                  | the suite's own tests, a smoke run (no shrinking) |
| standard | 20                     | 60             | 6                  | default: CI gates and certificates |
| thorough | 100                    | all            | 25                 | a release, a nightly job |

The response rules of an API judge one shared stream of requests: 3 x "response rule examples"
draws from a pool of 2 x that many generated cases (half positive, half negative), a seeded sample
of Schemathesis' coverage-phase negative cases (each breaks one field of an otherwise valid
request, sent with a real player's identity) and one valid request per edge value (huge and tiny
stakes, a price in cents with a fraction). A rule that fails there is re-run alone by Hypothesis to
shrink its case (not in quick). Each flow rule runs "flow rule examples" scenarios, drawing bodies
from a pool of max(4, 2 x flow examples) generated positive bodies filled in with fresh fixtures.

Runs are reproducible: every Hypothesis seed derives from the run seed (``--seed``), so
derandomization is off in every profile (it would make ``--seed`` meaningless); no example
database is used. Measured on the 2-core build machine, in process, clean reference, all five
APIs (76 rules, one process per core, benchmarks/RESULTS.md): quick 7-10 s, standard 12-13 s (about
2,500 requests) on a first run; a rerun with the same seed reads its generated cases from the cache
(4-5 s, 7-8 s); the ranges are a calm and a busy hour of a shared machine.
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, Verbosity, settings
from hypothesis.configuration import set_hypothesis_home_dir, storage_directory
from hypothesis.internal.conjecture import providers

from orderproof.core.errors import UsageError
from orderproof.core.paths import cache_dir

__all__ = ["DEFAULT_PROFILE", "PROFILES", "Profile", "get_profile", "hypothesis_settings", "seed_alone"]


@dataclass(frozen=True)
class Profile:
    name: str
    response_examples: int
    flow_examples: int
    coverage_examples: int            # Schemathesis coverage-phase negative cases per API
    phases: tuple[Phase, ...] = (Phase.explicit, Phase.generate, Phase.shrink)
    derandomize: bool = False


PROFILES = {
    profile.name: profile
    for profile in (
        Profile("quick", response_examples=8, flow_examples=3, coverage_examples=24,
                phases=(Phase.explicit, Phase.generate)),
        Profile("standard", response_examples=20, flow_examples=6, coverage_examples=60),
        Profile("thorough", response_examples=100, flow_examples=25, coverage_examples=10_000),
    )
}
DEFAULT_PROFILE = "standard"


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise UsageError(f"unknown profile {name!r}; choose one of: {', '.join(PROFILES)}") from None


def hypothesis_settings(max_examples: int, phases: tuple[Phase, ...] = (Phase.generate,), *,
                        derandomize: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The one way orderproof runs Hypothesis (a decorator over a ``@given`` test): no example
    database (runs repeat by their seed, not by a file in the user's directory), no deadline (a
    service may be slow), quiet, every health check off (the suite's strategies draw large bodies on
    purpose), one failure reported. Every test also gets its ``@seed``, so the example database key
    Hypothesis would derive from the test's source (reading and tokenizing it on every run of every
    rule: 4 % of a run) is never used: the test carries none."""
    chosen = settings(max_examples=max_examples, phases=phases, derandomize=derandomize, database=None,
                      deadline=None, suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
                      report_multiple_bugs=False)

    def apply(test: Callable[..., Any]) -> Callable[..., Any]:
        test = chosen(test)
        test._hypothesis_internal_database_key = None       # type: ignore[attr-defined]
        return test

    return apply


def _no_local_constants() -> providers.Constants:
    return providers.Constants()


# The characters UTF-8 encodes, as Hypothesis keeps them (``intervals_from_codec("utf-8")``): every
# code point but the surrogates; none fails to round-trip. The same in every Unicode version. By
# file name, the two forms Hypothesis has used: before 6.156 the intervals alone, since then the
# intervals and those that do not round-trip.
_UTF8 = [[0, 0xD7FF], [0xE000, sys.maxunicode]]
UTF8_TABLES = {"codec-utf-8.json.gz": _UTF8, "codec-v2-utf-8.json.gz": [_UTF8, []]}


@cache
def _utf8_table(home: Path) -> None:
    """Hypothesis finds the characters Schemathesis' text may use (the ``utf-8`` codec) by encoding
    each of the 1.1 million code points, once per storage directory: 1.3-1.5 s of a first run on a
    fresh machine or CI runner, in every process that generates. The answer never changes, so it is
    written where Hypothesis reads it (tests/core/test_profiles.py proves that the installed
    Hypothesis reads it and would have computed the same). Where it cannot be written, Hypothesis
    computes it, as it would have."""
    folder = home / "unicode_data" / unicodedata.unidata_version
    for name, table in UTF8_TABLES.items():
        temporary = None
        try:
            if (folder / name).exists():
                continue
            folder.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=1) as packed:
                packed.write(json.dumps(table).encode())
            os.replace(temporary, folder / name)
        except OSError:
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
            return


@contextmanager
def seed_alone() -> Iterator[None]:
    """Generation that depends on the seed alone. Hypothesis (6.131 and later) also draws literals
    it finds in the source of "local" modules: an editable install of orderproof, the user's own
    project, whatever the process has imported so far. The same ``--seed`` would then generate other
    cases by install mode and working directory (and write ``.hypothesis/constants`` into it).
    Inside this block Hypothesis knows no local constants and keeps its files (its Unicode tables)
    in orderproof's cache directory, not in the working directory; outside it, a user's own
    Hypothesis tests in the same pytest session are left as they were."""
    original = providers._get_local_constants
    home = storage_directory(intent_to_write=False).home_directory
    providers._get_local_constants = _no_local_constants
    providers.CONSTANTS_CACHE.cache.clear()
    set_hypothesis_home_dir(cache_dir() / "hypothesis")
    try:
        _utf8_table(cache_dir() / "hypothesis")
        yield
    finally:
        set_hypothesis_home_dir(home)
        providers._get_local_constants = original
        providers.CONSTANTS_CACHE.cache.clear()
