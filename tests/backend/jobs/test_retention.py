"""The retention sweep in process, on a real SQLite store and real job folders, with a clock
the test moves: it works through more jobs than one batch, takes each model's own period,
skips pinned, unfinished and already expired jobs, and never touches a job twice."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from modelgallery.core.settings import Settings
from modelgallery.files.storage import JobFiles
from modelgallery.jobs.lifecycle.retention import BATCH, Retention
from modelgallery.store.records import Job, JobStatus, Timings, new_id
from modelgallery.store.sqlite import SqliteStore
from modelgallery.vision.registry import load_registry
from tests.support.clock import START, ManualClock
from tests.support.server import TOY_REGISTRY

EXTRA = """
[models.toy-week]
title = "Toy kept a week"
task = "image-to-image"
family = "tests.support.toy_models:ToyInvert"
group = "toy"
retention_days = 7
"""


async def test_sweep_in_batches_with_each_models_period(tmp_path: Path) -> None:
    registry_file = tmp_path / "models.toml"
    registry_file.write_text(TOY_REGISTRY.read_text() + EXTRA)
    settings = Settings(
        data_dir=tmp_path, models_file=registry_file, models_dir=tmp_path, retention_days=30
    )
    registry = load_registry(settings.models_file, settings.models_dir)
    store = SqliteStore(tmp_path / "app.sqlite")
    await store.open()
    try:
        files = JobFiles(settings.jobs_dir)
        clock = ManualClock()
        retention = Retention(settings, store.jobs, files, registry, now=clock)

        async def add(model: str, status: JobStatus = JobStatus.succeeded) -> Job:
            job_id = new_id()
            files.create(job_id)
            (files.output_dir(job_id) / "out.png").write_bytes(b"x")
            finished = START if status.terminal else None
            return await store.jobs.create(
                Job(
                    id=job_id,
                    model=model,
                    status=status,
                    timings=Timings(created=START, finished=finished),
                )
            )

        many = [await add("toy") for _ in range(BATCH + 5)]
        week = await add("toy-week")
        pinned = await add("toy")
        await store.jobs.update(pinned.id, {"pinned": True})
        running = await add("toy", JobStatus.running)

        clock.advance(timedelta(days=8))
        assert await retention.sweep() == 1  # only the week-long model's job is due
        clock.advance(timedelta(days=30))
        assert await retention.sweep() == len(many)
        assert await retention.sweep() == 0  # nothing is expired twice

        for job in [*many, week]:
            stored = await store.jobs.get(job.id)
            assert stored is not None and stored.files_expired_at is not None
            assert not files.job_dir(job.id).exists()
        for job in (pinned, running):
            stored = await store.jobs.get(job.id)
            assert stored is not None and stored.files_expired_at is None
            assert files.job_dir(job.id).exists()
        expired = await store.jobs.get(week.id)
        assert expired is not None
        assert retention.expired_message(expired).startswith(
            "the files of this prediction expired after 7 days"
        )
    finally:
        await store.close()
