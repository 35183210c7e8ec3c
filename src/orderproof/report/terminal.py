"""What ``orderproof certify`` prints at the end: the rules by API with level and verdict, the
failures and warnings with what was received against what is documented, the result, the seed and
where the reports and replays are. It fits the terminal (100 columns when there is none), wraps at
word boundaries, and colours verdicts on a terminal unless ``NO_COLOR`` is set.
"""

from __future__ import annotations

import os
import shutil
import textwrap
from pathlib import Path
from typing import Any, TextIO

from orderproof.core import masking

__all__ = ["colours", "print_summary", "width_of", "wrap"]

DEFAULT_WIDTH = 100
MIN_WIDTH = 60
MAX_MESSAGE_LINES = 8          # of a failure's details in the terminal; the certificate has them all

_CODES = {"green": "32", "red": "31", "yellow": "33", "bold": "1", "dim": "2"}


def width_of(out: TextIO) -> int:
    """The terminal's width (``COLUMNS`` first), 100 when the output is not a terminal."""
    if os.environ.get("COLUMNS", "").isdigit():
        return max(MIN_WIDTH, int(os.environ["COLUMNS"]))
    if getattr(out, "isatty", lambda: False)():
        return max(MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)
    return DEFAULT_WIDTH


def colours(out: TextIO) -> bool:
    """Colour only on a terminal, never with ``NO_COLOR`` (https://no-color.org) or ``TERM=dumb``."""
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(out, "isatty", lambda: False)())


def wrap(text: str, width: int, indent: str = "", first: str | None = None) -> list[str]:
    """``text`` in lines of at most ``width`` columns, broken between words; only a "word" longer
    than a whole line (a JSON body without spaces) is split."""
    first = indent if first is None else first
    if "\n" not in text and len(first) + len(text.strip()) <= width:
        return [first + text.strip()]                   # fits: its own spacing kept ("received:   '...'")
    lines = textwrap.wrap(" ".join(text.split()), width=width, initial_indent=first,
                          subsequent_indent=indent, break_long_words=True, break_on_hyphens=False)
    return lines or [indent.rstrip()]


class _Paint:
    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles:
            return text
        return "".join(f"\033[{_CODES[style]}m" for style in styles) + text + "\033[0m"


def _verdict_style(level: str, verdict: str) -> tuple[str, ...]:
    if verdict == "PASS":
        return ("green",)
    if verdict == "FAIL":
        return ("red", "bold") if level == "MUST" else ("yellow",)
    return ("yellow",) if level == "MUST" else ("dim",)


def _table(rules: list[dict[str, Any]], width: int, paint: _Paint) -> list[str]:
    header = ("API", "RULE", "LEVEL", "VERDICT")
    rows = [(r["api"], r["rule_id"], r["level"], r["verdict"], r["title"]) for r in rules]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lead = sum(widths) + 2 * 4
    title_width = width - lead
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)) + "  TITLE"]
    for api, rule_id, level, verdict, title in rows:
        cells = [api.ljust(widths[0]), rule_id.ljust(widths[1]), level.ljust(widths[2]),
                 paint(verdict.ljust(widths[3]), *_verdict_style(level, verdict))]
        row = "  ".join(cells) + "  "
        if title_width >= 24:
            title_lines = wrap(title, title_width)
            lines.append(row + title_lines[0])
            lines += [" " * lead + line for line in title_lines[1:]]
        else:                                         # too narrow for a column: the title below
            lines.append(row.rstrip())
            lines += wrap(title, width, indent="    ")
    return lines


def _problem(rule: dict[str, Any], report_dir: Path, width: int, paint: _Paint) -> list[str]:
    label = {("MUST", "FAIL"): "FAIL", ("SHOULD", "FAIL"): "WARNING"}.get((rule["level"], rule["verdict"]),
                                                                      "NOT VERIFIED")
    head = f"{label} {rule['rule_id']} ({rule['level']}) {rule['title']}"
    lines = wrap(head, width, indent="    ", first="  ")
    lines[0] = "  " + paint(lines[0][2:], *_verdict_style(rule["level"], rule["verdict"]))
    evidence = rule.get("evidence")
    detail = evidence["message"] if evidence else rule["reason"]
    shown = [line for line in detail.splitlines() if line.strip()]
    for line in shown[:MAX_MESSAGE_LINES]:
        depth = len(line) - len(line.lstrip())
        lines += wrap(line, width, indent=" " * (6 + depth), first=" " * (4 + depth))
    if len(shown) > MAX_MESSAGE_LINES:
        lines.append(f"    ... ({len(shown) - MAX_MESSAGE_LINES} more lines in certificate.md)")
    replay = (evidence or {}).get("replay") or {}
    script = replay.get("script") if isinstance(replay, dict) else None
    if script:
        lines += wrap(f"replay: {report_dir}/{script} (bash + curl) or orderproof replay {report_dir} "
                      f"{rule['rule_id']}", width, indent="      ", first="    ")
    elif isinstance(replay, dict) and replay.get("command"):
        lines += wrap(f"replay: {replay['command']}", width, indent="      ", first="    ")
    return lines


def print_summary(cert: dict[str, Any], report_dir: Path, out: TextIO, *, names: dict[str, str]) -> None:
    """The terminal table and verdict of a certificate; ``names`` maps the report files' roles
    (``md``, ``json``, ``junit``, ``allure``) to their names."""
    width = width_of(out)
    paint = _Paint(colours(out))
    lines = wrap(f"Target: {cert['target']}", width, indent="  ", first="") + [""]
    lines += _table(cert["rules"], width, paint)
    counts = cert["counts"]
    lines.append("")
    if len(cert["counts_by_api"]) > 1:
        for api, n in cert["counts_by_api"].items():
            lines.append(f"{api}: {n['rules']} rules, {n['PASS']} PASS, {n['FAIL']} FAIL, "
                         f"{n['NOT VERIFIED']} NOT VERIFIED")
    lines.append(f"{counts['rules']} rules: {counts['PASS']} PASS, {counts['FAIL']} FAIL, "
                 f"{counts['NOT VERIFIED']} NOT VERIFIED")
    problems = [r for r in cert["rules"] if r["verdict"] != "PASS"]
    for rule in sorted(problems, key=lambda r: (r["level"] != "MUST", r["verdict"] != "FAIL")):
        lines += _problem(rule, report_dir, width, paint)
    certified = cert["result"] == "CERTIFIED"
    verdict = (f"Result: {cert['result']}: every MUST rule passed" if certified else
               f"Result: {cert['result']}: {counts['must_failed']} MUST rule(s) failed, "
               f"{counts['must_not_verified']} not verified")
    if counts["should_failed"]:
        verdict += f" ({counts['should_failed']} SHOULD warning(s))"
    lines += ["", *(paint(line, "bold", "green" if certified else "red")
                    for line in wrap(verdict, width, indent="  ", first="")),
              f"Seed: {cert['seed']}   Run id: {cert['run_id']}"]
    lines += wrap(f"Replay: {cert['replay']}", width, indent="  ", first="")
    if cert.get("shard"):
        shard = cert["shard"]
        lines += wrap(f"Shard {shard['index']}/{shard['count']} ({', '.join(cert['apis'])} of {len(shard['apis'])} "
                      "APIs): join all shards with orderproof merge-reports", width, indent="  ", first="")
    lines += wrap(f"Reports: {report_dir}/ ({names['md']}, {names['json']}, {names['junit']}, {names['allure']}/)",
                  width, indent="  ", first="")
    out.write(masking.mask_text("\n".join(lines)) + "\n")
