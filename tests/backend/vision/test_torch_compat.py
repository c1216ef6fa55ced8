"""torchvision's NMS when its compiled operators cannot load: the pure-torch fallback must
agree with a plain greedy NMS written out longhand, and must be used only when needed."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from modelgallery.vision.runtimes import torch_compat
from tests.support.boxes import iou

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tv():
    torch_compat.ensure_torchvision_ops()
    import torchvision

    return torchvision


def reference_nms(boxes, scores, threshold: float) -> list[int]:
    """Greedy NMS in plain Python: highest score first (ties: lower index first); drop any
    box whose IoU with a kept one is above the threshold."""
    rows = boxes.tolist()
    order = sorted(range(len(rows)), key=lambda i: -scores[i].item())
    kept: list[int] = []
    for i in order:
        if all(iou(rows[i], rows[k]) <= threshold for k in kept):
            kept.append(i)
    return kept


def random_boxes(n: int, seed: int, tied_scores: bool = False):
    gen = torch.Generator().manual_seed(seed)
    corner = torch.rand(n, 2, generator=gen) * 200
    size = torch.rand(n, 2, generator=gen) * 60 + 1
    boxes = torch.cat((corner, corner + size), 1)
    scores = torch.rand(n, generator=gen)
    if tied_scores:  # few distinct scores, and exact duplicate boxes
        scores = (scores * 4).floor() / 4
        boxes[n // 2 :: 7] = boxes[: len(boxes[n // 2 :: 7])]
    return boxes, scores


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_nms_matches_the_reference(tv, seed: int, threshold: float) -> None:
    boxes, scores = random_boxes(300, seed)
    keep = tv.ops.nms(boxes, scores, threshold)
    assert keep.dtype == torch.int64
    assert keep.tolist() == reference_nms(boxes, scores, threshold)
    assert torch.all(scores[keep][:-1] >= scores[keep][1:])  # by decreasing score


@pytest.mark.parametrize("seed", [10, 11, 12])
def test_ties_keep_the_original_order(tv, seed: int) -> None:
    boxes, scores = random_boxes(200, seed, tied_scores=True)
    assert tv.ops.nms(boxes, scores, 0.5).tolist() == reference_nms(boxes, scores, 0.5)
    same = torch.tensor([[0.0, 0, 10, 10]] * 3)
    assert tv.ops.nms(same, torch.tensor([0.5, 0.5, 0.5]), 0.5).tolist() == [0]


@pytest.mark.parametrize("n", [400, 5000])  # torchvision takes another path past 4000 boxes
def test_batched_nms_matches_per_class_reference(tv, n: int) -> None:
    boxes, scores = random_boxes(n, seed=n)
    classes = torch.randint(0, 5, (n,), generator=torch.Generator().manual_seed(n))
    keep = tv.ops.batched_nms(boxes, scores, classes, 0.5)
    expected = set()
    for cls in range(5):
        members = torch.nonzero(classes == cls).flatten()
        expected |= {members[i].item() for i in reference_nms(boxes[members], scores[members], 0.5)}
    assert set(keep.tolist()) == expected
    assert torch.all(scores[keep][:-1] >= scores[keep][1:])


def test_empty_input(tv) -> None:
    empty = tv.ops.nms(torch.empty(0, 4), torch.empty(0), 0.5)
    assert empty.dtype == torch.int64 and empty.numel() == 0
    batched = tv.ops.batched_nms(torch.empty(0, 4), torch.empty(0), torch.empty(0), 0.5)
    assert batched.numel() == 0


def test_bad_shapes_are_refused(tv) -> None:
    if torch_compat.ensure_torchvision_ops() != "fallback":
        pytest.skip("torchvision's compiled ops are in use")
    with pytest.raises(RuntimeError, match="Tensor\\[N, 4\\]"):
        torch_compat.greedy_nms(torch.zeros(3, 5), torch.zeros(3), 0.5)


def test_ensure_twice_is_harmless(tv) -> None:
    first = torch_compat.ensure_torchvision_ops()
    assert torch_compat.ensure_torchvision_ops() == first
    boxes, scores = random_boxes(50, 7)
    assert tv.ops.nms(boxes, scores, 0.5).tolist() == reference_nms(boxes, scores, 0.5)


def test_compiled_ops_are_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    """When torchvision's own operator is there, nothing is registered."""
    monkeypatch.setattr(torch_compat, "_state", None)
    monkeypatch.setattr(torch_compat, "_has_op", lambda name: True)

    def must_not_run() -> str:
        raise AssertionError("the fallback was registered although the compiled op exists")

    monkeypatch.setattr(torch_compat, "_register_fallback", must_not_run)
    assert torch_compat.ensure_torchvision_ops() == "compiled"


def test_a_fresh_process_imports_torchvision_after_ensure() -> None:
    """The order a worker uses: ensure first, then torchvision (and ultralytics) import."""
    script = textwrap.dedent(
        """
        from modelgallery.vision.runtimes.torch_compat import ensure_torchvision_ops
        state = ensure_torchvision_ops()
        import torch, torchvision
        assert ensure_torchvision_ops() == state
        boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]])
        keep = torchvision.ops.nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
        print(state, keep.tolist())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    state, keep = done.stdout.split(maxsplit=1)
    assert state in ("compiled", "fallback")
    assert keep.strip() == "[0, 2]"
