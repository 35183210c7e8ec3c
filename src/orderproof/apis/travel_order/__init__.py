"""travel-order (seed 002): ``POST /api/invoice/createorder``, a travel platform's create-order call
documented by an ASP.NET Web API help page: a huge nested body with no validation annotation
("None."), three request media types, the answer {data, code, message} with 100 for success."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from orderproof.adapter import ApiAdapter, Draw
from orderproof.checks.base import Exchange
from orderproof.checks.bodies import draw_cents, money_number
from orderproof.checks.outcomes import Outcome

from . import answers, checks  # noqa: F401  checks: registers the API's checks
from .orders import (
    DATE_TIME,
    created_recently,
    fresh_identifiers,
    has_product_line,
    local_line,
    member_id,
    zone_offset,
)

__all__ = ["TravelOrder", "api"]

DOTNET_MAX_OFFSET = timedelta(hours=14)      # DateTimeOffset's range of offsets


def dotnet_zone(local: str, zone: str | None) -> str:
    """The zone a generated date-time keeps (+08:00, the samples', where it has none), or one .NET
    binds instead: +08:00 for an offset beyond 14 h (+14:10), +00:00 where the offset moves the
    instant out of the years 1 to 9999 (0001-01-01T03:00:00+08:00). A local part that is no date
    (2024-02-30T...; Schemathesis writes real ones) keeps its zone: no zone makes it bindable."""
    zone = zone or "+08:00"
    if zone == "Z":
        return zone
    offset = zone_offset(zone)
    if abs(offset) > DOTNET_MAX_OFFSET:
        zone, offset = "+08:00", timedelta(hours=8)
    try:
        moment = datetime.fromisoformat(local[:19])
    except ValueError:
        return zone
    try:
        moment - offset
    except OverflowError:
        return "+00:00"
    return zone


def tame(value: Any) -> Any:
    """A generated value an ordinary service takes: small non-negative numbers (enumerations as
    small integers, amounts below 10,000), date-times an ASP.NET service binds to a DateTimeOffset
    (:func:`dotnet_zone`)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return abs(value) % 5
    if isinstance(value, float):
        return round(abs(value) % 10_000, 2)
    if isinstance(value, str):
        match = DATE_TIME.match(value)
        if match:
            return match.group(1) + dotnet_zone(match.group(1), match.group(2))
        return value
    if isinstance(value, dict):
        return {key: tame(item) for key, item in value.items()}
    if isinstance(value, list):
        return [tame(item) for item in value]
    return value


class TravelOrder(ApiAdapter):
    slug = "travel-order"
    prefix = "TO"
    title = "a travel platform's create-order call"
    seed = "002_4e2407b4eee4c5f7.txt"
    credentials_stated = False         # seed 002 states no credentials at all
    invalid_answer_stated = False      # "100 success, anything else custom": no validation answer documented
    path = "/api/invoice/createorder"
    order = 2
    edge_fields = (("memberid",), ("extraamt",), ("integraldiscount",))
    certify_seconds = {"quick": 6.2, "standard": 7.3, "thorough": 75.0}
    rerun_seconds = {"quick": 1.9, "standard": 2.2}
    draw_ms = {"positive": 40, "negative": 90, "coverage": 1822}
    snapshot_keys = ("travel_orders",)

    def overlay(self, body: dict[str, Any], scene: Any, player: Mapping[str, Any], draw: Draw,
                fixtures: Mapping[str, Any]) -> dict[str, Any]:
        """The member's order: tame numbers and dates, fresh identifiers (docno, PNRs, coupons, ...:
        orders.IDENTIFIERS), no companyid (the suite knows no company the service registered), a
        createdate of the last minute, a platform of the page's "PC/Mobile", local travel totals that add up, and
        at least one product line (a service may refuse an order with nothing in it)."""
        memberid = player["memberid"]
        body = {**fresh_identifiers(tame(body), lambda: str(scene.big_id())),
                "memberid": member_id(memberid),
                "docno": f"OP{scene.big_id()}", "platform": draw(st.sampled_from(["PC", "Mobile"]), "platform")}
        if "createdate" in body:
            body["createdate"] = created_recently(body["createdate"], draw(st.integers(1, 60), "createdate age"))
        body.pop("companyid", None)       # the hook registers no company: a valid order names none
        routines = body.get("localtravelroutine")
        if isinstance(routines, list):
            body["localtravelroutine"] = [self._consistent(routine, draw) if isinstance(routine, dict) else routine
                                          for routine in routines]
        if not has_product_line(body):
            body["localtravelroutine"] = [local_line(draw, lambda: str(scene.big_id()))]
        return body

    @staticmethod
    def _consistent(routine: dict[str, Any], draw: Draw) -> dict[str, Any]:
        details, total = [], 0
        for detail in [d for d in routine.get("localTravelDetails") or [] if isinstance(d, dict)]:
            cents, quantity = draw_cents(draw, 100, 100_000), draw(st.integers(1, 9), "quantity")
            total += cents * quantity
            details.append({**detail, "price": money_number(cents), "quantity": quantity})
        return {**routine, "localTravelDetails": details, "totalAmt": money_number(total)}

    def outcome(self, exchange: Exchange) -> Outcome:
        return answers.outcome(exchange)


api = TravelOrder()
