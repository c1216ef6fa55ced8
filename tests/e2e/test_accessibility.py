"""Accessibility: axe on every page at a desktop and a phone size, in the light and the dark
theme, failing on serious or critical violations; no console errors on the same walk, signed
in or not; a model run from the gallery to the result's download with the keyboard alone;
the header's theme button. Dark screenshots of a result and of the gallery on a phone go to
test-artifacts/screenshots/ (and to the folder NOTES_SCREENS names, when set).

One walk serves the axe and console tests: a browser context per size, each page loaded once
and checked in both themes (the theme follows the emulated system setting)."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import (
    APIRequestContext,
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import shot
from tests.support.nginx import NginxServer
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
SCHEMES = ("light", "dark")
BLOCKING = {"serious", "critical"}
FINAL = {"succeeded", "failed", "cancelled"}
NOTES = os.environ.get("NOTES_SCREENS")

# Results that the e2e stack's models make in seconds; video-detections (1 to 2 minutes of
# CPU), classification and segmentation (no such model in the offline registry: test_byo_model
# adds one) are walked when an earlier test of the session left a finished one.
RESULTS = {
    "volume-mask": ("skin-segmentation", ["ch2.nii.gz"]),  # the slowest first
    "detections": ("object-detection", ["bus.jpg"]),
    "faces": ("face-gender", ["zidane.jpg"]),
    "batch": ("face-gender", ["zidane.jpg", "face_test_image.jpg"]),
}
ANONYMOUS_PAGES = [
    "/",
    "/models/object-detection",
    "/models/face-gender-yunet",
    "/contact",
    "/login",
    "/signup",
    "/forgot-password",
    "/reset-password?token=not-a-real-token",
    "/confirm-email?token=not-a-real-token",
    "/account/deleted",
    "/no-such-page",
]
SIGNED_IN_PAGES = [
    "/",
    "/history",
    "/account",
    "/admin",
    "/admin/stats",
    "/admin/models",
    "/admin/messages",
    "/admin/users",
    "/admin/audit",
    "/admin/catalog",
    "/admin/catalog/object-detection/releases",
]


@dataclass
class Findings:
    violations: list[str] = field(default_factory=list)
    console: dict[str, list[str]] = field(
        default_factory=lambda: {"anonymous": [], "signed in": []}
    )
    anonymous_me: list[str] = field(default_factory=list)
    walked: list[str] = field(default_factory=list)


def _media_type(name: str) -> str:
    return "application/gzip" if name.endswith(".gz") else "image/jpeg"


@pytest.fixture(scope="module")
def results(site: NginxServer, samples: Path) -> dict[str, str]:
    """Job ids by result kind: the cheap ones, started now as the administrator (they run while
    the anonymous pages are walked), plus any finished job of another kind an earlier test
    of the session left."""
    jobs: dict[str, str] = {}
    with site.client() as http:
        token = http.post(
            "/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        ).json()["access_token"]
        http.cookies.clear()
        http.headers["Authorization"] = f"Bearer {token}"
        for kind, (model, names) in RESULTS.items():
            files = [
                ("file", (name, (samples / name).read_bytes(), _media_type(name))) for name in names
            ]
            made = http.post(f"/api/models/{model}/predictions", files=files)
            assert made.status_code in (200, 202), made.text
            jobs[kind] = made.json()["id"]
        listed = http.get("/api/admin/predictions", params={"limit": 100}).json()["data"]
        for job in listed:
            kind = job.get("result_kind")
            if job["status"] == "succeeded" and kind not in jobs and kind != "generic":
                jobs[kind] = job["id"]
    return jobs


def _wait_for_results(request: APIRequestContext, jobs: dict[str, str]) -> None:
    deadline = time.monotonic() + 240
    for kind, job_id in jobs.items():
        while (status := request.get(f"/api/predictions/{job_id}").json()["status"]) not in FINAL:
            assert time.monotonic() < deadline, f"the {kind} job did not finish: {status}"
            time.sleep(0.25)
        assert status == "succeeded", f"the {kind} job ended {status}"


# --- checks on one loaded page ------------------------------------------------------------

AXE = Axe()


# Only colours differ between the themes: the second theme is checked by the colour rules.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


def _axe(page: Page, rules: list[str] | None = None) -> list[dict[str, Any]]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.axe_script)
    options: dict[str, Any] = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = rules
    return page.evaluate("options => axe.run(document, options)", options)["violations"]


def _settled(page: Page) -> None:
    """The page drew what it shows: a heading, no spinner, images decoded, volumes loaded."""
    page.get_by_role("heading", level=1).first.wait_for()
    page.wait_for_function(
        """() => !document.querySelector('.loading, [aria-busy="true"]')
              && [...document.images].every(image => image.complete)
              && [...document.querySelectorAll('.volume-canvas')]
                   .every(viewer => viewer.dataset.loadedVolumes === '2')""",
        timeout=60_000,
    )


def _check_page(
    page: Page, path: str, label: str, findings: Findings, *, load: bool = True
) -> None:
    if load:
        page.goto(path)
        _settled(page)
    for scheme, rules in zip(SCHEMES, (None, COLOUR_RULES), strict=True):
        page.emulate_media(color_scheme=scheme)
        expect(page.locator("html")).to_have_attribute("data-theme", scheme)
        page.wait_for_function(  # colours that change with a transition reached the theme's
            "() => !document.getAnimations().some(a => a instanceof CSSTransition"
            " && a.playState === 'running')"
        )
        for violation in _axe(page, rules):
            if violation["impact"] not in BLOCKING:
                continue
            for node in violation["nodes"]:
                why = node["failureSummary"].splitlines()[-1].strip()
                findings.violations.append(
                    f"{path} ({label}, {scheme}): {violation['id']} [{violation['impact']}] "
                    f"at {' '.join(map(str, node['target']))}: {why}"
                )
    findings.walked.append(f"{label} {path}")
    page.emulate_media(color_scheme="light")


def _listen(page: Page, findings: Findings, who: dict[str, str]) -> None:
    """Console errors and uncaught errors, by whether someone is signed in."""

    def on_console(message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        where = message.location.get("url", "")
        entry = f"{page.url}: {message.text} ({where})"
        if who["now"] == "anonymous" and where.endswith("/api/auth/me") and "401" in message.text:
            findings.anonymous_me.append(entry)
        else:
            findings.console[who["now"]].append(entry)

    page.on("console", on_console)
    page.on("pageerror", lambda error: findings.console[who["now"]].append(f"{page.url}: {error}"))


@pytest.fixture(scope="module")
def walk(browser: Browser, site: NginxServer, results: dict[str, str]) -> Iterator[Findings]:
    """Every page, anonymous then as the administrator, in a context per size. The volume
    viewer (NiiVue under SwiftShader: seconds to load) is loaded once and checked at both
    sizes by resizing the window."""
    findings = Findings()
    contexts: list[BrowserContext] = []
    for size, viewport in SIZES.items():
        context = browser.new_context(
            base_url=site.url, ignore_https_errors=True, viewport=viewport, color_scheme="light"
        )
        contexts.append(context)
        context.set_default_timeout(30_000)
        page = context.new_page()
        who = {"now": "anonymous"}
        _listen(page, findings, who)

        for path in ANONYMOUS_PAGES:
            _check_page(page, path, size, findings)
            if size == "phone" and path == "/":
                _note_shot(page, "gallery-dark-phone")

        who["now"] = "signed in"
        logged_in = context.request.post(
            "/api/auth/login", data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert logged_in.ok, logged_in.text()
        for path in SIGNED_IN_PAGES:
            _check_page(page, path, size, findings)
        # the administrator's jobs: only they (and other administrators) may view them
        _wait_for_results(context.request, results)
        for kind, job_id in results.items():
            path = f"/predictions/{job_id}"
            if kind == "volume-mask":
                if size == "desktop":
                    _check_page(page, path, f"{size}, {kind}", findings)
                    page.set_viewport_size(SIZES["phone"])
                    _check_page(page, path, f"phone, {kind}", findings, load=False)
                    page.set_viewport_size(viewport)
                continue
            _check_page(page, path, f"{size}, {kind}", findings)
            if size == "desktop" and kind == "detections":
                _note_shot(page, "result-dark")
    yield findings
    for context in contexts:
        context.close()


def _note_shot(page: Page, name: str) -> None:
    """A dark screenshot among the test's, and in NOTES_SCREENS when set."""
    page.emulate_media(color_scheme="dark")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    saved = shot(page, f"90-{name}")
    if NOTES:
        Path(NOTES).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, Path(NOTES) / f"{name}.png")
    page.emulate_media(color_scheme="light")


