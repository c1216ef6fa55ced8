"""Two real versions of one detector compared through the product, as an administrator would:

    .venv/bin/python -m benchmarks.compare_versions [--out FILE]

Starts the real server, adds a model of the `yolo` family with two versions from the offline
mirror: version 1 the classic YOLOv5n checkpoint exported to ONNX by the project's exporter
(ONNX Runtime), version 2 the YOLOv8n int8 TFLite (LiteRT). Version 1 goes live, the
samples (bus.jpg, zidane.jpg, face_test_image.jpg and the 6 s video) are predicted, then a
replay runs them again on version 2 and the replay's comparison is printed: detections
matched per class at IoU 0.5, the candidate's precision, recall and F1 against the live
version, per version latency, and the inputs where they disagree most. Prints markdown."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.jobs import wait_for
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer

REPO = Path(__file__).resolve().parents[1]
ASSETS = REPO.parent / "shared" / "assets"
SAMPLES = [
    ("bus.jpg", "image/jpeg"),
    ("zidane.jpg", "image/jpeg"),
    ("face_test_image.jpg", "image/jpeg"),
    ("people_movement.mp4", "video/mp4"),
]
MODEL = "detector"


def classic_export(folder: Path) -> list[Path]:
    from modelgallery.vision.runtimes.ultralytics import prepare_runtime
    from modelgallery.vision.runtimes.yolov5_checkpoint import export_onnx, load_classic_yolov5

    checkpoint = ASSETS / "models" / "yolov5n.pt"
    prepare_runtime()
    export_onnx(checkpoint, folder / "yolov5n.onnx")
    names = load_classic_yolov5(checkpoint).class_names
    (folder / "coco.txt").write_text("".join(f"{names[i]}\n" for i in range(len(names))))
    return [folder / "yolov5n.onnx", folder / "coco.txt"]


def add_version(http: httpx.Client, admin: dict[str, str], files: list[Path], runtime: str) -> str:
    bus = (ASSETS / "samples" / "bus.jpg").read_bytes()
    parts = [("weights", (p.name, p.read_bytes(), "application/octet-stream")) for p in files]
    parts.append(("example", ("bus.jpg", bus, "image/jpeg")))
    answer = http.post(
        f"/api/admin/catalog/{MODEL}/versions",
        files=parts,
        data={"runtime": runtime},
        headers=admin,
        timeout=300,
    )
    answer.raise_for_status()
    version: dict[str, Any] = answer.json()
    deadline = time.monotonic() + 300
    while version["state"] == "validating" and time.monotonic() < deadline:
        time.sleep(0.5)
        model = http.get(f"/api/admin/catalog/{MODEL}", headers=admin).json()
        version = next(v for v in model["versions"] if v["id"] == version["id"])
    if version["state"] != "ready":
        raise SystemExit(f"version {version['number']} is {version['state']}: {version['reason']}")
    return str(version["id"])


def run(folder: Path) -> dict[str, Any]:
    registry = folder / "models.toml"  # one placeholder model, so that the group exists
    registry.write_text(
        '[models.placeholder]\ntitle = "Placeholder"\ntask = "image-to-image"\n'
        'family = "tests.support.toy_models:ToyInvert"\ngroup = "torch"\n'
    )
    env = {"MODELS_FILE": str(registry), "WORKER_GROUPS": '{"torch": 1}', "QUEUE_SIZE": "50"}
    with BackendServer(folder / "server", env) as server, server.client() as http:
        http.timeout = httpx.Timeout(300)
        login = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        token = http.post("/api/auth/login", json=login).json()["access_token"]
        http.cookies.clear()
        admin = {"Authorization": f"Bearer {token}"}
        body = {"id": MODEL, "title": "Detector", "task": "object-detection", "family": "yolo"}
        http.post("/api/admin/catalog", json={**body, "group": "torch"}, headers=admin)
        v5 = add_version(http, admin, classic_export(folder), "onnxruntime")
        v8 = add_version(http, admin, [ASSETS / "models" / "yolov8n_int8.tflite"], "litert")
        http.post(
            f"/api/admin/catalog/{MODEL}/versions/{v5}/live", headers=admin
        ).raise_for_status()
        for name, media_type in SAMPLES:
            content = (ASSETS / "samples" / name).read_bytes()
            sent = http.post(
                f"/api/models/{MODEL}/predictions",
                files={"file": (name, content, media_type)},
                params={"wait": 300},
            )
            sent.raise_for_status()
            wait_for(http, sent.json()["id"], timeout_s=300)
        replay = http.post(
            f"/api/admin/catalog/{MODEL}/replays", json={"version": v8, "limit": 10}, headers=admin
        ).json()
        deadline = time.monotonic() + 600
        while replay["state"] != "done" and time.monotonic() < deadline:
            time.sleep(1)
            replay = http.get(
                f"/api/admin/catalog/{MODEL}/replays/{replay['id']}", headers=admin
            ).json()
        compared: dict[str, Any] = http.get(
            f"/api/admin/catalog/{MODEL}/replays/{replay['id']}/comparison", headers=admin
        ).json()
        return compared


def report(compared: dict[str, Any]) -> str:
    lines = ["# YOLOv5n (classic, ONNX Runtime) → YOLOv8n int8 (TFLite, LiteRT)", ""]
    for kind, summary in compared["summaries"].items():
        boxes = summary["boxes"]
        lines += [
            f"## {kind}: {summary['pairs']} pair(s)",
            "",
            "| class | matched | only v1 | only v2 | precision | recall | F1 |",
            "|---|---|---|---|---|---|---|",
            _row("all", boxes),
            *(_row(name, counts) for name, counts in sorted(summary["per_class"].items())),
            "",
        ]
    lines += ["| version | predictions | failed | p50 ms | model p50 ms |", "|---|---|---|---|---|"]
    for side in ("baseline", "candidate"):
        figures = compared[side]
        lines.append(
            f"| {figures['number']} | {figures['predictions']} | {figures['failed']} | "
            f"{figures['latency_ms'].get('p50', '–')} | {figures['model_ms'].get('p50', '–')} |"
        )
    lines += ["", "Where they disagree most:", ""]
    for pair in compared["worst"]:
        name = pair["baseline"]["inputs"][0]["name"]
        lines.append(f"- {name}: disagreement {pair['agreement']['disagreement']:.3f}")
    if compared["not_compared"]:
        lines.append(f"\nNot compared: {compared['not_compared']}")
    return "\n".join(lines) + "\n"


def _row(name: str, counts: dict[str, Any]) -> str:
    def ratio(value: float | None) -> str:
        return "–" if value is None else f"{value:.3f}"

    return (
        f"| {name} | {counts['tp']} | {counts['fn']} | {counts['fp']} | "
        f"{ratio(counts['precision'])} | {ratio(counts['recall'])} | {ratio(counts['f1'])} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        text = report(run(Path(tmp)))
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
