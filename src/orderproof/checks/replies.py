"""Comparing two answers: is the second the first one again (a replay)?"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from typing import Any

from .base import Exchange
from .snapshots import body_of

__all__ = ["same_answer"]


def same_answer(first: Exchange, again: Exchange, varying: Iterable[str] = (),
                compare: Callable[[Any, Any], bool] = operator.eq) -> bool:
    """``again`` is ``first``'s answer: the same status and the same JSON (compared parsed, so
    formatting does not matter; top-level members named in ``varying``, such as a response time,
    may differ; ``compare`` may be looser than equality, e.g. "carries every member of")."""
    if first.status != again.status:
        return False
    one, two = body_of(first), body_of(again)
    if one is None or two is None:
        return first.response_text == again.response_text
    varying = set(varying)
    if varying and isinstance(one, dict) and isinstance(two, dict):
        one = {k: v for k, v in one.items() if k not in varying}
        two = {k: v for k, v in two.items() if k not in varying}
    return compare(one, two)
