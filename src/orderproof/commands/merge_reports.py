"""``orderproof merge-reports DIR... --report-dir OUT``: join the reports of the shards of one run
(``certify --shard I/N --seed S``, one per CI runner) into the report of the whole run.

Exit codes: the merged run's, as certify's (0 certified, 1 not certified), 2 when the directories
are not the intact reports of all N shards of one run (one sentence; OUT keeps its previous reports).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from orderproof.report import certificate
from orderproof.report.merge import merge_reports
from orderproof.report.terminal import print_summary

NAME = "merge-reports"
HELP = ("Join the reports of the shards of one run (certify --shard I/N) into one certificate, junit.xml, "
        "allure-results/ and replay/.")
EPILOG = """exit codes:
  0    the merged run is CERTIFIED
  1    NOT CERTIFIED
  2    not the intact reports of all the shards of one run (same version, seed, profile, target,
       options and spec files; each index 1..N once); OUT keeps its previous reports

example (two CI runners, then one merge job):
  orderproof certify --shard 1/2 --seed 42 --report-dir shard-1
  orderproof certify --shard 2/2 --seed 42 --report-dir shard-2
  orderproof merge-reports shard-1 shard-2 --report-dir reports
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shards", type=Path, nargs="+", metavar="DIR", help="the report directory of each shard")
    parser.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="OUT",
                        help="where the merged reports go (default: reports/)")


def run(args: argparse.Namespace) -> int:
    cert = merge_reports(args.shards, args.report_dir)
    print(f"merged {len(cert['merged_from'])} shards: " +
          "; ".join(f"{part['shard']} {', '.join(part['apis'])}" for part in cert["merged_from"]))
    print_summary(cert, args.report_dir, sys.stdout, names={
        "md": certificate.CERTIFICATE_MD, "json": certificate.CERTIFICATE_JSON, "junit": certificate.JUNIT,
        "allure": certificate.ALLURE_DIR})
    return cert["exit_code"]
