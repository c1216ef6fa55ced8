"""The face-gender family's preprocessing and labels without weights: the crop around a
face box, each classifier's input (size, channels, scale, mean) on known pixels, and the
"uncertain" label below the probability margin or for a small face."""

from __future__ import annotations

import pytest

from modelgallery.vision.families.cvlib_face_gender import FaceGenderModel, _crop, gender_of
from modelgallery.vision.families.gender_classifiers import CVLIB_MEAN, cvlib_blob, keras_input

cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")

# One BGR colour: blue 10, green 100, red 200.
BGR = (10, 100, 200)
GRAY = round(0.299 * 200 + 0.587 * 100 + 0.114 * 10)  # ITU-R 601 luma, as cv2 and training


def test_the_crop_adds_the_margin_on_every_side_and_stops_at_the_image() -> None:
    image = np.arange(200 * 300).reshape(200, 300)
    crop = _crop(image, (100, 60, 150, 120, 0.9), 0.4)  # 50 wide, 60 high
    assert np.array_equal(crop, image[36:144, 80:170])  # 20 px left/right, 24 px up/down
    corner = _crop(image, (5, 10, 55, 70, 0.9), 0.4)
    assert np.array_equal(corner, image[0:94, 0:75])
    assert np.array_equal(_crop(image, (100, 60, 150, 120, 0.9), 0.0), image[60:120, 100:150])


def test_mini_xception_input_is_64_px_gray_scaled_to_minus_one_one() -> None:
    crop = np.full((130, 100, 3), BGR, np.uint8)
    x = keras_input([crop, crop], (64, 64), True, "symmetric")
    assert x.shape == (2, 64, 64, 1) and x.dtype == np.float32
    # oarriaga's preprocess_input(v2=True): (x / 255 - 0.5) * 2 on the gray value.
    assert np.allclose(x, (GRAY / 255 - 0.5) * 2, atol=1e-6)
    assert keras_input([crop], (64, 64), True, "unit")[0, 0, 0, 0] == pytest.approx(GRAY / 255)
    assert keras_input([crop], (64, 64), True, "raw")[0, 0, 0, 0] == GRAY


def test_keras_input_matches_the_training_pipeline_on_a_real_looking_crop() -> None:
    # The training side: an RGB image, resized, cv2.COLOR_RGB2GRAY, preprocess_input(v2).
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (90, 70, 3), np.uint8)
    small = cv2.resize(rgb, (64, 64), interpolation=cv2.INTER_AREA)
    expected = (cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255 - 0.5) * 2
    bgr = rgb[:, :, ::-1].copy()  # what OpenCV decodes the same picture to
    x = keras_input([bgr], (64, 64), True, "symmetric")
    assert np.allclose(x[0, :, :, 0], expected, atol=1e-6)


def test_keras_colour_input_is_rgb() -> None:
    x = keras_input([np.full((50, 50, 3), BGR, np.uint8)], (32, 32), False, "raw")
    assert x.shape == (1, 32, 32, 3)
    assert tuple(x[0, 5, 5]) == (200, 100, 10)


def test_cvlib_input_is_227_px_bgr_less_levi_hassners_means() -> None:
    crops = [np.full((80, 60, 3), BGR, np.uint8), np.full((300, 200, 3), BGR, np.uint8)]
    blob = cvlib_blob(crops)
    assert blob.shape == (2, 3, 227, 227) and blob.dtype == np.float32
    for channel, (value, mean) in enumerate(zip(BGR, CVLIB_MEAN, strict=True)):
        assert np.allclose(blob[:, channel], value - mean, atol=1e-3)  # B, G, R: no swap
    # The channel means of Levi & Hassner's mean.binaryproto (B, G, R).
    assert tuple(round(m, 4) for m in CVLIB_MEAN) == (78.4263, 87.7689, 114.8958)


@pytest.mark.parametrize(
    ("probs", "side", "gender", "reasons"),
    [
        ((0.1, 0.9), 100, "man", []),
        ((0.85, 0.15), 100, "woman", []),  # at the margin: still an answer
        ((0.22, 0.78), 100, "uncertain", ["low_probability"]),
        ((0.02, 0.98), 63, "uncertain", ["small_face"]),
        ((0.6, 0.4), 40, "uncertain", ["low_probability", "small_face"]),
    ],
)
def test_below_the_margin_or_too_small_the_gender_is_uncertain(
    probs: tuple[float, float], side: int, gender: str, reasons: list[str]
) -> None:
    fields = gender_of(np.asarray(probs, np.float32), side, 0.85, 64)
    assert fields["gender"] == gender
    assert fields["uncertain"] == reasons
    # The probabilities stay: the likelier one, and both by name.
    assert fields["probability"] == pytest.approx(max(probs), abs=1e-4)
    assert fields["probabilities"] == pytest.approx({"woman": probs[0], "man": probs[1]}, abs=1e-4)


def test_the_margin_is_a_parameter_and_uncertain_faces_are_counted_apart() -> None:
    param = FaceGenderModel.params["min_gender_probability"]
    assert (param.default, param.min, param.max) == (0.85, 0.5, 1.0)
    assert "uncertain" in FaceGenderModel.csv_columns
    items = [{"gender": g} for g in ("woman", "man", "man", "uncertain")]
    summary = FaceGenderModel.summarise(None, items)  # type: ignore[arg-type]
    assert summary == {"faces": 4, "women": 1, "men": 2, "uncertain": 1}
