"""Choosing a runtime and caching exports (`vision/runtimes/`), with small stand-in nets:
the real exports and their agreement with PyTorch are in tests/acceptance/test_runtimes.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelgallery.vision.runtimes.exports import exported
from modelgallery.vision.runtimes.selection import PerThreadCount, choose


def test_an_export_is_made_once_per_checkpoint_version(tmp_path: Path) -> None:
    checkpoint = tmp_path / "net.pt"
    checkpoint.write_bytes(b"version 1")
    made: list[Path] = []

    def export(target: Path) -> None:
        made.append(target)
        target.write_text(checkpoint.read_text())

    first = exported(checkpoint, ".640.onnx", export)
    assert exported(checkpoint, ".640.onnx", export) == first
    assert len(made) == 1 and first.read_text() == "version 1"
    assert first.name.startswith("net.") and first.name.endswith(".640.onnx")

    checkpoint.write_bytes(b"version 2")  # a changed checkpoint is exported again
    second = exported(checkpoint, ".640.onnx", export)
    assert second != first and second.read_text() == "version 2" and len(made) == 2


def test_a_failed_export_leaves_nothing_behind(tmp_path: Path) -> None:
    checkpoint = tmp_path / "net.pt"
    checkpoint.write_bytes(b"weights")

    def broken(target: Path) -> None:
        target.write_text("half")
        raise RuntimeError("the exporter gave up")

    with pytest.raises(RuntimeError, match="gave up"):
        exported(checkpoint, ".onnx", broken)
    assert [p.name for p in tmp_path.iterdir()] == ["net.pt"]


def net(result: str, calls: list[str] | None = None) -> Any:
    def run(batch: Any) -> str:
        if calls is not None:
            calls.append(result)
        return result

    return run


def run(served: Any) -> object:
    return served(None)


def missing() -> Any:
    raise ImportError("No module named 'onnxruntime'")


def test_auto_serves_a_runtime_that_loads_and_says_why_the_others_do_not() -> None:
    served, choice = choose("auto", {"torch": lambda: net("t"), "onnxruntime": missing}, run)
    assert served(None) == "t" and choice.chosen == "torch" and choice.requested == "auto"
    by_name = {c.name: c for c in choice.candidates}
    assert by_name["torch"].ms is not None
    assert by_name["onnxruntime"].error == "ImportError: No module named 'onnxruntime'"


def test_a_named_runtime_that_cannot_load_falls_back_with_the_reason() -> None:
    served, choice = choose("onnxruntime", {"torch": lambda: net("t"), "onnxruntime": missing}, run)
    assert choice.chosen == "torch" and served(0) == "t"
    assert [c.name for c in choice.candidates] == ["onnxruntime", "torch"]


def test_a_named_runtime_that_loads_is_the_only_one_tried() -> None:
    calls: list[str] = []
    builders = {"torch": lambda: net("t", calls), "openvino": lambda: net("o", calls)}
    served, choice = choose("openvino", builders, run)
    assert choice.chosen == "openvino" and set(calls) == {"o"}
    assert [c.name for c in choice.candidates] == ["openvino"]


def test_nothing_to_serve_is_an_error_naming_each_reason() -> None:
    with pytest.raises(RuntimeError, match="torch: ImportError.*onnxruntime: ImportError"):
        choose("auto", {"torch": missing, "onnxruntime": missing}, run)


def test_a_runtime_the_weights_cannot_use_is_refused_with_what_they_run_on() -> None:
    served, choice = choose("openvino", {"litert": lambda: net("l")}, run)
    assert choice.chosen == "litert" and served(None) == "l"
    refused = choice.candidates[0]
    assert refused.name == "openvino" and refused.ms is None
    assert refused.error == "this model's weights do not run on openvino (they run on litert)"


def test_a_net_keeps_one_session_per_thread_count() -> None:
    built: list[int] = []

    def build(threads: int) -> Any:
        built.append(threads)
        return lambda batch: (threads, batch)

    nets = PerThreadCount(build, 4)
    nets.prepare(1)
    assert nets("x") == (4, "x")
    nets.use(1)
    assert nets("y") == (1, "y")
    nets.use(4)
    assert nets("z") == (4, "z") and built == [1, 4]
