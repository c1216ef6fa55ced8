"""OpenVINO compiles a graph of free input size once per shape it keeps seeing (faster than
the dynamic graph) and gives the same output either way; on a tiny ONNX graph."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("openvino")
onnx = pytest.importorskip("onnx")

from modelgallery.vision.runtimes import openvino as ov_runtime  # noqa: E402
from modelgallery.vision.runtimes.openvino import OpenVinoNet  # noqa: E402


def _graph_of_free_size(path: Path) -> Path:
    """y = relu(x) * 2 on (1, 3, H, W) with H and W free."""
    from onnx import TensorProto, helper

    shape = [1, 3, "height", "width"]
    graph = helper.make_graph(
        [
            helper.make_node("Relu", ["x"], ["r"]),
            helper.make_node("Mul", ["r", "two"], ["y"]),
        ],
        "free",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape)],
        [helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_a_shape_seen_again_gets_its_own_compilation_with_the_same_output(
    tmp_path: Path,
) -> None:
    net = OpenVinoNet(_graph_of_free_size(tmp_path / "free.onnx"), threads=1)
    batch = np.random.default_rng(0).standard_normal((1, 3, 32, 48)).astype(np.float32)
    expected = np.maximum(batch, 0) * 2
    once = net(batch)  # a first sight runs on the dynamic graph
    assert net._by_shape == {}
    twice = net(batch)  # compiled for (1, 3, 32, 48) now
    assert list(net._by_shape) == [(1, 3, 32, 48)]
    for output in (once, twice, net(batch)):
        np.testing.assert_allclose(output, expected, rtol=1e-2)


def test_only_a_few_shapes_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ov_runtime, "_SHAPES_KEPT", 2)
    net = OpenVinoNet(_graph_of_free_size(tmp_path / "free.onnx"), threads=1)
    for width in (32, 64, 96):
        batch = np.ones((1, 3, 32, width), np.float32)
        net(batch)
        np.testing.assert_allclose(net(batch), 2 * batch, rtol=1e-2)
    assert list(net._by_shape) == [(1, 3, 32, 64), (1, 3, 32, 96)]  # the oldest went
