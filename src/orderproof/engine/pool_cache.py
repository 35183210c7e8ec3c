"""The disk cache of generated case pools (``<cache dir>/pools/``), and cases as plain data that
travel to it and back from a worker process of :mod:`orderproof.engine.pools`.

An entry's key is (API, pool, size, seed, profile, the spec file's sha256, the generator version:
orderproof's generation code, Schemathesis and Hypothesis); an API's coverage-phase enumeration,
which pools of any seed sample, is keyed by the spec and the generator alone. Entries are written
atomically (other processes may read the same cache), the least recently used go beyond
:data:`CACHE_LIMIT_BYTES`, and a cache that cannot be read or written is no error: the pool is
drawn again.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import hypothesis
import schemathesis
from schemathesis.core import NOT_SET
from schemathesis.generation.case import Case

from orderproof import registry
from orderproof.core.paths import cache_dir
from orderproof.core.version import __version__
from orderproof.engine import generation

__all__ = ["CACHE_LIMIT_BYTES", "Enumeration", "enumerated", "exists", "generator_version", "pack_case", "prune",
           "read", "read_enumeration", "unpack_case", "write", "write_enumeration"]

CACHE_LIMIT_BYTES = 256 * 2**20          # the oldest cached pools go beyond this


# --- cases that travel: to the disk cache and back from a worker process ----------------------------

_CASE_FIELDS = ("method", "path", "id", "path_parameters", "headers", "cookies", "query", "body", "media_type",
                "multipart_content_types")
_NO_BODY = "\x00orderproof: no body\x00"


def pack_case(case: Any) -> dict[str, Any]:
    """A case as plain picklable data: everything but its operation (which the reader has)."""
    packed = {name: getattr(case, name) for name in _CASE_FIELDS}
    if packed["body"] is NOT_SET:
        packed["body"] = _NO_BODY
    packed["meta"] = case.meta
    return packed


def unpack_case(slug: str, packed: dict[str, Any]) -> Any:
    """The case :func:`pack_case` packed, bound to this process's operation of the API."""
    fields = dict(packed)
    meta = fields.pop("meta")
    if isinstance(fields["body"], str) and fields["body"] == _NO_BODY:
        fields["body"] = NOT_SET
    method, path = fields.pop("method"), fields.pop("path")
    return Case(generation.load_operation(slug), method, path, meta=meta, **fields)


# --- the cache on disk ---------------------------------------------------------------------------------

@cache
def generator_version() -> str:
    """What decides the cases besides the spec and the seed: the generation code, Schemathesis, Hypothesis."""
    code = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in (here / "pools.py", here / "generation.py", here.parent / "core" / "profiles.py"):
        code.update(path.read_bytes())
    return (f"orderproof {__version__} ({code.hexdigest()[:16]}), schemathesis {schemathesis.__version__}, "
            f"hypothesis {hypothesis.__version__}")


@cache
def _spec_sha256(slug: str) -> str:
    return hashlib.sha256(registry.get(slug).spec_path.read_bytes()).hexdigest()


def _path(key: Any, profile: str) -> Path:
    return _entry(key.slug, key.mode, {"size": key.size, "seed": key.seed, "profile": profile})


def _entry(slug: str, pool: str, identity: dict[str, Any]) -> Path:
    text = json.dumps({"api": slug, "pool": pool, **identity, "spec": _spec_sha256(slug),
                       "generator": generator_version()}, sort_keys=True)
    return cache_dir() / "pools" / f"{slug}-{pool}-{hashlib.sha256(text.encode()).hexdigest()[:32]}.pickle"


def exists(key: Any, profile: str) -> bool:
    return _path(key, profile).is_file()


def read(key: Any, profile: str) -> tuple[Any, ...] | None:
    packed = _read(_path(key, profile))
    if packed is None:
        return None
    try:
        return tuple(unpack_case(key.slug, case) for case in packed)
    except Exception:  # noqa: BLE001 - an entry this version cannot read: draw it again
        return None


def write(key: Any, profile: str, cases: Sequence[Any]) -> None:
    _write(_path(key, profile), [pack_case(case) for case in cases])


# Schemathesis' coverage phase enumerates the same cases of a spec whatever the seed (thousands for
# a large nested body, more than a second to make); a pool samples them by the seed. The
# enumeration is kept apart from the pools, keyed by the spec and the generator alone, so that a
# run with a new seed samples the enumeration an earlier run kept.

@dataclass(frozen=True)
class Enumeration:
    """An API's coverage cases as the cache keeps them: what each says it broke, in order, and each
    case packed on its own, so that a sample unpacks only the cases it takes."""

    slug: str
    descriptions: list[str]
    packed: list[bytes]

    def cases(self, indices: Iterable[int]) -> tuple[Any, ...] | None:
        """The cases at ``indices``, unpacked; None when one cannot be (an entry this version cannot
        read), as :func:`read` answers for a pool."""
        try:
            return tuple(unpack_case(self.slug, pickle.loads(self.packed[index])) for index in indices)
        except Exception:  # noqa: BLE001 - an entry this version cannot read: enumerate again
            return None


def read_enumeration(slug: str) -> Enumeration | None:
    found = _read(_entry(slug, "coverage-all", {}))
    try:
        descriptions, packed = found
        return Enumeration(slug, list(descriptions), list(packed))
    except (TypeError, ValueError):                     # no entry, or not one this version wrote
        return None


def write_enumeration(slug: str, cases: Sequence[Any]) -> None:
    _write(_entry(slug, "coverage-all", {}),
           ([generation.description_of(case.meta) for case in cases],
            [pickle.dumps(pack_case(case), protocol=pickle.HIGHEST_PROTOCOL) for case in cases]))


def enumerated(slug: str) -> bool:
    return _entry(slug, "coverage-all", {}).is_file()


def _read(path: Path) -> Any:
    try:
        packed = pickle.loads(path.read_bytes())
    except Exception:  # noqa: BLE001 - no entry, or one this version cannot read: draw it again
        return None
    try:
        os.utime(path)                   # recently used: pruned last
    except OSError:
        pass
    return packed


def _write(path: Path, packed: Any) -> None:
    """Write one entry atomically (other processes may read the same cache); a cache that cannot be
    written is skipped, never an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, path)
    except Exception:  # noqa: BLE001 - e.g. a read-only home directory: the run goes on without a cache
        return


def prune(limit: int = CACHE_LIMIT_BYTES) -> None:
    """Remove the least recently used entries beyond ``limit`` bytes."""
    try:
        entries = [(entry.stat().st_mtime, entry.stat().st_size, entry)
                   for entry in (cache_dir() / "pools").glob("*.pickle")]
    except OSError:
        return
    total = sum(size for _, size, _ in entries)
    for _, size, entry in sorted(entries, key=lambda item: item[0]):
        if total <= limit:
            break
        try:
            entry.unlink()
            total -= size
        except OSError:
            pass
