"""A person changes their password on the account page (reached by its other name,
/settings), sees their sessions, then forgets the password: "Forgot password?" on the log-in
page mails a link (read from the test's SMTP server), which sets a new one."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Smtp, login, shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

FIRST = "the first long password"
SECOND = "the second long password"
THIRD = "the third long password"


def _reset_link(smtp: Smtp, address: str, timeout_s: float = 30) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for mail in smtp.received:
            if mail["To"] == address and "new password" in str(mail["Subject"]):
                body = mail.get_body().get_content()
                found = re.search(r"https://\S+/reset-password\?token=\S+", body)
                assert found, body
                return found.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no reset mail to {address} within {timeout_s} s")


def test_change_password_then_reset_it_by_mail(page: Page, smtp: Smtp) -> None:
    email = f"account-{uuid.uuid4().hex[:8]}@example.org"
    signed_up = page.request.post(
        "/api/auth/signup", data={"email": email, "password": FIRST, "name": "Grace"}
    )
    assert signed_up.status == 201, signed_up.text()

    page.goto("/settings")
    expect(page).to_have_url(re.compile("/account$"))
    expect(page.get_by_role("heading", name="Your account", level=1)).to_be_visible()
    sessions = page.get_by_role("region", name="Sessions")
    expect(sessions.get_by_text("(this session)")).to_be_visible()

    password = page.get_by_role("region", name="Password")
    password.get_by_label("Current password").fill("not the password")
    password.get_by_label("New password", exact=True).fill(SECOND)
    password.get_by_label("New password again").fill(SECOND)
    password.get_by_role("button", name="Change the password").click()
    expect(password.get_by_role("alert")).to_have_text("The current password is not right.")
    password.get_by_label("Current password").fill(FIRST)
    password.get_by_role("button", name="Change the password").click()
    expect(password.get_by_role("status")).to_have_text("Your password was changed.")
    shot(page, "40-account")

    page.get_by_role("button", name="Log out").click()
    page.goto("/login")
    page.get_by_role("link", name="Forgot password?").click()
    expect(page.get_by_role("heading", name="Forgot password")).to_be_visible()
    page.get_by_label("E-mail").fill(email)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_role("status")).to_contain_text("a link to set a new password")
    shot(page, "41-forgot-password")

    page.goto(_reset_link(smtp, email))
    page.get_by_label("New password", exact=True).fill(THIRD)
    page.get_by_label("New password again").fill(THIRD)
    page.get_by_role("button", name="Set the password").click()
    expect(page.get_by_text("Your new password is set.")).to_be_visible()
    shot(page, "42-reset-password")

    login(page, email, THIRD)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
