"""``certificate.md``: the certificate as a vendor reads it: a summary, then one section per API with
its failures first (the seed quote, the minimal failing request as a curl line, the response, how to
replay it), the conventions the run was certified under and the files it used.
"""

from __future__ import annotations

from typing import Any

from orderproof.core import masking
from orderproof.core.results import CERTIFIED

__all__ = ["render_markdown"]


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _fence(text: str, lang: str = "") -> str:
    ticks = "```"
    while ticks in text:
        ticks += "`"
    return f"{ticks}{lang}\n{text}\n{ticks}"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" if line.strip() else ">" for line in text.strip().splitlines())


def _shard_rows(cert: dict[str, Any]) -> list[str]:
    """A shard's report says it is a part; a merged one names its parts."""
    shard = cert.get("shard")
    if shard:
        return [f"| Shard | {shard['index']} of {shard['count']}: this report covers {', '.join(cert['apis'])} of the "
                f"run's {', '.join(shard['apis'])}; `orderproof merge-reports` joins the {shard['count']} shards "
                "into the run's certificate |"]
    parts = cert.get("merged_from") or []
    if parts:
        return [f"| Merged from | {len(parts)} shards: " + "; ".join(
            f"{part['shard']} ({', '.join(part['apis'])}; run id {part['run_id']})" for part in parts) + " |"]
    return []



def _fail_levels(counts: dict[str, Any]) -> str:
    """`` (0 MUST, 6 SHOULD warnings)`` after the FAIL count, so that a FAIL under CERTIFIED reads right."""
    if not counts["FAIL"]:
        return ""
    warnings = counts["should_failed"]
    return f" ({counts['must_failed']} MUST, {warnings} SHOULD warning{'' if warnings == 1 else 's'})"

