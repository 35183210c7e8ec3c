"""The closed vocabulary of outcomes: every rule ends PASS, FAIL or NOT VERIFIED, with evidence;
a run is the list of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

__all__ = ["CERTIFIED", "NOT_CERTIFIED", "Evidence", "RuleResult", "RunResult", "Verdict"]

CERTIFIED = "CERTIFIED"            # every MUST rule passed
NOT_CERTIFIED = "NOT CERTIFIED"


class Verdict(str, Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_VERIFIED = "NOT VERIFIED"


@dataclass
class Evidence:
    """What a FAIL shows: the (minimal) failing request and its response, masked."""

    message: str                                   # what was received against what the document says
    request: dict[str, Any] = field(default_factory=dict)   # method, url, headers, body (text)
    response: dict[str, Any] = field(default_factory=dict)  # status, headers, body (text)
    curl: str = ""                                 # a curl line that replays the request
    replay: str = ""                               # how to replay the whole rule (command with --seed)
    scenario: dict[str, Any] | None = None         # the recorded scenario and its replay (engine.replay)
    body_file: bytes | None = None                 # a request body curl cannot carry inline (the curl reads it)


@dataclass
class RuleResult:
    api: str
    rule_id: str
    level: str                                     # MUST | SHOULD
    title: str
    check: str
    verdict: Verdict
    reason: str = ""                               # NOT VERIFIED: why; FAIL: one-line summary
    evidence: Evidence | None = None
    cases: int = 0                                 # requests/examples the check looked at
    applicable: int = 0                            # of which the rule applied to
    duration_s: float = 0.0
    seed: int | None = None
    sample: dict[str, Any] | None = None           # PASS: one exchange the rule applied to (request, response)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        return data


@dataclass
class RunResult:
    """What one run produced: a verdict per rule and where its reports are. Whether it certifies is
    the certificate's to say (``report.certificate.exit_code``), from the verdicts."""

    results: list[RuleResult]
    target: str
    apis: tuple[str, ...]
    profile: str
    seed: int
    run_id: str
    started: datetime
    finished: datetime
    junit_path: Path
    allure_dir: Path
    spec_sha256: dict[str, str]
    conventions: list[dict[str, Any]] = field(default_factory=list)   # what the run was certified under
    shard: dict[str, Any] | None = None        # certify --shard I/N: {"index", "count", "apis": the whole run's}
