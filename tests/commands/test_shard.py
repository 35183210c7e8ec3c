"""``certify --shard I/N`` and ``merge-reports``: N shards of one run, merged, are that run."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from orderproof import registry
from orderproof.cli import main
from orderproof.core.errors import UsageError
from orderproof.core.options import RunOptions
from orderproof.core.shard import Shard, parse_shard, share
from orderproof.report import certificate
from tests import SEED

APIS = tuple(registry.slugs())
COSTS = registry.certify_costs(APIS, "standard")
FAULT = "payout-without-stake"  # a FAIL with evidence and a replay script, so that those merge too


@pytest.fixture(autouse=True)
def plain_output(monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.delenv("ORDERPROOF_DEBUG", raising=False)


# -- the share ------------------------------------------------------------------------------------

@pytest.mark.parametrize("count", [1, 2, 3, 4, 5])
def test_the_shares_cover_every_api_once_in_the_runs_order(count):
    shares = [share(APIS, Shard(index, count), COSTS) for index in range(1, count + 1)]
    assert sorted(api for part in shares for api in part) == sorted(APIS)
    assert all(part for part in shares), "no shard is empty"
    for part in shares:
        assert list(part) == [api for api in APIS if api in part]
    assert shares == [share(APIS, Shard(index, count), COSTS) for index in range(1, count + 1)]


def test_the_shares_are_balanced_by_measured_cost():
    costs = COSTS
    assert set(costs) == set(APIS), "every built-in API declares what it costs"
    heaviest = max(APIS, key=costs.get)
    first, second = (share(APIS, Shard(index, 2), costs) for index in (1, 2))
    assert heaviest in first, "the heaviest API is dealt first"
    loads = [sum(costs[api] for api in part) for part in (first, second)]
    assert max(loads) - min(loads) <= max(costs.values())
    assert share(("outside-api", *APIS), Shard(1, 6), costs), "an API without a measurement gets a share"


@pytest.mark.parametrize(("text", "message"), [
    ("2", "is not I/N"), ("0/2", "between 1 and N"), ("3/2", "between 1 and N"), ("1/0", "between 1 and N"),
    ("a/b", "is not I/N"),
])
def test_a_malformed_shard_is_one_sentence(text, message):
    with pytest.raises(UsageError, match=message):
        parse_shard(text)


def test_more_shards_than_apis_is_refused():
    with pytest.raises(UsageError, match="at most 2 shards"):
        share(APIS[:2], Shard(1, 3), COSTS)


def test_a_shard_needs_the_seed_every_shard_shares(capsys, tmp_path):
    code = main(["certify", "--shard", "1/2", "--report-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "needs --seed" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()
    assert RunOptions(shard=Shard(1, 2), seed=1).shard == Shard(1, 2)


# -- end to end: two shards merged equal one unsharded run -------------------------------------------

# Three of the APIs (the run's cost halved; dealing and merging do not depend on which), the fault's among them.
RUN_APIS = ("sportsbook-order", "superbet-reserve", "bet-placement")


def _certify(tmp: Path, name: str, *extra: str) -> tuple[int, Path]:
    out = tmp / name
    apis = [word for api in RUN_APIS for word in ("--api", api)]
    code = main(["certify", *apis, "--profile", "quick", "--seed", str(SEED), "--fault", FAULT, "--report-dir", str(out),
                 *extra])
    return code, out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("shards")
    codes = {}
    for index in (1, 2):
        codes[f"shard-{index}"], _ = _certify(tmp, f"shard-{index}", "--shard", f"{index}/2")
    codes["whole"], _ = _certify(tmp, "whole")
    codes["jobs"], _ = _certify(tmp, "jobs", "--jobs", "2")
    codes["merged"] = main(["merge-reports", str(tmp / "shard-1"), str(tmp / "shard-2"), "--report-dir",
                            str(tmp / "merged")])
    return tmp, codes


def _cert(path: Path) -> dict:
    return json.loads((path / certificate.CERTIFICATE_JSON).read_text(encoding="utf-8"))


def _verdicts(cert: dict) -> list[tuple]:
    """Each rule's verdict, cases and reason; identities (bet ids, keys, ticket ids) are fresh per run."""
    fresh = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,}|\d{9,}")
    return [(rule["api"], rule["rule_id"], rule["verdict"], rule["cases"], fresh.sub("<id>", rule["reason"]))
            for rule in cert["rules"]]


