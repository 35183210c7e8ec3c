"""Schemathesis-driven requests: the spec of each API loaded once per process, positive cases
overlaid with valid fixtures (identities, events, prices, credentials) so a correct service accepts
most of them, and every answer turned into a :class:`~orderproof.checks.base.Exchange`.

The overlay changes only positive cases: a negative case stays exactly as Schemathesis mutated it,
so that ``negative_data_rejection`` judges what it generated.
"""

from __future__ import annotations

import copy
import json
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

import requests
import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode

from orderproof import paths
from orderproof.apis import APIS
from orderproof.checks.base import Exchange, NotVerified, loads_exact
from orderproof.transport import Reply

if TYPE_CHECKING:
    from schemathesis.schemas import APIOperation

    from orderproof.provider_states import ProviderStates
    from orderproof.target import Target

__all__ = ["Scene", "build_request", "case_strategy", "exchange_from", "load_operation", "overlay_case"]

TICKET_ENGINE = ("jackpot-ticket", "superbet-reserve")

# Schemathesis config: no example database; generic positive rule demands a 2xx (its default also
# accepts 401/403/404, which would let a service that rejects everything pass); sanitisation of its
# own messages keeps X-Idempotency-Key readable and hides credentials.
_SCHEMATHESIS_CONFIG = {
    "generation": {"database": "none"},
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2XX"]}},
    "output": {
        "sanitization": {
            "sensitive-markers": ["token", "secret", "password", "passwd", "auth", "session", "credential",
                                  "signature", "apikey", "api-key", "api_key"],
            "keys-to-sanitize": ["authorization", "cookie", "set-cookie", "x-api-key", "signature"],
        }
    },
}


@cache
def load_schema(slug: str) -> Any:
    """``openapi/<slug>.yaml`` loaded by Schemathesis (once per process)."""
    return schemathesis.openapi.from_path(
        paths.spec_path(slug), config=schemathesis.Config.from_dict(_SCHEMATHESIS_CONFIG)
    )


@cache
def load_operation(slug: str) -> APIOperation:
    api = APIS[slug]
    return load_schema(slug)[api.path][api.method]


@cache
def _strategy(slug: str, mode: str) -> st.SearchStrategy:
    operation = load_operation(slug)
    if mode == "positive":
        return operation.as_strategy(GenerationMode.POSITIVE)
    if mode == "negative":
        return operation.as_strategy(GenerationMode.NEGATIVE)
    return st.one_of(_strategy(slug, "positive"), _strategy(slug, "negative"))


def case_strategy(slug: str, mode: str = "all") -> st.SearchStrategy:
    """Cases of the API's operation: ``positive``, ``negative`` or ``all`` (either)."""
    return _strategy(slug, mode)


