"""Predictions through the real server, on SQLite and on MongoDB."""

from __future__ import annotations

import io
import json

import httpx
from PIL import Image

from tests.support.jobs import png_bytes, submit, wait_for


def test_models_list_states_and_reasons(client: httpx.Client) -> None:
    models = {m["name"]: m for m in client.get("/api/models").json()}
    assert "toy-off" not in models  # disabled models are not shown to visitors
    assert models["toy"]["state"] == "loaded"
    assert models["toy"]["accepts"][:2] == ["image/jpeg", "image/png"]
    # the file name endings, from the table uploads are sniffed against (media/sniff.py)
    assert models["toy"]["extensions"][:5] == [".jpg", ".jpeg", ".jpe", ".jfif", ".png"]
    assert ".mp4" not in models["toy"]["extensions"]  # an image model takes no video
    assert models["toy"]["max_upload_bytes"] == 2 * 1024 * 1024
    weighted = models["toy-weighted"]
    assert weighted["state"] == "unavailable"
    assert "toy-factor.txt" in weighted["reason"]
    assert "modelgallery fetch-models toy-weighted" in weighted["reason"]
    assert client.get("/api/models/nope").status_code == 404


def test_models_declare_and_jobs_carry_their_result_kind(client: httpx.Client) -> None:
    """The toy model declares no kind of its own: its results are generic, and the viewer
    a client picks comes from this field, not from the result's shape."""
    toy = client.get("/api/models/toy").json()
    assert toy["result_kinds"] == {"image": "generic"}
    job = submit(client, wait=30).json()
    assert job["result_kind"] == "generic"
    assert client.get(f"/api/predictions/{job['id']}").json()["result_kind"] == "generic"


