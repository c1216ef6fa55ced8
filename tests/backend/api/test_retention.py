"""Retention through the real server, on SQLite and on MongoDB: files of ended jobs go after
their model's period (the setting, or the registry's `retention_days`) while the records stay,
marked expired, and downloads answer 410; pinned jobs keep theirs; an administrator can purge
a job's files; the statistics show the storage per model; a user can delete their history.
The sweep runs through the admin route with `as_of`, so nothing waits for time to pass."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS, backend_env, login
from tests.support.jobs import submit, wait_for
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, TOY_REGISTRY, BackendServer

EXTRA_MODELS = """
[models.toy-short]
title = "Toy kept one day"
task = "image-to-image"
family = "tests.support.toy_models:ToyInvert"
group = "toy"
retention_days = 1

[models.toy-keep]
title = "Toy kept for ever"
task = "image-to-image"
family = "tests.support.toy_models:ToyInvert"
group = "toy"
retention_days = 0
"""


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackendServer]:
    data = tmp_path_factory.mktemp(f"retention-{request.param}")
    registry = data / "models.toml"
    registry.write_text(TOY_REGISTRY.read_text() + EXTRA_MODELS)
    env = {
        **backend_env(request.param, request),
        "MODELS_FILE": str(registry),
        "RETENTION_DAYS": "10",
    }
    with BackendServer(data, env) as running:
        running.kind = request.param
        yield running


@pytest.fixture
def admin(client: httpx.Client) -> dict[str, str]:
    return login(client, ADMIN_EMAIL, ADMIN_PASSWORD)


def _user(http: httpx.Client) -> dict[str, str]:
    email = f"keeper-{uuid.uuid4().hex[:8]}@example.org"
    response = http.post("/api/auth/signup", json={"email": email, "password": "a long password"})
    assert response.status_code == 201, response.text
    http.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _done(http: httpx.Client, headers: dict[str, str], model: str = "toy") -> dict[str, Any]:
    response = submit(http, model, headers=headers)
    assert response.status_code in (200, 202), response.text
    job = wait_for(http, response.json()["id"], headers=headers)
    assert job["status"] == "succeeded", job
    return job


def _sweep(http: httpx.Client, admin: dict[str, str], days: float) -> int:
    as_of = (datetime.now(UTC) + timedelta(days=days)).isoformat()
    response = http.post("/api/admin/retention/sweep", params={"as_of": as_of}, headers=admin)
    assert response.status_code == 200, response.text
    return int(response.json()["expired"])


def _files_answer(http: httpx.Client, job: dict[str, Any], headers: dict[str, str]) -> set[int]:
    urls = [a["url"] for a in job["artifacts"]] + [i["url"] for i in job["inputs"]]
    return {http.get(url, headers=headers).status_code for url in urls}


def _job_dir(server: BackendServer, job_id: str) -> Path:
    return server.data_dir / "jobs" / job_id


def test_sweep_expires_files_keeps_records_pinned_jobs_and_model_periods(
    server: BackendServer, client: httpx.Client, admin: dict[str, str]
) -> None:
    user = _user(client)
    plain, pinned = _done(client, user), _done(client, user)
    short, kept = _done(client, user, "toy-short"), _done(client, user, "toy-keep")
    pin = client.post(f"/api/admin/predictions/{pinned['id']}/pin", headers=admin)
    assert pin.status_code == 200 and pin.json()["pinned"] is True

    _sweep(client, admin, 2)  # past toy-short's one day, not the setting's ten
    after = client.get(f"/api/predictions/{short['id']}", headers=user).json()
    assert after["files_expired_at"] is not None and after["result"] == short["result"]
    assert not _job_dir(server, short["id"]).exists()
    gone = client.get(short["artifacts"][0]["url"], headers=user)
    assert gone.status_code == 410
    assert "expired after 1 day" in gone.json()["detail"]
    assert _files_answer(client, short, user) == {410}
    assert _files_answer(client, plain, user) == {200}

    _sweep(client, admin, 11)
    mine = {j["id"]: j for j in client.get("/api/predictions", headers=user).json()["data"]}
    assert len(mine) == 4  # every record stays
    assert mine[plain["id"]]["files_expired_at"] is not None
    assert (
        "after 10 days" in client.get(plain["artifacts"][0]["url"], headers=user).json()["detail"]
    )
    assert mine[pinned["id"]]["files_expired_at"] is None
    assert mine[kept["id"]]["files_expired_at"] is None  # retention_days = 0: kept for ever
    assert _files_answer(client, pinned, user) == {200}
    assert _files_answer(client, kept, user) == {200}

    client.post(f"/api/admin/predictions/{pinned['id']}/unpin", headers=admin)
    assert _sweep(client, admin, 11) >= 1
    assert _files_answer(client, pinned, user) == {410}


def test_admin_purges_one_predictions_files(
    server: BackendServer, client: httpx.Client, admin: dict[str, str]
) -> None:
    user = _user(client)
    job = _done(client, user)
    refused = client.post(f"/api/admin/predictions/{job['id']}/purge", headers=user)
    assert refused.status_code == 403
    purged = client.post(f"/api/admin/predictions/{job['id']}/purge", headers=admin)
    assert purged.status_code == 200, purged.text
    assert purged.json()["files_expired_at"] is not None
    assert not _job_dir(server, job["id"]).exists()
    gone = client.get(job["artifacts"][0]["url"], headers=user)
    assert gone.status_code == 410 and "deleted by an administrator" in gone.json()["detail"]
    again = client.post(f"/api/admin/predictions/{job['id']}/purge", headers=admin)
    assert again.status_code == 409
    missing = client.post(f"/api/admin/predictions/{'0' * 32}/purge", headers=admin)
    assert missing.status_code == 404
    early = client.post(
        "/api/admin/retention/sweep", params={"as_of": "0001-01-02T00:00:00Z"}, headers=admin
    )
    assert early.status_code == 200 and early.json() == {"expired": 0}
    audit = client.get("/api/admin/audit", params={"action": "prediction."}, headers=admin)
    assert any(e["action"] == "prediction.purge" for e in audit.json()["data"])


def test_stats_show_storage_per_model(client: httpx.Client, admin: dict[str, str]) -> None:
    user = _user(client)
    before = _storage(client, admin).get("toy-keep", {"bytes": 0, "jobs": 0})
    job = _done(client, user, "toy-keep")
    after = _storage(client, admin)["toy-keep"]
    size = sum(f["size"] for f in job["inputs"]) + sum(a["size"] for a in job["artifacts"])
    assert size > 0
    assert after["bytes"] - before["bytes"] == size
    assert after["jobs"] - before["jobs"] == 1
    assert after["retention_days"] == 0


def _storage(http: httpx.Client, admin: dict[str, str]) -> dict[str, dict[str, Any]]:
    stats = http.get("/api/admin/stats", headers=admin).json()
    return {row["model"]: row for row in stats["storage_per_model"]}


def test_user_deletes_only_their_own_history(server: BackendServer, client: httpx.Client) -> None:
    ada, bob = _user(client), _user(client)
    ada_jobs = [_done(client, ada), _done(client, ada, "toy-keep")]
    bob_job = _done(client, bob)
    assert client.delete("/api/predictions").status_code == 401
    response = client.delete("/api/predictions", headers=ada)
    assert response.status_code == 200 and response.json() == {"deleted": 2}
    assert client.get("/api/predictions", headers=ada).json()["count"] == 0
    assert all(not _job_dir(server, j["id"]).exists() for j in ada_jobs)
    assert client.get(f"/api/predictions/{bob_job['id']}", headers=bob).status_code == 200
    assert _files_answer(client, bob_job, bob) == {200}