@cache
def case_pool(slug: str, mode: str, size: int, pool_seed: int) -> tuple[Any, ...]:
    """``size`` cases generated once per process for (API, mode, seed). Generating a body of these
    schemas costs ~50-100 ms; runs that share a seed (every fault of the self-verification) share
    the cases, and flows draw their bodies from the pool (an index, which shrinks)."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings

    collected: list[Any] = []

    @settings(max_examples=size, database=None, deadline=None, phases=(Phase.generate,),
              suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet)
    @seed(pool_seed)
    @given(case=_strategy(slug, mode))
    def collect(case: Any) -> None:
        collected.append(case)

    collect()
    return tuple(collected)


@cache
def coverage_cases(slug: str) -> tuple[Any, ...]:
    """Schemathesis' coverage-phase negative cases of the operation: each breaks one thing (a
    missing required field, a wrong type, a value past a bound, a bad header) in an otherwise valid
    request. Probes with other HTTP methods and malformed Content-Type headers are left out (they
    test the web framework, not the API)."""
    from schemathesis.generation.drivers import CoverageGenerator
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.generation.overrides import Override

    operation = load_operation(slug)
    config = load_schema(slug).config.generation_for(operation=operation, phase="coverage")
    generator = CoverageGenerator(
        operation=operation, generation_modes=[GenerationMode.NEGATIVE], generation_config=config,
        auth_storage=None, override=Override(query={}, headers={}, cookies={}, path_parameters={}, body={}),
        feedback=FeedbackSources())
    return tuple(case for case in generator
                 if case.method.upper() == operation.method.upper()
                 and getattr(case.meta.phase.data, "parameter", None) != "Content-Type")


def coverage_sample(slug: str, size: int, sample_seed: int) -> list[Any]:
    """Every coverage case that leaves out something required (the plainest invalid request there
    is), then a seeded sample of ``size`` of the others."""
    cases = list(coverage_cases(slug))
    missing = [case for case in cases if _description(case).startswith("Missing")
               or "Missing required property" in _description(case)]
    rest = [case for case in cases if case not in missing]
    if size < len(rest):
        rest = random.Random(sample_seed).sample(rest, size)
    return missing + rest


def _description(case: Any) -> str:
    data = getattr(getattr(case, "meta", None), "phase", None)
    return getattr(getattr(data, "data", None), "description", "") or ""


def mutated_names(case: Any) -> set[str]:
    """Names a coverage case says it broke (``customerToken: Incorrect type`` -> customerToken)."""
    import re

    data = getattr(case.meta, "phase", None) and case.meta.phase.data
    names = set(re.findall(r"[A-Za-z_][\w-]*", getattr(data, "description", "") or ""))
    parameter = getattr(data, "parameter", None)
    if parameter:
        names.add(parameter)
    return {name.lower() for name in names}


def identify_negative(slug: str, case: Any, scene: Scene, draw: Callable) -> Mapping | None:
    """A coverage negative case with a real player's identity and real fixtures (events, betcards,
    prices) in every top-level field it did not break, so that the broken field is the only reason
    left to reject it."""
    if not isinstance(case.body, dict):
        return None
    player = scene.player()
    broken = mutated_names(case)
    realistic = valid_body(slug, copy.deepcopy(case.body), scene, player, draw)
    body = dict(case.body)
    for key in body:
        if key.lower() not in broken and isinstance(realistic, dict) and key in realistic:
            body[key] = realistic[key]
    case.body = body
    return player


def fresh_case(case: Any) -> Any:
    """A copy of a pooled case that may be filled in without touching the pool."""
    return type(case)(
        case.operation, case.method, case.path, id=case.id,
        path_parameters=copy.deepcopy(case.path_parameters), headers=copy.deepcopy(case.headers),
        cookies=copy.deepcopy(case.cookies), query=copy.deepcopy(case.query), body=copy.deepcopy(case.body),
        media_type=case.media_type, multipart_content_types=case.multipart_content_types,
        meta=copy.deepcopy(case.meta),
    )


@cache
def spec_document(slug: str) -> dict[str, Any]:
    return paths.load_yaml(paths.spec_path(slug).read_text(encoding="utf-8"))


def documented_only(slug: str, body: Any, media_type: str = "application/json") -> Any:
    """``body`` without the properties the request schema does not name (generated positive bodies
    carry random extra properties, which the schema allows; a flow's scenario is about business
    rules, so its bodies keep to the documented fields)."""
    document = spec_document(slug)
    api = APIS[slug]
    content = document["paths"][api.path][api.method.lower()]["requestBody"]["content"]
    schema = (content.get(media_type) or next(iter(content.values())))["schema"]
    return _documented(body, schema, document, 0)


def _resolve(schema: Any, document: Mapping) -> Any:
    while isinstance(schema, Mapping) and "$ref" in schema and str(schema["$ref"]).startswith("#/"):
        target: Any = document
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        schema = target
    return schema


def _documented(value: Any, schema: Any, document: Mapping, depth: int) -> Any:
    schema = _resolve(schema, document)
    if not isinstance(schema, Mapping) or depth > 32:
        return value
    branches = [schema] + [_resolve(branch, document) for key in ("allOf", "anyOf", "oneOf")
                           for branch in schema.get(key, [])]
    if isinstance(value, dict):
        properties: dict[str, Any] = {}
        for branch in branches:
            if isinstance(branch, Mapping):
                properties.update(branch.get("properties") or {})
        if not properties:
            return value
        return {key: _documented(item, properties[key], document, depth + 1)
                for key, item in value.items() if key in properties}
    if isinstance(value, list):
        items = next((branch["items"] for branch in branches if isinstance(branch, Mapping) and "items" in branch), None)
        return [_documented(item, items, document, depth + 1) for item in value] if items is not None else value
    return value


@cache
def request_example(slug: str) -> dict[str, Any]:
    """The first request example in the spec: a template for list items a generated body lacks."""
    document = spec_document(slug)
    api = APIS[slug]
    content = document["paths"][api.path][api.method.lower()]["requestBody"]["content"]
    for media in content.values():
        for example in (media.get("examples") or {}).values():
            if "value" in example:
                return example["value"]
            ref = example.get("$ref", "")
            if ref.startswith("#/components/examples/"):
                return document["components"]["examples"][ref.rsplit("/", 1)[1]]["value"]
    return {}


def money_number(cents: int) -> float:
    """A JSON number for ``cents`` minor units, built from its decimal text (no float arithmetic)."""
    return float(f"{'-' if cents < 0 else ''}{abs(cents) // 100}.{abs(cents) % 100:02d}")


def price_number(text: Any) -> float:
    return float(str(text))


class Scene:
    """The fixtures one rule run works with: a player, an event, a jackpot betcard, created on first
    use through the provider-state client (or taken from the target file's fixtures)."""

    def __init__(self, target: Target, states: ProviderStates, seed: int):
        self.target = target
        self.states = states
        self.rng = random.Random(seed)     # identities that must never repeat (ids, keys)
        self._lock = threading.Lock()
        self._cache: dict[str, Any] = {}
        self._cache_lock = threading.RLock()
        self.realistic = True     # False when the last overlay kept generated values (e.g. a huge stake)
        self.prices: dict[tuple[Any, Any], Any] = {}   # (event id, bet id) -> current decimal price
        self.betcards: dict[Any, Mapping[str, Any]] = {}  # betcard code -> "a jackpot betcard exists" answer

    # identities --------------------------------------------------------------------------------
    def uuid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def big_id(self) -> int:
        """A fresh ticket id beyond 2^53 (a double cannot hold it exactly)."""
        with self._lock:
            return self.rng.randrange(2**53 + 1, 2**63 - 1)

    # fixtures ----------------------------------------------------------------------------------
    def _cached(self, key: str, make: Callable[[], Any]) -> Any:
        with self._cache_lock:             # concurrent sends of one flow share one player
            if key not in self._cache:
                self._cache[key] = make()
            return self._cache[key]

    def setup(self, state: str, **params: Any) -> dict[str, Any]:
        """Set up a state; without a hook, fall back to the fixture asked with default parameters."""
        if self.states.has_hook or not params:
            return self.states.setup(state, **params)
        return self.states.setup(state)

    def player(self) -> dict[str, Any]:
        """A well-funded player for positive cases."""
        return self._cached("player", lambda: self.setup(
            "a player exists", balance="1000000.00", min_stake="0.10", max_stake="500.00"))

    def event(self) -> dict[str, Any]:
        return self._cached("event", lambda: self.setup("an event exists"))

    def betcard(self) -> dict[str, Any]:
        return self._cached("betcard", lambda: self.setup("a jackpot betcard exists"))

    # credentials -------------------------------------------------------------------------------
    def api_key(self, player: Mapping[str, Any] | None) -> str:
        configured = self.target.apis.get("bet-placement")
        key = (configured.auth.get("api_key") if configured else None) or (player or {}).get("apiKey")
        if not key:
            raise NotVerified("no API key: the target file gives no bet-placement api_key and the "
                              "provider state did not reveal one")
        return key

    def operator(self, slug: str, player: Mapping[str, Any] | None) -> tuple[str, str]:
        """The operator that signs for ``player``: the player's own (from the provider state, which
        says which operator it belongs to and its secret), else the target file's."""
        operator = (player or {}).get("operator") or {}
        if isinstance(operator, Mapping) and operator.get("name") and operator.get("secret"):
            return operator["name"], operator["secret"]
        configured = self.target.apis.get(slug)
        auth = configured.auth if configured else {}
        if auth.get("operator") and auth.get("secret"):
            return auth["operator"], auth["secret"]
        raise NotVerified("no operator secret: the target file gives no operator/secret and the "
                          "provider state did not reveal one")


# overlays: a positive body made acceptable ----------------------------------------------------


def _draw_cents(draw: Callable, low: int, high: int) -> int:
    return draw(st.integers(low, max(low, high)), "cents")


SPORTSBOOK_SAMPLE = {"currency": 1, "betType": 1, "sportNo": 10, "gameType": 1, "groupType": 1, "oddsFormat": 1,
                     "betStage": 1}   # the seed sample's codes (the code lists are not in the seed)


def _sportsbook(body: dict, scene: Scene, player: Mapping, draw: Callable, fixtures: Mapping) -> dict:
    """An order like the seed's sample: 1-3 options, one bet of one combination over all of them,
    orderAmount = betAmount within the player's stake limits, the sample's codes."""
    ticket = scene.big_id()
    n = draw(st.integers(1, 3), "options in the order")
    options, product = [], Decimal(1)
    for i in range(n):
        odds = Decimal(draw(st.integers(101, 2000), f"option {i} odds in 1/100")) / 100
        product *= odds
        match = scene.big_id() % 10**8
        options.append({
            "sportNo": SPORTSBOOK_SAMPLE["sportNo"], "tourName": "Premier League", "macthId": match,
            "macthName": "Home vs Away", "gameType": SPORTSBOOK_SAMPLE["gameType"],
            "groupType": SPORTSBOOK_SAMPLE["groupType"], "optionId": str(scene.big_id() % 10**9),
            "betOption": draw(st.sampled_from(["1", "X", "2"]), f"option {i} outcome"),
            "insHomeScore": 0, "insAwayScore": 0, "oddsView": price_number(odds),
            "oddsFormat": SPORTSBOOK_SAMPLE["oddsFormat"], "betStage": SPORTSBOOK_SAMPLE["betStage"], "betBar": None})
    low, high = _limits_cents(player, 100, 10_000)
    amount = money_number(_draw_cents(draw, low, high))
    bet = {"comboId": None if n == 1 else scene.big_id() % 10**12, "betAmount": amount, "num": n, "cnt": 1,
           "oddsEuro": price_number(product.quantize(Decimal("0.01")))}
    return {**body, "customerToken": player["customerToken"],
            "ticketId": str(ticket) if draw(st.booleans(), "ticketId as string") else ticket,
            "orderAmount": amount, "currency": SPORTSBOOK_SAMPLE["currency"], "qTime": int(time.time() * 1000),
            "betType": SPORTSBOOK_SAMPLE["betType"], "optionArray": options, "betList": [bet]}


def _limits_cents(player: Mapping, low: int, high: int) -> tuple[int, int]:
    """``(low, high)`` cents narrowed to the player's stake limits, when the player has them."""
    def cents_of(name: str, default: int) -> int:
        try:
            value = Decimal(str(player[name]))
        except (KeyError, ArithmeticError, ValueError):
            return default
        return int(value * 100) if value.is_finite() else default
    lo, hi = max(low, cents_of("min_stake", low)), min(high, cents_of("max_stake", high))
    return (lo, hi) if lo <= hi else (low, high)


def _selection(draw: Callable, event: Mapping) -> tuple[Mapping, Mapping]:
    markets = [m for m in event.get("markets", []) if m.get("selections")]
    markets = [m for m in markets if m.get("allowed", True)] or markets   # a closed market when asked for
    if not markets:
        raise NotVerified("the event set up has no market with selections")
    market = markets[draw(st.integers(0, len(markets) - 1), "market")]
    selections = market["selections"]
    return market, selections[draw(st.integers(0, len(selections) - 1), "selection")]


TICKET_SOURCES = ("desktop", "mobile", "android", "iphone", "ussd", "sms", "telegram")   # the provider's Fields page


def _currency(draw: Callable, player: Mapping, body: Mapping) -> Any:
    """The player's own currency (a service may refuse a ticket in another one)."""
    currency = player.get("currency")
    return currency if isinstance(currency, str) and len(currency) == 3 else "EUR"


def _jackpot(body: dict, scene: Scene, player: Mapping, draw: Callable, fixtures: Mapping) -> dict:
    operator, _ = scene.operator("jackpot-ticket", player)
    card = fixtures.get("betcard") or scene.betcard()
    events = []
    for event in card["events"]:
        _, selection = _selection(draw, event)
        scene.prices[(event["event_id"], selection["bet_id"])] = selection["decimal_price"]
        events.append({"id": event["event_id"], "bet": selection["bet_id"],
                       "odds": price_number(selection["decimal_price"])})
    scene.betcards[card["betcard_code"]] = card
    if "atag" in body and body["atag"] is not None and not plain(body["atag"]):
        body = {**body, "atag": f"affiliate-{scene.big_id() % 1000}"}
    return {**body, "operator": operator, "token": player["token"], "price": _draw_cents(draw, 100, 100_000),
            "currency": _currency(draw, player, body), "type": "jackpot",
            "source": draw(st.sampled_from(TICKET_SOURCES), "source"),
            "odds_diff": draw(st.sampled_from([0, 0.05, 0.1, 1]), "odds_diff"), "events": events,
            "betcard_code": card["betcard_code"], "prize": card["prize"], "bonus_prizes": card["bonus_prizes"]}


def _superbet(body: dict, scene: Scene, player: Mapping, draw: Callable, fixtures: Mapping) -> dict:
    operator, _ = scene.operator("superbet-reserve", player)
    event = fixtures.get("event") or scene.event()
    market, _ = _selection(draw, event)
    bet_ids = [selection["bet_id"] for selection in market["selections"]]
    chosen = draw(st.lists(st.sampled_from(bet_ids), min_size=1, max_size=len(bet_ids), unique=True), "bets")
    if "atag" in body and body["atag"] is not None and not plain(body["atag"]):
        body = {**body, "atag": f"affiliate-{scene.big_id() % 1000}"}
    return {**body, "operator": operator, "token": player["token"], "price": _draw_cents(draw, 100, 100_000),
            "currency": _currency(draw, player, body), "type": "superbet",
            "source": draw(st.sampled_from(TICKET_SOURCES), "source"),
            "event": event["event_id"], "bets": chosen}


_DATE_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:\d{2})?$")


