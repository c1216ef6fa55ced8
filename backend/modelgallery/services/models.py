"""The model catalogue as clients see it: every registry entry with its state in the
workers and the media types it accepts."""

from __future__ import annotations

from dataclasses import dataclass

from ..jobs.executor import ModelState
from ..jobs.service import JobService
from ..media.sniff import media_types_of
from ..vision.registry import ModelSpec
from .errors import NotFound


@dataclass(frozen=True)
class ModelView:
    spec: ModelSpec
    state: ModelState | None  # None: no worker hosts it
    accepts: list[str]  # media types


class ModelCatalog:
    def __init__(self, jobs: JobService) -> None:
        self.jobs = jobs

    def views(self, include_disabled: bool = False) -> list[ModelView]:
        states = self.jobs.executor.model_states()
        return [
            ModelView(spec, states.get(spec.name), media_types_of(spec.kinds))
            for spec in self.jobs.registry.models.values()
            if spec.enabled or include_disabled
        ]

    def view(self, name: str) -> ModelView:
        spec = self.jobs.registry.models.get(name)
        if spec is None or not spec.enabled:
            raise NotFound(f"there is no model named '{name}'")
        state = self.jobs.executor.model_states().get(name)
        return ModelView(spec, state, media_types_of(spec.kinds))
