"""The contact form: validation in the browser, then a message that reaches the SMTP server."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import CONTACT_TO, Smtp, shot

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_contact_form(page: Page, smtp: Smtp) -> None:
    page.goto("/contact")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Your e-mail").fill("ada@example.org")
    subject = f"Question {uuid.uuid4().hex[:8]}"
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Message").fill("Hi")
    page.get_by_role("button", name=re.compile("send", re.I)).click()
    expect(
        page.get_by_text(re.compile("Please write at least \\d+ characters")).first
    ).to_be_visible()
    expect(page.get_by_text("Your message was received.")).to_have_count(0)
    shot(page, "15-contact-too-short")

    body = "Hello! How large may a video be for the object detection model?"
    page.get_by_label("Message").fill(body)
    page.get_by_role("button", name=re.compile("send", re.I)).click()
    expect(page.get_by_text("Your message was received.")).to_be_visible()
    shot(page, "16-contact-sent")

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        mails = [m for m in smtp.received if subject in str(m["Subject"])]
        if mails:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the SMTP server received nothing with {subject!r}: {smtp.received}")
    mail = mails[0]
    assert CONTACT_TO in str(mail["To"])
    text = (mail.get_body(("plain",)) or mail).get_content()
    assert body in text
    assert "ada@example.org" in str(mail["Reply-To"]) + text
