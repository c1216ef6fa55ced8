"""An administrator signs in: the predictions made by the other tests, a filter by model,
a download, the statistics charts, the nodes with each model's state there, and the worker
processes."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import login, shot, upload, wait_for_job
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# The titles models/offline.toml gives them: the web UI names models by title, never by slug.
DETECTION = "Object detection (YOLOv8 nano)"
FACES = "Face and gender detection"


def matching(page: Page) -> int:
    text = page.get_by_text(re.compile(r"^\d+ predictions? match")).inner_text()
    return int(text.split()[0])


def test_admin_dashboard(page: Page, samples: Path) -> None:
    # run alone, the other tests' predictions are missing: make two of different models
    login(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    listed = page.evaluate(
        "async () => (await (await fetch('/api/admin/predictions?limit=100')).json()).data"
    )
    if len({job["model"] for job in listed}) < 2:
        for model, name in (
            ("object-detection", "bus.jpg"),
            ("face-gender", "face_test_image.jpg"),
        ):
            upload(page, model, [samples / name])
            wait_for_job(page)

    page.goto("/admin")
    expect(page.get_by_role("heading", name="Administration")).to_be_visible()
    table = page.get_by_role("table")
    expect(table.locator("tbody tr").first).to_be_visible()
    everything = matching(page)
    assert everything >= 2
    expect(table).to_contain_text(DETECTION)
    shot(page, "30-admin-predictions")

    page.get_by_label("Model", exact=True).select_option("object-detection")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"model=object-detection"))
    expect(page.get_by_text(re.compile(r"^\d+ predictions? match"))).not_to_have_text(
        re.compile(rf"^{everything} ")
    )
    narrowed = matching(page)
    assert 1 <= narrowed < everything
    models_shown = table.locator("tbody td[data-label=Model]").all_inner_texts()
    # each row names the model and the version that ran it
    assert models_shown and set(models_shown) == {f"{DETECTION} v1"}
    shot(page, "31-admin-filtered")

    with page.expect_download() as info:
        table.locator("tbody tr").first.get_by_role("link", name=re.compile("^Download")).click()
    download = info.value
    assert Path(download.path()).stat().st_size > 0
    assert download.suggested_filename

    page.get_by_role("navigation", name="Administration").get_by_role(
        "link", name="Statistics"
    ).click()
    expect(page.get_by_role("heading", name="Statistics")).to_be_visible()
    charts = page.locator(".chart-box")  # per day, and latency per model
    expect(charts).to_have_count(2)
    for chart in charts.all():
        expect(chart.locator("svg.recharts-surface").first).to_be_visible()
    expect(page.locator(".recharts-bar-rectangle").first).to_be_attached()
    per_model = page.get_by_role("table", name="Per model", exact=True)
    expect(per_model).to_contain_text(DETECTION)
    shot(page, "32-admin-stats")

    admin_nav = page.get_by_role("navigation", name="Administration")
    admin_nav.get_by_role("link", name="Models", exact=True).click()
    expect(page.get_by_role("heading", name="Worker nodes and processes")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^1 node: .+ \(\d+ process"))).to_be_visible()
    workers = page.get_by_role("table", name="Worker processes").locator("tbody tr")
    expect(workers.first).to_be_visible()
    groups = set(
        page.get_by_role("table", name="Worker processes")
        .locator("tbody tr td:nth-child(3)")
        .all_inner_texts()
    )
    assert {"torch", "tf", "cpu"} <= groups, groups
    check_nodes(page)
    shot(page, "33-admin-models")
    # on a phone the Nodes table becomes one card per node, and nothing scrolls sideways
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("table", name="Nodes", exact=True)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "34-admin-models-mobile")


def check_nodes(page: Page) -> None:
    """The Nodes table: the e2e stack runs the local executor, so this server is the one
    node (NODE_NAME, or the host name), with its three worker processes and every model."""
    registry = (
        page.get_by_role("table", name="Every model of the registry")
        .locator("tbody td[data-label=Model] a")
        .all_inner_texts()
    )
    assert registry, "the registry table lists no model"
    expect(page.get_by_role("heading", name="Nodes", exact=True)).to_be_visible()
    rows = page.get_by_role("table", name="Nodes", exact=True).locator("tbody tr")
    expect(rows).to_have_count(1)
    node = rows.first
    host = socket.gethostname()
    name_cell = node.locator("td[data-label=Node]")
    expect(name_cell.locator("strong")).to_have_text(os.environ.get("NODE_NAME") or host)
    expect(name_cell.locator(".mono")).to_have_text(host)
    expect(node.locator("td[data-label=Groups]")).to_have_text("cpu, tf, torch")
    expect(node.locator("td[data-label=Processes]")).to_have_text(re.compile(r"^\d of 3 ready$"))
    models = node.locator("td[data-label=Models] > ul > li")
    expect(models).to_have_count(len(registry))
    listed = models.locator(".node-model").all_inner_texts()
    assert sorted(listed) == sorted(registry), listed
    # the models the other tests ran are loaded here, with the time they took to load
    for title in (DETECTION, FACES):
        name = re.compile(f"^{re.escape(title)}$")
        model = models.filter(has=page.locator(".node-model", has_text=name))
        expect(model.locator(".badge")).to_have_text("Ready")
        expect(model).to_contain_text(re.compile(r"load time \d"))
    expect(node.locator("td[data-label='Jobs done']")).to_have_text(re.compile(r"^\d+$"))
