"""One run's shared state: :class:`RunContext` (target, transport, provider states, catalogue,
profile, seeds, conventions, secrets, and what the rules observed so far) and :func:`build_context`,
which makes one from a :class:`~orderproof.core.options.RunOptions`.
"""

from __future__ import annotations

import random
import shlex
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from orderproof import registry
from orderproof.catalogue import Catalogue, Rule, load_catalogue
from orderproof.checks.base import FLOW_CHECKS, RESPONSE_CHECKS, Exchange, RuleFailure
from orderproof.checks.conventions import ConventionBook, validate_pins
from orderproof.core import masking
from orderproof.core.options import RunOptions
from orderproof.core.profiles import Profile, get_profile
from orderproof.core.shard import share
from orderproof.engine.generic import GENERIC
from orderproof.engine.provider_states import ProviderStates
from orderproof.engine.target import Target, resolve_target
from orderproof.engine.transport import Transport

__all__ = ["Observation", "RunContext", "Traffic", "build_context", "derive_seed", "rule_kind"]


def rule_kind(rule: Rule) -> str:
    """``generic`` (the engine's own checks), ``response``, ``flow``, or ``missing`` (no such check)."""
    if rule.check in GENERIC:
        return "generic"
    if rule.check in RESPONSE_CHECKS:
        return "response"
    if rule.check in FLOW_CHECKS:
        return "flow"
    return "missing"


def derive_seed(run_seed: int, name: str) -> int:
    return (run_seed + zlib.crc32(name.encode())) % (2**32)


@dataclass
class Observation:
    """A failure with the exchange that showed it."""

    failure: RuleFailure
    exchange: Exchange | None
    flow_rule: str | None = None      # the flow rule whose scenario sent the exchange
    steps: tuple[str, ...] = ()       # a failing scenario's requests, in order
    trace: dict[str, Any] | None = None   # what replays it: its draws (and the case it started from)


@dataclass
class Traffic:
    """What the shared pass of one API saw, per rule id."""

    cases: dict[str, int] = field(default_factory=dict)
    applicable: dict[str, int] = field(default_factory=dict)
    failures: dict[str, Observation] = field(default_factory=dict)
    modes: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    samples: dict[str, Any] = field(default_factory=dict)    # the first exchange each rule applied to
    budget_exhausted: bool = False
    duration_s: float = 0.0


