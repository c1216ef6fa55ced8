"""Fuzzing the API from its OpenAPI document with schemathesis, against the running server
(SQLite and MongoDB), as an anonymous visitor, a user and an administrator: no server
error, every answered status documented, every answer shaped as documented, wrong methods
answered 405 with `Allow`. A failure prints schemathesis' report with a curl line that
reproduces it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import login
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "unsupported_method",
    "allow_header_conformance",
)
CONFIG = Path(__file__).parents[2] / "support" / "schemathesis.toml"
EXAMPLES = 5  # per operation and phase: the test run's short form; raise it by hand to dig


def _identity(role: str, http: httpx.Client) -> list[str]:
    if role == "anonymous":
        return []
    if role == "admin":
        headers = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
    else:
        email = f"fuzz-{role}@example.org"
        http.post("/api/auth/signup", json={"email": email, "password": "a long password"})
        headers = login(http, email, "a long password")
    return ["-H", f"Authorization: {headers['Authorization']}"]


# --- what fuzzing found, pinned down --------------------------------------------------------


def test_a_wrong_method_is_405_naming_every_method_of_the_path(client: httpx.Client) -> None:
    wrong = client.get("/api/auth/login")  # caught by the web UI's fallback before
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST", wrong.text
    assert "it takes POST" in wrong.json()["detail"]
    # Two routes share this path (GET and DELETE): Allow names both.
    both = client.request("OPTIONS", f"/api/admin/predictions/{'0' * 32}")
    assert both.status_code == 405 and both.headers["allow"] == "DELETE, GET, HEAD"
    assert client.delete("/api/nothing-here").status_code == 404
    assert client.get("/api/nothing-here").status_code == 404


def test_bounds_the_stores_cannot_hold_are_refused(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    huge = client.get("/api/admin/messages", params={"offset": 2**70}, headers=admin_headers)
    assert huge.status_code == 422 and "offset" in huge.json()["detail"]
    number = client.get("/api/admin/stats", params={"until": "0.5"}, headers=admin_headers)
    assert number.status_code == 422 and "not a number" in number.json()["detail"]
    dated = client.get(
        "/api/admin/stats", params={"until": "2026-12-01T00:00:00Z"}, headers=admin_headers
    )
    assert dated.status_code == 200


def test_events_of_an_unknown_job_are_a_plain_404(client: httpx.Client) -> None:
    response = client.get("/api/predictions/not-a-job/events")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_operations_that_need_no_login_say_so(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {} in paths["/api/models/{name}/predictions"]["post"]["security"]
    assert {} in paths["/api/auth/logout"]["post"]["security"]
    assert {} not in paths["/api/auth/me"]["get"]["security"]
    assert {} not in paths["/api/admin/stats"]["get"]["security"]


# --- the fuzzing ---------------------------------------------------------------------------


@pytest.mark.timeout(900)
@pytest.mark.parametrize("role", ["anonymous", "user", "admin"])  # admin last: it may unload
def test_fuzzing_finds_no_server_error_and_no_undocumented_answer(
    role: str, server: BackendServer, client: httpx.Client, tmp_path: Path
) -> None:
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CONFIG),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "1",
        "--seed",
        "20261202",
        "--generation-database",
        "none",
        "--suppress-health-check",
        "all",
        "--request-timeout",
        "60",
        "--no-color",
        *_identity(role, client),
    ]
    if role != "anonymous":  # logging out would end the identity the rest of the run uses
        # (so would signing out its session, whose id the stateful phase finds in the list)
        command += ["--exclude-path", "/api/auth/logout"]
        command += ["--exclude-path", "/api/account/sessions/{session_id}"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=840)
    report = done.stdout + done.stderr
    generated = re.search(r"(\d+) generated", report)
    print(f"\n{server.kind} as {role}: {generated.group(0) if generated else '?'} test cases")
    assert done.returncode == 0, report[-20000:]
