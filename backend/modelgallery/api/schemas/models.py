"""The model catalogue: what each model takes, declares and how it is served now."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ...jobs.lifecycle.executor import ModelState
from ...services.models import ModelView
from ...vision.model import Output, Param, ResultKind, RuntimeChoice
from ...vision.registry import ModelCard


class Batching(BaseModel):
    max_batch: int = Field(description="One-image jobs per pass of the network, at most")
    speedup: float | None = Field(
        description="Images per second in full batches over one by one, measured at load"
    )
    active: bool = Field(description="Whether jobs that wait together are batched")

    @classmethod
    def of(cls, max_batch: int, state: ModelState | None) -> Batching | None:
        if max_batch < 2:
            return None
        speedup = state.batch_speedup if state else None
        return cls(max_batch=max_batch, speedup=speedup, active=bool(state and state.batches))


class ModelPublic(BaseModel):
    name: str
    title: str
    description: str
    task: str
    kinds: list[str]
    accepts: list[str] = Field(description="The media types of the files it takes")
    takes: str = Field(
        description="What it takes, in words, as its refusals say it: 'images (JPEG, PNG, "
        "WebP, BMP, TIFF) or ZIP archives of images'"
    )
    extensions: list[str] = Field(
        description="The file name endings of the files it takes ('.jpg', '.nii.gz'): "
        "clients check a chosen file's name against them"
    )
    max_upload_bytes: int
    max_files: int
    params: dict[str, Param]
    outputs: list[Output]
    result_kinds: dict[str, ResultKind] = Field(
        description="The kind of result a job gets, by the kind of its input (several files: "
        "as 'zip'); clients choose the viewer from it"
    )
    state: str
    reason: str | None = None
    load_ms: float | None = None
    runtime: RuntimeChoice | None = Field(
        None, description="The runtime it serves on and the per-image time of each candidate"
    )
    batching: Batching | None = Field(
        None, description="Dynamic batching of one-image jobs, for models that batch"
    )
    card: ModelCard | None = Field(
        None,
        description="The model card: source and license of the weights, training data, "
        "outputs, accuracy, intended use, known limitations",
    )
    classes: list[str] | None = Field(
        None,
        description="What the loaded model can find (a detector's classes): anything "
        "else it cannot see",
    )
    legacy_route: str | None = None

    @classmethod
    def of(cls, view: ModelView) -> ModelPublic:
        spec, state = view.spec, view.state
        return cls(
            name=spec.name,
            title=spec.title,
            description=spec.description,
            task=spec.task,
            kinds=spec.kinds,
            accepts=view.accepts,
            takes=view.takes,
            extensions=view.extensions,
            max_upload_bytes=spec.max_upload_bytes,
            max_files=spec.max_files,
            params=spec.params,
            outputs=spec.outputs,
            result_kinds=spec.result_kinds,
            state=state.status if state else "unavailable",
            reason=state.reason if state else "no worker hosts this model",
            load_ms=state.load_ms if state else None,
            runtime=state.runtime if state else None,
            batching=Batching.of(spec.max_batch, state),
            card=spec.card,
            classes=state.classes if state else None,
            legacy_route=spec.legacy_route,
        )
