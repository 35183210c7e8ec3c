"""Every independently written service (tests/independent/__init__.py: six developers per API,
``first`` to ``sixth``) is certified: no MUST rule fails or is left not verified, and the only
SHOULD warnings are those its own decisions earn, each named here with the decision behind it. A
stricter rule that fails a service which decided an open point its own way fails this test first."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from orderproof import registry
from orderproof.cli import main
from orderproof.core.options import RunOptions
from orderproof.core.results import Verdict
from orderproof.engine.context import build_context
from orderproof.engine.runner import verify
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
    "third": {        # given both earlier DECISIONS.md, a third option or another mix where one exists
        "bet-placement": {},
        "jackpot-ticket": {},
        "sportsbook-order": {},
        "superbet-reserve": {},
        "travel-order": {},
    },
    "fourth": {       # given all three, as unlike them as the seed allows (201s, 1E+2 amounts, odd statuses)
        "bet-placement": {"BP-KEY-REQUIRED": "it takes a slip without X-Idempotency-Key, and any string as one"},
        "jackpot-ticket": {},
        "sportsbook-order": {},
        "superbet-reserve": {},
        "travel-order": {},
    },
    "fifth": {        # Node.js programs from the seed alone (JavaScript numbers are doubles: exact money by hand)
        "bet-placement": {},
        "jackpot-ticket": {},     # 108, its own code for an unknown event, whose bet is then not its own either
        "sportsbook-order": {},
        "superbet-reserve": {},
        "travel-order": {},
    },
    "sixth": {        # strict: Python's standard library alone (http.server), every open point decided strictly
        "bet-placement": {},
        "jackpot-ticket": {},
        "sportsbook-order": {},
        "superbet-reserve": {},
        "travel-order": {},
    },
}

NODE = shutil.which("node")


def _load(path: Path, name: str, monkeypatch):
    """The FastAPI app of the service at ``path``, from a fresh import (its state lives in its module)."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)   # pydantic resolves the models' annotations there
    spec.loader.exec_module(module)
    return module.app


def _program(folder: Path) -> list[str]:
    """The command that runs the standalone service in ``folder`` (its port appended): ``server.js``
    by node, ``server.py`` by this interpreter; empty for a FastAPI app (``service.py``)."""
    if (folder / "server.js").exists():
        if NODE is None:  # a runtime pip cannot install; the Python services of each API still run
            pytest.skip("the fifth developer's services are Node.js programs, and node is not on PATH")
        return [NODE, "server.js"]
    if (folder / "server.py").exists():
        return [sys.executable, "server.py"]
    return []


@contextmanager
def _process(folder: Path, command: list[str], logs: Path) -> Iterator[str]:
    """The standalone service ``folder`` runs by ``command`` in a process of its own on a loopback
    port: its base URL once its log (``logs``/service.log) says it listens on that port (not merely
    once the port answers: another test's server may hold a port this one was refused). A port taken
    meanwhile is tried again with another. Only PATH is passed on: no BET_API_KEY or hook switch of
    the environment reaches the service."""
    log = logs / "service.log"
    for _ in range(3):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with log.open("wb") as sink:
            process = subprocess.Popen([*command, str(port)], cwd=folder, stdout=sink, stderr=sink,
                                       env={"PATH": os.environ.get("PATH", "")})
        try:
            deadline = time.monotonic() + 15
            while process.poll() is None:
                said = log.read_text(errors="replace")
                if "listening on" in said and f":{port}" in said:
                    break
                assert time.monotonic() < deadline, f"{folder}/{command[-1]} did not start: {said[-500:]}"
                time.sleep(0.05)
            if process.poll() is None:
                yield f"http://127.0.0.1:{port}"
                return
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    raise AssertionError(f"{folder}/{command[-1]} did not start: {log.read_text(errors='replace')[-500:]}")


@contextmanager
def _serving(folder: Path, name: str, monkeypatch, logs: Path) -> Iterator[str]:
    """The service in ``folder`` on a loopback port (a FastAPI app in this process, or a standalone
    Node.js or Python program in its own, its log in ``logs``): its base URL."""
    command = _program(folder)
    if command:
        with _process(folder, command, logs) as base_url:
            yield base_url
    else:
        with served(_load(folder / "service.py", name, monkeypatch)) as base_url:
            yield base_url


