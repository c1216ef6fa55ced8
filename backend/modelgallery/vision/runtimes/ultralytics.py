"""Running torch and ultralytics inside a worker: offline, with the fonts its plotting looks
for, torchvision's NMS available, and torch at the worker's thread budget."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def prepare_runtime() -> int:
    """Before ultralytics or torchvision is imported: no network, a settings folder with
    the fonts its plotting looks for, torchvision's NMS, and torch at the worker's thread
    count. Returns that count."""
    os.environ["YOLO_OFFLINE"] = "1"  # never download (assets, fonts, pip installs)
    os.environ["YOLO_AUTOINSTALL"] = "false"
    default_dir = Path(tempfile.gettempdir()) / f"modelgallery-ultralytics-{os.getuid()}"
    config_dir = Path(os.environ.setdefault("YOLO_CONFIG_DIR", str(default_dir)))
    _install_fonts(config_dir / "Ultralytics")

    from .torch_compat import ensure_torchvision_ops

    ensure_torchvision_ops()
    import torch

    threads = int(os.environ.get("OMP_NUM_THREADS") or torch.get_num_threads())
    torch.set_num_threads(max(1, threads))
    return max(1, threads)


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
