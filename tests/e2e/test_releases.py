"""Releasing a version, in the browser: an administrator replays past predictions of a
detector on its new version and compares them, canaries the version at 50 % (with shadow
copies) and compares again, promotes it, then starts a second release and rolls it back; the
owner of a prediction compares it with the other version on its page. The compare pages pass
axe in both themes (two results side by side share no id).

The model is added for the test through the API: the offline registry's classic YOLOv5 family
on the yolov5n.pt checkpoint already in the models folder (`existing`), on PyTorch (no export
at load), version 1 at 640 px and version 2 at 320 px: real versions that differ as a faster,
coarser one would, each image in a fraction of a second."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import NewPage, Problems, login, shot
from tests.support.nginx import NginxServer
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

WEIGHTS = "yolov5n.pt"  # in the e2e stack's models folder (models/offline.toml)
IMAGES = ("bus.jpg", "zidane.jpg", "face_test_image.jpg")


def _admin(http: httpx.Client) -> dict[str, str]:
    answer = http.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert answer.status_code == 200, answer.text
    http.cookies.clear()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _ready_version(
    http: httpx.Client, headers: dict[str, str], name: str, samples: Path, imgsz: int, note: str
) -> dict[str, Any]:
    example = ("example", ("bus.jpg", (samples / "bus.jpg").read_bytes(), "image/jpeg"))
    added = http.post(
        f"/api/admin/catalog/{name}/versions",
        data={
            "existing": WEIGHTS,
            "runtime": "torch",
            "options": json.dumps({"imgsz": imgsz}),
            "note": note,
        },
        files=[example],
        headers=headers,
    )
    assert added.status_code == 202, added.text
    deadline = time.monotonic() + 240
    while True:
        model = http.get(f"/api/admin/catalog/{name}", headers=headers).json()
        version = next(v for v in model["versions"] if v["id"] == added.json()["id"])
        if version["state"] != "validating":
            assert version["state"] == "ready", version
            return version
        assert time.monotonic() < deadline, version
        time.sleep(0.5)


def _predict(
    http: httpx.Client, name: str, image: Path, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    made = http.post(
        f"/api/models/{name}/predictions",
        params={"wait": 120},
        files={"file": (image.name, image.read_bytes(), "image/jpeg")},
        headers=headers,
    )
    assert made.status_code in (200, 202), made.text
    assert made.json()["status"] == "succeeded", made.json()
    return made.json()


@pytest.fixture(scope="module")
def detector(site: NginxServer, samples: Path) -> Iterator[dict[str, Any]]:
    """A new model with version 1 live and version 2 ready, and predictions of version 1."""
    tag = uuid.uuid4().hex[:6]
    name, title = f"street-{tag}", f"Street detector {tag}"
    with site.client() as http:
        admin = _admin(http)
        created = http.post(
            "/api/admin/catalog",
            json={
                "id": name,
                "title": title,
                "task": "object-detection",
                "family": "yolov5-classic",
                "group": "torch",
            },
            headers=admin,
        )
        assert created.status_code == 201, created.text
        v1 = _ready_version(http, admin, name, samples, 640, "640 px")
        live = http.post(f"/api/admin/catalog/{name}/versions/{v1['id']}/live", headers=admin)
        assert live.status_code == 200, live.text
        v2 = _ready_version(http, admin, name, samples, 320, "320 px")
        made = [_predict(http, name, samples / image, admin) for image in IMAGES]
        assert {job["model_version"] for job in made} == {1}
        yield {"name": name, "title": title, "v1": v1, "v2": v2, "admin": admin}


def _accept(messages: list[str]):
    def on_dialog(dialog: Dialog) -> None:
        messages.append(dialog.message)
        dialog.accept()

    return on_dialog


AXE = Axe()


def _no_serious_axe_violations(page: Page) -> None:
    """axe on the page as it is, light then dark: nothing serious or critical."""
    found: list[str] = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        expect(page.locator("html")).to_have_attribute("data-theme", scheme)
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(AXE.axe_script)
        result = page.evaluate("() => axe.run(document, { resultTypes: ['violations'] })")
        for violation in result["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
                found.append(f"{scheme}: {violation['id']} at {targets[:3]}")
    page.emulate_media(color_scheme="light")
    assert not found, "\n".join(found)


def _images_loaded(page: Page) -> None:
    page.wait_for_function("() => [...document.images].every(image => image.complete)")


def test_replay_canary_compare_promote_and_roll_back(
    new_page: NewPage,
    problems: Problems,
    site: NginxServer,
    samples: Path,
    detector: dict[str, Any],
) -> None:
    seen_csp, seen_errors = len(problems.csp), len(problems.page_errors)
    page = new_page()
    dialogs: list[str] = []
    page.on("dialog", _accept(dialogs))
    login(page, ADMIN_EMAIL, ADMIN_PASSWORD)

    _replay_and_compare(page, detector)
    _canary_and_compare(page, site, samples, detector)
    _promote_then_roll_back_another(page, dialogs, detector)
    with site.client() as http:
        admin, name = detector["admin"], detector["name"]
        model = http.get(f"/api/admin/catalog/{name}", headers=admin).json()
        assert model["live_version"] == detector["v2"]["id"]
        audit = http.get("/api/admin/audit", params={"action": "release."}, headers=admin).json()
        actions = {entry["action"] for entry in audit["data"] if entry.get("target") == name}
        assert {"release.start", "release.promote", "release.rollback"} <= actions, actions
        mine = _predict(http, name, samples / "bus.jpg", admin)
    assert mine["model_version"] == 2
    _owner_compares(page, mine, detector)

    assert problems.csp[seen_csp:] == []
    assert problems.page_errors[seen_errors:] == []


def _to_releases(page: Page, title: str) -> None:
    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name=f"Releases of {title}"
    ).click()
    expect(page.get_by_role("heading", level=2, name=f"Releases of {title}")).to_be_visible()


def _replay_and_compare(page: Page, detector: dict[str, Any]) -> None:
    """From Manage models to the model's releases; the three predictions replayed on version 2,
    followed to the end; then their comparison, the pairs side by side."""
    name, title = detector["name"], detector["title"]
    page.goto(f"/admin/catalog?model={name}")
    page.get_by_role("link", name=f"Releases and replays of {title}").click()
    expect(page.get_by_role("heading", level=2, name=f"Releases of {title}")).to_be_visible()
    versions = page.get_by_role("region", name="Versions")
    expect(versions).to_contain_text("Version 1: 640 px")
    expect(versions).to_contain_text("Version 2 (ready): 320 px")

    replay_form = page.get_by_role("form", name="Replay past predictions")
    expect(replay_form.get_by_label("Run them on")).to_have_value(detector["v2"]["id"])
    replay_form.get_by_label("How many (at most)").fill("3")
    replay_form.get_by_role("button", name="Start the replay").click()
    notice = page.get_by_text("The replay started: 3 predictions run again on version 2.")
    expect(notice).to_be_focused()
    replays = page.get_by_role("region", name="Replays")
    expect(replays.locator(".badge")).to_have_text("Done", timeout=180_000)
    expect(replays).to_contain_text("3 of 3 done (3 succeeded)")
    bar = replays.get_by_role("progressbar", name="Progress of the replay on version 2")
    assert bar.evaluate("bar => bar.value") == 1
    shot(page, "50-releases-replay-done")

    link = "Compare the replay on version 2 with the live version"
    replays.get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", level=2, name="Version 2 against version 1")).to_be_visible()
    _check_figures(page, pairs=3)
    first = page.get_by_role("region", name="Where they disagree most").get_by_role("listitem")
    first = first.first
    expect(first.get_by_role("heading", level=4)).to_have_text(
        re.compile(r"^1\. .+\.jpg: \d+% disagreement$")
    )
    # each side drawn by the detection viewer: its own heading and the boxes over the image
    expect(first.get_by_role("heading", level=6, name="Detected objects")).to_have_count(2)
    marked = re.compile(r"\.jpg, with \d+ objects? marked")
    expect(first.get_by_role("img", name=marked)).to_have_count(2)
    _images_loaded(page)
    shot(page, "51-replay-comparison")
    _no_serious_axe_violations(page)


def _check_figures(page: Page, pairs: int) -> None:
    table = page.get_by_role("table", name="Predictions, failures and latency")
    expect(table.get_by_role("rowheader")).to_have_text(
        ["Version 1 (reference)", "Version 2 (candidate)"]
    )
    agreement = page.get_by_role("region", name="Agreement")
    expect(agreement).to_contain_text(f"{pairs} pairs of results of the same inputs compared.")
    matched = agreement.get_by_label("Boxes matched")
    for figure in ("Precision", "Recall", "F1"):
        expect(matched.get_by_text(figure, exact=True)).to_be_visible()
    precision = matched.locator("div", has_text=re.compile("^Precision")).locator("dd")
    expect(precision).to_have_text(re.compile(r"^\d+(\.\d)?%$"))
    expect(agreement.get_by_role("table", name="Per class")).to_contain_text("person")


def _canary_and_compare(
    page: Page, site: NginxServer, samples: Path, detector: dict[str, Any]
) -> None:
    """A release at 50 % canary (every live prediction also copied to it as a shadow), live
    predictions while it runs, and its comparison: each of them counted on one side."""
    name, title = detector["name"], detector["title"]
    _to_releases(page, title)
    start = page.get_by_role("form", name="Start a release")
    expect(start.get_by_label("Candidate version")).to_have_value(detector["v2"]["id"])
    start.get_by_label("Canary share (%)").fill("50")
    start.get_by_label("Shadow share (%)").fill("100")
    start.get_by_label("Note (optional)").fill("half the traffic")
    start.get_by_role("button", name="Start the release").click()
    expect(page.get_by_text("The release of version 2 started beside version 1.")).to_be_focused()
    active = page.get_by_role("region", name="Active release: version 2 beside version 1 (live)")
    expect(active).to_contain_text("canary 50%, shadow 100%")

    with site.client() as http:  # a visitor's predictions and the administrator's
        made = [_predict(http, name, samples / "bus.jpg") for _ in range(2)]
        made += [_predict(http, name, samples / "zidane.jpg", detector["admin"]) for _ in range(2)]
    assert {job["model_version"] for job in made} <= {1, 2}

    active.get_by_role("link", name="Compare version 2 with version 1").click()
    expect(page.get_by_role("heading", level=2, name="Version 2 against version 1")).to_be_visible()
    table = page.get_by_role("table", name="Predictions, failures and latency")
    counts = [int(text) for text in table.locator("tbody td:nth-child(2)").all_inner_texts()]
    assert sum(counts) == len(made), counts
    _images_loaded(page)
    shot(page, "52-release-comparison")


def _promote_then_roll_back_another(
    page: Page, dialogs: list[str], detector: dict[str, Any]
) -> None:
    """Promote: one action, after a confirmation naming both versions. Then a second
    release, of version 1, rolled back the same way."""
    title = detector["title"]
    _to_releases(page, title)
    page.get_by_role("button", name="Promote version 2").click()
    promoted = page.get_by_text("Version 2 was promoted: it is live for every new prediction.")
    expect(promoted).to_be_focused()
    assert dialogs[-1].startswith(f"Promote version 2 of {title}? It replaces version 1")
    history = page.get_by_role("region", name="Release history")
    expect(history.locator("tbody tr .badge")).to_have_text(["Promoted"])
    expect(page.get_by_role("region", name="Versions")).to_contain_text("Version 2: 320 px")

    start = page.get_by_role("form", name="Start a release")
    start.get_by_label("Candidate version").select_option(detector["v1"]["id"])
    start.get_by_label("Canary share (%)").fill("50")
    start.get_by_role("button", name="Start the release").click()
    expect(page.get_by_text("The release of version 1 started beside version 2.")).to_be_focused()
    page.get_by_role("button", name="Roll back version 1").click()
    rolled_back = "Version 1 was rolled back: version 2 serves every new prediction."
    expect(page.get_by_text(rolled_back)).to_be_focused()
    assert dialogs[-1].startswith(f"Roll back version 1 of {title}? Every new prediction runs")
    expect(history.locator("tbody tr .badge")).to_have_text(["Rolled back", "Promoted"])
    shot(page, "53-releases-history")


def _owner_compares(page: Page, mine: dict[str, Any], detector: dict[str, Any]) -> None:
    """On the page of a prediction of theirs, its owner runs it on the other version and sees
    both results side by side with how they agree."""
    page.goto(f"/predictions/{mine['id']}")
    compare = page.get_by_role("form", name="Compare with another model or version")
    choice = f"{detector['name']}@{detector['v1']['id']}"
    compare.get_by_label("Run the same file on").select_option(choice)
    compare.get_by_role("button", name="Run and compare").click()
    expect(page.get_by_role("heading", level=3, name="Version 2 and Version 1")).to_be_focused()
    agree = page.get_by_role("heading", level=4, name="How they agree")
    expect(agree).to_be_visible(timeout=120_000)
    expect(page.get_by_label("Boxes matched")).to_contain_text("F1")
    expect(page.get_by_role("heading", level=6, name="Detected objects")).to_have_count(2)
    _images_loaded(page)
    shot(page, "54-user-comparison")
    _no_serious_axe_violations(page)