def _target(base_url: str, slug: str, folder: Path) -> Path:
    target = folder / "target.yaml"
    target.write_text(json.dumps({
        "base_url": base_url,
        "apis": {slug: {"path": registry.get(slug).path}},
        "provider_states": {"url": f"{base_url}/_orderproof/provider-states"},
    }), encoding="utf-8")
    return target


@pytest.mark.parametrize(("developer", "slug"), [(developer, slug) for developer in WARNS
                                                 for slug in sorted(WARNS[developer])])
def test_an_independent_service_is_certified(developer, slug, tmp_path, monkeypatch):
    name = f"independent_{developer}_{slug.replace('-', '_')}"
    with _serving(HERE / developer / slug.replace("-", "_"), name, monkeypatch, tmp_path) as base_url:
        target = _target(base_url, slug, tmp_path)
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


# --- bugs seeded into them ------------------------------------------------------------------------------

BUGS: list[dict] = yaml.safe_load((HERE / "bugs.yaml").read_text(encoding="utf-8"))


def _bugged(bug: dict, folder: Path) -> Path:
    """A copy of the service in ``folder`` (with the files it reads beside it), the bug's edits applied."""
    home = HERE / bug["service"]
    program = next(name for name in ("server.js", "server.py", "service.py") if (home / name).exists())
    source = (home / program).read_text(encoding="utf-8")
    for edit in bug["edits"]:
        assert source.count(edit["old"]) == 1, f"{bug['name']}: the service no longer has the lines its bug edits"
        source = source.replace(edit["old"], edit["new"])
    for data in home.iterdir():
        if data.is_file() and data.suffix not in (".py", ".js"):
            shutil.copy(data, folder / data.name)
    (folder / program).write_text(source, encoding="utf-8")
    return folder


SEEDED = 88          # the bugs seeded in the five rounds, caught or not (bugs.yaml's header)


def test_the_docs_say_how_many_seeded_bugs_are_caught():
    """bugs.yaml holds the bugs caught; its header, this package, tests/README.md and the README say
    how many, of how many seeded."""
    caught, root = len(BUGS), HERE.parent.parent
    for path in (root / "README.md", root / "tests" / "README.md", HERE / "__init__.py"):
        text = " ".join(path.read_text(encoding="utf-8").split())
        assert f"{caught} of {SEEDED} bugs" in text and f"the other {SEEDED - caught} are" in text, path
    lines = (HERE / "bugs.yaml").read_text(encoding="utf-8").splitlines()
    header = " ".join(line.lstrip("# ") for line in lines if line.startswith("#"))
    assert f"{SEEDED} were seeded" in header and f"these {caught} are caught" in header


@pytest.mark.parametrize("bug", BUGS, ids=[f"{bug['api']}:{bug['name']}" for bug in BUGS])
def test_a_bug_seeded_into_an_independent_service_fails_its_rules(bug, tmp_path, monkeypatch):
    """Each bug breaks a sentence, table row or sample of its seed (``violates`` in bugs.yaml); the
    rules it names FAIL at the tests' seed (quick), judged alone, as certify judges them: after the
    flow rules named in ``via``, when the answers that show the bug come from their scenarios (a
    response rule judges every answer a flow gets)."""
    slug = bug["api"]
    with _serving(_bugged(bug, tmp_path), f"bugged_{bug['name'].replace('-', '_')}", monkeypatch,
                  tmp_path) as base_url:
        context = build_context(RunOptions(target_config=_target(base_url, slug, tmp_path), apis=(slug,),
                                           profile="quick", seed=SEED, rate_limit=0, report_dir=tmp_path / "r"))
        try:
            order = [*bug.get("via", ()), *(rule_id for rule_id in bug["fails"] if rule_id not in bug.get("via", ()))]
            verdicts = {rule_id: verify(context, context.catalogue.rule(rule_id)) for rule_id in order}
            results = {rule_id: verdicts[rule_id] for rule_id in bug["fails"]}
        finally:
            context.close()
    missed = {rule_id: f"{result.verdict.value}: {result.reason}" for rule_id, result in results.items()
              if result.verdict is not Verdict.FAIL}
    assert not missed, f"{bug['name']} ({bug['bug']}) is not caught: {missed}"
