"""An administrator signs in: the predictions made by the other tests, a filter by model,
a download, the statistics charts and the worker nodes and processes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import login, shot, upload, wait_for_job
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


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
    expect(table).to_contain_text("object-detection")
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
    assert models_shown and set(models_shown) == {"object-detection"}
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
    expect(per_model).to_contain_text("object-detection")
    shot(page, "32-admin-stats")

    page.get_by_role("navigation", name="Administration").get_by_role("link", name="Models").click()
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
    shot(page, "33-admin-models")
