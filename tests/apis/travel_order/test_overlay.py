"""The travel-order adapter's overlay: the valid orders the suite sends carry fresh identifiers, a
platform of the page's "PC/Mobile" and dates an ASP.NET service binds."""

import itertools
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from orderproof.apis.travel_order import DOTNET_MAX_OFFSET, api, tame
from orderproof.apis.travel_order.orders import has_product_line


class Scene:
    def __init__(self):
        self.ids = itertools.count(10**17)

    def big_id(self):
        return next(self.ids)


GENERATED = {"platform": "sample string 13", "docno": "x", "memberid": 3,
             "farerouteing": [{"flightpnr": "0", "passenger": []}], "couponinfos": [{"couponcode": ""}],
             "paymentinfo": {"paytranid": "0"}, "localtravelroutine": [{"cartId": "0", "localTravelDetails": []}]}


@given(st.data())
def test_overlay_sets_platform_and_fresh_identifiers(data):
    scene = Scene()
    draw = lambda strategy, label=None: data.draw(strategy, label=label)   # noqa: E731
    first, second = (api.overlay(GENERATED, scene, {"memberid": "100001"}, draw, {}) for _ in range(2))
    assert first["platform"] in ("PC", "Mobile") and first["memberid"] == 100001
    identifiers = [(o["docno"], o["farerouteing"][0]["flightpnr"], o["couponinfos"][0]["couponcode"],
                    o["paymentinfo"]["paytranid"], o["localtravelroutine"][0]["cartId"]) for o in (first, second)]
    assert len({value for row in identifiers for value in row}) == 10      # none repeated, none shared


@given(st.data())
def test_overlay_gives_an_order_with_nothing_in_it_a_product_line(data):
    draw = lambda strategy, label=None: data.draw(strategy, label=label)   # noqa: E731
    order = api.overlay({"memberid": 3, "farerouteing": [], "localtravelroutine": None}, Scene(),
                        {"memberid": "100001"}, draw, {})
    (line,) = order["localtravelroutine"]
    assert Decimal(str(line["totalAmt"])) == sum(Decimal(str(d["price"])) * d["quantity"]
                                                 for d in line["localTravelDetails"])
    assert has_product_line(api.overlay(GENERATED, Scene(), {"memberid": "1"}, draw, {}))
    assert api.overlay(GENERATED, Scene(), {"memberid": "1"}, draw, {})["farerouteing"][0]["flightpnr"] != "0"


def test_dates_are_ones_an_aspnet_service_binds_to_a_datetimeoffset():
    assert tame("2024-12-23T14:51:37.249611+08:00") == "2024-12-23T14:51:37.249611+08:00"
    assert tame("2024-12-23T14:51:37") == "2024-12-23T14:51:37+08:00"             # the samples' offset
    assert tame("0223-01-31T05:52:11-14:00") == "0223-01-31T05:52:11-14:00"
    assert tame("5859-08-25T08:14:32.5+14:10") == "5859-08-25T08:14:32.5+08:00"   # beyond 14 h
    assert tame("0001-01-01T03:00:00+08:00") == "0001-01-01T03:00:00+00:00"       # UTC in year 0
    assert tame("9999-12-31T23:00:00-05:00") == "9999-12-31T23:00:00+00:00"       # UTC in year 10000
    assert tame({"a": ["0001-01-01T03:00:00+14:30"]}) == {"a": ["0001-01-01T03:00:00+00:00"]}


@given(st.datetimes(), st.integers(-23 * 60 - 59, 23 * 60 + 59))
def test_every_tamed_date_has_an_offset_within_14_hours_and_an_instant_within_the_years_1_to_9999(local, minutes):
    sign, size = ("-" if minutes < 0 else "+"), abs(minutes)
    tamed = tame(f"{local.isoformat()}{sign}{size // 60:02d}:{size % 60:02d}")
    moment = datetime.fromisoformat(tamed)
    assert abs(moment.utcoffset()) <= DOTNET_MAX_OFFSET and moment.replace(tzinfo=None) == local
    moment.astimezone(timezone.utc)      # raises OverflowError for an instant outside the years 1 to 9999
    try:
        bindable = abs(minutes) <= 14 * 60 and bool(local - timedelta(minutes=minutes))
    except OverflowError:
        bindable = False
    assert moment.utcoffset() == timedelta(minutes=minutes) or not bindable     # a bindable zone is kept
