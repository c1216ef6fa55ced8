"""Skin segmentation of a NIfTI volume: the NiiVue viewer (WebGL2) with the mask overlay,
the opacity control, the statistics in mL and the preview image."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot, upload, wait_for_job

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_skin_volume_viewer(page: Page, samples: Path) -> None:
    assert page.evaluate("!!document.createElement('canvas').getContext('webgl2')")
    upload(page, "skin-segmentation", [samples / "ch2.nii.gz"])
    assert wait_for_job(page) == "Succeeded"

    viewer = page.locator(".volume-canvas")
    expect(viewer.locator("canvas")).to_be_visible()
    expect(viewer).to_have_attribute("data-loaded-volumes", "2", timeout=60_000)
    expect(viewer).to_have_attribute("data-overlay-opacity", "0.6")

    opacity = page.get_by_label(re.compile("Mask opacity"))
    opacity.fill("0.25")
    expect(page.get_by_text("Mask opacity: 25%")).to_be_visible()
    expect(viewer).to_have_attribute("data-overlay-opacity", "0.25")

    stats = page.locator('dl[aria-label="Statistics"]')
    expect(stats).to_contain_text("Skin volume")
    expect(stats).to_contain_text(re.compile(r"\d+(\.\d+)? mL"))

    preview = page.get_by_role("img", name=re.compile("slices through the volume"))
    expect(preview).to_be_visible()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=preview.element_handle()
    )
    shot(page, "10-skin-result")
