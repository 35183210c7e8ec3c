"""Five services written independently of orderproof, one per API, each from its seed document alone
(and the provider-state protocol and credential table a vendor reads in the README), by developers
who had not seen the reference, the specs, the contracts or the tests. Wherever the document leaves
a point open each decided it its own way, as a vendor would: the list is beside each service in
DECISIONS.md (refusals at other statuses and in FastAPI's own body, codes of its own, other rounding,
strict types, no idempotency on the ticket APIs, ...).

They are not the reference's variations (one decision at a time, chosen by us): they are whole
services that decided every open point without us, and the tests hold that every one of them stays
CERTIFIED. A rule that would fail one of them at MUST must first show the seed sentence that
obliges it (tests/independent/test_independent.py)."""
