"""Dynamic batching: one-image jobs of a model that batches, waiting together, run as one
batch in one worker; each keeps its own record, progress, results and files. On both
stores. The toy batches and says it gains 2x; a real network's gain is measured at load."""

from __future__ import annotations

import httpx

from tests.support.jobs import png_bytes, submit, wait_for

WIDTHS = (11, 12, 13)


def occupy_the_worker(client: httpx.Client) -> str:
    """toy-queue and toy-batch share one worker: a toy-queue job that runs until
    `release` makes the jobs submitted meanwhile wait together, however slow the machine."""
    job = submit(client, model="toy-queue", params={"sleep_s": 100, "steps": 100}).json()
    wait_for(client, job["id"], ("running",))
    return job["id"]


def release(client: httpx.Client, blocker: str) -> None:
    assert client.post(f"/api/predictions/{blocker}/cancel").status_code == 200
    assert wait_for(client, blocker)["status"] == "cancelled"


def test_the_model_says_it_batches(client: httpx.Client) -> None:
    model = client.get("/api/models/toy-batch").json()
    assert model["batching"] == {"max_batch": 3, "speedup": 2.0, "active": True}
    assert client.get("/api/models/toy").json()["batching"] is None


def test_jobs_waiting_together_run_as_one_batch_with_their_own_results(
    client: httpx.Client,
) -> None:
    blocker = occupy_the_worker(client)
    jobs = [
        submit(client, "toy-batch", png_bytes((width, 10)), f"w{width}.png").json()
        for width in WIDTHS
    ]
    assert all(job["status"] == "queued" for job in jobs)
    release(client, blocker)
    for job, width in zip(jobs, WIDTHS, strict=True):
        ended = wait_for(client, job["id"])
        assert ended["status"] == "succeeded", ended
        assert ended["timings"]["batch_size"] == 3
        assert ended["progress"] == 1.0
        own = {"name": f"w{width}.png", "width": width, "height": 10}
        assert ended["result"]["images"] == [own]
        files = {a["name"]: a["url"] for a in ended["artifacts"]}
        assert set(files) == {"inverted-0.png", "summary.json"}
        assert client.get(files["summary.json"]).json()["images"][0]["width"] == width


def test_one_job_of_a_batch_cancelled_ends_cancelled_and_the_others_succeed(
    client: httpx.Client,
) -> None:
    blocker = occupy_the_worker(client)
    params = {"sleep_s": 2, "steps": 20}
    jobs = [
        submit(client, "toy-batch", png_bytes((width, 10)), params=params).json()
        for width in WIDTHS
    ]
    release(client, blocker)
    wait_for(client, jobs[1]["id"], ("running",))
    assert client.post(f"/api/predictions/{jobs[1]['id']}/cancel").status_code == 200
    ended = [wait_for(client, job["id"]) for job in jobs]
    assert [job["status"] for job in ended] == ["succeeded", "cancelled", "succeeded"]


def test_a_job_that_fails_in_a_batch_fails_alone(client: httpx.Client) -> None:
    blocker = occupy_the_worker(client)
    behaviours = ("ok", "fail", "ok")
    jobs = [
        submit(client, "toy-batch", png_bytes((width, 10)), params={"behaviour": b}).json()
        for width, b in zip(WIDTHS, behaviours, strict=True)
    ]
    release(client, blocker)
    ended = [wait_for(client, job["id"]) for job in jobs]
    assert [job["status"] for job in ended] == ["succeeded", "failed", "succeeded"]
    assert ended[1]["error"] == "the toy model was asked to fail"


def test_a_job_alone_runs_alone(client: httpx.Client) -> None:
    job = submit(client, "toy-batch", wait=30).json()
    assert job["status"] == "succeeded" and job["timings"]["batch_size"] == 1
