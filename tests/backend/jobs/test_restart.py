"""Nothing accepted is lost: jobs queued or running when the backend stops complete after it
starts again, whether it stopped cleanly or was killed."""

from __future__ import annotations

import signal

import pytest

from tests.conftest import BACKENDS, backend_env
from tests.support.jobs import submit, wait_for
from tests.support.server import BackendServer


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "killed"])
@pytest.mark.parametrize("kind", BACKENDS)
def test_jobs_survive_a_restart(kind: str, how: int, tmp_path, request) -> None:
    env = {**backend_env(kind, request), "WORKER_GROUPS": '{"toy": 1, "toyq": 1}'}
    first = BackendServer(tmp_path, env).start()
    try:
        with first.client() as http:
            jobs = [
                submit(http, params={"sleep_s": 1.0, "steps": 10}, name=f"img{i}.png").json()
                for i in range(3)
            ]
            wait_for(http, jobs[0]["id"], ("running",))
    finally:
        first.stop(how)

    with BackendServer(tmp_path, env) as second, second.client() as http:
        for job in jobs:
            final = wait_for(http, job["id"], timeout_s=60)
            assert final["status"] == "succeeded", final
            assert final["result"]["images"][0]["name"] == job["inputs"][0]["name"]
            assert http.get(final["artifacts"][0]["url"]).status_code == 200
