"""The administrators' API through the real server, on SQLite and on MongoDB: every route is
refused to everyone else; predictions of all users, statistics, models, the registry, users,
contact messages and the audit log."""

from __future__ import annotations

import re
import shutil
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import login
from tests.support.jobs import submit
from tests.support.server import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    TOY_REGISTRY,
    BackendServer,
)

METHODS = {"get", "post", "put", "patch", "delete"}


def _signup(http: httpx.Client, prefix: str) -> tuple[dict[str, Any], dict[str, str]]:
    email = f"{prefix}-{uuid.uuid4().hex[:8]}@example.org"
    response = http.post(
        "/api/auth/signup", json={"email": email, "password": "a long password", "name": prefix}
    )
    assert response.status_code == 201, response.text
    http.cookies.clear()
    body = response.json()
    return body["user"], {"Authorization": f"Bearer {body['access_token']}"}


def _audit(http: httpx.Client, admin: dict[str, str], action: str) -> list[dict[str, Any]]:
    response = http.get("/api/admin/audit", params={"action": action, "limit": 200}, headers=admin)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def _poll(check: Callable[[], Any], what: str, timeout_s: float = 30) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still not {what} after {timeout_s} s")
        time.sleep(0.1)


def _model(http: httpx.Client, name: str) -> dict[str, Any] | None:
    return next((m for m in http.get("/api/models").json() if m["name"] == name), None)


def _workers(http: httpx.Client, admin: dict[str, str], group: str) -> list[dict[str, Any]]:
    listed = http.get("/api/admin/models", headers=admin).json()["workers"]
    return [w for w in listed if w["group"] == group]


def _wait_state(http: httpx.Client, name: str, state: str, timeout_s: float = 30) -> dict:
    return _poll(
        lambda: (m := _model(http, name)) and m["state"] == state and m,
        f"{name} {state}",
        timeout_s,
    )


# --- access -----------------------------------------------------------------------------


