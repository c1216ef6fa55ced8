"""Models managed at run time by administrators: create one, add versions (weights streamed
in, validated in a process of their own), edit, make live, retire and delete; every change is
in the audit log (`/api/admin/catalog`; `/api/admin/models` is the workers' view of them)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from ..deps import AdminUser, ModelVersions, VersionUploads, require_admin
from ..schemas import errors
from ..schemas.catalog import ManagedModelOut, ModelEditIn, NewModelIn, VersionEditIn, VersionOut
from ..uploads import receive

router = APIRouter(
    prefix="/api/admin/catalog",
    tags=["admin"],
    dependencies=[Depends(require_admin)],
    responses=errors(400, 401, 403, 404, 409, 422),
)

VERSION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "weights": {"type": "string", "format": "binary"},
                        "example": {"type": "string", "format": "binary"},
                        "existing": {"type": "string"},
                        "runtime": {"type": "string"},
                        "options": {"type": "string", "description": "JSON object"},
                        "params": {"type": "string", "description": "JSON object"},
                        "card": {"type": "string", "description": "JSON object"},
                        "note": {"type": "string"},
                    },
                    "description": "The weights (several files for an OpenVINO IR), or the "
                    "names of files already in the models folder in `existing`; an example "
                    "input that validation tries; options, params and card as JSON objects.",
                }
            }
        },
    }
}


@router.get("", response_model=list[ManagedModelOut])
async def managed_models(manager: ModelVersions) -> list[ManagedModelOut]:
    """Every model in the store with its versions (also disabled ones and those of the file)."""
    return [ManagedModelOut.of(m) for m in await manager.all()]


@router.post("", status_code=201, response_model=ManagedModelOut, responses=errors(507))
async def create_model(
    body: NewModelIn, manager: ModelVersions, actor: AdminUser
) -> ManagedModelOut:
    """A new model, with no version yet: add one, and make it live once it is validated."""
    created = await manager.create(actor, body.model_dump())
    return ManagedModelOut.of(await manager.one(created.id))


@router.get("/{name}", response_model=ManagedModelOut)
async def model_versions(name: str, manager: ModelVersions) -> ManagedModelOut:
    return ManagedModelOut.of(await manager.one(name))


@router.patch("/{name}", response_model=ManagedModelOut, responses=errors(507))
async def edit_model(
    name: str, body: ModelEditIn, manager: ModelVersions, actor: AdminUser
) -> ManagedModelOut:
    """Title, description, enabled, limits."""
    await manager.edit(actor, name, body.model_dump(exclude_unset=True))
    return ManagedModelOut.of(await manager.one(name))


@router.delete("/{name}", status_code=204, responses=errors(507))
async def delete_model(name: str, manager: ModelVersions, actor: AdminUser) -> Response:
    """Refused while its jobs are queued or running, and for a model of models.toml."""
    await manager.delete(actor, name)
    return Response(status_code=204)


@router.post(
    "/{name}/versions",
    status_code=202,
    response_model=VersionOut,
    openapi_extra=VERSION_BODY,
    responses=errors(413, 415, 507),
)
async def add_version(
    name: str, request: Request, uploads: VersionUploads, actor: AdminUser
) -> VersionOut:
    """A new version: `validating` at once, then `ready` (or `failed` with the reason) once
    a process of its own has loaded it, warmed it up and tried the example."""
    declared = request.headers.get("content-length", "")
    size = int(declared) if declared.isdigit() else None
    async with uploads.staging(size) as staging:
        received = await receive(request, staging)
        return VersionOut.of(await uploads.submit(actor, name, received))


@router.patch("/{name}/versions/{version_id}", response_model=VersionOut, responses=errors(507))
async def edit_version(
    name: str, version_id: str, body: VersionEditIn, manager: ModelVersions, actor: AdminUser
) -> VersionOut:
    """Card, parameter defaults, options such as labels, note; new weights are a new version."""
    changes = body.model_dump(exclude_unset=True)
    return VersionOut.of(await manager.edit_version(actor, name, version_id, changes))


@router.post("/{name}/versions/{version_id}/live", response_model=VersionOut, responses=errors(507))
async def make_live(
    name: str, version_id: str, manager: ModelVersions, actor: AdminUser
) -> VersionOut:
    """New jobs run this version; those already accepted keep theirs."""
    return VersionOut.of(await manager.make_live(actor, name, version_id))


@router.post(
    "/{name}/versions/{version_id}/retire", response_model=VersionOut, responses=errors(507)
)
async def retire_version(
    name: str, version_id: str, manager: ModelVersions, actor: AdminUser
) -> VersionOut:
    return VersionOut.of(await manager.retire(actor, name, version_id))


@router.delete("/{name}/versions/{version_id}", status_code=204, responses=errors(507))
async def delete_version(
    name: str, version_id: str, manager: ModelVersions, actor: AdminUser
) -> Response:
    """Refused for the live version and while its jobs are queued or running."""
    await manager.delete_version(actor, name, version_id)
    return Response(status_code=204)
