"""Travel-order request checks: the three documented media types, .NET dates, and the local travel
total that must add up."""

from __future__ import annotations

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from .atomicity import body_of
from .base import Exchange, Flow, RuleFailure, flow_check, shown
from .money import major

TO = ("travel-order",)
MEDIA_QUOTE = "Request Formats application/json, text/json"


def accepted(exchange: Exchange) -> bool:
    body = body_of(exchange)
    return exchange.status == 200 and isinstance(body, dict) and body.get("code") == 100


def _expect_accepted(rule_id: str, exchange: Exchange, situation: str, documented: str) -> None:
    if not accepted(exchange):
        raise RuleFailure(rule_id, f"{situation} was not accepted with code 100", received=shown(exchange),
                          documented=documented)


@flow_check("to_media", apis=TO)
def to_media(flow: Flow) -> None:
    """TO-MEDIA: passes if a valid order is accepted (code 100) both as application/json and as
    text/json, fails if either is refused, does not apply: always applies (needs provider states)."""
    player = flow.setup("a player exists")
    first = flow.draw(st.sampled_from(["application/json", "text/json"]), "media type sent first")
    for media_type in (first, "text/json" if first == "application/json" else "application/json"):
        _expect_accepted("TO-MEDIA", flow.send(flow.valid_body(player), player=player, media_type=media_type),
                         f"a valid order sent as {media_type}", MEDIA_QUOTE)


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, Decimal, bool))


@flow_check("to_media_form", apis=TO)
def to_media_form(flow: Flow) -> None:
    """TO-MEDIA-FORM: passes if an order made of the valid body's top-level scalar fields is accepted
    (code 100) as application/x-www-form-urlencoded, fails otherwise, does not apply: always applies
    (needs provider states)."""
    player = flow.setup("a player exists")
    form = {name: value for name, value in flow.valid_body(player).items() if _scalar(value)}
    _expect_accepted("TO-MEDIA-FORM",
                     flow.send(form, player=player, media_type="application/x-www-form-urlencoded"),
                     "an order of top-level scalar fields sent as a form",
                     "Request Formats: application/json, text/json, application/x-www-form-urlencoded")


@st.composite
def dotnet_dates(draw: Any, min_digits: int = 1) -> str:
    """A .NET DateTimeOffset as the help page writes it: ``min_digits`` to 7 fractional digits and an
    offset."""
    moment = draw(st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)))
    digits = draw(st.integers(min_digits, 7))
    fraction = str(draw(st.integers(0, 10**digits - 1))).zfill(digits)
    hours = draw(st.integers(-12, 14))
    minutes = 0 if abs(hours) == 14 else draw(st.sampled_from([0, 30, 45]))
    sign = "-" if hours < 0 else "+"
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{fraction}{sign}{abs(hours):02d}:{minutes:02d}"


@flow_check("to_dates", apis=TO)
def to_dates(flow: Flow) -> None:
    """TO-DATES: passes if an order whose createdate carries an offset and 7 fractional digits (e.g.
    "2024-12-23T14:51:37.2652335+08:00") and whose paymentinfo.createdate, when present, carries an
    offset and 1 to 7 digits is accepted with code 100, fails otherwise, does not apply: always
    applies (needs provider states)."""
    player = flow.setup("a player exists")
    body = flow.valid_body(player)
    body["createdate"] = flow.draw(dotnet_dates(min_digits=7), "createdate")
    if isinstance(body.get("paymentinfo"), dict):
        body["paymentinfo"]["createdate"] = flow.draw(dotnet_dates(), "paymentinfo.createdate")
    _expect_accepted("TO-DATES", flow.send(body, player=player), f"an order with createdate {body['createdate']!r}",
                     '"createdate": "2024-12-23T14:51:37.2652335+08:00"')


def _first_object(items: Any) -> dict[str, Any]:
    """The first item of a list when it is an object (a template for the one the check writes)."""
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


@flow_check("to_local_total", apis=TO)
def to_local_total(flow: Flow) -> None:
    """TO-LOCAL-TOTAL: passes if an order whose localtravelroutine totalAmt differs from the sum of
    price x quantity of its details is not accepted with code 100, fails if it is, does not apply:
    always applies (needs provider states)."""
    player = flow.setup("a player exists")
    body = flow.valid_body(player)
    routine = copy.deepcopy(_first_object(body.get("localtravelroutine")))
    template = _first_object(routine.get("localTravelDetails"))
    lines = []
    for i in range(flow.draw(st.integers(1, 3), "details")):
        line = dict(template)
        line["price"] = major(flow.draw(st.integers(1, 100_000), f"detail {i} price in cents"))
        line["quantity"] = flow.draw(st.integers(1, 9), f"detail {i} quantity")
        lines.append(line)
    total = sum((line["price"] * line["quantity"] for line in lines), Decimal(0))
    delta = major(flow.draw(st.integers(1, 10_000), "cents off")) * (-1 if flow.draw(st.booleans(), "below") else 1)
    routine["localTravelDetails"] = lines
    routine["totalAmt"] = total + delta
    body["localtravelroutine"] = [routine]
    exchange = flow.send(body, player=player)
    if accepted(exchange):
        raise RuleFailure("TO-LOCAL-TOTAL", f"an order with totalAmt {routine['totalAmt']} for details summing to "
                          f"{total} was accepted", received=shown(exchange),
                          documented='"totalAmt": 126.0 for 2 details of price 7.0 x quantity 9')
