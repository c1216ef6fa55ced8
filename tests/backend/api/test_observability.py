"""Health, readiness, Prometheus metrics and request ids in the logs."""

from __future__ import annotations

import json

import httpx

from tests.support.jobs import submit


def test_health_and_ready(client: httpx.Client, server) -> None:
    assert client.get("/api/health").json() == {"status": "ok"}
    ready = client.get("/api/ready").json()
    assert ready["status"] == "ready"
    assert ready["checks"] == {"database": "ok", "workers": "ok", "storage": "ok"}
    assert ready["store"] == server.kind


def test_metrics_count_requests_and_jobs(client: httpx.Client) -> None:
    assert submit(client, wait=30).json()["status"] == "succeeded"
    submit(client, params={"behaviour": "fail"}, wait=30)
    text = client.get("/metrics").text
    assert 'modelgallery_jobs_total{model="toy",status="succeeded"}' in text
    assert 'modelgallery_jobs_total{model="toy",status="failed"}' in text
    assert 'modelgallery_model_duration_seconds_count{model="toy"}' in text
    assert 'route="/api/models/{name}/predictions"' in text
    assert 'modelgallery_queue_depth{group="toyq"} 0.0' in text
    assert 'modelgallery_workers_alive{group="toy"} 2.0' in text


def test_a_prediction_answer_says_where_the_server_spent_its_time(client: httpx.Client) -> None:
    response = submit(client, wait=30)
    job = response.json()
    assert job["status"] == "succeeded"
    timing = {}
    for part in response.headers["server-timing"].split(", "):
        name, _, duration = part.partition(";dur=")
        timing[name] = float(duration)
    stages = job["timings"]["stages"]
    assert list(timing) == [*stages, "answer", "total"]
    assert all(timing[name] == round(ms, 2) for name, ms in stages.items())
    assert 0 <= timing["answer"] <= timing["total"]
    # the job's stages, from the upload's arrival to its record, all fall inside the request
    assert sum(stages.values()) <= timing["total"]
    queued = submit(client, params={"sleep_s": 5})  # answered at once: the stages so far
    assert queued.status_code == 202 and "answer;dur=" in queued.headers["server-timing"]
    client.post(f"/api/predictions/{queued.json()['id']}/cancel")
    assert "server-timing" not in client.get("/api/health").headers


def test_every_log_line_of_a_request_carries_its_id(client: httpx.Client, server) -> None:
    response = submit(client, params={"behaviour": "fail"}, wait=30)
    request_id = response.headers["x-request-id"]
    lines = [
        json.loads(line)
        for line in server.log_path.read_text().splitlines()
        if line.startswith("{")
    ]
    mine = [line for line in lines if line.get("request_id") == request_id]
    assert any("POST /api/models/toy/predictions" in line["message"] for line in mine)
    assert all(set(line) >= {"time", "level", "logger", "message"} for line in lines)
    # A client's own id is kept, so logs can be followed across nginx and the backend.
    echoed = client.get("/api/health", headers={"X-Request-ID": "0123456789abcdef0123456789abcdef"})
    assert echoed.headers["x-request-id"] == "0123456789abcdef0123456789abcdef"


def test_errors_are_json_with_a_message(client: httpx.Client) -> None:
    for response in (
        client.get("/api/nothing-here"),
        client.get("/api/predictions/0123456789abcdef0123456789abcdef"),
        client.post("/api/auth/login", json={"email": "x"}),
        client.delete("/api/models"),
    ):
        body = response.json()
        assert response.status_code in (404, 405, 422)
        assert body["detail"] and body["code"]


def test_openapi_documents_the_api(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/models",
        "/api/models/{name}/predictions",
        "/api/predictions/{job_id}/events",
        "/api/predict_{service}",
        "/api/export_{service}/{file_name}",
        "/api/contact",
        "/api/admin/stats",
    ):
        assert path in paths
    upload = paths["/api/models/{name}/predictions"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert upload["operationId"] == "predictions-create_prediction"
