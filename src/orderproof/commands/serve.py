"""``orderproof serve``: run the embedded reference implementation on a local port.

The reference is the suite's default target and a model implementation to read; serving it lets a
developer call the five APIs by hand or point another tool at it. It listens on loopback unless
``--allow-remote`` is given: its provider-state hook hands out credentials to anyone who asks.
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn
from starlette.testclient import TestClient

from orderproof import reference, registry
from orderproof.core.errors import UsageError
from orderproof.core.paths import PROVIDER_STATES_PATH
from orderproof.reference import IMPLEMENTED

NAME = "serve"
_NOT_CREDENTIALS = {"balance", "currency", "min_stake", "max_stake"}
HELP = "Run the embedded reference implementation (all five APIs) on a local port."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument("--db", type=Path, metavar="PATH",
                        help="SQLite database file to use (default: a temporary file removed at exit)")
    parser.add_argument("--fault", metavar="NAME",
                        help="switch on one named bug (`orderproof faults` lists them)")
    parser.add_argument("--variation", metavar="NAME",
                        help="switch on one named correct variation (`orderproof faults --variations` lists them)")
    parser.add_argument("--no-provider-states", action="store_true",
                        help=f"disable the provider-state test hook ({PROVIDER_STATES_PATH} answers 404)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow a --host that is not a loopback address (the test hook reveals credentials)")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --port") from None


def run(args: argparse.Namespace) -> int:
    if not is_loopback(args.host) and not args.allow_remote:
        raise UsageError(
            f"refusing to listen on {args.host!r}, which is not a loopback address: the provider-state hook "
            "hands out credentials. Use --host 127.0.0.1, or add --allow-remote if you mean it"
        )
    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be between 1 and 65535, got {args.port}")
    if args.db is not None and not args.db.parent.is_dir():
        raise UsageError(f"--db {args.db}: the directory {args.db.parent} does not exist")
    try:
        app = reference.create_app(
            fault=args.fault,
            variation=args.variation,
            db_path=str(args.db) if args.db else None,
            provider_states=not args.no_provider_states,
        )
    except ValueError as exc:   # an unknown fault: the message lists the known ones
        raise UsageError(str(exc)) from None
    _check_port_free(args.host, args.port)

    host = f"[{args.host}]" if ":" in args.host else args.host
    base = f"http://{host}:{args.port}"
    switched = "".join(f" with {kind} {name}" for kind, name in (("fault", args.fault), ("variation", args.variation))
                       if name)
    print(f"orderproof reference listening on {base}{switched}")
    for api in map(registry.get, IMPLEMENTED):
        print(f"  {api.slug:<18} {api.method} {base}{api.path}")
    if args.no_provider_states:
        print(f"  X-API-Key: {app.state.api_key}")
        print("  provider-state hook disabled: no player, session or operator can be created", file=sys.stderr)
    else:
        print(f"  {'provider states':<18} POST {base}{PROVIDER_STATES_PATH}")
        print(_first_player(app))
    sys.stdout.flush()
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_level="warning")
    return 0


def _first_player(app: Any) -> str:
    """A player made through the app's own hook before it listens: the test credentials a caller
    needs (the hook makes more; they are random for every serve)."""
    answer = TestClient(app).post(PROVIDER_STATES_PATH, json={"state": "a player exists"}).json()
    operator = answer.get("operator") or {}
    rows = [(name, value) for name, value in answer.items()
            if isinstance(value, (str, int)) and not isinstance(value, bool) and name not in _NOT_CREDENTIALS]
    rows += [("operator (operator-name header)", operator.get("name")), ("operator secret (signs requests)",
                                                                          operator.get("secret"))]
    lines = ["A player to call it with (test credentials of this reference only; "
             f"balance {answer.get('balance')} {answer.get('currency')}):"]
    lines += [f"  {label:<34} {value}" for label, value in rows if value is not None]
    lines.append("More players, events, snapshots: POST the provider-state hook, e.g. "
                 "-d '{\"state\": \"a player exists\"}'")
    return "\n".join(lines)
