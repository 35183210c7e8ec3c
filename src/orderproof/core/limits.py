"""Limits the engine and the reports share."""

from __future__ import annotations

import os

__all__ = ["MAX_BODY_CHARS", "cut_body", "usable_cores"]

MAX_BODY_CHARS = 16_000          # of a request or response body kept as evidence


def cut_body(text: str | None) -> str | None:
    """``text`` cut to :data:`MAX_BODY_CHARS`, saying how long it was (a hostile 10 MB answer is
    evidence of its size; masking it whole would cost seconds per failing rule)."""
    if text is None or len(text) <= MAX_BODY_CHARS:
        return text
    return f"{text[:MAX_BODY_CHARS]}... [cut: {len(text)} characters in all]"


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                 # not on Linux
        return max(1, os.cpu_count() or 1)
