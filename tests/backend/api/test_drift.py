"""GET /api/admin/models/{name}/drift through the real server, on SQLite and on MongoDB. The
jobs are written straight into the server's store with the results a detector records, so
no model runs: a version whose recent inputs got brighter warns, one whose inputs did not
change does not, and unknown models and versions are a 404 with a sentence."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import pytest

from modelgallery.store.base import Store
from modelgallery.store.mongo import MongoStore
from modelgallery.store.records import Job
from modelgallery.store.sqlite import SqliteStore
from tests.support.drift_jobs import stream
from tests.support.server import BackendServer

STEP = timedelta(minutes=10)


@pytest.fixture
async def server_store(server: BackendServer) -> AsyncIterator[Store]:
    """The running server's own store, opened beside it."""
    if server.kind == "sqlite":
        store: Store = SqliteStore(server.data_dir / "modelgallery.sqlite3")
    else:
        store = MongoStore(server.env["MONGODB_URI"], server.env["MONGODB_DB"])
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def live_version(http: httpx.Client, admin: dict[str, str], model: str) -> str:
    response = http.get(f"/api/admin/catalog/{model}", headers=admin)
    assert response.status_code == 200, response.text
    live: str = response.json()["live_version"]
    return live


async def add(store: Store, jobs: list[Job]) -> None:
    for job in jobs:
        await store.jobs.create(job)


def drift(http: httpx.Client, admin: dict[str, str], model: str, **params: Any) -> httpx.Response:
    return http.get(f"/api/admin/models/{model}/drift", params=params, headers=admin)


async def test_brighter_inputs_warn_and_unchanged_ones_do_not(
    client: httpx.Client, admin_headers: dict[str, str], server_store: Store
) -> None:
    rng = np.random.default_rng(21)
    now = datetime.now(UTC)
    for model, recent_brightness in (("toy", 175.0), ("toy-queue", 120.0)):
        version = live_version(client, admin_headers, model)
        start = now - timedelta(days=3)
        await add(server_store, stream(rng, model, version, start, 150, STEP))
        later = now - timedelta(hours=20)
        await add(
            server_store,
            stream(rng, model, version, later, 100, STEP, brightness=recent_brightness),
        )

    shifted = drift(client, admin_headers, "toy", reference_jobs=150)
    assert shifted.status_code == 200, shifted.text
    report = shifted.json()
    assert report["warn"] is True
    assert (report["reference"]["jobs"], report["recent"]["jobs"]) == (150, 100)
    stats = {s["name"]: s for s in report["statistics"]}
    brightness = stats["brightness"]
    assert brightness["verdict"] == "drift" and brightness["warn"] is True
    assert brightness["score"] > brightness["threshold"] == 0.2
    assert brightness["reference"]["n"] == 150 and 165 < brightness["recent"]["mean"] < 185
    assert brightness["note"].startswith("Inputs have changed: brightness PSI")
    assert sum(p["n"] for p in brightness["series"]) == 250 and report["bucket"] == "hour"
    assert {s["name"] for s in report["statistics"]} >= {"size", "objects", "class_mix"}
    assert [v["live"] for v in report["versions"]] == [True]

    same = drift(client, admin_headers, "toy-queue", version="1", reference_jobs=150)
    assert same.status_code == 200, same.text
    assert same.json()["warn"] is False
    # a PSI above 0.2 that chance explains at these sizes is no verdict, never a warning
    assert "drift" not in {s["verdict"] for s in same.json()["statistics"]}

    period = drift(
        client,
        admin_headers,
        "toy",
        reference_since=(now - timedelta(days=4)).isoformat(),
        reference_until=(now - timedelta(days=1)).isoformat(),
    )
    assert period.status_code == 200, period.text
    assert period.json()["reference"]["jobs"] == 150


def test_unknown_models_and_versions_are_404_and_bad_windows_422(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    missing = drift(client, admin_headers, "no-such-model")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "there is no model named 'no-such-model'"
    version = drift(client, admin_headers, "toy", version="9")
    assert version.status_code == 404
    assert "the model 'toy' has no version '9'" in version.json()["detail"]
    assert drift(client, admin_headers, "toy", recent_hours=0).status_code == 422
    backward = drift(
        client,
        admin_headers,
        "toy",
        reference_since="2025-02-01T00:00:00Z",
        reference_until="2025-01-01T00:00:00Z",
    )
    assert backward.status_code in (400, 422)
    assert "must start before it ends" in backward.json()["detail"]
