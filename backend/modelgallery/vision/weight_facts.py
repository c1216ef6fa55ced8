"""What a weights file says of itself, read without running it (`read_facts` → `WeightsFacts`):
the input's shape and type from an ONNX graph, a TFLite interpreter's input details, a Keras
configuration or an OpenVINO IR; the labels, `imgsz`, mean and std that exporters write
into ONNX `metadata_props`, files packed into a TFLite flatbuffer or an IR's `model_info`.
A TorchScript file says nothing: it is only checked to be one. A file that is not the
format its name says is refused in a sentence. Frameworks are imported inside the readers,
never at module level (the API process imports the vision modules)."""

from __future__ import annotations

import ast
import json
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

Layout = Literal["nchw", "nhwc"]
InputType = Literal["float32", "uint8"]
Format = Literal["onnx", "tflite", "keras", "torchscript", "openvino"]
FORMATS: dict[str, Format] = {
    ".onnx": "onnx",
    ".tflite": "tflite",
    ".keras": "keras",
    ".h5": "keras",
    ".hdf5": "keras",
    ".pt": "torchscript",
    ".torchscript": "torchscript",
    ".xml": "openvino",
}


@dataclass(frozen=True)
class WeightsFacts:
    """What a weights file says of its input (and its labels), where its format says it."""

    path: Path
    format: Format
    shape: tuple[int | None, ...] | None = None  # the input's; None: a free dimension
    dtype: InputType | None = None
    labels: list[str] | None = None
    size: tuple[int, int] | None = None  # width, height, from metadata (`imgsz`)
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    output_quantization: tuple[float, int] | None = None  # a uint8 output's scale, zero

    def layout(self) -> Layout | None:
        if not self.shape or len(self.shape) != 4:
            return None
        first, last = self.shape[1] in (1, 3), self.shape[3] in (1, 3)
        return "nchw" if first and not last else "nhwc" if last and not first else None

    def fixed_size(self) -> tuple[int, int] | None:
        layout = self.layout()
        if self.shape is None or layout is None:
            return None
        height, width = self.shape[2:4] if layout == "nchw" else self.shape[1:3]
        return (width, height) if width and height else None

    def channels(self) -> int | None:
        layout = self.layout()
        if self.shape is None or layout is None:
            return None
        return self.shape[1] if layout == "nchw" else self.shape[3]


def format_of(path: Path) -> Format:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(
            f"{path.name}: not a network file this family reads (use {', '.join(FORMATS)})"
        )
    return fmt


def read_facts(path: Path) -> WeightsFacts:
    """What `path` says of its input; ValueError with a sentence when it is not a file of
    the format its name says."""
    readers = {"onnx": _onnx, "tflite": _tflite, "keras": _keras, "torchscript": _torchscript}
    return readers.get(format_of(path), _openvino)(path)


def _not_a(path: Path, what: str, exc: BaseException | str) -> ValueError:
    reason = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"[:200]
    return ValueError(f"{path.name} is not {what} ({reason})")


def _onnx(path: Path) -> WeightsFacts:
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # protobuf's own errors, which name nothing a person knows
        raise _not_a(path, "an ONNX model", exc) from None
    weights = {i.name for i in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in weights]
    if not model.graph.node or not inputs:
        raise _not_a(path, "an ONNX model", "it holds no graph")
    if len(inputs) != 1:
        raise ValueError(f"{path.name} takes {len(inputs)} inputs; this family gives one image")
    tensor = inputs[0].type.tensor_type
    types: dict[int, InputType] = {1: "float32", 2: "uint8"}  # ONNX's TensorProto codes
    dtype = types.get(tensor.elem_type)
    if dtype is None:
        kind = onnx.helper.tensor_dtype_to_np_dtype(tensor.elem_type)
        raise ValueError(f"{path.name} takes {kind} input; this family gives float32 or uint8")
    shape = tuple(d.dim_value if d.dim_value > 0 else None for d in tensor.shape.dim)
    meta = {p.key: p.value for p in model.metadata_props}
    return with_metadata(WeightsFacts(path, "onnx", shape, dtype), meta)


def _tflite(path: Path) -> WeightsFacts:
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    try:
        interpreter = Interpreter(str(path))
    except Exception as exc:
        raise _not_a(path, "a TFLite model", exc) from None
    inputs, output = interpreter.get_input_details(), interpreter.get_output_details()[0]
    if len(inputs) != 1:
        raise ValueError(f"{path.name} takes {len(inputs)} inputs; this family gives one image")
    signature = inputs[0].get("shape_signature", inputs[0]["shape"])
    shape = tuple(int(d) if d > 0 else None for d in signature)
    dtype: InputType = "uint8" if inputs[0]["dtype"] == np.uint8 else "float32"
    quantised = None
    if output["dtype"] == np.uint8:
        scale, zero = output["quantization"]
        quantised = (float(scale), int(zero))
    meta: dict[str, str] = {}
    if zipfile.is_zipfile(path):  # files packed with the model: labels, ultralytics' metadata
        with zipfile.ZipFile(path) as packed:
            for member in packed.namelist()[:8]:
                text = packed.read(member)[:1_000_000].decode("utf-8", "replace")
                found = literal(text)
                if isinstance(found, dict):
                    meta.update({k: json.dumps(v) for k, v in found.items() if isinstance(k, str)})
                elif "label" in member.lower():
                    meta["labels"] = text
    facts = WeightsFacts(path, "tflite", shape, dtype, output_quantization=quantised)
    return with_metadata(facts, meta)


