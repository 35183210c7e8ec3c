"""Numbers as the checks compare them (orderproof.checks.numbers)."""

from decimal import Decimal

import pytest

from orderproof.checks.numbers import cents, to_decimal


def test_helpers():
    assert to_decimal("12.30") == Decimal("12.3") and to_decimal(True) is None and to_decimal("x") is None
    assert to_decimal(Decimal("0.1")) == Decimal("0.1") and to_decimal(None) is None
    assert cents("12.34") == 1234
    with pytest.raises(ValueError, match="at most 2 decimals"):
        cents("1.234")
