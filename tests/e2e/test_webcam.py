"""A photo from Chromium's fake camera, uploaded to the face model."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import NewPage, shot, wait_for_job, watch_progress

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_webcam_photo_to_face_model(new_page: NewPage) -> None:
    page = new_page(permissions=["camera"])
    page.goto("/models/face-gender")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_text("Or take a photo with your camera").click()
    page.get_by_role("button", name="Use the camera").click()
    take = page.get_by_role("button", name="Take photo")
    expect(take).to_be_visible()
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.videoWidth > 0 }"
    )
    shot(page, "11-webcam-live")
    take.click()
    expect(page.get_by_role("img", name=re.compile("photo you took"))).to_be_visible()
    shot(page, "12-webcam-captured")
    watch_progress(page)
    page.get_by_role("button", name=re.compile("^Run")).click()
    page.wait_for_url(re.compile(r"/predictions/"), timeout=60_000)
    assert wait_for_job(page) == "Succeeded"
    expect(page.locator("#result-heading")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    shot(page, "13-webcam-result")
