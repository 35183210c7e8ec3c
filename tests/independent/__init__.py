"""Thirty services written independently of orderproof, six per API (``first/`` to
``sixth/``), each from its seed document alone (and the provider-state protocol and credential
table a vendor reads in the README), by developers who had not seen the reference, the specs,
the contracts or the tests. Wherever the document leaves a point open each decided it its own
way, as a vendor would; the second developer of each API, given the first one's DECISIONS.md
(and nothing else of theirs), decided it otherwise wherever a legitimate other option exists,
the third, given both, took a third option or another mix, and the fourth, given all three, was
asked to be as unlike them as the seed allows (201 for a success, amounts written 1E+2, negative
failure codes, statuses such as 423 and 406, RFC 9457 bodies). The fifth, given none of the
others' decisions, wrote a Node.js program with the standard library alone
(``fifth/*/server.js``, run by ``node`` in a process of its own; their tests skip where node is
not installed): another HTTP stack, and numbers that are doubles unless the developer keeps
money and ids exact by hand. The list is beside each service in DECISIONS.md (refusals at HTTP
200 or 4xx, in FastAPI's own body or one of its own, codes of its own, strict or lenient types,
other rounding, an odds tolerance absolute, relative or in percent, no idempotency on the ticket
APIs, ...).

They are not the reference's variations (one decision at a time, chosen by us): they are whole
services that decided every open point without us, and the tests hold that every one of them stays
CERTIFIED. A rule that would fail one of them at MUST must first show the seed sentence that obliges
it (tests/independent/test_independent.py). Where a first certification failed a second service at
MUST, the service changed: a 500 for a huge number (bet-placement, jackpot) is a defect, and another
user's live session token answered 400 INVALID_USER is not the seed's reading (it looks the session
up by userId and sessionToken, and answers an invalid session 401 INVALID_SESSION; see BP-SESSION's
note). So did the fourth bet-placement service: its error header repeated a field name's control
characters and the server dropped the connection. The DECISIONS.md of those three services end with
what was changed, and why. Where a first certification failed a third service at MUST, the rule
changed: JT-ODDS-DIFF sent "within" cases that were within only if odds_diff is an absolute or
fractional deviation, and the third read it as a percentage, as the provider writes ext and wht.
The fifth developer's five Node.js services were certified at their first run (quick at seeds 3, 7
and 1, standard at 11), their only warning JT-ERROR-CODES for the jackpot service's own code 108
for an unknown event (no longer a warning since the suite reads an unknown event's bets as a
second error, which a service may answer first).
The sixth, given none of the others' decisions, wrote standalone Python programs with the standard
library alone (``sixth/*/server.py``, ``http.server`` in a process of their own), as strict as the
seed allows: unknown fields refused, exact JSON types, formats and enums enforced, duplicate ids
refused, the superbet response with exactly the sample's keys. At their first run (quick at seeds 3,
7, 1 and 11, standard at 3 and 21) the bet-placement and sportsbook services answered 500 for an
amount of 1.7976931348623157e+308 (BP-NO-5XX failed, SO-NO-5XX warned): a defect, fixed in the
services (their DECISIONS.md end with the change); nothing else but PASS.

The other way round, ``bugs.yaml`` holds 65 of 88 bugs that developers who had not seen the suite
(not the services' authors) seeded into these services, each breaking a sentence, table row or
sample of its seed (one, the provider's idempotency practice): the tests apply each bug's edits to
its service and hold that the suite fails the rules the bug breaks. The file says why the other 23
are not there. Bugs it did not catch at first made the checks they escaped stricter: a price cut to
two decimals before the payout (BP-PAYOUT), a slip spending exactly the balance refused (BP-FUNDS),
a stake of exactly max_stake refused (BP-STAKE-LIMITS), data.balance null once an order empties the
wallet (SO-BALANCE's second order spends the rest; SO-DATA judges its answer), an unknown bet or a
bet of another event among known ones, and a closed market's bet among open ones (SR-ERRORS), the
stake cut down so that the tax is rounded up, against the sample's own numbers (SR-EXCISE-AMOUNT),
odds_diff 0 refusing odds that did not move (JT-ODDS-DIFF), an operator's zone read in whole hours
(JT-TIMES: the scenes' operators are in zones such as +05:45), a superbet price with a fraction
truncated (SR-ECHO: the edge pass sends the price 1000.75), a superbet body naming another operator
than its header, signature and token, reserved (SR-ERRORS and JT-OPERATOR-HEADER send that
situation: refused with any code, 403 or 422, for the page names no check order)."""
