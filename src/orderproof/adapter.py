"""What an API tells the engine: the base class of every API adapter.

An API is one package: its spec (``openapi.yaml``), its contract (``contract.yaml``), its checks and
one adapter, an instance of a subclass of :class:`ApiAdapter` registered under the entry point group
``orderproof.apis`` (see :mod:`orderproof.registry`). The engine (generation, flows, runner) names no
API: everything it needs to know about one comes from here. The five built-in APIs register exactly
as an outside package does.

A subclass sets the class attributes and overrides what its API needs; the defaults describe an API
without credentials, without an idempotency identity and with nothing to add to a generated body.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from orderproof.checks.base import Exchange
from orderproof.checks.outcomes import Outcome

__all__ = ["ApiAdapter"]

Draw = Callable[..., Any]


class ApiAdapter:
    slug: str = ""                     # the API's name everywhere: --api, target files, reports
    prefix: str = ""                   # rule id prefix in its contract (XY in XY-TOTAL)
    title: str = ""                    # one line: what the operation is
    seed: str = ""                     # file name of the source document the API is transcribed from
    method: str = "POST"
    path: str = "/"                    # default path of the operation (a target file may override it)
    order: int = 100                   # position among the APIs (built-ins first)
    spec_file: str = "openapi.yaml"
    contract_file: str = "contract.yaml"
    seed_file: str | None = None       # the source document shipped with the package, when it is
    credential_headers: frozenset[str] = frozenset()   # lower-case names of headers a caller authenticates with
    # Whether the API's own seed states its credential scheme (header names, how a value is made).
    # Only then is a case whose one defect is missing or broken credentials "clearly invalid" for
    # <P>-NEGATIVE; otherwise the suite still sends them as it reads the API, but a service that
    # authenticates otherwise (or not at all) is not failed by a MUST for it.
    credentials_stated: bool = False
    # Whether the API's seed says how it answers a request it finds invalid (a 422, an error code of
    # its table). When it does not, any 4xx refuses a clearly invalid request for <P>-NEGATIVE (an
    # ASP.NET service's problem+json, a framework's own body); a 4xx claiming success is another rule's.
    invalid_answer_stated: bool = True
    # Whether the API's seed names the media type of its answers. When it does not, an answer whose
    # body is JSON is judged as JSON whatever Content-Type it carries (a Go service's text/plain):
    # <P>-SCHEMA validates the body, not the label.
    response_media_type_stated: bool = True
    # What the suite's valid requests take from the target's provider states that a service may
    # refuse them for (said with a rule NOT VERIFIED when no valid request was accepted; "": nothing).
    valid_request_hint: str = ""
    auth_keys: tuple[str, ...] = ()    # keys a target file may give under apis.<slug>.auth
    # The statuses that say "not with these credentials" (an API that takes credentials): a valid
    # request answered so makes the engine ask whether the target takes the suite's at all.
    auth_refusal_statuses: tuple[int, ...] = (401, 403)
    secret_auth_keys: tuple[str, ...] = ()             # of which secrets (masked in every report)
    edge_fields: tuple[tuple[Any, ...], ...] = ()      # money and id fields, as paths into a body
    # Request fields the seed itself says are integer cents ("Should be in integer format (cents)"):
    # the edge pass also sends each with a fraction of a cent, which a service must refuse or keep.
    cents_fields: tuple[tuple[Any, ...], ...] = ()
    snapshot_keys: tuple[str, ...] = ()                # the parts of "a player snapshot" this API fills
    # What a run of this API costs, measured on the 2-core build machine (benchmarks/costs.py):
    # seconds of `certify --api SLUG --profile P --jobs 1` in process with none of its cases cached,
    # less what a process takes to start (about 1.4 s; deals the APIs to shards and processes; {}: the
    # mean of the others), and milliseconds to draw one generated case by pool (positive, negative;
    # coverage: the sample). ``rerun_seconds``: the same with every pool read from the cache.
    certify_seconds: Mapping[str, float] = {}
    rerun_seconds: Mapping[str, float] = {}
    draw_ms: Mapping[str, float] = {}
    # How a request is signed, for a replay script to sign it again (None: not signed). Its
    # ``scheme`` must be one the script's fill.py knows; ``sign`` computes the same.
    script_signature: dict[str, str] | None = None
    signature_forms: tuple[str, ...] = ()    # the forms :meth:`sign` writes, the first the default

    # --- where the data files are ----------------------------------------------------------------
    @property
    def package(self) -> str:
        """The package holding the adapter, its spec and contract (the adapter's own module)."""
        return type(self).__module__

    def _resource(self, name: str) -> Path:
        return Path(str(importlib.resources.files(self.package).joinpath(name)))

    @property
    def spec_path(self) -> Path:
        return self._resource(self.spec_file)

    @property
    def contract_path(self) -> Path:
        return self._resource(self.contract_file)

    @property
    def seed_path(self) -> Path | None:
        return self._resource(self.seed_file) if self.seed_file else None

    @property
    def operation(self) -> str:
        """Schemathesis-style label, e.g. ``POST /bet``."""
        return f"{self.method} {self.path}"

    # --- generation ------------------------------------------------------------------------------
    def overlay(self, body: dict[str, Any], scene: Any, player: Mapping[str, Any], draw: Draw,
                fixtures: Mapping[str, Any]) -> dict[str, Any]:
        """``body`` (a generated valid body) made realistic for ``player``: real identities, fixture
        ids and prices, sane amounts. ``fixtures`` may name an ``event`` or a ``betcard`` to use."""
        return body

    def auth_headers(self, body: bytes | None, scene: Any, player: Mapping[str, Any] | None,
                     auth: str = "valid") -> dict[str, str]:
        """Credentials for one request: ``valid``, ``bad`` (a wrong value) or ``none``."""
        return {}

    def fresh_headers(self, scene: Any) -> dict[str, str]:
        """Headers every generated request gets anew (e.g. an idempotency key no other request used)."""
        return {}

    def repeat_identity(self, headers: Mapping[str, str], body: Any) -> str | None:
        """What makes two requests "the same" for the API's idempotency (a key, a ticket id)."""
        return None

    def sign(self, secret: str, timestamp: str, body: bytes, form: str = "lower-case hex") -> str:
        """The signature ``script_signature`` describes (only for an API that signs its requests)."""
        raise NotImplementedError(f"the {self.slug} adapter does not sign requests")

    def annotate(self, exchange: Exchange, scene: Any, player: Mapping[str, Any] | None) -> None:
        """Add what the suite knows beside the exchange to ``exchange.extra`` (current odds, the
        operator's timezone, ...), for the checks."""

    def carry_forward(self, exchange: Exchange, player: dict[str, Any]) -> None:
        """What a client takes from an answer into the player's next requests (e.g. a refreshed
        session token), written into ``player``; called for every answer that is not a repeat."""

    # --- reading answers -------------------------------------------------------------------------
    def outcome(self, exchange: Exchange) -> Outcome:
        """Accepted, refused in the API's own way (and under which convention), or neither."""
        raise NotImplementedError(f"the {self.slug} adapter does not say how to read its answers")

    # --- what a target must offer ----------------------------------------------------------------
    def own_refusal(self, exchange: Exchange) -> bool:
        """Whether the answer refuses a request in a situation the seed does not document (a missing
        idempotency key, a concurrent slip), so its status and code are the service's own: the API's
        own rules judge it, not <P>-SCHEMA's documented statuses and codes. None by default."""
        return False

    def documented_server_answer(self, exchange: Exchange) -> bool:
        """A 5xx the API's own document pairs with an answer a request may get, not a crash (e.g. a
        503 its error table pairs with a code of its own); none by default."""
        return False

    def refuses_credentials(self, status: int) -> bool:
        """An answer with ``status`` may say "not with these credentials" (an API that takes some)."""
        return bool(self.auth_keys) and status in self.auth_refusal_statuses

    def auth_problem(self, auth: Mapping[str, str]) -> str | None:
        """What is wrong with a target file's ``auth`` for this API (None: nothing)."""
        unknown = sorted(set(auth) - set(self.auth_keys))
        if unknown:
            allowed = ", ".join(self.auth_keys) or "none (this API takes no credentials)"
            return f"unknown key {', '.join(map(repr, unknown))}; allowed keys: {allowed}"
        return None

    def missing_auth_material(self, auth: Mapping[str, str], players: list[Mapping[str, Any]]) -> str | None:
        """Why a rule needing credentials cannot run without the provider-state hook (None: it can)."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.slug}>"
