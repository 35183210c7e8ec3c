"""orderproof.apis.ticket_engine.signing: the ticket engine's HMAC-SHA256 request signature."""

import hashlib
import hmac

from orderproof import registry
from orderproof.apis.ticket_engine.signing import (
    signed_message,
    ticket_signature,
    verify_ticket_signature,
)

SECRET = "s3cr3t-key"
BODY = '{"operator": "site", "price": 2000}'


def test_known_answer():
    # computed independently over the literal message: timestamp + body without spaces
    expected = hmac.new(b"s3cr3t-key", b'1700000000{"operator":"site","price":2000}', hashlib.sha256).hexdigest()
    assert ticket_signature(SECRET, 1700000000, BODY) == expected
    assert ticket_signature(SECRET, "1700000000", BODY.encode()) == expected
    assert expected == expected.lower() and len(expected) == 64


def test_every_space_is_removed_but_other_whitespace_is_kept():
    assert signed_message("1", b'{ "a" : "b c" }') == b'1{"a":"bc"}'
    assert signed_message("1", b'{"a":\n"b"}') == b'1{"a":\n"b"}'
    assert ticket_signature(SECRET, 1, '{"a": 1}') == ticket_signature(SECRET, 1, '{"a":1}')
    assert ticket_signature(SECRET, 1, '{"a":\t1}') != ticket_signature(SECRET, 1, '{"a":1}')


def test_verify():
    good = ticket_signature(SECRET, 42, BODY)
    assert verify_ticket_signature(SECRET, 42, BODY, good)
    assert not verify_ticket_signature(SECRET, 43, BODY, good)
    assert not verify_ticket_signature("other", 42, BODY, good)
    assert not verify_ticket_signature(SECRET, 42, BODY, good.upper())
    assert not verify_ticket_signature(SECRET, 42, BODY, "")
    assert not verify_ticket_signature(SECRET, 42, BODY, "é" * 64)


def test_the_operator_name_header_is_not_a_credential():
    """A request signed correctly but without operator-name still carries its credentials (the body
    names the operator too); neither page states the scheme, so no credential-only case is judged
    clearly invalid."""
    adapter = registry.get("jackpot-ticket")
    assert "operator-name" not in adapter.credential_headers
    assert adapter.credential_headers == {"timestamp", "signature"} and not adapter.credentials_stated
