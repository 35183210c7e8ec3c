"""The business-rule checks, registered by name on import (see :mod:`orderproof.checks.base`)."""

from . import atomicity, auth, echo, errors, generic, idempotency, media, money, payouts, times  # noqa: F401
from .base import CHECK_APIS, FLOW_CHECKS, RESPONSE_CHECKS

__all__ = ["CHECK_APIS", "FLOW_CHECKS", "RESPONSE_CHECKS"]
