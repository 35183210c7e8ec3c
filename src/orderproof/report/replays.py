"""Replay files of a run's failures, in ``<report-dir>/replay/``:

* ``<RULE>.sh``: the failing scenario as bash and curl (provider-state calls, the requests in order,
  requests sent at the same time sent at the same time), then orderproof judges the answers it got
  (``orderproof replay --answers``): exit 1 while the service still fails the rule, 0 once it does not;
* ``<RULE>/``: its steps (``N.json``, templates ``fill.py`` fills in) and ``meta.json``;
* ``<RULE>.json``: the recorded scenario itself (draws, case, salt), for ``orderproof replay``;
* ``fill.py``: the step filler the scripts share (standard library only).

No secret is written: the scripts fetch credentials from the provider-state hook, or take them from
the environment variables they name at their top.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from orderproof.core import masking
from orderproof.core.results import RuleResult, Verdict
from orderproof.core.version import __version__

__all__ = ["REPLAY_DIR", "script_path", "write_replays"]

REPLAY_DIR = "replay"
FILL = Path(__file__).with_name("fill.py")
DEFAULT_BASE = "http://127.0.0.1:8000"        # where `orderproof serve` listens


def script_path(rule_id: str) -> str:
    return f"{REPLAY_DIR}/{rule_id}.sh"


def write_replays(results: list[RuleResult], report_dir: Path, *, target: str, base_url: str | None,
                  hook_url: str | None, serve_hint: str) -> list[str]:
    """Write the replay files of every FAIL that carries a scenario; the rule ids written."""
    written = []
    for result in results:
        evidence = result.evidence
        if evidence is not None and evidence.body_file is not None and evidence.request.get("body_file"):
            body = Path(report_dir) / evidence.request["body_file"]
            body.parent.mkdir(parents=True, exist_ok=True)
            body.write_bytes(_masked_bytes(evidence.body_file))
        scenario = result.evidence.scenario if result.evidence is not None else None
        if result.verdict is not Verdict.FAIL or not scenario or not scenario.get("steps"):
            continue
        directory = Path(report_dir) / REPLAY_DIR
        steps_dir = directory / result.rule_id
        steps_dir.mkdir(parents=True, exist_ok=True)
        (directory / "fill.py").write_text(FILL.read_text(encoding="utf-8"), encoding="utf-8")
        meta = {"rule": result.rule_id, "api": result.api, "fresh": scenario["fresh"], "env": scenario["env"],
                "reproduced": scenario["reproduced"], "orderproof": __version__}
        _write_json(steps_dir / "meta.json", meta)
        for step in scenario["steps"]:
            _write_json(steps_dir / f"{step['n']}.json", step)
        _write_json(directory / f"{result.rule_id}.json",
                    {"rule": result.rule_id, "api": result.api, "trace": scenario["trace"], "salt": scenario["salt"],
                     "reproduced": scenario["reproduced"], "replay_reason": scenario["replay_reason"]})
        script = directory / f"{result.rule_id}.sh"
        script.write_text(_script(result, scenario, target, base_url, hook_url, serve_hint), encoding="utf-8")
        script.chmod(0o755)
        written.append(result.rule_id)
    return written


def _masked_bytes(raw: bytes) -> bytes:
    """A body file with every known secret value masked (the bytes otherwise exactly as sent)."""
    for value in sorted(masking.registry().values(), key=len, reverse=True):
        if len(value) >= masking.MIN_SECRET_LENGTH:
            raw = raw.replace(value.encode("utf-8"), masking.MASK.encode("ascii"))
    return raw


def _write_json(path: Path, data: Any) -> None:
    """Step templates carry placeholders where secrets were; any secret value left is masked anyway."""
    path.write_text(json.dumps(masking.mask_values(data), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _script(result: RuleResult, scenario: dict[str, Any], target: str, base_url: str | None,
            hook_url: str | None, serve_hint: str) -> str:
    rule = result.rule_id
    base = base_url or DEFAULT_BASE
    env_lines = [f"#   {name:<36} {what}" for name, what in scenario["env"].items()]
    lines = [
        "#!/usr/bin/env bash",
        f"# orderproof {__version__}: the failure of {rule} ({result.level}) {result.title}",
        f"# certified target: {masking.mask_text(target)}",
        "#",
        "# Sends the failing scenario again with curl, step by step, then has orderproof judge the answers",
        "# (no request is sent twice): exit 1 while the service still fails the rule, 0 once it does not,",
        "# 2 when a step cannot be filled in, 3 when orderproof is not installed (the answers stay in $WORK).",
        "#",
        f"#   BASE_URL   the service (default {base}){serve_hint}",
        "#   HOOK_URL   its provider-state hook (default $BASE_URL/_orderproof/provider-states)",
        "#   SALT       seed of the fresh identities (default: random, so a replay never collides with the last)",
        *env_lines,
        "set -euo pipefail",
        'HERE="$(cd "$(dirname "$0")" && pwd)"',
        f'STEPS="$HERE/{rule}"',
        f'export BASE_URL="${{BASE_URL:-{base}}}"',
        'export HOOK_URL="${HOOK_URL:-' + (hook_url if hook_url and not hook_url.startswith(base) else
                                           "$BASE_URL/_orderproof/provider-states") + '}"',
        'WORK="${WORK:-$(mktemp -d)}"',
        'mkdir -p "$WORK" || exit 2',
        'SALT="${SALT:-$(python3 -c "import random; print(random.randrange(2**31))")}"',
        'echo "$SALT" > "$WORK/salt"',
        'date +%s > "$WORK/now"   # one clock reading for every step (a repeated request stays the same)',
        'step() { python3 "$HERE/fill.py" "$STEPS" "$WORK" "$1" || exit 2; }',
        'show() { printf "%s -> HTTP %s\\n" "$2" "$(cat "$WORK/$1.status")"; }',
        "",
    ]
    groups: dict[Any, list[dict[str, Any]]] = {}
    for step in scenario["steps"]:
        tag = step.get("tag")
        key = tag["group"] if isinstance(tag, dict) and "group" in tag else None
        if key is not None:
            groups.setdefault(key, []).append(step)
    done: set[Any] = set()
    for step in scenario["steps"]:
        tag = step.get("tag")
        key = tag["group"] if isinstance(tag, dict) and "group" in tag else None
        if key is None:
            lines += [f"# {step['n']}. {step['title']}",
                      f'step {step["n"]}; curl -K "$WORK/{step["n"]}.curl" > "$WORK/{step["n"]}.status" || true; '
                      f'show {step["n"]} {shlex.quote(step["title"])}']
            continue
        if key in done:
            continue
        done.add(key)
        members = groups[key]
        lines.append(f"# {members[0]['n']}-{members[-1]['n']}. sent at the same time: "
                     + ", ".join(m["title"] for m in members))
        lines += [f"step {m['n']}" for m in members]
        lines.append(" ".join(f'(curl -K "$WORK/{m["n"]}.curl" > "$WORK/{m["n"]}.status" || true) &' for m in members)
                     + " wait")
        lines += [f"show {m['n']} {shlex.quote(m['title'])}" for m in members]
    lines += [
        "",
        "if ! command -v orderproof >/dev/null 2>&1; then",
        f'  echo "orderproof is not installed (pip install orderproof=={__version__}): the answers are in $WORK" >&2',
        "  exit 3",
        "fi",
        f'orderproof replay "$HERE/.." {rule} --answers "$WORK" --salt "$SALT"',
        "",
    ]
    return "\n".join(lines)
