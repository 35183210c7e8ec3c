"""A replay as steps a script can send again: every request of the replay with the values that vary
between services and runs (identities handed out by provider states, fresh ids, the time, a
signature, credentials from the target file) replaced by placeholders that ``fill.py`` (written
beside the script) fills in from the answers the script got, its salt and its environment.

Placeholders: ``{{answer:N:path:f}}`` (a value of step N's answer; ``f`` is ``s`` inside a JSON
string, ``j`` for a JSON literal, ``i`` for an integer), ``{{fresh:I:f}}`` (the I-th fresh identity of the scene, derived
from the salt), ``{{env:NAME:s}}``, ``{{now}}`` and ``{{now_ms}}`` (the script's one clock reading, in
seconds or milliseconds); URLs start with ``{{base}}`` or ``{{hook}}``.
No secret is written: what the script needs is fetched from the hook or named as a variable.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from orderproof import registry
from orderproof.checks.base import loads_exact
from orderproof.engine.context import RunContext
from orderproof.engine.flows import dumps_exact
from orderproof.engine.replay import Replay

__all__ = ["SKIPPED_HEADERS", "script_steps"]

SKIPPED_HEADERS = {"user-agent", "x-orderproof-run-id", "content-length", "accept-encoding", "connection", "accept"}
_ID_KEY = re.compile(r"(id$|Id$|ID$|^code$|_code$|token|Token|key|Key|secret|name$)")
_NUMBERED = re.compile(r"(id|Id|ID)$")       # keys whose digit strings are numbers a request may send bare
_MIN_TEXT = 4                 # shorter strings ("EUR", "1X2") are values, not identities


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _path_text(path: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in path)


def _norm(key: Any) -> str:
    """A key as names compare across APIs: ``event_id``, ``eventId`` and ``eventid`` are one name."""
    return re.sub(r"[^a-z0-9]", "", str(key).lower())


def _aliases(key: Any) -> set[str]:
    name = _norm(key)
    if not name:
        return set()
    single = name[:-1] if name.endswith("s") and not name.endswith("ss") else name
    return {name, single, name + "id", single + "id"}


_AMOUNT = re.compile(r"-?\d+\.\d+")


class _Known:
    """The values a request may carry that the script must not send literally. A value met under
    several names (an event, its market and its selection may share the number 5 in one run and not
    in the next) is templated from the answer whose key names it like the request does, else from
    the newest answer."""

    def __init__(self) -> None:
        self._text: dict[str, list[tuple[str, str]]] = {}    # literal -> [(key name, stem)], oldest first
        self._ints: dict[int, list[tuple[str, str]]] = {}

    @property
    def text(self) -> dict[str, str]:
        return {value: stems[-1][1] for value, stems in self._text.items()}

    def add_answer(self, n: int, answer: Any) -> None:
        for path, value in _leaves(answer):
            stem = f"answer:{n}:{_path_text(path)}"
            key = str(path[-1]) if path else ""
            identity = bool(_ID_KEY.search(key))
            if isinstance(value, str) and len(value) >= _MIN_TEXT and (identity or not _AMOUNT.fullmatch(value)):
                self._text.setdefault(value, []).append((_norm(key), stem))
            if isinstance(value, int) and not isinstance(value, bool) and identity:
                self._ints.setdefault(value, []).append((_norm(key), stem))
                if len(str(value)) >= _MIN_TEXT:          # the same id sent as a digit string
                    self._text.setdefault(str(value), []).append((_norm(key), stem))
            elif isinstance(value, str) and _NUMBERED.search(key) and value.isascii() and value.isdigit():
                self._ints.setdefault(int(value), []).append((_norm(key), stem))   # ... and the other way round

    def add_fresh(self, issued: list[tuple[str, Any]]) -> None:
        for index, (_kind, value) in enumerate(issued):
            stem = f"fresh:{index}"
            if isinstance(value, int):
                self._ints.setdefault(value, []).append(("", stem))
            self._text.setdefault(str(value), []).append(("", stem))

    def add_env(self, value: str, name: str) -> None:
        if value:
            self._text.setdefault(value, []).append(("", f"env:{name}"))

    @staticmethod
    def _pick(stems: list[tuple[str, str]], key: Any, loose: bool = True) -> str | None:
        """The stem an answer names like ``key`` (``eventId``/``event`` <- ``event_id``, ``bets`` <- ``bet_id``),
        else (when ``loose``) the newest."""
        wanted = _aliases(key)
        named = [stem for name, stem in stems if name in wanted]
        if named:
            return named[-1]
        return stems[-1][1] if loose else None

    def text_stem(self, value: str, key: Any = None) -> str | None:
        stems = self._text.get(value)
        return self._pick(stems, key) if stems else None

    def int_stem(self, value: int, key: Any = None) -> str | None:
        """An id-like key takes any answer's id of that value; another key only one that names it."""
        stems = self._ints.get(value)
        return self._pick(stems, key, loose=bool(_ID_KEY.search(str(key or "")))) if stems else None

    def in_text(self, text: str) -> str:
        """``text`` with every known literal of 8 characters or more replaced (inside a string)."""
        for literal in sorted((v for v in self._text if len(v) >= 8), key=len, reverse=True):
            if literal in text:
                text = text.replace(literal, "{{" + self._text[literal][-1][1] + ":s}}")
        return text


