from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from ..deps import Status
from ..schemas import HealthOut, ReadyOut

router = APIRouter(tags=["health"])


@router.get("/api/health", response_model=HealthOut)
async def health() -> HealthOut:
    """Liveness: the process answers."""
    return HealthOut(status="ok")


@router.get(
    "/api/ready",
    response_model=None,
    responses={
        200: {"model": ReadyOut, "description": "Ready: every check is 'ok'"},
        503: {"model": ReadyOut, "description": "Not ready: a check says what is wrong"},
    },
)
async def ready(status: Status) -> JSONResponse:
    """Readiness: the database answers and every worker group has a live worker."""
    found = await status.readiness()
    return JSONResponse(
        {
            "status": "ready" if found.ready else "not ready",
            "checks": found.checks,
            "store": found.store,
        },
        status_code=200 if found.ready else 503,
    )


@router.get("/metrics", include_in_schema=False)
async def metrics(status: Status) -> Response:
    return Response(await status.metrics_text(), media_type=CONTENT_TYPE_LATEST)