@pytest.mark.slow
def test_two_shards_merged_equal_one_unsharded_run(runs, capsys):
    tmp, codes = runs
    whole, merged = _cert(tmp / "whole"), _cert(tmp / "merged")
    first, second = _cert(tmp / "shard-1"), _cert(tmp / "shard-2")
    assert set(first["apis"]).isdisjoint(second["apis"]) and set(first["apis"]) | set(second["apis"]) == set(RUN_APIS)
    assert codes["whole"] == codes["merged"] == 1                     # the fault: NOT CERTIFIED, either way
    assert {codes["shard-1"], codes["shard-2"]} == {0, 1}              # only the shard with bet-placement fails
    assert _verdicts(merged) == _verdicts(whole)                       # same rules, order, verdicts, cases, reasons
    for key in ("result", "exit_code", "counts", "counts_by_api", "apis", "seed", "profile", "target", "files_sha256"):
        assert merged[key] == whole[key], key
    assert [(row["id"], row["observed"], row["status"]) for row in merged["conventions"]] == \
        [(row["id"], row["observed"], row["status"]) for row in whole["conventions"]]
    failed = [rule for rule in merged["rules"] if rule["verdict"] == "FAIL"]
    assert failed and all(rule["evidence"]["replay"].get("script") for rule in failed)
    for rule in failed:
        assert (tmp / "merged" / rule["evidence"]["replay"]["script"]).is_file()
    assert [part["shard"] for part in merged["merged_from"]] == ["1/2", "2/2"]
    assert "shard" not in merged and "Merged from | 2 shards" in (tmp / "merged" / "certificate.md").read_text()
    assert main(["verify-certificate", str(tmp / "merged")]) == 0
    assert "intact" in capsys.readouterr().out


@pytest.mark.slow
def test_the_merged_junit_and_allure_hold_every_rule(runs):
    tmp, _ = runs
    whole, merged = (ET.parse(tmp / name / certificate.JUNIT).getroot() for name in ("whole", "merged"))
    cases = {(case.get("classname"), case.get("name")) for case in merged.iter("testcase")}
    assert cases == {(case.get("classname"), case.get("name")) for case in whole.iter("testcase")}
    suite, whole_suite = next(merged.iter("testsuite")), next(whole.iter("testsuite"))
    for count in ("tests", "failures", "errors", "skipped"):
        assert suite.get(count) == whole_suite.get(count), count
    results = lambda name: sorted(  # noqa: E731 - the (API, rule) of each Allure result
        json.loads(path.read_text())["testCaseId"] for path in (tmp / name / "allure-results").glob("*-result.json"))
    assert results("merged") == results("whole") and len(results("merged")) == len(_cert(tmp / "whole")["rules"])


# -- refusals: only the intact shards of one run merge -------------------------------------------------

def _rewrite(path: Path, change) -> None:
    """A shard whose certificate says something else, written as certify would (a valid digest)."""
    cert = _cert(path)
    for key in ("evidence_files", "digest"):
        cert.pop(key)
    change(cert)
    certificate.write_certificate(cert, path)


def _merge(capsys, *dirs: Path, out: Path) -> tuple[int, str]:
    code = main(["merge-reports", *map(str, dirs), "--report-dir", str(out)])
    return code, capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize(("change", "message"), [
    (lambda cert: cert.update(seed=cert["seed"] + 1), "their seed differ"),
    (lambda cert: cert["suite"].update(version="0.0.1"), "their suite version differ"),
    (lambda cert: cert.update(profile="thorough"), "their profile differ"),
    (lambda cert: cert["shard"].update(command=cert["shard"]["command"] + " --rate-limit 5"), "their options differ"),
    (lambda cert: cert["files_sha256"].update({next(iter(cert["files_sha256"])): "0" * 64}), "different versions of"),
    (lambda cert: cert["shard"].update(index=1), "are both shard 1/2"),
])
def test_shards_of_different_runs_are_refused(runs, tmp_path, capsys, change, message):
    tmp, _ = runs
    other = tmp_path / "shard-2"
    shutil.copytree(tmp / "shard-2", other)
    _rewrite(other, change)
    out = tmp_path / "out"
    out.mkdir()
    (out / certificate.CERTIFICATE_JSON).write_text("the last good reports\n")
    code, err = _merge(capsys, tmp / "shard-1", other, out=out)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
    assert (out / certificate.CERTIFICATE_JSON).read_text() == "the last good reports\n"
    assert sorted(path.name for path in out.iterdir()) == [certificate.CERTIFICATE_JSON]


