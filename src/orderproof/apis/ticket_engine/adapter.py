"""What jackpot-ticket and superbet-reserve tell the engine alike: signed requests, the operator a
player belongs to, the engine's answers, the operator's timezone beside each exchange."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

from orderproof.adapter import ApiAdapter, Draw
from orderproof.checks.base import Exchange, NotVerified
from orderproof.checks.bodies import identifier
from orderproof.checks.outcomes import Outcome

from . import answers
from .signing import FORMS, ticket_signature

# The sources the superbet page's samples send ("mobile", "desktop"): the pages list no values ("Ticket
# source (see Fields)", a page not given), and a service may take those alone.
SOURCES = ("desktop", "mobile")


class TicketEngineAdapter(ApiAdapter):
    # The signature and its timestamp authenticate; operator-name only names the operator (the body
    # names it too), so a signed request without it does not lack credentials. Neither seed states
    # the scheme (no header names; the recipe is DOMAIN.md's): a credential-only defect is not
    # "clearly invalid" for <P>-NEGATIVE, and <P>-AUTH is a SHOULD.
    credential_headers = frozenset({"timestamp", "signature"})
    credentials_stated = False
    error_body_stated = True   # the page gives its 400 bodies ({code, message}); else any code anywhere
    response_media_type_stated = False   # neither page names a media type: JSON samples, no Content-Type
    auth_keys = ("operator", "secret")
    secret_auth_keys = ("secret",)
    snapshot_keys = ("tickets",)
    cents_fields = (("price",),)   # "Ticket price. Should be in integer format (cents)." (both pages)
    script_signature = {"header": "signature", "timestamp_header": "timestamp",
                        "scheme": "hmac-sha256-hex(timestamp + body without spaces)"}

    signature_forms = FORMS

    def sign(self, secret: str, timestamp: str, body: bytes, form: str = FORMS[0]) -> str:
        return ticket_signature(secret, timestamp, body, form)

    def operator(self, scene: Any, player: Mapping[str, Any] | None) -> tuple[str, str]:
        """The operator that signs for ``player``: the player's own (the provider state says which
        operator it belongs to, with its secret), else the target file's."""
        operator = (player or {}).get("operator") or {}
        if isinstance(operator, Mapping) and operator.get("name") and operator.get("secret"):
            return operator["name"], operator["secret"]
        configured = scene.target.apis.get(self.slug)
        auth = configured.auth if configured else {}
        if auth.get("operator") and auth.get("secret"):
            return auth["operator"], auth["secret"]
        raise NotVerified("no operator secret: the target file gives no operator/secret and the "
                          "provider state did not reveal one")

    def common_fields(self, body: dict[str, Any], scene: Any, player: Mapping[str, Any],
                      draw: Draw) -> dict[str, Any]:
        """What every ticket carries: the operator and token of the player, a price of up to 50.00 (the
        samples' 20.00: a service may hold a maximum), the player's currency, a source of the samples,
        an affiliate tag of the samples' kind (a request of a situation carries no other defect than
        the situation's own)."""
        operator, _ = self.operator(scene, player)
        currency = player.get("currency")
        fields = {"operator": operator, "token": player["token"],
                  "price": draw(st.integers(100, 5_000), "price in cents"),   # the samples': 20.00
                  "currency": currency if isinstance(currency, str) and currency else "EUR",
                  "source": draw(st.sampled_from(SOURCES), "source")}
        if body.get("atag") is not None and not identifier(body["atag"]):   # the samples' affiliate-1, atag_value
            fields["atag"] = f"affiliate-{scene.big_id() % 1000}"
        return fields

    def auth_headers(self, body: bytes | None, scene: Any, player: Mapping[str, Any] | None,
                     auth: str = "valid") -> dict[str, str]:
        if auth == "none":
            return {}
        operator, secret = self.operator(scene, player)
        timestamp = str(int(time.time()))
        headers = {"operator-name": operator, "timestamp": timestamp}
        form = scene.target.signature_forms.get(self.slug, FORMS[0])
        headers["signature"] = ticket_signature(secret if auth == "valid" else secret + "-wrong", timestamp,
                                                body or b"", form)
        return headers

    def annotate(self, exchange: Exchange, scene: Any, player: Mapping[str, Any] | None) -> None:
        operator = (player or {}).get("operator")
        if isinstance(operator, Mapping) and operator.get("timezone_offset") is not None:
            exchange.extra["operator_timezone_offset"] = operator["timezone_offset"]

    def outcome(self, exchange: Exchange) -> Outcome:
        return answers.outcome(exchange, code_anywhere=not self.error_body_stated)

    def auth_problem(self, auth: Mapping[str, str]) -> str | None:
        problem = super().auth_problem(auth)
        if problem is None and bool(auth.get("operator")) != bool(auth.get("secret")):
            problem = "operator and secret go together (a request is signed by an operator with its secret)"
        return problem

    def missing_auth_material(self, auth: Mapping[str, str], players: list[Mapping[str, Any]]) -> str | None:
        if not auth.get("secret"):
            return ("the rule needs the operator's signing secret, and the target gives none (a target file's "
                    "`auth: {operator, secret}` or the provider-state hook supplies it)")
        return None
