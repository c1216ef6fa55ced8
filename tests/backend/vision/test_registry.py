"""The model registry: a valid file loads into specs; an invalid entry fails with a message
that names the entry and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from modelgallery.vision.registry import FAMILIES, RegistryError, load_registry
from tests.support.server import TOY_REGISTRY
from tests.support.toy_models import ToyInvert

BASE = """
[models.toy]
title = "Toy"
task = "image-to-image"
family = "tests.support.toy_models:ToyInvert"
group = "toy"
"""


def load(tmp_path: Path, text: str):
    path = tmp_path / "models.toml"
    path.write_text(text)
    return load_registry(path, tmp_path / "weights")


def refused(tmp_path: Path, text: str) -> str:
    with pytest.raises(RegistryError) as caught:
        load(tmp_path, text)
    return str(caught.value)


def test_each_family_key_names_its_module() -> None:
    """A reader finds the family `image-classification` in `families/image_classification.py`."""
    for key, path in FAMILIES.items():
        module = path.partition(":")[0]
        assert module == f"modelgallery.vision.families.{key.replace('-', '_')}", key


def test_the_toy_registry_loads(tmp_path: Path) -> None:
    registry = load_registry(TOY_REGISTRY, tmp_path)
    names = {"toy", "toy-limited", "toy-queue", "toy-weighted", "toy-off", "toy-batch"}
    assert set(registry.models) == names
    assert registry.groups == ["toy", "toyq"]
    toy = registry.models["toy"]
    assert toy.family == "tests.support.toy_models:ToyInvert"
    assert toy.kinds == ["image"]
    assert toy.max_upload_bytes == 2 * 1024 * 1024
    assert toy.max_files == 3
    assert toy.timeout_s is None
    assert toy.max_batch == 1 and registry.models["toy-batch"].max_batch == 3
    assert toy.params["steps"] == ToyInvert.params["steps"]
    assert [o.name for o in toy.outputs] == ["inverted-{stem}.png", "summary.json"]
    assert toy.max_upload_bytes == 2 * 1024 * 1024
    assert registry.legacy("toy") is toy
    assert registry.legacy("nothing") is None
    assert registry.models["toy-limited"].timeout_s == 2
    assert registry.models["toy-off"].enabled is False
    assert registry.models["toy-queue"].max_files == 1  # the default
    assert registry.models["toy-queue"].max_upload_bytes == 50 * 1024 * 1024
    weighted = registry.models["toy-weighted"]
    assert weighted.weight_paths == [tmp_path / "toy-factor.txt"]
    assert weighted.weights[0].sha256 == (
        "d2cbad71ff333de67d07ec676e352ab7f38248eb69c942950157220607c55e84"
    )


def test_a_model_card_is_read_and_every_field_is_optional(tmp_path: Path) -> None:
    text = BASE + '[models.toy.card]\nlicense = "MIT"\nlimitations = ["Toy data only."]\n'
    card = load(tmp_path, text).models["toy"].card
    assert card is not None
    assert (card.license, card.limitations, card.source) == ("MIT", ["Toy data only."], None)
    assert load(tmp_path, BASE).models["toy"].card is None


@pytest.mark.parametrize("registry", ["models.toml", "offline.toml"])
def test_every_shipped_model_has_a_card_with_source_and_limitations(
    tmp_path: Path, registry: str
) -> None:
    shipped = load_registry(Path(__file__).parents[3] / "models" / registry, tmp_path)
    for name, spec in shipped.models.items():
        assert spec.card is not None, name
        assert spec.card.source and spec.card.limitations, name


def test_missing_weights(tmp_path: Path) -> None:
    registry = load_registry(TOY_REGISTRY, tmp_path)
    assert registry.models["toy"].missing_weights() == []
    weighted = registry.models["toy-weighted"]
    assert weighted.missing_weights() == ["toy-factor.txt"]
    (tmp_path / "toy-factor.txt").mkdir()  # a folder is not a weights file
    assert weighted.missing_weights() == ["toy-factor.txt"]
    (tmp_path / "toy-factor.txt").rmdir()
    (tmp_path / "toy-factor.txt").write_text("0.5\n")
    assert weighted.missing_weights() == []


def test_overrides_narrow_a_copy_of_the_family_params(tmp_path: Path) -> None:
    registry = load(
        tmp_path,
        BASE
        + """
