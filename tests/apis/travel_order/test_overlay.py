"""The travel-order adapter's overlay: the valid orders the suite sends carry fresh identifiers and
a platform of the page's "PC/Mobile"."""

import itertools
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from orderproof.apis.travel_order import api
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
