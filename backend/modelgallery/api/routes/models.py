from __future__ import annotations

from fastapi import APIRouter

from ..deps import Models
from ..schemas import ModelPublic, errors

router = APIRouter(prefix="/api/models", tags=["models"], responses=errors(404))


@router.get("", response_model=list[ModelPublic])
async def list_models(models: Models) -> list[ModelPublic]:
    """Every enabled model, with what it accepts and whether it is ready."""
    return [ModelPublic.of(view) for view in models.views()]


@router.get("/{name}", response_model=ModelPublic)
async def get_model(name: str, models: Models) -> ModelPublic:
    return ModelPublic.of(models.view(name))
