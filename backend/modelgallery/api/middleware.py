"""Pure ASGI middleware (it leaves streaming responses and server-sent events alone)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.metrics import Metrics

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


@dataclass(frozen=True)
class ServerTiming:
    """A response's `Server-Timing` header: the job's stages as recorded, then `answer`
    (from the job's end, as the request saw it, to the response's start) and `total`
    (from the request's arrival to the response's start), in milliseconds. Together they
    tell a client how much of its wait the server spent, and on what."""

    stages: dict[str, float]
    answer_from: float  # time.perf_counter() when the job's end reached the request

    def header(self, arrived: float, now: float) -> bytes:
        parts = [f"{name};dur={ms:.2f}" for name, ms in self.stages.items()]
        parts.append(f"answer;dur={(now - self.answer_from) * 1000:.2f}")
        parts.append(f"total;dur={(now - arrived) * 1000:.2f}")
        return ", ".join(parts).encode()


def add_server_timing(request: Request, stages: dict[str, float]) -> None:
    """Asks for a `Server-Timing` header on this request's response, from now on."""
    request.state.server_timing = ServerTiming(stages, time.perf_counter())


class ObserveMiddleware:
    """Counts and times requests per route template, adds security headers, and the
    `Server-Timing` header a route asked for (`add_server_timing`)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        state = scope.setdefault("state", {})  # what `request.state` reads and writes
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _SECURITY_HEADERS if k not in present]
                timing = state.get("server_timing")
                if isinstance(timing, ServerTiming):
                    headers.append((b"server-timing", timing.header(started, time.perf_counter())))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope["method"]
            self.metrics.requests.labels(method, template, str(status)).inc()
            self.metrics.request_seconds.labels(method, template).observe(
                time.perf_counter() - started
            )
