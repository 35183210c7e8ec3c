"""Every independently written service (tests/independent/__init__.py: two developers per API,
``first`` and ``second``) is certified: no MUST rule fails or is left not verified, and the only
SHOULD warnings are those its own decisions earn, each named here with the decision behind it. A
stricter rule that fails a service which decided an open point its own way fails this test first."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from orderproof import registry
from orderproof.cli import main
from orderproof.engine.target import served
from tests import SEED

pytestmark = pytest.mark.slow          # a quick certify over HTTP per service

HERE = Path(__file__).parent

# The SHOULD warnings each service's own decisions earn (its DECISIONS.md), and why they are fair.
WARNS: dict[str, dict[str, dict[str, str]]] = {
    "first": {
        "bet-placement": {"BP-KEY-REQUIRED": "it places a slip sent without X-Idempotency-Key (the seed "
                                             "describes the caller's header, not the answer to its absence)"},
        "jackpot-ticket": {"JT-ERROR-CODES": "its refusals carry codes of its own (the page's error list is "
                                             "empty; the codes are the superbet page's, a SHOULD)"},
        "sportsbook-order": {},
        "superbet-reserve": {},
        "travel-order": {},
    },
    "second": {       # each decided the open points otherwise than the first where it could
        "bet-placement": {"BP-KEY-REQUIRED": "it takes any string as X-Idempotency-Key, not a UUID alone "
                                             "(the seed names the key's format, not the answer to another)"},
        "jackpot-ticket": {},
        "sportsbook-order": {},
        "superbet-reserve": {},
        "travel-order": {},
    },
}


def _service(developer: str, slug: str, monkeypatch):
    """The service's FastAPI app, from a fresh import (its state lives in its module)."""
    path = HERE / developer / slug.replace("-", "_") / "service.py"
    spec = importlib.util.spec_from_file_location(f"independent_{developer}_{slug.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)   # pydantic resolves the models' annotations there
    spec.loader.exec_module(module)
    return module.app


@pytest.mark.parametrize(("developer", "slug"), [(developer, slug) for developer in WARNS
                                                 for slug in sorted(WARNS[developer])])
def test_an_independent_service_is_certified(developer, slug, tmp_path, monkeypatch):
    with served(_service(developer, slug, monkeypatch)) as base_url:
        target = tmp_path / "target.yaml"
        target.write_text(json.dumps({
            "base_url": base_url,
            "apis": {slug: {"path": registry.get(slug).path}},
            "provider_states": {"url": f"{base_url}/_orderproof/provider-states"},
        }), encoding="utf-8")
        code = main(["certify", "--target-config", str(target), "--api", slug, "--profile", "quick",
                     "--seed", str(SEED), "--rate-limit", "0", "--report-dir", str(tmp_path / "reports")])
    assert code in (0, 1)                     # a verdict (2: refused, 3: broke; no certificate)
    cert = json.loads((tmp_path / "reports" / "certificate.json").read_text(encoding="utf-8"))
    rules = cert["rules"]
    assert rules and {rule["api"] for rule in rules} == {slug}
    must = [f"{r['rule_id']} {r['verdict']}: {r.get('reason')}" for r in rules
            if r["level"] == "MUST" and r["verdict"] != "PASS"]
    assert not must, (f"the {developer} independent {slug} service, correct by its seed, is not certified:\n"
                      + "\n".join(must))
    warned = {r["rule_id"] for r in rules if r["level"] == "SHOULD" and r["verdict"] == "FAIL"}
    assert warned == set(WARNS[developer][slug]), {r["rule_id"]: r.get("reason") for r in rules
                                                   if r["verdict"] == "FAIL"}
    assert code == 0