def _template_json(value: Any, known: _Known, key: Any = None) -> Any:
    """The body with placeholders: a string leaf becomes its placeholder (or has known parts replaced),
    an id-like integer leaf becomes a JSON-literal placeholder (marked so that it is written bare)."""
    if isinstance(value, dict):
        return {name: _template_json(item, known, name) for name, item in value.items()}
    if isinstance(value, list):
        return [_template_json(item, known, key) for item in value]
    if _is_time_now(value, key):
        return "{{now_ms}}" if isinstance(value, str) else _Bare("{{now_ms}}")
    if isinstance(value, str):
        stem = known.text_stem(value, key)
        if stem is None and value.isascii() and value.isdigit():
            stem = known.int_stem(int(value), key)                # an id sent as digits ("eventId": "3")
        return "{{" + stem + ":s}}" if stem is not None else known.in_text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        stem = known.int_stem(value, key)
        return _Bare("{{" + stem + ":i}}") if stem is not None else value
    return value


def _is_time_now(value: Any, key: Any) -> bool:
    """A field named for a time (``timestamp``, ``qTime``) holding epoch milliseconds within a day of
    now: the request's own clock reading, which a replay sends anew (a service may refuse a stale one)."""
    if not (isinstance(key, str) and "time" in key.lower()):
        return False
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    return isinstance(value, int) and not isinstance(value, bool) and abs(value - time.time() * 1000) < 86_400_000


class _Bare(str):
    """A placeholder that stands for a JSON literal (written without quotes)."""


def _dumps_template(value: Any) -> str:
    bare: list[str] = []

    def mark(item: Any) -> Any:
        if isinstance(item, _Bare):
            bare.append(str(item))
            return f"\u0000bare{len(bare) - 1}\u0000"
        if isinstance(item, dict):
            return {key: mark(inner) for key, inner in item.items()}
        if isinstance(item, list):
            return [mark(inner) for inner in item]
        return item

    text = dumps_exact(mark(value))
    for index, placeholder in enumerate(bare):
        text = text.replace(f'"\\u0000bare{index}\\u0000"', placeholder)
    return text


def _signature(adapter: Any, headers: Mapping[str, str], body: bytes, known: _Known,
               candidates: list[tuple[str, str]]) -> dict[str, Any] | None:
    """How the request was signed, as the script must sign it again (key as a template), or None."""
    recipe = getattr(adapter, "script_signature", None)
    if recipe is None:
        return None
    lower = {name.lower(): value for name, value in headers.items()}
    signature, timestamp = lower.get(recipe["header"]), lower.get(recipe["timestamp_header"])
    if signature is None or timestamp is None:
        return None
    for secret, template in candidates:
        for suffix in ("", "-wrong"):
            for form in adapter.signature_forms or ("lower-case hex",):
                if adapter.sign(secret + suffix, timestamp, body, form) == signature:
                    return {**recipe, "key": "{{" + template + ":s}}" + suffix, "form": form}
    return None


