"""Bounded load and crash test of the reference's bet-placement endpoint, on loopback only.

N concurrent clients place betslips with a mix of valid slips, slips with one failing bet (a stake
over the player's limit) and repeats of an earlier idempotency key, against a reference served by
``orderproof serve``. Afterwards every invariant is checked from the players' snapshots:

* every PLACED slip is stored whole (all its bets, once);
* no rejected slip has any bet stored;
* each idempotency key placed at most once, and every repeat got the first answer back;
* the sum of the ledger's debits equals the change in the balances and the stakes of the stored
  bets, and no balance is negative (each player's balance runs out part way, so some slips are
  rejected for funds).

With ``--crash`` the server is killed with SIGKILL in the middle of the load, restarted on the same
database, and the invariants are checked again: no partial slip and no acknowledged bet lost.

Everything is bounded: ``--clients`` threads, ``--slips`` per client and ``--seconds`` in all.

    python benchmarks/load.py --clients 8 --slips 50
    python benchmarks/load.py --clients 8 --slips 200 --crash
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import requests

STATES = "/_orderproof/provider-states"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """``orderproof serve`` in a subprocess on a loopback port."""

    def __init__(self, db: Path, port: int, fault: str | None = None) -> None:
        self.db, self.port, self.fault = db, port, fault
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "orderproof", "serve", "--port", str(self.port), "--db", str(self.db)]
        return command + (["--fault", self.fault] if self.fault else [])

    def start(self, timeout: float = 30.0) -> None:
        self.proc = subprocess.Popen(
            self.command(),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"orderproof serve exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"orderproof serve did not listen on port {self.port} within {timeout}s")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def state(base: str, name: str, **params) -> dict:
    answer = requests.post(base + STATES, json={"state": name, "params": params, "action": "setup"}, timeout=10)
    answer.raise_for_status()
    return answer.json()


@dataclass
class Slip:
    key: str
    body: dict
    bad: bool                       # contains a bet over the player's max stake
    answers: list[tuple[int, bytes]] = field(default_factory=list)

    @property
    def placed(self) -> bool:
        return any(status == 200 for status, _ in self.answers)


def make_slip(rng: random.Random, player: dict, max_stake: Decimal) -> tuple[dict, bool]:
    size = rng.randint(1, 4)
    bad_at = rng.randrange(size) if rng.random() < 0.3 else None
    bets = []
    for i in range(size):
        stake = max_stake + Decimal("1.00") if i == bad_at else Decimal(rng.randint(10, 500)) / 100
        bets.append({
            "betId": str(uuid.uuid4()), "sportId": "1", "sportName": "football",
            "sportDisplayName": "Football", "eventId": str(rng.randint(1, 99)), "eventName": "A v B",
            "eventDisplayName": "A v B", "eventStage": "PRE_PLAY", "competitionId": "7",
            "competitionName": "league", "competitionDisplayName": "League", "marketTypeId": "1",
            "marketId": str(rng.randint(1, 999)), "marketName": "1x2", "marketDisplayName": "Match result",
            "marketStage": "PRE_PLAY", "selectionId": str(rng.randint(1, 9999)), "selectionName": "home",
            "selectionDisplayName": "Home", "decimalPrice": float(Decimal(rng.randint(101, 1000)) / 100),
            "stake": float(stake),
        })
    body = {"requestId": str(uuid.uuid4()), "userId": player["userId"],
            "sessionToken": player["sessionToken"], "timestamp": str(int(time.time() * 1000)), "bets": bets}
    return body, bad_at is not None


@dataclass
class Figures:
    requests: int = 0
    placed: int = 0
    rejected: int = 0
    repeats: int = 0
    transport_errors: int = 0
    status_counts: dict[int, int] = field(default_factory=dict)


def client(base: str, api_key: str, player: dict, max_stake: Decimal, slips_n: int, deadline: float,
           seed: int, out: list[Slip], figures: Figures, lock: threading.Lock) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    mine: list[Slip] = []
    for _ in range(slips_n):
        if time.monotonic() > deadline:
            break
        if mine and rng.random() < 0.2:
            slip = rng.choice(mine)                     # a repeat of an earlier key, same body
            repeat = True
        else:
            body, bad = make_slip(rng, player, max_stake)
            slip = Slip(str(uuid.uuid4()), body, bad)
            mine.append(slip)
            repeat = False
        try:
            answer = session.post(base + "/bet", data=json.dumps(slip.body),
                                  headers={"Content-Type": "application/json", "X-API-Key": api_key,
                                           "X-Idempotency-Key": slip.key}, timeout=10)
        except requests.RequestException:
            with lock:
                figures.transport_errors += 1
            continue
        slip.answers.append((answer.status_code, answer.content))
        with lock:
            figures.requests += 1
            figures.repeats += repeat
            figures.status_counts[answer.status_code] = figures.status_counts.get(answer.status_code, 0) + 1
    with lock:
        out.extend(mine)


def check_invariants(base: str, players: list[dict], initial: dict[str, Decimal], slips: list[Slip],
                     crashed: bool) -> list[str]:
    problems: list[str] = []
    stored: dict[str, dict] = {}
    for player in players:
        snap = state(base, "a player snapshot", userId=player["userId"])
        balance = Decimal(str(snap["balance"]))
        debits = sum((Decimal(str(e["amount"])) for e in snap.get("ledger", [])), Decimal(0))
        if balance < 0:
            problems.append(f"player {player['userId']}: negative balance {balance}")
        if initial[player["userId"]] + debits != balance:
            problems.append(f"player {player['userId']}: ledger {debits} does not explain the balance change "
                            f"{balance - initial[player['userId']]}")
        stakes = Decimal(0)
        for bet in snap.get("bets", []):
            if bet["betId"] in stored:
                problems.append(f"bet {bet['betId']} stored twice")
            stored[bet["betId"]] = bet
            stakes += Decimal(str(bet["stake"]))
        if -debits != stakes:
            problems.append(f"player {player['userId']}: ledger debits {-debits} differ from the stored stakes {stakes}")
    for slip in slips:
        bet_ids = [b["betId"] for b in slip.body["bets"]]
        present = [b for b in bet_ids if b in stored]
        if present and len(present) != len(bet_ids):
            problems.append(f"slip {slip.key}: partial slip stored ({len(present)} of {len(bet_ids)} bets)")
        if slip.placed and len(present) != len(bet_ids):
            problems.append(f"slip {slip.key}: acknowledged PLACED but {len(bet_ids) - len(present)} bets missing")
        if slip.bad and present:
            problems.append(f"slip {slip.key}: rejected slip (stake over limit) has bets stored")
        if not crashed and any(s != 200 for s, _ in slip.answers) and present and not slip.placed:
            problems.append(f"slip {slip.key}: answered FAILURE but bets stored")
        replies = {body for status, body in slip.answers if status != 409}
        if len(replies) > 1:
            problems.append(f"slip {slip.key}: repeats got {len(replies)} different answers")
    return problems


def run(clients: int, slips: int, seconds: float, crash: bool, seed: int, fault: str | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="orderproof-load-") as tmp:
        server = Server(Path(tmp) / "reference.sqlite3", free_port(), fault)
        server.start()
        started = time.monotonic()
        try:
            max_stake = Decimal("20.00")
            balance = Decimal(slips * 2)            # about half of what the slips would stake
            players = [state(server.base, "a player exists", balance=f"{balance:.2f}", max_stake=str(max_stake))
                       for _ in range(clients)]
            api_key = players[0]["apiKey"]
            initial = {p["userId"]: Decimal(str(p["balance"])) for p in players}
            out: list[Slip] = []
            figures, lock = Figures(), threading.Lock()
            deadline = time.monotonic() + seconds
            threads = [threading.Thread(target=client, daemon=True,
                                        args=(server.base, api_key, players[i], max_stake, slips, deadline,
                                              seed + i, out, figures, lock))
                       for i in range(clients)]
            for thread in threads:
                thread.start()
            if crash:
                # Kill in the middle of the load: once half the slips are sent (or a third of the
                # time cap has passed), so that requests are in flight when the server dies.
                kill_by = time.monotonic() + seconds / 3
                while (figures.requests < clients * slips // 2 and time.monotonic() < kill_by
                       and any(thread.is_alive() for thread in threads)):
                    time.sleep(0.005)
                server.kill()
                print(f"killed the server (SIGKILL) after {figures.requests} requests")
            for thread in threads:
                thread.join(timeout=seconds + 15)
            if crash:
                server.start()
                print("restarted the server on the same database")
            elapsed = time.monotonic() - started
            problems = check_invariants(server.base, players, initial, out, crashed=crash)
        finally:
            server.stop()
    placed = sum(s.placed for s in out)
    print(f"clients={clients} slips={len(out)} requests={figures.requests} repeats={figures.repeats} "
          f"transport_errors={figures.transport_errors} placed_slips={placed} elapsed={elapsed:.1f}s "
          f"rate={figures.requests / elapsed:.0f} req/s")
    print("statuses: " + ", ".join(f"{k}={v}" for k, v in sorted(figures.status_counts.items())))
    checks = ["PLACED slips stored whole", "no rejected slip stored", "each key placed once",
              "ledger explains balances", "stakes debited", "no negative balance"]
    if problems:
        print(f"INVARIANTS BROKEN ({len(problems)}):")
        for problem in problems[:20]:
            print("  " + problem)
        return 1
    print("invariants hold: " + "; ".join(checks))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (1-32)")
    parser.add_argument("--slips", type=int, default=50, help="slips per client (at most 1000)")
    parser.add_argument("--seconds", type=float, default=30.0, help="time cap for the load (at most 300)")
    parser.add_argument("--crash", action="store_true", help="SIGKILL the server mid-load and restart it")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fault", metavar="NAME",
                        help="serve the reference with one named bug, to see the invariant checks fail")
    args = parser.parse_args(argv)
    if not (1 <= args.clients <= 32 and 1 <= args.slips <= 1000 and 0 < args.seconds <= 300):
        parser.error("bounds: 1 <= --clients <= 32, 1 <= --slips <= 1000, 0 < --seconds <= 300")
    return run(args.clients, args.slips, args.seconds, args.crash, args.seed, args.fault)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
