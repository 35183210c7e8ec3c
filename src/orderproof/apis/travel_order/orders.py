"""The suite's travel orders: fresh values for every string that identifies an order (so that no two
orders the suite sends share a PNR, a coupon, a payment transaction or a cart), and an order that
carries at least one product line."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from orderproof.checks.bodies import draw_cents, money_number

__all__ = ["DATE_TIME", "IDENTIFIERS", "PRODUCT_LINES", "created_recently", "fresh_identifiers", "has_product_line",
           "like_the_sample", "local_line", "local_now", "zone_offset"]

# Fields a service may keep unique across orders (a booking reference, a single-use coupon, a payment
# transaction, a cart or a reservation): the suite never sends one twice.
IDENTIFIERS = frozenset({
    "docno", "flightpnr", "couponcode", "discountcode", "paytranid", "paycardid", "cartId", "bookingcode",
    "bookingcodeinfo", "supplierbookingcode", "confirmcode", "prebookingtoken", "farerulekey", "reserveNumber",
    "quoteNumber", "policynumber", "HoldCode", "productKey", "logTrackGuid",
})

# The order's product collections: air tickets, insurance, hotels, tour groups, local experiences,
# WifiBB rentals and Sugar flight reserves.
PRODUCT_LINES = ("farerouteing", "insuranceinfo", "hotelroutine", "tourgrouproutine", "localtravelroutine",
                 "wifibbroutine", "sugarAIRoutine")


# A generated date-time: its local part (fraction included) and its zone, if any.
DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:\d{2})?$")


def zone_offset(zone: str) -> timedelta:
    """The offset a zone writes ("Z", "+08:00", "-12:45")."""
    return timedelta(0) if zone == "Z" else (-1 if zone[0] == "-" else 1) * timedelta(
        hours=int(zone[1:3]), minutes=int(zone[4:6]))


def local_now(zone: str, seconds_ago: int) -> str:
    """The clock's time ``seconds_ago`` seconds back, as the local date and time of ``zone`` ("Z" or
    "+08:00") writes it: ``2026-12-04T18:51:37``."""
    moment = datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)
    return f"{moment.astimezone(timezone(zone_offset(zone))):%Y-%m-%dT%H:%M:%S}"


def created_recently(text: Any, seconds_ago: int) -> Any:
    """An order's createdate (创建时间, its creation time) as one: ``text``'s fraction and zone, the
    clock's time ``seconds_ago`` seconds back (a generated one may lie centuries away, and a service may
    refuse an order created long ago or in the future: the page neither asks nor forbids it). A value
    that is no date-time with a zone stays."""
    match = DATE_TIME.match(text) if isinstance(text, str) else None
    if not match or not match[2]:
        return text
    return local_now(match[2], seconds_ago) + match[1][19:] + match[2]


# The order's own facts the help page's sample carries and a service may require (the page marks every
# field "None.": no rule either way), in values every service takes: a contact, a currency, a creation time.
CONTACT = {"prefix": "Mr", "lastname": "Chan", "firstname": "Tai Man", "email": "traveller@example.com",
           "telcountry": "852", "phone": "91234567", "nationalitycode": "HK"}


def like_the_sample(order: Any, seconds_ago: int) -> Any:
    """``order`` with a contact, a currency and a creation time as the sample carries them (one
    contact of plain values, HKD, a createdate of ``seconds_ago`` seconds back): an order a service
    refuses for lacking one, or for a generated contact it cannot read, shows nothing of a comparison."""
    if not isinstance(order, dict):
        return order
    return {**order, "contactinfo": [dict(CONTACT)], "currency": "HKD",
            "createdate": created_recently(order.get("createdate"), seconds_ago)
            if isinstance(order.get("createdate"), str) else f"{local_now('+08:00', seconds_ago)}.2652335+08:00"}


def member_id(value: Any) -> Any:
    """A provider state's memberid as an order carries it: an integer (the page's memberid is int)
    when it is digits, else as given."""
    return int(value) if str(value).isdigit() else value


def fresh_identifiers(value: Any, new_id: Callable[[], str]) -> Any:
    """``value`` with every string under an identifying key (at any depth) replaced by a new one
    (``"OP"`` and ``new_id()``); everything else as it was."""
    if isinstance(value, dict):
        return {key: f"OP{new_id()}" if key in IDENTIFIERS and isinstance(item, str)
                else fresh_identifiers(item, new_id) for key, item in value.items()}
    if isinstance(value, list):
        return [fresh_identifiers(item, new_id) for item in value]
    return value


def has_product_line(body: Any) -> bool:
    """The order carries at least one product (an object in one of its product collections)."""
    return isinstance(body, dict) and any(
        isinstance(body.get(name), list) and any(isinstance(item, dict) for item in body[name])
        for name in PRODUCT_LINES)


def local_line(draw: Callable[..., Any], new_id: Callable[[], str]) -> dict[str, Any]:
    """One local experience (localtravelroutine) of one to three details whose totalAmt is the sum
    of price x quantity, as the seed's sample has it."""
    details, total = [], 0
    for i in range(draw(st.integers(1, 3), "local details")):
        cents, quantity = draw_cents(draw, 100, 100_000), draw(st.integers(1, 9), f"local detail {i} quantity")
        total += cents * quantity
        details.append({"did": f"D{i + 1}", "seq": i + 1, "skuId": f"SKU{i + 1}", "skuName": f"Ticket {i + 1}",
                        "price": money_number(cents), "currency": "HKD", "quantity": quantity})
    return {"seq": 1, "themeId": "T1", "themeName": "City tour", "activeId": "A1", "planId": "P1",
            "planName": "Day pass", "currency": "HKD", "cartId": f"OP{new_id()}", "localTravelDetails": details,
            "totalAmt": money_number(total)}
