"""Run as a script: the cases the shared passes of every API send for one seed, in order, as one
sha256 (the generated bodies, before the adapter fills in identities, which are fresh per run)."""

from __future__ import annotations

import hashlib
import json
import sys

from orderproof.core.options import RunOptions
from orderproof.engine import responses
from orderproof.engine.context import build_context, rule_kind
from orderproof.engine.runner import verify


def main(seed: int) -> None:
    sent: list[str] = []
    original = responses.send_case

    def recording(ctx, slug, case, *args, **kwargs):
        sent.append(json.dumps([slug, case.body, case.media_type, sorted((case.headers or {}).items())],
                               default=lambda value: type(value).__name__))   # NotSet: no body
        return original(ctx, slug, case, *args, **kwargs)

    responses.send_case = recording
    context = build_context(RunOptions(profile="quick", seed=seed))
    try:
        for rule in context.ordered_rules():
            if rule_kind(rule) != "flow":
                verify(context, rule)
    finally:
        context.close()
    if len(sys.argv) > 2:
        print("\n".join(sent))
    print(len(sent), hashlib.sha256("\n".join(sent).encode()).hexdigest())


if __name__ == "__main__":
    main(int(sys.argv[1]))
