"""A person signs up, runs a model, finds it in their history, logs out and in again; the
administration stays closed to them, in the UI and in the API."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import login, shot, upload, wait_for_job

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

PASSWORD = "a long enough password"


def test_plain_user_history_and_no_admin(page: Page, samples: Path) -> None:
    email = f"user-{uuid.uuid4().hex[:8]}@example.org"
    page.goto("/signup")
    page.get_by_label("Name (optional)").fill("Plain User")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "17-signup")
    page.get_by_role("button", name=re.compile("create", re.I)).click()
    page.wait_for_url(lambda url: "/signup" not in url)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    page.goto("/history")
    expect(page.get_by_role("heading", name="My predictions")).to_be_visible()
    expect(page.get_by_text("Nothing yet.")).to_be_visible()

    upload(page, "face-gender", [samples / "zidane.jpg"])
    job_url = page.url
    assert wait_for_job(page) == "Succeeded"

    page.get_by_role("link", name="My predictions").click()
    row = page.get_by_role("table").locator("tbody tr").filter(has_text="zidane.jpg")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Succeeded")
    shot(page, "18-history")
    row.get_by_role("link", name=re.compile("^Open")).first.click()
    expect(page).to_have_url(job_url)
    expect(page.get_by_role("heading", name="zidane.jpg")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto("/history")  # signed out: history asks to log in
    expect(page).to_have_url(re.compile("/login"))
    shot(page, "18-login")
    login(page, email, PASSWORD)
    page.goto("/history")
    expect(
        page.get_by_role("table").locator("tbody tr").filter(has_text="zidane.jpg")
    ).to_have_count(1)

    page.goto("/admin")
    expect(page.get_by_role("heading", name="For administrators only")).to_be_visible()
    shot(page, "19-admin-as-user")
    status = page.evaluate(
        "async () => (await fetch('/api/admin/predictions', {credentials: 'same-origin'})).status"
    )
    assert status == 403
