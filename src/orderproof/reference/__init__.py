"""The embedded reference implementation of the five APIs: see :func:`create_app`."""

from orderproof.reference.app import create_app

__all__ = ["create_app"]
