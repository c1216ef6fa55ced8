"""The chaos and soak run in its short form (3 minutes); `python -m tests.chaos.soak` runs the
long one. See tests/chaos/soak.py for what it does."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.soak import run_soak

SOAK_SECONDS = 180


@pytest.mark.slow
@pytest.mark.timeout(SOAK_SECONDS + 600)
def test_twice_the_capacity_with_workers_killed_and_the_api_restarted(tmp_path: Path) -> None:
    report = run_soak(SOAK_SECONDS, tmp_path / "soak")
    print("\n" + "\n".join(report.lines()))
    assert not report.bad_answers, report.bad_answers[:10]
    assert report.accepted > 0 and report.kills > 0 and report.api_restarts == 1
    assert not report.lost and not report.stuck, report.lines()
    assert sum(report.ended.values()) == report.accepted
    assert report.stored == report.accepted
    for part, (start, end) in report.rss_mb.items():
        assert end <= 1.5 * start + 50, f"{part} memory grew: {start:.0f} -> {end:.0f} MB"
