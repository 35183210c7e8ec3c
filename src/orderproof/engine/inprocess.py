"""The embedded reference as a ``requests`` session, called in the sending thread.

Schemathesis' ``ASGIClient`` runs the app on a portal thread and crosses to it twice per request;
measured on the reference (``benchmarks/run.py``, section ``transport``) that costs about 1 ms of a
1.5 ms request. Here each sending thread drives the app on an event loop of its own, so a request is
one function call; requests sent from several threads at once still reach the app at once (the
idempotency race needs that), and the app is told so (the ASGI scope extension
``orderproof.inline``), so that the reference runs its database work in place instead of on a worker
thread. What the app sees is what a server would give it: the request's
octets as latin-1 headers, the body in one message, the path percent-decoded.

An exception inside the app becomes the 500 a server would send, and the app's lifespan is left to
its owner (:meth:`orderproof.engine.target.Target.close`).
"""

from __future__ import annotations

import asyncio
import io
import threading
import weakref
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
import urllib3

from orderproof.core.paths import INLINE_EXTENSION

__all__ = ["InProcessSession"]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


class _ThreadLoop:
    """The event loop of one sending thread, closed when the thread ends (its thread-local goes)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.close = weakref.finalize(self, self.loop.close)


class _InThreadAdapter(requests.adapters.HTTPAdapter):
    def __init__(self, app: Any) -> None:
        super().__init__()
        self.app = app
        self._local = threading.local()

    def _loop(self) -> asyncio.AbstractEventLoop:
        held = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = _ThreadLoop()
        return held.loop

    def close(self) -> None:
        held = getattr(self._local, "held", None)
        if held is not None:
            del self._local.held
            held.close()

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        parts = urlsplit(str(request.url))
        default_port = 443 if parts.scheme == "https" else 80
        host, port = parts.hostname or "", parts.port or default_port
        headers = [(name.lower().encode("latin-1"), value.encode("latin-1"))
                   for name, value in request.headers.items()]
        if "host" not in request.headers:
            headers.insert(0, (b"host", host.encode() if port == default_port else f"{host}:{port}".encode()))
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
            "path": unquote(parts.path), "raw_path": parts.path.encode(), "root_path": "",
            "scheme": parts.scheme, "query_string": parts.query.encode(), "headers": headers,
            "client": ("127.0.0.1", 50000), "server": (host, port), "state": {},
            "extensions": {INLINE_EXTENSION: {}},   # this thread is the request's own: blocking is fine
        }
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode("utf-8")
        answer: dict[str, Any] = {"body": io.BytesIO()}
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.Event().wait()       # no disconnect while the app still works
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["headers"] = [(key.decode("latin-1"), value.decode("latin-1"))
                                     for key, value in message.get("headers", [])]
            elif message["type"] == "http.response.body" and request.method != "HEAD":
                answer["body"].write(message.get("body", b""))

        async def call() -> None:
            try:
                await self.app(scope, receive, send)
            except Exception:
                if "status" not in answer:
                    answer["status"] = 500
                    answer["headers"] = [("content-type", "text/plain; charset=utf-8")]
                    answer["body"] = io.BytesIO(b"Internal Server Error")

        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        try:
            self._loop().run_until_complete(asyncio.wait_for(call(), read_timeout))
        except asyncio.TimeoutError:
            raise requests.exceptions.ReadTimeout(
                f"Read timed out. (read timeout={read_timeout})", request=request) from None
        if "status" not in answer:
            raise requests.exceptions.ConnectionError("the app ended without an answer", request=request)
        answer["body"].seek(0)
        raw = urllib3.HTTPResponse(body=answer["body"], headers=answer["headers"], status=answer["status"],
                                   reason=_reason(answer["status"]), preload_content=False,
                                   decode_content=False, version=11)
        return self.build_response(request, raw)


class InProcessSession(requests.Session):
    """A ``requests.Session`` whose every ``http://`` and ``https://`` request goes to ``app``."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.trust_env = False                     # no proxy lookup: nothing leaves the process
        adapter = _InThreadAdapter(app)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
