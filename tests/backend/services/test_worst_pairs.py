"""Where two versions disagree most: the pairs that disagree, most first, one per input, so
that a file sent several times is shown once."""

from __future__ import annotations

from modelgallery.releases.matching import compare_detections
from modelgallery.services.comparison import Pair, worst_pairs
from modelgallery.store.records import InputFile, Job, JobStatus

PERSON = {"label": "person", "confidence": 0.9, "box": [0, 0, 10, 10]}
TIE = {"label": "tie", "confidence": 0.5, "box": [20, 20, 30, 30]}


def pair(sha256: str, baseline: list[dict], candidate: list[dict]) -> Pair:
    sent = InputFile(
        name="x.jpg", stored="input-0.jpg", size=1, sha256=sha256, media_type="image/jpeg"
    )
    source = Job(model="m", status=JobStatus.succeeded, inputs=[sent], result={"items": baseline})
    copy = Job(model="m", status=JobStatus.succeeded, inputs=[sent], result={"items": candidate})
    return Pair(source, copy, compare_detections(baseline, candidate))


def test_a_file_sent_twice_shows_once_and_agreeing_pairs_not_at_all() -> None:
    pairs = [
        pair("zidane", [PERSON, TIE], [PERSON]),  # sent twice: the same disagreement
        pair("zidane", [PERSON, TIE], [PERSON]),
        pair("bus", [PERSON, TIE, TIE], [PERSON, TIE]),
        pair("street", [PERSON], [PERSON]),  # they agree
    ]
    pairs.sort(key=lambda p: p.agreement.disagreement, reverse=True)
    worst = worst_pairs(pairs, 12)
    assert [p.baseline.inputs[0].sha256 for p in worst] == ["zidane", "bus"]
    assert [round(p.agreement.disagreement, 2) for p in worst] == [0.33, 0.2]
    assert worst_pairs(pairs, 1) == worst[:1]
