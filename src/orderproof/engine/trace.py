"""What makes a failing scenario replayable: the values it drew, in order, as JSON.

A check and an adapter's overlay are deterministic given their draws and the target's answers. So a
failure is recorded as its draws (and, for a response rule, the generated case it started from), and
replayed by running the same code with a :class:`Replayer` that hands the recorded values back
instead of drawing. Identities (players, events, keys, ticket ids) come fresh from the replay's own
provider states and scene, so a replay never collides with the run it repeats.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

__all__ = ["Diverged", "RecordingDraw", "Replayer", "decode", "encode"]


class Diverged(Exception):
    """The replay went another way than the recorded scenario (the service answered differently):
    the recorded failure did not happen again."""


def encode(value: Any) -> Any:
    """A drawn value as JSON: tagged objects for what JSON has no literal for."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else {"$float": repr(value)}
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, bytes):
        return {"$bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple):
        return {"$tuple": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value) and not any(key.startswith("$") for key in value):
            return {key: encode(item) for key, item in value.items()}
        return {"$dict": [[encode(key), encode(item)] for key, item in value.items()]}
    if hasattr(value, "body") and hasattr(value, "media_type"):      # a generated case drawn from a pool
        return {"$case": {"body": encode(value.body), "media_type": value.media_type}}
    raise TypeError(f"a drawn {type(value).__name__} cannot be recorded")


class DrawnCase:
    """A generated case as a replay hands it back: what a flow reads of one (body, media type)."""

    def __init__(self, body: Any, media_type: str | None):
        self.body = body
        self.media_type = media_type


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (tag, inner), = value.items()
        if tag == "$float":
            return float(inner)
        if tag == "$decimal":
            return Decimal(inner)
        if tag == "$datetime":
            return dt.datetime.fromisoformat(inner)
        if tag == "$date":
            return dt.date.fromisoformat(inner)
        if tag == "$bytes":
            return base64.b64decode(inner)
        if tag == "$tuple":
            return tuple(decode(item) for item in inner)
        if tag == "$dict":
            return {decode(key): decode(item) for key, item in inner}
        if tag == "$case":
            return DrawnCase(decode(inner["body"]), inner.get("media_type"))
    return {key: decode(item) for key, item in value.items()}


def _unwrapped(strategy: Any) -> Any:
    return getattr(strategy, "wrapped_strategy", strategy)        # st.lists(...) is lazy


def _choices(strategy: Any) -> tuple[Any, ...] | None:
    """The elements of ``st.sampled_from(...)``, else None."""
    inner = _unwrapped(strategy)
    return tuple(inner.elements) if type(inner).__name__ == "SampledFromStrategy" else None


def _list_choices(strategy: Any) -> tuple[Any, ...] | None:
    """The elements of ``st.lists(st.sampled_from(...))``, else None."""
    element = getattr(_unwrapped(strategy), "element_strategy", None)
    return _choices(element) if element is not None else None


def _index(choices: tuple[Any, ...], value: Any) -> int | None:
    for index, choice in enumerate(choices):
        if choice is value:
            return index
    for index, choice in enumerate(choices):
        if choice == value:
            return index
    return None


class RecordingDraw:
    """Wraps a Hypothesis ``draw`` and records every value it returns, with its label. A choice from
    ``sampled_from`` is also recorded by its place, because what it chose among may be identities
    of the run (an event's bet ids): a replay takes the same place among its own."""

    def __init__(self, draw: Callable[..., Any]):
        self._draw = draw
        self.draws: list[dict[str, Any]] = []

    def __call__(self, strategy: Any, label: str | None = None) -> Any:
        value = self._draw(strategy, label=label) if label is not None else self._draw(strategy)
        record: dict[str, Any] = {"label": label, "value": encode(value)}
        choices, among = _choices(strategy), _list_choices(strategy)
        if choices is not None and (index := _index(choices, value)) is not None:
            record["index"] = index
        elif among is not None and isinstance(value, list):
            indices = [_index(among, item) for item in value]
            if None not in indices:
                record["indices"] = indices
        self.draws.append(record)
        return value


class Replayer:
    """Hands the recorded draws back in order (a ``data.draw`` stand-in); :class:`Diverged` when
    the scenario asks for something else than it drew the first time."""

    def __init__(self, draws: list[dict[str, Any]]):
        self._draws = list(draws)
        self._next = 0

    def draw(self, strategy: Any, label: str | None = None) -> Any:
        if self._next >= len(self._draws):
            raise Diverged(f"the scenario asked for more than it drew the first time ({label or 'a value'})")
        recorded = self._draws[self._next]
        self._next += 1
        if recorded.get("label") != label:
            raise Diverged(f"the scenario drew {label!r} where it first drew {recorded.get('label')!r}")
        choices, among = _choices(strategy), _list_choices(strategy)
        try:
            if "index" in recorded and choices is not None:
                return choices[recorded["index"]]
            if "indices" in recorded and among is not None:
                return [among[index] for index in recorded["indices"]]
        except IndexError:
            raise Diverged(f"{label or 'a choice'}: fewer to choose from than the first time") from None
        return decode(recorded["value"])

    __call__ = draw
