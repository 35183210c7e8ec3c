"""Limits the engine and the reports share."""

from __future__ import annotations

import os
from collections.abc import Callable

__all__ = ["MASK_MARGIN", "MAX_BODY_CHARS", "cut_body", "usable_cores"]

MAX_BODY_CHARS = 16_000          # of a request or response body kept as evidence
MASK_MARGIN = 4_096              # masked past a cut, so that a secret at the cut is masked whole first


def cut_body(text: str | None, mask: Callable[[str], str] | None = None, limit: int = MAX_BODY_CHARS, *,
             note: bool = True) -> str | None:
    """``text`` cut to ``limit`` characters, saying how long it was (``note``; else ``...``): a hostile
    10 MB answer is evidence of its size. ``mask`` (masking's ``mask_text``) is applied before the cut,
    to the kept part and a margin past it: a secret cut in two would keep its first characters (its
    field name no longer matches without the closing quote), and masking 10 MB whole would cost
    seconds per failing rule."""
    if text is None:
        return None
    head = text[:limit + MASK_MARGIN]
    if mask is not None:
        head = mask(head)
    if len(head) <= limit and len(text) <= limit + MASK_MARGIN:
        return head
    return head[:limit] + (f"... [cut: {len(text)} characters in all]" if note else "...")


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:                 # not on Linux
        return max(1, os.cpu_count() or 1)
