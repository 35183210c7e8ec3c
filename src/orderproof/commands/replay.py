"""``orderproof replay DIR RULE``: one failure of a certify run, replayed from its report alone.

The recorded scenario (``DIR/replay/RULE.json``) runs once more against the service (by default
the one certified; or the target options given), with fresh identities, and prints the verdict.
With ``--answers WORK`` nothing is sent: the answers a replay script (``DIR/replay/RULE.sh``) got are
judged instead. Exit codes: 1 the failure happened again, 0 it did not, 2 a usage error, 3 the
scenario could not be replayed (the reason is printed; among them a run recorded by another version
of orderproof).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from pathlib import Path
from typing import Any

from orderproof.catalogue import load_catalogue
from orderproof.core import masking
from orderproof.core.errors import UsageError
from orderproof.core.options import RunOptions, add_options
from orderproof.core.profiles import seed_alone
from orderproof.core.results import Verdict
from orderproof.core.version import __version__
from orderproof.engine.context import RunContext, build_context
from orderproof.engine.provider_states import ProviderStates
from orderproof.engine.replay import AnswersTransport, Replay, load_steps, replay
from orderproof.engine.target import resolve_target
from orderproof.report.certificate import CERTIFICATE_JSON
from orderproof.report.replays import REPLAY_DIR

NAME = "replay"
HELP = "Replay one failure of a certify run from its report: against the service, or judging a replay script's answers."
TARGET_FLAGS = ("--target-url", "--target-config", "--serve", "--fault", "--variation", "--rate-limit",
                "--request-timeout")
NOT_REPLAYED = 3


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report_dir", type=Path, metavar="DIR", help="the report directory of the certify run")
    parser.add_argument("rule", metavar="RULE", help="the rule id of a failure in it, e.g. the one a script names")
    parser.add_argument("--answers", type=Path, metavar="WORK",
                        help="judge the answers a replay script saved in WORK instead of sending anything")
    parser.add_argument("--salt", type=int, metavar="N",
                        help="seed of the replay's fresh identities (a script passes its own; default: random)")
    target = parser.add_argument_group("target (default: the one the certificate names)")
    add_options(target.add_argument, only=TARGET_FLAGS)


def _load(report_dir: Path, rule_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        cert = json.loads((report_dir / CERTIFICATE_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise UsageError(f"{report_dir} holds no readable {CERTIFICATE_JSON}; give the report directory of a certify run") from None
    path = report_dir / REPLAY_DIR / f"{rule_id}.json"
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        failed = sorted(r["rule_id"] for r in cert.get("rules", []) if r.get("verdict") == "FAIL")
        raise UsageError(f"no replay of {rule_id} in {report_dir}/{REPLAY_DIR}; the run's failures: "
                         f"{', '.join(failed) or 'none'}") from None
    return cert, recorded


def _options(args: argparse.Namespace, cert: dict[str, Any], api: str) -> RunOptions:
    certified = RunOptions.from_command(cert.get("replay", "orderproof certify"))   # the certified target
    given = {option: getattr(args, option) for option in ("target_url", "target_config", "serve", "fault", "variation")
             if getattr(args, option, None)}
    target: dict[str, Any] = given or {name: getattr(certified, name) for name in
                                       ("target_url", "target_config", "serve", "fault", "variation")}
    return RunOptions(**target, apis=(api,), profile=certified.profile, conventions=dict(certified.conventions),
                      seed=int(cert.get("seed", 0)), rate_limit=args.rate_limit,
                      request_timeout=args.request_timeout or certified.request_timeout)


def _offline_context(options: RunOptions, steps_dir: Path, answers: Path, seed: int) -> RunContext:
    if not answers.is_dir():
        raise UsageError(f"--answers {answers} is not a directory of a replay script's answers")
    target = resolve_target(options, check_reachable=False)
    pins = {**target.conventions, **(options.conventions or {})}      # as the run was judged (build_context)
    context = RunContext(options=options, target=target, catalogue=load_catalogue(options.apis), seed=seed,
                         conventions=pins)
    context.transport = AnswersTransport(target, load_steps(steps_dir), answers, run_id=context.run_id)
    context.states = ProviderStates(context.transport, target.provider_states_url, target.fixtures)
    return context


def run(args: argparse.Namespace) -> int:
    cert, recorded = _load(args.report_dir, args.rule)
    other_version = _other_version(cert)
    if other_version is not None:
        rule = load_catalogue((recorded["api"],)).rule(args.rule)
        result = Replay(Verdict.NOT_VERIFIED, other_version)
    else:
        rule, result = _replayed(args, cert, recorded)
    print(masking.mask_text(_describe(rule, result, args.answers is not None)))
    return {Verdict.FAIL: 1, Verdict.PASS: 0}.get(result.verdict, NOT_REPLAYED)


def _other_version(cert: dict[str, Any]) -> str | None:
    """Why a run recorded by another version of orderproof is not replayed, or None for this one's:
    the scenario asks the same draws in the same order as when it was recorded, another version may
    ask others, and a scenario that goes another way reads as "no longer fails"."""
    recorded_by = (cert.get("suite") or {}).get("version")
    if recorded_by == __version__:
        return None
    if not recorded_by:
        return f"the certificate does not say which version of orderproof recorded the run (this is {__version__})"
    return (f"the run was recorded by orderproof {recorded_by}, this is {__version__}: replay it with the version "
            f"that recorded it (pip install orderproof=={recorded_by}), or certify again")


def _replayed(args: argparse.Namespace, cert: dict[str, Any], recorded: dict[str, Any]) -> tuple[Any, Replay]:
    options = _options(args, cert, recorded["api"])
    if args.answers is not None:
        context = _offline_context(options, args.report_dir / REPLAY_DIR / args.rule, args.answers, options.seed or 0)
    else:
        context = build_context(dataclasses.replace(options, rate_limit=options.rate_limit))
    try:
        rule = context.catalogue.rule(args.rule)
        salt = args.salt if args.salt is not None else random.SystemRandom().randrange(2**31)
        with seed_alone():
            return rule, replay(context, rule, recorded["trace"], salt)
    finally:
        context.close()


def _describe(rule: Any, result: Replay, judged: bool) -> str:
    head = f"{rule.id} ({rule.level}) {rule.title}"
    if result.verdict is Verdict.FAIL:
        details = result.failure.details() if result.failure is not None else result.reason
        return f"FAIL again: {head}\n  {details.replace(chr(10), chr(10) + '  ')}"
    if result.verdict is Verdict.PASS:
        return f"no longer fails: {head}\n  {result.reason}"
    where = "judging the script's answers" if judged else "replaying it"
    print(f"orderproof replay: {where} was not possible: {result.reason}", file=sys.stderr)
    return f"NOT REPLAYED: {head}\n  {result.reason}"
