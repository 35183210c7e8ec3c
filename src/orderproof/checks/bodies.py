"""Helpers for building realistic request bodies, shared by the API adapters and their checks:
money and odds as JSON numbers, the selections of an event set up by a provider state, readable
strings, the spec's own request example.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from orderproof.core.paths import spec_document

from .base import NotVerified

__all__ = ["draw_cents", "identifier", "limits_cents", "money_number", "plain", "price_number", "readable",
           "request_example", "selection"]

Draw = Callable[..., Any]


def money_number(cents: int) -> float:
    """A JSON number for ``cents`` minor units, built from its decimal text (no float arithmetic)."""
    return float(f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}")


def price_number(text: Any) -> float:
    return float(str(text))


def draw_cents(draw: Draw, low: int, high: int) -> int:
    return draw(st.integers(low, max(low, high)), "cents")


def limits_cents(player: Mapping[str, Any], low: int, high: int) -> tuple[int, int]:
    """``(low, high)`` cents narrowed to the player's stake limits, when the player has them."""
    def cents_of(name: str, default: int) -> int:
        try:
            value = Decimal(str(player[name]))
        except (KeyError, ArithmeticError, ValueError):
            return default
        return int(value * 100) if value.is_finite() else default
    lo, hi = max(low, cents_of("min_stake", low)), min(high, cents_of("max_stake", high))
    return (lo, hi) if lo <= hi else (low, high)


def selection(draw: Draw, event: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """(market, selection) drawn from an "an event exists" answer; an allowed market when there is one."""
    markets = [m for m in event.get("markets", []) if m.get("selections")]
    markets = [m for m in markets if m.get("allowed", True)] or markets   # a closed market when asked for
    if not markets:
        raise NotVerified("the event set up has no market with selections")
    market = markets[draw(st.integers(0, len(markets) - 1), "market")]
    selections = market["selections"]
    return market, selections[draw(st.integers(0, len(selections) - 1), "selection")]


def plain(value: Any) -> bool:
    """A string every service stores as it is: printable ASCII with a letter or a digit in it (a
    service may refuse control characters, lone surrogates, characters its store cannot hold, a name
    of punctuation alone such as "'", and they test nothing of the rules)."""
    return (isinstance(value, str) and value.isascii() and value.isprintable()
            and any(ch.isalnum() for ch in value))


# An identifier every service keeps (the samples' "1", "8812345", "affiliate-1"): ASCII letters and digits
# with . _ : - inside, at most 32 characters. A catalogue key or tag of other characters is one a service
# may refuse as unknown.
_IDENTIFIER = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._:-]{0,30}[A-Za-z0-9])?$")


def identifier(value: Any) -> bool:
    """Is ``value`` an identifier every service keeps (:data:`_IDENTIFIER`)?"""
    return isinstance(value, str) and _IDENTIFIER.match(value) is not None


def readable(generated: Mapping[str, Any], template: Mapping[str, Any]) -> dict[str, Any]:
    """``generated`` with every string field that is not :func:`plain` (an id, a key ending in "Id":
    not an :func:`identifier`) taken from ``template``."""
    return {**generated, **{key: value for key, value in template.items() if isinstance(value, str) and not (
        identifier if key.endswith("Id") else plain)(generated.get(key))}}


def request_example(spec: Path, path: str, method: str) -> dict[str, Any]:
    """The first request example the spec gives for the operation (a copy: the parsed spec is shared
    by the whole process): a template for what a generated body lacks."""
    return copy.deepcopy(_request_example(spec, path, method))


def _request_example(spec: Path, path: str, method: str) -> dict[str, Any]:
    document = spec_document(spec)
    content = document["paths"][path][method.lower()]["requestBody"]["content"]
    for media in content.values():
        if isinstance(media.get("example"), dict):
            return media["example"]
        for example in (media.get("examples") or {}).values():
            if "value" in example:
                return example["value"]
            ref = example.get("$ref", "")
            if ref.startswith("#/components/examples/"):
                return document["components"]["examples"][ref.rsplit("/", 1)[1]]["value"]
    return {}
