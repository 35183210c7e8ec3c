"""The five APIs orderproof knows: one row each, the single source of their names and paths."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Api:
    slug: str          # name used everywhere: --api, contracts/<slug>.yaml, openapi/<slug>.yaml
    seed: str          # the seed document it is transcribed from (../shared/seeds/)
    method: str
    path: str          # default path of the operation (bet-placement's is configurable per target)
    prefix: str        # rule id prefix in contracts/<slug>.yaml

    @property
    def operation(self) -> str:
        """Schemathesis-style label, e.g. ``POST /bet``."""
        return f"{self.method} {self.path}"


APIS: dict[str, Api] = {
    api.slug: api
    for api in (
        Api("sportsbook-order", "000_c220e78285a7d7fc.txt", "POST", "/order", "SO"),
        Api("jackpot-ticket", "001_8af5639306ef9f6c.txt", "POST", "/be/tickets", "JT"),
        Api("travel-order", "002_4e2407b4eee4c5f7.txt", "POST", "/api/invoice/createorder", "TO"),
        Api("superbet-reserve", "003_64f71779543a2cc8.txt", "POST", "/be/tickets/reserve", "SR"),
        Api("bet-placement", "004_f8015652c9def766.txt", "POST", "/bet", "BP"),
    )
}

PROVIDER_STATES_PATH = "/_orderproof/provider-states"


def get_api(slug: str) -> Api:
    try:
        return APIS[slug]
    except KeyError:
        known = ", ".join(APIS)
        raise KeyError(f"unknown API {slug!r}; known APIs: {known}") from None
