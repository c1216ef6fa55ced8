"""A network from a weights file of any format the generic families serve, on the runtimes
that format runs on, with `auto` choosing the fastest (`selection.choose`):

| format | files | runtimes |
|---|---|---|
| ONNX | `.onnx` | onnxruntime, openvino |
| TFLite | `.tflite` | litert, openvino (which reads TFLite) |
| Keras | `.keras`, `.h5`, `.hdf5` | tensorflow, openvino (converted once, `keras_openvino`) |
| TorchScript | `.pt`, `.torchscript` | torch |
| OpenVINO IR | `.xml` with its `.bin` beside it | openvino |

`open_network` reads what the file says of itself (`weight_facts.read_facts`, which refuses
in a sentence a file that is not the format its name says), resolves the entry's
preprocessing against it, builds the network on the runtime asked for, and gives a
`Network`: one batch in the network's own layout → its first output as float32.
Frameworks are imported where a format needs them, never at module level."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..declarations import RuntimeChoice, RuntimeName, RuntimeRequest
from ..preprocess import NetInput, Placement, check_fits, preprocessing_of, resolve, to_batch
from ..weight_facts import FORMATS, Format, WeightsFacts, read_facts
from .keras_openvino import openvino_ir
from .litert import LiteRtNet
from .onnxruntime import OnnxRuntimeNet
from .openvino import OpenVinoNet
from .remembered import remembered
from .selection import TIMING_THREADS, Net, PerThreadCount, choose

if TYPE_CHECKING:
    import numpy as np

# In order of preference: the first is the fallback when the one asked for cannot run.
RUNTIMES: dict[Format, tuple[RuntimeName, ...]] = {
    "onnx": ("onnxruntime", "openvino"),
    "tflite": ("litert", "openvino"),
    "keras": ("tensorflow", "openvino"),
    "torchscript": ("torch",),
    "openvino": ("openvino",),
}
ALL_RUNTIMES: tuple[RuntimeName, ...] = ("onnxruntime", "openvino", "litert", "tensorflow", "torch")


@dataclass
class Network:
    """A loaded network: what it takes, the labels its entry or weights give, the runtime
    it serves on."""

    facts: WeightsFacts
    net_input: NetInput
    labels: list[str] | None
    runtime: RuntimeChoice
    net: PerThreadCount[Net]

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        return _first_output(self.net(batch), self.facts.output_quantization)

    def run(self, image: np.ndarray) -> tuple[np.ndarray, Placement]:
        """One BGR image → the network's output, and where the image lay in its input."""
        prepared = to_batch(image, self.net_input)
        return self(prepared.batch), prepared.placement

    def blank(self) -> np.ndarray:
        return blank(self.net_input)

    def check_input(self) -> None:
        """Raises ValueError, in a sentence, when the input made for the network is not
        what its graph takes; `open_network` checked it once."""
        check_fits(self.net_input, self.facts)

    def use_threads(self, threads: int) -> None:
        self.net.use(threads)


def open_network(
    paths: list[Path], options: Mapping[str, Any], requested: RuntimeRequest, threads: int
) -> Network:
    """The entry's network file (the one weight of a known format), its preprocessing and
    labels, on the runtime `requested` (or the fastest with `auto`)."""
    path = network_file(paths)
    facts = read_facts(path)
    net_input = resolve(preprocessing_of(options), facts)
    labels = labels_of(options, paths, facts)
    builds = _builds(path, facts.format)
    timing = threads if "tensorflow" in builds else TIMING_THREADS
    builders = {
        name: (lambda build=build: PerThreadCount(build, timing)) for name, build in builds.items()
    }
    sample = to_batch(blank(net_input), net_input).batch
    remember = remembered(path, threads, f"{sample.shape} at {timing} thread")
    net, choice = choose(requested, builders, lambda n: n(sample), remember)
    net.use(threads)
    for count in {threads, 1}:  # a job's share when the machine is idle, and when busy
        net.prepare(count)
    return Network(facts, net_input, labels, choice, net)


def blank(net_input: NetInput) -> np.ndarray:
    """A black image of the input's size: for warm-ups and checks."""
    import numpy as np

    width, height = net_input.size
    return np.zeros((height, width, 3), np.uint8)


