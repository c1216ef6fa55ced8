"""Every page of the run lived under nginx's strict Content-Security-Policy without a
violation (console messages of all the pages opened by the other tests are collected)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Problems

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_no_csp_violations(page: Page, problems: Problems) -> None:
    response = page.goto("/")
    assert response is not None
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "style-src 'self'" in csp, csp
    page.get_by_role("heading", name="Model gallery").wait_for()
    assert problems.csp == []
    assert problems.page_errors == []
