"""A job's output folder as the pipeline bases write it: every file under a name its model
declares (`Model.outputs`), recorded with the declared media type and role, so that no
family lists its artifacts by hand."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from ..declarations import Output
from ..model import ArtifactOut


class Artifacts:
    def __init__(self, outdir: Path, outputs: Sequence[Output]) -> None:
        self.outdir = outdir
        self._outputs = outputs
        self._recorded: dict[str, ArtifactOut] = {}

    def path(self, name: str) -> Path:
        """Where to write `name`; it becomes one of the job's artifacts."""
        output = self._declared(name)
        self._recorded[name] = ArtifactOut(name, output.media_type, output.role)
        return self.outdir / name

    def defer(self, name: str) -> None:
        """`name` is one of the job's artifacts, drawn by the API when first downloaded."""
        output = self._declared(name)
        self._recorded[name] = ArtifactOut(name, output.media_type, output.role, deferred=True)

    def _declared(self, name: str) -> Output:
        output = next((o for o in self._outputs if o.matches(name)), None)
        if output is None:
            raise ValueError(f"the model does not declare an output named {name!r}")
        return output

    def write_bytes(self, name: str, data: bytes) -> None:
        self.path(name).write_bytes(data)

    def write_json(self, name: str, value: object, indent: int = 1) -> None:
        self.path(name).write_text(json.dumps(value, indent=indent))

    def written(self) -> list[ArtifactOut]:
        """The artifacts in the order they were first written."""
        return list(self._recorded.values())
