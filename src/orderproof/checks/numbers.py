"""Numbers as the checks compare them: exact ``Decimal`` (never float), JSON integer literals, and
the roundings a document that says only "round" allows.

Response bodies are parsed exactly (:func:`~orderproof.checks.base.loads_exact`); provider-state
answers carry decimal strings.
"""

from __future__ import annotations

from decimal import (
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
    localcontext,
)
from typing import Any

__all__ = ["cents", "integral", "is_json_int", "json_number", "major", "number_fields", "rounded", "same_number",
           "to_decimal"]


def to_decimal(value: Any) -> Decimal | None:
    """A money or odds value as ``Decimal``: JSON numbers (int or exact Decimal) and decimal strings
    (provider-state answers); ``None`` for anything else (bool, null, text that is not a number)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):  # only from a caller that parsed inexactly; keep its shortest repr
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def json_number(value: Any) -> Decimal | None:
    """A JSON number literal of an exactly parsed body as Decimal; None for strings, bools, null (the
    schema check judges those)."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return Decimal(value)
    return None


def is_json_int(value: Any) -> bool:
    """A JSON integer literal: ``int`` but not ``bool``; ``3500.0`` parses as Decimal and is not (for
    amounts a seed asks "in integer format, e.g. for 10 EUR, 1000")."""
    return isinstance(value, int) and not isinstance(value, bool)


def integral(value: Any) -> int | None:
    """A JSON number whose value is whole, as ``int``: an integer literal, or one written ``100.0`` or
    ``1E+2`` (JSON has one number type, JSON Schema and with it every <P>-SCHEMA rule calls 100.0 an
    integer, and a seed's int, integer or bigint types a value, not how it is written); None for
    anything else (a fraction, a string, a bool, null)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return None


def rounded(value: Decimal, places: int = 0, *, down: bool = False, up: bool = False) -> set[Decimal]:
    """``value`` rounded half-up and half-even (both accepted where the document says only "round"),
    and truncated too with ``down`` (where the document gives no rounding at all) and rounded away
    from zero with ``up`` (where it gives no rounding and nothing rests on the direction), at whatever
    magnitude (a context wide enough for every digit, so a huge product never raises)."""
    exp = Decimal(1).scaleb(-places)
    if not value.is_finite():
        return set()
    modes = (ROUND_HALF_UP, ROUND_HALF_EVEN) + ((ROUND_DOWN,) if down else ()) + ((ROUND_UP,) if up else ())
    with localcontext() as context:
        context.prec = max(28, value.adjusted() + places + 4)
        return {value.quantize(exp, rounding=mode) for mode in modes}


def cents(value: Any) -> int:
    """A decimal amount in major units (``"12.34"``) as integer cents (1234); exact or ValueError."""
    amount = to_decimal(value)
    if amount is None or amount != amount.quantize(Decimal("0.01")):
        raise ValueError(f"not an amount with at most 2 decimals: {value!r}")
    return int(amount * 100)


def major(cents_value: int) -> Decimal:
    """Integer cents as a Decimal in major units with 2 places (1234 -> Decimal('12.34'))."""
    return Decimal(cents_value).scaleb(-2)


def number_fields(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Decimal]:
    """The named fields of ``body`` that are numbers, as Decimals (absent or non-numbers skipped:
    the schema check judges those)."""
    values = {name: json_number(body.get(name)) for name in names}
    return {name: value for name, value in values.items() if value is not None}


def same_number(got: Any, sent: Any) -> bool:
    """Two JSON numbers are the same value: equal as decimals, or as doubles (a field the seed types
    double, or Decimal/Double, may be held in a double: 2^53 + 1 comes back as 2^53)."""
    a, b = json_number(got), json_number(sent)
    if a is None or b is None:
        return False
    if a == b:
        return True
    try:
        return float(a) == float(b)
    except (OverflowError, ValueError):
        return False
