"""A curl line sends exactly what the suite sent: a body that a shell or a terminal would change
(NUL bytes, invalid UTF-8, control characters) or over 2 KB goes to ``replay/<RULE>.body`` and the
curl reads it with ``--data-binary @file``; a short printable body stays inline."""

from __future__ import annotations

import shlex
from types import SimpleNamespace

import pytest

from orderproof.checks.base import Exchange
from orderproof.core import masking
from orderproof.core.results import Evidence, RuleResult, Verdict
from orderproof.engine.evidence import MAX_INLINE_BODY, evidence_of
from orderproof.report.replays import write_replays

SECRET = "s3cr3t-api-key-value"


def exchange(raw: bytes) -> Exchange:
    text = raw.decode("utf-8", errors="surrogateescape")
    return Exchange(api="bet-placement", method="POST", url="http://127.0.0.1:9/bet",
                    request_headers={"content-type": "application/json", "x-api-key": SECRET},
                    request_body=None, request_text=text, media_type="application/json", status=500,
                    response_headers={}, response_text="", request_bytes=raw)


@pytest.fixture
def ctx():
    return SimpleNamespace(secrets=masking.SecretRegistry([SECRET]))


@pytest.mark.parametrize("raw", [b'{"a": "x\x00y"}', b'{"a": "\xff\xfe"}', b'{"a": "line\x1b[2J"}',
                                 b'{"a": "' + b"x" * MAX_INLINE_BODY + b'"}'],
                         ids=["nul", "invalid-utf8", "control", "over-2kb"])
def test_a_body_curl_would_change_goes_to_a_file(ctx, raw, tmp_path):
    request, _, curl = evidence_of(ctx, exchange(raw), "BP-PAYOUT")
    assert request["body_file"] == "replay/BP-PAYOUT.body"
    assert curl.endswith("--data-binary @replay/BP-PAYOUT.body") and "x\x00y" not in curl
    assert SECRET not in curl and "x-api-key: ***" in curl

    result = RuleResult(api="bet-placement", rule_id="BP-PAYOUT", level="MUST", title="t", check="bp_payout",
                        verdict=Verdict.FAIL, reason="r",
                        evidence=Evidence(message="m", request=request, curl=curl, body_file=raw))
    write_replays([result], tmp_path, target="t", base_url=None, hook_url=None, serve_hint="")
    assert (tmp_path / "replay" / "BP-PAYOUT.body").read_bytes() == raw      # byte for byte


def test_a_short_printable_body_stays_inline(ctx):
    request, _, curl = evidence_of(ctx, exchange(b'{"stake": 0.10, "name": "\xc3\xa9t\xc3\xa9"}'), "BP-PAYOUT")
    assert "body_file" not in request
    assert shlex.split(curl)[-2:] == ["--data-binary", '{"stake": 0.10, "name": "été"}']


def test_the_body_file_masks_secrets_and_curl_sends_it_unchanged(ctx, tmp_path):
    raw = b'{"token": "' + SECRET.encode() + b'", "pad": "\x00' + b"y" * 3000 + b'"}'
    masking.registry().add(SECRET)
    request, _, curl = evidence_of(ctx, exchange(raw), "BP-X")
    result = RuleResult(api="bet-placement", rule_id="BP-X", level="MUST", title="t", check="bp_x",
                        verdict=Verdict.FAIL, reason="r",
                        evidence=Evidence(message="m", request=request, curl=curl, body_file=raw))
    write_replays([result], tmp_path, target="t", base_url=None, hook_url=None, serve_hint="")
    written = (tmp_path / "replay" / "BP-X.body").read_bytes()
    assert SECRET.encode() not in written and written == raw.replace(SECRET.encode(), b"***")
    args = shlex.split(curl)
    assert args[args.index("--data-binary") + 1] == "@replay/BP-X.body"


def test_a_failure_text_carries_no_unverified_hint():
    from orderproof.engine.evidence import failure_text

    failure = SimpleNamespace(title="API rejected schema-compliant request",
                              message="Valid data should have been accepted\nExpected: 2xx, got 400\n\nHint: The "
                                      "request body contains 1 additional property. Declare `additionalProperties: "
                                      "false` if extras are not accepted")
    text = failure_text(SimpleNamespace(exceptions=[failure]))
    assert text == "API rejected schema-compliant request: Valid data should have been accepted\nExpected: 2xx, got 400"
