"""The production supervisord.conf, run here by Supervisord with nginx in front: the same
processes and restart rules as the backend container, on temporary folders and free ports."""

from __future__ import annotations

import json
import os
import signal
import ssl
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.jobs import png_bytes, submit
from tests.support.stack import SupervisorStack

TOKEN = "test-token-5f2c9a"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dist")
    (root / "index.html").write_text("<!doctype html><title>Model Gallery</title>")
    return root


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, site: Path) -> Iterator[SupervisorStack]:
    with SupervisorStack(tmp_path_factory.mktemp("stack"), site, jupyter_token=TOKEN) as running:
        yield running


def wait_for(check, timeout_s: float = 60, every_s: float = 0.3):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            result = check()
            if result:
                return result
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout_s} s")
        time.sleep(every_s)


def test_api_and_a_prediction_through_nginx(stack: SupervisorStack) -> None:
    with stack.proxy.client() as web:
        assert web.get("/api/ready").status_code == 200
        job = submit(web, content=png_bytes((24, 16)), wait=30).json()
        assert job["status"] == "succeeded"
        assert web.get(job["artifacts"][0]["url"]).headers["content-type"] == "image/png"


def test_jupyter_behind_nginx_needs_the_token(stack: SupervisorStack) -> None:
    with stack.proxy.client() as web:
        status = wait_for(
            lambda: (
                (r := web.get("/jupyter/api/status", params={"token": TOKEN})).status_code == 200
                and r
            ),
            timeout_s=90,
        )
        assert "started" in status.json()
        lab = web.get("/jupyter/lab", params={"token": TOKEN})
        assert lab.status_code == 200 and "JupyterLab" in lab.text
    with stack.proxy.client() as stranger:  # no cookie, no token
        assert stranger.get("/jupyter/api/status").status_code == 403
        refused = stranger.get("/jupyter/lab", follow_redirects=False)
        assert refused.status_code == 302 and "/jupyter/login" in refused.headers["location"]
        wrong = stranger.get("/jupyter/api/status", params={"token": "not-" + TOKEN})
        assert wrong.status_code == 403


def test_a_kernel_runs_code_over_a_websocket_through_nginx(stack: SupervisorStack) -> None:
    auth = {"Authorization": f"token {TOKEN}"}
    with stack.proxy.client(headers=auth) as web:
        wait_for(lambda: web.get("/jupyter/api/status").status_code == 200, timeout_s=90)
        kernel = web.post("/jupyter/api/kernels", json={"name": "python3"})
        assert kernel.status_code == 201, kernel.text
        kernel_id = kernel.json()["id"]
    url = f"wss://localhost:{stack.proxy.https_port}/jupyter/api/kernels/{kernel_id}/channels"
    context = ssl.create_default_context(cafile=str(stack.proxy.ca_file))
    request_id = uuid.uuid4().hex
    message = {
        "header": {
            "msg_id": request_id,
            "msg_type": "execute_request",
            "session": uuid.uuid4().hex,
            "username": "test",
            "version": "5.3",
        },
        "parent_header": {},
        "metadata": {},
        "content": {"code": "print(6 * 7)", "silent": False, "allow_stdin": False},
        "channel": "shell",
        "buffers": [],
    }
    output = []
    with connect(url, ssl=context, additional_headers=auth, open_timeout=30) as socket:
        socket.send(json.dumps(message))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            reply = json.loads(socket.recv(timeout=90))
            if reply.get("parent_header", {}).get("msg_id") != request_id:
                continue
            if reply["msg_type"] == "stream":
                output.append(reply["content"]["text"])
            if reply["msg_type"] == "status" and reply["content"]["execution_state"] == "idle":
                break
    assert "".join(output) == "42\n"
    with stack.proxy.client(headers=auth) as web:
        assert web.delete(f"/jupyter/api/kernels/{kernel_id}").status_code == 204


def test_logs_go_to_supervisords_stdout(stack: SupervisorStack) -> None:
    log = stack.log_path.read_text(errors="replace")  # the whole log, not the tail
    assert "spawned: 'api'" in log
    assert '"logger": "uvicorn.error"' in log  # the API's JSON lines, relayed


def test_a_killed_api_is_restarted(stack: SupervisorStack) -> None:
    before = stack.pid("api")
    assert before > 0
    os.kill(before, signal.SIGKILL)
    after = wait_for(lambda: (pid := stack.pid("api")) not in (0, before) and pid)
    assert after != before
    stack.wait_ready(60)
    with stack.proxy.client() as web:
        assert web.get("/api/ready").status_code == 200
        assert submit(web, content=png_bytes((8, 8)), wait=30).json()["status"] == "succeeded"


def test_stopping_supervisord_stops_everything(tmp_path: Path, site: Path) -> None:
    stack = SupervisorStack(tmp_path, site).start()  # no JUPYTER_TOKEN
    try:
        # JupyterLab is off and stays down cleanly: exited 0, "expected", never restarted.
        status = wait_for(lambda: "EXITED" in (s := stack.ctl("status", "jupyter").stdout) and s)
        assert "EXITED" in status
        assert "JupyterLab is off" in stack.log()
        # supervisord restarts only unexpected exits (autorestart=unexpected); it logs how it
        # took this one when it happens, so no waiting is needed to know there is no restart.
        log = stack.log_path.read_text(errors="replace")
        assert "exited: jupyter (exit status 0; expected)" in log
        assert log.count("spawned: 'jupyter'") == 1
        assert "EXITED" in stack.ctl("status", "jupyter").stdout
        with stack.proxy.client() as web:
            assert web.get("/api/ready").status_code == 200
            assert web.get("/jupyter/api/status").status_code == 503  # nginx: nothing there
        api = stack.pid("api")
        assert stack.stop() == 0
    finally:
        stack.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(api, 0)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{stack.api_url}/api/ready", timeout=2)