def network_file(paths: list[Path]) -> Path:
    found = [p for p in paths if p.suffix.lower() in FORMATS]
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise ValueError(
            f"the entry's weights must hold one network file ({', '.join(FORMATS)}); "
            f"found {len(found)}: {names}"
        )
    return found[0]


def labels_of(
    options: Mapping[str, Any], paths: list[Path], facts: WeightsFacts
) -> list[str] | None:
    """`options.labels`: a list, or the name of a file among the weights with one label a
    line; else what the weights' metadata names; else None."""
    given = options.get("labels")
    if given is None:
        return facts.labels
    if isinstance(given, list) and all(isinstance(v, str | int | float) for v in given):
        return [str(v) for v in given]
    if not isinstance(given, str):
        raise ValueError(
            "options.labels: give a list of labels, or the name of a file among the weights "
            "with one label a line"
        )
    path = next((p for p in paths if p.name == given), None)
    if path is None:
        raise ValueError(
            f"options.labels names the file {given!r}, which is not among the entry's weights: "
            "list it there too"
        )
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    return [line.strip() or f"class {i}" for i, line in enumerate(lines)]


def _builds(path: Path, fmt: Format) -> dict[RuntimeName, Callable[[int], Net]]:
    """How to make the network at a thread count, on each runtime its format runs on."""

    def on_openvino(source: Callable[[], Path]) -> Callable[[int], Net]:
        # float32: OpenVINO's default bfloat16 moves a probability by up to 0.02.
        return lambda n: OpenVinoNet(source(), n, takes_nchw=False, float32=True)

    if fmt == "onnx":
        return {
            "onnxruntime": lambda n: OnnxRuntimeNet(path, n),
            "openvino": on_openvino(lambda: path),
        }
    if fmt == "tflite":
        return {"litert": lambda n: _on_litert(path, n), "openvino": on_openvino(lambda: path)}
    if fmt == "keras":
        model = cache(lambda: _keras_model(path))
        return {
            "tensorflow": lambda _: _on_tensorflow(model()),
            "openvino": on_openvino(lambda: openvino_ir(path, model())),
        }
    if fmt == "torchscript":
        module = cache(lambda: _torchscript_module(path))
        return {"torch": lambda _: _on_torch(module())}  # the worker sizes torch's own pool
    return {"openvino": on_openvino(lambda: path)}


def _on_litert(path: Path, threads: int) -> Net:
    net = LiteRtNet(path, threads)
    if not net.channels_last:
        return net
    # LiteRtNet takes NCHW and turns it into the NHWC its graph takes: ours is NHWC already.
    return lambda batch: net(batch.transpose(0, 3, 1, 2))


def _keras_model(path: Path) -> Any:
    import keras

    return keras.models.load_model(path, compile=False)


def _on_tensorflow(model: Any) -> Net:
    # predict_on_batch: one call, without predict()'s per-call dataset machinery.
    return lambda batch: model.predict_on_batch(batch)


def _torchscript_module(path: Path) -> Any:
    import torch

    with warnings.catch_warnings():
        # torch 2.13 calls TorchScript deprecated in favour of torch.export, whose files
        # are another format; TorchScript files still load and run.
        warnings.filterwarnings("ignore", "`torch.jit", DeprecationWarning)
        return torch.jit.load(str(path), map_location="cpu").eval()


def _on_torch(module: Any) -> Net:
    import torch

    def run(batch: np.ndarray) -> Any:
        with torch.inference_mode():
            return module(torch.from_numpy(batch))

    return run


def _first_output(out: Any, quantization: tuple[float, int] | None) -> np.ndarray:
    """A runtime's output (an array, a tensor, or a list, tuple or dict of them) → the
    first one as float32; a uint8 output dequantised."""
    import numpy as np

    while isinstance(out, list | tuple | dict):
        out = next(iter(out.values())) if isinstance(out, dict) else out[0]
    array = np.asarray(out)
    if array.dtype == np.uint8 and quantization is not None:
        scale, zero = quantization
        return (array.astype(np.float32) - zero) * np.float32(scale)
    return array.astype(np.float32, copy=False)