kinds = ["image"]
[models.toy.params.steps]
default = 2
min = 2
max = 10
[models.toy.params.behaviour]
choices = ["ok", "fail"]
""",
    )
    steps = registry.models["toy"].params["steps"]
    assert (steps.default, steps.min, steps.max) == (2, 2, 10)
    assert registry.models["toy"].params["behaviour"].choices == ["ok", "fail"]
    # the family's own declarations are untouched
    assert (ToyInvert.params["steps"].default, ToyInvert.params["steps"].max) == (4, 100)
    assert ToyInvert.params["behaviour"].choices == ["ok", "fail", "crash", "hang"]


def test_an_empty_registry_has_no_models(tmp_path: Path) -> None:
    assert load(tmp_path, "# nothing yet\n").models == {}


@pytest.mark.parametrize(
    ("extra", "phrases"),
    [
        ('colour = "red"', ["field 'colour'", "Extra inputs are not permitted"]),
        ('max_files = "three"', ["field 'max_files'"]),
        ("max_files = 0", ["field 'max_files'"]),
        ("max_upload_mb = -1", ["field 'max_upload_mb'", "greater than 0"]),
        ("max_upload_mb = 0", ["field 'max_upload_mb'"]),
        ("timeout_s = 0", ["field 'timeout_s'"]),
        ('enabled = "maybe"', ["field 'enabled'"]),
        ('legacy_route = "Toy-Route"', ["field 'legacy_route'"]),
        ('kinds = ["video"]', ["field 'kinds'", "video not accepted by the family", "image"]),
        ('kinds = ["image", "nifti"]', ["field 'kinds'", "nifti"]),
        ("kinds = []", ["field 'kinds'"]),  # a model that takes nothing at all
        ('weights = [{ file = "../escape.pt" }]', ["field 'weights.0.file'"]),
        ('weights = [{ file = "w.pt", sha256 = "abc" }]', ["field 'weights.0.sha256'"]),
        ('weights = [{ file = "w.pt", size = 3 }]', ["field 'weights.0.size'"]),
        (
            "[models.toy.params.sleep_s]\nmax = 500",
            ["field 'params.sleep_s'", "max 500.0 is above the family's 120.0"],
        ),
        (
            "[models.toy.params.sleep_s]\nmin = -1",
            ["field 'params.sleep_s'", "min -1.0 is below the family's 0.0"],
        ),
        (
            "[models.toy.params.steps]\ndefault = 0",
            ["field 'params.steps'", "default 0 must be at least 1"],
        ),
        (
            '[models.toy.params.steps]\ndefault = "many"',
            ["field 'params.steps'", "must be a number"],
        ),
        (
            "[models.toy.params.steps]\nmin = 50\nmax = 10",
            ["field 'params.steps'", "default 4 must be at least 50"],
        ),
        (
            '[models.toy.params.behaviour]\nchoices = ["ok", "boom"]',
            ["field 'params.behaviour'", "choices must come from"],
        ),
        (
            '[models.toy.params.colour]\ndefault = "red"',
            ["field 'params.colour'", "no such parameter", "sleep_s, steps, behaviour"],
        ),
        ("[models.toy.params.steps]\nstep = 2", ["field 'params.steps.step'"]),
        ('runtime = "openvino"', ["field 'runtime'", "this family runs on its own runtime"]),
        ('runtime = "tensorrt"', ["field 'runtime'"]),
        ('[models.toy.card]\nlicence = "MIT"', ["field 'card.licence'", "Extra inputs"]),
        ('[models.toy.card]\nlimitations = "one"', ["field 'card.limitations'"]),
    ],
)
def test_invalid_fields_are_named_with_their_entry(
    tmp_path: Path, extra: str, phrases: list[str]
) -> None:
    message = refused(tmp_path, BASE + extra + "\n")
    assert message.startswith("models.toml: [models.toy] field '"), message
    for phrase in phrases:
        assert phrase in message, message


@pytest.mark.parametrize(
    ("family", "phrases"),
    [
        ("nope", ["unknown family 'nope'", "yolo"]),  # lists the known short names
        ("tests.support.nowhere:Model", ["cannot use 'tests.support.nowhere:Model'"]),
        ("tests.support.toy_models:Missing", ["cannot use", "Missing"]),
        ("pathlib:Path", ["pathlib:Path is not a Model subclass"]),
        ("modelgallery.vision.model:Param", ["is not a Model subclass"]),
    ],
)
def test_bad_families(tmp_path: Path, family: str, phrases: list[str]) -> None:
    text = BASE.replace('"tests.support.toy_models:ToyInvert"', f'"{family}"')
    message = refused(tmp_path, text)
    assert message.startswith("models.toml: [models.toy] field 'family': "), message
    for phrase in phrases:
        assert phrase in message, message


@pytest.mark.parametrize("missing", ["title", "task", "family", "group"])
def test_required_fields(tmp_path: Path, missing: str) -> None:
    text = "\n".join(line for line in BASE.splitlines() if not line.startswith(missing + " "))
    message = refused(tmp_path, text)
    assert f"[models.toy] field '{missing}'" in message
    assert "Field required" in message


def test_duplicate_legacy_route(tmp_path: Path) -> None:
    message = refused(
        tmp_path,
        BASE
        + 'legacy_route = "toy"\n'
        + BASE.replace("models.toy]", "models.other]")
        + 'legacy_route = "toy"\n',
    )
    assert "[models.other] field 'legacy_route'" in message
    assert "'toy' is already used by [models.toy]" in message


@pytest.mark.parametrize("name", ["Toy", "bad name", "-toy", "toy.v2", "tøy", "_x"])
def test_invalid_model_names(tmp_path: Path, name: str) -> None:
    message = refused(tmp_path, BASE.replace("[models.toy]", f'[models."{name}"]'))
    assert f"[models.{name}]" in message
    assert "the name may hold only a-z, 0-9, '-' and '_'" in message


def test_file_level_errors(tmp_path: Path) -> None:
    assert "not valid TOML" in refused(tmp_path, BASE + "title = \n")
    assert "not valid TOML" in refused(tmp_path, BASE + BASE)  # the same table twice
    assert "unknown top-level table(s): model" in refused(tmp_path, "[model.toy]\ntitle = 'x'\n")
    assert "[models.toy]: must be a table" in refused(tmp_path, 'models.toy = "yes"\n')
    with pytest.raises(RegistryError, match="model registry not found"):
        load_registry(tmp_path / "absent.toml", tmp_path)


def test_batching_is_for_families_that_batch(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    entry = '[models.m]\ntitle = "M"\ntask = "t"\nfamily = "{family}"\ngroup = "g"\n{extra}'
    batcher = "tests.support.toy_models:ToyBatch"
    path.write_text(entry.format(family=batcher, extra=""))
    assert load_registry(path, tmp_path).models["m"].max_batch == 4  # the default
    path.write_text(entry.format(family=batcher, extra="max_batch = 1\n"))
    assert load_registry(path, tmp_path).models["m"].max_batch == 1  # off
    single = "tests.support.toy_models:ToyInvert"
    path.write_text(entry.format(family=single, extra="max_batch = 8\n"))
    with pytest.raises(RegistryError, match="max_batch': this family runs one job at a time"):
        load_registry(path, tmp_path)
