"""``orderproof certify``: run every rule against a service and write the certificate.

Exit codes: 0 certified (every MUST rule passed; SHOULD failures are shown as warnings),
1 not certified (a MUST rule failed or could not be verified), 2 a usage error, a bad target file
or an unreachable target (one sentence on stderr), 3 an internal error in orderproof (one line;
``ORDERPROOF_DEBUG=1`` prints the traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import shlex
import shutil
import sys
import traceback
from pathlib import Path
from typing import Any, TextIO

from orderproof import certificate, masking
from orderproof.apis import APIS
from orderproof.options import parse_pins
from orderproof.errors import UsageError
from orderproof.profiles import DEFAULT_PROFILE, PROFILES
from orderproof.progress import Progress
from orderproof.results import Verdict

NAME = "certify"
HELP = ("Certify a service against the contracts and write junit.xml, allure-results/ and the "
        "certificate (default target: the embedded reference).")
INTERNAL_ERROR = 3
REMOTE_RATE_LIMIT = 20.0     # requests per second: a real service is often a shared staging environment


def add_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("target (at most one; none: the embedded reference, in process)")
    target.add_argument("--target-url", metavar="URL", help="base URL of the service to certify")
    target.add_argument("--target-config", metavar="FILE", type=Path,
                        help="target file (YAML): base URL, per-API paths and auth, provider-state hook, fixtures")
    target.add_argument("--serve", action="store_true",
                        help="serve the embedded reference on a loopback port and certify it over HTTP")
    parser.add_argument("--api", action="append", default=[], metavar="API",
                        help=f"certify this API only (repeatable; default: all the target implements): {', '.join(APIS)}")
    parser.add_argument("--profile", choices=tuple(PROFILES), default=DEFAULT_PROFILE,
                        help=f"how hard to try (default: {DEFAULT_PROFILE})")
    parser.add_argument("--seed", type=int, help="run seed, to repeat a run exactly (default: random, recorded)")
    parser.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR",
                        help="where the reports go (default: reports/)")
    parser.add_argument("--fault", metavar="NAME",
                        help="switch on one named bug in the embedded reference, to see a failing certificate "
                             "(`orderproof faults` lists them)")
    parser.add_argument("--variation", metavar="NAME",
                        help="switch on one named correct variation of the embedded reference, to see that a service "
                             "deciding an open point another way is certified (`orderproof faults --variations`)")
    parser.add_argument("--convention", action="append", default=[], metavar="NAME=OPTION",
                        help="pin the option this service follows for a choice the seed leaves open (repeatable; "
                             "a target file's `conventions:` does the same; `orderproof rules --conventions` lists them)")
    parser.add_argument("--max-requests", type=int, metavar="N", help="hard cap on requests sent to the target")
    parser.add_argument("--rate-limit", type=float, metavar="PER_SECOND",
                        help=f"at most this many requests per second; 0: no limit (default: "
                             f"{REMOTE_RATE_LIMIT:g} for --target-url/--target-config, none for the embedded "
                             "reference; 429 + Retry-After always backs off)")
    parser.add_argument("--request-timeout", type=float, default=10.0, metavar="SECONDS",
                        help="timeout of each request (default: 10)")


def _fault_names() -> list[str]:
    from orderproof.reference.faults import FAULTS

    return sorted(FAULTS)


def validate(args: argparse.Namespace) -> None:
    """The checks that need no target: one :class:`UsageError` sentence each."""
    given = [name for name, on in (("--target-url", args.target_url), ("--target-config", args.target_config),
                                   ("--serve", args.serve)) if on]
    if len(given) > 1:
        raise UsageError(f"{' and '.join(given)} name different targets; give at most one "
                         "(none certifies the embedded reference)")
    unknown = [api for api in args.api if api not in APIS]
    if unknown:
        raise UsageError(f"unknown API {', '.join(map(repr, unknown))}; known APIs: {', '.join(APIS)}")
    if args.fault is not None:
        faults = _fault_names()
        if args.target_url or args.target_config:
            raise UsageError(f"--fault applies to the embedded reference only (drop {given[0]}); "
                             f"known faults: {', '.join(faults)}")
        if args.fault not in faults:
            raise UsageError(f"unknown fault {args.fault!r}; known faults: {', '.join(faults)}")
    if args.variation is not None:
        from orderproof.reference.variations import VARIATIONS

        if args.target_url or args.target_config:
            raise UsageError(f"--variation applies to the embedded reference only (drop {given[0]})")
        if args.variation not in VARIATIONS:
            raise UsageError(f"unknown variation {args.variation!r}; known variations: {', '.join(sorted(VARIATIONS))}")
    parse_pins(args.convention)
    if args.max_requests is not None and args.max_requests < 1:
        raise UsageError(f"--max-requests must be at least 1, not {args.max_requests}")
    if args.rate_limit is not None and not args.rate_limit >= 0:
        raise UsageError(f"--rate-limit must be a number of requests per second (0: no limit), not {args.rate_limit}")
    if not args.request_timeout > 0:
        raise UsageError(f"--request-timeout must be a positive number of seconds, not {args.request_timeout}")
    if args.target_config is not None and not args.target_config.is_file():
        raise UsageError(f"target file {args.target_config} not found")
    if args.report_dir.exists() and not args.report_dir.is_dir():
        raise UsageError(f"--report-dir {args.report_dir} is a file, not a directory")


def rate_limit(args: argparse.Namespace) -> float | None:
    """Requests per second for the runner: the option, else gentle for a real service, else none."""
    if args.rate_limit is not None:
        return args.rate_limit or None
    return REMOTE_RATE_LIMIT if (args.target_url or args.target_config) else None


def base_command(args: argparse.Namespace) -> str:
    """The certify command that targets the same service with the same settings (masked);
    replay lines add ``--api`` and ``--seed``."""
    words = ["orderproof", "certify"]
    if args.target_url:
        words += ["--target-url", args.target_url]
    elif args.target_config:
        words += ["--target-config", str(args.target_config)]
    elif args.serve:
        words.append("--serve")
    if args.fault:
        words += ["--fault", args.fault]
    if args.variation:
        words += ["--variation", args.variation]
    for pin in args.convention:
        words += ["--convention", pin]
    if args.profile != DEFAULT_PROFILE:
        words += ["--profile", args.profile]
    if str(args.report_dir) != "reports":
        words += ["--report-dir", str(args.report_dir)]
    return masking.mask_text(shlex.join(words))


def run(args: argparse.Namespace) -> int:
    validate(args)
    from orderproof import runner                          # pytest and Schemathesis load only here

    masking.reset_registry()
    report_dir: Path = args.report_dir
    report_dir.mkdir(parents=True, exist_ok=True)
    # A report directory holds one run: a previous run's certificate must never survive a failed
    # run, and its allure results (allure-pytest adds to the directory) are not this run's evidence.
    for stale in (certificate.CERTIFICATE_JSON, certificate.CERTIFICATE_MD, certificate.JUNIT):
        (report_dir / stale).unlink(missing_ok=True)
    shutil.rmtree(report_dir / certificate.ALLURE_DIR, ignore_errors=True)
    progress = Progress()
    options = runner.RunOptions(
        target_url=args.target_url,
        target_config=args.target_config,
        serve=args.serve,
        apis=tuple(dict.fromkeys(args.api)),
        profile=args.profile,
        seed=args.seed,
        fault=args.fault,
        variation=args.variation,
        conventions=parse_pins(args.convention),
        report_dir=report_dir,
        max_requests=args.max_requests,
        rate_limit=rate_limit(args),
        request_timeout=args.request_timeout,
        on_event=progress,
    )
    try:
        # pytest's own terminal report of the conformance items is not for the user: the progress
        # display and the table say it all (ORDERPROOF_DEBUG=1 shows it after the run).
        pytest_output = io.StringIO()
        try:
            with contextlib.redirect_stdout(pytest_output):
                result = runner.run_conformance(options)
        finally:
            progress.close()
            if _debug():
                print(masking.mask_text(pytest_output.getvalue()), file=sys.stderr)
        # Last line of defence: the runner writes every report through orderproof.masking; this
        # pass re-masks every text file it wrote with the secrets learned during the run, in case
        # one reached a report some other way (captured logs, a library's own output).
        for written in (result.junit_path, result.allure_dir):
            masking.mask_tree(Path(written))
        cert = certificate.build_certificate(result, command=base_command(args))
        path = certificate.write_certificate(cert, report_dir)
    except UsageError:
        raise
    except Exception as exc:                                  # a bug in orderproof, not the user's
        return _internal_error(exc)
    print_summary(cert, report_dir, path, sys.stdout)
    return cert["exit_code"]


def _debug() -> bool:
    return os.environ.get("ORDERPROOF_DEBUG", "") not in ("", "0")


def _internal_error(exc: BaseException) -> int:
    message = masking.mask_text(" ".join(f"{type(exc).__name__}: {exc}".split()))
    if _debug():
        print(masking.mask_text(traceback.format_exc()), file=sys.stderr, end="")
        print(f"orderproof certify: internal error: {message}", file=sys.stderr)
    else:
        print(f"orderproof certify: internal error: {message} "
              "(rerun with ORDERPROOF_DEBUG=1 to see the traceback, and please report it)", file=sys.stderr)
    return INTERNAL_ERROR


def print_summary(cert: dict[str, Any], report_dir: Path, path: Path, out: TextIO) -> None:
    """The terminal table: rules by API with level and verdict, then counts, seed and reports."""
    rows = [(r["api"], r["rule_id"], r["level"], r["verdict"], r["title"]) for r in cert["rules"]]
    widths = [max(len(row[i]) for row in rows + [("API", "RULE", "LEVEL", "VERDICT", "")]) for i in range(4)]
    lines = [f"Target: {cert['target']}", ""]
    header = ("API", "RULE", "LEVEL", "VERDICT")
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  TITLE")
    for api, rule_id, level, verdict, title in rows:
        lines.append("  ".join(v.ljust(w) for v, w in zip((api, rule_id, level, verdict), widths)) + "  " + title)
    c = cert["counts"]
    lines.append("")
    if len(cert["counts_by_api"]) > 1:
        for api, n in cert["counts_by_api"].items():
            lines.append(f"{api}: {n['rules']} rules, {n['PASS']} PASS, {n['FAIL']} FAIL, {n['NOT VERIFIED']} NOT VERIFIED")
    lines.append(f"{c['rules']} rules: {c['PASS']} PASS, {c['FAIL']} FAIL, {c['NOT VERIFIED']} NOT VERIFIED")
    problems = [r for r in cert["rules"] if r["verdict"] != Verdict.PASS.value]
    for rule in sorted(problems, key=lambda r: (r["level"] != "MUST", r["verdict"] != "FAIL")):
        label = {("MUST", "FAIL"): "FAIL", ("SHOULD", "FAIL"): "WARNING"}.get((rule["level"], rule["verdict"]),
                                                                          "NOT VERIFIED")
        detail = rule["evidence"]["message"] if rule["evidence"] else rule["reason"]
        lines.append(f"  {label} {rule['rule_id']} ({rule['level']}): {' '.join(detail.split())[:300]}")
        if rule["evidence"] and rule["evidence"]["curl"]:
            lines.append(f"    {rule['evidence']['curl']}")
    verdict_line = (f"Result: {cert['result']}: every MUST rule passed"
                    if cert["result"] == certificate.CERTIFIED else
                    f"Result: {cert['result']}: {c['must_failed']} MUST rule(s) failed, "
                    f"{c['must_not_verified']} not verified")
    if c["should_failed"]:
        verdict_line += f" ({c['should_failed']} SHOULD warning(s))"
    lines += [
        "",
        verdict_line,
        f"Seed: {cert['seed']}   Run id: {cert['run_id']}",
        f"Replay: {cert['replay']}",
        f"Reports: {report_dir}/ ({certificate.CERTIFICATE_MD}, {certificate.CERTIFICATE_JSON}, "
        f"{certificate.JUNIT}, {certificate.ALLURE_DIR}/)",
    ]
    out.write(masking.mask_text("\n".join(lines)) + "\n")
