from __future__ import annotations

from fastapi import APIRouter

from ...vision.media import EXTENSIONS, kind_of
from ..deps import Ctx
from ..errors import ApiError
from ..schemas import ModelPublic, errors

router = APIRouter(prefix="/api/models", tags=["models"], responses=errors(404))


def _public(ctx, spec) -> ModelPublic:
    accepts = [mt for mt in EXTENSIONS if kind_of(mt) in spec.kinds]
    return ModelPublic.of(spec, ctx.executor.model_states().get(spec.name), accepts)


@router.get("", response_model=list[ModelPublic])
async def list_models(ctx: Ctx) -> list[ModelPublic]:
    """Every enabled model, with what it accepts and whether it is ready."""
    return [_public(ctx, s) for s in ctx.jobs.registry.models.values() if s.enabled]


@router.get("/{name}", response_model=ModelPublic)
async def get_model(name: str, ctx: Ctx) -> ModelPublic:
    spec = ctx.jobs.spec(name)
    if spec is None or not spec.enabled:
        raise ApiError(404, f"there is no model named '{name}'")
    return _public(ctx, spec)