def test_job_runs_to_success_and_artifacts_download(client: httpx.Client, samples) -> None:
    response = submit(client, content=(samples / "bus.jpg").read_bytes(), name="bus.jpg", wait=30)
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["status"] == "succeeded"
    assert job["progress"] == 1.0
    assert job["inputs"][0]["name"] == "bus.jpg"
    assert job["inputs"][0]["media_type"] == "image/jpeg"
    assert job["inputs"][0]["size"] == (samples / "bus.jpg").stat().st_size
    assert job["result"]["images"] == [{"name": "bus.jpg", "width": 810, "height": 1080}]
    assert job["timings"]["started"] and job["timings"]["finished"]
    assert job["timings"]["model_ms"] > 0
    # where the time went, in the order the job passed through (the toy has no stages)
    assert list(job["timings"]["stages"]) == ["receive", "checks", "queue", "pipe", "recording"]
    assert all(ms >= 0 for ms in job["timings"]["stages"].values())
    names = {a["name"]: a for a in job["artifacts"]}
    assert set(names) == {"inverted-0.png", "summary.json"}
    assert job["main_output"] == "inverted-0.png"  # the annotated file, not the data

    image = client.get(names["inverted-0.png"]["url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.headers["content-disposition"].startswith("inline")
    with Image.open(io.BytesIO(image.content)) as img:
        assert img.size == (810, 1080)
    with Image.open(samples / "bus.jpg") as original:  # it really is the inverse
        px = original.convert("RGB").getpixel((100, 100))
    with Image.open(io.BytesIO(image.content)) as img:
        assert all(abs(a + b - 255) <= 1 for a, b in zip(img.getpixel((100, 100)), px, strict=True))

    download = client.get(names["summary.json"]["url"], params={"download": "true"})
    assert download.headers["content-disposition"].startswith("attachment")
    assert json.loads(download.content)["images"][0]["width"] == 810

    original = client.get(job["inputs"][0]["url"])
    assert original.content == (samples / "bus.jpg").read_bytes()


def test_job_answers_at_once_then_events_stream_progress(client: httpx.Client) -> None:
    # The job waits behind a blocker on a one-worker model until the event stream is open,
    # so every state it goes through is seen, however late the client connects.
    blocker = submit(client, model="toy-queue", params={"sleep_s": 60, "steps": 100}).json()
    response = submit(client, model="toy-queue", params={"sleep_s": 1.2, "steps": 4})
    assert response.status_code == 202
    assert response.headers["location"] == f"/api/predictions/{response.json()['id']}"
    job = response.json()
    assert job["status"] == "queued"
    events = []
    with client.stream("GET", job["links"]["events"]) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                if len(events) == 1:
                    client.post(f"/api/predictions/{blocker['id']}/cancel")
    assert events[0]["status"] == "queued"
    statuses = [e["status"] for e in events]
    assert statuses[-1] == "succeeded"
    assert "running" in statuses
    messages = [e["message"] for e in events if e["status"] == "running"]
    assert any(m.startswith("step ") for m in messages), messages
    progress = [e["progress"] for e in events]
    assert progress == sorted(progress)


def test_failing_job_is_marked_failed_with_reason(client: httpx.Client) -> None:
    job = submit(client, params={"behaviour": "fail"}, wait=30).json()
    assert job["status"] == "failed"
    assert job["error"] == "the toy model was asked to fail"
    assert job["artifacts"] == []


def test_parameters_are_validated(client: httpx.Client) -> None:
    bad = submit(client, params={"sleep_s": 500})
    assert bad.status_code == 422
    assert bad.json()["detail"] == "the parameter 'sleep_s' must be at most 120"
    assert submit(client, params={"steps": "two"}).json()["detail"].endswith("must be a number")
    unknown = submit(client, params={"colour": "red"}).json()["detail"]
    assert unknown.startswith("unknown parameter 'colour'")
    choice = submit(client, params={"behaviour": "explode"}).json()["detail"]
    assert "must be one of" in choice


def test_unavailable_and_unknown_models_are_refused_clearly(client: httpx.Client) -> None:
    response = submit(client, model="toy-weighted")
    assert response.status_code == 503
    assert "weights missing" in response.json()["detail"]
    assert submit(client, model="toy-off").status_code == 404
    assert submit(client, model="nothing").status_code == 404


def test_cancel_a_running_job(client: httpx.Client) -> None:
    job = submit(client, params={"sleep_s": 20, "steps": 100}).json()
    wait_for(client, job["id"], ("running",))
    cancelled = client.post(f"/api/predictions/{job['id']}/cancel")
    assert cancelled.status_code == 200
    final = wait_for(client, job["id"], timeout_s=15)
    assert final["status"] == "cancelled"
    assert submit(client, wait=30).json()["status"] == "succeeded"


def test_delete_removes_record_and_files(client: httpx.Client) -> None:
    job = submit(client, wait=30).json()
    url = job["artifacts"][0]["url"]
    assert client.get(url).status_code == 200
    assert client.delete(f"/api/predictions/{job['id']}").status_code == 204
    assert client.get(f"/api/predictions/{job['id']}").status_code == 404
    assert client.get(url).status_code == 404


def test_users_see_only_their_own_history(
    client: httpx.Client, user_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    mine = submit(client, wait=30, headers=user_headers).json()
    anonymous = submit(client, wait=30).json()
    history = client.get("/api/predictions", params={"mine": "true"}, headers=user_headers).json()
    ids = [j["id"] for j in history["data"]]
    assert mine["id"] in ids and anonymous["id"] not in ids
    assert history["count"] == len(ids)
    # A signed-in user's job is private: others (anonymous or not) get 404; admins see it.
    other = client.post(
        "/api/auth/signup", json={"email": "eve@example.org", "password": "another password"}
    )
    other_headers = {"Authorization": f"Bearer {other.json()['access_token']}"}
    client.cookies.clear()
    for headers in (None, other_headers):
        assert client.get(f"/api/predictions/{mine['id']}", headers=headers).status_code == 404
        assert client.get(mine["artifacts"][0]["url"], headers=headers).status_code == 404
        assert client.delete(f"/api/predictions/{mine['id']}", headers=headers).status_code == 404
    seen = client.get(f"/api/predictions/{mine['id']}", headers=admin_headers).json()
    assert seen["user_email"].startswith("user-")
    assert client.get("/api/predictions").status_code == 401


def test_legacy_routes_predict_and_export(client: httpx.Client) -> None:
    response = client.post(
        "/api/predict_toy", files={"file": ("old.png", png_bytes(), "image/png")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "succeeded"
    assert body["file_name"] == f"{body['id']}_inverted-0.png"
    exported = client.get(f"/api/export_toy/{body['file_name']}")
    assert exported.status_code == 200
    assert exported.headers["content-type"] == "image/png"
    assert exported.headers["content-disposition"].startswith("attachment")
    assert client.get(f"/api/export_toy/{body['id']}").status_code == 200  # the main output
    assert client.get("/api/export_toy/0123_x.png").status_code == 404
    assert client.post("/api/predict_nothing", files={"file": ("a.png", b"x")}).status_code == 404


def test_batch_of_files_in_one_job(client: httpx.Client) -> None:
    files = [("file", (f"p{i}.png", png_bytes((10 + i, 10)), "image/png")) for i in range(3)]
    job = client.post("/api/models/toy/predictions", params={"wait": 30}, files=files).json()
    assert job["status"] == "succeeded"
    assert [i["name"] for i in job["inputs"]] == ["p0.png", "p1.png", "p2.png"]
    assert [i["width"] for i in job["result"]["images"]] == [10, 11, 12]
    too_many = [("file", (f"p{i}.png", png_bytes(), "image/png")) for i in range(4)]
    refused = client.post("/api/models/toy/predictions", files=too_many)
    assert refused.status_code == 422
    assert "too many files" in refused.json()["detail"]
