"""The run options, declared once: ``orderproof certify`` (argparse) and the pytest plugin add the
same options from :data:`OPTIONS` (names, defaults, help), and both turn what the user gave into one
:class:`RunOptions` through :meth:`RunOptions.from_namespace`, which validates everything that can be
known before a target is contacted (each mistake one :class:`UsageError` sentence).

Same semantics everywhere: ``--rate-limit 0`` is "no limit" for both; an unset ``--rate-limit`` is
gentle (20 requests per second) for a real service and unlimited for the embedded reference.
"""

from __future__ import annotations

import argparse
import shlex
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orderproof.core.errors import UsageError
from orderproof.core.profiles import DEFAULT_PROFILE, PROFILES
from orderproof.core.shard import Shard, parse_shard

__all__ = ["OPTIONS", "REMOTE_RATE_LIMIT", "Option", "RunOptions", "add_options", "parse_pins"]

REMOTE_RATE_LIMIT = 20.0     # requests per second: a real service is often a shared staging environment
DEFAULT_REPORT_DIR = Path("reports")
DEFAULT_REQUEST_TIMEOUT = 10.0


@dataclass(frozen=True)
class Option:
    """One command-line option as both argparse and pytest take it."""

    flag: str                      # "--target-url"
    help: str
    metavar: str | None = None
    type: Callable[[str], Any] | None = None
    action: str | None = None      # "store_true" | "append"
    default: Any = None
    choices: tuple[str, ...] | None = None
    certify_only: bool = False     # pytest has its own (--junitxml, --alluredir)
    pytest_only: bool = False      # certify's exit code already says it
    group: str = "run"             # "target" | "run"

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")

    def kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"help": self.help, "dest": self.dest}
        if self.action == "store_true":
            kwargs.update(action="store_true", default=False)
            return kwargs
        if self.action == "append":
            kwargs.update(action="append", default=[])
        else:
            kwargs["default"] = self.default
        if self.metavar:
            kwargs["metavar"] = self.metavar
        if self.type is not None:
            kwargs["type"] = self.type
        if self.choices is not None:
            kwargs["choices"] = self.choices
        return kwargs


OPTIONS: tuple[Option, ...] = (
    Option("--target-url", "base URL of the service under test", "URL", group="target"),
    Option("--target-config", "target file (YAML): base URL, per-API paths and auth, provider-state hook, fixtures",
           "FILE", type=Path, group="target"),
    Option("--serve", "serve the embedded reference on a loopback port and test it over HTTP", action="store_true",
           group="target"),
    Option("--api", "only this API (repeatable; default: every API the target implements; `orderproof rules` "
           "lists them)", "API", action="append"),
    Option("--profile", f"how hard to try (default: {DEFAULT_PROFILE})", default=DEFAULT_PROFILE,
           choices=tuple(PROFILES)),
    Option("--seed", "run seed, to repeat a run exactly (default: random, recorded)", "N", type=int),
    Option("--fault", "switch on one named bug of the embedded reference, to see a failing run "
           "(`orderproof faults` lists them)", "NAME"),
    Option("--variation", "switch on one named correct variation of the embedded reference, to see that a service "
           "deciding an open point another way passes (`orderproof faults --variations`)", "NAME"),
    Option("--convention", "pin the option the service follows for a choice the seed leaves open (repeatable; a "
           "target file's `conventions:` does the same; `orderproof rules --conventions` lists them)",
           "NAME=OPTION", action="append"),
    Option("--max-requests", "hard cap on requests sent to the target", "N", type=int),
    Option("--rate-limit", f"at most this many requests per second; 0: no limit (default: {REMOTE_RATE_LIMIT:g} for "
           "--target-url/--target-config, none for the embedded reference; 429 + Retry-After always backs off)",
           "PER_SECOND", type=float),
    Option("--request-timeout", f"timeout of each request in seconds (default: {DEFAULT_REQUEST_TIMEOUT:g})",
           "SECONDS", type=float, default=DEFAULT_REQUEST_TIMEOUT),
    Option("--no-cache", "draw every generated case again: neither read nor write the cache of generated cases "
           "(by default a rerun with the same --seed, profile and spec reads them from the user's cache directory)",
           action="store_true"),
    Option("--report-dir", "where the reports go (default: reports/)", "DIR", type=Path,
           default=DEFAULT_REPORT_DIR, certify_only=True),
    Option("--jobs", "processes to certify in: the run's APIs are shared among them and the reports joined, with "
           "the verdicts of one process (default: one per core for the embedded reference, 1 for a URL target; "
           "--rate-limit is shared among them)", "N", type=int, certify_only=True),
    Option("--shard", "run share I of N of the run's APIs (balanced by measured cost; needs --seed, the same in "
           "every shard); `orderproof merge-reports` joins the shards' reports into one certificate", "I/N",
           certify_only=True),
    Option("--allow-not-verified", "let the session pass when a MUST rule could not be verified (by default it "
           "fails, as certify's NOT CERTIFIED does; the rule's item is skipped with the reason)", action="store_true",
           pytest_only=True),
)


