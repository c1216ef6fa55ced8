"""The OpenAPI document, with what FastAPI cannot say by itself: operations that read a
login but do not need one (anonymous uploads, following one's own job, logging out) list
"no credentials" as an alternative, so that clients and fuzzers do not take the token as
required."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from .deps import need_login
from .sessions import read_session


def install_openapi(app: FastAPI) -> None:
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        for route in iter_route_contexts(app.routes):
            dependant = getattr(route.original_route, "dependant", None)
            if dependant is None or not route.include_in_schema:
                continue
            calls = _calls(dependant)
            if need_login in calls or read_session in calls:
                continue
            for method in route.methods or ():
                operation = schema["paths"].get(route.path_format, {}).get(method.lower())
                if operation and operation.get("security") and {} not in operation["security"]:
                    operation["security"] = [{}, *operation["security"]]
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _calls(dependant: Dependant) -> set[Callable[..., Any]]:
    found: set[Callable[..., Any]] = set()
    for sub in dependant.dependencies:
        if sub.call is not None:
            found.add(sub.call)
        found |= _calls(sub)
    return found
