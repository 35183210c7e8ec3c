"""The one seam between the suite and the service: a ``requests.Session``, either a real one
(keep-alive, for a URL) or :class:`~orderproof.engine.inprocess.InProcessSession` for the embedded
reference in process. Both are safe to use from several threads.

Every request carries ``User-Agent: orderproof/<version>`` and ``X-Orderproof-Run-Id``. The
transport enforces the request budget (``max_requests``), the rate limit (and backs off on 429 with
``Retry-After``, bounded) and the timeout. A timeout or a reset connection is an observation
(:attr:`Reply.error`), never a traceback.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests

from orderproof.core.version import __version__
from orderproof.engine.inprocess import InProcessSession
from orderproof.engine.target import Target

__all__ = ["BudgetExhausted", "Reply", "Transport", "Unsendable"]

MAX_RETRY_AFTER = 10.0     # seconds: the longest Retry-After the suite honours
MAX_429_RETRIES = 3


class BudgetExhausted(BaseException):
    """The request budget is spent. A ``BaseException`` so that Hypothesis stops at once instead of
    shrinking; the rule ends NOT VERIFIED "request budget exhausted"."""


class Unsendable(ValueError):
    """The request itself cannot be put on the wire (a header value HTTP cannot carry, a bad URL):
    the suite's problem, never an observation about the target."""


CLIENT_SIDE = (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL,
               requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema, UnicodeEncodeError)


@dataclass
class Reply:
    """What came back for one request: a response, or the error that replaced it."""

    request: requests.PreparedRequest
    status: int = 0
    headers: dict[str, list[str]] = field(default_factory=dict)   # lower-case names
    content: bytes = b""
    elapsed: float = 0.0
    error: str | None = None              # "timed out after 10 s", "connection reset", ...
    response: requests.Response | None = None

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")


class Transport:
    def __init__(self, target: Target, *, run_id: str, max_requests: int | None = None,
                 rate_limit: float | None = None, request_timeout: float = 10.0):
        self.target = target
        self.run_id = run_id
        self.max_requests = max_requests
        self.rate_limit = rate_limit
        self.timeout = request_timeout
        self.sent = 0
        self._lock = threading.Lock()
        self._next_slot = 0.0
        self._recording: list[tuple[Any, Reply]] | None = None
        if target.app is not None:
            self.session: requests.Session = InProcessSession(target.app)
        else:
            self.session = requests.Session()
            adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=16)
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)
        if target.embedded:
            # the embedded reference never sits behind a proxy: skip requests' proxy lookup in the
            # environment on every request (about 1 ms each)
            self.session.trust_env = False

    @property
    def headers(self) -> dict[str, str]:
        return {"User-Agent": f"orderproof/{__version__}", "X-Orderproof-Run-Id": self.run_id}

    def close(self) -> None:
        self.session.close()

    @property
    def exhausted(self) -> bool:
        return self.max_requests is not None and self.sent >= self.max_requests

    def _take(self) -> None:
        with self._lock:
            if self.max_requests is not None and self.sent >= self.max_requests:
                raise BudgetExhausted(f"request budget exhausted ({self.max_requests} requests)")
            self.sent += 1
            if self.rate_limit:
                now = time.monotonic()
                slot = max(now, self._next_slot)
                self._next_slot = slot + 1.0 / self.rate_limit
                delay = slot - now
            else:
                delay = 0.0
        if delay > 0:
            time.sleep(delay)

    def build(self, method: str, url: str, *, headers: dict[str, str] | None = None,
              content: bytes | None = None, params: Any = None) -> requests.PreparedRequest:
        merged = {**self.headers, **(headers or {})}
        return requests.Request(method, url, headers=merged, data=content, params=params).prepare()

    @contextmanager
    def recording(self) -> Iterator[list[tuple[Any, Reply]]]:
        """Every (tag, reply) sent while the block runs, in the order the answers came."""
        self._recording = log = []
        try:
            yield log
        finally:
            self._recording = None

    def send(self, prepared: requests.PreparedRequest, tag: Any = None) -> Reply:
        """Send one prepared request; 429 is retried after ``Retry-After`` (bounded). ``tag`` marks
        it in a recording (e.g. its place among requests sent at the same time)."""
        reply = self._send_retrying(prepared)
        log = self._recording
        if log is not None:
            with self._lock:
                log.append((tag, reply))
        return reply

    def _send_retrying(self, prepared: requests.PreparedRequest) -> Reply:
        for attempt in range(MAX_429_RETRIES + 1):
            reply = self._send_once(prepared)
            if reply.status != 429 or attempt == MAX_429_RETRIES:
                return reply
            retry_after = (reply.headers.get("retry-after") or ["1"])[0]
            try:
                wait = float(retry_after)
            except ValueError:
                wait = 1.0
            time.sleep(min(max(wait, 0.0), MAX_RETRY_AFTER))
        return reply

    def _send_once(self, prepared: requests.PreparedRequest) -> Reply:
        self._take()
        started = time.perf_counter()
        try:
            response = self.session.send(prepared, timeout=self.timeout, allow_redirects=False)
            content = response.content
        except requests.exceptions.Timeout:
            return Reply(prepared, error=f"no answer within {self.timeout:g} s (timeout)",
                         elapsed=time.perf_counter() - started)
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:   # reset mid-body
            text = str(exc).lower()
            what = "connection reset" if "reset" in text or "aborted" in text else "connection failed"
            return Reply(prepared, error=what, elapsed=time.perf_counter() - started)
        except CLIENT_SIDE as exc:
            raise Unsendable(f"{exc.__class__.__name__}: {exc}") from None
        except (requests.exceptions.RequestException, UnicodeError, ValueError) as exc:
            return Reply(prepared, error=f"request could not be sent: {exc.__class__.__name__}: {exc}",
                         elapsed=time.perf_counter() - started)
        raw = response.raw
        if raw is not None and hasattr(raw.headers, "getlist"):
            headers = {name.lower(): raw.headers.getlist(name) for name in raw.headers}
        else:
            headers = {name.lower(): [value] for name, value in response.headers.items()}
        return Reply(prepared, status=response.status_code, headers=headers, content=content,
                     elapsed=time.perf_counter() - started, response=response)

    def post_json(self, url: str, payload: Any, headers: dict[str, str] | None = None) -> Reply:
        body = json.dumps(payload).encode()
        return self.send(self.build("POST", url, headers={"Content-Type": "application/json", **(headers or {})},
                                    content=body))
