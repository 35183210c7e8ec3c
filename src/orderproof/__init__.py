"""orderproof: contract-testing and conformance suite for order and bet-placement APIs."""

__version__ = "0.1.0"

__all__ = ["__version__"]
