"""The original design's routes, kept working: POST /api/predict_<service> answers with
the finished result, GET /api/export_<service>/<file_name> downloads it."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ...services.predictions import main_output
from ..deps import AppSettings, OptionalUser, Predictions, Uploads
from ..downloads import send_file
from ..schemas import JobPublic, LegacyPredictionOut, errors
from .predictions import UPLOAD_BODY, submit_upload

router = APIRouter(
    prefix="/api", tags=["legacy"], responses=errors(400, 401, 404, 413, 415, 422, 429, 503, 507)
)


@router.post("/predict_{service}", response_model=LegacyPredictionOut, openapi_extra=UPLOAD_BODY)
async def legacy_predict(
    service: str,
    request: Request,
    response: Response,
    predictions: Predictions,
    intake: Uploads,
    user: OptionalUser,
    settings: AppSettings,
) -> LegacyPredictionOut:
    """Run the model behind `service` (skinseg, objectdetection, facegender) and wait for
    the result. `file_name` names the main output for the export route."""
    spec = predictions.legacy_model(service)
    job, _ = await submit_upload(
        request, response, intake, spec, user, settings.max_wait_s, settings.secure_cookies
    )
    response.status_code = 200 if job.status.terminal else 202
    primary = main_output(job)
    return LegacyPredictionOut(
        **JobPublic.of(job).model_dump(), file_name=f"{job.id}_{primary}" if primary else None
    )


@router.get("/export_{service}/{file_name}", response_class=Response, responses=errors(410))
async def legacy_export(
    service: str, file_name: str, predictions: Predictions, user: OptionalUser
) -> Response:
    """Download an output by the `file_name` that the predict route returned."""
    spec = predictions.legacy_model(service)
    return send_file(await predictions.legacy_output(spec, file_name, user), True)
