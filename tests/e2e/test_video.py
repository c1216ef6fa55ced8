"""A video on object detection (started before the first test, see conftest.video_job):
progress advances, then the annotated video plays and the per-class summary shows person."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import VideoJob, progress_seen, shot, wait_for_job

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_video_progress_then_playback(video_job: VideoJob) -> None:
    page = video_job.page
    shot(page, "20-video-job-progress")
    assert wait_for_job(page, timeout_s=480) == "Succeeded"
    seen = progress_seen(page)
    job_values = {e for e in seen if e.startswith("Job progress=") and not e.endswith("=?")}
    messages = {e for e in seen if e.startswith("message=") and e != "message="}
    assert len(job_values) + len(messages) >= 3, seen
    assert len(job_values) >= 2 or len(messages) >= 2, seen

    video = page.locator("video.result-video")
    expect(video).to_be_visible()
    page.wait_for_function("v => v.readyState >= 2", arg=video.element_handle(), timeout=60_000)
    video.evaluate("v => { v.muted = true; return v.play(); }")
    start = video.evaluate("v => v.currentTime")
    page.wait_for_function(
        f"v => v.currentTime > {start} + 0.3", arg=video.element_handle(), timeout=30_000
    )
    table = page.get_by_role("table", name="Objects per class")
    expect(table).to_contain_text("person")
    # tracked by default: each object once, and how many were in view over time
    expect(table.get_by_role("columnheader", name="Unique objects")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile(r"^Objects in view over"))).to_be_visible()
    shot(page, "21-video-result")
