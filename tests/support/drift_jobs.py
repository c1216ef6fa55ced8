"""Finished detection jobs made up for drift tests: written straight into a store, with the
result a detector would have recorded, so no model has to run."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from modelgallery.store.records import InputFile, Job, JobLane, JobStatus, Timings


def detection_job(
    model: str,
    version: str,
    at: datetime,
    brightness: float,
    labels: list[str],
    confidences: list[float],
    size: int = 80_000,
    lane: JobLane = JobLane.live,
) -> Job:
    items = [
        {"label": label, "class_id": i, "confidence": round(c, 4), "box": [1, 2, 30, 40]}
        for i, (label, c) in enumerate(zip(labels, confidences, strict=True))
    ]
    return Job(
        model=model,
        model_version=version,
        model_version_number=1,
        status=JobStatus.succeeded,
        result_kind="detections",
        inputs=[
            InputFile(
                name="in.jpg", stored="in.jpg", size=size, sha256="0" * 64, media_type="image/jpeg"
            )
        ],
        result={
            "file": "in.jpg",
            "width": 640,
            "height": 480,
            "brightness": round(brightness, 1),
            "count": len(items),
            "items": items,
        },
        timings=Timings(created=at, finished=at + timedelta(milliseconds=80)),
        lane=lane,
    )


def stream(
    rng: np.random.Generator,
    model: str,
    version: str,
    start: datetime,
    count: int,
    every: timedelta,
    brightness: float = 120,
    person: float = 0.7,
    lane: JobLane = JobLane.live,
) -> list[Job]:
    """`count` jobs from `start`, one per `every`: brightness about `brightness` (sd 20),
    one to four objects each, a person with probability `person`, else a car."""
    jobs = []
    for i in range(count):
        n = int(rng.integers(1, 5))
        labels = ["person" if rng.random() < person else "car" for _ in range(n)]
        jobs.append(
            detection_job(
                model,
                version,
                start + i * every,
                float(np.clip(rng.normal(brightness, 20), 0, 255)),
                labels,
                [float(c) for c in rng.uniform(0.3, 0.95, n)],
                size=int(rng.normal(80_000, 15_000)),
                lane=lane,
            )
        )
    return jobs
