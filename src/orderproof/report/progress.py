"""Progress of a certify run, fed by ``RunOptions.on_event`` (payloads: docs/architecture.md).

On a terminal: one status line rewritten in place (a bar, the count, the API and rule), with a
permanent line for every rule that did not pass. Elsewhere (a pipe, a log file, ``CI=true``): one
plain line per API and per finished rule, nothing rewritten. Everything shown is masked.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
import threading
import time
from typing import Any, TextIO

from orderproof.core import masking
from orderproof.report.terminal import width_of, wrap

__all__ = ["Progress", "interactive"]

BAR_WIDTH = 24
REASON_WIDTH = 300             # a verdict's reason in the run's log, cut at a word (certificate.md has it whole)
TICK_S = 1.0                   # how often the status line's timer is redrawn during a rule
HEARTBEAT_S = 30.0             # without a status line (a log): a line this often while one rule runs on


def interactive(stream: TextIO) -> bool:
    """A live status line only on a terminal and never under CI (``CI`` set to anything but false/0)."""
    ci = os.environ.get("CI", "").strip().lower()
    if ci and ci not in {"0", "false", "no"}:
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _verdict(value: Any) -> str:
    return str(getattr(value, "value", value) or "?")


class Progress:
    """Callable as ``on_event(kind, data)``; :meth:`close` ends the status line."""

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None):
        self._own_stream = None
        if stream is None:
            stream = sys.stderr
            # The runner runs the rules under pytest, whose output capture redirects file
            # descriptor 2 while a test runs; a duplicate of the descriptor taken now still reaches
            # the user's terminal or log.
            try:
                stream = self._own_stream = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1,
                                                      encoding=sys.stderr.encoding or "utf-8", errors="replace")
            except (AttributeError, OSError, ValueError):
                pass                                          # not a real file (e.g. a test's capture)
        self.stream = stream
        self.live = interactive(self.stream) if live is None else live
        self._lock = threading.Lock()
        self._api: str | None = None
        self._status = ""
        self._started = time.monotonic()
        self._running: dict[str, Any] | None = None       # the rule last started, for the ticking timer
        self._under_way: dict[tuple[Any, Any], dict[str, Any]] = {}   # every rule started and not ended
        self.interleaved = False                          # rules of several APIs at once (certify --jobs)
        self._stop = threading.Event()
        # the timer keeps ticking during a long rule; in a log, a line says which rules still run
        self._ticker: threading.Thread | None = threading.Thread(target=self._tick, name="orderproof-progress",
                                                                 daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(TICK_S):
            with self._lock:
                if self.live:
                    if self._running is not None:
                        self._show(self._status_line(self._running))
                    continue
                now = time.monotonic()
                for data in self._under_way.values():
                    if now - data["_said"] >= HEARTBEAT_S:
                        data["_said"] = now
                        self._print(f"  {self._position(data)} {self._api_word(data)}{data.get('rule_id', '?')} "
                                    f"is still running ({now - data['_started']:.0f}s)")

    def _api_word(self, data: dict[str, Any]) -> str:
        return f"{data.get('api', '')} " if self.interleaved else ""

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        with self._lock:
            if kind == "rule-start":
                self._rule_start(data)
            elif kind == "rule-end":
                self._rule_end(data)
            elif kind == "api-notice":
                api, message = data.get("api"), data.get("message", "")
                self._print(f"{api}: {message}" if api else message)

    def _position(self, data: dict[str, Any]) -> str:
        index, total = data.get("index"), data.get("total")
        if index and total:
            return f"[{index}/{total}]"
        return f"[{index}]" if index else ""

    def _api_header(self, data: dict[str, Any]) -> None:
        api = data.get("api")
        if self.interleaved:
            return                                       # each line names its API instead
        if api and api != self._api:
            self._api = api
            self._print(f"{api}")

    def _status_line(self, data: dict[str, Any]) -> str:
        index, total = data.get("index") or 0, data.get("total") or 0
        filled = int(BAR_WIDTH * (index - 1) / total) if total else 0
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        elapsed = time.monotonic() - self._started
        return f"[{bar}] {self._position(data)} {data.get('api', '')} {data.get('rule_id', '')} {elapsed:.0f}s"

    def _rule_start(self, data: dict[str, Any]) -> None:
        self._api_header(data)
        self._running = data
        now = time.monotonic()
        self._under_way[(data.get("api"), data.get("rule_id"))] = {**data, "_started": now, "_said": now}
        if self.live:
            self._show(self._status_line(data))

    def _rule_end(self, data: dict[str, Any]) -> None:
        self._running = None
        self._under_way.pop((data.get("api"), data.get("rule_id")), None)
        self._api_header(data)
        verdict = _verdict(data.get("verdict"))
        duration = data.get("duration_s")
        took = f" ({duration:.1f}s)" if isinstance(duration, (int, float)) else ""
        line = (f"{self._position(data)} {self._api_word(data)}{data.get('rule_id', '?')} {data.get('level', '')} "
                f"{verdict}{took}")
        reason = data.get("reason")
        if verdict != "PASS" and reason:
            line += f": {textwrap.shorten(masking.mask_text(str(reason)), REASON_WIDTH, placeholder=' ...')}"
        if self.live and verdict == "PASS":
            return                                 # the status line moves on; passes are in the table
        self._print("\n".join(wrap(line, width_of(self.stream), indent="      ", first="  ")))

    def _show(self, text: str) -> None:
        width = shutil.get_terminal_size((100, 20)).columns - 1
        text = masking.mask_text(text)[:width]
        self.stream.write("\r" + text.ljust(len(self._status)))
        self.stream.flush()
        self._status = text

    def _print(self, text: str) -> None:
        text = masking.mask_text(text)
        if self.live and self._status:
            self.stream.write("\r" + " " * len(self._status) + "\r")
            self._status = ""
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
            self._ticker = None
        with self._lock:
            if self.live and self._status:
                self.stream.write("\r" + " " * len(self._status) + "\r")
                self.stream.flush()
                self._status = ""
            if self._own_stream is not None:
                self._own_stream.close()
                self._own_stream = None
                self.stream = sys.stderr
