"""Limits the engine and the reports share."""

from __future__ import annotations

__all__ = ["MAX_BODY_CHARS", "cut_body"]

MAX_BODY_CHARS = 16_000          # of a request or response body kept as evidence


def cut_body(text: str | None) -> str | None:
    """``text`` cut to :data:`MAX_BODY_CHARS`, saying how long it was (a hostile 10 MB answer is
    evidence of its size; masking it whole would cost seconds per failing rule)."""
    if text is None or len(text) <= MAX_BODY_CHARS:
        return text
    return f"{text[:MAX_BODY_CHARS]}... [cut: {len(text)} characters in all]"
