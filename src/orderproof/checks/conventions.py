"""Declared conventions at run time: the choices a seed leaves open, and which option the target
follows (the OpenID conformance suite's test-plan variants).

Every convention is declared in its API's contract (``conventions:``) with its options. A check that
meets an answer depending on one calls :meth:`ConventionBook.observe` with the options the answer
is consistent with. By default every option is accepted, but the same one throughout the run: the
book narrows the candidates with each answer, and an answer that leaves none is a failure of the
rule that saw it, naming both answers. A target file (or ``--convention``) may pin an option; then
an answer that contradicts it fails at once. The certificate lists what the run was certified under.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from orderproof.core.errors import UsageError

from .base import RuleFailure


class Convention(Protocol):
    """What the book reads of a declared convention (``orderproof.catalogue.Convention``)."""

    id: str
    title: str

    @property
    def option_ids(self) -> tuple[str, ...]: ...

__all__ = ["ConventionBook", "book_of", "validate_pins"]


@dataclass
class _State:
    candidates: tuple[str, ...]
    first: dict[str, str]             # option -> what first showed it (one line of evidence)
    origins: dict[str, Any] = field(default_factory=dict)   # option -> where it was first shown (the engine's)


class ConventionBook:
    """The conventions of one run: pinned options, and the candidates the answers left."""

    def __init__(self, conventions: Mapping[str, Convention] | None = None,
                 pinned: Mapping[str, str] | None = None):
        self.conventions = dict(conventions or {})
        self.pinned = dict(pinned or {})
        self._states: dict[str, _State] = {}
        self._noted: dict[str, dict[str, str]] = {}     # name -> option -> first evidence (not held to one)
        self._mixes: dict[str, tuple[str, ...]] = {}    # name -> the options every noted answer fitted
        self._lock = threading.Lock()
        self.origin: Any = None      # set by the engine: where the answers being judged come from

    def options(self, name: str) -> tuple[str, ...]:
        convention = self.conventions.get(name)
        return convention.option_ids if convention is not None else ()

    def allowed(self, name: str) -> tuple[str, ...]:
        """The options still open for ``name`` (the pinned one, or those consistent so far)."""
        with self._lock:
            state = self._states.get(name)
            if state is not None:
                return state.candidates
        if name in self.pinned:
            return (self.pinned[name],)
        return self.options(name)

    def observe(self, rule_id: str, name: str, options: str | Iterable[str], evidence: str = "") -> None:
        """An answer consistent with ``options`` of convention ``name`` was seen; raises
        :class:`RuleFailure` (for ``rule_id``) when it contradicts the pinned option or what the run saw
        before."""
        shown = (options,) if isinstance(options, str) else tuple(options)
        with self._lock:
            state = self._states.get(name)
            if state is None:
                start = (self.pinned[name],) if name in self.pinned else (self.options(name) or shown)
                state = self._states[name] = _State(tuple(start), {})
            left = tuple(option for option in state.candidates if option in shown)
            if not left:
                raise self._contradiction(rule_id, name, shown, state, evidence)
            for option in shown:
                if option in left and option not in state.first and evidence:
                    state.first[option] = evidence
                if option in left and option not in state.origins and self.origin is not None:
                    state.origins[option] = self.origin
            state.candidates = left

    def note(self, rule_id: str, name: str, options: str | Iterable[str], evidence: str = "") -> None:
        """An answer followed ``options`` of ``name`` where the run is not held to one option (a
        refusal no rule asks to be consistent): recorded for the certificate, or held to the pin when
        the target pins one (:meth:`observe`)."""
        if name in self.pinned:
            self.observe(rule_id, name, options, evidence)
            return
        shown = (options,) if isinstance(options, str) else tuple(options)
        with self._lock:
            noted = self._noted.setdefault(name, {})
            candidates = self._mixes.get(name, self.options(name) or shown)
            self._mixes[name] = tuple(option for option in candidates if option in shown)   # () once mixed
            for option in shown:
                noted.setdefault(option, evidence)

    def _contradiction(self, rule_id: str, name: str, shown: tuple[str, ...], state: _State,
                       evidence: str) -> RuleFailure:
        convention = self.conventions.get(name)
        title = f" ({convention.title})" if convention is not None else ""
        answer = " or ".join(shown) or "none of the options"
        pin_other = f"`conventions: {{{name}: {shown[0]}}}`" if shown else "the option it follows"
        if name in self.pinned:
            message = (f"this answer follows {answer} of convention {name}{title}, but the target pins "
                       f"{self.pinned[name]}; if {answer} is the service's convention, declare {pin_other} in the "
                       "target file (or --convention)")
        else:
            earlier = "; ".join(f"{option}: {state.first[option]}" for option in state.candidates
                                if option in state.first)
            message = (f"this answer follows {answer} of convention {name}{title}, but earlier answers of the "
                       f"run followed {' or '.join(state.candidates)}" + (f" ({earlier})" if earlier else "")
                       + "; a service keeps one convention through a run (pin the service's own with "
                       f"`conventions: {{{name}: <option>}}` in the target file)")
        failure = RuleFailure(rule_id, message, received=evidence or None,
                              documented=f"one option of {name} throughout: {', '.join(self.options(name) or shown)}")
        # where the earlier answers came from, so that a replay shows them again before this one
        failure.origins = [state.origins[option] for option in state.candidates if option in state.origins]
        return failure

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """What the run has seen so far (JSON): the candidates left and the first evidence of each,
        for a replay that must judge as the run did at that point."""
        with self._lock:
            return {name: {"candidates": list(state.candidates), "first": dict(state.first)}
                    for name, state in self._states.items()}

    def continued(self, seen: Mapping[str, Mapping[str, Any]] | None) -> ConventionBook:
        """A new book with the same declarations and pins that has seen what ``seen`` records."""
        book = ConventionBook(self.conventions, self.pinned)
        for name, state in (seen or {}).items():
            book._states[name] = _State(tuple(state["candidates"]), dict(state.get("first") or {}))
        return book

    def report(self, apis: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """For the certificate: every declared convention (of ``apis``), what was pinned, observed."""
        wanted = set(apis) if apis is not None else None
        rows = []
        with self._lock:
            for name, convention in self.conventions.items():
                if wanted is not None and convention.api not in wanted:
                    continue
                state = self._states.get(name)
                noted = self._noted.get(name, {})
                fitted = self._mixes.get(name)
                rows.append({
                    "id": name,
                    "api": convention.api,
                    "title": convention.title,
                    "options": list(convention.option_ids),
                    "pinned": self.pinned.get(name),
                    "observed": list(state.candidates) if state is not None else
                    [option for option in convention.option_ids if option in (fitted or noted)],
                    "mixed": state is None and bool(noted) and not fitted,
                    "evidence": dict(state.first) if state is not None else dict(noted),
                })
        return rows


def validate_pins(pins: Mapping[str, str], conventions: Mapping[str, Convention], where: str) -> None:
    """Every pinned convention exists and names one of its options (a usage error otherwise)."""
    for name, option in pins.items():
        convention = conventions.get(name)
        if convention is None:
            known = ", ".join(sorted(conventions)) or "none"
            raise UsageError(f"{where}: unknown convention {name!r}; the APIs certified declare: {known}")
        if option not in convention.option_ids:
            raise UsageError(f"{where}: convention {name} has no option {option!r}; "
                             f"choose one of: {', '.join(convention.option_ids)}")


def book_of(holder: Any) -> ConventionBook:
    """The run's book carried by an exchange or a flow, or a fresh permissive one (unit tests)."""
    book = getattr(holder, "conventions", None)
    return book if isinstance(book, ConventionBook) else ConventionBook()
