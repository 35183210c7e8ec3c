"""The embedded reference implementation of the five APIs: see :func:`create_app`.

``create_app(fault=..., variation=...)`` switches on at most one named fault (a bug the suite must
catch, ``faults.py``) and at most one named variation (another conforming behaviour the suite must
accept, ``variations.py``).
"""

from orderproof.reference.app import IMPLEMENTED, create_app
from orderproof.reference.faults import FAULTS, Fault, get_fault
from orderproof.reference.variations import VARIATIONS, Variation, get_variation

__all__ = ["FAULTS", "IMPLEMENTED", "VARIATIONS", "Fault", "Variation", "create_app", "get_fault", "get_variation"]
