"""Finished predictions written straight into a running test server's store and job folders,
with the result a model would have recorded: tests of what follows a prediction (feedback,
dataset exports) need no model to run. The server reads jobs from its store on every
request, so it serves these as its own."""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from modelgallery.store.base import Store
from modelgallery.store.mongo import MongoStore
from modelgallery.store.records import Artifact, InputFile, Job, JobStatus, Timings
from modelgallery.store.sqlite import SqliteStore
from tests.support.server import BackendServer

T = TypeVar("T")
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def server_store(server: BackendServer) -> Store:
    """A second connection to the server's own database."""
    if "MONGODB_URI" in server.env:
        return MongoStore(server.env["MONGODB_URI"], server.env["MONGODB_DB"])
    return SqliteStore(server.data_dir / "modelgallery.sqlite3")


def in_store(server: BackendServer, work: Callable[[Store], Awaitable[T]]) -> T:
    async def run() -> T:
        store = server_store(server)
        await store.open()
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(run())


def made_job(
    server: BackendServer,
    model: str,
    result_kind: str,
    result: dict[str, Any],
    inputs: list[tuple[str, bytes, str]],
    outputs: Sequence[tuple[str, bytes, str, str]] = (),
    **fields: Any,
) -> Job:
    """A succeeded job of `model` with these inputs (original name, bytes, media type; stored
    as input-N with the name's ending) and outputs (name, bytes, media type, role), stored
    with its files in the server's data folder. `fields`: any other Job field (user_id,
    owner, status, files_expired_at, ...)."""
    job_id = fields.pop("id", None) or uuid.uuid4().hex
    folder = server.data_dir / "jobs" / job_id
    (folder / "input").mkdir(parents=True)
    (folder / "output").mkdir()
    stored = []
    for index, (name, data, media_type) in enumerate(inputs):
        ending = ".nii.gz" if name.endswith(".nii.gz") else "." + name.rsplit(".", 1)[-1]
        stored_name = f"input-{index}{ending}"
        (folder / "input" / stored_name).write_bytes(data)
        stored.append(
            InputFile(
                name=name,
                stored=stored_name,
                size=len(data),
                sha256=hashlib.sha256(data).hexdigest(),
                media_type=media_type,
            )
        )
    artifacts = []
    for name, data, media_type, role in outputs:
        (folder / "output" / name).write_bytes(data)
        artifacts.append(Artifact(name=name, media_type=media_type, role=role, size=len(data)))
    job = Job(
        id=job_id,
        model=model,
        model_version_number=1,
        status=fields.pop("status", JobStatus.succeeded),
        progress=1.0,
        inputs=stored,
        artifacts=artifacts,
        result=result,
        result_kind=result_kind,
        timings=Timings(created=T0, started=T0, finished=T0 + timedelta(seconds=1)),
        **fields,
    )
    return in_store(server, lambda store: store.jobs.create(job))
