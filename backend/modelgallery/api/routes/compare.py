"""One upload through two models or versions, side by side: a prediction runs again on
another model or version (as a prediction of the same person), and the two results are
compared by the measures releases use."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from ...store.model_records import VersionState
from ..deps import ClientAddress, OptionalUser, Owner, SecondOpinions
from ..schemas import JobPublic, errors
from ..schemas.comparison import AgreementOut, RunAgainIn

router = APIRouter(prefix="/api", tags=["predictions"], responses=errors(400, 401, 404, 422))


class VersionPublic(BaseModel):
    id: str
    number: int
    state: VersionState
    note: str
    created_at: datetime


@router.get("/models/{name}/versions", response_model=list[VersionPublic], tags=["models"])
async def model_versions(name: str, compare: SecondOpinions) -> list[VersionPublic]:
    """The versions a prediction of this model can be compared on, newest first."""
    return [VersionPublic(**v.model_dump()) for v in await compare.versions(name)]


@router.post(
    "/predictions/{job_id}/compare",
    status_code=202,
    response_model=JobPublic,
    responses=errors(403, 409, 429, 503, 507),
)
async def run_again(
    job_id: str,
    body: RunAgainIn,
    compare: SecondOpinions,
    user: OptionalUser,
    owner: Owner,
    client: ClientAddress,
) -> JobPublic:
    """Run the same upload on another model or version, as a new prediction of yours."""
    job = await compare.run_again(job_id, user, owner, client, body.model, body.version)
    return JobPublic.of(job, yours=True)


@router.get(
    "/predictions/{job_id}/agreement/{other_id}",
    response_model=AgreementOut,
    responses=errors(409),
)
async def agreement(
    job_id: str, other_id: str, compare: SecondOpinions, user: OptionalUser
) -> AgreementOut:
    """How two results of the same upload agree (one ran the other's upload again)."""
    return AgreementOut(agreement=await compare.agreement(job_id, other_id, user))
