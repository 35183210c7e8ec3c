"""One place that masks secrets for every report and log: ``***`` instead of the value.

Two ways a secret is recognised:

* by **name**: the value of a field, header or query parameter whose name is a secret name
  (``token, sessionToken, customerToken, apiKey, secret, signature, authorization, x-api-key``,
  any case, ``-``/``_`` ignored, so ``api_key`` and ``X-API-Key`` count), nested at any depth;
* by **value**: every secret value known to the run (provider-state answers, auth from a target
  config) wherever it appears, e.g. a session token echoed in a response body. Values shorter than
  :data:`MIN_SECRET_LENGTH` are only masked by name (masking ``"1"`` everywhere would ruin evidence).

Everything else stays readable: ``X-Idempotency-Key`` is evidence a vendor needs to replay a
request, so names are matched exactly, never by substring ("key" is not a secret name).
Masking is idempotent: masking masked text changes nothing.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from orderproof.core.limits import cut_body

MASK = "***"
MIN_SECRET_LENGTH = 4
SECRET_NAMES = frozenset(
    {"token", "sessiontoken", "customertoken", "apikey", "secret", "signature", "authorization", "xapikey"}
)

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "SECRET_NAMES",
    "SecretRegistry",
    "mask_values",
    "is_secret_name",
    "mask_head",
    "mask_json",
    "mask_text",
    "mask_tree",
    "registry",
    "reset_registry",
]


def is_secret_name(name: str) -> bool:
    """``X-API-Key``, ``api_key``, ``sessionToken``, ``Authorization``: yes; ``X-Idempotency-Key``: no."""
    return name.lower().replace("-", "").replace("_", "") in SECRET_NAMES


# "name": "value" / 'name': 'value' / "name": 123  (JSON text, Python reprs)
_QUOTED_FIELD = re.compile(
    r"""(?P<q>["'])(?P<name>[A-Za-z_][\w-]*)(?P=q)(?P<sep>\s*:\s*)"""
    r"""(?P<value>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|-?\d[\w.+-]*)"""
)
# Name: value  as a header line (start of line, after curl -v markers) or inside a quoted curl -H
# argument; prose such as "a bad signature: 403" in the middle of a sentence is left alone.
_HEADER = re.compile(
    r"""(?P<lead>^[ \t>*<-]*|['"])(?P<name>[A-Za-z][\w-]*)(?P<sep>[ \t]*:[ \t]*)(?P<value>[^\r\n'"]+)""",
    re.MULTILINE,
)
# ?name=value&... in URLs (and form bodies)
_QUERY = re.compile(r"""(?P<lead>[?&;]|^)(?P<name>[A-Za-z_][\w.-]*)=(?P<value>[^&#\s'"]*)""", re.MULTILINE)
# scheme://user:password@host
_USERINFO = re.compile(r"(?P<lead>(?<![\w+.-])[A-Za-z][\w+.-]*://)[^/\s:@'\"]+:[^/\s@'\"]+@")
_AUTH_SCHEME = re.compile(r"^(Bearer|Basic|Token|Digest|HMAC)\s+", re.IGNORECASE)


def _mask_quoted_field(match: re.Match[str]) -> str:
    if not is_secret_name(match["name"]):
        return match[0]
    value = match["value"]
    quote_char = value[0] if value[0] in "\"'" else '"'
    return f"{match['q']}{match['name']}{match['q']}{match['sep']}{quote_char}{MASK}{quote_char}"


def _mask_header(match: re.Match[str]) -> str:
    if not is_secret_name(match["name"]):
        return match[0]
    value = match["value"]
    scheme = _AUTH_SCHEME.match(value)
    masked = f"{scheme[1]} {MASK}" if scheme else MASK
    trailing = value[len(value.rstrip()):]
    return f"{match['lead']}{match['name']}{match['sep']}{masked}{trailing}"


def _mask_query(match: re.Match[str]) -> str:
    if not is_secret_name(match["name"]) or not match["value"]:
        return match[0]
    return f"{match['lead']}{match['name']}={MASK}"


def _value_forms(secrets: Iterable[Any]) -> tuple[str, ...]:
    """Every maskable secret value and its URL-encoded form, longest first (so a secret that contains
    another is replaced whole). A run masks hundreds of texts with the same secrets: the forms of
    one set of secrets are made once."""
    return _forms_of(secrets if isinstance(secrets, frozenset) else frozenset(
        secret for secret in secrets if secret is not None and not isinstance(secret, bool)))


@lru_cache(maxsize=16)
def _forms_of(secrets: frozenset[Any]) -> tuple[str, ...]:
    forms: set[str] = set()
    for secret in secrets:
        if secret is None or isinstance(secret, bool):
            continue
        text = str(secret)
        if len(text) < MIN_SECRET_LENGTH or text in MASK:
            continue
        forms.add(text)
        forms.add(quote(text, safe=""))
    return tuple(sorted(forms, key=len, reverse=True))


def mask_text(text: str, secrets: Iterable[Any] | None = None) -> str:
    """Mask ``text`` by name (JSON fields, header lines, ``curl -H`` arguments, query parameters)
    and URL credentials (``user:password@``), and by value (``secrets``; ``None`` means the values known to the run's :func:`registry`)."""
    if not text:
        return text
    if secrets is None:
        secrets = registry().values()
    for value in _value_forms(secrets):
        text = text.replace(value, MASK)
    text = _QUOTED_FIELD.sub(_mask_quoted_field, text)
    text = _HEADER.sub(_mask_header, text)
    text = _USERINFO.sub(rf"\g<lead>{MASK}@", text)
    return _QUERY.sub(_mask_query, text)


def mask_head(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text``, masked before they are cut (``...`` when it is
    longer; :func:`orderproof.core.limits.cut_body`)."""
    return cut_body(text, mask_text, limit, note=False) or ""


def mask_values(obj: Any, secrets: Iterable[Any] | None = None) -> Any:
    """A copy of a JSON-like value with every known secret *value* masked wherever it stands, and no
    masking by name: for files in which the secrets were already replaced by placeholders."""
    forms = _value_forms(registry().values() if secrets is None else secrets)
    if isinstance(obj, dict):
        return {key: mask_values(item, forms) for key, item in obj.items()}
    if isinstance(obj, list):
        return [mask_values(item, forms) for item in obj]
    if isinstance(obj, str):
        for form in forms:
            obj = obj.replace(form, MASK)
        return obj
    return obj


def mask_json(obj: Any, secrets: Iterable[Any] | None = None) -> Any:
    """A masked copy of a JSON-like value: secret-named fields (nested, in lists too) become ``***``,
    strings are masked as text, numbers equal to a known secret become ``***``."""
    if secrets is None:
        secrets = registry().values()
    forms = _value_forms(secrets)
    return _mask_json(obj, forms)


def _mask_json(obj: Any, forms: list[str]) -> Any:
    if isinstance(obj, dict):
        return {
            key: (MASK if obj_value is not None else None)
            if isinstance(key, str) and is_secret_name(key)
            else _mask_json(obj_value, forms)
            for key, obj_value in obj.items()
        }
    if isinstance(obj, (list, tuple)):
        return [_mask_json(item, forms) for item in obj]
    if isinstance(obj, str):
        return mask_text(obj, forms)
    if isinstance(obj, (int, float)) and not isinstance(obj, bool) and str(obj) in forms:
        return MASK
    return obj


def mask_tree(directory: Path, secrets: Iterable[Any] | None = None) -> list[Path]:
    """Last line of defence: re-mask every text file under ``directory`` (or that one file) in place.

    Reports are written through :func:`mask_text`/:func:`mask_json` already; this pass catches a
    secret that reached a report some other way (a captured log line, a library's own output).
    Binary files (not UTF-8) are skipped. Returns the files that had to be changed.
    """
    if secrets is None:
        secrets = registry().values()
    forms = _value_forms(secrets)
    changed = []
    root = Path(directory)
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        masked = mask_text(text, forms)
        if masked != text:
            path.write_text(masked, encoding="utf-8")
            changed.append(path)
    return changed


class SecretRegistry:
    """The secret values learned during a run (thread-safe): provider-state answers, config auth."""

    def __init__(self, values: Iterable[Any] = ()):
        self._lock = threading.Lock()
        self._values: set[str] = set()
        for value in values:
            self.add(value)

    def add(self, value: Any) -> None:
        """Remember one secret value (``None`` and empty values are ignored)."""
        if value is None or isinstance(value, bool) or isinstance(value, (dict, list, tuple)):
            return
        text = str(value)
        if text and text != MASK:
            with self._lock:
                self._values.add(text)

    def learn(self, obj: Any) -> None:
        """Remember the values of every secret-named field in a JSON-like value (e.g. a provider-state
        answer: ``sessionToken``, ``apiKey``, ``operator.secret``), at any depth."""
        if isinstance(obj, dict):
            for key, value in obj.items():
                if isinstance(key, str) and is_secret_name(key) and not isinstance(value, (dict, list)):
                    self.add(value)
                else:
                    self.learn(value)
        elif isinstance(obj, (list, tuple)):
            for item in obj:
                self.learn(item)

    def values(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._values)

    def __contains__(self, value: object) -> bool:
        with self._lock:
            return str(value) in self._values

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def mask_text(self, text: str) -> str:
        return mask_text(text, self.values())

    def mask_json(self, obj: Any) -> Any:
        return mask_json(obj, self.values())

    def mask_tree(self, directory: Path) -> list[Path]:
        return mask_tree(directory, self.values())


_registry = SecretRegistry()
_registry_lock = threading.Lock()


def registry() -> SecretRegistry:
    """The current run's registry (one per process; :func:`reset_registry` starts a new run's)."""
    return _registry


def reset_registry() -> SecretRegistry:
    """Start a run with an empty registry and return it (``run_conformance`` and ``certify`` call it)."""
    global _registry
    with _registry_lock:
        _registry = SecretRegistry()
        return _registry
