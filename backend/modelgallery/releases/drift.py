"""Whether a version's recent jobs look like its reference jobs: per statistic of
`drift_facts`, the Population Stability Index between the two windows, and a time series of
each statistic's mean for the chart.

Why PSI (and not a KS test): it measures how far a distribution moved, not how sure we are
that it moved at all (with thousands of jobs a KS test flags shifts nobody cares about), it
works the same for numbers and for the class mix, and its usual reading is known to the
people who look at it: above 0.2 is the usual "significant shift" of credit-risk model
monitoring (the bands < 0.1, 0.1-0.2 and >= 0.2 of CapyMOA's PSI detector, which cites Wu
and Olson, J. Oper. Res. Soc. 61(2), 2010; some texts draw the line at 0.25).

PSI = sum over bins of (recent - reference) * ln(recent / reference), with the bins the
reference's deciles (so each holds a tenth of it) and each bin's share smoothed by half a
job, which keeps an empty bin finite without letting it dominate.

Small windows give a large PSI by chance alone: with bins b and n jobs on each side, PSI is
about a chi-square with b - 1 degrees of freedom times (1/n_ref + 1/n_recent). So a
statistic warns only when its PSI is above the threshold *and* above what chance exceeds
once in a thousand windows; a window with fewer than `MIN_JOBS` values, or a large PSI that
chance could explain, gives no verdict ("not enough data") rather than a false warning."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

import numpy as np
from pydantic import BaseModel

from .drift_facts import CLASS_MIX, STATISTICS, JobFacts, Statistic

PSI_THRESHOLD = 0.2
MIN_JOBS = 30  # values per window below which no verdict is given
BINS = 10  # the reference's deciles
MAX_CLASSES = 10  # the most common classes each get a bin; the rest share one ("other")
HOURLY_UP_TO = timedelta(days=3)  # a longer chart has a point per day
# The chi-square distribution's 99.9th percentile for 1..10 degrees of freedom.
_CHI2_999 = (10.828, 13.816, 16.266, 18.467, 20.515, 22.458, 24.322, 26.124, 27.877, 29.588)
OTHER = "other"


class DriftVerdict(StrEnum):
    ok = "ok"
    drift = "drift"
    not_enough_data = "not_enough_data"


class DriftWindow(BaseModel):
    start: datetime | None  # None: the window holds no job
    end: datetime | None
    jobs: int
    chosen: str  # how it was chosen, in words


class DriftSummary(BaseModel):
    n: int  # jobs with a value
    mean: float | None


class DriftClassShare(BaseModel):
    label: str
    reference: float
    recent: float


class DriftPoint(BaseModel):
    start: datetime  # the bucket's start (UTC)
    n: int
    mean: float


class DriftStatistic(BaseModel):
    name: str
    label: str
    unit: str
    side: Literal["input", "output"]
    reference: DriftSummary
    recent: DriftSummary
    score: float | None  # the PSI; None with no values on one side
    threshold: float
    chance: float | None  # the PSI chance alone exceeds once in 1000 at these sizes
    verdict: DriftVerdict
    warn: bool
    note: str  # the verdict in a sentence
    shares: list[DriftClassShare]  # the class mix only; the most common first
    series_of: str  # what each point's mean is of
    series: list[DriftPoint]


class DriftReport(BaseModel):
    model: str
    version: str
    version_number: int
    reference: DriftWindow
    recent: DriftWindow
    bucket: Literal["hour", "day"]
    statistics: list[DriftStatistic]
    warn: bool


@dataclass(frozen=True)
class Window:
    facts: list[JobFacts]
    start: datetime | None
    end: datetime | None
    chosen: str

    def public(self) -> DriftWindow:
        return DriftWindow(start=self.start, end=self.end, jobs=len(self.facts), chosen=self.chosen)


def drift_report(
    model: str,
    version: str,
    version_number: int,
    reference: Window,
    recent: Window,
    timeline: list[JobFacts],
) -> DriftReport:
    """`timeline`: the jobs the chart shows (the windows' and those between them)."""
    times = [f.at for f in timeline]
    bucket: Literal["hour", "day"] = (
        "hour" if not times or max(times) - min(times) <= HOURLY_UP_TO else "day"
    )
    statistics = [
        _numeric(s, reference.facts, recent.facts, timeline, bucket)
        for s in STATISTICS
        if any(s.name in f.values for f in (*reference.facts, *recent.facts, *timeline))
    ]
    if any(f.classes for f in (*reference.facts, *recent.facts)):
        statistics.append(_class_mix(reference.facts, recent.facts, timeline, bucket))
    return DriftReport(
        model=model,
        version=version,
        version_number=version_number,
        reference=reference.public(),
        recent=recent.public(),
        bucket=bucket,
        statistics=statistics,
        warn=any(s.warn for s in statistics),
    )


# --- the score --------------------------------------------------------------------------


def psi(reference: Sequence[float], recent: Sequence[float]) -> tuple[float, int]:
    """The PSI of `recent` against `reference` over the reference's deciles, and the number
    of bins (fewer than `BINS` where the reference repeats values)."""
    ref, rec = np.asarray(reference, dtype=float), np.asarray(recent, dtype=float)
    edges = np.unique(np.quantile(ref, np.linspace(0, 1, BINS + 1)[1:-1]))
    bins = len(edges) + 1
    ref_counts = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=bins)
    rec_counts = np.bincount(np.searchsorted(edges, rec, side="left"), minlength=bins)
    return psi_of_counts(ref_counts, rec_counts), bins


