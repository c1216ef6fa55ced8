"""The original design's routes, kept working: POST /api/predict_<service> answers with
the finished result, GET /api/export_<service>/<file_name> downloads it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ...store.records import Job
from ..deps import Ctx, OptionalUser
from ..downloads import file_response
from ..errors import ApiError
from ..schemas import JobPublic, LegacyPredictionOut, errors
from ..submission import accept
from .predictions import UPLOAD_BODY, visible_job

router = APIRouter(prefix="/api", tags=["legacy"], responses=errors(401, 404, 413, 415, 422, 503))
_PRIMARY_ROLES = ("annotated", "mask", "archive")


def _spec(ctx, service: str):
    spec = ctx.jobs.registry.legacy(service)
    if spec is None or not spec.enabled:
        raise ApiError(404, f"there is no service called '{service}'")
    return spec


def _primary(job: Job):
    ranked = sorted(job.artifacts, key=lambda a: a.role not in _PRIMARY_ROLES)
    return ranked[0] if ranked else None


@router.post("/predict_{service}", response_model=LegacyPredictionOut, openapi_extra=UPLOAD_BODY)
async def legacy_predict(
    service: str, request: Request, response: Response, ctx: Ctx, user: OptionalUser
) -> LegacyPredictionOut:
    """Run the model behind `service` (skinseg, objectdetection, facegender) and wait for
    the result. `file_name` names the main output for the export route."""
    job = await accept(request, ctx, _spec(ctx, service), user, ctx.settings.max_wait_s)
    response.status_code = 200 if job.status.terminal else 202
    primary = _primary(job)
    public = JobPublic.of(job)
    return LegacyPredictionOut(
        **public.model_dump(), file_name=f"{job.id}_{primary.name}" if primary else None
    )


@router.get("/export_{service}/{file_name}", response_class=Response)
async def legacy_export(service: str, file_name: str, ctx: Ctx, user: OptionalUser) -> Response:
    """Download an output by the `file_name` that the predict route returned."""
    spec = _spec(ctx, service)
    job_id, _, artifact_name = file_name.partition("_")
    job = await visible_job(ctx, job_id, user)
    if job.model != spec.name:
        raise ApiError(404, "no such file for this service")
    artifact = next((a for a in job.artifacts if a.name == artifact_name), None) or (
        _primary(job) if not artifact_name else None
    )
    if artifact is None:
        raise ApiError(404, f"no file named '{file_name}'")
    path = ctx.jobs.files.output_path(job.id, artifact.name)
    return file_response(path, artifact.media_type, artifact_name or artifact.name, True)
