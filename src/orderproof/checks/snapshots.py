"""What a flow compares: answers read as JSON, the parts of a player snapshot, and "nothing changed"."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from .base import BodyNotJSON, Exchange, NotVerified, RuleFailure, RuleLike
from .numbers import cents, to_decimal

__all__ = ["PLAYER_STATE", "assert_unchanged", "balance_of", "body_of", "money", "player_cents", "state", "stored"]

PLAYER_STATE = ("balance", "bets", "ledger")
OPTIONAL_PARTS = ("ledger",)      # compared when the hook keeps one; never taken as "unchanged" when absent


def body_of(exchange: Exchange) -> Any:
    """The response JSON, or None when it is not JSON (the caller reports the raw text)."""
    try:
        return exchange.json
    except BodyNotJSON:
        return None


# Words of a stored entry's status that say the request was refused or undone: a service may keep a
# refused ticket or bet as a record of the attempt (nothing reserved, nothing placed: rejected,
# cancelled, void, not placed, or the refusal's own code such as INSUFFICIENT_FUNDS, EVENT_NOT_FOUND,
# ODDS_CHANGED), which is not storing it.
REFUSED = re.compile(
    r"(?<![a-z])(reject|refus|fail|declin|denied|deny|invalid|error|cancel|void|unplaced|not.?placed|"
    r"insufficient|blocked|expired|exceed|missing|timed.?out|timeout|exception|not.?accepted|unaccepted|"
    r"unsuccess|abort|roll(?:ed)?.?back|revert|discard|not.?found|not.?allowed|unknown|odds.?changed)",
    re.IGNORECASE)
# A double's shortest text of a sum of cents ("29.13999999999999") is that many cents.
DOUBLE_ARTEFACT = Decimal("0.000001")


def stored(snapshot: Mapping[str, Any], key: str) -> list[Any]:
    """The entries of a list part that were stored, in the order the hook gives them: without those
    whose status, or result (a ticket's "void"), says they were refused (:data:`REFUSED`); an empty
    list when the part is left out."""
    return [item for item in snapshot.get(key) or [] if not (isinstance(item, dict) and any(
        isinstance(item.get(word), str) and REFUSED.search(item[word]) for word in ("status", "result")))]


def money(value: Any) -> Decimal | None:
    """A balance or ledger amount as a Decimal, a double's artefact read as the cents it stands for
    ("29.13999999999999" is 29.14: a service may keep money in doubles, where a seed types an amount
    "Decimal/Double"); a real fraction of a cent stays."""
    number = to_decimal(value)
    if number is None or not number.is_finite():
        return number
    cent = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return cent if number != cent and abs(number - cent) < DOUBLE_ARTEFACT else number


def state(snapshot: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """The parts of a snapshot a rule compares: the balance as a Decimal, the ledger as the money it
    moved (a refusal may reserve funds and release them again: two entries, nothing moved), every
    other list in any order and without the entries whose status says refused (:func:`stored`: a
    record of a refused attempt); a part the snapshot does not have is NOT VERIFIED, never an empty
    part that stayed the same."""
    out: dict[str, Any] = {}
    for key in keys:
        if key not in snapshot:
            raise NotVerified(f"the player snapshot has no {key!r} (the provider-state hook keeps none, or leaves "
                              f"an empty one out where the protocol asks for []), so whether it changed cannot be told")
        value = snapshot.get(key)
        if key == "balance":
            out[key] = money(value)
        elif key == "ledger" and (moved := _moved(value)) is not None:
            out[key] = moved
        else:
            out[key] = sorted(stored(snapshot, key), key=lambda item: json.dumps(item, sort_keys=True, default=str))
    return out


def _moved(ledger: Any) -> Decimal | None:
    """The sum of a ledger's amounts; None when an entry carries no numeric amount."""
    amounts = [to_decimal(entry.get("amount")) if isinstance(entry, dict) else None for entry in ledger or []]
    return None if None in amounts else money(sum(amounts, Decimal(0)))


def assert_unchanged(rule: RuleLike | str, before: Mapping[str, Any], after: Mapping[str, Any], situation: str,
                     documented: str | None = None, keys: Iterable[str] = PLAYER_STATE) -> None:
    """Fails if the snapshot parts ``keys`` differ between ``before`` and ``after``. An optional part
    (the ledger) is compared when the hook keeps one; a required part it lacks in both is NOT
    VERIFIED; a list part one of them gives and the other leaves out was left out for being empty."""
    keys = tuple(key for key in keys if key not in OPTIONAL_PARTS or key in before or key in after)
    old, new = state(_filled(before, after, keys), keys), state(_filled(after, before, keys), keys)
    changed = {k: {"before": _short(old[k]), "after": _short(new[k])} for k in keys if old[k] != new[k]}
    if changed:
        raise RuleFailure(rule, f"{situation}, yet the player's {', '.join(changed)} changed",
                          received=changed, documented=documented)


def _filled(snapshot: Mapping[str, Any], other: Mapping[str, Any], keys: Iterable[str]) -> Mapping[str, Any]:
    """``snapshot`` with an empty list for each list part of ``keys`` it leaves out and ``other``
    gives (a hook that omits an empty list: Go's omitempty, Jackson's NON_EMPTY)."""
    missing = {key: [] for key in keys if key != "balance" and key not in snapshot and key in other}
    return {**snapshot, **missing} if missing else snapshot


def _short(value: Any) -> Any:
    if isinstance(value, list) and len(value) > 3:
        return [*value[:3], f"... {len(value)} in all"]
    return str(value) if isinstance(value, Decimal) else value


def player_cents(player: Mapping[str, Any], name: str) -> int:
    """A money field of a "a player exists" answer in cents; NotVerified when the target's answer (or
    fixture) does not give it."""
    try:
        return cents(player[name])
    except (KeyError, ValueError):
        raise NotVerified(f'the "a player exists" answer gives no usable {name} ({player.get(name)!r})') from None


def balance_of(rule: RuleLike | str, snapshot: Mapping[str, Any]) -> Decimal:
    balance = money(snapshot.get("balance"))
    if balance is None:
        raise RuleFailure(rule, "the player snapshot has no numeric balance",
                          received=snapshot.get("balance"), documented='"a player snapshot" answers balance')
    return balance
