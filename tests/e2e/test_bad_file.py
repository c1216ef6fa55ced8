"""A text file named photo.jpg: the API's refusal is shown in words, the page stays usable."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Problems, shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_text_file_named_jpg_is_refused_readably(page: Page, problems: Problems) -> None:
    errors_before = len(problems.page_errors)
    page.goto("/models/object-detection")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.locator('input[type="file"]').set_input_files(
        {
            "name": "photo.jpg",
            "mimeType": "image/jpeg",
            "buffer": b"Dear diary, this is not a picture at all.\n" * 20,
        }
    )
    page.get_by_role("button", name=re.compile("^Run")).click()
    alert = page.get_by_role("alert").filter(has_text=re.compile("text file", re.I))
    expect(alert).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile("/models/object-detection$"))
    # no crash: the form is still there and usable
    expect(page.get_by_role("button", name=re.compile("^Run"))).to_be_enabled()
    assert len(problems.page_errors) == errors_before, problems.page_errors
    shot(page, "14-bad-file-error")
