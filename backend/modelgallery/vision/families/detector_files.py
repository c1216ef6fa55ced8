"""What an exported detector (ONNX, OpenVINO IR, TFLite) says about itself, for the `yolo`
family: class names, input size and stride; the labels a registry entry adds; the runtimes
that read each format. Frameworks are imported inside the functions that read them.

Ultralytics writes its metadata into every export: ONNX `metadata_props` (Python literals
as strings), a `metadata.yaml` beside an OpenVINO IR (and the labels in the IR's `rt_info`,
spaces turned to underscores), a zip appended to a TFLite flatbuffer. Other exporters (the
classic YOLOv5 one) write no names: those come from `options.labels`, else `class 0..N-1`."""

from __future__ import annotations

import ast
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..declarations import RuntimeName
from ..runtimes.litert import LiteRtNet
from ..runtimes.onnxruntime import OnnxRuntimeNet
from ..runtimes.openvino import OpenVinoNet
from ..runtimes.selection import Net

NETWORK_SUFFIXES = (".pt", ".onnx", ".xml", ".tflite")
_LITERAL_KEYS = {"names", "imgsz", "stride", "end2end", "args", "batch"}
_LABEL_SUFFIXES = (".txt", ".names")
_YAML_SUFFIXES = (".yaml", ".yml")

Format = Literal["onnx", "openvino", "tflite"]
_FORMATS: dict[str, Format] = {".onnx": "onnx", ".xml": "openvino", ".tflite": "tflite"}


def network_file(weights: list[Path]) -> Path:
    """The network among a model's weight files (the others: an IR's `.bin`, metadata,
    labels), by its suffix; the first file when none has a known one."""
    return next((p for p in weights if p.suffix.lower() in NETWORK_SUFFIXES), weights[0])


@dataclass(frozen=True)
class DetectorFile:
    path: Path
    format: Format
    metadata: dict[str, Any]  # ultralytics' keys, values decoded; empty without metadata
    input_size: tuple[int, int] | None  # (height, width) of a graph of fixed input size
    names: dict[int, str] | None  # the classes the metadata names

    @property
    def task(self) -> str:
        return str(self.metadata.get("task", "detect"))

    @property
    def end2end(self) -> bool:
        args = self.metadata.get("args")
        nms = isinstance(args, dict) and bool(args.get("nms"))
        return bool(self.metadata.get("end2end")) or nms

    def imgsz(self, default: int) -> int:
        """The graph's own input side, else the size it was exported at, else `default`."""
        if self.input_size is not None:
            return self.input_size[0]
        size = self.metadata.get("imgsz")
        sides = size if isinstance(size, list | tuple) else [size]
        found = [int(s) for s in sides if isinstance(s, int | float) and s > 0]
        return max(found) if found else default

    def stride(self, default: int) -> int:
        stride = self.metadata.get("stride")
        return int(stride) if isinstance(stride, int | float) and stride > 0 else default


def read_detector(path: Path, weights: list[Path]) -> DetectorFile:
    """The facts of an ONNX, OpenVINO IR or TFLite detector; ValueError with a sentence
    when the file cannot be read as one."""
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"{path.name}: not an ONNX, OpenVINO (.xml) or TFLite detector")
    if kind == "onnx":
        metadata, shape = _read_onnx(path)
    elif kind == "openvino":
        metadata, shape = _read_openvino(path, weights)
    else:
        metadata, shape = _read_tflite(path)
    names = _names(metadata["names"], path) if "names" in metadata else None
    return DetectorFile(path, kind, metadata, _fixed_size(shape, path), names)


def _read_onnx(path: Path) -> tuple[dict[str, Any], list[int | None]]:
    import onnx

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:
        raise _unreadable(path, "ONNX", exc) from None
    given = {init.name for init in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in given]
    if not inputs or not model.graph.output:
        raise ValueError(f"{path.name} holds no network: its ONNX graph has no input or output")
    dims = inputs[0].type.tensor_type.shape.dim
    shape = [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else None for d in dims]
    raw = {prop.key: prop.value for prop in model.metadata_props}
    return {key: _decoded(key, value) for key, value in raw.items()}, shape


