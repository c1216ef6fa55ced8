"""A release counts the shadow copies it skips because the background lane is full, on both
stores, and says so in the release and in its comparison. The toy group has one worker and
room for one waiting live job, so its background lane keeps 10 runs: live jobs sent one
after another, each while the one before runs, keep the worker from ever taking a shadow
copy, and the copies beyond 10 are skipped."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS, backend_env, login
from tests.support.catalog import create_model, ready_version
from tests.support.jobs import submit, wait_for
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer

MODEL = "lane-filler"
LIVE_JOBS = 16


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackendServer]:
    data = tmp_path_factory.mktemp(f"shadow-skips-{request.param}")
    with BackendServer(data, {**backend_env(request.param, request), "QUEUE_SIZE": "1"}) as up:
        yield up


def _release(client: httpx.Client, admin: dict[str, str]) -> dict[str, Any]:
    """The model with version 1 live and version 2 released with every live job shadowed."""
    assert create_model(client, admin, MODEL, group="toyq").status_code == 201
    first = ready_version(client, admin, MODEL, "1.0")
    second = ready_version(client, admin, MODEL, "0.5")
    live = client.post(f"/api/admin/catalog/{MODEL}/versions/{first['id']}/live", headers=admin)
    assert live.status_code == 200, live.text
    started = client.post(
        f"/api/admin/catalog/{MODEL}/releases",
        json={"candidate": second["id"], "shadow_share": 1.0},
        headers=admin,
    )
    assert started.status_code == 201, started.text
    release: dict[str, Any] = started.json()
    assert release["shadow_skipped"] == 0
    return release


def _accounted(client: httpx.Client, admin: dict[str, str], release_id: str) -> tuple[int, int]:
    """(shadow copies queued, copies skipped) once every live job's copy is one or the other."""
    deadline = time.monotonic() + 60
    while True:
        copies = client.get(
            "/api/admin/predictions",
            params={"model": MODEL, "lane": "shadow", "release": release_id, "limit": 1},
            headers=admin,
        ).json()["count"]
        listed = client.get(f"/api/admin/catalog/{MODEL}/releases", headers=admin).json()
        skipped = next(r for r in listed if r["id"] == release_id)["shadow_skipped"]
        if copies + skipped == LIVE_JOBS or time.monotonic() > deadline:
            return copies, skipped
        time.sleep(0.05)


def test_a_full_background_lane_skips_shadow_copies_and_the_release_counts_them(
    client: httpx.Client,
) -> None:
    admin = login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    release = _release(client, admin)
    try:
        for _ in range(LIVE_JOBS):
            sent = submit(client, model=MODEL, params={"sleep_s": 0.4, "steps": 1}, headers=admin)
            assert sent.status_code == 202, sent.text
            # the next one is sent while this one runs: a live job always waits, so the
            # worker never takes a shadow copy and they pile up in the background lane
            wait_for(client, sent.json()["id"], ("running", "succeeded", "failed"), headers=admin)
        copies, skipped = _accounted(client, admin, release["id"])
        assert copies + skipped == LIVE_JOBS and skipped >= 1, (copies, skipped)
        compared = client.get(
            f"/api/admin/catalog/{MODEL}/releases/{release['id']}/comparison", headers=admin
        )
        assert compared.status_code == 200, compared.text
        assert compared.json()["shadow_skipped"] == skipped
    finally:
        ended = client.post(
            f"/api/admin/catalog/{MODEL}/releases/{release['id']}/rollback", headers=admin
        )
        assert ended.status_code == 200, ended.text