def psi_of_counts(reference: np.ndarray, recent: np.ndarray) -> float:
    """PSI between two histograms over the same bins (counts, or sums of shares)."""
    half = 0.5  # a floor for empty bins: half a job
    p = (reference + half) / (reference.sum() + half * len(reference))
    q = (recent + half) / (recent.sum() + half * len(recent))
    return float(np.sum((q - p) * np.log(q / p)))


def chance_level(bins: int, n_reference: int, n_recent: int) -> float:
    if bins < 2:
        return 0.0
    df = min(bins - 1, len(_CHI2_999))
    return _CHI2_999[df - 1] * (1 / n_reference + 1 / n_recent)


def _verdict(
    stat: Statistic, n_ref: int, n_rec: int, score: float | None, bins: int
) -> tuple[DriftVerdict, float | None, str]:
    what = stat.label.lower()
    if score is None or n_ref < MIN_JOBS or n_rec < MIN_JOBS:
        return (
            DriftVerdict.not_enough_data,
            None,
            f"Not enough data: {n_ref} reference and {n_rec} recent jobs have a {what}; "
            f"a verdict needs {MIN_JOBS} on each side.",
        )
    chance = chance_level(bins, n_ref, n_rec)
    if score <= PSI_THRESHOLD:
        return DriftVerdict.ok, chance, f"No significant shift (PSI {score:.2f} ≤ {PSI_THRESHOLD})."
    if score <= chance:
        return (
            DriftVerdict.not_enough_data,
            chance,
            f"PSI {score:.2f} is above {PSI_THRESHOLD}, but chance alone gives up to "
            f"{chance:.2f} with {n_rec} recent jobs: wait for more before reading it as drift.",
        )
    side = "Inputs" if stat.side == "input" else "Outputs"
    return (
        DriftVerdict.drift,
        chance,
        f"{side} have changed: {what} PSI {score:.2f} > {PSI_THRESHOLD}.",
    )


# --- the statistics ---------------------------------------------------------------------


