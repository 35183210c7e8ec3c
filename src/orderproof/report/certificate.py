"""The certificate: every rule's verdict with its evidence, as ``certificate.json`` and ``certificate.md``.

``certificate.json`` is validated against ``schemas/certificate.schema.json`` before it is written.
It records the sha256 of every evidence file in the report directory (``junit.xml``, every file
under ``allure-results/``, ``certificate.md``) and a ``digest`` of its own content, so
:func:`verify` can tell later whether the certificate or its evidence was changed. (This detects
edits and lost files; it is not a signature: whoever can rewrite every file can recompute the hashes.)

Everything that comes from the run (target, reasons, requests, responses, curl lines) is masked with
:mod:`orderproof.core.masking`; titles and seed quotes come from the contracts and are kept verbatim.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from orderproof.catalogue import Catalogue, load_catalogue
from orderproof.core import masking
from orderproof.core.limits import cut_body
from orderproof.core.paths import SCHEMAS_DIR
from orderproof.core.results import (
    CERTIFIED,
    NOT_CERTIFIED,
    Evidence,
    RuleResult,
    RunResult,
    Verdict,
)
from orderproof.core.version import __version__
from orderproof.report.markdown import render_markdown
from orderproof.report.replays import REPLAY_DIR, script_path

__all__ = [
    "CERTIFICATE_JSON",
    "CERTIFICATE_MD",
    "CERTIFIED",
    "NOT_CERTIFIED",
    "CertificateError",
    "Verification",
    "build_certificate",
    "certificate_digest",
    "counts",
    "exit_code",
    "render_markdown",
    "validate",
    "verify",
    "write_certificate",
]

FORMAT = "orderproof-certificate/1"
CERTIFICATE_JSON = "certificate.json"
CERTIFICATE_MD = "certificate.md"
JUNIT = "junit.xml"
ALLURE_DIR = "allure-results"
SCHEMA_PATH = SCHEMAS_DIR / "certificate.schema.json"


class CertificateError(Exception):
    """certificate.json is missing, unreadable or does not follow the certificate schema."""


# ---------------------------------------------------------------------------------------------
# verdict arithmetic


def counts(results: Iterable[RuleResult]) -> dict[str, int]:
    tally = {"rules": 0, "PASS": 0, "FAIL": 0, "NOT VERIFIED": 0,
             "must_failed": 0, "must_not_verified": 0, "should_failed": 0}
    for result in results:
        verdict = Verdict(result.verdict)
        tally["rules"] += 1
        tally[verdict.value] += 1
        if result.level == "MUST" and verdict is Verdict.FAIL:
            tally["must_failed"] += 1
        elif result.level == "MUST" and verdict is Verdict.NOT_VERIFIED:
            tally["must_not_verified"] += 1
        elif result.level == "SHOULD" and verdict is Verdict.FAIL:
            tally["should_failed"] += 1
    return tally


def is_certified(results: Iterable[RuleResult]) -> bool:
    """Certified when every MUST rule passed (a MUST rule NOT VERIFIED did not pass); SHOULD
    failures are warnings. A run without a single MUST rule certifies nothing."""
    must = [result for result in results if result.level == "MUST"]
    return bool(must) and all(Verdict(result.verdict) is Verdict.PASS for result in must)


def exit_code(results: Iterable[RuleResult]) -> int:
    """0 when certified, 1 otherwise (see :func:`is_certified`)."""
    return 0 if is_certified(list(results)) else 1


# ---------------------------------------------------------------------------------------------
# building


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _text(value: Any) -> str | None:
    """A request or response body as masked text, cut at :data:`MAX_BODY_CHARS` (a 10 MB answer
    is evidence of its size, not something to copy into the certificate)."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=str)
    return cut_body(value, masking.mask_text) or ""


def _headers(headers: Any) -> dict[str, str]:
    return {str(name): str(value) for name, value in dict(headers or {}).items()}


def rule_replay(command: str, api: str, seed: int) -> str:
    return f"{command} --api {api} --seed {seed}"


