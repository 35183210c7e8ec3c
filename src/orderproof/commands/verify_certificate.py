"""``orderproof verify-certificate DIR``: are certificate.json and the reports it lists unchanged?

Exit codes: 0 intact, 1 something changed (each changed, missing or added file is named, and an
edited certificate.json is detected by its digest), 2 no certificate or one that does not follow
the certificate schema.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from orderproof.core.errors import UsageError
from orderproof.report import certificate

NAME = "verify-certificate"
HELP = "Check that a report directory's certificate.json and its evidence files are intact."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("report_dir", type=Path, metavar="DIR", nargs="?", default=Path("reports"),
                        help="the report directory of a certify run (default: reports/)")


def run(args: argparse.Namespace) -> int:
    try:
        verification = certificate.verify(args.report_dir)
    except certificate.CertificateError as exc:
        raise UsageError(str(exc)) from None
    cert = verification.certificate
    about = f"{cert['result']}, {cert['target']}, {cert['date']}"
    if verification.intact:
        print(f"intact: {certificate.CERTIFICATE_JSON} and its {verification.checked} evidence files "
              f"are unchanged ({about})")
        return 0
    print(f"NOT intact: {args.report_dir}/{certificate.CERTIFICATE_JSON} ({about})")
    for problem in verification.problems:
        print(f"  {problem}")
    return 1