class RunContext:
    """Everything one run shares: the target, the transport, provider states, seeds, observations."""

    def __init__(self, *, options: RunOptions, target: Target, catalogue: Catalogue, seed: int,
                 conventions: dict[str, str] | None = None, run_apis: tuple[str, ...] | None = None):
        self.options = options
        self.target = target
        self.catalogue = catalogue
        self.run_apis = run_apis or tuple(catalogue.apis)      # a shard runs a share of them (catalogue.apis)
        self.profile: Profile = get_profile(options.profile)
        self.seed = seed
        self.run_id = options.run_id
        self.conventions = ConventionBook(catalogue.conventions, conventions)
        self.transport = Transport(target, run_id=self.run_id, max_requests=options.max_requests,
                                   rate_limit=options.requests_per_second, request_timeout=options.request_timeout)
        self.states = ProviderStates(self.transport, target.provider_states_url, target.fixtures)
        self.secrets = masking.registry()
        for value in target.secrets():
            self.secrets.add(value)
        self.on_notice: Callable[[str, str], None] | None = None   # (api, one line) for the terminal
        self.lock = threading.RLock()
        self.traffic: dict[str, Traffic] = {}                          # by API: its shared pass
        self.foreign: dict[str, Any] = {}                              # by API: its probe's verdict
        self.credentials: dict[str, str | None] = {}                   # by API: why the target refuses the suite's credentials (flows)
        self.flow_observations: dict[str, Observation] = {}            # response rule id -> a failure seen in a flow
        self.flow_applied: dict[str, tuple[int, Exchange]] = {}        # response rule id -> (exchanges of flows it applied to, the first)
        self.selected: list[Rule] | None = None       # the rules the session runs (None: all); their pools are drawn first
        self.primed = False                           # the selected rules' pools are made (engine.pools)

    def close(self) -> None:
        self.transport.close()
        self.target.close()

    # seeds -------------------------------------------------------------------------------------
    def derive(self, name: str) -> int:
        return derive_seed(self.seed, name)

    def scene_seed(self, name: str) -> int:
        """Seed of the identities a scene draws (ids, idempotency keys, ticket ids). It mixes in the
        run id, so a replay with the same --seed against the same service sends the same data under
        fresh identities: a repeated key or ticket id would be a repeat, not a new request."""
        return derive_seed(self.seed, f"{name}/scene/{self.run_id}")

    @property
    def flow_pool_size(self) -> int:
        """Generated positive bodies flows draw from (then filled in with fresh fixtures)."""
        return max(4, 2 * self.profile.flow_examples)

    def pool_seed(self, slug: str) -> int:
        return derive_seed(self.seed, slug + "/flow-pool")

    # rules -------------------------------------------------------------------------------------
    def rules_of(self, slug: str) -> list[Rule]:
        return [rule for rule in self.catalogue.rules if rule.api == slug]

    def response_rules(self, slug: str) -> list[Rule]:
        return [rule for rule in self.rules_of(slug) if rule_kind(rule) in ("generic", "response")]

    def ordered_rules(self) -> list[Rule]:
        """Flow rules of an API before its response rules (so that what flows observe counts)."""
        ordered = []
        for slug in self.catalogue.apis:
            rules = self.rules_of(slug)
            ordered += [rule for rule in rules if rule_kind(rule) == "flow"]
            ordered += [rule for rule in rules if rule_kind(rule) != "flow"]
        return ordered

    def missing_needs(self, rule: Rule) -> str | None:
        """Why the target cannot offer what ``rule`` needs (None: it can)."""
        has_hook = self.states.has_hook
        if "snapshot" in rule.needs and not has_hook:
            return "the rule needs the player snapshot, and the target has no provider-state hook"
        if "provider-state" in rule.needs and not (has_hook or self.target.fixtures):
            return "the rule needs provider states, and the target has no provider-state hook and no fixtures"
        if "auth-material" in rule.needs and not has_hook:
            players = self.target.fixtures.get("a player exists") or []
            return registry.get(rule.api).missing_auth_material(self.target.apis[rule.api].auth, players)
        return None

    # evidence ----------------------------------------------------------------------------------
    def replay_command(self, slug: str | None = None) -> str:
        """The certify command that repeats this run for one API (``None``: for all of the run's)."""
        apis = [slug] if slug is not None else list(self.catalogue.apis)
        words = self.options.command_words() + [word for api in apis for word in ("--api", api)]
        return shlex.join(words + ["--seed", str(self.seed)])


def build_context(options: RunOptions) -> RunContext:
    """Resolve the target and load the catalogue; raises UsageError for any bad option."""
    target = resolve_target(options)
    try:
        run_apis = tuple(target.apis)
        apis = run_apis
        if options.shard is not None:             # a share of the run's APIs
            costs = options.share_costs or registry.certify_costs(run_apis, options.profile)
            apis = share(run_apis, options.shard, costs)
        catalogue = load_catalogue(apis)
        pins = dict(target.conventions)
        if target.conventions:
            validate_pins(target.conventions, catalogue.conventions, f"target file {options.target_config}")
        if options.conventions:
            validate_pins(options.conventions, catalogue.conventions, "--convention")
            pins.update(options.conventions)
    except BaseException:
        target.close()
        raise
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
    masking.reset_registry()
    return RunContext(options=options, target=target, catalogue=catalogue, seed=seed, conventions=pins,
                      run_apis=run_apis)
