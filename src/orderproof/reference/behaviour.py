"""Named behaviours: every point where a fault or a variation may change what the reference does.

Each API module declares ``BEHAVIOUR = {"name": correct_function, ...}``; the app merges them into
one :class:`Behaviour` namespace, applies the patch of at most one fault (``faults.py``: a bug) and
at most one variation (``variations.py``: another correct choice) and handlers call
``request.app.state.behaviour.<name>(...)``. Handlers never test which fault or variation is on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType


class Behaviour:
    """A read-only namespace of functions: ``behaviour.bp_potential_payout(stake, price)``."""

    def __init__(self, functions: Mapping[str, Callable]) -> None:
        self._functions = MappingProxyType(dict(functions))

    def __getattr__(self, name: str) -> Callable:
        try:
            return self._functions[name]
        except KeyError:
            raise AttributeError(f"no behaviour named {name!r}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._functions

    def names(self) -> list[str]:
        return sorted(self._functions)


def build_behaviour(
    defaults: Mapping[str, Mapping[str, Callable]], patch: Mapping[str, Callable] | None = None
) -> Behaviour:
    """Merge the ``BEHAVIOUR`` tables of the API modules (``{module name: table}``) and apply ``patch``.

    A name declared by two modules, or a patch naming a behaviour nobody declares, is a start-up
    error (``ValueError``), never a silently ignored fault or variation.
    """
    merged: dict[str, Callable] = {}
    owner: dict[str, str] = {}
    for module, table in defaults.items():
        for name, function in table.items():
            if name in merged:
                raise ValueError(f"behaviour {name!r} is declared by both {owner[name]} and {module}")
            merged[name], owner[name] = function, module
    for name, function in (patch or {}).items():
        if name not in merged:
            raise ValueError(
                f"the fault or variation patches an unknown behaviour {name!r}; "
                f"known behaviours: {', '.join(sorted(merged))}"
            )
        merged[name] = function
    return Behaviour(merged)
