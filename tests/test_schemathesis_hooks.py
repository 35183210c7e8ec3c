"""The response checks as Schemathesis checks (for `schemathesis run`): registered under their
contract names, applied to their own API only, failing on a faulty reference and passing on the
clean one."""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from schemathesis.errors import FailureGroup

from orderproof import registry
from orderproof.checks.base import RESPONSE_CHECKS
from orderproof.engine.target import served
from orderproof.reference import create_app
from orderproof.schemathesis_hooks import registered

KEY = "test-api-key-for-hooks"


def test_every_response_check_is_a_schemathesis_check():
    from schemathesis.checks import CHECKS

    assert set(registered) == set(RESPONSE_CHECKS)
    assert set(registered) <= set(CHECKS.get_all_names())


def missing_field_case(fault: str | None):
    schema = schemathesis.openapi.from_path(registry.get("bet-placement").spec_path)
    schema.app = create_app(fault=fault, api_key=KEY)
    operation = schema["/bet"]["POST"]
    return operation.Case(headers={"X-API-Key": KEY, "X-Idempotency-Key": str(uuid.uuid4())},
                          body={"requestId": str(uuid.uuid4())}, media_type="application/json")


def test_a_check_fails_a_faulty_target():
    case = missing_field_case("framework-422")           # answers 422 {detail} instead of MISSING_PARAMETER
    with pytest.raises(FailureGroup, match="BP-ERROR-SHAPE"):
        case.call_and_validate(checks=[registered["bp_error_shape"]])


def test_the_same_check_passes_the_clean_reference():
    case = missing_field_case(None)
    response = case.call_and_validate(checks=[registered["bp_error_shape"]])
    assert response.status_code == 400 and response.json()["errorCode"] == "MISSING_PARAMETER"


def test_a_check_does_not_apply_to_another_api():
    case = missing_field_case(None)
    response = case.call()
    assert registered["jt_cents"](None, response, case) is True


def test_a_check_that_cannot_be_verified_here_does_not_apply():
    """A check needing what only certify knows (the operator's zone: SR-TIMES) skips, never errors."""
    import dataclasses

    from orderproof.catalogue import load_catalogue
    from orderproof.checks.base import NotVerified
    from orderproof.schemathesis_hooks import _as_schemathesis_check

    def needs_more(rule, exchange):
        raise NotVerified("the operator's zone is not known here")

    rule = dataclasses.replace(load_catalogue(["bet-placement"]).rule("BP-ECHO"), check="needs_more")
    case = missing_field_case(None)
    assert _as_schemathesis_check(rule, needs_more)(None, case.call(), case) is True


def _fewer_fuzzed_cases(folder):
    """The README's command runs as written, in ``folder``, where a ``schemathesis.toml`` (read from the
    working directory) bounds the fuzzing phase to 25 cases as ``--max-examples 25`` would: every
    phase still runs, every check still applies, the test ends in about half the time."""
    (folder / "schemathesis.toml").write_text("[generation]\nmax-examples = 25\n", encoding="utf-8")


@pytest.mark.slow
def test_the_readme_example_passes_against_the_reference_as_written(tmp_path):
    """The README's `schemathesis run` example, run by bash as written (only the served port and
    $KEY filled in), exits 0 against the embedded reference."""
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    block = readme.split("### With plain `schemathesis run`", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    command = "\n".join(line for line in block.strip().splitlines()
                        if not line.startswith(("orderproof serve", "KEY=")))
    assert command.startswith("SCHEMATHESIS_HOOKS=orderproof.schemathesis_hooks")
    key = "readme-example-key"
    _fewer_fuzzed_cases(tmp_path)
    with served(create_app(api_key=key)) as base_url:
        script = re.sub(r"http://127\.0\.0\.1:8000", base_url, command)
        env = {**os.environ, "KEY": key, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "schemathesis.toml" in done.stdout                     # the bound was read
    assert re.search(r"\d+ generated, \d+ passed", done.stdout)


@pytest.mark.slow
def test_the_readme_target_example_makes_cases_real_and_passes_all_checks(tmp_path):
    """The README's ORDERPROOF_TARGET example, as written (the served port filled in): every
    Schemathesis check, its auth checks included, passes against the reference, and placements
    happened (the cases were made real, not refused as unknown users)."""
    import os
    import re
    import subprocess
    import sys
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### With plain `schemathesis run`", 1)[1]
    block = section.split("```bash", 2)[2].split("\n```", 1)[0]
    assert "ORDERPROOF_TARGET=target.yaml" in block and "-c all" in block
    _fewer_fuzzed_cases(tmp_path)
    app = create_app()
    with served(app) as base_url:
        script = re.sub(r"http://127\.0\.0\.1:8000", base_url, block)
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                              timeout=600)
        with app.state.store.read() as conn:
            placed = conn.execute("SELECT COUNT(*) FROM bets").fetchone()[0]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "schemathesis.toml" in done.stdout                     # the bound was read
    assert placed > 0, "no case was made real: every bet was refused"


@pytest.mark.slow
@pytest.mark.parametrize("slug", ["sportsbook-order", "jackpot-ticket"])
def test_every_phase_sends_real_cases_with_a_target(tmp_path, slug):
    """With ORDERPROOF_TARGET, the coverage and examples phases' positive cases are made real too:
    all of Schemathesis' checks pass (the ticket engine without ignored_auth: the reference answers
    a request without its signature headers 422, as a validation error)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    app = create_app()
    with served(app) as base_url:
        target = tmp_path / "target.yaml"
        target.write_text(f"base_url: {base_url}\napis: {{{slug}: {{}}}}\n"
                          f"provider_states: {{url: {base_url}/_orderproof/provider-states}}\n")
        env = {**os.environ, "ORDERPROOF_TARGET": str(target), "SCHEMATHESIS_HOOKS": "orderproof.schemathesis_hooks"}
        command = [str(Path(sys.executable).parent / "schemathesis"), "run", str(registry.get(slug).spec_path),
                   "-u", base_url, "-c", "all", "--max-examples", "25"]   # every phase runs; fewer fuzzed cases
        if slug == "jackpot-ticket":
            command += ["--exclude-checks", "ignored_auth"]
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
