"""Request signature of the ticket engine (jackpot-ticket and superbet-reserve).

The provider signs every request with the operator's secret: HMAC-SHA256 over the ``timestamp``
header followed by the raw request body with every space character removed, in hex (DOMAIN.md names
no letter case: the suite signs in lower case, and in upper case for a service that refuses lower,
:data:`FORMS`). The reference verifies lower-case hex; the suite computes it to send correctly signed
requests.
"""

from __future__ import annotations

import hashlib
import hmac


def signed_message(timestamp: str | int, body: bytes | str) -> bytes:
    """The bytes that are signed: ``str(timestamp)`` followed by the body without spaces."""
    raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    return str(timestamp).encode("ascii") + raw.replace(b" ", b"")


FORMS = ("lower-case hex", "upper-case hex")          # how the digest is written, the first the default


def ticket_signature(secret: str, timestamp: str | int, body: bytes | str, form: str = FORMS[0]) -> str:
    """Hex HMAC-SHA256 of :func:`signed_message` keyed by the operator's secret, in the letter case
    ``form`` names (:data:`FORMS`)."""
    digest = hmac.new(secret.encode("utf-8"), signed_message(timestamp, body), hashlib.sha256).hexdigest()
    return digest.upper() if form == "upper-case hex" else digest


def verify_ticket_signature(secret: str, timestamp: str | int, body: bytes | str, signature: str) -> bool:
    """True when ``signature`` is exactly the expected lower-case hex digest (constant time)."""
    expected = ticket_signature(secret, timestamp, body)
    return hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8", "replace"))
