"""The conformance run inside pytest: loaded by the orderproof plugin (:mod:`.plugin`) only when a
run is asked for. It builds the run context from the options (or takes the one
:func:`orderproof.session.run.run_conformance` hands over through a :class:`ResultCollector`), makes
pytest collect the conformance items (:mod:`.conformance`), reports progress and the verdicts.

A MUST rule that fails fails its item; a SHOULD rule that fails is an xfail (a warning); a rule
NOT VERIFIED is skipped with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orderproof.core.errors import UsageError
from orderproof.core.options import RunOptions
from orderproof.core.results import RuleResult, Verdict
from orderproof.engine.context import RunContext, build_context
from orderproof.report import labels

CONFORMANCE_MODULE = Path(__file__).with_name("conformance.py")
CONTEXT_KEY = pytest.StashKey[RunContext]()
RESULTS_KEY = pytest.StashKey[list]()
STARTED_KEY = pytest.StashKey[float]()
TOTAL_KEY = pytest.StashKey[int]()


class ResultCollector:
    """Registered by :func:`orderproof.session.run.run_conformance`: hands over its prepared run
    context, reports progress through ``on_event`` and gathers the verdicts."""

    orderproof_collector = True          # how the light plugin knows a run is asked for

    def __init__(self, context: RunContext, on_event: Callable[[str, dict], None] | None = None):
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


def refuse_distribution(config: pytest.Config) -> None:
    """A conformance run does not run under pytest-xdist (``-n``, ``--dist``, ``--tx``): an API's
    rules judge one shared stream of traffic (what its flows observe counts for its response rules),
    the session's gate and summary need every verdict in one process, and the rate limit is one
    process's. Spread over workers, rules ended NOT VERIFIED that pass in one process, and a MUST rule
    NOT VERIFIED no longer failed the session. ``orderproof certify --jobs N`` shares a run by API."""
    option = config.option
    if getattr(option, "collectonly", False) or getattr(option, "dist", "no") == "no" or not getattr(option, "tx", None):
        return
    raise pytest.UsageError("the orderproof conformance run does not run under pytest-xdist (-n, --dist, --tx): the "
                            "rules of an API judge one shared stream of traffic and the session's gate needs every "
                            "verdict in one process; run it without -n, or use orderproof certify --jobs N")


def pytest_configure(config: pytest.Config) -> None:
    collector = _collector(config)
    config.addinivalue_line("markers", "orderproof: a conformance rule of one API")
    if collector is not None:
        context = collector.context
    else:
        refuse_distribution(config)
        try:
            context = build_context(RunOptions.from_namespace(config.option))
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
    context = context_of(session.config)
    if context is not None:
        names = [item.callspec.params["rule"] for item in session.items
                 if "rule" in getattr(getattr(item, "callspec", None), "params", {})]
        session.config.stash[TOTAL_KEY] = len(names)
        # the cases are drawn for the rules this session runs (-k selects some), not for all
        context.selected = [context.catalogue.rule(name.split("::", 1)[1]) for name in names]


def context_of(config: pytest.Config) -> RunContext | None:
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
          f"(replay: {context.replay_command()})")
    unverified = must_not_verified(results)
    if unverified and not config.option.allow_not_verified:
        write(f"{len(unverified)} MUST rule(s) NOT VERIFIED ({', '.join(unverified)}): the run does not certify "
              "the service, as with `orderproof certify`; --allow-not-verified accepts it")


def must_not_verified(results: list[RuleResult]) -> list[str]:
    return [r.rule_id for r in results if r.level == "MUST" and r.verdict is Verdict.NOT_VERIFIED]


@pytest.hookimpl(trylast=True)          # after pytest and allure-pytest have written their files
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """The reports name each item by API and rule (:mod:`orderproof.report.labels`); and the same
    gate as certify: a MUST rule that could not be verified fails the session (its item stays a
    skip with the reason), unless ``--allow-not-verified``."""
    config = session.config
    context = context_of(config)
    results = config.stash.get(RESULTS_KEY, [])
    if context is not None and results:
        if getattr(config.option, "xmlpath", None):
            labels.label_junit(Path(config.option.xmlpath), results)
        if getattr(config.option, "allure_report_dir", None):
            labels.label_allure(Path(config.option.allure_report_dir), results,
                                {rule.id: rule.source for rule in context.catalogue.rules})
    if _collector(config) is not None or context is None or config.option.allow_not_verified:
        return
    if must_not_verified(results) and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