def _tame(value: Any) -> Any:
    """A generated travel value an ordinary service takes: small non-negative numbers (enumerations
    as small integers, amounts below 10,000), date-times with an offset .NET accepts (within 14 h)."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return abs(value) % 5
    if isinstance(value, float):
        return round(abs(value) % 10_000, 2)
    if isinstance(value, str):
        match = _DATE_TIME.match(value)
        if match:
            zone = match.group(2) or ""
            if zone not in ("", "Z") and int(zone[1:3]) > 14:
                zone = "+08:00"
            return match.group(1) + (zone or "+08:00")
        return value
    if isinstance(value, dict):
        return {key: _tame(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_tame(item) for item in value]
    return value


def _travel(body: dict, scene: Scene, player: Mapping, draw: Callable, fixtures: Mapping) -> dict:
    memberid = player["memberid"]
    body = {**_tame(body), "memberid": int(memberid) if str(memberid).isdigit() else memberid,
            "docno": f"OP{scene.big_id()}"}
    routines = body.get("localtravelroutine")
    if isinstance(routines, list):
        fixed = []
        for routine in routines:
            if not isinstance(routine, dict):
                fixed.append(routine)
                continue
            details = [d for d in routine.get("localTravelDetails") or [] if isinstance(d, dict)]
            total = 0
            new_details = []
            for detail in details:
                cents, quantity = _draw_cents(draw, 100, 100_000), draw(st.integers(1, 9), "quantity")
                total += cents * quantity
                new_details.append({**detail, "price": money_number(cents), "quantity": quantity})
            fixed.append({**routine, "localTravelDetails": new_details, "totalAmt": money_number(total)})
        body["localtravelroutine"] = fixed
    return body


# Numbers at the edges of what a decimal, a double or a 64-bit parser copes with. Every run sends one
# otherwise valid request per (field, value) below: the answer may be a refusal, never a server error
# (and an accepted one is judged by every response rule, e.g. a ticketId of 2^63 + 1 echoed exactly).
EDGE_NUMBERS: tuple[Any, ...] = (1.7976931348623157e308, -0.0, 5e-324, 2**53 - 1, 2**53 + 1, 2**63 - 1, 2**63 + 1)
EDGE_FIELDS: dict[str, tuple[tuple[Any, ...], ...]] = {     # money and id fields, as paths into the body
    "sportsbook-order": (("ticketId",), ("orderAmount",), ("betList", 0, "betAmount"),
                         ("optionArray", 0, "macthId"), ("betList", 0, "oddsEuro")),
    "jackpot-ticket": (("price",), ("prize",), ("events", 0, "id"), ("events", 0, "bet"), ("events", 0, "odds"),
                       ("odds_diff",)),
    "superbet-reserve": (("price",), ("event",), ("bets", 0)),
    "travel-order": (("memberid",), ("extraamt",), ("integraldiscount",)),
    "bet-placement": (("bets", 0, "stake"), ("bets", 0, "decimalPrice")),
}


def edge_cases(slug: str) -> tuple[tuple[tuple[Any, ...], Any], ...]:
    """Every (path, value) the edge pass of ``slug`` sends."""
    return tuple((path, value) for path in EDGE_FIELDS.get(slug, ()) for value in EDGE_NUMBERS)


def set_path(body: Any, path: tuple[Any, ...], value: Any) -> bool:
    """Put ``value`` at ``path`` in ``body`` (in place); False when the path does not exist."""
    target = body
    for step in path[:-1]:
        try:
            target = target[step]
        except (KeyError, IndexError, TypeError):
            return False
    if isinstance(target, dict) or (isinstance(target, list) and isinstance(path[-1], int) and path[-1] < len(target)):
        target[path[-1]] = value
        return True
    return False


STAKE_KIND = "stakes: 0 as generated, else realistic"


def plain(value: Any) -> bool:
    """A string an ordinary service stores as it is: not empty, not only blanks, no control
    characters or lone surrogates (a service may refuse those, and they test nothing of the rules)."""
    return isinstance(value, str) and value.strip() != "" and all(
        ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF for ch in value)


def _readable(generated: Mapping[str, Any], template: Mapping[str, Any]) -> dict[str, Any]:
    """``generated`` with every string field that is not :func:`plain` taken from ``template``."""
    return {**generated, **{key: value for key, value in template.items()
                            if isinstance(value, str) and not plain(generated.get(key))}}


def _bet_placement(body: dict, scene: Scene, player: Mapping, draw: Callable, fixtures: Mapping) -> dict:
    event = fixtures.get("event") or scene.event()
    template = request_example("bet-placement")["bets"][0]
    generated = [bet for bet in body.get("bets") or [] if isinstance(bet, dict)][:3] or [dict(template)]
    stage = "IN_PLAY" if event.get("started") else "PRE_PLAY"
    bets = []
    kind = draw(st.integers(0, 5), STAKE_KIND)
    for index, bet in enumerate(generated):
        market, selection = _selection(draw, event)
        stake = money_number(_draw_cents(draw, 100, 5_000))
        if kind == 0 and isinstance(bet.get("stake"), (int, float)) and not isinstance(bet.get("stake"), bool):
            stake, scene.realistic = bet["stake"], False      # as generated: schema-valid, maybe absurd
        bets.append({**_readable(bet, template), "betId": scene.uuid(), "eventId": str(event["event_id"]),
                     "marketId": str(market["market_id"]), "selectionId": str(selection["bet_id"]),
                     "eventStage": stage, "marketStage": stage,
                     "decimalPrice": price_number(selection["decimal_price"]), "stake": stake})
    return {**body, "requestId": scene.uuid(), "userId": player["userId"],
            "sessionToken": player["sessionToken"], "timestamp": str(int(time.time() * 1000)), "bets": bets}


OVERLAYS: dict[str, Callable[[dict, Scene, Mapping, Callable, Mapping], dict]] = {
    "sportsbook-order": _sportsbook,
    "jackpot-ticket": _jackpot,
    "travel-order": _travel,
    "superbet-reserve": _superbet,
    "bet-placement": _bet_placement,
}


def integral_floats_as_ints(value: Any) -> Any:
    """``0.0`` -> ``0`` throughout: JSON Schema counts ``0.0`` as an integer and Schemathesis
    generates it for integer fields; valid bodies use the plain integer form services expect."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, dict):
        return {key: integral_floats_as_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [integral_floats_as_ints(item) for item in value]
    return value


def valid_body(slug: str, body: Any, scene: Scene, player: Mapping, draw: Callable, **fixtures: Any) -> Any:
    """``body`` (a generated positive body) with the fixtures filled in. ``fixtures`` may replace
    the scene's event (``event=``) or betcard (``betcard=``) for this body."""
    if not isinstance(body, dict):
        return body
    return OVERLAYS[slug](integral_floats_as_ints(body), scene, player, draw, fixtures)


def overlay_case(slug: str, case: Any, scene: Scene, draw: Callable) -> Mapping | None:
    """Fill a positive case in place; returns the player used (None for negative cases)."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    scene.realistic = True
    player = scene.player()
    case.body = valid_body(slug, case.body, scene, player, draw)
    return player


# requests ---------------------------------------------------------------------------------------


def auth_headers(slug: str, body: bytes | None, scene: Scene, player: Mapping | None,
                 auth: str = "valid") -> dict[str, str]:
    """Credentials for one request: ``valid``, ``bad`` (wrong value) or ``none`` (left out)."""
    if slug == "bet-placement":
        if auth == "none":
            return {}
        key = scene.api_key(player)
        return {"X-API-Key": key if auth == "valid" else f"wrong-{scene.uuid()}"}
    if slug in TICKET_ENGINE:
        operator, secret = scene.operator(slug, player)
        from orderproof.signing import ticket_signature

        timestamp = str(int(time.time()))
        headers = {"operator-name": operator, "timestamp": timestamp}
        if auth == "valid":
            headers["signature"] = ticket_signature(secret, timestamp, body or b"")
        elif auth == "bad":
            headers["signature"] = ticket_signature(secret + "-wrong", timestamp, body or b"")
        return headers
    return {}


def build_request(slug: str, case: Any, target: Target, transport: Any,
                  extra_headers: Mapping[str, str] | None = None) -> requests.PreparedRequest:
    """The exact request for a case: Schemathesis serialises it, the target gives the URL."""
    kwargs = case.as_transport_kwargs(base_url=target.base_url)
    headers = {name: value for name, value in kwargs.get("headers", {}).items()
               if name.lower() not in ("user-agent", "x-schemathesis-testcaseid")}
    request = requests.Request(
        method=kwargs["method"], url=target.url_for(slug), headers=headers, params=kwargs.get("params") or None,
        json=kwargs.get("json") if "json" in kwargs else None, data=kwargs.get("data"), files=kwargs.get("files"),
    ).prepare()
    request.headers.update(transport.headers)
    for name, value in (extra_headers or {}).items():
        request.headers[name] = value
    return request


def body_bytes(request: requests.PreparedRequest) -> bytes | None:
    body = request.body
    if body is None:
        return None
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


def operator_offset(slug: str, player: Mapping | None) -> dict[str, Any]:
    """``{"operator_timezone_offset": ...}`` for ticket-engine exchanges whose operator is known
    (JT-TIMES / SR-TIMES tell unshifted operator times from a UTC operator by it)."""
    operator = (player or {}).get("operator") if slug in TICKET_ENGINE else None
    if isinstance(operator, Mapping) and operator.get("timezone_offset") is not None:
        return {"operator_timezone_offset": operator["timezone_offset"]}
    return {}


def annotate(slug: str, exchange: Exchange, scene: Scene) -> None:
    """What the suite knows beside the exchange: for a jackpot ticket, the current odds of the
    selections it names (JT-ODDS reads which odds the product used) and its betcard as set up
    (the betcard's prize and bonus prizes, which a service may answer instead of the request's)."""
    body = exchange.request_body
    if slug == "jackpot-ticket" and isinstance(body, dict) and isinstance(body.get("betcard_code"), str):
        card = scene.betcards.get(body["betcard_code"])
        if card is not None:
            exchange.extra["betcard"] = {key: card.get(key) for key in ("prize", "bonus_prizes")}
    if slug == "jackpot-ticket" and isinstance(body, dict) and isinstance(body.get("events"), list):
        exchange.extra["current_odds"] = [
            scene.prices.get((event.get("id"), event.get("bet")))
            if isinstance(event, dict) and isinstance(event.get("id"), int) and isinstance(event.get("bet"), int)
            else None
            for event in body["events"]]


def request_fields(request: requests.PreparedRequest) -> dict[str, Any]:
    """The request half of an :class:`Exchange`: method, url, lower-cased headers, the body as
    sent (text) and parsed exactly (``None`` when it is not JSON), and the media type."""
    raw = body_bytes(request)
    parsed = None
    if raw:
        try:
            parsed = loads_exact(raw)
        except (ValueError, UnicodeDecodeError):
            parsed = None
    return {
        "method": request.method or "",
        "url": request.url or "",
        "request_headers": {name.lower(): value for name, value in request.headers.items()},
        "request_body": parsed,
        "request_text": raw.decode("utf-8", errors="replace") if raw is not None else None,
        "media_type": (request.headers.get("Content-Type") or "").split(";")[0].strip() or None,
    }


def exchange_from(slug: str, reply: Reply, mode: str | None = None, conventions: Any = None) -> Exchange:
    extra: dict[str, Any] = {"sent_at": time.time() - (reply.elapsed or 0.0)}
    if reply.error:
        extra["error"] = reply.error
    return Exchange(
        api=slug,
        **request_fields(reply.request),
        status=reply.status,
        response_headers={name: ", ".join(values) for name, values in reply.headers.items()},
        response_text=reply.text,
        mode=mode,
        elapsed_s=reply.elapsed,
        extra=extra,
        conventions=conventions,
    )


def schemathesis_response(reply: Reply) -> Any:
    """The reply as a ``schemathesis.Response`` for its built-in checks."""
    from schemathesis.core.transport import Response

    return Response(status_code=reply.status, headers=reply.headers, content=reply.content,
                    request=reply.request, elapsed=reply.elapsed, verify=True)


def json_dumps(body: Any) -> bytes:
    return json.dumps(body).encode("utf-8")
