"""Models managed at run time through the API (both stores): an administrator creates a model,
uploads a version with an example, it validates in a process of its own, goes live and serves;
a broken version fails with the reason; a second version goes live while the first's job keeps
its version; edits, retire and delete are refused where they would break jobs, and audited."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import login
from tests.support.catalog import TOY
from tests.support.catalog import add_version as _add_version
from tests.support.catalog import create_model as _create
from tests.support.catalog import settled as _settled
from tests.support.jobs import submit, wait_for
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer


def test_a_model_added_from_the_api_validates_goes_live_and_serves(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    assert _create(client, admin_headers, "brightener").status_code == 201
    assert _create(client, admin_headers, "brightener").status_code == 409
    assert client.get("/api/models/brightener").status_code == 404  # no live version yet

    first = _add_version(client, admin_headers, "brightener", "1.0", note="first")
    assert first["state"] == "validating" and first["number"] == 1
    assert first["weights"][0]["sha256"] and first["weights"][0]["size"] == 3
    ready = _settled(client, admin_headers, "brightener", 1)
    assert ready["state"] == "ready", ready
    assert ready["validation"]["load_ms"] >= 0 and ready["validation"]["latency_ms"] is not None

    live = client.post(
        f"/api/admin/catalog/brightener/versions/{first['id']}/live", headers=admin_headers
    )
    assert live.status_code == 200, live.text
    job = submit(client, model="brightener", wait=30).json()
    assert job["status"] == "succeeded" and job["model_version"] == 1

    broken = _add_version(client, admin_headers, "brightener", "not a number")
    failed = _settled(client, admin_headers, "brightener", 2)
    assert failed["state"] == "failed" and "not a number" in failed["reason"], failed
    refused = client.post(
        f"/api/admin/catalog/brightener/versions/{broken['id']}/live", headers=admin_headers
    )
    assert refused.status_code == 409

    # a job accepted on version 1 keeps it while version 3 goes live, and version 1 cannot
    # be deleted until that job has ended
    third = _add_version(client, admin_headers, "brightener", "0.5")
    assert _settled(client, admin_headers, "brightener", 3)["state"] == "ready"
    slow = submit(client, model="brightener", params={"sleep_s": 10}).json()
    live3 = client.post(
        f"/api/admin/catalog/brightener/versions/{third['id']}/live", headers=admin_headers
    )
    assert live3.status_code == 200, live3.text
    first_url = f"/api/admin/catalog/brightener/versions/{first['id']}"
    busy = client.delete(first_url, headers=admin_headers)
    assert busy.status_code == 409 and "brightener" in busy.json()["detail"], busy.text
    ended = wait_for(client, slow["id"])
    assert ended["status"] == "succeeded" and ended["model_version"] == 1
    assert ended["result"]["factor"] == 1.0  # version 1's weights ran it, not version 3's
    assert client.delete(first_url, headers=admin_headers).status_code == 204
    after = submit(client, model="brightener", wait=30).json()
    assert after["model_version"] == 3 and after["result"]["factor"] == 0.5

    edited = client.patch(
        "/api/admin/catalog/brightener", json={"title": "Brighter"}, headers=admin_headers
    )
    assert edited.status_code == 200 and edited.json()["title"] == "Brighter"
    assert client.get("/api/models/brightener").json()["title"] == "Brighter"
    not_live = client.post(
        f"/api/admin/catalog/brightener/versions/{third['id']}/retire", headers=admin_headers
    )
    assert not_live.status_code == 409  # the live version

    actions = [
        e["action"]
        for e in client.get("/api/admin/audit?action=model.", headers=admin_headers).json()["data"]
    ]
    for action in ("model.create", "model.version.add", "model.version.live", "model.edit"):
        assert action in actions, actions


def test_a_model_of_the_file_cannot_be_deleted_from_the_api(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    refused = client.delete("/api/admin/catalog/toy", headers=admin_headers)
    assert refused.status_code == 409 and "models.toml" in refused.json()["detail"]
    catalog = client.get("/api/admin/catalog", headers=admin_headers).json()
    toy = next(m for m in catalog if m["id"] == "toy")
    assert toy["from_file"] and toy["versions"][0]["state"] == "live"


def test_bad_requests_get_sentences(client: httpx.Client, admin_headers: dict[str, str]) -> None:
    body = {"id": "x", "title": "X", "task": "t", "family": "os:system", "group": "toy"}
    refused = client.post("/api/admin/catalog", json=body, headers=admin_headers)
    assert refused.status_code == 422 and "unknown family" in refused.json()["detail"]
    body |= {"family": TOY, "group": "nowhere"}
    refused = client.post("/api/admin/catalog", json=body, headers=admin_headers)
    assert refused.status_code == 422 and "worker group" in refused.json()["detail"]
    no_files = client.post(
        "/api/admin/catalog/toy/versions", files={"note": (None, "x")}, headers=admin_headers
    )
    assert no_files.status_code == 422 and "weights" in no_files.json()["detail"]
    anonymous = client.post("/api/admin/catalog", json=body)
    assert anonymous.status_code == 401


def test_a_labels_file_named_as_uploaded_is_found_under_the_name_it_is_kept(
    client: httpx.Client, admin_headers: dict[str, str]
) -> None:
    assert _create(client, admin_headers, "labelled").status_code == 201
    files = [
        ("weights", ("factor.txt", b"1.0", "text/plain")),
        ("weights", ("labels.txt", b"cat\ndog\n", "text/plain")),
    ]
    data = {"options": '{"labels": "labels.txt"}'}
    answer = client.post(
        "/api/admin/catalog/labelled/versions", files=files, data=data, headers=admin_headers
    )
    assert answer.status_code == 202, answer.text
    version = answer.json()
    kept = version["weights"][1]["file"]
    assert kept.endswith("-labels.txt") and version["options"]["labels"] == kept


def test_models_and_versions_survive_a_restart(tmp_path: Path) -> None:
    with BackendServer(tmp_path) as server, server.client() as http:
        admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert _create(http, admin, "kept").status_code == 201
        version = _add_version(http, admin, "kept", "1.0")
        assert _settled(http, admin, "kept", 1)["state"] == "ready"
        live = http.post(f"/api/admin/catalog/kept/versions/{version['id']}/live", headers=admin)
        assert live.status_code == 200, live.text
    with BackendServer(tmp_path) as server, server.client() as http:
        admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        model = http.get("/api/admin/catalog/kept", headers=admin).json()
        assert model["live_version"] == version["id"]
        assert submit(http, model="kept", wait=30).json()["model_version"] == 1
