"""Releasing a version safely (`/api/admin/catalog/{name}/...`): start a release of a
validated version beside the live one with a canary and a shadow share, change the shares,
promote or roll back; replay past predictions on a version. Every change is audited."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ..deps import AdminUser, Comparisons, Releases, Replays, require_admin
from ..schemas import errors
from ..schemas.comparison import ComparisonOut
from ..schemas.releases import ReleaseEditIn, ReleaseIn, ReleaseOut, ReplayIn, ReplayOut

router = APIRouter(
    prefix="/api/admin/catalog/{name}",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=errors(400, 401, 403, 404, 409, 422),
)


@router.get("/releases", response_model=list[ReleaseOut])
async def releases_of(name: str, releases: Releases) -> list[ReleaseOut]:
    """The model's releases, newest first (at most one is active)."""
    return [ReleaseOut.of(r) for r in await releases.of_model(name)]


@router.post("/releases", status_code=201, response_model=ReleaseOut, responses=errors(507))
async def start_release(
    name: str, body: ReleaseIn, releases: Releases, actor: AdminUser
) -> ReleaseOut:
    """Release a validated version beside the live one."""
    release = await releases.begin(
        actor, name, body.candidate, body.canary_share, body.shadow_share, body.note
    )
    return ReleaseOut.of(release)


@router.patch("/releases/{release_id}", response_model=ReleaseOut, responses=errors(507))
async def adjust_release(
    name: str, release_id: str, body: ReleaseEditIn, releases: Releases, actor: AdminUser
) -> ReleaseOut:
    """Change the canary or the shadow share of an active release."""
    changes = body.model_dump(exclude_none=True)
    return ReleaseOut.of(await releases.adjust(actor, name, release_id, changes))


@router.post("/releases/{release_id}/promote", response_model=ReleaseOut, responses=errors(507))
async def promote_release(
    name: str, release_id: str, releases: Releases, actor: AdminUser
) -> ReleaseOut:
    """The candidate goes live for every new prediction; the release ends."""
    return ReleaseOut.of(await releases.promote(actor, name, release_id))


@router.post("/releases/{release_id}/rollback", response_model=ReleaseOut, responses=errors(507))
async def roll_back_release(
    name: str, release_id: str, releases: Releases, actor: AdminUser
) -> ReleaseOut:
    """Every new prediction goes to the live version again; finished ones are unchanged."""
    return ReleaseOut.of(await releases.roll_back(actor, name, release_id))


@router.get("/replays", response_model=list[ReplayOut])
async def replays_of(name: str, replays: Replays) -> list[ReplayOut]:
    return [ReplayOut.of(r, counts) for r, counts in await replays.of_model(name)]


@router.post("/replays", status_code=202, response_model=ReplayOut, responses=errors(507))
async def start_replay(name: str, body: ReplayIn, replays: Replays, actor: AdminUser) -> ReplayOut:
    """Run a filtered set of past predictions again on a version, in the background."""
    replay = await replays.begin(actor, name, body.version, body.query(), body.limit)
    return ReplayOut.of(*(await replays.one(name, replay.id)))


@router.get("/replays/{replay_id}", response_model=ReplayOut)
async def one_replay(name: str, replay_id: str, replays: Replays) -> ReplayOut:
    return ReplayOut.of(*(await replays.one(name, replay_id)))


@router.post("/replays/{replay_id}/cancel", response_model=ReplayOut, responses=errors(507))
async def cancel_replay(name: str, replay_id: str, replays: Replays, actor: AdminUser) -> ReplayOut:
    """Send no more of its predictions (those sent run to their end)."""
    replay = await replays.cancel(actor, name, replay_id)
    return ReplayOut.of(replay, await replays.progress(replay))


@router.get("/releases/{release_id}/comparison", response_model=ComparisonOut)
async def compare_release(name: str, release_id: str, comparison: Comparisons) -> ComparisonOut:
    """The candidate against the live version: their live predictions since the release
    began, and how their results agree on the shadow copies."""
    return ComparisonOut.of(await comparison.of_release(name, release_id))


@router.get("/replays/{replay_id}/comparison", response_model=ComparisonOut)
async def compare_replay(name: str, replay_id: str, comparison: Comparisons) -> ComparisonOut:
    """The replay's version against the live one, on the replayed predictions."""
    return ComparisonOut.of(await comparison.of_replay(name, replay_id))
