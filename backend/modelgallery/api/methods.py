"""Which methods a path serves, read from the OpenAPI document: Starlette answers a wrong
method from the first route whose path matches, so a path served by two routes (or caught by
the web UI's fallback) would name too few methods in `Allow`, or answer 404."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI

_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the API documents for `path` (HEAD wherever GET is). Where templates of
    different shapes match (`/feedback/export` and `/feedback/{flag_id}`), the one with the
    fewest parameters is the path's own."""
    patterns: list[tuple[re.Pattern[str], int, set[str]]] | None = getattr(
        app.state, "method_patterns", None
    )
    if patterns is None:
        patterns = [
            (_pattern(template), template.count("{"), _methods(ops))
            for template, ops in _paths(app).items()
        ]
        app.state.method_patterns = patterns
    matches = [
        (params, methods) for pattern, params, methods in patterns if pattern.fullmatch(path)
    ]
    fewest = min((params for params, _ in matches), default=0)
    allowed: set[str] = set()
    for params, methods in matches:
        if params == fewest:
            allowed |= methods
    if "GET" in allowed:
        allowed.add("HEAD")
    return sorted(allowed)


def method_not_allowed_detail(method: str, allowed: list[str]) -> str:
    return f"{method} is not allowed at this address; it takes {', '.join(allowed)}"


def _paths(app: FastAPI) -> dict[str, Any]:
    paths: dict[str, Any] = app.openapi().get("paths", {})
    return paths


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def _methods(operations: dict[str, Any]) -> set[str]:
    return {method.upper() for method in operations if method in _METHODS}