def add_options(add: Callable[..., Any], *, pytest: bool = False,
                group: Callable[[str], Callable[..., Any]] | None = None, only: Iterable[str] | None = None) -> None:
    """Declare every option through ``add(flag, **kwargs)`` (``ArgumentParser.add_argument`` or a
    pytest group's ``addoption``). ``group(name)`` may give another ``add`` for the target group;
    ``only`` keeps these flags."""
    kept = set(only) if only is not None else None
    for option in OPTIONS:
        if (pytest and option.certify_only) or (not pytest and option.pytest_only):
            continue
        if kept is not None and option.flag not in kept:
            continue
        adder = group(option.group) if group is not None else add
        adder(option.flag, **option.kwargs())


def parse_pins(values: Iterable[str]) -> dict[str, str]:
    """``--convention NAME=OPTION`` values as a mapping (a usage error names a malformed one)."""
    pins: dict[str, str] = {}
    for value in values:
        name, sep, option = value.partition("=")
        if not sep or not name.strip() or not option.strip():
            raise UsageError(f"--convention {value!r} is not NAME=OPTION (`orderproof rules --conventions` lists "
                             "the names and their options)")
        pins[name.strip()] = option.strip()
    return pins


@dataclass(frozen=True)
class RunOptions:
    """Everything a run is asked to do, whole (the engine takes this object, not its fields)."""

    target_url: str | None = None
    target_config: Path | None = None
    serve: bool = False                 # embedded reference on a loopback port (uvicorn)
    apis: tuple[str, ...] = ()          # empty: every API the target implements
    profile: str = DEFAULT_PROFILE      # quick | standard | thorough
    seed: int | None = None             # None: a random seed, recorded in the result
    fault: str | None = None            # embedded reference only
    variation: str | None = None        # embedded reference only: a named correct variation
    conventions: Mapping[str, str] = field(default_factory=dict)   # pinned conventions (--convention)
    report_dir: Path = DEFAULT_REPORT_DIR
    max_requests: int | None = None     # hard cap on requests sent to the target
    rate_limit: float | None = None     # requests per second; None: the default; 0: no limit
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    no_cache: bool = False              # neither read nor write the cache of generated cases
    jobs: int | None = None             # processes (certify); None: one per core for the embedded reference
    shard: Shard | None = None          # this run is share I of N (certify --shard I/N)
    # how the shares are dealt: the seconds of each API (certify --jobs hands its shares the costs it
    # dealt by, which count the cases already cached); None: the adapters' measured first-run costs
    share_costs: Mapping[str, float] | None = field(default=None, compare=False, repr=False)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    on_event: Callable[[str, dict], None] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def from_command(cls, command: str, **extra: Any) -> RunOptions:
        """The options of an ``orderproof certify ...`` command line (as a certificate records it)."""
        parser = argparse.ArgumentParser(prog="orderproof certify", add_help=False)
        add_options(parser.add_argument)
        words = shlex.split(command)
        words = words[2:] if words[:2] == ["orderproof", "certify"] else words
        namespace, _unknown = parser.parse_known_args(words)
        return cls.from_namespace(namespace, **extra)

    @classmethod
    def from_namespace(cls, namespace: Any, **extra: Any) -> RunOptions:
        """The options of a parsed command line (argparse namespace or ``pytest.Config.option``)."""
        values: dict[str, Any] = {}
        for option in OPTIONS:
            if hasattr(namespace, option.dest) and not option.pytest_only:
                values[option.dest] = getattr(namespace, option.dest)
        values["apis"] = tuple(dict.fromkeys(values.pop("api", None) or ()))
        values["conventions"] = parse_pins(values.pop("convention", None) or ())
        if values.get("target_config") is not None:
            values["target_config"] = Path(values["target_config"])
        if isinstance(values.get("shard"), str):
            values["shard"] = parse_shard(values["shard"])
        if values.get("report_dir") is None:
            values.pop("report_dir", None)
        values = {key: value for key, value in values.items() if value is not None or key in ("seed",)}
        return cls(**{**values, **extra})

    # --- validation: everything knowable before the target is contacted ----------------------------
    def validate(self) -> None:
        given = [name for name, on in (("--target-url", self.target_url), ("--target-config", self.target_config),
                                       ("--serve", self.serve)) if on]
        if len(given) > 1:
            raise UsageError(f"{' and '.join(given)} name different targets; give at most one "
                             "(none tests the embedded reference)")
        for name, value in (("--fault", self.fault), ("--variation", self.variation)):
            if value is not None and self.external:
                raise UsageError(f"{name} applies to the embedded reference only (drop {given[0]})")
        if self.profile not in PROFILES:
            raise UsageError(f"unknown profile {self.profile!r}; choose one of: {', '.join(PROFILES)}")
        if self.max_requests is not None and self.max_requests < 1:
            raise UsageError(f"--max-requests must be at least 1, not {self.max_requests}")
        if self.rate_limit is not None and not self.rate_limit >= 0:
            raise UsageError(f"--rate-limit must be a number of requests per second (0: no limit), not {self.rate_limit}")
        if not self.request_timeout > 0:
            raise UsageError(f"--request-timeout must be a positive number of seconds, not {self.request_timeout}")
        if self.target_config is not None and not Path(self.target_config).is_file():
            raise UsageError(f"target file {self.target_config} not found")
        if self.jobs is not None and self.jobs < 1:
            raise UsageError(f"--jobs must be at least 1, not {self.jobs}")
        if self.jobs is not None and self.jobs > 1 and self.max_requests is not None:
            raise UsageError("--max-requests is one budget for the whole run: give --jobs 1 with it")
        if self.shard is not None and self.seed is None:
            raise UsageError(f"--shard {self.shard} needs --seed: every shard of one run must draw from the same seed "
                             "(in CI, e.g. --seed $GITHUB_RUN_ID)")
        if Path(self.report_dir).exists() and not Path(self.report_dir).is_dir():
            raise UsageError(f"--report-dir {self.report_dir} is a file, not a directory")

    # --- derived ----------------------------------------------------------------------------------
    @property
    def external(self) -> bool:
        """A real service (a URL or a target file), not the embedded reference."""
        return self.target_url is not None or self.target_config is not None

    @property
    def requests_per_second(self) -> float | None:
        """The rate the transport keeps: the option, else gentle for a real service, else none."""
        if self.rate_limit is not None:
            return self.rate_limit or None
        return REMOTE_RATE_LIMIT if self.external else None

    def command_words(self, *, report_dir: bool = False) -> list[str]:
        """``orderproof certify ...`` naming the same target with every setting that changes the
        traffic (replay lines add ``--api`` and ``--seed``)."""
        words = ["orderproof", "certify"]
        if self.target_config is not None:
            words += ["--target-config", str(self.target_config)]
        elif self.target_url is not None:
            words += ["--target-url", self.target_url]
        elif self.serve:
            words.append("--serve")
        if self.fault:
            words += ["--fault", self.fault]
        if self.variation:
            words += ["--variation", self.variation]
        for name, option in sorted(self.conventions.items()):
            words += ["--convention", f"{name}={option}"]
        if self.profile != DEFAULT_PROFILE:
            words += ["--profile", self.profile]
        if self.rate_limit is not None:                 # every option that changes the traffic
            words += ["--rate-limit", f"{self.rate_limit:g}"]
        if self.max_requests is not None:
            words += ["--max-requests", str(self.max_requests)]
        if self.request_timeout != DEFAULT_REQUEST_TIMEOUT:
            words += ["--request-timeout", f"{self.request_timeout:g}"]
        if report_dir and Path(self.report_dir) != DEFAULT_REPORT_DIR:
            words += ["--report-dir", str(self.report_dir)]
        return words

    def command(self, *, report_dir: bool = False) -> str:
        return shlex.join(self.command_words(report_dir=report_dir))
