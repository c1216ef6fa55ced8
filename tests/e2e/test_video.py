"""A video on object detection (started before the first test, see conftest.video_job):
progress advances, then the page plays the upload itself (H.264 in MP4, which browsers play)
with each frame's boxes drawn over it, the timeline's playhead follows the video and a click
on the timeline seeks it, a class has one colour in the boxes and the legend (the server's
rule for the video's classes, no two alike), and the annotated video (drawn after the job)
downloads."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from modelgallery.media.colours import class_colours
from tests.e2e.conftest import VideoJob, progress_seen, shot, wait_for_job

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# The canvas over the video has drawn something (a box, its chip) where it is not transparent.
PAINTED = """c => {
  const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
  return false;
}"""


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
    assert re.search(r"/inputs/[^/]+\.mp4$", video.get_attribute("src") or "")  # the upload
    page.wait_for_function("v => v.readyState >= 2", arg=video.element_handle(), timeout=60_000)
    video.evaluate("v => { v.muted = true; return v.play(); }")
    start = video.evaluate("v => v.currentTime")
    page.wait_for_function(
        f"v => v.currentTime > {start} + 0.3", arg=video.element_handle(), timeout=30_000
    )
    # the boxes of the frame on screen, drawn over it as it plays
    canvas = page.locator(".video-stage canvas")
    page.wait_for_function(
        "c => Number(c.dataset.frame) > 5", arg=canvas.element_handle(), timeout=30_000
    )
    page.wait_for_function(PAINTED, arg=canvas.element_handle(), timeout=30_000)
    video.evaluate("v => v.pause()")

    table = page.get_by_role("table", name="Objects per class")
    expect(table).to_contain_text("person")
    # tracked by default: each object once, and how many were in view over time
    expect(table.get_by_role("columnheader", name="Unique objects")).to_be_visible()
    chart = page.get_by_role("img", name=re.compile(r"^Objects in view over"))
    expect(chart).to_be_visible()

    # a click in the middle of the chart (x 330 of its 640, the plot running from 28 to 632)
    # takes the video to the middle of the 6.2 s the chart spans, with the playhead
    x, y = chart.evaluate(
        """svg => {
          const at = new DOMPoint(330, 80).matrixTransform(svg.getScreenCTM());
          const box = svg.getBoundingClientRect();
          return [at.x - box.left, at.y - box.top];
        }"""
    )
    chart.click(position={"x": x, "y": y})
    page.wait_for_function(
        "v => !v.seeking && Math.abs(v.currentTime - 3.1) < 0.2", arg=video.element_handle()
    )
    playhead = page.locator(".video-timeline .playhead")
    page.wait_for_function(
        "l => Math.abs(Number(l.getAttribute('x1')) - 330) < 8", arg=playhead.element_handle()
    )

    # one colour per class: the legend's, the toggle's and the boxes' rule, the server's for
    # the video's classes (dining table and person would share one by their names alone)
    legend = page.get_by_role("list", name="Classes").get_by_role("listitem")
    shown = {
        item.inner_text().strip(): item.locator("rect").get_attribute("fill")
        for item in legend.all()
    }
    assert shown == class_colours(shown)
    assert len(set(shown.values())) == len(shown)
    toggle = (
        page.get_by_role("group", name="Boxes drawn").locator("label").filter(has_text="person")
    )
    assert toggle.locator("rect").get_attribute("fill") == shown["person"]
    shot(page, "21-video-result")

    # the annotated video, drawn after the job, is the file to download
    link = page.get_by_role("link", name=re.compile(r"^Download annotated\.webm"))
    href = link.first.get_attribute("href")
    assert href
    answer = page.evaluate(
        """async url => {
          const r = await fetch(url);
          return [r.status, r.headers.get('content-type'), (await r.arrayBuffer()).byteLength];
        }""",
        href,
    )
    assert answer[0] == 200 and answer[1] == "video/webm" and answer[2] > 10_000, answer