def _read_openvino(path: Path, weights: list[Path]) -> tuple[dict[str, Any], list[int | None]]:
    import openvino as ov

    binary = path.with_suffix(".bin")
    if not binary.is_file():
        listed = [p.name for p in weights if p.suffix.lower() == ".bin"]
        hint = f" (the weights list {', '.join(listed)}: name it {binary.name})" if listed else ""
        raise ValueError(
            f"{path.name} needs its weights file {binary.name} beside it: OpenVINO reads an "
            f"IR's weights from the .bin of the same name{hint}"
        )
    try:
        model = ov.Core().read_model(str(path))
    except Exception as exc:
        raise _unreadable(path, "OpenVINO", exc) from None
    shape = model.input(0).get_partial_shape()
    dims = [d.get_length() if d.is_static else None for d in shape]
    metadata = _yaml_metadata(path, weights)
    if "names" not in metadata and model.has_rt_info(["model_info", "labels"]):
        labels = str(model.get_rt_info(["model_info", "labels"]).astype(str)).split()
        if labels:
            metadata["names"] = labels
    return metadata, dims


def _yaml_metadata(path: Path, weights: list[Path]) -> dict[str, Any]:
    """Ultralytics' `metadata.yaml`: a YAML file among the weights, else the one beside
    the IR (its export folder)."""
    import yaml  # type: ignore[import-untyped]  # PyYAML comes with ultralytics

    found = next((p for p in weights if p.suffix.lower() in _YAML_SUFFIXES), None)
    found = found or path.with_name("metadata.yaml")
    if not found.is_file():
        return {}
    try:
        loaded = yaml.safe_load(found.read_text(encoding="utf-8"))
    except Exception as exc:
        raise _unreadable(found, "YAML", exc) from None
    return dict(loaded) if isinstance(loaded, dict) else {}


def _read_tflite(path: Path) -> tuple[dict[str, Any], list[int | None]]:
    try:
        dims: list[int | None] = [int(d) for d in _tflite_input_shape(path)]
    except Exception as exc:
        raise _unreadable(path, "TFLite", exc) from None
    return _tflite_metadata(path), dims


def _tflite_input_shape(path: Path) -> list[int]:
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # OpenVINO reads TFLite too
        import openvino as ov

        return list(ov.Core().read_model(str(path)).input(0).get_shape())
    return [int(d) for d in Interpreter(model_path=str(path)).get_input_details()[0]["shape"]]


