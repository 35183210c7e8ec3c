"""Fills in one step of an orderproof replay script (copied beside the scripts as replay/fill.py).

    python3 fill.py STEPS_DIR WORK_DIR N

Reads the step template ``STEPS_DIR/N.json`` and writes ``WORK_DIR/N.body`` and ``WORK_DIR/N.curl``
(a curl config: URL, method, headers, the body file, where the answer goes). Placeholders are filled
from the answers of earlier steps (``WORK_DIR/K.answer``), the fresh identities derived from the
script's salt (``WORK_DIR/salt``), the environment and the clock; a signed request is signed again.
Standard library only: it must run wherever python3 does, without orderproof.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import random
import re
import sys
import time
import uuid
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"\{\{(?:(answer|fresh|env):([^{}]*?):([sji])|(now_ms|now|base|hook))\}\}")
SCHEMES = ("hmac-sha256-hex(timestamp + body without spaces)",)


class Missing(Exception):
    pass


def fresh_values(kinds: list[str], salt: int) -> list[Any]:
    """The scene's fresh identities in the order it issued them (the same algorithm as orderproof's)."""
    rng = random.Random(salt)
    values: list[Any] = []
    for kind in kinds:
        if kind == "uuid":
            values.append(str(uuid.UUID(int=rng.getrandbits(128), version=4)))
        else:
            values.append(rng.randrange(2**53 + 1, 2**63 - 1))
    return values


def _answer(work: Path, reference: str) -> Any:
    number, _, path = reference.partition(":")
    file = work / f"{number}.answer"
    try:
        value: Any = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Missing(f"step {number} has no JSON answer in {file}") from None
    for part in filter(None, path.split(".")):
        try:
            value = value[int(part)] if isinstance(value, list) else value[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise Missing(f"the answer of step {number} has no {path}") from None
    return value


def render(text: str, work: Path, meta: dict[str, Any], now: str) -> str:
    fresh = fresh_values(meta.get("fresh", []), int((work / "salt").read_text().strip()))

    def fill(match: re.Match[str]) -> str:
        kind, reference, form, plain = match.groups()
        if plain == "now":
            return now
        if plain == "now_ms":           # a body's own clock reading (epoch milliseconds), sent anew
            return str(int(now) * 1000)
        if plain in ("base", "hook"):
            return os.environ[plain.upper() + "_URL"].rstrip("/")
        if kind == "answer":
            value = _answer(work, reference)
        elif kind == "fresh":
            value = fresh[int(reference)]
        else:
            if reference not in os.environ:
                raise Missing(f"set {reference} ({meta.get('env', {}).get(reference, 'a secret')})")
            value = os.environ[reference]
        if form == "j":
            return json.dumps(value)
        if form == "i":                         # an id the request sends as a number, whatever the answer's type
            try:
                return str(int(value))
            except (TypeError, ValueError):
                raise Missing(f"{reference} is not an integer: {value!r}") from None
        return json.dumps(value if isinstance(value, str) else str(value))[1:-1]

    return PLACEHOLDER.sub(fill, text)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main(steps_dir: str, work_dir: str, number: str) -> int:
    steps, work = Path(steps_dir), Path(work_dir)
    meta = json.loads((steps / "meta.json").read_text(encoding="utf-8"))
    step = json.loads((steps / f"{number}.json").read_text(encoding="utf-8"))
    now = str(int(work.joinpath("now").read_text().strip()) if work.joinpath("now").is_file() else int(time.time()))
    try:
        if step.get("body_base64") is not None:
            body = base64.b64decode(step["body_base64"])
        elif step.get("body") is not None:
            body = render(step["body"], work, meta, now).encode("utf-8")
        else:
            body = None
        headers = {name: render(value, work, meta, now) for name, value in step.get("headers", {}).items()}
        sign = step.get("sign")
        if sign:
            if sign["scheme"] not in SCHEMES:
                raise Missing(f"this fill.py cannot sign with {sign['scheme']!r}")
            key = render(sign["key"], work, meta, now)
            headers[sign["timestamp_header"]] = now
            message = now.encode("ascii") + (body or b"").replace(b" ", b"")
            digest = hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()
            headers[sign["header"]] = digest.upper() if sign.get("form") == "upper-case hex" else digest
        url = render(step["url"], work, meta, now)
    except Missing as exc:
        print(f"step {number}: {exc}", file=sys.stderr)
        return 2
    lines = [f"url = {_quoted(url)}", f"request = {_quoted(step['method'])}", "silent", "show-error",
             "max-time = 30", f"output = {_quoted(str(work / f'{number}.answer'))}",
             f"dump-header = {_quoted(str(work / f'{number}.headers'))}", 'write-out = "%{http_code}"',
             f'header = {_quoted("User-Agent: orderproof-replay-script")}']
    lines += [f"header = {_quoted(f'{name}: {value}')}" for name, value in headers.items()]
    if body is not None:
        (work / f"{number}.body").write_bytes(body)
        lines.append(f"data-binary = {_quoted('@' + str(work / f'{number}.body'))}")
    (work / f"{number}.curl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
