"""Where orderproof's own data files are, and one YAML loader for every spec and contract."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["INLINE_EXTENSION", "PROVIDER_STATES_PATH", "PROVIDER_STATES_SPEC", "SCHEMAS_DIR", "cache_dir",
           "current_spec_document", "load_yaml", "spec_document"]

PACKAGE = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = PACKAGE / "schemas"   # JSON Schemas of orderproof's own files (contracts, targets, certificates)
PROVIDER_STATES_SPEC = PACKAGE / "engine" / "provider-states.yaml"   # the test hook's protocol
PROVIDER_STATES_PATH = "/_orderproof/provider-states"                 # where a target serves it
# The ASGI scope extension by which the in-process client tells an app that every request runs on a
# thread of its own: a blocking handler may then run where it is, without a hop to a worker thread.
INLINE_EXTENSION = "orderproof.inline"


def load_yaml(source: Any) -> Any:
    """``yaml.safe_load`` with libyaml's C loader when PyYAML has it (about 7x faster on the specs)."""
    return yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@cache
def spec_document(path: Path) -> Any:
    """An OpenAPI document as parsed YAML, parsed once per process: the checks, the engine and the
    reference share it (some read it per request), so none of them may change it. ``OSError`` and
    ``yaml.YAMLError`` go to the caller."""
    return current_spec_document(Path(path))


def current_spec_document(path: Path) -> Any:
    """:func:`spec_document` as the file is now: parsed again when its modification time or size
    changed (the catalogue checks contracts against the spec a user may be editing)."""
    stat = Path(path).stat()
    return _parsed(Path(path), stat.st_mtime_ns, stat.st_size)


@cache
def _parsed(path: Path, _mtime_ns: int, _size: int) -> Any:
    return load_yaml(path.read_text(encoding="utf-8"))


def cache_dir() -> Path:
    """Where orderproof keeps caches (never the user's working directory): ``$ORDERPROOF_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/orderproof``, else ``~/.cache/orderproof``."""
    if os.environ.get("ORDERPROOF_CACHE_DIR"):
        return Path(os.environ["ORDERPROOF_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "orderproof"
