"""What jackpot-ticket and superbet-reserve are checked for alike: integer cents, echoes, the ISO
currency, the inclusive excise tax, UTC times and their operator-zone twins, the error shape, a bad
signature, and the business errors provoked one situation at a time. Each API's ``checks`` module
registers its own rules on these helpers (each helper takes the rule it verifies).

Long module: one home for everything the two pages are judged on alike, so that a reading (an echo,
an error situation, a time) cannot drift between them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from typing import Any

from hypothesis import strategies as st

from orderproof.checks.base import (
    NOT_APPLICABLE,
    Exchange,
    Flow,
    NotVerified,
    RuleFailure,
    each_case,
    shown,
)
from orderproof.checks.numbers import (
    integral,
    is_json_int,
    json_number,
    number_fields,
    rounded,
    same_number,
    to_decimal,
)
from orderproof.checks.snapshots import assert_unchanged, body_of

from .answers import error_code

ERROR_SHAPE = "400 {code: integer, message: string}"
TICKET_ECHO = ("price", "currency", "atag", "source", "type")
BETCARD_FIELDS = ("prize", "bonus_prizes")


# --- integer cents, echoes, currency ----------------------------------------------------------------

def check_cents(rule: Any, exchange: Exchange, names: tuple[str, ...], lists: tuple[str, ...] = ()) -> None:
    body = exchange.json
    wrong = {name: body[name] for name in names if name in body and not is_json_int(body[name])}
    for name in lists:
        items = body.get(name)
        if isinstance(items, list):
            wrong.update({f"{name}[{i}]": v for i, v in enumerate(items) if not is_json_int(v)})
    if wrong:
        raise RuleFailure(rule, "money fields must be JSON integer literals (cents); these are not: "
                          + ", ".join(f"{k}={v!r} ({type(v).__name__})" for k, v in wrong.items()),
                          received=wrong)


OPTIONAL_ECHO = ("atag",)   # "Optional affiliate Tag" in the response table too: compared when answered
# Words from a list (currency, "Ticket source (see Fields)", type): a service may answer the same
# word in its canonical form ("kes" -> "KES", " mobile" -> "mobile"), never another word.
WORD_ECHO = ("currency", "source", "type")


def _echoes(got: Any, sent: Any, word: bool = False) -> bool:
    """``got`` repeats ``sent``: equal, element by element for lists, and numbers as the same value
    (also as doubles: a service holding 2^53 + 1 in a double answers 2^53; a number sent as a
    digit string and read leniently may come back as the number); text without surrounding spaces (a
    service may trim what it stores), and a ``word`` (:data:`WORD_ECHO`) in any case too. A price
    with a fraction of a cent (1000.75) is not echoed by 1000: truncating changes the money."""
    if isinstance(sent, list) and isinstance(got, list):
        return len(got) == len(sent) and all(_echoes(g, s) for g, s in zip(got, sent))
    if got == sent:
        return True
    if isinstance(sent, str) and isinstance(got, str):
        return got.strip().casefold() == sent.strip().casefold() if word else got.strip() == sent.strip()
    if isinstance(sent, str) and not isinstance(got, str):
        sent = to_decimal(sent)
    return same_number(got, sent)


def check_echo(rule: Any, exchange: Exchange, names: tuple[str, ...]) -> None:
    """Each named field the request sent comes back equal (:func:`_echoes`); the betcard's prize and
    bonus prizes may also be the betcard's own (as set up), when the request named other ones; an
    optional field (atag) the answer leaves out or answers null (a service that does not keep it) is
    not compared."""
    sent, got = exchange.request_body, exchange.json
    card = exchange.extra.get("betcard") or {}
    differ = {
        name: {"sent": sent[name], "received": got.get(name, "<absent>")}
        for name in names
        if sent.get(name) is not None
        and not (name in OPTIONAL_ECHO and got.get(name) is None)
        and not _echoes(got.get(name), sent[name], word=name in WORD_ECHO)
        and not (name in BETCARD_FIELDS and name in card and _echoes(got.get(name), card[name]))
    }
    if differ:
        raise RuleFailure(rule, "the ticket does not repeat the request's " + ", ".join(differ), received=differ,
                          documented="the response fields repeat the request's (" + ", ".join(names) + ")")


_ISO_4217 = re.compile(r"^[A-Z]{3}$")


def check_currency(rule: Any, exchange: Exchange) -> None:
    sent, got = exchange.request_body.get("currency"), exchange.json.get("currency")
    if not isinstance(got, str) or not _ISO_4217.match(got):
        raise RuleFailure(rule, "response currency is not a three-letter ISO 4217 code", received=got)
    if "currency" in exchange.request_body and not _echoes(got, sent, word=True):
        raise RuleFailure(rule, "response currency differs from the request's", received=got,
                          documented=f"the request's currency {sent!r}")


# --- the inclusive excise tax ---------------------------------------------------------------------------

def _inclusive(ext_type: Any) -> bool:
    """ext_type names the inclusive tax in any letter case ("inclusive", "INCLUSIVE": an enum's name):
    the pages give the type no list of values."""
    return isinstance(ext_type, str) and ext_type.strip().casefold() == "inclusive"


def _require_inclusive(body: dict[str, Any]) -> None:
    """The ticket's excise tax is inclusive (the sample's ext_type, the only one the pages show), or
    there is none (ext 0: every reading gives the stake the whole price, whatever word ext_type
    says); another ext_type raises NotVerified saying so: the rule is NOT VERIFIED with that reason
    when no ticket of the run is judged."""
    ext_type = body.get("ext_type", "inclusive")
    if not _inclusive(ext_type) and json_number(body.get("ext")) != 0:
        raise NotVerified(f"the tickets' ext_type is {str(ext_type)[:40]!r}: the rule reads inclusive tickets "
                          "(the sample's \"ext_type\": \"inclusive\"), and the pages describe no other type")


DOUBLE_EPSILON = Decimal(2) ** -51      # two units in the last place of a double, relative


def double_slack(price: Decimal) -> Decimal:
    """How far a sum or product of money near ``price`` may stray when a service computes it in
    doubles: nothing up to 2^53, where a double holds every integer, two units in the last place
    beyond (a double prints its shortest form, so 2^63 - 1 kept as a double answers
    9223372036854775807 as 9223372036854776000)."""
    return abs(price) * DOUBLE_EPSILON if abs(price) > 2**53 else Decimal(0)


def check_excise_sum(rule: Any, exchange: Exchange) -> Any:
    """stake + ext_amount = price, exactly up to 2^53, and give or take what doubles make of it
    beyond (:func:`double_slack`)."""
    body = exchange.json
    values = number_fields(body, ("price", "stake", "ext_amount"))
    _require_inclusive(body)
    if len(values) < 3:
        return NOT_APPLICABLE
    if abs(values["stake"] + values["ext_amount"] - values["price"]) > double_slack(values["price"]):
        raise RuleFailure(rule, f"stake + ext_amount = {values['stake'] + values['ext_amount']} but price is "
                          f"{values['price']} (excise tax type inclusive: the tax is part of the price)",
                          received={k: body[k] for k in ("price", "stake", "ext_amount")},
                          documented='"price": 1000, "stake": 889, ... "ext_amount": 111, ... "ext_type": "inclusive"')
    return None


def check_excise_amount(rule: Any, exchange: Exchange) -> Any:
    """ext_amount is the tax an inclusive price of ``price`` holds at ``ext`` percent, price x ext /
    (100 + ext), rounded down or to the nearest unit: not up (the sample's price 1000 at 12.5 holds
    111.11 and answers 111, where rounding up, or cutting the stake down, gives 112); beyond 2^53,
    give or take what doubles make of it (the suite takes such a price echoed through a double too)."""
    body = exchange.json
    values = number_fields(body, ("price", "ext_amount", "ext"))
    _require_inclusive(body)
    if len(values) < 3 or values["ext"] <= -100:
        return NOT_APPLICABLE
    with localcontext() as context:
        context.prec = max(28, values["price"].adjusted() + 10)
        included = values["price"] * values["ext"] / (100 + values["ext"])
        slack = double_slack(values["price"])   # beyond 2^53, neither price nor tax is exact in a double
        low, high = included.to_integral_value(rounding=ROUND_FLOOR) - slack, included + Decimal("0.5") + slack
        if not low <= values["ext_amount"] <= high:
            raise RuleFailure(rule, f"ext_amount should be the tax an inclusive price holds, price x ext / (100 + ext) "
                              f"= {included.quantize(Decimal('0.01'))}, rounded down or to the nearest unit",
                              received={k: body[k] for k in ("price", "ext", "ext_amount")},
                              documented='"price": 1000, "stake": 889, ... "ext_amount": 111, "ext": 12.5, '
                              '"ext_type": "inclusive"')
    return None


def check_excise_rate(rule: Any, exchange: Exchange) -> Any:
    body = exchange.json
    values = number_fields(body, ("price", "stake", "ext_amount", "ext"))
    _require_inclusive(body)
    if len(values) < 4:
        return NOT_APPLICABLE
    price, ext = values["price"], values["ext"]
    exact = price / (1 + ext / 100)
    expected = rounded(exact) | {exact.to_integral_value(rounding=ROUND_CEILING)}   # the tax floored (the sample)
    if values["stake"] not in expected or values["ext_amount"] != price - values["stake"]:
        raise RuleFailure(rule, f"stake should be round(price / (1 + ext/100)) = "
                          f"{' or '.join(map(str, sorted(expected)))} and ext_amount = price - stake",
                          received={k: body[k] for k in ("price", "ext", "stake", "ext_amount")},
                          documented="price 1000, ext 12.5% -> stake 889, ext_amount 111 (the superbet sample)")
    return None


# --- times ---------------------------------------------------------------------------------------------

TIME_FIELDS = ("created", "updated", "operator_time_created", "operator_time_updated")
_FORMAT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")
MAX_OFFSET = timedelta(hours=14)
CLOCK_TOLERANCE = timedelta(minutes=10)   # a staging clock may drift; a local zone is off by 30 min or more
CLOCK_READS = timedelta(seconds=1)       # a UTC time and its operator-zone twin may come from two clock reads
_ZONE = re.compile(r"^([+-])(\d{2}):(\d{2})$")


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _FORMAT.match(value):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f")
    except ValueError:
        return None


def check_times(rule: Any, exchange: Exchange) -> None:
    body = exchange.json
    times = {name: _parse(body.get(name)) for name in TIME_FIELDS}
    bad = {name: body.get(name, "<absent>") for name, value in times.items() if value is None}
    if bad:
        raise RuleFailure(rule, "times must be YYYY-MM-DDTHH:MM:SS.ffffff without a zone", received=bad)
    received = {name: body[name] for name in TIME_FIELDS}
    if times["updated"] < times["created"]:
        raise RuleFailure(rule, "updated is before created", received=received)
    sent_at = exchange.extra.get("sent_at")
    if isinstance(sent_at, (int, float)):
        now = datetime.fromtimestamp(sent_at, tz=timezone.utc).replace(tzinfo=None)
        if abs(times["created"] - now) > CLOCK_TOLERANCE + timedelta(seconds=exchange.elapsed_s or 0):
            raise RuleFailure(rule, f"created is not UTC: the request was sent at {now:%Y-%m-%dT%H:%M:%S} UTC, "
                              f"{_hours(times['created'] - now)} away", received=received)
    shift_created = times["operator_time_created"] - times["created"]
    shift_updated = times["operator_time_updated"] - times["updated"]
    offset = _nearest_minute(shift_created)
    if _nearest_minute(shift_updated) != offset:
        raise RuleFailure(rule, "operator_time_created and operator_time_updated are shifted by different "
                          "offsets", received=received, documented="the same instants in the operator's zone "
                          '("created": "2024-07-11T18:40:52.995000", "operator_time_created": '
                          '"2024-07-11T20:40:52.995000")')
    off_the_minute = max(abs(shift_created - offset), abs(shift_updated - offset))
    if off_the_minute > CLOCK_READS or abs(offset) > MAX_OFFSET:
        raise RuleFailure(rule, f"the operator offset {offset} is not a whole number of minutes within +-14 h",
                          received=received, documented="operator timezone")
    zone = exchange.extra.get("operator_timezone_offset")
    if not isinstance(zone, str) or (expected := _offset(zone)) is None:
        raise NotVerified("the player's operator (provider state 'a player exists') has no timezone_offset: the "
                          "operator times could not be compared with the operator's zone")
    if offset != expected:
        raise RuleFailure(rule, f"operator times are shifted by {_zone_text(offset)} but the operator's zone is "
                          f"{zone}", received=received, documented="Ticket created datetime, operator timezone")


def _nearest_minute(delta: timedelta) -> timedelta:
    return timedelta(minutes=round(delta / timedelta(minutes=1)))


def _offset(text: str) -> timedelta | None:
    match = _ZONE.match(text)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    return (-1 if sign == "-" else 1) * timedelta(hours=int(hours), minutes=int(minutes))


def _hours(delta: timedelta) -> str:
    minutes = round(delta / timedelta(minutes=1))
    return f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60} h {abs(minutes) % 60:02d} min"


def _zone_text(offset: timedelta) -> str:
    minutes = int(offset / timedelta(minutes=1))
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


# --- errors ---------------------------------------------------------------------------------------------

CODE_IN_BODY = "Bad Request. Please check error code in response body (see Error codes)"


def error_shape(rule: Any, exchange: Exchange, *, strict: bool = True) -> Any:
    """400 ``{code: int, message: str}`` (``strict``; else a JSON body carrying an error code
    anywhere); 403 and 422 with any body (the pages do not give them); other statuses: not applicable."""
    if exchange.status != 400:
        return NOT_APPLICABLE
    body = body_of(exchange)
    if not strict:
        if error_code(body) is None:
            raise RuleFailure(rule, "a 400 answer carries no error code in its body", received=shown(exchange),
                              documented=CODE_IN_BODY)
        return None
    if not isinstance(body, dict) or integral(body.get("code")) is None or not isinstance(body.get("message"), str):
        raise RuleFailure(rule, "a 400 answer is not {code: int, message: str}", received=shown(exchange),
                          documented=ERROR_SHAPE)
    return None


# The operators' zones a scene draws: the sample's +2 h, UTC, -10 h, and zones with minutes (India,
# Nepal, Newfoundland, central Australia), which a whole number of hours does not give.
ZONES = ("+02:00", "+00:00", "+05:30", "+05:45", "-03:30", "+09:30", "-10:00")


def scene_player(flow: Flow) -> dict[str, Any]:
    """A new player of a new operator in a drawn zone (ZONES): the operator_time_* of its tickets are
    judged against that zone (the response rules read every answer a flow gets)."""
    zone = flow.draw(st.sampled_from(ZONES), "the operator's timezone offset")
    operator = flow.setup("an operator exists", timezone_offset=zone)
    return flow.setup("a player exists", operator=operator["name"])


def ticket_scene(flow: Flow, player: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """A player (:func:`scene_player` unless given) and a valid body for the ticket API under test (a
    betcard for jackpot, an event for superbet)."""
    player = dict(player if player is not None else scene_player(flow))
    if flow.api == "jackpot-ticket":
        return player, flow.valid_body(player, betcard=flow.setup("a jackpot betcard exists"))
    return player, flow.valid_body(player, event=flow.setup("an event exists"))


EXPECTED_CODE = {
    # 106 reads "Market for bet with `{market-id}` ...": a market id, so no error is named for an unknown bet
    "unknown event": 103, "unknown bet": None, "event started": 107, "unknown operator": 112,
    "operator without webhook": 114, "operator header differs, body signs": 115,
    # two errors at once (EITHER_ERROR): the page names a code for the mismatch, none for the other
    "operator header differs": None, "body names another operator": None,
    "market not allowed": 116,
    "unknown betcard": None,  # not in the superbet page's list: only 400 and the shape are required
    "bet of another event": None,  # "Each element is event bet id": the event's; the page names no code
}
SEED_MESSAGES = {  # the superbet page's error list
    103: "Event with `{event-id}` identifier is not found",
    106: "Market for bet with `{market-id}` identifier is not found",
    107: "Event with `{event-id}` identifier is not available for play because it has already started",
    112: "Operator with `{operator-id}` name is not found",
    114: "No webhook url for operator with `{operator-id}` name",
    115: "Operators in request body and in request header are not identical",
    116: "Market with `{market-id}` code is not allowed",
}
COMMON_SITUATIONS = ("unknown event", "unknown bet", "unknown operator", "operator without webhook",
                     "operator header differs", "operator header differs, body signs", "body names another operator")
# A service that verifies the signature (with the header's or the body's operator) before it compares
# them answers 403 where the other order answers 115: both refuse the mismatch.
HEADER_SITUATIONS = ("operator header differs", "operator header differs, body signs", "body names another operator")
# The header's operator signs and the body names another: the token is then not the player of one
# of the two, and the page gives no order of checks, so a service may answer that error first, in a
# code and status of its own: any refusal (4xx) that stores nothing. The mismatch alone, where the
# body's operator signs for its own player, gets 115 (or 403: "operator header differs, body signs").
EITHER_ERROR = ("operator header differs", "body names another operator")
# An unknown event's bets are then not "event bet ids" of it: a second error, and a service that checks
# the bets first answers that one (106, a code of its own, or 422, as for an unknown bet). Only a code the
# page names for a third situation (a started event, an unknown operator, ...) is the wrong answer.
SECOND_ERROR = {"unknown event": (103, 106)}
# Situations a service may answer as it answers a valid ticket with one other defect (asked when the
# answer is neither the named code nor 403): where the body's operator signs and the header names
# another, a service that verifies with the header's operator's secret sees a bad signature (the
# superbet page states no credential scheme, SR-AUTH is a SHOULD); an unknown operator named with
# another operator's player's token meets a service that looks the player up first (the page gives
# no order of checks) as an unknown token.
CONTROL_DEFECTS = {"operator header differs, body signs": "a bad signature", "unknown operator": "an unknown token"}


def _bet_ids(market: Mapping[str, Any]) -> list[Any]:
    return [selection["bet_id"] for selection in market["selections"]]


def _unknown_id(flow: Flow, label: str) -> int:
    return 2_000_000_000 + flow.draw(st.integers(0, 1_000_000), label)


def _provoke(flow: Flow, situation: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, str] | None,
                                                  dict[str, Any] | None]:
    """Set the scene for ``situation``: (player, body, extra headers, the operator who signs it)."""
    jackpot = flow.api == "jackpot-ticket"
    headers = None
    sign_as = None
    if situation == "operator without webhook":
        operator = flow.setup("an operator exists", webhook_url=None)
        player, body = ticket_scene(flow, flow.setup("a player exists", operator=operator["name"]))
    elif situation == "event started":
        player = flow.setup("a player exists")
        body = flow.valid_body(player, event=flow.setup("an event exists", started=True))
    elif situation == "market not allowed":
        # a valid body, then pointed at an event with an open market and a closed one: the open market's
        # bets and one of the closed market's, in a drawn place (every bet's market is checked)
        player, body = ticket_scene(flow)
        event = flow.setup("an event exists", markets=[
            {"code": "OU", "allowed": True, "prices": ["1.90", "1.90"]},
            {"code": "1X2", "allowed": False, "prices": ["1.85", "3.40", "4.20"]}])
        body["event"] = event["event_id"]
        markets = {market.get("code"): market for market in event.get("markets") or []}
        if not {"OU", "1X2"} <= set(markets):
            raise NotVerified('the "an event exists" answer does not carry the two markets asked for (OU open, '
                              f"1X2 closed): {sorted(map(str, markets))}")
        body["bets"] = _bet_ids(markets["OU"])
        body["bets"].insert(flow.draw(st.integers(0, len(body["bets"])), "where the closed market's bet goes"),
                            flow.draw(st.sampled_from(_bet_ids(markets["1X2"])), "the closed market's bet"))
    elif situation == "bet of another event":
        # the other event's bet ids that are not this event's too (a service may number bets per event)
        player = scene_player(flow)
        event = flow.setup("an event exists")
        body = flow.valid_body(player, event=event)
        own = {bet for market in event["markets"] for bet in _bet_ids(market)}
        others = [bet for market in flow.setup("an event exists")["markets"] for bet in _bet_ids(market)
                  if bet not in own]
        bet = flow.draw(st.sampled_from(others), "a bet of another event") if others \
            else _unknown_id(flow, "unknown bet id (the other event's ids are all this one's too)")
        body["bets"].insert(flow.draw(st.integers(0, len(body["bets"])), "where the other event's bet goes"), bet)
    else:
        player, body = ticket_scene(flow)
    if situation == "unknown event":
        if jackpot:
            index = flow.draw(st.integers(0, len(body["events"]) - 1), "event made unknown")
            body["events"][index]["id"] = _unknown_id(flow, "unknown event id")
        else:
            body["event"] = _unknown_id(flow, "unknown event id")
    elif situation == "unknown bet":
        if jackpot:
            index = flow.draw(st.integers(0, len(body["events"]) - 1), "event with an unknown bet")
            body["events"][index]["bet"] = _unknown_id(flow, "unknown bet id")
        else:          # among the known ones, all kept: a service must refuse the ticket, not drop the bet
            index = flow.draw(st.integers(0, len(body["bets"])), "where the unknown bet goes")
            body["bets"].insert(index, _unknown_id(flow, "unknown bet id"))
    elif situation == "unknown operator":
        name = f"op-{flow.fresh_uuid()[:8]}"       # as short as an operator's name ("site"): only unknown
        body["operator"], headers = name, {"operator-name": name}
    elif situation == "operator header differs":      # signed by the header's operator, with its own secret
        sign_as = flow.setup("an operator exists")
        headers = {"operator-name": sign_as["name"]}
    elif situation == "operator header differs, body signs":   # signed by the body's operator
        headers = {"operator-name": flow.setup("an operator exists")["name"]}
    elif situation == "body names another operator":   # the header, signature and token: the player's operator
        body["operator"] = flow.setup("an operator exists")["name"]
    elif situation == "unknown betcard":
        body["betcard_code"] = f"ORDERPROOF-UNKNOWN-{flow.fresh_uuid()[:8].upper()}"
    return player, body, headers, sign_as


def provoke_errors(rule: Any, flow: Flow, situations: tuple[str, ...], *, codes: bool, strict: bool = True) -> None:
    """Provoke every situation (the first one drawn) and collect every failure. ``codes``: demand
    the engine's code for each situation (:data:`EXPECTED_CODE`), or (False) 400 with any code.
    ``strict``: a 400 is ``{code: int, message: str}``; else (a page that lost its error bodies) a
    refusal is a 400 whose body carries an error code anywhere, or a 422. A situation whose code
    :data:`EXPECTED_CODE` gives as None (the page names none) may also be refused with 422, the
    page's "Validation Error" (an unknown bet id: a bad field or a business error? the page does not
    say); with ``codes=False`` every situation is a 400 (or a 403 where stated, or a 422 where
    :data:`EXPECTED_CODE` names no code). A situation of :data:`EITHER_ERROR` takes any 4xx."""
    first = flow.draw(st.sampled_from(situations), "situation provoked first")
    order = [first, *(s for s in situations if s != first)]
    expected = EXPECTED_CODE if codes else {}
    each_case(rule, order, lambda situation: _provoke_one(rule, flow, situation, expected, strict), flow=flow)


def _provoke_one(rule: Any, flow: Flow, situation: str, codes: Mapping[str, Any], strict: bool) -> None:
    player, body, headers, sign_as = _provoke(flow, situation)
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player, headers=headers, sign_as=sign_as)
    error_shape(rule, exchange, strict=strict)
    answer = body_of(exchange)
    got = answer.get("code") if isinstance(answer, dict) else None
    expected = codes.get(situation)
    unnamed = EXPECTED_CODE.get(situation, 0) is None       # the page names no code for it
    if situation == "unknown operator" and exchange.status == 403:
        flow.conventions.observe(rule, f"{flow.api}.unknown-operator", "forbidden-403", f"{situation}: HTTP 403")
    elif situation in HEADER_SITUATIONS and exchange.status == 403:
        pass
    elif situation in EITHER_ERROR and 400 <= exchange.status < 500:
        pass          # the other error's answer (a 400's shape is judged above)
    elif situation in CONTROL_DEFECTS and exchange.status != 403 and got != EXPECTED_CODE[situation] \
            and 400 <= exchange.status < 500 and _answered_alike(flow, exchange, CONTROL_DEFECTS[situation]):
        pass          # the service's answer to the other defect
    elif exchange.status == 422 and (not strict or unnamed):
        pass          # the page's "Validation Error": for a situation the page names no error code for
    elif situation in SECOND_ERROR and (exchange.status == 422 or exchange.status == 400 and (
            integral(got) in SECOND_ERROR[situation] or integral(got) not in SEED_MESSAGES)):
        pass          # its own code, or the second error's
    elif exchange.status != 400 or (expected is not None and got != expected):
        named = 115 if situation in EITHER_ERROR else expected     # the mismatch's, if not the other error's
        documented = (f'"code": {named}, "message": "{SEED_MESSAGES[named]}"' if named is not None
                      else "Error response (status=400) {code, message}" if strict else CODE_IN_BODY)
        either = " (or 403)" if situation in HEADER_SITUATIONS or situation == "unknown operator" else ""
        if situation in CONTROL_DEFECTS:
            either = f" (or 403, or what the service answers {CONTROL_DEFECTS[situation]})"
        second = " (or a code of its own or 106 for its bets, or 422)" if situation in SECOND_ERROR else ""
        wanted = "a refusal (any 4xx)" if situation in EITHER_ERROR else \
            f"400 with code {expected or 'of the error list'}{either}{second}" + (
                " or 422" if not strict or unnamed else "")
        raise RuleFailure(rule, f"{situation}: expected {wanted}", received=shown(exchange), documented=documented)
    elif situation == "unknown operator":
        flow.conventions.observe(rule, f"{flow.api}.unknown-operator", "error-400", f"{situation}: HTTP 400 code {got}")
    assert_unchanged(rule, before, flow.snapshot(player), f"{situation} was rejected",
                     "Error response (status=400): no ticket is created", keys=("tickets",))


def _answered_alike(flow: Flow, exchange: Exchange, defect: str) -> bool:
    """``exchange`` is answered as the service answers a valid ticket for a new player with one
    ``defect`` (:data:`CONTROL_DEFECTS`; the same status and error code, asked now)."""
    player, body = ticket_scene(flow)
    if defect == "an unknown token":
        body = {**body, "token": f"orderproof-{flow.fresh_uuid()}"}
    control = flow.send(body, player=player, auth="bad" if defect == "a bad signature" else "valid")
    return control.status == exchange.status and error_code(body_of(control)) == error_code(body_of(exchange))


def bad_signature(rule: Any, flow: Flow) -> None:
    player, body = ticket_scene(flow)
    before = flow.snapshot(player)
    exchange = flow.send(body, player=player, auth="bad")
    if exchange.status != 403:
        raise RuleFailure(rule, "a request with a bad signature did not get 403", received=shown(exchange))
    assert_unchanged(rule, before, flow.snapshot(player), "a request with a bad signature was rejected",
                     "403 Forbidden: no ticket is created", keys=("tickets",))
