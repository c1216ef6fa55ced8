"""Stage timings of a job (`vision/stages.py`), on an injected clock."""

from __future__ import annotations

import threading

from modelgallery.vision.stages import Stages


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_stages_sum_per_name_in_the_order_a_job_passes_through() -> None:
    clock = Ticks()
    stages = Stages(clock)
    for name, seconds in (("writing", 0.5), ("inference", 0.25), ("inference", 0.125)):
        with stages.time(name):
            clock.now += seconds
    stages.add("custom", 1.0)
    stages.add("decode", 2.0)
    assert stages.as_dict() == {"decode": 2.0, "inference": 375.0, "writing": 500.0, "custom": 1.0}


def test_a_stage_that_raises_is_still_counted() -> None:
    clock = Ticks()
    stages = Stages(clock)
    try:
        with stages.time("inference"):
            clock.now += 0.01
            raise ValueError("bad frame")
    except ValueError:
        pass
    assert stages.as_dict() == {"inference": 10.0}


def test_threads_may_add_at_once() -> None:
    stages = Stages()

    def add() -> None:
        for _ in range(1000):
            stages.add("encoding", 1.0)

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stages.as_dict() == {"encoding": 4000.0}
