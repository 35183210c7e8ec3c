"""The orderproof pytest plugin (``pytest11`` entry point).

Without orderproof options it changes nothing. With a target (``--target-url``,
``--target-config``, ``--serve``; ``--fault`` or ``--api`` alone mean the embedded reference in
process), pytest collects the
conformance items (``orderproof/conformance.py``) instead of the default test paths (in addition
to paths given on the command line): one item per (API, rule), ``test_rule[<slug>::<RULE-ID>]``.

    pytest --target-url https://staging.example.test --api bet-placement

A MUST rule that fails fails its item; a SHOULD rule that fails is an xfail (a warning); a rule
NOT VERIFIED is skipped with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orderproof.options import parse_pins
from orderproof.errors import UsageError
from orderproof.results import RuleResult, Verdict

CONFORMANCE_MODULE = Path(__file__).with_name("conformance.py")
CONTEXT_KEY = pytest.StashKey["Any"]()
RESULTS_KEY = pytest.StashKey[list]()
STARTED_KEY = pytest.StashKey[float]()
TOTAL_KEY = pytest.StashKey[int]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("orderproof", "orderproof conformance (against a service or the embedded reference)")
    group.addoption("--target-url", metavar="URL", help="base URL of the service under test")
    group.addoption("--target-config", metavar="FILE", help="target file (YAML): base_url, apis, auth, provider states, fixtures")
    group.addoption("--serve", action="store_true", default=False,
                    help="serve the embedded reference on 127.0.0.1 (a free port) and test it over HTTP")
    group.addoption("--api", action="append", default=[], metavar="SLUG",
                    help="only this API (repeatable); default: every API the target implements")
    group.addoption("--profile", default="standard", metavar="NAME", help="quick | standard | thorough (default: standard)")
    group.addoption("--orderproof-seed", type=int, default=None, metavar="N", help="run seed (default: random, printed)")
    group.addoption("--fault", metavar="NAME", help="switch on one named fault of the embedded reference")
    group.addoption("--variation", metavar="NAME", help="switch on one named correct variation of the embedded reference")
    group.addoption("--convention", action="append", default=[], metavar="NAME=OPTION",
                    help="pin the option the service follows for a choice the seed leaves open (repeatable)")
    group.addoption("--max-requests", type=int, default=None, metavar="N", help="hard cap on requests sent to the target")
    group.addoption("--rate-limit", type=float, default=None, metavar="PER_S", help="requests per second (429 backs off)")
    group.addoption("--request-timeout", type=float, default=10.0, metavar="S", help="per-request timeout (default 10 s)")


class ResultCollector:
    """Registered by :func:`orderproof.runner.run_conformance`: hands over its prepared run context,
    reports progress through ``on_event`` and gathers the verdicts."""

    def __init__(self, context: Any, on_event: Callable[[str, dict], None] | None = None):
        self.context = context
        self.on_event = on_event
        self.results: list[RuleResult] = []
        if on_event is not None:
            context.on_notice = lambda api, message: on_event("api-notice", {"api": api, "message": message})


def _collector(config: pytest.Config) -> ResultCollector | None:
    for plugin in config.pluginmanager.get_plugins():
        if isinstance(plugin, ResultCollector):
            return plugin
    return None


def _wanted(config: pytest.Config) -> bool:
    option = config.option
    return bool(getattr(option, "target_url", None) or getattr(option, "target_config", None)
                or getattr(option, "serve", False) or getattr(option, "fault", None)
                or getattr(option, "variation", None) or getattr(option, "api", None))


def pytest_configure(config: pytest.Config) -> None:
    collector = _collector(config)
    if collector is None and not _wanted(config):
        return
    config.addinivalue_line("markers", "orderproof: a conformance rule of one API")
    if collector is not None:
        context = collector.context
    else:
        from orderproof.runner import build_context

        option = config.option
        try:
            context = build_context(
                target_url=option.target_url, target_config=option.target_config, serve=option.serve,
                apis=option.api, profile=option.profile, seed=option.orderproof_seed, fault=option.fault,
                max_requests=option.max_requests, rate_limit=option.rate_limit,
                request_timeout=option.request_timeout, variation=option.variation,
                conventions=parse_pins(option.convention))
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
        config.add_cleanup(context.close)
    config.stash[CONTEXT_KEY] = context
    config.stash[RESULTS_KEY] = []
    config.stash[STARTED_KEY] = time.perf_counter()
    module = str(CONFORMANCE_MODULE)
    if config.args_source == pytest.Config.ArgsSource.ARGS and collector is None:
        config.args.append(module)
    else:
        config.args[:] = [module]


def pytest_collection_finish(session: pytest.Session) -> None:
    if context_of(session.config) is not None:
        session.config.stash[TOTAL_KEY] = sum(
            1 for item in session.items if "rule" in getattr(getattr(item, "callspec", None), "params", {}))


def context_of(config: pytest.Config) -> Any:
    return config.stash.get(CONTEXT_KEY, None)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    context = context_of(config)
    if context is None:
        return None
    return [f"orderproof: target {context.target.description}; APIs {', '.join(context.catalogue.apis)}; "
            f"profile {context.profile.name}; seed {context.seed}; run id {context.run_id}"]


def record(config: pytest.Config, result: RuleResult, index: int, total: int) -> None:
    config.stash[RESULTS_KEY].append(result)
    collector = _collector(config)
    if collector is not None:
        collector.results.append(result)
        if collector.on_event is not None:
            collector.on_event("rule-end", {**_event(result.api, result.rule_id, result.level, result.title, index, total),
                                            "verdict": result.verdict, "reason": result.reason,
                                            "duration_s": result.duration_s})


def rule_started(config: pytest.Config, rule: Any, index: int, total: int) -> None:
    collector = _collector(config)
    if collector is not None and collector.on_event is not None:
        collector.on_event("rule-start", _event(rule.api, rule.id, rule.level, rule.title, index, total))


def _event(api: str, rule_id: str, level: str, title: str, index: int, total: int) -> dict[str, Any]:
    return {"api": api, "rule_id": rule_id, "level": level, "title": title, "index": index, "total": total}


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    context = context_of(config)
    results: list[RuleResult] = config.stash.get(RESULTS_KEY, [])
    if context is None or not results or _collector(config) is not None:
        return
    write = terminalreporter.write_line
    terminalreporter.section("orderproof conformance")
    for result in results:
        reason = f"  {result.reason}" if result.verdict is not Verdict.PASS else ""
        write(f"{result.verdict.value:<13} {result.level:<6} {result.api + '::' + result.rule_id:<42} "
              f"{result.duration_s:6.2f}s {result.applicable:>4}/{result.cases:<4}{reason}"[:240])
    counts = {verdict: sum(1 for r in results if r.verdict is verdict) for verdict in Verdict}
    elapsed = time.perf_counter() - config.stash.get(STARTED_KEY, time.perf_counter())
    write(f"{counts[Verdict.PASS]} passed, {counts[Verdict.FAIL]} failed, {counts[Verdict.NOT_VERIFIED]} not verified "
          f"in {elapsed:.1f}s; {context.transport.sent} requests; seed {context.seed} "
          f"(replay: {context.replay_command('<api>')})")
