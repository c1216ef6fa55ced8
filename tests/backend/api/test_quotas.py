"""Visitors' quotas (uploads per minute, megabytes per day, jobs at once): a visitor past
one gets 429 with Retry-After and a sentence naming it; another visitor, a user and an
administrator are not held back by it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import login
from tests.support.jobs import png_bytes, submit, wait_for
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer

QUOTAS = {
    "UPLOADS_PER_MINUTE_ANONYMOUS": "3",
    "UPLOADS_PER_MINUTE_USER": "4",
    "UPLOAD_MB_PER_DAY_ANONYMOUS": "0",
    "UPLOAD_MB_PER_DAY_USER": "2",
    "ACTIVE_JOBS_ANONYMOUS": "2",
    "ACTIVE_JOBS_USER": "0",
    "QUEUE_SIZE": "20",
}
RUNS_UNTIL_CANCELLED = {"sleep_s": 100, "steps": 100}


def refused(response: httpx.Response, phrase: str) -> None:
    assert response.status_code == 429, response.text
    assert phrase in response.json()["detail"]
    assert int(response.headers["retry-after"]) >= 1


@pytest.fixture
def server(tmp_path: Path) -> Iterator[BackendServer]:
    with BackendServer(tmp_path / "quotas", QUOTAS) as running:
        yield running


@pytest.fixture
def http(server: BackendServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def test_uploads_per_minute_and_jobs_at_once_for_an_anonymous_visitor(
    http: httpx.Client,
) -> None:
    # Two jobs that run until cancelled use up the jobs-at-once quota.
    running = [submit(http, params=RUNS_UNTIL_CANCELLED).json() for _ in range(2)]
    refused(submit(http), "predictions waiting or running")
    for job in running:
        assert http.post(f"/api/predictions/{job['id']}/cancel").status_code == 200
        wait_for(http, job["id"])
    assert submit(http, wait=30).json()["status"] == "succeeded"  # the third upload
    refused(submit(http), "too many predictions in the last minute")
    # Nothing was kept of the refused uploads.
    assert http.get("/api/health").status_code == 200


def test_a_users_quotas_are_their_own_and_administrators_have_none(
    http: httpx.Client,
) -> None:
    first = login_user(http, "first@example.org")
    second = login_user(http, "second@example.org")
    admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
    for _ in range(4):
        assert submit(http, content=png_bytes((900, 900)), headers=first).status_code == 202
    refused(submit(http, headers=first), "too many predictions in the last minute")
    assert submit(http, headers=second).status_code == 202
    for _ in range(6):
        assert submit(http, headers=admin).status_code == 202


def test_megabytes_per_day(http: httpx.Client) -> None:
    user = login_user(http, "heavy@example.org")
    over = b"\x89PNG\r\n\x1a\n" + b"\0" * (3 * 1024 * 1024)  # declared 3 MB > the day's 2
    refused(submit(http, content=over, headers=user), "Today's upload quota")


def login_user(http: httpx.Client, email: str) -> dict[str, str]:
    http.post("/api/auth/signup", json={"email": email, "password": "a long password"})
    return login(http, email, "a long password")
