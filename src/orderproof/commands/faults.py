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
        return _variations(args.api)
    faults = sorted((f for f in reference.FAULTS.values() if args.api in (None, f.api)), key=lambda f: (f.api, f.name))
    if not faults:
        print(f"no faults for {args.api}")
        return 0
    width = max(len(f.name) for f in faults)
    for fault in faults:
        print(f"{fault.name:<{width}}  {fault.api:<18} breaks {', '.join(fault.rules)}")
        print(textwrap.fill(fault.description, width=100, initial_indent=" " * 4, subsequent_indent=" " * 4))
    print(f"\n{len(faults)} fault(s). Use one with: orderproof certify --fault NAME, or orderproof serve --fault NAME")
    return 0


def _variations(api: str | None) -> int:
    variations = sorted((v for v in reference.VARIATIONS.values() if api is None or api in v.apis),
                        key=lambda v: (v.apis, v.name))
    if not variations:
        print(f"no variations for {api}")
        return 0
    width = max(len(v.name) for v in variations)
    for variation in variations:
        warns = f"  warns {', '.join(variation.warns)}" if variation.warns else ""
        print(f"{variation.name:<{width}}  {', '.join(variation.apis)}{warns}")
        print(textwrap.fill(variation.description, width=100, initial_indent=" " * 4, subsequent_indent=" " * 4))
    print(f"\n{len(variations)} variation(s). Use one with: orderproof certify --variation NAME (or serve "
          "--variation NAME)")
    return 0
