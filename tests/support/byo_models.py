"""Weights for the bring-your-own-model tests that the other builders (`generic_models`, the
acceptance tests' fixtures) do not make: an Ultralytics checkpoint of the YOLOv8n definition
with random weights and the class names given, since no trained one can be made offline."""

from __future__ import annotations

from pathlib import Path


def ultralytics_checkpoint(path: Path, names: dict[int, str]) -> Path:
    """A YOLOv8n `.pt` as Ultralytics saves it (its own network class and names inside),
    random weights (seed 0): it loads and runs anywhere Ultralytics does, and finds nothing
    that means anything."""
    import torch
    from ultralytics import YOLO
    from ultralytics.nn.tasks import DetectionModel

    from modelgallery.vision.runtimes.ultralytics import prepare_runtime

    prepare_runtime()
    torch.manual_seed(0)
    model = YOLO("yolov8n.yaml", task="detect")
    model.model = DetectionModel("yolov8n.yaml", nc=len(names), verbose=False)
    model.model.names = dict(names)
    model.save(str(path))
    return path
