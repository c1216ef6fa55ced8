"""Releasing a version safely through the API, on both stores: a canary's share of live
predictions, sticky per account and per client address; shadow copies that run behind live
jobs and that users never see; a replay of a filtered set; promote and roll back, audited.
The toy model's versions differ by their brightness factor (1.0 live, 0.5 the candidate)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS, backend_env, login
from tests.support.catalog import create_model, ready_version
from tests.support.jobs import submit, wait_for
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, TOY_REGISTRY, BackendServer

MODEL = "brightener"
DETECTOR = "tests.support.toy_models:ToyDetector"


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackendServer]:
    data = tmp_path_factory.mktemp(f"releases-{request.param}")
    # The toy registry with the toy detector, whose family administrators may then use.
    models = data / "models.toml"
    models.write_text(
        TOY_REGISTRY.read_text()
        + f'\n[models.toy-detector]\ntitle = "Toy detector"\ntask = "detection"\n'
        f'family = "{DETECTOR}"\ngroup = "toy"\n'
    )
    env = {**backend_env(request.param, request), "QUEUE_SIZE": "200", "MODELS_FILE": str(models)}
    with BackendServer(data, env) as running:
        yield running


@pytest.fixture(scope="module")
def versions(server: BackendServer) -> dict[str, Any]:
    """The model, with version 1 live and version 2 ready."""
    with server.client() as http:
        admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        created = create_model(http, admin, MODEL, group="toyq", family=DETECTOR)
        assert created.status_code == 201, created.text
        first = ready_version(http, admin, MODEL, "1.0")
        second = ready_version(http, admin, MODEL, "0.5")
        live = http.post(f"/api/admin/catalog/{MODEL}/versions/{first['id']}/live", headers=admin)
        assert live.status_code == 200, live.text
        return {"v1": first, "v2": second}


@pytest.fixture
def admin(client: httpx.Client, versions: dict[str, Any]) -> dict[str, str]:
    return login(client, ADMIN_EMAIL, ADMIN_PASSWORD)


def _start(
    client: httpx.Client, admin: dict[str, str], candidate: str, **shares: float
) -> dict[str, Any]:
    answer = client.post(
        f"/api/admin/catalog/{MODEL}/releases",
        json={"candidate": candidate, **shares},
        headers=admin,
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def _end(client: httpx.Client, admin: dict[str, str], release: dict[str, Any], how: str) -> None:
    answer = client.post(
        f"/api/admin/catalog/{MODEL}/releases/{release['id']}/{how}", headers=admin
    )
    assert answer.status_code == 200, answer.text


def _from(server: BackendServer, address: str) -> httpx.Client:
    """A client whose requests come from another loopback address (another visitor)."""
    return httpx.Client(
        base_url=server.url, transport=httpx.HTTPTransport(local_address=address), timeout=30
    )


def _version_of_upload(http: httpx.Client, headers: dict[str, str] | None = None) -> int:
    answer = submit(http, model=MODEL, headers=headers)
    assert answer.status_code == 202, answer.text
    return int(answer.json()["model_version"])


def test_a_release_loads_its_candidate_in_the_workers_before_its_first_job(
    client: httpx.Client, admin: dict[str, str], versions: dict[str, Any]
) -> None:
    """First in this module: no job has run on version 2 yet."""
    v2 = versions["v2"]["id"]
    release = _start(client, admin, v2, canary_share=0.5)
    deadline = time.monotonic() + 60
    while True:
        workers = client.get("/api/admin/models", headers=admin).json()["workers"]
        ours = [w for w in workers if w["group"] == "toyq"]
        if ours and all(v2 in w["versions"] for w in ours):
            break
        assert time.monotonic() < deadline, f"version 2 was not loaded ahead: {ours}"
        time.sleep(0.1)
    assert all(w["jobs_done"] == 0 for w in ours)
    _end(client, admin, release, "rollback")


def test_a_canary_takes_its_share_of_visitors_and_each_keeps_one_version(
    server: BackendServer,
    client: httpx.Client,
    admin: dict[str, str],
    versions: dict[str, Any],
) -> None:
    release = _start(client, admin, versions["v2"]["id"], canary_share=0.5)
    try:
        picked = []
        for n in range(2, 102):  # 100 visitors, each from an address of its own
            with _from(server, f"127.0.0.{n}") as visitor:
                picked.append(_version_of_upload(visitor))
                if n < 6:  # the same visitor again: the same version
                    assert _version_of_upload(visitor) == picked[-1]
        assert set(picked) == {1, 2}
        # Binomial(100, 0.5): outside 30..70 once in about 40,000 runs.
        assert 30 <= picked.count(2) <= 70, picked.count(2)

        email = f"canary-{uuid.uuid4().hex[:8]}@example.org"
        signup = client.post(
            "/api/auth/signup", json={"email": email, "password": "long enough pw"}
        )
        assert signup.status_code == 201
        client.cookies.clear()
        user = {"Authorization": f"Bearer {signup.json()['access_token']}"}
        mine = {_version_of_upload(client, user) for _ in range(4)}
        assert len(mine) == 1  # sticky per account, whatever the address
    finally:
        _end(client, admin, release, "rollback")
    assert {_version_of_upload(client) for _ in range(3)} == {1}  # rolled back: all on v1


def test_shadow_copies_run_behind_live_jobs_and_users_never_see_them(
    client: httpx.Client, admin: dict[str, str], versions: dict[str, Any]
) -> None:
    release = _start(client, admin, versions["v2"]["id"], shadow_share=1.0)
    try:
        slow = submit(client, model=MODEL, params={"sleep_s": 1.5}).json()
        owner = {"X-Owner-Token": client.cookies.get("mg_owner") or ""}
        # Its shadow copy waits behind it; a live job sent now must still go first.
        shadow = _shadows_of(client, admin, slow["id"])
        quick = submit(client, model=MODEL).json()
        quick_done = wait_for(client, quick["id"])
        shadow_done = wait_for(client, shadow["id"], headers=admin)
    finally:
        _end(client, admin, release, "rollback")
    assert quick_done["status"] == shadow_done["status"] == "succeeded"
    assert quick_done["timings"]["started"] < shadow_done["timings"]["started"]
    assert shadow_done["lane"] == "shadow" and shadow_done["model_version"] == 2
    assert shadow_done["source_job"] == slow["id"] and shadow_done["release"] == release["id"]
    assert shadow_done["result"]["factor"] == 0.5
    assert wait_for(client, slow["id"])["result"]["factor"] == 1.0  # the user's: live

    # Not visible to the user, by link or in a list, nor to another account; not usage.
    assert client.get(f"/api/predictions/{shadow['id']}").status_code == 404
    assert client.get(f"/api/predictions/{shadow['id']}", headers=owner).status_code == 404
    listed = client.get("/api/admin/predictions", params={"model": MODEL}, headers=admin).json()
    assert shadow["id"] not in {j["id"] for j in listed["data"]}
    deleted = client.delete(f"/api/predictions/{shadow['id']}", headers=owner)
    assert deleted.status_code == 404

    # Compared on the shadow copies: the toy's versions agree on the person, not the
    # second object (a car for version 1, a dog for version 2).
    compared = client.get(
        f"/api/admin/catalog/{MODEL}/releases/{release['id']}/comparison", headers=admin
    ).json()
    detections = compared["summaries"]["detections"]
    pairs = compared["pairs"]
    assert pairs >= 2 and detections["boxes"] == {"tp": pairs, "fp": pairs, "fn": pairs} | {
        k: detections["boxes"][k] for k in ("precision", "recall", "f1")
    }
    assert detections["boxes"]["f1"] == 0.5
    assert detections["per_class"]["person"]["f1"] == 1.0
    assert detections["per_class"]["car"]["recall"] == 0.0
    assert compared["baseline"]["number"] == 1 and compared["candidate"]["number"] == 2
    assert compared["baseline"]["predictions"] >= 2 and compared["baseline"]["latency_ms"]["p50"]
    worst = compared["worst"][0]
    assert worst["agreement"]["disagreement"] == 0.5
    assert worst["candidate"]["source_job"] == worst["baseline"]["id"]


def _shadows_of(client: httpx.Client, admin: dict[str, str], source: str) -> dict[str, Any]:
    for _ in range(200):
        listed = client.get(
            "/api/admin/predictions",
            params={"model": MODEL, "lane": "shadow", "limit": 500},
            headers=admin,
        ).json()
        found = [j for j in listed["data"] if j["source_job"] == source]
        if found:
            return found[0]
        wait_for(client, source, statuses=("queued", "running", "succeeded"), timeout_s=1)
    raise AssertionError(f"no shadow copy of {source}")


def test_a_replay_runs_a_filtered_set_again_on_the_candidate(
    client: httpx.Client, admin: dict[str, str], versions: dict[str, Any]
) -> None:
    tag = uuid.uuid4().hex[:6]
    # alps's sender chose 5 steps; the others took version 1's default (4), and version 2's
    # default is 2 steps: what was chosen goes with the replay, defaults are the version's own
    sent = [
        submit(client, model=MODEL, name=f"{tag}-{name}.png", wait=30, params=params).json()
        for name, params in (("alpha", {}), ("beta", {}), ("alps", {"steps": 5}))
    ]
    edited = client.patch(
        f"/api/admin/catalog/{MODEL}/versions/{versions['v2']['id']}",
        json={"params": {"steps": {"default": 2}}},
        headers=admin,
    )
    assert edited.status_code == 200, edited.text
    assert all(j["status"] == "succeeded" for j in sent)
    started = client.post(
        f"/api/admin/catalog/{MODEL}/replays",
        json={"version": versions["v2"]["id"], "name": f"{tag}-al", "limit": 10},
        headers=admin,
    )
    assert started.status_code == 202, started.text
    replay = started.json()
    assert replay["chosen"] == 2 and replay["version_number"] == 2
    for _ in range(600):
        replay = client.get(
            f"/api/admin/catalog/{MODEL}/replays/{replay['id']}", headers=admin
        ).json()
        if replay["state"] == "done":
            break
        wait_for(client, sent[0]["id"], timeout_s=1)  # a pause that asks the server
    assert replay["state"] == "done" and replay["progress"]["succeeded"] == 2, replay
    jobs = client.get(
        "/api/admin/predictions",
        params={"release": replay["id"], "lane": "replay"},
        headers=admin,
    ).json()["data"]
    assert {j["source_job"] for j in jobs} == {sent[0]["id"], sent[2]["id"]}
    steps = {j["source_job"]: j["params"]["steps"] for j in jobs}
    assert steps == {sent[0]["id"]: 2, sent[2]["id"]: 5}
    assert {j["result"]["factor"] for j in jobs} == {0.5}
    compared = client.get(
        f"/api/admin/catalog/{MODEL}/replays/{replay['id']}/comparison", headers=admin
    ).json()
    assert compared["pairs"] == 2 and compared["summaries"]["detections"]["boxes"]["tp"] == 2
    # a replay's figures are those of the jobs compared: the sources, made by version 1
    assert (compared["baseline"]["number"], compared["baseline"]["predictions"]) == (1, 2)
    assert compared["candidate"]["predictions"] == 2 and compared["candidate"]["latency_ms"]

    nothing = client.post(
        f"/api/admin/catalog/{MODEL}/replays",
        json={"version": versions["v2"]["id"], "name": "no-such-file"},
        headers=admin,
    )
    assert nothing.status_code == 422 and "no finished prediction" in nothing.json()["detail"]


def test_promote_and_roll_back_are_one_action_each_and_audited(
    client: httpx.Client, admin: dict[str, str], versions: dict[str, Any]
) -> None:
    v1, v2 = versions["v1"]["id"], versions["v2"]["id"]
    release = _start(client, admin, v2, canary_share=1.0)
    canary = submit(client, model=MODEL, wait=30).json()
    assert canary["model_version"] == 2 and canary["result"]["factor"] == 0.5
    again = client.post(
        f"/api/admin/catalog/{MODEL}/releases", json={"candidate": v2}, headers=admin
    )
    assert again.status_code == 409 and "already has an active release" in again.json()["detail"]
    _end(client, admin, release, "rollback")
    ended = client.post(
        f"/api/admin/catalog/{MODEL}/releases/{release['id']}/promote", headers=admin
    )
    assert ended.status_code == 409 and "ended" in ended.json()["detail"]
    # Rolling back changed nothing for the finished canary job.
    assert wait_for(client, canary["id"])["result"]["factor"] == 0.5

    release = _start(client, admin, v2, canary_share=0.2)
    shares = client.patch(
        f"/api/admin/catalog/{MODEL}/releases/{release['id']}",
        json={"canary_share": 1.5},
        headers=admin,
    )
    assert shares.status_code == 422
    retire = client.post(f"/api/admin/catalog/{MODEL}/versions/{v2}/retire", headers=admin)
    assert retire.status_code == 409 and "being released" in retire.json()["detail"]
    _end(client, admin, release, "promote")
    model = client.get(f"/api/admin/catalog/{MODEL}", headers=admin).json()
    assert model["live_version"] == v2
    assert submit(client, model=MODEL, wait=30).json()["model_version"] == 2
    history = client.get(f"/api/admin/catalog/{MODEL}/releases", headers=admin).json()
    assert [r["state"] for r in history[:2]] == ["promoted", "rolled_back"]
    actions = [
        (e["action"], e["details"].get("release"))
        for e in client.get("/api/admin/audit?action=release.", headers=admin).json()["data"]
    ]
    assert ("release.promote", release["id"]) in actions
    assert ("release.start", release["id"]) in actions
    assert any(a == "release.rollback" for a, _ in actions)
    # back to version 1 for the other tests of this module
    back = client.post(f"/api/admin/catalog/{MODEL}/versions/{v1}/live", headers=admin)
    assert back.status_code == 200, back.text


def test_releases_refuse_what_cannot_be_released(
    client: httpx.Client, admin: dict[str, str], versions: dict[str, Any]
) -> None:
    base = f"/api/admin/catalog/{MODEL}/releases"
    live = client.post(base, json={"candidate": versions["v1"]["id"]}, headers=admin)
    assert live.status_code == 409 and "already live" in live.json()["detail"]
    unknown = client.post(base, json={"candidate": "nope"}, headers=admin)
    assert unknown.status_code == 404
    anonymous = client.post(base, json={"candidate": versions["v2"]["id"]})
    assert anonymous.status_code == 401


def test_a_user_runs_one_upload_through_two_versions_and_sees_how_they_agree(
    client: httpx.Client,
    admin: dict[str, str],
    versions: dict[str, Any],
    user_headers: dict[str, str],
) -> None:
    listed = client.get(f"/api/models/{MODEL}/versions").json()
    assert [v["number"] for v in listed][-2:] == [2, 1]
    first = submit(client, model=MODEL, wait=30, headers=user_headers).json()
    assert first["status"] == "succeeded" and first["model_version"] == 1
    compare = f"/api/predictions/{first['id']}/compare"
    assert client.post(compare, json={"model": MODEL}).status_code == 404  # not theirs to see
    same = client.post(compare, json={"model": MODEL}, headers=user_headers)
    assert same.status_code == 422 and "another model or version" in same.json()["detail"]
    again = client.post(
        compare, json={"model": MODEL, "version": versions["v2"]["id"]}, headers=user_headers
    )
    assert again.status_code == 202, again.text
    second = wait_for(client, again.json()["id"], headers=user_headers)
    assert second["status"] == "succeeded" and second["model_version"] == 2
    assert second["yours"] and second["lane"] == "live"
    mine = client.get("/api/predictions", headers=user_headers).json()["data"]
    assert second["id"] in {j["id"] for j in mine}  # in their history

    agreement = client.get(
        f"/api/predictions/{first['id']}/agreement/{second['id']}", headers=user_headers
    )
    assert agreement.status_code == 200, agreement.text
    boxes = agreement.json()["agreement"]["boxes"]
    assert (boxes["tp"], boxes["fp"], boxes["fn"], boxes["f1"]) == (1, 1, 1, 0.5)
    other = submit(client, model=MODEL, wait=30, headers=user_headers).json()
    unrelated = client.get(
        f"/api/predictions/{first['id']}/agreement/{other['id']}", headers=user_headers
    )
    assert unrelated.status_code == 422 and "same upload" in unrelated.json()["detail"]