def _tflite_metadata(path: Path) -> dict[str, Any]:
    """The zip ultralytics appends to a TFLite flatbuffer: `metadata.json`, or (before 8.3)
    one member holding a Python dict literal."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.namelist()
            if "metadata.json" in members:
                found = json.loads(archive.read("metadata.json"))
            else:
                found = ast.literal_eval(archive.read(members[0]).decode())
    except Exception:  # no zip appended: a file without metadata
        return {}
    return dict(found) if isinstance(found, dict) else {}


def _unreadable(path: Path, kind: str, exc: Exception) -> ValueError:
    lines = [line for line in str(exc).splitlines() if line and "Exception from" not in line]
    why = lines[0][:200] if lines else type(exc).__name__
    return ValueError(f"{path.name} cannot be read as {kind}: it is damaged or not {kind} ({why})")


def _decoded(key: str, value: str) -> Any:
    if key not in _LITERAL_KEYS:
        return value
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return value


def _names(value: object, path: Path) -> dict[int, str]:
    try:
        if isinstance(value, dict):
            return {int(k): str(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return {i: str(v) for i, v in enumerate(value)}
    except (TypeError, ValueError):
        pass
    raise ValueError(
        f"{path.name}: the class names in its metadata cannot be read ({str(value)[:80]})"
    )


def _fixed_size(shape: list[int | None], path: Path) -> tuple[int, int] | None:
    """(height, width) of an NCHW or NHWC image input when both are fixed; ValueError for
    an input that is no colour image, or a fixed one that is not square."""
    if len(shape) == 4 and shape[3] == 3 and shape[1] != 3:
        height, width = shape[1], shape[2]
    elif len(shape) == 4 and shape[1] in (3, None):
        height, width = shape[2], shape[3]
    else:
        shown = tuple("?" if d is None else d for d in shape)
        raise ValueError(
            f"{path.name} takes an input of shape {shown}, not a colour image "
            "(1, 3, height, width): it is not a YOLO detector"
        )
    if height is None or width is None:
        return None
    if height != width:
        raise ValueError(
            f"{path.name} takes {width}x{height} images: only square inputs are served; "
            "export it with one image size (e.g. imgsz=640)"
        )
    return height, width


@dataclass(frozen=True)
class Labels:
    names: list[str]
    source: str  # where they were given, for messages


def read_labels(option: object, weights: list[Path]) -> Labels | None:
    """The entry's `options.labels`: a list of names, or the name of a text file among the
    weights (one name a line); without the option, a `.txt` file among the weights."""
    if isinstance(option, list):
        return Labels([str(v).strip() for v in option], "options.labels")
    if option is None:
        found = next((p for p in weights if p.suffix.lower() in _LABEL_SUFFIXES), None)
        if found is None:
            return None
    else:
        found = next((p for p in weights if p.name == option), None)
        if found is None:
            raise ValueError(
                "options.labels must be a list of class names or the name of a labels file "
                f"among the model's weight files, not {option!r}"
            )
    try:
        lines = [line.strip() for line in found.read_text(encoding="utf-8-sig").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"the labels file {found.name} cannot be read as text ({exc})") from None
    while lines and not lines[-1]:
        lines.pop()
    return Labels(lines, found.name)


def classes_of(
    count: int, own: dict[int, str] | None, option: object, weights: list[Path]
) -> tuple[dict[int, str], tuple[str, ...]]:
    """The names of a network's `count` classes: the file's own, else the labels given
    (`option`: the entry's `options.labels`), else `class 0..N-1`; and why they disagree
    with the network, in sentences."""
    if own:
        if len(own) == count:
            return own, ()
        found = f"{_count(len(own), 'class')} but the detector finds {_count(count, 'class')}"
        return own, (f"the file's own metadata names {found}",)
    labels = read_labels(option, weights)
    given = labels.names if labels else []
    names = {i: given[i] if i < len(given) and given[i] else f"class {i}" for i in range(count)}
    return names, tuple(_label_problems(count, labels)) if labels else ()


def _label_problems(count: int, labels: Labels) -> list[str]:
    problems = []
    if len(labels.names) != count:
        given = _count(len(labels.names), "label")
        verb = "was" if len(labels.names) == 1 else "were"
        problems.append(
            f"the detector finds {_count(count, 'class')} but {given} {verb} given "
            f"({labels.source})"
        )
    empty = [str(i + 1) for i, name in enumerate(labels.names) if not name]
    if empty:
        problems.append(
            f"label {', '.join(empty[:5])} of {labels.source} is empty: every class needs a name"
        )
    return problems


def runtimes_for(found: DetectorFile) -> dict[RuntimeName, Callable[[int], Net]]:
    """The runtimes that read the file's format, the first the fallback."""
    path = found.path
    on_openvino: Callable[[int], Net] = lambda n: OpenVinoNet(path, n)  # noqa: E731
    if found.format == "onnx":
        return {"onnxruntime": lambda n: OnnxRuntimeNet(path, n), "openvino": on_openvino}
    if found.format == "tflite":
        return {"litert": lambda n: LiteRtNet(path, n), "openvino": on_openvino}
    return {"openvino": on_openvino}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{'es' if noun.endswith('s') else 's'}"
