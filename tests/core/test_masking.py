"""Secrets never reach a report unmasked; the idempotency key and other evidence stay readable."""

from __future__ import annotations

import json
import threading
import time

import pytest

from orderproof.core import masking
from orderproof.core.limits import MAX_BODY_CHARS, cut_body
from orderproof.core.masking import (
    MASK,
    SecretRegistry,
    is_secret_name,
    mask_json,
    mask_text,
    mask_tree,
)

TOKEN = "tok_9f8e7d6c5b4a"
API_KEY = "k3y-0123456789abcdef"
IDEMPOTENCY = "6f1c2f9e-3a2b-4c5d-8e9f-0a1b2c3d4e5f"


@pytest.mark.parametrize(
    ("text", "secrets", "expected"),
    [
        # JSON bodies, by name (no secret known) and nested
        ('{"customerToken": "abc123xyz", "ticketId": 7}', (), '{"customerToken": "***", "ticketId": 7}'),
        ('{"a": {"b": [{"sessionToken": "s-1"}]}}', (), '{"a": {"b": [{"sessionToken": "***"}]}}'),
        ('{"token":12345}', (), '{"token":"***"}'),
        ("{'apiKey': 'zzz'}", (), "{'apiKey': '***'}"),
        # by value, wherever it appears
        (f'{{"echo": "{TOKEN}"}}', (TOKEN,), '{"echo": "***"}'),
        (f"player {TOKEN} placed a bet", (TOKEN,), "player *** placed a bet"),
        # header lines and curl -H arguments
        ("Authorization: Bearer abc.def.ghi", (), "Authorization: Bearer ***"),
        ("authorization: Basic dXNlcjpwYXNz", (), "authorization: Basic ***"),
        (f"curl -X POST -H 'X-API-Key: {API_KEY}' http://h/bet", (), "curl -X POST -H 'X-API-Key: ***' http://h/bet"),
        ('curl -H "signature: deadbeef" -H "timestamp: 1700000000" http://h', (),
         'curl -H "signature: ***" -H "timestamp: 1700000000" http://h'),
        ("> x-api-key: abcd\n> accept: */*", (), "> x-api-key: ***\n> accept: */*"),
        # query strings
        ("http://h/bet?token=abc&userId=42", (), "http://h/bet?token=***&userId=42"),
        ("http://h/bet?api_key=abc#frag", (), "http://h/bet?api_key=***#frag"),
        ("https://user:pa55word@staging.example.test/bet", (), "https://***@staging.example.test/bet"),
        # evidence stays readable
        (f"curl -H 'X-Idempotency-Key: {IDEMPOTENCY}' http://h/bet", (),
         f"curl -H 'X-Idempotency-Key: {IDEMPOTENCY}' http://h/bet"),
        (f'{{"idempotencyKey": "{IDEMPOTENCY}", "stake": 1.5}}', (), f'{{"idempotencyKey": "{IDEMPOTENCY}", "stake": 1.5}}'),
        ("a bad signature: 403 Forbidden", (), "a bad signature: 403 Forbidden"),
        # short secrets: never masked by value, still masked by name
        ('{"userId": 1, "secret": "1"}', ("1",), '{"userId": 1, "secret": "***"}'),
        ("amount 100 for player 1", ("1", "100"), "amount 100 for player 1"),
        # URL-encoded secret value
        ("http://h/?next=a%2Fb%3Dc", ("a/b=c",), "http://h/?next=***"),
    ],
)
def test_mask_text(text, secrets, expected):
    assert mask_text(text, secrets) == expected


@pytest.mark.parametrize(
    "text",
    [
        f'{{"customerToken": "{TOKEN}", "nested": [{{"apiKey": "{API_KEY}"}}]}}',
        f"curl -H 'Authorization: Bearer {TOKEN}' -H 'X-Idempotency-Key: {IDEMPOTENCY}' http://h/bet?token={TOKEN}",
        f"{TOKEN} {API_KEY}",
    ],
)
def test_mask_text_is_idempotent(text):
    once = mask_text(text, (TOKEN, API_KEY))
    assert TOKEN not in once and API_KEY not in once
    assert mask_text(once, (TOKEN, API_KEY)) == once


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("token", True), ("sessionToken", True), ("customertoken", True), ("APIKEY", True),
        ("api_key", True), ("X-API-Key", True), ("Authorization", True), ("signature", True),
        ("secret", True), ("X-Idempotency-Key", False), ("idempotencyKey", False),
        ("ticketId", False), ("operator-name", False), ("timestamp", False),
    ],
)
def test_secret_names(name, secret):
    assert is_secret_name(name) is secret


