"""Ticket time checks: UTC times without a zone, in the documented format, and operator-time twins
shifted by one operator offset."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from .base import Exchange, RuleFailure, only_json_object, only_status, response_check

TIME_FIELDS = ("created", "updated", "operator_time_created", "operator_time_updated")
_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")
FORMAT_QUOTE = "Ticket created datetime, UTC. Format - 2024-01-28T14:33:01.000000"
MAX_OFFSET = timedelta(hours=14)
CLOCK_TOLERANCE = timedelta(minutes=10)   # a staging clock may drift; a local zone is off by 30 min or more
_ZONE = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _FORMAT.match(value):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f")
    except ValueError:
        return None


def _check_times(rule_id: str, exchange: Exchange) -> None:
    body = exchange.json
    times = {name: _parse(body.get(name)) for name in TIME_FIELDS}
    bad = {name: body.get(name, "<absent>") for name, value in times.items() if value is None}
    if bad:
        raise RuleFailure(rule_id, "times must be YYYY-MM-DDTHH:MM:SS.ffffff without a zone", received=bad,
                          documented=FORMAT_QUOTE)
    received = {name: body[name] for name in TIME_FIELDS}
    if times["updated"] < times["created"]:
        raise RuleFailure(rule_id, "updated is before created", received=received, documented=FORMAT_QUOTE)
    sent_at = exchange.extra.get("sent_at")
    if isinstance(sent_at, (int, float)):
        now = datetime.fromtimestamp(sent_at, tz=timezone.utc).replace(tzinfo=None)
        if abs(times["created"] - now) > CLOCK_TOLERANCE + timedelta(seconds=exchange.elapsed_s or 0):
            raise RuleFailure(rule_id, f"created is not UTC: the request was sent at {now:%Y-%m-%dT%H:%M:%S} UTC, "
                              f"{_text_hours(times['created'] - now)} away", received=received, documented=FORMAT_QUOTE)
    offset = times["operator_time_created"] - times["created"]
    if times["operator_time_updated"] - times["updated"] != offset:
        raise RuleFailure(rule_id, "operator_time_created and operator_time_updated are shifted by different "
                          "offsets", received=received, documented="the same instants in the operator's zone "
                          '("created": "2024-07-11T18:40:52.995000", "operator_time_created": '
                          '"2024-07-11T20:40:52.995000")')
    if offset % timedelta(minutes=1) or abs(offset) > MAX_OFFSET:
        raise RuleFailure(rule_id, f"the operator offset {offset} is not a whole number of minutes within "
                          "+-14 h", received=received, documented="operator timezone")
    zone = exchange.extra.get("operator_timezone_offset")
    if isinstance(zone, str) and (expected := _offset(zone)) is not None and offset != expected:
        raise RuleFailure(rule_id, f"operator times are shifted by {_text(offset)} but the operator's zone is "
                          f"{zone}", received=received, documented="Ticket created datetime, operator timezone")


def _offset(text: str) -> timedelta | None:
    match = _ZONE.match(text)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    return (-1 if sign == "-" else 1) * timedelta(hours=int(hours), minutes=int(minutes))


def _text_hours(delta: timedelta) -> str:
    minutes = round(delta / timedelta(minutes=1))
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60} h {abs(minutes) % 60:02d} min"


def _text(offset: timedelta) -> str:
    minutes = int(offset / timedelta(minutes=1))
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@response_check("jt_times", apis=("jackpot-ticket",))
@only_status(200)
@only_json_object
def jt_times(exchange: Exchange) -> None:
    """JT-TIMES: passes if a 200 ticket's created, updated, operator_time_created and
    operator_time_updated are YYYY-MM-DDTHH:MM:SS.ffffff (no zone), created is UTC (within 10 minutes
    of the clock when the request was sent), updated >= created, and both operator times are shifted
    from their UTC twins by one offset that is a whole number of minutes within +-14 h (and equal to
    the operator's zone when the runner knows it: ``exchange.extra["operator_timezone_offset"]``);
    fails otherwise (including a missing time); does not apply if the status is not 200."""
    _check_times("JT-TIMES", exchange)


@response_check("sr_times", apis=("superbet-reserve",))
@only_status(200)
@only_json_object
def sr_times(exchange: Exchange) -> None:
    """SR-TIMES: passes if a 200 reservation's created, updated, operator_time_created and
    operator_time_updated are YYYY-MM-DDTHH:MM:SS.ffffff (no zone), created is UTC (within 10 minutes
    of the clock when the request was sent), updated >= created, and both operator times are shifted
    from their UTC twins by one offset that is a whole number of minutes within +-14 h (and equal to
    the operator's zone when the runner knows it: ``exchange.extra["operator_timezone_offset"]``);
    fails otherwise (including a missing time); does not apply if the status is not 200."""
    _check_times("SR-TIMES", exchange)
