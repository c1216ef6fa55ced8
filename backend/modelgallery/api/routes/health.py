from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ..deps import Ctx

router = APIRouter(tags=["health"])


@router.get("/api/health")
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/api/ready")
async def ready(ctx: Ctx) -> JSONResponse:
    """Readiness: the database answers and every worker group has a live worker."""
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(ctx.store.ping(), 5)
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"unreachable: {exc}"
    ok, reason = ctx.executor.ready()
    checks["workers"] = "ok" if ok else reason
    healthy = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if healthy else "not ready", "checks": checks, "store": ctx.store.kind},
        status_code=200 if healthy else 503,
    )


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, ctx: Ctx) -> Response:
    return Response(generate_latest(ctx.metrics.registry), media_type=CONTENT_TYPE_LATEST)