def test_mask_json_by_name_and_value_nested():
    body = {
        "userId": "u-1",
        "sessionToken": TOKEN,
        "operator": {"name": "acme", "secret": "s3cr3t-value", "timezone_offset": "+02:00"},
        "players": [{"customerToken": "c-1", "balance": "1000.00"}, {"Token": None}],
        "headers": {"X-API-Key": API_KEY, "X-Idempotency-Key": IDEMPOTENCY},
        "message": f"token {API_KEY} rejected",
        "echo": 987654321,
    }
    masked = mask_json(body, (API_KEY, "987654321"))
    assert masked == {
        "userId": "u-1",
        "sessionToken": MASK,
        "operator": {"name": "acme", "secret": MASK, "timezone_offset": "+02:00"},
        "players": [{"customerToken": MASK, "balance": "1000.00"}, {"Token": None}],
        "headers": {"X-API-Key": MASK, "X-Idempotency-Key": IDEMPOTENCY},
        "message": f"token {MASK} rejected",
        "echo": MASK,
    }
    assert body["sessionToken"] == TOKEN, "mask_json returns a copy"
    assert mask_json(masked, (API_KEY,)) == masked


def test_mask_json_string_holding_json_is_masked_by_name():
    masked = mask_json({"body": json.dumps({"sessionToken": "abc", "stake": 2})}, ())
    assert json.loads(masked["body"]) == {"sessionToken": MASK, "stake": 2}


def test_registry_learns_from_provider_state_answers_and_masks():
    reg = SecretRegistry()
    reg.learn({
        "userId": "user-1",
        "sessionToken": TOKEN,
        "apiKey": API_KEY,
        "operator": {"name": "acme", "secret": "operator-secret"},
        "balance": "1000.00",
    })
    assert reg.values() == {TOKEN, API_KEY, "operator-secret"}
    assert reg.mask_text(f"user-1 {TOKEN} acme operator-secret") == "user-1 *** acme ***"
    assert reg.mask_json({"echo": API_KEY}) == {"echo": MASK}


def test_registry_is_thread_safe():
    reg = SecretRegistry()
    threads = [threading.Thread(target=lambda i=i: [reg.add(f"secret-{i}-{j}") for j in range(200)]) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reg) == 8 * 200


def test_module_registry_is_the_default_secret_source():
    run = masking.reset_registry()
    try:
        assert masking.registry() is run
        run.add(TOKEN)
        assert mask_text(f"saw {TOKEN}") == "saw ***"
        assert mask_json([TOKEN]) == [MASK]
    finally:
        masking.reset_registry()
    assert mask_text(f"saw {TOKEN}") == f"saw {TOKEN}"


def test_mask_tree_rewrites_text_files_and_skips_binary(tmp_path):
    (tmp_path / "allure-results").mkdir()
    leaky = tmp_path / "allure-results" / "a-attachment.txt"
    leaky.write_text(f"curl -H 'X-API-Key: {API_KEY}' -d '{{\"token\": \"{TOKEN}\"}}'")
    clean = tmp_path / "junit.xml"
    clean.write_text("<testsuite/>")
    binary = tmp_path / "allure-results" / "b.png"
    binary.write_bytes(b"\x89PNG\xff\xfe" + TOKEN.encode())
    changed = mask_tree(tmp_path, (TOKEN, API_KEY))
    assert changed == [leaky]
    assert TOKEN not in leaky.read_text() and API_KEY not in leaky.read_text()
    assert clean.read_text() == "<testsuite/>"
    assert binary.read_bytes().endswith(TOKEN.encode())


@pytest.mark.parametrize("text", ["x" * 1_000_000, "a b " * 250_000, '{"k": "' + "x" * 1_000_000 + '"}', "?a" * 200_000])
def test_masking_a_large_body_takes_linear_time(text):
    started = time.perf_counter()
    assert mask_text(text, ("abcdef",)) == text
    assert time.perf_counter() - started < 3.0


def test_mask_head_masks_a_secret_at_the_cut_and_reads_only_a_margin_of_a_huge_body():
    body = '{"userId": "u1", "sessionToken": "d45103d6e1414503abe7e16f0c2b9a11", "pad": "' + "x" * 10_000_000 + '"}'
    for limit in (20, 40, 55):
        head = masking.mask_head(body, limit)
        assert "d451" not in head and head.endswith("...") and len(head) <= limit + 3
    assert masking.mask_head('{"a": 1}', 40) == '{"a": 1}'


def test_evidence_cut_masks_a_secret_that_straddles_the_cut():
    token = "d45103d6e1414503abe7e16f0c2b9a11"
    pad = "x" * (MAX_BODY_CHARS - 40)          # the cut falls inside the token
    body = '{"pad": "' + pad + '", "sessionToken": "' + token + '", "more": "' + "y" * 100_000 + '"}'
    cut = cut_body(body, masking.mask_text)
    assert token[:8] not in cut and cut.endswith(f"[cut: {len(body)} characters in all]")
    assert token[:8] in cut_body(body)                       # unmasked, the cut keeps the token's start
