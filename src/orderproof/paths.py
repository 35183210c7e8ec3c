"""Where the data files (openapi/, contracts/) live: the repository in a checkout or an editable
install, ``orderproof/_data`` in an installed wheel (force-included by pyproject.toml)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_root() -> Path:
    installed = _PACKAGE / "_data"
    if (installed / "openapi").is_dir():
        return installed
    checkout = _PACKAGE.parent.parent
    if (checkout / "openapi").is_dir():
        return checkout
    raise FileNotFoundError(
        f"orderproof data files not found: looked for openapi/ in {installed} and {checkout}"
    )


def openapi_dir() -> Path:
    return data_root() / "openapi"


def contracts_dir() -> Path:
    return data_root() / "contracts"


def spec_path(slug: str) -> Path:
    return openapi_dir() / f"{slug}.yaml"


def contract_path(slug: str) -> Path:
    return contracts_dir() / f"{slug}.yaml"


SCHEMAS_DIR = _PACKAGE / "schemas"   # JSON Schemas of orderproof's own files (contracts, targets, certificates)


def load_yaml(source: Any) -> Any:
    """``yaml.safe_load`` with libyaml's C loader when PyYAML has it (about 7x faster on the specs)."""
    import yaml

    return yaml.load(source, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
