"""Small misbehaving HTTP servers on 127.0.0.1, one misbehaviour each, for the robustness tests.

Each server speaks just enough HTTP/1.1 over a raw socket to misbehave precisely: a plain ``GET``
(the reachability probe) gets an ordinary 404 unless the misbehaviour is meant to hit it too, and
every other request (the API operation, the provider-state hook) gets the misbehaviour.

    with hostile("reset") as base_url:
        ...   # http://127.0.0.1:<port>

``closed_port()`` gives a port nothing listens on (connection refused).
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator

__all__ = ["BEHAVIOURS", "closed_port", "hostile"]

HOOK_PATH = "/_orderproof/provider-states"
HUGE_BODY_BYTES = 10 * 1024 * 1024


def _response(status: str, body: bytes, content_type: str = "application/json",
              extra: str = "") -> bytes:
    head = (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
            f"{extra}Connection: close\r\n\r\n")
    return head.encode() + body


NOT_FOUND = _response("404 Not Found", b'{"detail": "Not Found"}')
# What a bet-placement operator answers to a request without a valid key: a documented status with
# a JSON body, so that a run against the hook servers gets past the API and reaches the hook.
FORBIDDEN = _response("403 Forbidden", json.dumps({
    "status": "FAILURE", "errorCode": "AUTHENTICATION_FAILED", "errorMessage": "Invalid API key",
}).encode())


class _Request:
    def __init__(self, method: str, path: str, headers: dict[str, str], body: bytes):
        self.method, self.path, self.headers, self.body = method, path, headers, body


def _read_request(sock: socket.socket) -> _Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
        if data.startswith(b"\x16\x03"):     # a TLS ClientHello: answer like any plain HTTP server
            sock.sendall(_response("400 Bad Request", b"plain HTTP on this port", content_type="text/plain"))
            return None
        if len(data) > 1024 * 1024:
            return None
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2:
        return None
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return _Request(parts[0], parts[1], headers, body)


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN: the peer sees "connection reset by peer"."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    sock.close()


# -- the misbehaviours: (request, socket, stop event) -> None -------------------------------------

def reset_mid_response(request: _Request, sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"
                 b'{"status": "PLACED", "bets": [')
    _reset(sock)


def hang(request: _Request, sock: socket.socket, stop: threading.Event) -> None:
    stop.wait()                          # accepts, reads, never answers


def not_json(request: _Request, sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(_response("200 OK", b"<html><body>Bet placed, thank you!</body></html>"))


def huge_body(request: _Request, sock: socket.socket, stop: threading.Event) -> None:
    prefix, suffix = b'{"status": "PLACED", "padding": "', b'"}'
    pad = HUGE_BODY_BYTES - len(prefix) - len(suffix)
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                 + f"Content-Length: {HUGE_BODY_BYTES}\r\nConnection: close\r\n\r\n".encode() + prefix)
    chunk = b"x" * 65536
    while pad > 0:
        sock.sendall(chunk[:pad])
        pad -= min(pad, len(chunk))
    sock.sendall(suffix)


def wrong_content_type(request: _Request, sock: socket.socket, stop: threading.Event) -> None:
    body = json.dumps({"status": "FAILURE", "errorCode": "INVALID_BET_DETAILS", "errorMessage": "no"}).encode()
    sock.sendall(_response("400 Bad Request", body, content_type="text/html; charset=utf-8"))


def server_error_storm(request: _Request, sock: socket.socket, stop: threading.Event) -> None:
    sock.sendall(_response("500 Internal Server Error", b'{"error": "database is on fire"}'))


def _hook_then(hook_answer: bytes) -> Callable[[_Request, socket.socket, threading.Event], None]:
    def behaviour(request: _Request, sock: socket.socket, stop: threading.Event) -> None:
        sock.sendall(hook_answer if request.path.startswith(HOOK_PATH) else FORBIDDEN)
    return behaviour


BEHAVIOURS: dict[str, Callable[[_Request, socket.socket, threading.Event], None]] = {
    "reset": reset_mid_response,
    "hang": hang,
    "not-json": not_json,
    "huge-body": huge_body,
    "wrong-content-type": wrong_content_type,
    "server-error-storm": server_error_storm,
    "hook-500": _hook_then(_response("500 Internal Server Error", b"Internal Server Error: KeyError 'state'",
                                     content_type="text/plain")),
    "hook-garbage": _hook_then(_response("200 OK", b"\x00\xffnot json at all{{{")),
    "plain-404": lambda request, sock, stop: sock.sendall(NOT_FOUND),
}


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, behaviour: str, probe_too: bool):
        self.behaviour = BEHAVIOURS[behaviour]
        self.probe_too = probe_too
        self.stop = threading.Event()
        self.requests_seen = 0
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request, client_address) -> None:   # a client hanging up is expected
        pass


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(30)
        try:
            request = _read_request(sock)
            if request is None:
                return
            self.server.requests_seen += 1
            if request.method == "GET" and not self.server.probe_too:
                sock.sendall(NOT_FOUND)
            else:
                self.server.behaviour(request, sock, self.server.stop)
        except OSError:
            pass


@contextlib.contextmanager
def hostile(behaviour: str, *, probe_too: bool = False) -> Iterator[str]:
    """Serve one misbehaviour on a free loopback port; yields the base URL. ``probe_too`` applies
    it to ``GET`` requests as well (the reachability probe)."""
    server = _Server(behaviour, probe_too)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def closed_port() -> int:
    """A loopback port with nothing listening on it (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
