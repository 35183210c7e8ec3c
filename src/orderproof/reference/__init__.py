"""The embedded reference implementation of the five APIs: see :func:`create_app`.

``create_app(fault=..., variation=...)`` switches on at most one named fault (a bug the suite must
catch, ``faults.py``) and at most one named variation (another conforming behaviour the suite must
accept, ``variations.py``).

The app, the faults and the variations are imported on first use (FastAPI and the five APIs take
about 0.3 s to import): the CLI's start, a run against a URL target and ``replay`` never pay for
them. This is the one import made inside a function (tests/test_architecture.py allows it here).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["FAULTS", "IMPLEMENTED", "VARIATIONS", "Fault", "Variation", "create_app", "get_fault", "get_variation"]

# The APIs the reference implements (by slug), in the registry's order.
IMPLEMENTED = ("sportsbook-order", "jackpot-ticket", "travel-order", "superbet-reserve", "bet-placement")

_MODULE_OF = {"create_app": "app", "FAULTS": "faults", "Fault": "faults", "get_fault": "faults",
              "VARIATIONS": "variations", "Variation": "variations", "get_variation": "variations"}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
