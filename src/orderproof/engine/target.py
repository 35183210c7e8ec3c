"""The service under test: the embedded reference (in process or served on loopback), a URL, or a
target file (``--target-config``, validated by ``schemas/target.schema.json``).

Every mistake a user can make here (a bad file, an unknown API, an unreachable URL, ``--fault``
with a service that is not the embedded reference) is a :class:`~orderproof.core.errors.UsageError`
whose message says what is wrong and how to fix it.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import anyio
import jsonschema
import requests
import uvicorn
import yaml

from orderproof import reference, registry
from orderproof.core.errors import UsageError
from orderproof.core.options import RunOptions
from orderproof.core.paths import PROVIDER_STATES_PATH, SCHEMAS_DIR
from orderproof.core.version import __version__

__all__ = ["ApiTarget", "Target", "load_target_config", "resolve_target"]

EMBEDDED_BASE_URL = "http://testserver"
REACHABILITY_TIMEOUT = 3.0
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class ApiTarget:
    slug: str
    path: str                                  # path of the operation on this target
    auth: Mapping[str, str] = field(default_factory=dict)   # api_key | operator + secret


@dataclass
class Target:
    """Where requests go. ``app`` is set for the in-process reference (requests never leave the
    process); otherwise ``base_url`` is a real HTTP address."""

    kind: str                                  # "embedded" | "served" | "url"
    base_url: str
    apis: dict[str, ApiTarget]
    description: str
    app: Any = None
    provider_states_url: str | None = None     # None: no hook (fixtures or NOT VERIFIED)
    fixtures: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fault: str | None = None
    variation: str | None = None               # a named correct variation of the embedded reference
    conventions: dict[str, str] = field(default_factory=dict)   # pinned options (target file)
    signature_forms: dict[str, str] = field(default_factory=dict)   # by API: the form the service takes, once known
    _server: Any = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    @property
    def embedded(self) -> bool:
        return self.kind in ("embedded", "served")

    def url_for(self, slug: str) -> str:
        return self.base_url.rstrip("/") + self.apis[slug].path

    def secrets(self) -> set[str]:
        """Credential values given by the target file (masked in every report), the keys each API's
        adapter calls secret (an operator's name is an identity, not a secret)."""
        return {value for api in self.apis.values() for name, value in api.auth.items()
                if value and name in registry.get(api.slug).secret_auth_keys}

    def close(self) -> None:
        """Stop the loopback server of ``--serve``; end the in-process app's lifespan (its
        shutdown removes the reference's temporary database)."""
        if self.kind == "embedded" and self.app is not None:
            lifespan = getattr(getattr(self.app, "router", None), "lifespan_context", None)
            if lifespan is not None:
                async def run_lifespan() -> None:
                    async with lifespan(self.app):
                        pass

                anyio.run(run_lifespan)
            self.app = None
        if self._server is not None:
            self._server.should_exit = True
            if self._thread is not None:
                self._thread.join(timeout=10)
            self._server = self._thread = None


@cache
def _target_schema() -> dict[str, Any]:
    return json.loads((SCHEMAS_DIR / "target.schema.json").read_text(encoding="utf-8"))


def _expand_env(value: Any, where: str) -> Any:
    if isinstance(value, str):
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                raise UsageError(
                    f"{where}: environment variable {name} is not set; export it or write the value in the file"
                )
            return os.environ[name]

        return _ENV.sub(replace, value)
    if isinstance(value, list):
        return [_expand_env(item, where) for item in value]
    if isinstance(value, dict):
        return {key: _expand_env(item, where) for key, item in value.items()}
    return value


def load_target_config(path: str | Path) -> dict[str, Any]:
    """Read, expand (``${ENV}``) and validate a target file; the result follows the schema."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read target file {path}: {exc.strerror or exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise UsageError(f"target file {path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise UsageError(f"target file {path} must be a YAML mapping with base_url and apis")
    validator = jsonschema.Draft202012Validator(_target_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        location = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise UsageError(f"target file {path}: {location}: {_schema_message(error)}")
    _check_apis(data["apis"], f"target file {path}")
    return _expand_env(data, f"target file {path}")


def _check_apis(apis: Mapping[str, Any], where: str) -> None:
    """Every API named is registered, and its ``auth`` gives only the keys its adapter takes."""
    known = registry.adapters()
    for slug, entry in apis.items():
        if slug not in known:
            raise UsageError(f"{where}: apis/{slug}: unknown API {slug!r}; known APIs: {', '.join(known)}")
        auth = (entry or {}).get("auth") or {}
        problem = known[slug].auth_problem(auth)
        if problem:
            raise UsageError(f"{where}: apis/{slug}/auth: {problem}")


def _schema_message(error: jsonschema.ValidationError) -> str:
    if "propertyNames" in error.absolute_schema_path:
        return f"unknown API {error.instance!r}; known APIs: {', '.join(registry.slugs())}"
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        allowed = ", ".join(error.schema.get("properties", {}))
        return f"unknown key {', '.join(map(repr, extra))}; allowed keys: {allowed}"
    if error.validator == "required":
        return error.message.replace("'", "").replace("is a required property", "is required")
    return error.message


def _free_socket() -> socket.socket:
    # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say so; with the default
    # proto 0 every two-write response waits ~40 ms for a delayed ACK (Nagle).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def _check_reachable(url: str, timeout: float = REACHABILITY_TIMEOUT) -> None:
    """Any HTTP answer (even a 404) proves the service is there; no answer is a usage error."""
    try:
        requests.get(url, timeout=timeout, allow_redirects=False,
                     headers={"User-Agent": _user_agent()}).close()
    except requests.exceptions.SSLError:
        raise UsageError(f"target {url}: the TLS handshake failed; if the service speaks plain HTTP on this "
                         "port, use an http:// URL") from None
    except requests.exceptions.ChunkedEncodingError:
        raise UsageError(f"target {url} reset the connection while answering; check that the service is healthy") from None
    except requests.exceptions.ConnectionError as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else "cannot connect"
        raise UsageError(f"target {url} is not reachable ({reason}); check the URL and that the service is running") from None
    except requests.exceptions.Timeout:
        raise UsageError(f"target {url} did not answer within {timeout:g} s; check the URL and the network") from None
    except requests.exceptions.RequestException as exc:
        raise UsageError(f"target {url} is not usable: {exc.__class__.__name__}") from None


def _user_agent() -> str:
    return f"orderproof/{__version__}"


def _embedded_app(fault: str | None, variation: str | None = None) -> Any:
    try:
        extra = {"variation": variation} if variation is not None else {}
        return reference.create_app(fault=fault, provider_states=True, **extra)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _select(apis: Iterable[str], available: Iterable[str], where: str) -> tuple[str, ...]:
    available = tuple(available)
    known = registry.adapters()
    chosen = tuple(dict.fromkeys(apis)) or available
    for slug in chosen:
        if slug not in known:
            raise UsageError(f"unknown API {slug!r}; known APIs: {', '.join(known)}")
        if slug not in available:
            raise UsageError(f"{where} does not implement API {slug!r}; it lists: {', '.join(available)}")
    return tuple(slug for slug in known if slug in chosen)


def resolve_target(options: RunOptions, *, check_reachable: bool = True) -> Target:
    """Build the target from the user's options (CLI or pytest): see the module docstring."""
    fault, variation, target_config = options.fault, options.variation, options.target_config
    if fault is not None and fault not in reference.FAULTS:
        raise UsageError(f"unknown fault {fault!r}; known faults: {', '.join(sorted(reference.FAULTS))} "
                         "(`orderproof faults` describes them)")
    if variation is not None and variation not in reference.VARIATIONS:
        raise UsageError(f"unknown variation {variation!r}; known variations: {', '.join(sorted(reference.VARIATIONS))} "
                         "(`orderproof faults --variations` describes them)")

    if not options.external:
        chosen = _select(options.apis, reference.IMPLEMENTED, "the embedded reference")
        api_targets = {slug: ApiTarget(slug, registry.get(slug).path) for slug in chosen}
        app = _embedded_app(fault, variation)
        label = ("embedded reference" + (f" with fault {fault}" if fault else "")
                 + (f" with variation {variation}" if variation else ""))
        if not options.serve:
            return Target("embedded", EMBEDDED_BASE_URL, api_targets, f"{label} (in process)", app=app,
                          provider_states_url=EMBEDDED_BASE_URL + PROVIDER_STATES_PATH, fault=fault,
                          variation=variation)
        return _serve(app, api_targets, label, fault, variation)

    config: dict[str, Any] = {}
    where = "the target"
    if target_config is not None:
        config = load_target_config(target_config)
        where = f"target file {target_config}"
    base_url = (options.target_url or config.get("base_url", "")).rstrip("/")
    if not re.match(r"^https?://[^\s/]+", base_url or ""):
        raise UsageError(f"target URL {base_url!r} is not an http(s) URL, e.g. https://staging.example.test")
    listed = config.get("apis") or {slug: None for slug in registry.slugs()}
    chosen = _select(options.apis, listed, where)
    api_targets = {}
    for slug in chosen:
        entry = listed.get(slug) or {}
        api_targets[slug] = ApiTarget(slug, entry.get("path", registry.get(slug).path), dict(entry.get("auth", {})))
    hook = (config.get("provider_states") or {}).get("url")
    if check_reachable:
        _check_reachable(base_url)
    return Target("url", base_url, api_targets, base_url, provider_states_url=hook,
                  fixtures=dict(config.get("fixtures") or {}), conventions=dict(config.get("conventions") or {}))


def start_served(app: Any) -> tuple[Any, threading.Thread, str]:
    """Run an ASGI ``app`` under uvicorn on a free 127.0.0.1 port in a daemon thread; returns the
    server (set ``should_exit`` to stop it), its thread and its base URL."""
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="orderproof-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise UsageError(f"the embedded reference did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` on a loopback port for as long as the block runs; yields its base URL."""
    server, thread, base_url = start_served(app)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _serve(app: Any, api_targets: dict[str, ApiTarget], label: str, fault: str | None,
           variation: str | None = None) -> Target:
    server, thread, base_url = start_served(app)
    return Target("served", base_url, api_targets, f"{label} (served on {base_url})",
                  provider_states_url=base_url + PROVIDER_STATES_PATH, fault=fault, variation=variation,
                  _server=server, _thread=thread)
