"""Ten services written independently of orderproof, two per API (``first/`` and ``second/``), each
from its seed document alone (and the provider-state protocol and credential table a vendor reads in
the README), by developers who had not seen the reference, the specs, the contracts or the tests.
Wherever the document leaves a point open each decided it its own way, as a vendor would, and the
second developer of each API, given the first one's DECISIONS.md (and nothing else of theirs), decided
it otherwise wherever a legitimate other option exists: the list is beside each service in
DECISIONS.md (refusals at HTTP 200 or 4xx, in FastAPI's own body or one of its own, codes of its own,
strict or lenient types, other rounding, relative or absolute odds tolerance, no idempotency on the
ticket APIs, ...).

They are not the reference's variations (one decision at a time, chosen by us): they are whole
services that decided every open point without us, and the tests hold that every one of them stays
CERTIFIED. A rule that would fail one of them at MUST must first show the seed sentence that
obliges it (tests/independent/test_independent.py). Where a first certification failed a second
service at MUST, the failure was a defect the seed names (a 500 for a huge number; another user's
session token answered INVALID_USER): its DECISIONS.md ends with what was changed, and why.

The other way round, ``bugs.yaml`` holds 23 bugs that developers who had not seen the suite seeded
into these services, each breaking a sentence, table row or sample of its seed: the tests apply each
bug's edits to its service and hold that the suite fails the rules the bug breaks. Seeded bugs it
did not catch at first (a price cut to two decimals before the payout, a slip spending exactly the
balance refused) made the checks they escaped stricter (BP-PAYOUT, BP-FUNDS)."""
