"""The cores a process may use: its CPU affinity, bounded by a container's CPU quota."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modelgallery.core.machine import usable_cores

AFFINITY = len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("cpu_max", "expected"),
    [
        ("max 100000\n", AFFINITY),  # no quota
        ("100000 100000\n", 1),  # --cpus 1
        ("150000 100000\n", min(AFFINITY, 2)),  # --cpus 1.5 rounds up
        ("10000000 100000\n", AFFINITY),  # a quota above the cores changes nothing
        ("garbage", AFFINITY),
    ],
)
def test_a_container_quota_bounds_the_cores(tmp_path: Path, cpu_max: str, expected: int) -> None:
    path = tmp_path / "cpu.max"
    path.write_text(cpu_max)
    assert usable_cores(path) == expected


def test_without_cgroup_v2_the_affinity_counts(tmp_path: Path) -> None:
    assert usable_cores(tmp_path / "absent") == AFFINITY
