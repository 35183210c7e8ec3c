"""The APIs orderproof knows: every adapter registered under the entry point group ``orderproof.apis``.

A package declares its API in its own ``pyproject.toml``, the way pytest plugins and Schemathesis
checks are registered::

    [project.entry-points."orderproof.apis"]
    my-api = "my_package:api"

The entry point's name is the API's slug and its object an :class:`~orderproof.adapter.ApiAdapter`.
Loading an adapter imports its package, which registers the package's checks.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Iterable, Mapping
from functools import cache

from orderproof.adapter import ApiAdapter
from orderproof.core.errors import UsageError

__all__ = ["GROUP", "adapters", "certify_costs", "get", "slugs"]

GROUP = "orderproof.apis"
_SLUG = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_PREFIX = re.compile(r"^[A-Z][A-Z0-9]*$")


class RegistryError(UsageError):
    """An installed API package is broken: its entry point cannot be loaded or is not an adapter."""


@cache
def adapters() -> dict[str, ApiAdapter]:
    """Every registered adapter by slug, built-ins first (by ``order``), then by name."""
    found: dict[str, ApiAdapter] = {}
    prefixes: dict[str, str] = {}
    for entry in importlib.metadata.entry_points(group=GROUP):
        where = f"entry point {entry.name!r} ({entry.value}) of group {GROUP}"
        try:
            adapter = entry.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin is named, never a traceback
            raise RegistryError(f"{where} cannot be loaded: {type(exc).__name__}: {exc}") from None
        if not isinstance(adapter, ApiAdapter):
            raise RegistryError(f"{where} is not an ApiAdapter instance but {type(adapter).__name__}")
        if adapter.slug != entry.name or not _SLUG.match(adapter.slug):
            raise RegistryError(f"{where}: the adapter's slug {adapter.slug!r} must equal the entry point's name "
                                "and be lower-case words joined by dashes")
        if not _PREFIX.match(adapter.prefix) or adapter.prefix in prefixes:
            taken = f" (taken by {prefixes[adapter.prefix]})" if adapter.prefix in prefixes else ""
            raise RegistryError(f"{where}: rule prefix {adapter.prefix!r} must be upper-case and unique{taken}")
        if entry.name in found:
            continue                      # the same distribution seen twice on the path
        found[entry.name] = adapter
        prefixes[adapter.prefix] = entry.name
    if not found:
        raise RegistryError(f"no API is registered (entry point group {GROUP}); is orderproof installed? "
                            "Run `python3 -m pip install .` (or -e .) in the checkout")
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


def slugs() -> tuple[str, ...]:
    return tuple(adapters())


def get(slug: str) -> ApiAdapter:
    """The adapter of ``slug``; a usage error listing the known APIs otherwise."""
    known = adapters()
    if slug not in known:
        raise UsageError(f"unknown API {slug!r}; known APIs: {', '.join(known)}")
    return known[slug]


def certify_costs(apis: Iterable[str], profile: str, cached: Mapping[str, float] | None = None) -> dict[str, float]:
    """The measured seconds of a certify run of each API that declares one (shares are dealt by them).
    ``cached``: the part (0 to 1) of each API's generated cases already in the cache; a run of an API
    costs its ``certify_seconds`` with none cached and its ``rerun_seconds`` with all."""
    found = {}
    for slug in apis:
        adapter = get(slug)
        seconds = adapter.certify_seconds.get(profile)
        if seconds is None:
            continue
        rerun = adapter.rerun_seconds.get(profile, seconds)
        part = min(1.0, max(0.0, (cached or {}).get(slug, 0.0)))
        found[slug] = round(float(seconds) - (float(seconds) - float(rerun)) * part, 3)
    return found
