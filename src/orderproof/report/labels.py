"""The conformance items as people and CI viewers read them, written over what pytest's JUnit XML
and allure-pytest produced (both routes: ``orderproof certify`` and a plain ``pytest`` run):

* JUnit: ``classname`` is the API, ``name`` the rule id and title; properties give the level, the
  verdict and the cases tried; a SHOULD failure is an xfail (a warning that does not fail the gate:
  session/conformance.py), which JUnit viewers show as a bare skip, so it also says ``WARNING`` in
  ``<system-out>``.
* Allure: grouped API > rule (``parentSuite`` / ``suite``, and ``epic`` / ``feature`` for the
  behaviours view), a ``testCaseId`` and ``historyId`` per (API, rule) that stay the same from run to
  run, the seed's quote in the description; a SHOULD failure is ``broken`` with severity minor (not
  a skip inside a green ring), NOT VERIFIED ``skipped`` with its reason; a passing rule carries the
  cases it tried and one exchange it applied to.
"""

from __future__ import annotations

import hashlib
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from orderproof.core.results import RuleResult, Verdict

__all__ = ["ITEM_PREFIX", "item_key", "label_allure", "label_junit"]

ITEM_PREFIX = "test_rule"
_SUITE_LABELS = {"parentSuite", "suite", "subSuite", "epic", "feature", "story"}


def item_key(api: str, rule_id: str) -> str:
    """The parameter of a conformance item: ``<api>::<RULE-ID>``."""
    return f"{api}::{rule_id}"


def _by_key(results: list[RuleResult]) -> dict[str, RuleResult]:
    return {item_key(result.api, result.rule_id): result for result in results}


def warning_text(result: RuleResult) -> str:
    return (f"WARNING: SHOULD rule {result.rule_id} failed (a warning: the service still certifies): "
            f"{result.reason}")


# --- JUnit ------------------------------------------------------------------------------------------

def label_junit(path: Path, results: list[RuleResult]) -> None:
    """Name each conformance test case by its API and rule; nothing else in the file changes."""
    try:
        tree = ET.parse(path)
    except (OSError, ET.ParseError):
        return
    by_key = _by_key(results)
    changed = False
    for case in tree.getroot().iter("testcase"):
        name = case.get("name") or ""
        if not name.startswith(ITEM_PREFIX + "[") or not name.endswith("]"):
            continue
        result = by_key.get(name[len(ITEM_PREFIX) + 1:-1])
        if result is None:
            continue
        case.set("classname", result.api)
        case.set("name", f"{result.rule_id} {result.title}")
        properties = case.find("properties")
        if properties is None:
            properties = ET.Element("properties")
            case.insert(0, properties)
        for key, value in (("rule", result.rule_id), ("level", result.level), ("verdict", result.verdict.value),
                           ("cases", str(result.cases)), ("applicable", str(result.applicable))):
            ET.SubElement(properties, "property", name=f"orderproof.{key}", value=value)
        if result.level == "SHOULD" and result.verdict is Verdict.FAIL:
            ET.SubElement(properties, "property", name="orderproof.warning", value="true")
            out = case.find("system-out")
            if out is None:
                out = ET.SubElement(case, "system-out")
            out.text = warning_text(result) + ("\n" + out.text if out.text else "")
        changed = True
    if changed:
        tree.write(path, encoding="utf-8", xml_declaration=True)


# --- Allure -----------------------------------------------------------------------------------------

def _md5(text: str) -> str:
    return hashlib.md5(text.encode("utf-8")).hexdigest()  # noqa: S324 - an id, as allure-pytest makes them


def _rule_param(data: Mapping[str, Any]) -> str | None:
    for parameter in data.get("parameters") or ():
        if parameter.get("name") == "rule":
            return str(parameter.get("value", "")).strip("'\"")
    return None


def label_allure(directory: Path, results: list[RuleResult], sources: Mapping[str, Any]) -> None:
    """Rewrite each conformance result of ``directory`` (``*-result.json``); ``sources``: rule id ->
    its catalogue ``Source`` (seed file and quote)."""
    if not directory.is_dir():
        return
    by_key = _by_key(results)
    for path in directory.glob("*-result.json"):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        key = _rule_param(data)
        result = by_key.get(key or "")
        if result is None:
            continue
        _relabel(data, result, sources.get(result.rule_id))
        if result.sample is not None and result.verdict is Verdict.PASS:
            _attach_sample(directory, path, data, result)
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _relabel(data: dict[str, Any], result: RuleResult, source: Any) -> None:
    key = item_key(result.api, result.rule_id)
    title = f"{result.rule_id}: {result.title}"
    data["name"] = title
    data["fullName"] = f"orderproof.{result.api}.{result.rule_id}"
    data["testCaseId"] = _md5(key)
    data["historyId"] = _md5(key)
    data["titlePath"] = [result.api]
    labels = [label for label in data.get("labels") or () if label.get("name") not in _SUITE_LABELS
              and label.get("name") != "severity"]
    labels += [{"name": "parentSuite", "value": result.api}, {"name": "suite", "value": title},
               {"name": "epic", "value": result.api}, {"name": "feature", "value": title},
               {"name": "severity", "value": "critical" if result.level == "MUST" else "minor"},
               {"name": "tag", "value": result.level}, {"name": "tag", "value": f"verdict:{result.verdict.value}"}]
    data["labels"] = labels
    data["links"] = [link for link in data.get("links") or () if not str(link.get("url", "")).startswith("seeds/")]
    data["description"] = _description(result, source)
    details = data.setdefault("statusDetails", {})
    details.pop("trace", None)            # the conformance item's own Python frames: nothing for a reader
    if result.verdict is Verdict.FAIL and result.level == "SHOULD":
        data["status"] = "broken"
        details["message"] = warning_text(result)
    elif result.verdict is Verdict.NOT_VERIFIED:
        data["status"] = "skipped"
        details["message"] = f"NOT VERIFIED: {result.reason}"


def _description(result: RuleResult, source: Any) -> str:
    lines = [f"**{result.level}** rule `{result.rule_id}` of `{result.api}`: {result.title}", ""]
    if source is not None:
        quote = " ".join(str(source.quote).split())
        lines += [f"The seed ({source.seed}, basis: {source.basis}) says:", "", f"> {quote}", ""]
    lines.append(f"Verdict: **{result.verdict.value}** after {result.cases} case(s), "
                 f"{result.applicable} to which the rule applied.")
    if result.verdict is not Verdict.PASS and result.reason:
        lines += ["", result.reason]
    return "\n".join(lines)


def _attach_sample(directory: Path, path: Path, data: dict[str, Any], result: RuleResult) -> None:
    """One exchange the passing rule applied to, as an attachment of its result."""
    name = f"{data.get('uuid') or path.stem.removesuffix('-result')}-sample-attachment.json"
    (directory / name).write_text(json.dumps(result.sample, indent=2, ensure_ascii=False, default=str),
                                  encoding="utf-8")
    attachments = data.setdefault("attachments", [])
    attachments.append({"name": f"a passing exchange (of {result.applicable} the rule applied to)",
                        "source": name, "type": "application/json"})