# --- the walk's tests -----------------------------------------------------------------------


def test_no_serious_axe_violations(walk: Findings) -> None:
    pages = 2 * (len(ANONYMOUS_PAGES) + len(SIGNED_IN_PAGES) + len(RESULTS))
    assert len(walk.walked) >= pages, walk.walked
    assert not walk.violations, "\n".join(walk.violations)


def test_no_console_errors_signed_in(walk: Findings) -> None:
    assert not walk.console["signed in"], "\n".join(walk.console["signed in"])


def test_no_console_errors_anonymous(walk: Findings) -> None:
    assert not walk.console["anonymous"], "\n".join(walk.console["anonymous"])


def test_anonymous_pages_ask_who_is_signed_in_without_an_error(walk: Findings) -> None:
    assert not walk.anonymous_me, "\n".join(walk.anonymous_me[:3])


# --- the keyboard alone ---------------------------------------------------------------------

# The focused element, whether it shows a focus ring (its own outline, its ::after's as on the
# gallery's cards, or its label's as on the hidden file input) and whether it follows the
# previous one in the document (no positive tabindex, no jumps back).
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const ring = (node, pseudo) => {
    const style = getComputedStyle(node, pseudo);
    return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
  };
  const related = [...(el.labels || [])].flatMap(label => [label, ...label.querySelectorAll('*')]);
  if (el.nextElementSibling) related.push(el.nextElementSibling);
  const previous = window.__previousFocus;
  window.__previousFocus = el;
  return {
    what: `${el.tagName.toLowerCase()} "${(el.getAttribute('aria-label') || el.textContent
      || el.getAttribute('type') || '').trim().replace(/\\s+/g, ' ').slice(0, 50)}"`,
    href: el.getAttribute('href') || '',
    type: el.getAttribute('type') || '',
    download: el.hasAttribute('download'),
    focusVisible: el.matches(':focus-visible'),
    ring: ring(el, null) || ring(el, '::after') || ring(el, '::before')
      || related.some(node => ring(node, null)),
    forward: !previous || !previous.isConnected || previous === el
      || !!(previous.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING),
  };
}"""


def _tab_to(page: Page, wanted: Any, steps: list[str], limit: int = 60) -> dict[str, Any]:
    """Press Tab until `wanted(focused)`; every element on the way shows its focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if not focused:
            shown = page.locator("main").inner_text()[:300]
            raise AssertionError(f"focus left the page after {steps}; {page.url} shows {shown}")
        steps.append(focused["what"])
        assert focused["focusVisible"] and focused["ring"], f"no visible focus on {focused}"
        assert focused["forward"], f"focus went back up the page to {focused['what']}: {steps}"
        if wanted(focused):
            return focused
    raise AssertionError(f"not reached in {limit} presses of Tab: {steps}")


