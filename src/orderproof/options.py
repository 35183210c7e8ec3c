"""Run options shared by ``orderproof certify`` and the pytest plugin."""

from __future__ import annotations

from collections.abc import Iterable

from orderproof.errors import UsageError

__all__ = ["parse_pins"]


def parse_pins(values: Iterable[str]) -> dict[str, str]:
    """``--convention NAME=OPTION`` values as a mapping (a usage error names a malformed one)."""
    pins: dict[str, str] = {}
    for value in values:
        name, sep, option = value.partition("=")
        if not sep or not name.strip() or not option.strip():
            raise UsageError(f"--convention {value!r} is not NAME=OPTION, e.g. sportsbook-order.rejection=http-200")
        pins[name.strip()] = option.strip()
    return pins
