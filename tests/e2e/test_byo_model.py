"""Bring your own model, in the browser: an administrator adds an ImageNet classifier
(EfficientNet-Lite0 exported to ONNX here, never committed) on Manage models with its labels,
ImageNet's mean and std and bus.jpg as the example, watches the version being checked until it
is ready, and makes it live; then a visitor (no cookies) runs it on bus.jpg and reads the ranked
labels, minibus first."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import NewPage, Problems, login, shot, upload, wait_for_job
from tests.support.generic_models import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    efficientnet_lite0,
    export_onnx,
    imagenet_categories,
)
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# A group the e2e server runs (tests.support.server.ONE_WORKER_EACH); the generic family
# needs no torch on ONNX Runtime, so the light one does.
GROUP = "cpu"


@pytest.fixture(scope="module")
def classifier(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """EfficientNet-Lite0 as ONNX (1, 3, 224, 224) and ImageNet's labels, one a line."""
    folder = tmp_path_factory.mktemp("byo-e2e")
    weights, labels = folder / "efficientnet_lite0.onnx", folder / "imagenet.txt"
    export_onnx(efficientnet_lite0(), weights, (1, 3, 224, 224))
    labels.write_text("\n".join(imagenet_categories()) + "\n")
    return weights, labels


def numbers(values: tuple[float, ...]) -> str:
    return ", ".join(str(v) for v in values)


def test_admin_adds_a_classifier_and_a_visitor_runs_it(
    new_page: NewPage, problems: Problems, samples: Path, classifier: tuple[Path, Path]
) -> None:
    weights, labels = classifier
    seen_csp, seen_errors = len(problems.csp), len(problems.page_errors)
    name = f"bus-classifier-{uuid.uuid4().hex[:6]}"
    title = f"EfficientNet-Lite0 {name[-6:]}"

    admin = new_page()
    admin.on("dialog", lambda dialog: dialog.accept())  # "Make version 1 … live?"
    login(admin, ADMIN_EMAIL, ADMIN_PASSWORD)
    admin.goto("/admin/catalog")
    expect(admin.get_by_role("heading", name="Manage models")).to_be_visible()

    # the model, with no version yet
    admin.get_by_role("button", name="Add a model").click()
    new_model = admin.get_by_role("form", name="Add a model")
    new_model.get_by_label("Name", exact=True).fill(name)
    new_model.get_by_label("Title", exact=True).fill(title)
    new_model.get_by_label("Family", exact=True).select_option("image-classification")
    expect(new_model.get_by_label("Task", exact=True)).to_have_value("image-classification")
    new_model.get_by_label("Worker group", exact=True).select_option(GROUP)
    new_model.get_by_role("button", name="Add the model").click()
    expect(admin.get_by_role("status").filter(has_text=f"{title} was added")).to_be_visible()

    # its first version: the weights with the labels file, the labels, ImageNet's preprocessing
    admin.get_by_role("button", name=f"Add a version of {title}").click()
    version = admin.get_by_role("form", name=f"Add a version of {title}")
    version.get_by_role("group", name="Weights").locator('input[type="file"]').set_input_files(
        [weights, labels]
    )
    example = version.get_by_role("group", name="Example input (optional)")
    example.locator('input[type="file"]').set_input_files(samples / "bus.jpg")
    version.get_by_label("Runtime", exact=True).select_option("onnxruntime")
    version.get_by_label("Labels (optional)", exact=True).fill(labels.read_text())
    version.get_by_label("Mean", exact=True).fill(numbers(IMAGENET_MEAN))
    version.get_by_label("Standard deviation", exact=True).fill(numbers(IMAGENET_STD))
    version.get_by_role("button", name="Upload and check").click()

    # being checked, then ready, with what it found on the example
    item = (
        admin.get_by_role("list", name=f"Versions of {title}")
        .get_by_role("listitem")
        .filter(has=admin.get_by_role("heading", name="Version 1"))
    )
    badge = item.locator(".catalog-badge")
    expect(badge).to_have_text("Being checked", timeout=120_000)
    expect(badge).to_have_text("Ready", timeout=180_000)
    expect(item).to_contain_text(re.compile(r"Top label in bus\.jpg: minibus \(\d+%\)"))
    shot(admin, "40-catalog-version-ready")

    item.get_by_role("button", name=f"Make live version 1 of {title}").click()
    expect(admin.get_by_text("Version 1 is live: new predictions use it.")).to_be_visible()
    expect(badge).to_have_text("Live")

    # a visitor, signed out, runs it
    visitor = new_page()
    upload(visitor, name, [samples / "bus.jpg"])
    assert wait_for_job(visitor, timeout_s=180) == "Succeeded"
    expect(visitor.locator(".class-headline")).to_contain_text("minibus")
    ranked = visitor.get_by_role("list", name="Most likely labels").get_by_role("listitem")
    expect(ranked.first).to_contain_text("minibus")
    shot(visitor, "41-byo-classifier-result")

    assert problems.csp[seen_csp:] == []
    assert problems.page_errors[seen_errors:] == []