def render_markdown(cert: dict[str, Any]) -> str:
    """certificate.md: a summary table, then one section per API with its failures first."""
    c = cert["counts"]
    lines = [
        f"# orderproof certificate: {cert['result']}",
        "",
        "| | |",
        "| --- | --- |",
        f"| Result | **{cert['result']}** ({'every MUST rule passed' if cert['result'] == CERTIFIED else 'not every MUST rule passed'}) |",
        f"| Target | {_cell(cert['target'])} |",
        f"| APIs | {', '.join(cert['apis'])} |",
        f"| Date (UTC) | {cert['date']} |",
        f"| Suite | orderproof {cert['suite']['version']} |",
        f"| Profile | {cert['profile']} |",
        f"| Seed | {cert['seed']} |",
        f"| Run id | {cert['run_id']} |",
        f"| Rules | {c['rules']}: {c['PASS']} PASS, {c['FAIL']} FAIL{_fail_levels(c)}, {c['NOT VERIFIED']} NOT VERIFIED |",
        f"| MUST failed / not verified | {c['must_failed']} / {c['must_not_verified']} |",
        f"| SHOULD failed (warnings) | {c['should_failed']} |",
        f"| Replay the run | `{cert['replay']}` |",
        *_shard_rows(cert),
        "",
        "## Summary by API",
        "",
        "| API | rules | PASS | FAIL | NOT VERIFIED | MUST failed | MUST not verified | SHOULD failed |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for api, n in cert["counts_by_api"].items():
        lines.append(f"| {api} | {n['rules']} | {n['PASS']} | {n['FAIL']} | {n['NOT VERIFIED']} | "
                     f"{n['must_failed']} | {n['must_not_verified']} | {n['should_failed']} |")
    lines += ["", "In the rule tables, a passed rule's note counts its cases: the generated requests the API's "
              "rules share (or, for a rule of its own scenarios, the scenarios it ran), and of those the ones "
              "it judged (\"judged\" where fewer: an echo rule judges accepted answers only, the schema rule "
              "leaves server errors to the no-5xx rule)."]
    order = {"FAIL": 0, "NOT VERIFIED": 1, "PASS": 2}
    for api in cert["apis"]:
        rules = sorted((r for r in cert["rules"] if r["api"] == api),
                       key=lambda r: (order[r["verdict"]], r["level"] != "MUST"))
        lines += ["", f"## {api}", ""]
        failures = [r for r in rules if r["verdict"] == "FAIL"]
        for rule in failures:
            lines += _failure_markdown(rule, cert["target"])
        lines += [
            "| rule | level | verdict | title | note |",
            "| --- | --- | --- | --- | --- |",
        ]
        for rule in rules:
            note = rule["reason"] if rule["verdict"] != "PASS" else _counts(rule)
            lines.append(f"| {rule['rule_id']} | {rule['level']} | {rule['verdict']} | {_cell(rule['title'])} | "
                         f"{_cell(note)} |")
    lines += _conventions_markdown(cert.get("conventions") or [])
    lines += _quotes_markdown(cert)
    lines += ["", "## Specs and contracts used", "", "| file | sha256 |", "| --- | --- |"]
    lines += [f"| {name} | `{digest}` |" for name, digest in cert["files_sha256"].items()]
    lines += ["", "`orderproof verify-certificate DIR` checks that certificate.json and these reports "
              "are unchanged.", ""]
    return "\n".join(lines)


def _quotes_markdown(cert: dict[str, Any]) -> list[str]:
    """What each rule rests on, in the seed's own words (the seeds are not part of the report)."""
    lines = ["", "## What each rule rests on", "",
             "The seed document's words (basis `seed`: the document states it, the only basis of a MUST), "
             "or the practice or convention a SHOULD rests on.", ""]
    for api in cert["apis"]:
        lines += [f"**{api}**", ""]
        for rule in (r for r in cert["rules"] if r["api"] == api):
            source = rule["source"]
            quote = " ".join(str(source["quote"]).split()).replace("`", "'")
            lines.append(f"- {rule['rule_id']} ({rule['level']}; {source['seed']}, basis {source.get('basis', 'seed')}):"
                         f" `{quote}`")
        lines.append("")
    return lines


def _conventions_markdown(conventions: list[dict[str, Any]]) -> list[str]:
    if not conventions:
        return []
    lines = ["", "## Conventions certified under", "",
             "Where a seed leaves a choice open, the service may follow any option; the rules that ask for one "
             "way through a run say so in their titles, and the others only record what the run saw (a "
             "framework's answer to a request no API reads is not counted). A target file pins the service's "
             "own with `conventions: {<id>: <option>}` (or `--convention ID=OPTION`).", "",
             "| convention | options | this run |", "| --- | --- | --- |"]
    for row in conventions:
        if row["status"] == "pinned":
            state = f"pinned: **{row['pinned']}**"
        elif row["status"] == "observed":
            state = f"followed: **{' or '.join(row['observed'])}**"
        elif row["status"] == "mixed":
            state = f"answers followed several: **{' and '.join(row['observed'])}**"
        elif row["status"] == "open":
            state = "every answer fitted all options"
        else:
            state = "not exercised"
        lines.append(f"| `{row['id']}`: {_cell(row['title'])} | {', '.join(row['options'])} | {state} |")
    return lines


def _failure_markdown(rule: dict[str, Any], target: str = "") -> list[str]:
    evidence = rule["evidence"]
    kind = "failed" if rule["level"] == "MUST" else "failed (SHOULD: a warning)"
    lines = [
        f"### {'FAIL' if rule['level'] == 'MUST' else 'WARNING'} {rule['rule_id']} ({rule['level']}): {rule['title']}",
        "",
        f"{rule['rule_id']} {kind}: {evidence['message']}",
        "",
        f"Source ({rule['source']['seed']}, basis: {rule['source'].get('basis', 'seed')}):",
        "",
        _quote(rule["source"]["quote"]),
        "",
    ]
    if evidence["curl"]:
        lines += ["Minimal failing request:", "", _fence(evidence["curl"], "sh"), ""]
        if masking.MASK in evidence["curl"]:
            signed = "signature" in evidence["curl"].lower()
            lines += [f"Secrets are masked as `{masking.MASK}`: put valid credentials of your own in their "
                      "place before sending it" + (" (a signature, and the timestamp it signs, must be made anew: "
                                                   "the replay script below signs each request it sends)."
                                                   if signed else "."), ""]
    else:
        lines += ["No single failing request was recorded for this rule.", ""]
    response = evidence["response"]
    if response:
        if response.get("error"):           # no HTTP answer at all (status 0 in certificate.json)
            lines += [f"Response: none ({response['error']})", ""]
        else:
            lines += [f"Response: HTTP {response.get('status', '?')}", ""]
        if response.get("body"):
            lines += [_fence(response["body"]), ""]
    replay = evidence["replay"]
    commands = []
    if replay.get("script"):
        commands.append(f"BASE_URL=<the service> {replay['script']}   # the scenario with curl; exit 1 while it still fails")
        commands.append(f"orderproof replay <this directory> {rule['rule_id']}   # the same scenario, sent by orderproof")
    commands.append(f"{replay['command']}   # the whole API again, with the run's seed")
    lines += ["Replay it from this report:", "", _fence("\n".join(commands), "sh"), ""]
    if "reproduced" in replay:
        outcome = "failed again" if replay["reproduced"] else "did not fail again"
        lines += [f"Replayed once right after the failure, the scenario {outcome}: {replay.get('note') or ''}".rstrip(": "), ""]
    if evidence["curl"] and target.startswith("embedded reference"):
        lines += ["The embedded reference stopped with the run: start one with `orderproof serve` (with the "
                  "run's `--fault` and `--variation`, as the command above has them) and point BASE_URL (or the "
                  "curl line) at its address.", ""]
    return lines


def _counts(rule: dict[str, Any]) -> str:
    """"110 cases", or "110 cases, 35 judged" when the rule applied to fewer of them (an echo rule
    judges the accepted orders only)."""
    cases, judged = rule["cases"], rule.get("judged")
    return f"{cases} cases" if judged is None or judged >= cases else f"{cases} cases, {judged} judged"
