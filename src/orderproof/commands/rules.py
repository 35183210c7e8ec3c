"""``orderproof rules``: the traceability matrix of the catalogue.

One row per rule: id, level, title, check, seed source, the reference fault(s) that prove the check
can fail, and the last verdict recorded in ``<report-dir>/certificate.json``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

from orderproof import reference, registry
from orderproof.catalogue import Rule, load_catalogue
from orderproof.core.errors import UsageError
from orderproof.report.terminal import width_of, wrap

NAME = "rules"
HELP = "Print the rule catalogue: each rule's level, check, seed quote, proving faults and last verdict."

NONE = "-"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--api", action="append", metavar="NAME", dest="apis",
        help="only this API (repeatable); default: every registered API",
    )
    parser.add_argument(
        "--format", choices=("table", "json", "csv", "md", "markdown"), default="table",
        help="output format: table (for people, fits the terminal), json, csv, md (default: table)",
    )
    parser.add_argument(
        "--conventions", action="store_true",
        help="list the conventions instead: the choices a seed leaves open and their options, to pin in a "
             "target file (conventions: {ID: OPTION}) or with certify --convention ID=OPTION",
    )
    parser.add_argument(
        "--spec-path", metavar="API",
        help="print where the OpenAPI spec of API is installed (for `schemathesis run` and other tools) and stop",
    )
    parser.add_argument(
        "--report-dir", type=Path, default=Path("reports"), metavar="DIR",
        help="where to read the last verdicts from (DIR/certificate.json; default: reports)",
    )


def run(args: argparse.Namespace) -> int:
    if args.spec_path:
        print(registry.get(args.spec_path).spec_path)
        return 0
    catalogue = load_catalogue(args.apis)
    if getattr(args, "conventions", False):
        print(_conventions(catalogue, args.format))
        return 0
    faults = _faults_by_rule()
    verdicts = _last_verdicts(args.report_dir / "certificate.json")
    rows = [_row(rule, faults, verdicts) for rule in catalogue.rules]
    if args.format == "json":
        contracts = [
            {"api": c.api, "operation": c.operation, "seed": c.seed, "contract": _where(c)}
            for c in catalogue.contracts.values()
        ]
        print(json.dumps({"contracts": contracts, "rules": rows}, indent=2, ensure_ascii=False))
    elif args.format in ("md", "markdown"):
        print(_markdown(catalogue, rows))
    elif args.format == "csv":
        print(_csv(rows), end="")
    else:
        print(_table(catalogue, rows, faults is not None, verdicts is not None, args.report_dir))
    return 0


def _row(rule: Rule, faults: dict[str, list[str]] | None, verdicts: dict | None) -> dict[str, Any]:
    source = {key: value for key, value in vars(rule.source).items() if value is not None}
    return {
        "api": rule.api,
        "id": rule.id,
        "level": rule.level,
        "title": rule.title,
        "check": rule.check,
        "needs": list(rule.needs),
        "operation": rule.operation,
        "source": source,
        "faults": None if faults is None else faults.get(rule.id, []),
        "verdict": None if verdicts is None else verdicts.get((rule.api, rule.id)),
    }


def _where(contract: Any) -> str:
    """The contract file as ``<package>/contract.yaml`` (where its API package keeps it)."""
    return f"{registry.get(contract.api).package.replace('.', '/')}/{contract.path.name}"


def _faults_by_rule() -> dict[str, list[str]]:
    """Rule id -> names of the embedded reference's faults meant to break it."""
    by_rule: dict[str, list[str]] = {}
    for fault in reference.FAULTS.values():
        for rule_id in fault.rules:
            by_rule.setdefault(rule_id, []).append(fault.name)
    return by_rule


