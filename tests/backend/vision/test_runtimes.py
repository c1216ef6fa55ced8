"""Choosing a runtime and caching exports (`vision/runtimes/`), with small stand-in nets:
the real exports and their agreement with PyTorch are in tests/acceptance/test_runtimes.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from modelgallery.vision.runtimes.exports import exported
from modelgallery.vision.runtimes.remembered import remembered
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


def test_auto_measures_once_per_model_and_machine_and_every_later_load_reuses_it(
    tmp_path: Path,
) -> None:
    """The first load times every runtime and keeps the choice beside the weights; later
    loads (the group's other workers, the next start) build only the chosen runtime."""
    weights = tmp_path / "net.onnx"
    weights.write_bytes(b"weights")
    built: list[str] = []

    def builders(broken: str = "") -> dict[Any, Any]:
        def build(name: str) -> Any:
            def make() -> Any:
                built.append(name)
                if name == broken:
                    raise RuntimeError(f"{name} is gone")
                return net(name)

            return make

        return {"onnxruntime": build("onnxruntime"), "openvino": build("openvino")}

    first, choice = choose("auto", builders(), run, remembered(weights, 1, "(1, 3, 8, 8)"))
    assert sorted(built) == ["onnxruntime", "openvino"] and not choice.reused
    assert choice.measured_at is not None
    [record] = tmp_path.glob("net.*.runtime.json")

    built.clear()
    again, reused = choose("auto", builders(), run, remembered(weights, 1, "(1, 3, 8, 8)"))
    assert built == [choice.chosen] and again(None) == first(None)
    assert reused.reused and reused.candidates == choice.candidates
    assert reused.measured_at == choice.measured_at

    # The chosen runtime no longer loads: measured again, and the record follows.
    built.clear()
    _, remeasured = choose(
        "auto", builders(broken=choice.chosen), run, remembered(weights, 1, "(1, 3, 8, 8)")
    )
    assert remeasured.chosen != choice.chosen and not remeasured.reused
    assert choice.chosen in built

    # Other weights, threads or trial input: a record of their own.
    assert remembered(weights, 2, "(1, 3, 8, 8)") != remembered(weights, 1, "(1, 3, 8, 8)")
    assert remembered(weights, 1, "(1, 3, 9, 9)") != remembered(weights, 1, "(1, 3, 8, 8)")
    weights.write_bytes(b"new weights")
    assert remembered(weights, 1, "(1, 3, 8, 8)").path != record  # type: ignore[union-attr]


def test_a_requested_runtime_or_a_single_one_is_never_remembered(tmp_path: Path) -> None:
    weights = tmp_path / "net.onnx"
    weights.write_bytes(b"weights")
    remember = remembered(weights, 1, "")
    choose(
        "openvino", {"onnxruntime": lambda: net("o"), "openvino": lambda: net("v")}, run, remember
    )
    choose("auto", {"onnxruntime": lambda: net("o")}, run, remember)
    assert not list(tmp_path.glob("*.runtime.json"))
