"""The closed vocabulary of outcomes: every rule ends PASS, FAIL or NOT VERIFIED, with evidence."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any


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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        return data
