"""Running torch and ultralytics inside a worker: offline, with the fonts its plotting looks
for, torchvision's NMS available, and torch at the worker's thread budget; the bare network
of an ultralytics checkpoint, its ONNX export, and ultralytics' own predictor."""

from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .selection import thread_budget

if TYPE_CHECKING:
    import numpy as np
    from torch.nn import Module
    from ultralytics import YOLO


def prepare_runtime() -> int:
    """Before ultralytics, torch or torchvision is imported (a notebook, a script, a test
    that uses them directly): `ultralytics_environment`, then `torch_runtime`. Returns the
    thread count."""
    threads = ultralytics_environment()
    torch_runtime(threads)
    return threads


def ultralytics_environment() -> int:
    """No network, and a settings folder with the fonts ultralytics' plotting looks for.
    Returns the worker's thread count. A family loads with this alone and imports PyTorch
    only where a network runs on it, is read by ultralytics or is exported
    (`torch_runtime`): a worker serving an export never imports it."""
    os.environ["YOLO_OFFLINE"] = "1"  # never download (assets, fonts, pip installs)
    os.environ["YOLO_AUTOINSTALL"] = "false"
    default_dir = Path(tempfile.gettempdir()) / f"modelgallery-ultralytics-{os.getuid()}"
    config_dir = Path(os.environ.setdefault("YOLO_CONFIG_DIR", str(default_dir)))
    _install_fonts(config_dir / "Ultralytics")
    return thread_budget()


def torch_runtime(threads: int) -> None:
    """Before torch, torchvision or ultralytics is imported: torchvision's NMS, and torch at
    the worker's thread count (once per process)."""
    from .torch_compat import ensure_torchvision_ops

    ensure_torchvision_ops()
    import torch

    torch.set_num_threads(threads)


def torch_net(run: Callable[[np.ndarray], Any]) -> Callable[[int], Callable[[np.ndarray], Any]]:
    """How to make a PyTorch net at a thread count (`PerThreadCount`'s build). PyTorch's
    pool is the process's: the net sizes it before a call when it differs, so that it is
    timed at the count the other runtimes are (the worker sizes it for each job too)."""

    def at(threads: int) -> Callable[[np.ndarray], Any]:
        def call(batch: np.ndarray) -> Any:
            import torch

            if torch.get_num_threads() != threads:
                torch.set_num_threads(threads)
            return run(batch)

        return call

    return at


def _install_fonts(folder: Path) -> None:
    """Ultralytics downloads Arial when it draws text with PIL; matplotlib ships DejaVu
    Sans, which serves (it also covers Cyrillic and Greek labels)."""
    import importlib.util

    folder.mkdir(parents=True, exist_ok=True)
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return
    source = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    for name in ("Arial.ttf", "Arial.Unicode.ttf"):
        target = folder / name
        if source.is_file() and not target.exists():
            # Copy then rename: two workers starting together never see half a file.
            partial = folder / f".{name}.{os.getpid()}"
            shutil.copyfile(source, partial)
            os.replace(partial, target)


@dataclass(frozen=True)
class DetectionNetwork:
    """The bare network of an ultralytics detection checkpoint, ready to run."""

    module: Module  # fused, in eval mode
    names: dict[int, str]
    stride: int
    end2end: bool  # NMS inside the head (YOLOv10, YOLO26): its rows are final boxes


def detection_network(checkpoint: Path) -> DetectionNetwork:
    from ultralytics import YOLO

    model = YOLO(str(checkpoint), task="detect").model
    head = model.model[-1]
    module = model.fuse(verbose=False).eval()
    names = {int(k): str(v) for k, v in model.names.items()}
    end2end = bool(getattr(head, "end2end", False))
    return DetectionNetwork(module, names, int(model.stride.max()), end2end)


def export_onnx(checkpoint: Path, target: Path, imgsz: int) -> None:
    """ultralytics' own ONNX export of `checkpoint`, taking any input size (so the
    letterboxed rectangle of an image goes in as it is), written to `target`. Needs no
    network. The exporter writes next to its input: it works on a copy in a scratch folder."""
    from ultralytics import YOLO

    with tempfile.TemporaryDirectory() as scratch, warnings.catch_warnings():
        # ultralytics picks torch's TorchScript-based exporter on purpose; its deprecation
        # notice and the tracer's notes on shapes say nothing new about this graph.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", UserWarning)
        copy = Path(scratch) / checkpoint.name
        shutil.copyfile(checkpoint, copy)
        written = YOLO(str(copy), task="detect").export(
            format="onnx", dynamic=True, imgsz=imgsz, verbose=False
        )
        if not written:
            raise RuntimeError("ultralytics' ONNX export failed (see the worker's log)")
        shutil.move(str(written), target)


def load_predictor(weights: Path, threads: int) -> YOLO:
    """`ultralytics.YOLO` for any file it reads, its LiteRT interpreter (if that is what it
    runs) at `threads`: LiteRT fixes its threads when a model loads."""
    from ultralytics import YOLO

    try:
        import ultralytics.nn.backends.litert as litert
    except ImportError:  # another layout of ultralytics: keep its own choice
        pass
    else:
        litert.NUM_THREADS = threads
    return YOLO(str(weights), task="detect")
