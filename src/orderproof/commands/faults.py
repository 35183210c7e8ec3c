"""``orderproof faults``: the named bugs of the embedded reference, and the rules that catch them;
``--variations``: its named correct variations, which must stay certified."""

from __future__ import annotations

import argparse
import textwrap

from orderproof import reference
from orderproof.reference import IMPLEMENTED

NAME = "faults"
HELP = "List the named faults of the embedded reference: API, the rule ids each must break, what it does."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--api", choices=IMPLEMENTED, metavar="NAME",
                        help=f"only this API's faults ({', '.join(IMPLEMENTED)})")
    parser.add_argument("--variations", action="store_true",
                        help="list the named variations instead: correct behaviours the seeds permit that "
                             "differ from the reference's own choice (each must stay CERTIFIED)")


def run(args: argparse.Namespace) -> int:
    if args.variations:
        variations = sorted((v for v in reference.VARIATIONS.values() if args.api in (None, *v.apis)),
                            key=lambda v: (v.apis, v.name))
        return _listing("variation", [(v.name, ", ".join(v.apis) + (f"  warns {', '.join(v.warns)}" if v.warns else ""),
                                       v.description) for v in variations], args.api)
    faults = sorted((f for f in reference.FAULTS.values() if args.api in (None, f.api)), key=lambda f: (f.api, f.name))
    return _listing("fault", [(f.name, f"{f.api:<18} breaks {', '.join(f.rules)}", f.description) for f in faults],
                    args.api)


def _listing(kind: str, rows: list[tuple[str, str, str]], api: str | None) -> int:
    """Each (name, what it touches, description), the description wrapped under it; how to use one."""
    if not rows:
        print(f"no {kind}s for {api}")
        return 0
    width = max(len(name) for name, _, _ in rows)
    for name, head, description in rows:
        print(textwrap.fill(f"{name:<{width}}  {head}", width=100, subsequent_indent=" " * (width + 4),
                            break_on_hyphens=False))
        print(textwrap.fill(description, width=100, initial_indent=" " * 4, subsequent_indent=" " * 4))
    print(f"\n{len(rows)} {kind}(s). Use one with: orderproof certify --{kind} NAME (or serve --{kind} NAME)")
    return 0
