"""Drift of a version's jobs: the facts read from each kind of result, the PSI and its
verdicts on synthetic streams (seeded), and the chart's series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from modelgallery.releases.drift import (
    MIN_JOBS,
    PSI_THRESHOLD,
    DriftReport,
    DriftVerdict,
    Window,
    chance_level,
    drift_report,
    psi,
)
from modelgallery.releases.drift_facts import JobFacts, facts_of
from modelgallery.store.records import InputFile, Job, JobStatus, Timings
from modelgallery.vision.pipelines.image import brightness
from tests.support.drift_jobs import detection_job, stream

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def report_of(reference: list[Job], recent: list[Job]) -> DriftReport:
    ref = [facts_of(j) for j in reference]
    rec = [facts_of(j) for j in recent]
    return drift_report(
        "detector",
        "v1",
        1,
        Window(ref, ref[0].at if ref else None, ref[-1].at if ref else None, "first jobs"),
        Window(rec, rec[0].at if rec else None, rec[-1].at if rec else None, "recent"),
        ref + rec,
    )


def by_name(report: DriftReport) -> dict[str, tuple[DriftVerdict, float | None]]:
    return {s.name: (s.verdict, s.score) for s in report.statistics}


def windows(
    seed: int, n_ref: int = 500, n_rec: int = 200, **recent: float
) -> tuple[list[Job], list[Job]]:
    rng = np.random.default_rng(seed)
    ref = stream(rng, "detector", "v1", T0, n_ref, timedelta(minutes=5))
    later = T0 + timedelta(days=5)
    return ref, stream(rng, "detector", "v1", later, n_rec, timedelta(minutes=5), **recent)


# --- verdicts on synthetic streams -------------------------------------------------------


def test_brighter_inputs_warn_and_say_which_statistic_moved() -> None:
    report = report_of(*windows(1, brightness=170))
    scores = by_name(report)
    assert scores["brightness"][0] is DriftVerdict.drift
    assert (scores["brightness"][1] or 0) > 2  # the means are 2.5 sd apart
    stat = next(s for s in report.statistics if s.name == "brightness")
    assert stat.warn and report.warn
    assert stat.reference.n == 500 and stat.recent.n == 200
    assert 115 < (stat.reference.mean or 0) < 125 and 165 < (stat.recent.mean or 0) < 175
    assert stat.note.startswith("Inputs have changed: brightness PSI")
    # the detector's outputs follow the same distribution as before
    for name in ("size", "objects", "confidence", "class_mix"):
        assert scores[name][0] is DriftVerdict.ok, (name, scores[name])


def test_a_changed_class_mix_warns_on_the_outputs() -> None:
    report = report_of(*windows(2, person=0.3))
    mix = next(s for s in report.statistics if s.name == "class_mix")
    assert mix.verdict is DriftVerdict.drift and mix.warn
    assert mix.note.startswith("Outputs have changed: class mix PSI")
    shares = {s.label: (s.reference, s.recent) for s in mix.shares}
    assert shares["person"][0] == pytest.approx(0.7, abs=0.05)
    assert shares["person"][1] == pytest.approx(0.3, abs=0.06)
    assert by_name(report)["brightness"][0] is DriftVerdict.ok


@pytest.mark.parametrize("seed", [3, 4, 5, 6, 7])
def test_the_same_distribution_never_warns(seed: int) -> None:
    report = report_of(*windows(seed))
    assert not report.warn, [(s.name, s.score, s.chance) for s in report.statistics]
    assert {s.verdict for s in report.statistics} == {DriftVerdict.ok}


def test_too_few_recent_jobs_give_no_verdict_rather_than_a_warning() -> None:
    report = report_of(*windows(8, n_rec=MIN_JOBS - 1, brightness=170))
    assert not report.warn
    for stat in report.statistics:
        assert stat.verdict is DriftVerdict.not_enough_data and not stat.warn
        assert stat.note.startswith("Not enough data")
    assert by_name(report_of(*windows(8, n_rec=0)))["brightness"] == (
        DriftVerdict.not_enough_data,
        None,
    )


def test_a_large_psi_that_chance_could_explain_is_no_warning() -> None:
    # Recent values in only a few of the reference's deciles: a PSI over 0.2, but with 30
    # jobs chance alone gives far more.
    ref, recent = list(range(100)), [float(v) for v in range(0, 60, 2)]
    score, bins = psi(ref, recent)
    assert bins == 10 and PSI_THRESHOLD < score < chance_level(bins, 100, 30)
    jobs = [
        detection_job("d", "v1", T0 + timedelta(minutes=i), v, [], []) for i, v in enumerate(ref)
    ]
    later = [
        detection_job("d", "v1", T0 + timedelta(days=2, minutes=i), v, [], [])
        for i, v in enumerate(recent)
    ]
    stat = next(s for s in report_of(jobs, later).statistics if s.name == "brightness")
    assert stat.verdict is DriftVerdict.not_enough_data and not stat.warn
    assert "chance alone" in stat.note


def test_psi_is_zero_for_identical_samples_and_bins_follow_repeated_values() -> None:
    values = [0.0, 1, 1, 2, 2, 2, 3, 3, 4, 9] * 10
    score, bins = psi(values, values)
    assert (
        score == pytest.approx(0.0)
        and bins == len(set(np.quantile(values, np.arange(1, 10) / 10))) + 1
    )


# --- the facts of each kind of result ----------------------------------------------------


def job(kind: str, result: dict[str, object], size: int = 1000) -> Job:
    file = InputFile(name="x", stored="x", size=size, sha256="0" * 64, media_type="x/y")
    return Job(
        model="m",
        status=JobStatus.succeeded,
        result_kind=kind,
        result=result,
        inputs=[file],
        timings=Timings(created=T0),
    )


def test_facts_of_each_result_kind() -> None:
    detections = facts_of(
        detection_job("m", "v", T0, 99.5, ["person", "car", "person"], [0.9, 0.6, 0.6])
    )
    assert detections.values == pytest.approx(
        {"size": 80_000, "brightness": 99.5, "objects": 3, "confidence": 0.7}
    )
    assert detections.classes == pytest.approx({"person": 2 / 3, "car": 1 / 3})

    faces = facts_of(
        job("faces", {"brightness": 50, "items": [{"gender": "woman", "confidence": 0.8}] * 2})
    )
    assert faces.values["objects"] == 2 and faces.classes == {"woman": 1.0}

    classified = facts_of(job("classification", {"category": "cat", "probability": 0.91}))
    assert classified.values == {"size": 1000, "confidence": 0.91}
    assert classified.classes == {"cat": 1.0}

    segmented = facts_of(
        job(
            "segmentation",
            {
                "background_fraction": 0.75,
                "items": [{"label": "road", "fraction": 0.2}, {"label": "car", "fraction": 0.05}],
            },
        )
    )
    assert segmented.values["mask_fraction"] == 0.25
    assert segmented.classes == pytest.approx({"road": 0.8, "car": 0.2})

    video = facts_of(
        job("video-detections", {"frames": 50, "duration_s": 2.0, "detections": {"car": 100}})
    )
    assert video.values == {"size": 1000, "duration": 2.0, "objects": 2.0}
    assert video.classes == {"car": 1.0}

    volume = facts_of(job("volume-mask", {"shape": [10, 20, 30], "volume_ml": 812.5}))
    assert volume.values == {"size": 1000, "voxels": 6000, "mask_volume": 812.5}


def test_a_batch_counts_as_the_mean_of_its_files() -> None:
    per_file = [
        {"brightness": 100, "count": 1, "items": [{"label": "car", "confidence": 0.5}]},
        {"brightness": 200, "count": 3, "items": [{"label": "dog", "confidence": 0.9}] * 3},
        {"file": "broken.jpg", "error": "not an image"},
    ]
    facts = facts_of(job("batch", {"files": 3, "per_file": per_file}))
    assert facts.values == pytest.approx(
        {"size": 1000, "brightness": 150, "objects": 2, "confidence": 0.7}
    )
    assert facts.classes == {"car": 0.25, "dog": 0.75}


def test_a_result_without_facts_gives_only_the_size() -> None:
    assert facts_of(job("generic", {"images": []})).values == {"size": 1000, "objects": 0}
    empty = Job(model="m", status=JobStatus.succeeded, timings=Timings(created=T0))
    assert facts_of(empty) == JobFacts(empty.id, T0)


# --- the chart ---------------------------------------------------------------------------


def test_the_series_has_a_point_per_hour_over_a_short_span_and_per_day_over_a_long_one() -> None:
    short = report_of(
        *[stream(np.random.default_rng(9), "d", "v", T0, n, timedelta(minutes=10)) for n in (60, 0)]
    )
    assert short.bucket == "hour"
    points = next(s for s in short.statistics if s.name == "brightness").series
    assert [p.n for p in points] == [6] * 10 and points[0].start == T0
    long = report_of(*windows(10, n_ref=100, n_rec=100))
    assert long.bucket == "day"
    points = next(s for s in long.statistics if s.name == "objects").series
    assert sum(p.n for p in points) == 200 and all(p.start.hour == 0 for p in points)
    mix = next(s for s in long.statistics if s.name == "class_mix")
    assert mix.series_of.startswith("the share of 'person'")


def test_brightness_is_the_mean_luma_of_the_image() -> None:
    red = np.zeros((480, 640, 3), np.uint8)
    red[..., 2] = 255  # BGR
    assert brightness(red) == pytest.approx(0.299 * 255, abs=0.1)
    grey = np.full((1000, 30), 37, np.uint8)
    assert brightness(grey) == 37.0
    halves = np.zeros((300, 300, 3), np.uint8)
    halves[:, 150:] = 200
    assert brightness(halves) == pytest.approx(100, abs=2)
