"""The models one worker process holds, local or on a node: the live version of each model
it serves, and a few versions that are not live, for the jobs submitted to them before a
switch (a job keeps its version) and a release's candidate loaded ahead. A change loads
only the models that changed, beside the others: a new version of one model never makes its
siblings load again, and a version held already goes live without loading again."""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass

from ..vision.model import Model
from ..vision.registry import ModelSpec
from .runner import ModelReport, load_models

OLDER_KEPT = 2  # versions no longer live kept loaded, per process, the least recently used go


@dataclass
class Held:
    model: Model
    report: ModelReport  # what its load said (load time, runtime, classes)


class HeldModels:
    def __init__(self, older_kept: int = OLDER_KEPT) -> None:
        self._live: dict[str, Held] = {}  # by model name
        self._older: dict[str, Held] = {}  # by version id, the least recently used first
        self._older_kept = older_kept

    @property
    def live(self) -> dict[str, Model]:
        return {name: held.model for name, held in self._live.items()}

    @property
    def older_versions(self) -> list[str]:
        return list(self._older)

    def changed(self, wanted: list[ModelSpec]) -> list[ModelSpec]:
        """What must load for `wanted` to serve: new models, and those whose spec changed
        (a version made live, edited defaults or labels), or whose last load failed."""
        return [s for s in wanted if (h := self._live.get(s.name)) is None or h.model.spec != s]

    def adopt(
        self, wanted: list[ModelSpec], report: Callable[[ModelReport], None]
    ) -> list[ModelSpec]:
        """Serve `wanted`: drop the models left out (unloaded, disabled, gone, with their
        older versions), load those that changed and keep the others as they are. A model
        replaced by another version is kept among the older ones. Returns what changed."""
        names = {spec.name for spec in wanted}
        gone = [n for n in self._live if n not in names]
        for name in gone:
            del self._live[name]
        for version in [v for v, h in self._older.items() if h.model.spec.name not in names]:
            del self._older[version]
        changed = self.changed(wanted)
        # A version going live is no longer held besides the live ones; a copy of its spec
        # held already (a release's candidate, a version back) is taken, not loaded again.
        taken: dict[str, Held] = {}
        for spec in changed:
            held = self._older.pop(spec.version, None) if spec.version is not None else None
            if held is not None and held.model.spec == spec:
                taken[spec.name] = held
        for spec in changed:
            previous = self._live.pop(spec.name, None)
            if previous is not None and previous.model.spec.version not in (None, spec.version):
                self._keep(previous)
        if gone or changed:
            gc.collect()  # what the dropped models held, before the new ones load
        to_load = []
        for spec in changed:
            kept = taken.get(spec.name)
            if kept is None:
                to_load.append(spec)
            else:
                self._live[spec.name] = kept
                report(kept.report)
        reports: dict[str, ModelReport] = {}

        def reported(outcome: ModelReport) -> None:
            reports[outcome.name] = outcome
            report(outcome)

        for name, model in load_models(to_load, reported).items():
            self._live[name] = Held(model, reports[name])
        return changed

    def older(self, version: str) -> Model | None:
        """The model of a version that is no longer live, when this process still holds it."""
        held = self._older.pop(version, None)
        if held is None:
            return None
        self._older[version] = held  # the most recently used now
        return held.model

    def load_older(self, spec: ModelSpec) -> tuple[Model | None, str | None]:
        """Load a version that is no longer live for a job submitted to it, and keep it for
        the next ones; (None, the reason) when it cannot load."""
        reports: list[ModelReport] = []
        model = load_models([spec], reports.append).get(spec.name)
        if model is None:
            return None, reports[0].reason if reports else "it did not load"
        self._keep(Held(model, reports[0]))
        return model, None

    def _keep(self, held: Held) -> None:
        version = held.model.spec.version
        if version is None:
            return
        self._older.pop(version, None)
        self._older[version] = held
        while len(self._older) > self._older_kept:
            del self._older[next(iter(self._older))]
