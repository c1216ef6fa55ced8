"""A batch's speed-up is timed once per model, runtime and machine, then read back at every
load (`jobs/runner.py`, kept beside the weights as the runtime choice is): a warm start
times nothing. New weights, another runtime or other runtime versions time it again."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from modelgallery.jobs.runner import ModelReport, load_models
from modelgallery.vision.declarations import RuntimeCandidate, RuntimeChoice
from modelgallery.vision.registry import ModelSpec, load_registry
from modelgallery.vision.runtimes import remembered
from tests.support.toy_models import ToyBatch


class TimedBatch(ToyBatch):
    """The toy that batches, with a runtime, counting the times its gain is measured."""

    timed: ClassVar[list[int]] = []
    gain: ClassVar[float] = 2.5
    serves_on: ClassVar[str] = "openvino"

    def load(self) -> None:
        super().load()
        chosen = self.serves_on
        self.runtime = RuntimeChoice(
            requested="auto", chosen=chosen, candidates=[RuntimeCandidate(name=chosen)]
        )

    def batch_speedup(self, size: int) -> float:
        TimedBatch.timed.append(size)
        return self.gain


@pytest.fixture
def spec(tmp_path: Path) -> ModelSpec:
    registry = tmp_path / "models.toml"
    registry.write_text(
        """
[models.timed]
title = "Timed"
task = "image-to-image"
family = "tests.backend.jobs.test_measured_once:TimedBatch"
group = "toy"
max_batch = 4
weights = [{ file = "net.bin" }]
"""
    )
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "net.bin").write_bytes(b"1.0")  # the toy reads a factor
    TimedBatch.timed, TimedBatch.gain, TimedBatch.serves_on = [], 2.5, "openvino"
    return load_registry(registry, tmp_path / "models").models["timed"]


def speedup(spec: ModelSpec) -> float | None:
    reports: list[ModelReport] = []
    assert "timed" in load_models([spec], reports.append)
    [report] = reports
    assert report.status == "loaded", report.reason
    return report.batch_speedup


def test_the_speedup_is_timed_at_the_first_load_and_read_back_after(spec: ModelSpec) -> None:
    assert speedup(spec) == 2.5 and TimedBatch.timed == [4]
    TimedBatch.gain = 9.0  # what timing would give now: a later load does not time
    assert speedup(spec) == 2.5 and speedup(spec) == 2.5
    assert TimedBatch.timed == [4]
    assert len(list(spec.weight_paths[0].parent.glob("net.*.batch.json"))) == 1


def test_new_weights_another_runtime_or_new_versions_time_it_again(
    spec: ModelSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert speedup(spec) == 2.5
    TimedBatch.gain = 3.0
    spec.weight_paths[0].write_bytes(b"2.0")
    assert speedup(spec) == 3.0 and len(TimedBatch.timed) == 2

    TimedBatch.gain, TimedBatch.serves_on = 4.0, "onnxruntime"
    assert speedup(spec) == 4.0 and len(TimedBatch.timed) == 3

    TimedBatch.gain = 5.0
    versions = {**remembered._versions(), "onnxruntime": "99.0"}
    monkeypatch.setattr(remembered, "_versions", lambda: versions)
    assert speedup(spec) == 5.0 and len(TimedBatch.timed) == 4
    assert speedup(spec) == 5.0 and len(TimedBatch.timed) == 4  # and kept again


def test_a_record_that_cannot_be_read_is_timed_again(spec: ModelSpec) -> None:
    assert speedup(spec) == 2.5
    [record] = spec.weight_paths[0].parent.glob("net.*.batch.json")
    record.write_text("{half a reco")
    TimedBatch.gain = 3.5
    assert speedup(spec) == 3.5 and len(TimedBatch.timed) == 2
    assert speedup(spec) == 3.5 and len(TimedBatch.timed) == 2
