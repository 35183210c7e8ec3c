"""Where a handler runs its blocking work (a database transaction): on a worker thread, so that a
server's event loop goes on serving other requests; or right where it is when the server runs every
request on a thread of its own, as the in-process client says with the ASGI scope extension
``orderproof.inline`` (:mod:`orderproof.engine.inprocess`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from orderproof.core.paths import INLINE_EXTENSION

__all__ = ["blocking"]

T = TypeVar("T")


async def blocking(request: Request, function: Callable[..., T], *args: Any) -> T:
    """``function(*args)`` for ``request``, off the event loop unless the server says it may block."""
    if INLINE_EXTENSION in request.scope.get("extensions", {}):
        return function(*args)
    return await run_in_threadpool(function, *args)