def _last_verdicts(path: Path) -> dict[tuple[str, str], str] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {(entry["api"], entry["rule_id"]): entry["verdict"] for entry in data["rules"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(
            f"{path} is not a certificate ({type(exc).__name__}: {exc}); "
            "run 'orderproof certify' again or pass another --report-dir"
        ) from None


def _seed_label(seed: str) -> str:
    return seed.split("_", 1)[0] if seed.endswith(".txt") else seed


def _table(catalogue, rows: list[dict], have_faults: bool, have_verdicts: bool, report_dir: Path) -> str:
    """One block per rule, fitted to the terminal: id, level, last verdict and check on its first
    line, then the title, the seed's words and the faults that prove the check, wrapped."""
    width = width_of(sys.stdout)
    by_id = {row["id"]: row for row in rows}
    out = []
    for contract in catalogue.contracts.values():
        out += ["", *wrap(f"{contract.api}  {contract.operation}  {_where(contract)}  seed {contract.seed}", width,
                          indent="  ", first=""), ""]
        for rule in contract.rules:
            row = by_id[rule.id]
            out.append(f"{row['id']:<24} {row['level']:<6} {row['verdict'] or NONE:<13} {row['check']}")
            out += wrap(row["title"], width, indent="    ")
            quote = " ".join(row["source"]["quote"].split())
            out += wrap(f'{_seed_label(row["source"]["seed"])} ({row["source"].get("basis", "seed")}): "{quote}"',
                        width, indent="      ", first="    ")
            out += wrap(f"faults: {', '.join(row['faults'] or []) or NONE}", width, indent="      ", first="    ")
    musts = sum(row["level"] == "MUST" for row in rows)
    out += [
        "",
        f"{len(rows)} rules ({musts} MUST, {len(rows) - musts} SHOULD) in {len(catalogue.contracts)} contract(s).",
        "Faults: " + ("the embedded reference's bugs that make each rule FAIL (`orderproof faults`)."
                      if have_faults else "no fault registry yet."),
        *wrap("Verdicts: " + (f"from {report_dir / 'certificate.json'}." if have_verdicts
                              else f"none ({report_dir / 'certificate.json'} not found)."), width, indent="  ",
              first=""),
        "Machines: --format json, csv or md.",
    ]
    return "\n".join(out).lstrip("\n")


def _csv(rows: list[dict]) -> str:
    """One line per rule, for spreadsheets and scripts (faults joined by spaces)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["api", "id", "level", "title", "check", "operation", "seed", "basis", "quote", "faults",
                     "verdict"])
    for row in rows:
        source = row["source"]
        writer.writerow([row["api"], row["id"], row["level"], row["title"], row["check"], row["operation"],
                         source["seed"], source.get("basis", ""), " ".join(source["quote"].split()),
                         " ".join(row["faults"] or []), row["verdict"] or ""])
    return buffer.getvalue()


def _conventions(catalogue, fmt: str) -> str:
    rows = [{"id": c.id, "api": c.api, "title": c.title,
             "options": {o.id: o.description for o in c.options},
             "source": {"seed": c.source.seed, "quote": c.source.quote, "note": c.source.note},
             "rules": [rule.id for rule in catalogue.rules if c.id in rule.conventions]}
            for c in catalogue.conventions.values()]
    if fmt == "json":
        return json.dumps({"conventions": rows}, indent=2, ensure_ascii=False)
    if fmt == "markdown":
        out = ["# orderproof conventions", "",
               "| Convention | Options | Rules | Why it is open |", "| --- | --- | --- | --- |"]
        for row in rows:
            options = "<br>".join(f"`{k}`: {v}" for k, v in row["options"].items())
            out.append(f"| `{row['id']}` {row['title']} | {options} | {', '.join(row['rules'])} | "
                       f"{row['source']['note']} |")
        return "\n".join(out)
    out = []
    for row in rows:
        out += [f"{row['id']}  ({', '.join(row['rules']) or 'no rule'})", f"  {row['title']}"]
        out += [f"    {option:<22} {description}" for option, description in row["options"].items()]
        out.append(f"  open because: {row['source']['note']}")
        out.append("")
    out.append("Pin the service's option in the target file (conventions: {ID: OPTION}) or with "
               "certify --convention ID=OPTION; unpinned, every option is accepted, one way through a run.")
    return "\n".join(out)


def _markdown(catalogue, rows: list[dict]) -> str:
    def cell(text: str) -> str:
        return " ".join(text.split()).replace("|", "\\|")

    by_api: dict[str, list[dict]] = {}
    for row in rows:
        by_api.setdefault(row["api"], []).append(row)
    out = ["# orderproof rule catalogue"]
    for contract in catalogue.contracts.values():
        out += [
            "",
            f"## {contract.api} (`{contract.operation}`, seed `{contract.seed}`)",
            "",
            "| Rule | Level | Title | Check | Source | Faults | Last verdict |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for row in by_api.get(contract.api, []):
            source = row["source"]
            quoted = f'{source["seed"]}: "{cell(source["quote"])}"'
            if "note" in source:
                quoted += f" ({cell(source['note'])})"
            if "decision" in source:
                quoted += f" Decision: {cell(source['decision'])}"
            faults = ", ".join(f"`{name}`" for name in row["faults"] or []) or NONE
            out.append(
                f"| {row['id']} | {row['level']} | {cell(row['title'])} | `{row['check']}` | {quoted} "
                f"| {faults} | {row['verdict'] or NONE} |"
            )
    return "\n".join(out)