def test_every_admin_route_is_for_administrators_only(
    client: httpx.Client, user_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    """Enumerated from the OpenAPI document, so a new admin route is covered too."""
    paths = client.get("/openapi.json").json()["paths"]
    operations = [
        (method.upper(), re.sub(r"\{[^}/]+\}", "dummy", path))
        for path, item in paths.items()
        if path.startswith("/api/admin")
        for method in item
        if method in METHODS
    ]
    assert len(operations) >= 10, operations
    for method, url in operations:
        body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
        anonymous = client.request(method, url, **body)
        assert anonymous.status_code == 401, (method, url, anonymous.text)
        assert anonymous.json()["detail"] == "please log in first"
        garbled = client.request(method, url, headers={"Authorization": "Bearer x"}, **body)
        assert garbled.status_code == 401, (method, url, garbled.text)
        user = client.request(method, url, headers=user_headers, **body)
        assert user.status_code == 403, (method, url, user.text)
        assert user.json() == {
            "detail": "this page is for administrators only",
            "code": "forbidden",
        }
        admin = client.request(method, url, headers=admin_headers, **body)
        assert admin.status_code not in (401, 403) and admin.status_code < 500, (
            method,
            url,
            admin.text,
        )


# --- predictions ------------------------------------------------------------------------


def _when(job: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(job["timings"]["created"])


SORT_KEYS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "created": _when,
    "model": lambda j: j["model"],
    "status": lambda j: j["status"],
    "duration": lambda j: j["duration_ms"],
    "name": lambda j: j["inputs"][0]["name"],
}


def test_admin_lists_every_prediction_with_filters_sorting_and_pages(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    tag = uuid.uuid4().hex[:8]
    ada, ada_headers = _signup(client, f"ada{tag}")
    bob, bob_headers = _signup(client, f"bob{tag}")
    plan = [  # (who, model, behaviour, file name)
        (None, "toy", "ok", f"{tag}-echo.png"),
        (ada_headers, "toy", "fail", f"{tag}-alpha.png"),
        (ada_headers, "toy-queue", "ok", f"{tag}-delta.png"),
        (bob_headers, "toy-queue", "fail", f"{tag}-charlie.png"),
        (bob_headers, "toy", "ok", f"{tag}-bravo.png"),
    ]
    created = []
    for headers, model, behaviour, name in plan:
        response = submit(
            client,
            model=model,
            name=name,
            params={"behaviour": behaviour},
            headers=headers,
            wait=30,
        )
        assert response.status_code == 200, response.text
        created.append(response.json())
    ids = [j["id"] for j in created]

    def listing(**params) -> dict[str, Any]:
        response = client.get("/api/admin/predictions", params=params, headers=admin_headers)
        assert response.status_code == 200, response.text
        return response.json()

    def found(**params) -> list[str]:
        body = listing(**{"limit": 500, **params})
        assert body["count"] == len(body["data"])
        return [j["id"] for j in body["data"]]

    everything = listing(name=tag)
    assert everything["count"] == 5
    rows = {j["id"]: j for j in everything["data"]}
    assert set(rows) == set(ids)
    for job, (headers, model, behaviour, name) in zip(created, plan, strict=True):
        row = rows[job["id"]]
        expected_email = None if headers is None else (ada if headers is ada_headers else bob)
        assert row["user_email"] == (expected_email and expected_email["email"])
        assert row["model"] == model
        assert row["inputs"][0]["name"] == name
        assert row["status"] == ("succeeded" if behaviour == "ok" else "failed")
        timings = row["timings"]
        assert timings["created"] and timings["started"] and timings["finished"]
        assert row["duration_ms"] is not None and row["duration_ms"] >= 0
        assert row["worker"] and row["attempts"] == 1
        assert _when(row) == _when(job)

    # Filters, alone and together (the tag keeps other tests' jobs out).
    assert set(found(name=tag, model="toy-queue")) == {ids[2], ids[3]}
    assert set(found(name=tag, status="failed")) == {ids[1], ids[3]}
    assert set(found(name=tag, status="succeeded", model="toy")) == {ids[0], ids[4]}
    assert set(found(user=f"ADA{tag}")) == {ids[1], ids[2]}  # case-insensitive substring
    assert set(found(user=tag)) == set(ids[1:])
    assert set(found(user=tag, model="toy")) == {ids[1], ids[4]}
    assert found(name=f"{tag}-CHAR") == [ids[3]]
    assert found(name=f"{tag}-nothing") == []
    umlaut = submit(client, name=f"Ärger-{tag}.png", wait=30).json()
    assert found(name=f"ärger-{tag}") == [umlaut["id"]]  # case-insensitive beyond ASCII
    assert (
        client.delete(f"/api/admin/predictions/{umlaut['id']}", headers=admin_headers).status_code
        == 204
    )
    assert found(user=f"nobody{tag}") == []

    since, until = created[1]["timings"]["created"], created[3]["timings"]["created"]
    in_range = {j["id"] for j in created if _when(created[1]) <= _when(j) < _when(created[3])}
    assert ids[1] in in_range and ids[3] not in in_range
    assert set(found(name=tag, since=since, until=until)) == in_range
    assert set(found(name=tag, since=since)) == {
        j["id"] for j in created if _when(j) >= _when(created[1])
    }
    assert set(found(name=tag, until=until)) == {
        j["id"] for j in created if _when(j) < _when(created[3])
    }
    # A time without a zone is UTC, also next to one with a zone; other zones are converted.
    naive = _when(created[1]).replace(tzinfo=None).isoformat()
    assert set(found(name=tag, since=naive, until=until)) == in_range
    east = _when(created[1]).astimezone(timezone(timedelta(hours=2))).isoformat()
    assert set(found(name=tag, since=east, until=until)) == in_range
    for bad in ({"since": until, "until": since}, {"since": since, "until": since}):
        refused = client.get("/api/admin/predictions", params=bad, headers=admin_headers)
        assert refused.status_code == 422
        assert refused.json()["detail"] == "'since' must be before 'until'"

    # Sorting: every key both ways, ties broken by id in the same direction.
    for sort, key in SORT_KEYS.items():
        for order in ("asc", "desc"):
            expected = [
                j["id"]
                for j in sorted(
                    created, key=lambda j, k=key: (k(j), j["id"]), reverse=order == "desc"
                )
            ]
            assert found(name=tag, sort=sort, order=order) == expected, (sort, order)

    # Pages: the total is the whole match, whatever page is asked for.
    by_name = found(name=tag, sort="name", order="asc")
    assert [rows[i]["inputs"][0]["name"].split("-")[1] for i in by_name] == [
        "alpha.png",
        "bravo.png",
        "charlie.png",
        "delta.png",
        "echo.png",
    ]
    pages = []
    for offset in (0, 2, 4, 6):
        page = listing(name=tag, sort="name", order="asc", offset=offset, limit=2)
        assert page["count"] == 5
        pages.append([j["id"] for j in page["data"]])
    assert pages == [by_name[0:2], by_name[2:4], by_name[4:], []]

    for bad in (
        {"status": "exploded"},
        {"sort": "colour"},
        {"order": "up"},
        {"limit": 0},
        {"offset": -1},
        {"since": "yesterday"},
    ):
        response = client.get("/api/admin/predictions", params=bad, headers=admin_headers)
        assert response.status_code == 422, bad
        assert response.json()["code"] == "invalid"


def test_admin_sees_and_deletes_anyones_prediction(
    client: httpx.Client,
    server: BackendServer,
    admin_headers: dict[str, str],
    user_headers: dict[str, str],
) -> None:
    job = submit(client, name="private.png", wait=30, headers=user_headers).json()
    assert job["status"] == "succeeded"
    artifact, original = job["artifacts"][0]["url"], job["inputs"][0]["url"]
    assert client.get(f"/api/predictions/{job['id']}").status_code == 404  # private

    seen = client.get(f"/api/predictions/{job['id']}", headers=admin_headers)
    assert seen.status_code == 200
    assert seen.json()["user_email"].startswith("user-")
    detail = client.get(f"/api/admin/predictions/{job['id']}", headers=admin_headers).json()
    assert detail["id"] == job["id"] and detail["worker"]
    image = client.get(artifact, headers=admin_headers)
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert client.get(original, headers=admin_headers).status_code == 200
    folder = server.data_dir / "jobs" / job["id"]
    assert folder.is_dir()

    deleted = client.delete(f"/api/admin/predictions/{job['id']}", headers=admin_headers)
    assert deleted.status_code == 204
    for headers in (admin_headers, user_headers):
        assert client.get(f"/api/predictions/{job['id']}", headers=headers).status_code == 404
        assert client.get(artifact, headers=headers).status_code == 404
    assert not folder.exists()
    again = client.delete(f"/api/admin/predictions/{job['id']}", headers=admin_headers)
    assert again.status_code == 404

    entries = _audit(client, admin_headers, "prediction.")
    entry = next(e for e in entries if e["target"] == job["id"])
    assert entry["action"] == "prediction.delete"
    assert entry["actor_email"] == ADMIN_EMAIL
    assert entry["details"] == {"model": "toy", "file": "private.png"}
    # named by the file its entry recorded; gone, so nothing to open
    assert (entry["target_kind"], entry["target_name"], entry["target_exists"]) == (
        "prediction",
        "private.png",
        False,
    )
    assert all(e["action"].startswith("prediction.") for e in entries)
    assert job["id"] in [e["target"] for e in _audit(client, admin_headers, "prediction.delete")]
    assert job["id"] not in [e["target"] for e in _audit(client, admin_headers, "model.")]
    assert _audit(client, admin_headers, "prediction") == []  # no dot: the exact action only


def test_statistics_count_jobs_per_day_and_model(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    plan = [("toy", "ok"), ("toy", "fail"), ("toy", "ok"), ("toy-queue", "ok")]
    jobs = [
        submit(client, model=model, params={"behaviour": behaviour}, wait=30).json()
        for model, behaviour in plan
    ]
    assert [j["status"] for j in jobs] == ["succeeded", "failed", "succeeded", "succeeded"]
    since = jobs[0]["timings"]["created"]
    response = client.get("/api/admin/stats", params={"since": since}, headers=admin_headers)
    assert response.status_code == 200, response.text
    stats = response.json()
    assert stats["total"] == 4

    models = {m["model"]: m for m in stats["models"]}
    assert set(models) == {"toy", "toy-queue"}
    toy = models["toy"]
    assert (toy["count"], toy["succeeded"], toy["failed"], toy["cancelled"]) == (3, 2, 1, 0)
    assert toy["failure_rate"] == pytest.approx(1 / 3, abs=1e-3)
    assert (models["toy-queue"]["count"], models["toy-queue"]["failed"]) == (1, 0)
    for model in models.values():
        for series in ("latency_ms", "model_ms"):
            values = model[series]
            assert all(isinstance(values[p], int | float) for p in ("p50", "p90", "p99")), values
            assert 0 <= values["p50"] <= values["p90"] <= values["p99"]
    durations = sorted(j["duration_ms"] for j in jobs[:3] if j["status"] == "succeeded")
    assert toy["latency_ms"]["p50"] == pytest.approx(durations[0], abs=0.1)
    assert toy["latency_ms"]["p99"] == pytest.approx(durations[-1], abs=0.1)

    days = {_when(j).date().isoformat() for j in jobs}
    per_model: dict[str, dict[str, int]] = {}
    for row in stats["per_day"]:
        assert row["day"] in days
        assert row["count"] == sum(row.get(s, 0) for s in ("succeeded", "failed", "cancelled"))
        totals = per_model.setdefault(row["model"], {"count": 0, "failed": 0})
        totals["count"] += row["count"]
        totals["failed"] += row.get("failed", 0)
    assert per_model == {"toy": {"count": 3, "failed": 1}, "toy-queue": {"count": 1, "failed": 0}}

    # A range that ends before the first of these jobs leaves them out.
    def total(**params) -> int:
        return client.get("/api/admin/stats", params=params, headers=admin_headers).json()["total"]

    assert total(until=since) + 4 == total()
    assert total(since=since, until=since) == 0


# --- models -----------------------------------------------------------------------------


def test_models_unload_load_and_reload(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    overview = client.get("/api/admin/models", headers=admin_headers).json()
    models = {m["name"]: m for m in overview["models"]}
    assert {"toy", "toy-queue", "toy-off", "toy-weighted"} <= set(models)
    assert models["toy-off"]["state"] == "disabled"
    assert models["toy"]["state"] == "loaded"
    workers = overview["workers"]
    assert {w["group"] for w in workers} == {"toy", "toyq"}
    assert all(isinstance(w["pid"], int) and w["alive"] for w in workers), workers
    assert set(overview["queues"]) == {"toy", "toyq"}

    unload = client.post("/api/admin/models/toy-queue/unload", headers=admin_headers)
    assert unload.status_code == 202, unload.text
    assert unload.json() == {"model": "toy-queue", "state": "unloaded"}
    listed = _model(client, "toy-queue")
    assert listed["state"] == "unloaded"
    assert listed["reason"] == "unloaded by an administrator"
    refused = submit(client, model="toy-queue")
    assert refused.status_code == 503
    assert refused.json()["detail"] == (
        "The model 'toy-queue' is unloaded: unloaded by an administrator."
    )
    # its sibling in the group keeps serving from the same processes (adopted in place)
    toyq = {w["pid"] for w in _workers(client, admin_headers, "toyq")}
    assert _model(client, "toy-batch")["state"] == "loaded"
    assert _model(client, "toy")["state"] == "loaded"  # other groups are untouched

    load = client.post("/api/admin/models/toy-queue/load", headers=admin_headers)
    assert load.status_code == 202, load.text
    _wait_state(client, "toy-queue", "loaded")
    assert {w["pid"] for w in _workers(client, admin_headers, "toyq") if w["alive"]} == toyq
    ran = submit(client, model="toy-queue", wait=30)
    assert ran.status_code == 200 and ran.json()["status"] == "succeeded", ran.text

    old_pids = {w["pid"] for w in _workers(client, admin_headers, "toy")}
    reload = client.post("/api/admin/models/toy/reload", headers=admin_headers)
    assert reload.status_code == 202, reload.text
    assert reload.json()["model"] == "toy"

    def restarted() -> bool:
        workers = _workers(client, admin_headers, "toy")
        fresh = {w["pid"] for w in workers if w["alive"]} - old_pids - {None}
        return len(fresh) == len(old_pids) and _model(client, "toy")["state"] == "loaded"

    _poll(restarted, "restarted toy workers")
    done = submit(client, wait=30)
    assert done.status_code == 200 and done.json()["status"] == "succeeded", done.text

    entries = _audit(client, admin_headers, "model.")
    actions = {(e["action"], e["target"]) for e in entries if e["actor_email"] == ADMIN_EMAIL}
    assert {
        ("model.unload", "toy-queue"),
        ("model.load", "toy-queue"),
        ("model.reload", "toy"),
    } <= actions
    named = next(e for e in entries if e["target"] == "toy")
    assert named["target_kind"] == "model" and named["target_exists"]
    assert named["target_name"] == _model(client, "toy")["title"]
    everything = next(
        e for e in _audit(client, admin_headers, "model.reload") if e["target"] == "*"
    )
    assert (everything["target_name"], everything["target_exists"]) == (None, False)

    for url in (
        "/api/admin/models/nope/unload",
        "/api/admin/models/nope/load",
        "/api/admin/models/nope/reload",
    ):
        missing = client.post(url, headers=admin_headers)
        assert missing.status_code == 404, url
        assert missing.json()["detail"] == "no model named 'nope'"
    bad = client.post("/api/admin/models/toy/explode", headers=admin_headers)
    assert bad.status_code == 404
    assert bad.json()["detail"] == "the action must be load, unload or reload"


def test_unloading_a_model_leaves_its_siblings_serving_in_the_same_processes(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    assert _model(client, "toy-limited")["state"] == "loaded"
    pids = {w["pid"] for w in _workers(client, admin_headers, "toy")}
    unload = client.post("/api/admin/models/toy-limited/unload", headers=admin_headers)
    assert unload.status_code == 202, unload.text
    assert _model(client, "toy")["state"] == "loaded"  # never "loading" meanwhile
    assert submit(client, wait=30).json()["status"] == "succeeded"
    load = client.post("/api/admin/models/toy-limited/load", headers=admin_headers)
    assert load.status_code == 202, load.text
    _wait_state(client, "toy-limited", "loaded")
    assert _model(client, "toy")["state"] == "loaded"
    # adopted in place: the same worker processes, none restarted
    assert {w["pid"] for w in _workers(client, admin_headers, "toy")} == pids


NEW_MODEL = """
[models.toy-new]
title = "A toy added while the server runs"
task = "image-to-image"
family = "tests.support.toy_models:ToyInvert"
group = "toy"
"""


def test_registry_reload_picks_up_edits_without_a_restart(tmp_path: Path) -> None:
    registry = tmp_path / "registry" / "toy_models.toml"
    registry.parent.mkdir()
    shutil.copy(TOY_REGISTRY, registry)
    env = {"MODELS_FILE": str(registry), "WORKER_GROUPS": '{"toy": 1, "toyq": 1}'}
    with BackendServer(tmp_path / "data", env) as server, server.client() as http:
        admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert _model(http, "toy-new") is None
        edited = registry.read_text().replace('"Toy inverter"', '"Toy inverter, renamed"')
        assert edited != registry.read_text()
        registry.write_text(edited + NEW_MODEL)

        response = http.post("/api/admin/models/reload", headers=admin)
        assert response.status_code == 200, response.text
        assert "toy-new" in response.json()["models"]
        _wait_state(http, "toy-new", "loaded")
        assert _model(http, "toy")["title"] == "Toy inverter, renamed"
        new = submit(http, model="toy-new", wait=30)
        assert new.status_code == 200 and new.json()["status"] == "succeeded", new.text
        assert any(e["target"] == "*" for e in _audit(http, admin, "model.reload"))

        registry.write_text(edited + NEW_MODEL + "max_upload_mb = -1\n")
        broken = http.post("/api/admin/models/reload", headers=admin)
        assert broken.status_code == 422, broken.text
        detail = broken.json()["detail"]
        assert detail.startswith("the model registry has an error; nothing changed: ")
        assert "[models.toy-new]" in detail and "max_upload_mb" in detail

        # The models from the last good file keep working.
        assert _model(http, "toy")["title"] == "Toy inverter, renamed"
        for model in ("toy-new", "toy", "toy-queue"):
            ran = submit(http, model=model, wait=30)
            assert ran.status_code == 200 and ran.json()["status"] == "succeeded", ran.text
        one = http.post("/api/admin/models/toy-new/reload", headers=admin)
        assert one.status_code == 422  # it re-reads the file too, which is still broken


# --- users ------------------------------------------------------------------------------


def test_users_are_listed_promoted_and_disabled(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    user, headers = _signup(client, "member")
    listed = client.get("/api/admin/users", params={"limit": 200}, headers=admin_headers).json()
    emails = {u["email"]: u for u in listed["data"]}
    assert user["email"] in emails and ADMIN_EMAIL in emails
    order = [u["email"] for u in listed["data"]]
    assert order.index(user["email"]) < order.index(ADMIN_EMAIL)  # newest first
    assert listed["count"] >= len(listed["data"]) >= 2
    assert emails[ADMIN_EMAIL]["role"] == "admin"
    assert all("password_hash" not in u for u in listed["data"])
    # Found by a part of the address, in any case (the audit log links users this way).
    part = user["email"].split("@")[0].upper()
    found = client.get("/api/admin/users", params={"email": part}, headers=admin_headers).json()
    assert [u["email"] for u in found["data"]] == [user["email"]] and found["count"] == 1
    assert client.get("/api/admin/users", headers=headers).status_code == 403

    def patch(user_id: str, body: dict[str, Any]) -> httpx.Response:
        return client.patch(f"/api/admin/users/{user_id}", json=body, headers=admin_headers)

    promoted = patch(user["id"], {"role": "admin"})
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "admin"
    assert client.get("/api/admin/users", headers=headers).status_code == 200  # same token

    disabled = patch(user["id"], {"disabled": True})
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
    refused = client.get("/api/auth/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["detail"] == "this account no longer exists or is disabled"
    assert client.get("/api/admin/users", headers=headers).status_code == 401
    cannot = client.post(
        "/api/auth/login", json={"email": user["email"], "password": "a long password"}
    )
    assert cannot.status_code == 401
    assert patch(user["id"], {"disabled": False, "role": "user"}).json()["role"] == "user"
    assert client.get("/api/auth/me", headers=headers).status_code == 200
    assert client.get("/api/admin/users", headers=headers).status_code == 403

    me = client.get("/api/auth/me", headers=admin_headers).json()
    for body in ({"role": "user"}, {"disabled": True}):
        refused = patch(me["id"], body)
        assert refused.status_code == 409, body
        assert refused.json()["detail"] == "you cannot demote or disable your own account"
    assert client.get("/api/auth/me", headers=admin_headers).json()["role"] == "admin"
    assert patch(me["id"], {"role": "admin"}).status_code == 200  # no change is fine

    assert patch("nobody", {"role": "admin"}).status_code == 404
    assert patch(user["id"], {"role": "superuser"}).status_code == 422
    updates = {e["target"] for e in _audit(client, admin_headers, "user.update")}
    assert user["id"] in updates
    named = next(e for e in _audit(client, admin_headers, "user.") if e["target"] == user["id"])
    assert (named["target_kind"], named["target_name"]) == ("user", user["email"])


# --- contact messages -------------------------------------------------------------------


def test_contact_messages_are_kept_and_can_be_retried(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    subject = f"Question {uuid.uuid4().hex[:8]}"
    message = {
        "name": "Grace Hopper",
        "email": "grace@example.org",
        "subject": subject,
        "message": "Which weights does the gallery use?",
    }
    accepted = client.post("/api/contact", json=message)
    assert accepted.status_code == 202, accepted.text
    assert accepted.json()["delivery"] == "not_configured"
    message_id = accepted.json()["id"]

    listed = client.get("/api/admin/messages", headers=admin_headers).json()
    stored = next(m for m in listed["data"] if m["id"] == message_id)
    assert stored["delivery"] == "not_configured"
    assert {k: stored[k] for k in message} == message
    assert listed["count"] >= 1

    retry = client.post(f"/api/admin/messages/{message_id}/retry", headers=admin_headers)
    assert retry.status_code == 202
    assert retry.json() == {"id": message_id, "status": "retry scheduled"}
    entries = _audit(client, admin_headers, "message.")
    assert any(
        e["action"] == "message.retry"
        and e["target"] == message_id
        and (e["target_kind"], e["target_name"]) == ("message", subject)
        and e["actor_email"] == ADMIN_EMAIL
        for e in entries
    )
    listed = client.get("/api/admin/messages", headers=admin_headers).json()
    assert next(m for m in listed["data"] if m["id"] == message_id)["delivery"] == (
        "not_configured"  # still no mail server to send it to
    )
    missing = client.post("/api/admin/messages/nothing/retry", headers=admin_headers)
    assert missing.status_code == 404
