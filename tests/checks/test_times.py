import dataclasses

import pytest

from orderproof.checks.base import NOT_APPLICABLE
from orderproof.checks.times import jt_times, sr_times

from .conftest import assert_fails, exchange

SAMPLE = {"created": "2024-07-11T18:40:52.995000", "operator_time_created": "2024-07-11T20:40:52.995000",
          "updated": "2024-07-11T18:40:53.013000", "operator_time_updated": "2024-07-11T20:40:53.013000"}


def test_times_pass_on_the_seed_sample_and_negative_offsets():
    assert sr_times(exchange("superbet-reserve", 200, SAMPLE)) is None
    west = SAMPLE | {"operator_time_created": "2024-07-11T13:10:52.995000",
                     "operator_time_updated": "2024-07-11T13:10:53.013000"}
    assert jt_times(exchange("jackpot-ticket", 200, west)) is None


@pytest.mark.parametrize("change", [
    {"created": "2024-07-11T18:40:52Z"},
    {"created": "2024-07-11T18:40:52.995000+00:00"},
    {"updated": "2024-07-11 18:40:53.013000"},
    {"updated": "2024-07-11T18:40:52.000000"},                          # before created
    {"operator_time_updated": "2024-07-11T21:40:53.013000"},            # two offsets
    {"operator_time_created": "2024-07-12T10:40:52.995000",
     "operator_time_updated": "2024-07-12T10:40:53.013000"},            # 16 h
    {"operator_time_created": "2024-07-11T20:40:53.995000",
     "operator_time_updated": "2024-07-11T20:40:54.013000"},            # not whole minutes
    {"operator_time_updated": None},
])
def test_times_fail(change):
    assert_fails("JT-TIMES", jt_times, exchange("jackpot-ticket", 200, SAMPLE | change))


def test_times_do_not_apply_to_errors():
    assert sr_times(exchange("superbet-reserve", 422, {"detail": []})) is NOT_APPLICABLE


def test_times_compare_with_the_operator_zone_when_the_runner_knows_it():
    plus_two = dataclasses.replace(exchange("jackpot-ticket", 200, SAMPLE), extra={"operator_timezone_offset": "+02:00"})
    assert jt_times(plus_two) is None
    unshifted = SAMPLE | {"operator_time_created": SAMPLE["created"], "operator_time_updated": SAMPLE["updated"]}
    assert sr_times(exchange("superbet-reserve", 200, unshifted)) is None  # UTC operators exist
    known = dataclasses.replace(exchange("superbet-reserve", 200, unshifted),
                                extra={"operator_timezone_offset": "+02:00"})
    assert "+00:00 but the operator's zone is +02:00" in assert_fails("SR-TIMES", sr_times, known).message
