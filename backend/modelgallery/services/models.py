"""The model catalogue as clients see it: every registry entry with its state in the
workers and the media types and file name endings it accepts."""

from __future__ import annotations

from dataclasses import dataclass

from ..jobs.lifecycle.executor import Executor, ModelState
from ..media.sniff import extensions_of, kinds_in_words, media_types_of
from ..vision.registry import ModelSpec, Registry
from .errors import NotFound


@dataclass(frozen=True)
class ModelView:
    spec: ModelSpec
    state: ModelState | None  # None: no worker hosts it
    accepts: list[str]  # media types
    extensions: list[str]  # file name endings: ".jpg", ".nii.gz"
    takes: str  # in words, as the refusals say it


class ModelCatalog:
    """The models this server runs: the one registry every part that runs jobs holds, and
    the state of each model in the workers."""

    def __init__(self, registry: Registry, executor: Executor) -> None:
        self.registry = registry
        self.executor = executor

    def spec(self, name: str) -> ModelSpec | None:
        """The live version's spec of the model, enabled or not."""
        return self.registry.models.get(name)

    def state(self, name: str) -> ModelState | None:
        """The model's state in the workers; None where no worker hosts it."""
        return self.executor.model_states().get(name)

    def families(self) -> set[str]:
        """The families of the models in the registry."""
        return {spec.family for spec in self.registry.models.values()}

    def groups(self) -> list[str]:
        """The worker groups, in the registry's order."""
        return self.registry.groups

    async def adopt(
        self, registry: Registry, restart: list[str] | None = None, *, announce: bool = True
    ) -> None:
        """Take `registry`'s models in place of the registry's own (every part that runs
        jobs holds this one registry) and have the workers adopt them: without a restart,
        except for the models named in `restart`."""
        self.registry.models = registry.models
        await self.executor.reload(self.registry, restart, announce=announce)

    def views(self, include_disabled: bool = False) -> list[ModelView]:
        states = self.executor.model_states()
        return [
            _view(spec, states.get(spec.name))
            for spec in self.registry.models.values()
            if spec.enabled or include_disabled
        ]

    def view(self, name: str) -> ModelView:
        spec = self.spec(name)
        if spec is None or not spec.enabled:
            raise NotFound(f"there is no model named '{name}'")
        return _view(spec, self.state(name))


def _view(spec: ModelSpec, state: ModelState | None) -> ModelView:
    kinds = spec.kinds
    return ModelView(
        spec, state, media_types_of(kinds), extensions_of(kinds), kinds_in_words(kinds)
    )
