"""Money and exact JSON: ``Decimal`` and integer minor units only, never float arithmetic.

JSON numbers are parsed into ``Decimal`` (``parse_float=Decimal``) and rendered back from their
digits, so ``2.50`` stays ``2.50`` and a bigint stays exact; :func:`json_bytes` is the one encoder
every reference response goes through.
"""

from __future__ import annotations

import json
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

CENT = Decimal("0.01")


def to_decimal(value: Any) -> Decimal:
    """A finite ``Decimal`` from a decimal string, an int or a Decimal (never a float or a bool)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError(f"expected a decimal string or an integer, got {value!r}")
    if isinstance(value, (int, Decimal)):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"not a decimal number: {value!r}") from None
    else:
        raise ValueError(f"expected a decimal string or an integer, got {value!r}")
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def decimal_places(value: Decimal) -> int:
    """How many digits ``value`` carries after the point (``2.50`` -> 2, ``1E+2`` -> 0)."""
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def text(value: Decimal) -> str:
    """Plain decimal text without an exponent, as stored in the database (``Decimal("1E+2")`` -> ``"100"``)."""
    return format(value, "f")


def to_cents(value: Decimal) -> int:
    """Whole minor units; ``value`` must already carry at most two decimals."""
    return int((value * 100).to_integral_exact())


def round_half_up(value: Decimal, places: int = 0) -> Decimal:
    """Commercial rounding (0.5 away from zero), e.g. ``round_half_up(Decimal("888.889"))`` -> 889."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def json_bytes(obj: Any, *, scientific: bool = False, indent: int | None = None) -> bytes:
    """Compact JSON where a ``Decimal`` is written as its exact digits and ints of any size stay exact.

    ``scientific=True`` keeps exponents (``1E+400``) instead of expanding them: for fingerprints of
    untrusted input, where ``1e999999999`` must not become a billion digits. ``indent`` writes the
    same document spread over lines (``json.dumps``'s layout), still with exact numbers.
    """
    return _encode(obj, scientific, indent, 0).encode("utf-8")


_string = json.encoder.encode_basestring            # json.dumps(text, ensure_ascii=False), without its setup
_CONSTANTS = {True: "true", False: "false", None: "null"}


def _encode(obj: Any, scientific: bool, indent: int | None = None, level: int = 0) -> str:
    if isinstance(obj, (dict, list, tuple)):
        if isinstance(obj, dict):
            items = [f"{_string(str(k))}:{'' if indent is None else ' '}"
                     f"{_encode(v, scientific, indent, level + 1)}" for k, v in obj.items()]
            opening, closing = "{", "}"
        else:
            items = [_encode(v, scientific, indent, level + 1) for v in obj]
            opening, closing = "[", "]"
        if indent is None or not items:
            return opening + ",".join(items) + closing
        inner, outer = "\n" + " " * (indent * (level + 1)), "\n" + " " * (indent * level)
        return opening + inner + ("," + inner).join(items) + outer + closing
    if isinstance(obj, Decimal):
        if not obj.is_finite():
            raise ValueError(f"cannot write {obj} as a JSON number")
        return str(obj) if scientific else text(obj)
    if isinstance(obj, float):
        raise TypeError("floats are not allowed in reference responses; use Decimal")
    if isinstance(obj, str):
        return _string(obj)
    if obj is True or obj is False or obj is None:
        return _CONSTANTS[obj]
    if type(obj) is int:
        return int.__repr__(obj)
    return json.dumps(obj, ensure_ascii=False)
