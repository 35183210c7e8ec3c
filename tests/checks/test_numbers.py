"""Numbers as the checks compare them (orderproof.checks.numbers)."""

from decimal import Decimal

import pytest

from orderproof.checks.numbers import cents, integral, is_json_int, to_decimal


def test_helpers():
    assert to_decimal("12.30") == Decimal("12.3") and to_decimal(True) is None and to_decimal("x") is None
    assert to_decimal(Decimal("0.1")) == Decimal("0.1") and to_decimal(None) is None
    assert cents("12.34") == 1234
    with pytest.raises(ValueError, match="at most 2 decimals"):
        cents("1.234")


def test_integral_reads_a_whole_json_number_however_written_and_is_json_int_the_literal_alone():
    assert [integral(value) for value in (100, Decimal("100.0"), Decimal("1E+2"), Decimal("-3.000"))] == [100, 100, 100, -3]
    assert [integral(value) for value in (Decimal("100.5"), "100", True, None, Decimal("NaN"))] == [None] * 5
    assert is_json_int(100) and not is_json_int(Decimal("100.0")) and not is_json_int(False)
