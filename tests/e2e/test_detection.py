"""Gallery → object detection on bus.jpg → boxes, a table, and the annotated JPEG."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import progress_seen, shot, upload, wait_for_job

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_gallery_then_detection_on_an_image(page: Page, samples: Path) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Model gallery")).to_be_visible()
    cards = page.locator(".model-card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 5
    expect(cards.locator(".badge").first).to_be_visible()
    detection = cards.filter(
        has=page.get_by_role("link", name=re.compile("Object detection \\(YOLOv8 nano"))
    )
    expect(detection.locator(".badge")).to_have_text("Ready")
    shot(page, "01-gallery")

    detection.get_by_role("link").click()
    expect(page).to_have_url(re.compile("/models/object-detection$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot(page, "02-model-object-detection")

    upload(page, "object-detection", [samples / "bus.jpg"])
    # the video job may still hold the worker: the job page shows it queued or running
    expect(page.locator(".job-progress")).to_be_visible()
    shot(page, "03-detection-job-progress")
    assert wait_for_job(page) == "Succeeded"
    seen = progress_seen(page)
    assert any(entry.startswith(("Upload progress", "Job progress")) for entry in seen), seen

    result = page.locator("section[aria-labelledby=result-heading]")
    expect(result.get_by_role("heading", name="Detected objects")).to_be_visible()
    image = result.locator("img").first
    expect(image).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    canvas = result.locator("canvas").first
    box = canvas.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 100
    # boxes are drawn: the canvas over the image is not blank
    drawn = canvas.evaluate(
        """c => { const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""
    )
    assert drawn > 100
    table = result.get_by_role("table", name="Detections")
    expect(table).to_contain_text("person")
    expect(table).to_contain_text("bus")
    shot(page, "04-detection-result")

    # every file is offered once, in the Files section: the main output (the annotated
    # image) first, as a button
    files = page.locator("section[aria-labelledby=files-heading]")
    expect(result.get_by_role("link", name=re.compile("^Download"))).to_have_count(0)
    link = files.get_by_role("link", name=re.compile(r"^Download .*\.jpe?g$", re.I)).first
    with page.expect_download() as info:
        link.click()
    download = info.value
    data = Path(download.path()).read_bytes()
    assert data[:3] == b"\xff\xd8\xff", download.suggested_filename
    assert re.search(r"\.jpe?g$", download.suggested_filename, re.I)