def _keras(path: Path) -> WeightsFacts:
    """From the saved configuration, without loading TensorFlow."""
    if zipfile.is_zipfile(path):  # Keras 3's .keras
        with zipfile.ZipFile(path) as saved:
            if "config.json" not in saved.namelist():
                raise _not_a(path, "a Keras model", "no config.json inside")
            config: Any = json.loads(saved.read("config.json"))
    else:
        import h5py  # type: ignore[import-untyped]

        try:
            with h5py.File(path, "r") as saved:
                raw = saved.attrs.get("model_config")
        except OSError as exc:
            raise _not_a(path, "a Keras model", exc) from None
        if raw is None:
            raise ValueError(
                f"{path.name} holds weights only, not a model: save the whole model "
                "(model.save) so that its layers travel with the weights"
            )
        config = json.loads(raw)
    shape = _first_shape(config)
    return WeightsFacts(path, "keras", tuple(shape) if shape else None)


def _first_shape(node: Any) -> list[int | None] | None:
    """The first input shape a Keras configuration names (its input layer's)."""
    if isinstance(node, dict):
        for key in ("batch_shape", "batch_input_shape"):
            if isinstance(node.get(key), list):
                return [d if isinstance(d, int) and d > 0 else None for d in node[key]]
        children: Any = node.values()
    elif isinstance(node, list):
        children = node
    else:
        return None
    for child in children:
        found = _first_shape(child)
        if found:
            return found
    return None


def _torchscript(path: Path) -> WeightsFacts:
    names = zipfile.ZipFile(path).namelist() if zipfile.is_zipfile(path) else []
    if not any("/code/" in n or n.endswith("constants.pkl") for n in names):
        raise ValueError(
            f"{path.name} is not a TorchScript file: a checkpoint saved with torch.save needs "
            "its Python code to run; save the model with "
            "torch.jit.save(torch.jit.trace(model, example_input), path) instead"
        )
    return WeightsFacts(path, "torchscript")


def _openvino(path: Path) -> WeightsFacts:
    import openvino as ov

    if not path.with_suffix(".bin").is_file():
        raise ValueError(
            f"{path.name} needs {path.with_suffix('.bin').name} beside it: list both files "
            "in the entry's weights"
        )
    try:
        model = ov.Core().read_model(str(path))
    except Exception as exc:
        raise _not_a(path, "an OpenVINO IR model", exc) from None
    if len(model.inputs) != 1:
        raise ValueError(f"{path.name} takes {len(model.inputs)} inputs; this family gives one")
    shape = tuple(d.get_length() if d.is_static else None for d in model.input(0).partial_shape)
    kind = model.input(0).element_type.get_type_name()
    dtype: InputType = "uint8" if kind == "u8" else "float32"
    meta: dict[str, str] = {}
    for key, ov_key in (("labels", "labels"), ("mean", "mean_values"), ("std", "scale_values")):
        if model.has_rt_info(["model_info", ov_key]):
            text = model.get_rt_info(["model_info", ov_key]).astype(str).strip()
            plain = not any(mark in text for mark in "[{,\n")  # OpenVINO's: space-separated
            meta[key] = "\n".join(text.split()) if plain else text
    return with_metadata(WeightsFacts(path, "openvino", shape, dtype), meta)


# --- what exporters write into the metadata ---------------------------------------------


def with_metadata(facts: WeightsFacts, meta: dict[str, str]) -> WeightsFacts:
    """`facts` with what an exporter's metadata says: labels (`labels` or `names`),
    `imgsz` (height and width, or one side), `mean` and `std`; each as JSON, a Python
    literal, or one value a line or a comma."""
    imgsz = _numbers(meta.get("imgsz"))
    return replace(
        facts,
        labels=_items(meta.get("labels") or meta.get("names")),
        size=(int(imgsz[-1]), int(imgsz[0])) if imgsz else None,
        mean=_numbers(meta.get("mean")),
        std=_numbers(meta.get("std")),
    )


def literal(text: str) -> Any:
    """A JSON value or Python literal (never code), or None."""
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(text.strip())
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
    return None


def _items(text: str | None) -> list[str] | None:
    if not text or not text.strip():
        return None
    value = literal(text)
    if isinstance(value, dict):  # {0: "person", 1: "bicycle"}: in the order of the ids
        keys = list(value)
        if all(str(k).isdigit() for k in keys):
            keys.sort(key=lambda k: int(k))
        return [str(value[k]) for k in keys]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, int | float):
        return [str(value)]
    separator = "\n" if "\n" in text.strip() else ","
    return [part.strip() for part in text.strip().split(separator)]


def _numbers(text: str | None) -> tuple[float, ...] | None:
    try:
        items = _items(text)
        return tuple(float(v) for v in items) if items else None
    except ValueError:
        return None