def _arrived(page: Page, heading: str) -> None:
    """The new page is drawn and, as after every navigation, focus went to its main area:
    the next Tab starts from the top of the page's content."""
    page.get_by_role("heading", level=1, name=heading).wait_for()
    page.wait_for_function("() => document.activeElement?.id === 'main'")
    _settled(page)


def _choose_file(page: Page, path: Path) -> None:
    """Space on the focused file field opens the file chooser. Under load Chromium now and
    then drops that first key press (one CI run in many); the field keeps the focus, so a
    second press is the same act by the same keyboard user."""
    for attempt in range(3):
        try:
            with page.expect_file_chooser(timeout=10_000) as chooser:
                page.keyboard.press("Space")
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
            continue
        chooser.value.set_files(path)
        return


def test_run_a_model_with_the_keyboard_alone(
    browser: Browser, site: NginxServer, samples: Path
) -> None:
    context = browser.new_context(
        base_url=site.url,
        ignore_https_errors=True,
        viewport=SIZES["desktop"],
        accept_downloads=True,
    )
    try:
        page = context.new_page()
        steps: list[str] = []
        page.goto("/")
        _settled(page)
        _tab_to(page, lambda f: f["href"] == "/models/object-detection", steps)
        page.keyboard.press("Enter")
        page.wait_for_url("**/models/object-detection")
        _arrived(page, "Object detection (YOLOv8 nano)")

        _tab_to(page, lambda f: f["type"] == "file", steps)
        _choose_file(page, samples / "bus.jpg")
        expect(page.get_by_text("bus.jpg").first).to_be_visible()
        _tab_to(page, lambda f: f["what"].startswith('button "Run'), steps)
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/predictions/"), timeout=60_000)
        _arrived(page, "bus.jpg")
        expect(page.locator(".meta-row .badge").filter(has_text="Succeeded").first).to_be_visible(
            timeout=120_000
        )

        _tab_to(page, lambda f: f["download"], steps)
        with page.expect_download() as info:
            page.keyboard.press("Enter")
        download = info.value
        assert download.suggested_filename
        assert Path(download.path()).stat().st_size > 0
    finally:
        context.close()