def script_steps(ctx: RunContext, rule_api: str, result: Replay) -> dict[str, Any]:
    """The replay's requests as script steps (templated), the scene's fresh-id kinds and the
    environment variables the script needs."""
    adapter = registry.get(rule_api)
    base, hook = ctx.target.base_url.rstrip("/"), (ctx.target.provider_states_url or "")
    known = _Known()
    env: dict[str, str] = {}
    auth = ctx.target.apis[rule_api].auth if rule_api in ctx.target.apis else {}
    secret_candidates: list[tuple[str, str]] = []
    for name, value in auth.items():
        if name in adapter.secret_auth_keys and value:
            variable = f"ORDERPROOF_{rule_api.upper().replace('-', '_')}_{name.upper()}"
            env[variable] = f"{rule_api} {name.replace('_', ' ')} (from the target file)"
            known.add_env(value, variable)
            secret_candidates.append((value, f"env:{variable}"))
    if result.scene is not None:
        known.add_fresh(result.scene.issued)
    steps = []
    now = time.time()
    for n, (tag, reply) in enumerate(result.sent, start=1):
        request = reply.request
        url = request.url or ""
        is_state = bool(hook) and url.startswith(hook)
        raw = request.body.encode("utf-8") if isinstance(request.body, str) else (request.body or b"")
        headers = {name: value for name, value in request.headers.items() if name.lower() not in SKIPPED_HEADERS}
        step: dict[str, Any] = {
            "n": n, "kind": "state" if is_state else "request", "tag": tag, "method": request.method,
            "path": _path_of(url), "url": ("{{hook}}" + url[len(hook):]) if is_state else
            ("{{base}}" + url[len(base):] if url.startswith(base) else url),
        }
        sign = None if is_state else _signature(adapter, headers, raw, known, secret_candidates)
        if sign is not None:
            headers = {k: v for k, v in headers.items()
                       if k.lower() not in (sign["header"], sign["timestamp_header"])}
            step["sign"] = sign
        step["headers"] = {name: _header_template(value, known, now) for name, value in headers.items()}
        step.update(_body_template(raw, known))
        if is_state:
            step["title"] = f"provider state {_state_name(raw)}"
        else:
            step["title"] = f"{request.method} {_path_of(url)}"
        steps.append(step)
        if is_state and reply.content:
            try:
                answer = loads_exact(reply.content)
            except ValueError:
                continue
            known.add_answer(n, answer)
            secret_candidates = [(value, stem) for value, stem in known.text.items()] + \
                [(v, t) for v, t in secret_candidates if t.startswith("env:")]
    kinds = [kind for kind, _ in (result.scene.issued if result.scene is not None else [])]
    return {"steps": steps, "fresh": kinds, "env": env}


def _path_of(url: str) -> str:
    return re.sub(r"^[a-z]+://[^/]+", "", url).split("?", 1)[0] or "/"


def _state_name(raw: bytes) -> str:
    try:
        return repr(loads_exact(raw).get("state"))
    except (ValueError, AttributeError):
        return "(unreadable)"


def _header_template(value: str, known: _Known, now: float) -> str:
    if value.isascii() and value.isdigit() and abs(int(value) - now) < 86_400:
        return "{{now}}"
    stem = known.text_stem(value)
    return "{{" + stem + ":s}}" if stem is not None else known.in_text(value)


def _body_template(raw: bytes, known: _Known) -> dict[str, Any]:
    if not raw:
        return {"body": None}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"body_base64": base64.b64encode(raw).decode("ascii")}
    if "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        return {"body_base64": base64.b64encode(raw).decode("ascii")}
    try:
        parsed = loads_exact(text)
    except ValueError:
        return {"body": known.in_text(text)}
    if isinstance(parsed, (dict, list)):
        return {"body": _dumps_template(_template_json(parsed, known))}
    if isinstance(parsed, Decimal):
        return {"body": text}
    return {"body": known.in_text(text)}
