"""``merge-reports``: the reports of the N shards of one run (``certify --shard I/N``) joined into
the report of the whole run: one certificate (its rules in the catalogue's order, its counts and
result computed again), one junit.xml, one allure-results/ and the replay scripts of every shard.

Shards join only when they are parts of one run: each intact (``verify-certificate``), every index
from 1 to N exactly once, and the same suite version, seed, profile, target, options, APIs and
spec/contract files. Anything else is refused with one sentence naming the difference, and the
output directory keeps its previous reports.
"""

from __future__ import annotations

import hashlib
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from orderproof.catalogue import load_catalogue
from orderproof.core.errors import UsageError
from orderproof.report import certificate
from orderproof.report.directory import StagedReports
from orderproof.report.replays import REPLAY_DIR

__all__ = ["Part", "check_one_run", "join", "merge_reports", "read_part"]


@dataclass
class Part:
    """One shard's report directory and its certificate."""

    path: Path
    cert: dict[str, Any]

    @property
    def label(self) -> str:
        shard = self.cert["shard"]
        return f"shard {shard['index']}/{shard['count']} ({self.path})"


def read_part(path: Path) -> Part:
    """A shard's report, intact; a usage error says why it cannot be merged."""
    path = Path(path)
    try:
        verification = certificate.verify(path)
    except certificate.CertificateError as exc:
        raise UsageError(f"cannot merge {path}: {exc}") from None
    if not verification.intact:
        raise UsageError(f"cannot merge {path}: its reports changed after certify wrote them "
                         f"({verification.problems[0]}; `orderproof verify-certificate {path}` lists all)")
    if not verification.certificate.get("shard"):
        raise UsageError(f"cannot merge {path}: it is the report of a whole run, not of a shard "
                         "(certify --shard I/N writes one)")
    return Part(path, verification.certificate)


def _options(cert: dict[str, Any]) -> str:
    """The certify command of the run: target and every option that changes the traffic."""
    return cert["shard"]["command"]


# what every shard of one run shares, and how a difference is named
_SAME: tuple[tuple[str, Any], ...] = (
    ("suite version", lambda cert: cert["suite"]["version"]),
    ("seed", lambda cert: cert["seed"]),
    ("profile", lambda cert: cert["profile"]),
    ("target", lambda cert: cert["target"]),
    ("options", _options),
    ("number of shards", lambda cert: cert["shard"]["count"]),
    ("APIs of the run", lambda cert: cert["shard"]["apis"]),
)


def check_one_run(parts: Sequence[Part]) -> None:
    """Refuse parts that are not the N shards of one run."""
    if not parts:
        raise UsageError("merge-reports needs the report directories of the shards (at least one)")
    first = parts[0]
    for part in parts[1:]:
        for what, value in _SAME:
            if value(part.cert) != value(first.cert):
                raise UsageError(f"{part.label} and {first.label} are not shards of one run: their {what} differ "
                                 f"({value(part.cert)} and {value(first.cert)})")
        for name, digest in part.cert["files_sha256"].items():
            other = first.cert["files_sha256"].get(name)
            if other is not None and other != digest:
                raise UsageError(f"{part.label} and {first.label} are not shards of one run: they ran different "
                                 f"versions of {name}")
    count = first.cert["shard"]["count"]
    seen: dict[int, Part] = {}
    for part in parts:
        index = part.cert["shard"]["index"]
        if index in seen:
            raise UsageError(f"{part.path} and {seen[index].path} are both shard {index}/{count}")
        seen[index] = part
    missing = [f"{index}/{count}" for index in range(1, count + 1) if index not in seen]
    if missing:
        raise UsageError(f"shard {', '.join(missing)} missing: merge-reports needs all {count} shards of the run")


def merge_reports(dirs: Sequence[Path], out: Path) -> dict[str, Any]:
    """Merge the shards in ``dirs`` into ``out`` (replacing its previous reports only on success)
    and return the merged certificate."""
    parts = sorted((read_part(path) for path in dirs), key=lambda part: part.cert["shard"]["index"])
    check_one_run(parts)
    out = Path(out)
    for part in parts:
        if out.resolve() == part.path.resolve():
            raise UsageError(f"--report-dir {out} is one of the shards; merge into another directory")
    with StagedReports(out) as stage:
        cert = join(parts, stage.path)
        stage.commit()
    return cert