def _numeric(
    stat: Statistic,
    reference: list[JobFacts],
    recent: list[JobFacts],
    timeline: list[JobFacts],
    bucket: Literal["hour", "day"],
) -> DriftStatistic:
    ref = [f.values[stat.name] for f in reference if stat.name in f.values]
    rec = [f.values[stat.name] for f in recent if stat.name in f.values]
    score, bins = psi(ref, rec) if ref and rec else (None, 0)
    verdict, chance, note = _verdict(stat, len(ref), len(rec), score, bins)
    points = [(f.at, f.values[stat.name]) for f in timeline if stat.name in f.values]
    return DriftStatistic(
        name=stat.name,
        label=stat.label,
        unit=stat.unit,
        side=stat.side,
        reference=_summary(ref),
        recent=_summary(rec),
        score=_round(score),
        threshold=PSI_THRESHOLD,
        chance=_round(chance),
        verdict=verdict,
        warn=verdict is DriftVerdict.drift,
        note=note,
        shares=[],
        series_of=f"{stat.label.lower()}, the mean per {bucket}",
        series=_series(points, bucket),
    )


def _class_mix(
    reference: list[JobFacts],
    recent: list[JobFacts],
    timeline: list[JobFacts],
    bucket: Literal["hour", "day"],
) -> DriftStatistic:
    """Each job weighs one, spread over the classes it found: an image full of people does
    not outweigh a hundred images of one car each."""
    ref, rec = [f.classes for f in reference if f.classes], [f.classes for f in recent if f.classes]
    ref_total, rec_total = _sum_shares(ref), _sum_shares(rec)
    ranked = sorted(
        set(ref_total) | set(rec_total),
        key=lambda c: (-(ref_total.get(c, 0) + rec_total.get(c, 0)), c),
    )
    kept = ranked[:MAX_CLASSES]
    labels = kept + ([OTHER] if len(ranked) > MAX_CLASSES else [])

    def histogram(total: dict[str, float]) -> np.ndarray:
        rest = sum(v for c, v in total.items() if c not in kept)
        return np.array([total.get(c, 0.0) for c in kept] + ([rest] if OTHER in labels else []))

    ref_hist, rec_hist = histogram(ref_total), histogram(rec_total)
    score = psi_of_counts(ref_hist, rec_hist) if ref and rec else None
    verdict, chance, note = _verdict(CLASS_MIX, len(ref), len(rec), score, len(labels))
    top = max(ref_total, key=lambda c: ref_total[c]) if ref_total else (kept or [OTHER])[0]
    points = [(f.at, f.classes.get(top, 0.0)) for f in timeline if f.classes]
    return DriftStatistic(
        name=CLASS_MIX.name,
        label=CLASS_MIX.label,
        unit=CLASS_MIX.unit,
        side=CLASS_MIX.side,
        reference=DriftSummary(n=len(ref), mean=None),
        recent=DriftSummary(n=len(rec), mean=None),
        score=_round(score),
        threshold=PSI_THRESHOLD,
        chance=_round(chance),
        verdict=verdict,
        warn=verdict is DriftVerdict.drift,
        note=note,
        shares=[
            DriftClassShare(
                label=label,
                reference=round(float(r) / max(1, len(ref)), 4),
                recent=round(float(s) / max(1, len(rec)), 4),
            )
            for label, r, s in zip(labels, ref_hist, rec_hist, strict=True)
        ],
        series_of=f"the share of '{top}', the mean per {bucket}",
        series=_series(points, bucket),
    )


def _sum_shares(jobs: list[dict[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for shares in jobs:
        for label, share in shares.items():
            total[label] = total.get(label, 0.0) + share
    return total


def _summary(values: list[float]) -> DriftSummary:
    return DriftSummary(n=len(values), mean=_round(sum(values) / len(values)) if values else None)


def _series(
    points: list[tuple[datetime, float]], bucket: Literal["hour", "day"]
) -> list[DriftPoint]:
    sums: dict[datetime, tuple[int, float]] = {}
    for at, value in points:
        start = at.replace(minute=0, second=0, microsecond=0)
        if bucket == "day":
            start = start.replace(hour=0)
        n, total = sums.get(start, (0, 0.0))
        sums[start] = (n + 1, total + value)
    return [
        DriftPoint(start=start, n=n, mean=round(total / n, 4))
        for start, (n, total) in sorted(sums.items())
    ]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