def _evidence(result: RuleResult, command: str, seed: int) -> dict[str, Any]:
    evidence = result.evidence or Evidence(message=result.reason or "the check failed (no message)")
    request = dict(evidence.request or {})
    response = dict(evidence.response or {})
    if "headers" in request:
        request["headers"] = _headers(request["headers"])
    if "body" in request:
        request["body"] = _text(request["body"])
    if "headers" in response:
        response["headers"] = _headers(response["headers"])
    if "body" in response:
        response["body"] = _text(response["body"])
    if response.get("status") is not None:
        response["status"] = int(response["status"])
    curl = _text(evidence.curl or "")
    replay: dict[str, Any] = {"command": rule_replay(command, result.api, seed), "curl": curl}
    scenario = evidence.scenario or {}
    if scenario.get("steps"):
        replay["script"] = script_path(result.rule_id)
    if "reproduced" in scenario:
        replay["reproduced"] = bool(scenario["reproduced"])
        replay["note"] = _text(scenario.get("replay_reason") or "")
    return masking.mask_json({
        "message": _text(evidence.message or result.reason or "the check failed (no message)"),
        "request": request,
        "response": response,
        "curl": curl,
        "replay": replay,
    })


def build_certificate(run: RunResult, *, command: str, catalogue: Catalogue | None = None) -> dict[str, Any]:
    """The certificate of ``run`` (without ``evidence_files`` and ``digest``, which
    :func:`write_certificate` adds). ``command`` is the certify command that targets the same
    service with the same profile, e.g. ``orderproof certify --target-url URL --profile quick``:
    replay lines add ``--api`` and ``--seed`` to it. Titles and sources come from the catalogue."""
    if catalogue is None:
        catalogue = load_catalogue(run.apis)
    rules = []
    order = {rule.id: index for index, rule in enumerate(catalogue.rules)}   # catalogue order, API by API
    for result in sorted(run.results, key=lambda r: order.get(r.rule_id, len(order))):
        source = catalogue.rule(result.rule_id).source
        verdict = Verdict(result.verdict)
        rules.append({
            "api": result.api,
            "rule_id": result.rule_id,
            "level": result.level,
            "title": result.title,
            "check": result.check,
            "source": {"seed": source.seed, "quote": source.quote, "basis": source.basis,
                       **({"note": source.note} if source.note else {})},
            "conventions": list(catalogue.rule(result.rule_id).conventions),
            "verdict": verdict.value,
            "reason": _text(result.reason or ""),
            "cases": int(result.cases),
            "judged": int(result.applicable),
            "evidence": _evidence(result, command, run.seed) if verdict is Verdict.FAIL else None,
        })
    apis = list(dict.fromkeys(run.apis or [result.api for result in run.results]))
    return {
        "format": FORMAT,
        "suite": {"name": "orderproof", "version": __version__},
        "date": _utc(run.finished),
        "started": _utc(run.started),
        "finished": _utc(run.finished),
        "target": masking.mask_text(run.target),
        "apis": apis,
        "profile": run.profile,
        "seed": int(run.seed),
        "run_id": run.run_id,
        "files_sha256": dict(run.spec_sha256),
        "result": CERTIFIED if is_certified(run.results) else NOT_CERTIFIED,
        "exit_code": exit_code(run.results),
        "counts": counts(run.results),
        "counts_by_api": {api: counts(r for r in run.results if r.api == api) for api in apis},
        "replay": f"{command} {' '.join(f'--api {api}' for api in apis)} --seed {run.seed}",
        "conventions": [_convention(row) for row in getattr(run, "conventions", None) or []],
        "rules": rules,
        **({"shard": dict(run.shard)} if getattr(run, "shard", None) else {}),
    }