def join(parts: Sequence[Part], dest: Path, **replace: Any) -> dict[str, Any]:
    """Write the joined reports of ``parts`` into ``dest`` and return the certificate written
    (``replace``: fields to set in it before it is written, e.g. ``run_id``)."""
    for part in parts:
        for folder in (certificate.ALLURE_DIR, REPLAY_DIR):
            if (part.path / folder).is_dir():
                shutil.copytree(part.path / folder, dest / folder, dirs_exist_ok=True)
    _merge_junit([part.path / certificate.JUNIT for part in parts], dest / certificate.JUNIT)
    cert = {**merged_certificate(parts), **replace}
    certificate.write_certificate({key: value for key, value in cert.items() if value is not None}, dest)
    return cert


def merged_certificate(parts: Sequence[Part]) -> dict[str, Any]:
    """The whole run's certificate from its shards' (without evidence files and digest)."""
    first = parts[0].cert
    run_apis = list(first["shard"]["apis"])
    catalogue = load_catalogue(run_apis)
    order = {rule.id: index for index, rule in enumerate(catalogue.rules)}
    rules = sorted((rule for part in parts for rule in part.cert["rules"]),
                   key=lambda rule: order.get(rule["rule_id"], len(order)))
    tallied = [SimpleNamespace(level=rule["level"], verdict=rule["verdict"]) for rule in rules]
    by_api = {api: [t for t, rule in zip(tallied, rules, strict=True) if rule["api"] == api] for api in run_apis}
    conventions = {row["id"]: row for part in parts for row in part.cert.get("conventions", [])}
    convention_order = {name: index for index, name in enumerate(catalogue.conventions)}   # as a whole run lists them
    files: dict[str, str] = {}
    for part in parts:
        files.update(part.cert["files_sha256"])
    started = min(part.cert["started"] for part in parts)
    finished = max(part.cert["finished"] for part in parts)
    return {
        "format": first["format"],
        "suite": dict(first["suite"]),
        "date": finished,
        "started": started,
        "finished": finished,
        "target": first["target"],
        "apis": run_apis,
        "profile": first["profile"],
        "seed": first["seed"],
        "run_id": _run_id(parts),
        "files_sha256": files,
        "result": certificate.CERTIFIED if certificate.is_certified(tallied) else certificate.NOT_CERTIFIED,
        "exit_code": certificate.exit_code(tallied),
        "counts": certificate.counts(tallied),
        "counts_by_api": {api: certificate.counts(by_api[api]) for api in run_apis},
        "replay": f"{_options(first)} {' '.join(f'--api {api}' for api in run_apis)} --seed {first['seed']}",
        "conventions": sorted(conventions.values(), key=lambda row: convention_order.get(row["id"], len(convention_order))),
        "rules": rules,
        "merged_from": [{"shard": f"{part.cert['shard']['index']}/{part.cert['shard']['count']}",
                         "run_id": part.cert["run_id"], "apis": list(part.cert["apis"]),
                         "started": part.cert["started"], "finished": part.cert["finished"],
                         "certificate_sha256": certificate.file_sha256(part.path / certificate.CERTIFICATE_JSON)}
                        for part in parts],
    }


def _run_id(parts: Sequence[Part]) -> str:
    """The merged run's id: derived from its shards' ids (each stays in ``merged_from``)."""
    return hashlib.sha256(" ".join(part.cert["run_id"] for part in parts).encode()).hexdigest()[:32]


def _merge_junit(paths: Sequence[Path], out: Path) -> None:
    """One ``<testsuite>`` with every shard's test cases, its counts and time added up."""
    suites = []
    for path in paths:
        if not path.is_file():
            continue
        root = ET.parse(path).getroot()
        suites += [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    if not suites:
        return
    merged = ET.Element("testsuite", dict(suites[0].attrib))
    for suite in suites:
        for child in suite:
            if child.tag == "testcase" or not any(existing.tag == child.tag for existing in merged):
                merged.append(child)
    for name in ("tests", "failures", "errors", "skipped"):
        merged.set(name, str(sum(int(suite.get(name, "0") or 0) for suite in suites)))
    merged.set("time", f"{sum(float(suite.get('time', '0') or 0) for suite in suites):.3f}")
    merged.set("timestamp", min(suite.get("timestamp", "") for suite in suites))
    root = ET.Element("testsuites")
    root.append(merged)
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
