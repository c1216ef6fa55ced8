"""Administrators only: whether a model version's inputs or outputs have drifted since its
reference window (`services/drift.py`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from ...services.drift import REFERENCE_JOBS, WINDOW_MAX, ReferenceChoice
from ..deps import Drift, require_admin
from ..query import Moment
from ..schemas import errors
from ..schemas.drift import DriftOut

router = APIRouter(
    prefix="/api/admin",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=errors(400, 401, 403, 404, 422),
)


def _utc(value: datetime | None) -> datetime | None:
    """A time given without a zone is UTC, as the stores take it."""
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


@router.get("/models/{name}/drift", response_model=DriftOut)
async def model_drift(
    name: str,
    drift: Drift,
    version: Annotated[
        str | None, Query(description="The version's id or number; by default the live one")
    ] = None,
    recent_hours: Annotated[
        float, Query(gt=0, le=24 * 90, description="The recent window: the last so many hours")
    ] = 24,
    reference_since: Annotated[
        Moment | None, Query(description="A reference period's start, instead of the first jobs")
    ] = None,
    reference_until: Annotated[
        Moment | None,
        Query(description="A reference period's end; by default where the recent window starts"),
    ] = None,
    reference_jobs: Annotated[
        int,
        Query(ge=1, le=WINDOW_MAX, description="Without a period: the version's first so many"),
    ] = REFERENCE_JOBS,
) -> DriftOut:
    """The version's users' jobs in a reference window against the recent window, per input
    and output statistic, with the chart's series; a statistic warns when its PSI is above
    0.2 and beyond what chance gives with so few jobs."""
    reference = ReferenceChoice(reference_jobs, _utc(reference_since), _utc(reference_until))
    return DriftOut.of(await drift.report(name, version, recent_hours, reference))
