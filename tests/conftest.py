"""Shared fixtures: the MongoDB wire-protocol test server, the real backend running on each
storage backend (tests that take `server` run once on SQLite and once on MongoDB), and an
opened SQLite store of a test's own for tests that use the store without a server."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from modelgallery.store.sqlite import SqliteStore
from tests.support.mongo import MongoTestServer
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, REPO, BackendServer

SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "assets" / "samples"
BACKENDS = ["sqlite", pytest.param("mongodb", marks=pytest.mark.mongodb)]


@pytest.fixture(scope="session")
def mongo_server() -> Iterator[MongoTestServer]:
    with MongoTestServer() as server:
        yield server


def backend_env(kind: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """Settings that point a backend at SQLite (the default) or a fresh MongoDB database."""
    if kind == "sqlite":
        return {}
    mongo: MongoTestServer = request.getfixturevalue("mongo_server")
    return {"MONGODB_URI": mongo.uri or "", "MONGODB_DB": f"mg_{uuid.uuid4().hex[:12]}"}


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(tmp_path / "app.sqlite")
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackendServer]:
    data = tmp_path_factory.mktemp(f"backend-{request.param}")
    env = backend_env(request.param, request)
    with BackendServer(data, env) as running:
        running.kind = request.param
        yield running


@pytest.fixture
def client(server: BackendServer) -> Iterator[httpx.Client]:
    with server.client() as http:
        yield http


def login(http: httpx.Client, email: str, password: str) -> dict[str, str]:
    response = http.post("/api/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    http.cookies.clear()  # identities are passed as headers; the client stays anonymous
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def admin_headers(client: httpx.Client) -> dict[str, str]:
    return login(client, ADMIN_EMAIL, ADMIN_PASSWORD)


@pytest.fixture
def user_headers(client: httpx.Client) -> dict[str, str]:
    email = f"user-{uuid.uuid4().hex[:8]}@example.org"
    response = client.post(
        "/api/auth/signup", json={"email": email, "password": "a long password", "name": "Ada"}
    )
    assert response.status_code == 201, response.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="session")
def samples() -> Path:
    if not (SAMPLES / "bus.jpg").is_file():
        pytest.fail(f"the shared sample files are missing at {SAMPLES}")
    return SAMPLES


MIRROR = REPO.parent / "shared" / "assets" / "models"
OFFLINE_REGISTRY = REPO / "models" / "offline.toml"


@pytest.fixture(scope="session")
def offline_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder holding every weight file of the offline registry, sha256-checked."""
    if not MIRROR.is_dir():
        pytest.fail(f"the shared model mirror is missing at {MIRROR}")
    models_dir = tmp_path_factory.mktemp("models")
    env = {
        **os.environ,
        "MODELS_FILE": str(OFFLINE_REGISTRY),
        "MODELS_DIR": str(models_dir),
        "DATA_DIR": str(tmp_path_factory.mktemp("fetch-data")),
    }
    done = subprocess.run(
        [sys.executable, "-m", "modelgallery", "fetch-models", "--mirror", str(MIRROR)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return models_dir