# --- the theme ------------------------------------------------------------------------------

# When <body> first appears, the theme is already set (public/theme.js in <head>): no page is
# ever drawn in the wrong one before React renders.
THEME_AT_BODY = """
new MutationObserver((records, observer) => {
  if (!document.body) return;
  window.__themeAtBody = document.documentElement.getAttribute('data-theme');
  observer.disconnect();
}).observe(document, { childList: true, subtree: true });
"""


def test_theme_follows_the_system_and_the_choice_is_remembered(
    browser: Browser, site: NginxServer
) -> None:
    context = browser.new_context(
        base_url=site.url, ignore_https_errors=True, viewport=SIZES["desktop"], color_scheme="light"
    )
    try:
        context.add_init_script(THEME_AT_BODY)
        page = context.new_page()
        html = page.locator("html")
        page.goto("/")
        button = page.get_by_role("button", name="Theme: System")
        expect(button).to_be_visible()
        expect(html).to_have_attribute("data-theme", "light")
        page.emulate_media(color_scheme="dark")  # the system changes: the page follows
        expect(html).to_have_attribute("data-theme", "dark")
        page.emulate_media(color_scheme="light")
        expect(html).to_have_attribute("data-theme", "light")

        button.click()
        expect(page.get_by_role("button", name="Theme: Light")).to_be_visible()
        page.emulate_media(color_scheme="dark")  # a choice holds against the system
        expect(html).to_have_attribute("data-theme", "light")
        page.emulate_media(color_scheme="light")
        page.get_by_role("button", name="Theme: Light").click()
        expect(page.get_by_role("button", name="Theme: Dark")).to_be_visible()
        expect(html).to_have_attribute("data-theme", "dark")
        assert page.evaluate("localStorage.getItem('theme')") == "dark"

        page.goto("/contact")  # a new page load: dark from the start
        assert page.evaluate("window.__themeAtBody") == "dark"
        expect(page.get_by_role("button", name="Theme: Dark")).to_be_visible()
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(15, 18, 23)", background

        page.get_by_role("button", name="Theme: Dark").click()
        expect(page.get_by_role("button", name="Theme: System")).to_be_visible()
        expect(html).to_have_attribute("data-theme", "light")
        assert page.evaluate("localStorage.getItem('theme')") is None
    finally:
        context.close()
