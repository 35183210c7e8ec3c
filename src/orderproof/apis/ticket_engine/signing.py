"""Request signature of the ticket engine (jackpot-ticket and superbet-reserve).

The provider signs every request with the operator's secret: lower-case hex HMAC-SHA256 over the
``timestamp`` header followed by the raw request body with every space character removed. The
reference verifies it; the suite computes it to send correctly signed requests.
"""

from __future__ import annotations

import hashlib
import hmac


def signed_message(timestamp: str | int, body: bytes | str) -> bytes:
    """The bytes that are signed: ``str(timestamp)`` followed by the body without spaces."""
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    return str(timestamp).encode("ascii") + raw.replace(b" ", b"")


def ticket_signature(secret: str, timestamp: str | int, body: bytes | str) -> str:
    """Lower-case hex HMAC-SHA256 of :func:`signed_message` keyed by the operator's secret."""
    return hmac.new(secret.encode("utf-8"), signed_message(timestamp, body), hashlib.sha256).hexdigest()


def verify_ticket_signature(secret: str, timestamp: str | int, body: bytes | str, signature: str) -> bool:
    """True when ``signature`` is exactly the expected lower-case hex digest (constant time)."""
    expected = ticket_signature(secret, timestamp, body)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))
