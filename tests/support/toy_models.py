"""A small real model for testing the job machinery: it inverts images with Pillow. Its
parameters make it slow, fail, crash its process or hang, on request."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any, ClassVar

from modelgallery.vision.model import (
    ArtifactOut,
    InputItem,
    JobInput,
    Model,
    Output,
    Param,
    Progress,
    Result,
    ResultKind,
)


class ToyInvert(Model):
    kinds = ("image",)
    params: ClassVar[dict[str, Param]] = {
        "sleep_s": Param(type="float", default=0.0, min=0, max=120, description="work this long"),
        "steps": Param(type="int", default=4, min=1, max=100),
        "behaviour": Param(type="str", default="ok", choices=["ok", "fail", "crash", "hang"]),
    }
    outputs = (
        Output(name="inverted-{stem}.png", media_type="image/png", role="annotated"),
        Output(name="summary.json", media_type="application/json", role="data"),
    )

    def load(self) -> None:
        from PIL import ImageOps

        self._invert = ImageOps.invert
        self.threads = 0  # the share of the cores the worker gives the job at hand
        self.factor = 1.0
        for path in self.spec.weight_paths:  # a "weights" file holds a brightness factor
            self.factor = float(Path(path).read_text().strip())

    def warmup(self) -> None:
        from PIL import Image

        self._invert(Image.new("RGB", (8, 8)))

    def use_threads(self, threads: int) -> None:
        self.threads = threads

    def predict(
        self,
        inputs: list[InputItem],
        params: dict[str, Any],
        outdir: Path,
        progress: Progress,
    ) -> Result:
        from PIL import Image

        behaviour = params["behaviour"]
        if behaviour == "crash":
            os.kill(os.getpid(), signal.SIGKILL)
        if behaviour == "hang":
            time.sleep(3600)
        steps = params["steps"]
        for step in range(steps):
            progress(step / steps, f"step {step + 1} of {steps}")
            time.sleep(params["sleep_s"] / steps)
        if behaviour == "fail":
            raise ValueError("the toy model was asked to fail")
        artifacts, images = [], []
        for index, item in enumerate(inputs):
            with Image.open(item.path) as img:
                inverted = self._invert(img.convert("RGB"))
            name = f"inverted-{index}.png"
            inverted.save(outdir / name)
            artifacts.append(ArtifactOut(name, "image/png", "annotated"))
            images.append({"name": item.name, "width": inverted.width, "height": inverted.height})
        summary = {
            "images": images,
            "factor": self.factor,
            "pid": os.getpid(),
            "threads": self.threads,
        }
        (outdir / "summary.json").write_text(json.dumps(summary))
        artifacts.append(ArtifactOut("summary.json", "application/json", "data"))
        progress(1.0, "done")
        return Result(summary=summary, artifacts=artifacts)


class ToyBatch(ToyInvert):
    """The toy as a family that batches and gains from it, as a network would: one-image
    jobs that wait together run in one `predict_many`, each with its own results."""

    batches: ClassVar[bool] = True

    def batch_speedup(self, size: int) -> float:
        return 2.0

    def predict_many(self, jobs: list[JobInput]) -> list[Result | Exception]:
        results = super().predict_many(jobs)
        for result in results:
            if isinstance(result, Result):
                result.batch_size = len(jobs)
        return results


class ToyControlled(ToyInvert):
    """The toy whose loading a test steers with files in the folder named by the
    environment variable TOY_LOAD_CONTROL: while `hold` exists it keeps loading, with
    `crash` its process dies (SIGKILL), with `fail` its load raises."""

    def load(self) -> None:
        control = os.environ.get("TOY_LOAD_CONTROL")
        if control:
            folder = Path(control)
            while (folder / "hold").exists():
                time.sleep(0.05)
            if (folder / "crash").exists():
                os.kill(os.getpid(), signal.SIGKILL)
            if (folder / "fail").exists():
                raise RuntimeError("the toy was told to fail while loading")
        super().load()


class ToyDetector(ToyInvert):
    """The toy as a detector, for comparing versions: it finds a person, and where its
    factor is 1 or more a car, else a dog, at the same place."""

    result_kinds: ClassVar[dict[str, ResultKind]] = {"image": "detections"}

    def predict(
        self,
        inputs: list[InputItem],
        params: dict[str, Any],
        outdir: Path,
        progress: Progress,
    ) -> Result:
        result = super().predict(inputs, params, outdir, progress)
        second = ("car", 0.8) if self.factor >= 1 else ("dog", 0.7)
        result.summary["items"] = [
            {"label": "person", "confidence": 0.9, "box": [0, 0, 10, 10]},
            {"label": second[0], "confidence": second[1], "box": [20, 20, 30, 30]},
        ]
        return result