def _convention(row: dict[str, Any]) -> dict[str, Any]:
    """A convention as the certificate records it: pinned by the target, or what the run observed."""
    if row.get("pinned"):
        status = "pinned"
    elif row.get("mixed"):
        status = "mixed"              # no rule held the run to one option, and its answers followed several
    elif row.get("observed") and len(row["observed"]) < len(row["options"]):
        status = "observed"
    elif row.get("observed"):
        status = "open"               # answers fitted every option
    else:
        status = "not exercised"
    return {"id": row["id"], "api": row["api"], "title": row["title"], "options": row["options"],
            "pinned": row.get("pinned"), "observed": row.get("observed") or [], "status": status,
            "evidence": {k: masking.mask_text(v) for k, v in (row.get("evidence") or {}).items()}}


# ---------------------------------------------------------------------------------------------
# writing and verifying


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate(cert: Any) -> None:
    """Raise :class:`CertificateError` naming the first schema violation."""
    error = jsonschema.exceptions.best_match(_validator().iter_errors(cert))
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "(top level)"
        raise CertificateError(f"certificate does not follow its schema at {where}: {error.message}")


def canonical(cert: dict[str, Any]) -> bytes:
    return json.dumps(cert, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def certificate_digest(cert: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of ``cert`` without its ``digest`` field."""
    return hashlib.sha256(canonical({k: v for k, v in cert.items() if k != "digest"})).hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def evidence_paths(report_dir: Path) -> list[str]:
    """The evidence files present in ``report_dir``, relative and '/'-separated, sorted."""
    found = []
    for name in (JUNIT, CERTIFICATE_MD):
        if (report_dir / name).is_file():
            found.append(name)
    for folder in (ALLURE_DIR, REPLAY_DIR):
        if (report_dir / folder).is_dir():
            found += [p.relative_to(report_dir).as_posix() for p in (report_dir / folder).rglob("*") if p.is_file()]
    return sorted(found)


def write_certificate(cert: dict[str, Any], report_dir: Path) -> Path:
    """Write certificate.md, hash the evidence files, add the digest, validate and write
    certificate.json. Returns its path."""
    report_dir = Path(report_dir)
    placeholder = "0" * 64                       # checked before anything is written
    validate({**cert, "evidence_files": {CERTIFICATE_MD: placeholder}, "digest": placeholder})
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / CERTIFICATE_MD).write_text(render_markdown(cert), encoding="utf-8")
    cert = dict(cert)
    cert["evidence_files"] = {name: file_sha256(report_dir / name) for name in evidence_paths(report_dir)}
    cert["digest"] = certificate_digest(cert)
    validate(cert)
    path = report_dir / CERTIFICATE_JSON
    path.write_text(json.dumps(cert, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@dataclass
class Verification:
    """What :func:`verify` found: ``problems`` is empty when the certificate and evidence are intact."""

    certificate: dict[str, Any]
    checked: int                                   # evidence files compared
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def verify(report_dir: Path) -> Verification:
    """Check certificate.json (schema, digest) and every evidence file it lists (present, same
    sha256), and that no evidence file was added. Raises :class:`CertificateError` when the
    certificate is missing, not JSON or not schema-valid."""
    report_dir = Path(report_dir)
    path = report_dir / CERTIFICATE_JSON
    if not path.is_file():
        raise CertificateError(f"no {CERTIFICATE_JSON} in {report_dir}; run `orderproof certify --report-dir {report_dir}` first")
    try:
        cert = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CertificateError(f"{path} is not a readable JSON certificate: {exc}") from None
    validate(cert)
    problems = []
    if certificate_digest(cert) != cert["digest"]:
        problems.append(f"{CERTIFICATE_JSON}: content changed (its digest does not match)")
    listed = cert["evidence_files"]
    for name, expected in sorted(listed.items()):
        file = report_dir / name
        if Path(name).is_absolute() or ".." in Path(name).parts:
            problems.append(f"{name}: not a file inside the report directory")
        elif not file.is_file():
            problems.append(f"{name}: missing")
        elif file_sha256(file) != expected:
            problems.append(f"{name}: changed")
    for name in evidence_paths(report_dir):
        if name not in listed:
            problems.append(f"{name}: added after the certificate was written")
    return Verification(certificate=cert, checked=len(listed), problems=problems)
