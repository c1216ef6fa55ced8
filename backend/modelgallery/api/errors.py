"""Every error leaves as JSON `{"detail": "...", "code": "..."}` with a message a person
can act on; nothing escapes as a bare 500 page."""

from __future__ import annotations

import logging
import sqlite3

from asgi_correlation_id.context import correlation_id
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..core.disk import out_of_space
from ..core.shared import RETRY_AFTER_S, SharedStateUnavailable
from ..services import errors as service
from .methods import allowed_methods, method_not_allowed_detail

log = logging.getLogger(__name__)

_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media",
    422: "invalid",
    429: "too_many_requests",
    503: "unavailable",
    507: "insufficient_storage",
}


_STATUS_OF: dict[type[service.ServiceError], int] = {
    service.NotAuthenticated: 401,
    service.Forbidden: 403,
    service.NotFound: 404,
    service.Conflict: 409,
    service.Gone: 410,
    service.UnsupportedMedia: 415,
    service.Invalid: 422,
    service.TooManyRequests: 429,
    service.Unavailable: 503,
    service.InsufficientStorage: 507,
}


class ApiError(Exception):
    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.headers = status, detail, headers


def error_response(status: int, detail: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"detail": detail, "code": _CODES.get(status, "error")}, status_code=status, headers=headers
    )


def method_not_allowed(request: Request) -> JSONResponse:
    """405 naming every method the path takes, or 404 where no API route serves it."""
    allowed = allowed_methods(request.app, request.url.path)
    if not allowed:
        return error_response(404, "there is nothing at this address")
    detail = method_not_allowed_detail(request.method, allowed)
    return error_response(405, detail, {"Allow": ", ".join(allowed)})


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err["loc"] if p not in ("body", "query", "path"))
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts) or "the request is not valid"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.detail, exc.headers)

    @app.exception_handler(service.ServiceError)
    async def _service(_: Request, exc: service.ServiceError) -> JSONResponse:
        status = _STATUS_OF.get(type(exc), 400)
        headers = {"Retry-After": str(exc.retry_after_s)} if exc.retry_after_s else {}
        if status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        return error_response(status, exc.message, headers or None)

    @app.exception_handler(SharedStateUnavailable)
    async def _shared(_: Request, exc: SharedStateUnavailable) -> JSONResponse:
        log.warning("%s (%s)", exc, exc.__cause__)
        return error_response(503, str(exc), {"Retry-After": str(RETRY_AFTER_S)})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:
            return method_not_allowed(request)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = "there is nothing at this address"
        return error_response(exc.status_code, detail, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, _describe_validation(exc))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return error_response(
            500,
            f"Something went wrong on the server. Please try again; if it keeps happening, "
            f"tell the administrator the request id {correlation_id.get() or '-'}.",
        )

    # A write that found the disk full (a file, the SQLite store: a job record, the audit
    # log) is the server's condition, not a bug: 507, and it passes once space is freed.
    @app.exception_handler(OSError)
    @app.exception_handler(sqlite3.Error)
    async def _storage(request: Request, exc: Exception) -> JSONResponse:
        if out_of_space(exc):
            log.error("out of storage space: %s", exc)
            return error_response(507, service.OUT_OF_STORAGE)
        return await _unexpected(request, exc)
