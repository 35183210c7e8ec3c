"""Where orderproof's own data files are, and one YAML loader for every spec and contract."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

__all__ = ["INLINE_EXTENSION", "PROVIDER_STATES_PATH", "PROVIDER_STATES_SPEC", "SCHEMAS_DIR", "cache_dir", "load_yaml"]

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


def cache_dir() -> Path:
    """Where orderproof keeps caches (never the user's working directory): ``$ORDERPROOF_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/orderproof``, else ``~/.cache/orderproof``."""
    if os.environ.get("ORDERPROOF_CACHE_DIR"):
        return Path(os.environ["ORDERPROOF_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "orderproof"
