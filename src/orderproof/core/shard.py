"""One certification split over N processes or CI runners (``certify --shard I/N``).

The unit of a share is an API: its rules judge one shared, seeded stream of requests, what its
flows observe counts for its response rules, and its conventions hold through the run. Split
there, N shards run exactly the cases and reach exactly the verdicts of one unsharded run with the
same seed (``merge-reports`` puts them back together); split inside an API, a shard would miss what
another shard's rules of the same API observed.

Shares are balanced by measured cost: the APIs are dealt, most expensive first, to the shard with
the least work so far (longest processing time first). The costs are what each API's adapter
declares (``certify_seconds``: a certify run of the API alone against the embedded reference on the
2-core build machine); an API without a measurement counts as the mean of the others. The deal
depends on the run's APIs and profile only, so every shard of one run computes the same split.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from orderproof.core.errors import UsageError

__all__ = ["Shard", "parse_shard", "share"]

@dataclass(frozen=True)
class Shard:
    index: int          # 1-based
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    """``I/N`` (1 <= I <= N) as a :class:`Shard`; a usage error says what is wrong."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", str(text))
    if not match:
        raise UsageError(f"--shard {text!r} is not I/N (e.g. --shard 1/2: the first of two shares)")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise UsageError(f"--shard {text}: I must be between 1 and N (N at least 1)")
    return Shard(index, count)


def share(apis: Sequence[str], shard: Shard, costs: Mapping[str, float]) -> tuple[str, ...]:
    """The APIs of ``shard`` among the run's ``apis``, in the run's order; ``costs``: the measured
    seconds of each API (an API without one counts as the mean of the others)."""
    if shard.count > len(apis):
        raise UsageError(f"--shard {shard}: the run has {len(apis)} API(s) and an API is the smallest share (its "
                         f"rules judge one shared stream of traffic); use at most {len(apis)} shards")
    known = [costs[api] for api in apis if api in costs]
    default = sum(known) / len(known) if known else 1.0
    position = {api: index for index, api in enumerate(apis)}
    load = [0.0] * shard.count
    dealt: dict[str, int] = {}
    for api in sorted(apis, key=lambda api: (-costs.get(api, default), position[api])):
        lightest = min(range(shard.count), key=lambda index: (load[index], index))
        load[lightest] += costs.get(api, default)
        dealt[api] = lightest
    return tuple(api for api in apis if dealt[api] == shard.index - 1)