@pytest.mark.slow
def test_a_missing_changed_or_whole_report_is_refused(runs, tmp_path, capsys):
    tmp, _ = runs
    code, err = _merge(capsys, tmp / "shard-1", out=tmp_path / "a")
    assert code == 2 and "shard 2/2 missing" in err
    code, err = _merge(capsys, tmp / "shard-1", tmp / "whole", out=tmp_path / "b")
    assert code == 2 and "report of a whole run, not of a shard" in err
    changed = tmp_path / "changed"
    shutil.copytree(tmp / "shard-2", changed)
    (changed / certificate.CERTIFICATE_MD).write_text("edited\n")
    code, err = _merge(capsys, tmp / "shard-1", changed, out=tmp_path / "c")
    assert code == 2 and "changed after certify wrote them" in err and "certificate.md" in err
    code, err = _merge(capsys, tmp / "shard-1", tmp_path / "nothing", out=tmp_path / "d")
    assert code == 2 and "no certificate.json" in err
    assert not any((tmp_path / name).exists() for name in "abcd")


def test_the_readme_ci_examples_shard_and_merge():
    """The README's GitHub Actions and GitLab examples parse, every shard gets the same seed and
    its own share, and the merge job joins what the shards wrote."""
    import yaml

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### One certification over many CI runners", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    github, gitlab = (yaml.safe_load(block) for block in blocks)
    steps = " ".join(str(step.get("run", "")) for step in github["jobs"]["certify"]["steps"])
    assert "--shard ${{ matrix.shard }}/3" in steps and "--seed ${{ github.run_id }}" in steps
    assert github["jobs"]["certify"]["strategy"]["matrix"]["shard"] == [1, 2, 3]
    assert any("merge-reports shard-*" in str(step.get("run", "")) for step in github["jobs"]["merge"]["steps"])
    certify = " ".join(gitlab["certify"]["script"])
    assert gitlab["certify"]["parallel"] == 3 and '--shard "$CI_NODE_INDEX/$CI_NODE_TOTAL"' in certify
    assert '--seed "$CI_PIPELINE_ID"' in certify and "merge-reports shard-*" in " ".join(gitlab["merge"]["script"])


@pytest.mark.slow
def test_certify_in_two_processes_is_one_run(runs, capsys):
    """--jobs 2: the shares run as two processes and their reports are joined into the run's own:
    the verdicts, cases, counts and conventions of one process, one run id, no trace of the shares."""
    tmp, codes = runs
    whole, jobs = _cert(tmp / "whole"), _cert(tmp / "jobs")
    assert codes["jobs"] == codes["whole"] == 1
    assert _verdicts(jobs) == _verdicts(whole)
    for key in ("result", "exit_code", "counts", "counts_by_api", "apis", "seed", "profile", "target", "files_sha256"):
        assert jobs[key] == whole[key], key
    assert "shard" not in jobs and "merged_from" not in jobs
    failed = [rule for rule in jobs["rules"] if rule["verdict"] == "FAIL"]
    assert failed and all(f"--report-dir {tmp / 'jobs'} " in rule["evidence"]["replay"]["command"]
                          and ".share-" not in json.dumps(rule["evidence"]) for rule in failed)
    assert jobs["replay"] == whole["replay"].replace(str(tmp / "whole"), str(tmp / "jobs"))
    assert sorted(path.name for path in (tmp / "jobs").iterdir()) == sorted(path.name for path in (tmp / "whole").iterdir())
    assert sorted(path.name for path in (tmp / "jobs" / "replay").iterdir()) == \
        sorted(path.name for path in (tmp / "whole" / "replay").iterdir())
    assert main(["verify-certificate", str(tmp / "jobs")]) == 0
    capsys.readouterr()


@pytest.mark.parametrize(("args", "message"), [
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--jobs", "2", "--max-requests", "50"], "give --jobs 1 with it"),
])
def test_bad_jobs_are_one_sentence(capsys, tmp_path, args, message):
    code = main(["certify", *args, "--report-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
