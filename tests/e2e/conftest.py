"""End-to-end fixtures: headless Chromium (Debian's) driving the built React app through the
project's nginx config (strict CSP, self-signed TLS) in front of the production stack
(supervisord/supervisord.conf: the API and its model workers) running the offline models,
with a real SMTP server (aiosmtpd, STARTTLS) receiving the contact mail.

One stack and one browser serve the whole session. The video job is the slow
one (1 to 2 minutes on 2 cores): when the video test is selected, its upload starts before the
first test, in its own page, and runs while the other tests use the CPU and other workers."""

from __future__ import annotations

import re
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from tests.support.mongo import MongoTestServer
from tests.support.nginx import NginxServer
from tests.support.server import ONE_WORKER_EACH, REPO, free_port
from tests.support.stack import SupervisorStack

CHROMIUM = Path("/usr/bin/chromium")
FRONTEND_DIST = REPO / "frontend" / "dist"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CONTACT_TO = "owner@example.org"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    # software WebGL2 (SwiftShader) for NiiVue
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
    # a fake camera that needs no permission prompt
    "--use-fake-ui-for-media-stream",
    "--use-fake-device-for-media-stream",
]

# The order the tests run in: the video job (started first, see `video_job`) runs on the
# torch worker while the tests on the other workers go; the image detection waits behind it;
# the admin pages list everything made before; the CSP check looks back over the whole run.
ORDER = [
    "test_skin",
    "test_webcam",
    "test_bad_file",
    "test_contact",
    "test_accounts",
    "test_account",
    "test_detection",
    "test_video",
    "test_admin",
    "test_byo_model",
    "test_security",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        module = item.module.__name__.rsplit(".", 1)[-1] if item.module else ""
        return ORDER.index(module) if module in ORDER else len(ORDER)

    e2e = [item for item in items if "/tests/e2e/" in str(item.path)]
    if not e2e:
        return
    ordered = sorted(e2e, key=rank)
    first = items.index(e2e[0])
    rest = [item for item in items if item not in e2e]
    items[:] = rest[:first] + ordered + rest[first:]
    config.stash[_VIDEO_SELECTED] = any("test_video" in str(item.path) for item in e2e)


_VIDEO_SELECTED = pytest.StashKey[bool]()


# --- SMTP ----------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        self.received.append(BytesParser(policy=policy.default).parsebytes(raw))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


@dataclass
class Smtp:
    port: int
    ca_file: Path
    recorder: Recorder

    @property
    def received(self) -> list[EmailMessage]:
        return self.recorder.received


@pytest.fixture(scope="session")
def smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Smtp]:
    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("smtp-ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    recorder = Recorder()
    port = free_port()
    controller = Controller(
        recorder,
        hostname="127.0.0.1",
        port=port,
        server_hostname="smtp.test",
        tls_context=context,
        require_starttls=True,
    )
    controller.start()
    yield Smtp(port, ca_file, recorder)
    controller.stop()


# --- the stack, nginx, browser ------------------------------------------------------------


@pytest.fixture(scope="session")
def stack(
    tmp_path_factory: pytest.TempPathFactory,
    offline_models: Path,
    smtp: Smtp,
    mongo_server: MongoTestServer,
) -> Iterator[SupervisorStack]:
    """The production process manager (supervisord/supervisord.conf) running the API and its
    workers on the offline models and MongoDB (as in Docker), with nginx in front."""
    from tests.conftest import OFFLINE_REGISTRY

    if not (FRONTEND_DIST / "index.html").is_file():
        pytest.fail("the web app is not built: make frontend/dist/index.html")
    env = {
        "MODELS_FILE": str(OFFLINE_REGISTRY),
        "MODELS_DIR": str(offline_models),
        "MONGODB_URI": mongo_server.uri or "",
        "MONGODB_DB": "mg_e2e",
        "WORKER_GROUPS": ONE_WORKER_EACH,
        "QUEUE_SIZE": "20",
        "SECURE_COOKIES": "true",
        "MAX_WAIT_S": "300",
        "CONTACT_TO": CONTACT_TO,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_SECURITY": "starttls",
        "SMTP_CA_FILE": str(smtp.ca_file),
        "SMTP_FROM": "Model Gallery <gallery@example.org>",
        "SMTP_TIMEOUT_S": "10",
    }
    running = SupervisorStack(tmp_path_factory.mktemp("e2e-stack"), FRONTEND_DIST, env=env)
    running.env["PUBLIC_URL"] = running.proxy.url  # links in mails: the site as people reach it
    running.start(timeout_s=300)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def site(stack: SupervisorStack) -> NginxServer:
    return stack.proxy


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is missing: apt-get install chromium")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@dataclass
class Problems:
    """Console errors and page errors seen in every page of the session."""

    csp: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def problems() -> Problems:
    return Problems()


NewPage = Callable[..., Page]


def _open_page(
    browser: Browser, site: NginxServer, problems: Problems, contexts: list[BrowserContext], **kw
) -> Page:
    context = browser.new_context(
        base_url=site.url,
        ignore_https_errors=True,
        viewport={"width": 1280, "height": 900},
        accept_downloads=True,
        **kw,
    )
    contexts.append(context)
    context.set_default_timeout(30_000)
    page = context.new_page()

    def on_console(message: Any) -> None:
        if re.search(r"Content Security Policy|Refused to", message.text, re.I):
            problems.csp.append(f"{page.url}: {message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.page_errors.append(f"{page.url}: {error}"))
    return page


@pytest.fixture
def new_page(browser: Browser, site: NginxServer, problems: Problems) -> Iterator[NewPage]:
    """`new_page(**context_options)`: a page in a fresh context (its own cookies)."""
    contexts: list[BrowserContext] = []
    yield lambda **kw: _open_page(browser, site, problems, contexts, **kw)
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    return new_page()


def shot(page: Page, name: str) -> Path:
    """A full-page screenshot under test-artifacts/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.wait_for_timeout(200)
    page.screenshot(path=str(path), full_page=True)
    return path


# Records every state of the upload and job progress bars and the job's message while the
# page lives (a MutationObserver installed through the DevTools protocol: not subject to CSP).
WATCH_PROGRESS = """() => {
  if (window.__progressSeen) return;
  const seen = (window.__progressSeen = []);
  const record = () => {
    for (const bar of document.querySelectorAll("progress")) {
      const value = bar.hasAttribute("value") ? bar.value : "?";
      const entry = `${bar.getAttribute("aria-label")}=${value}`;
      if (seen[seen.length - 1] !== entry && !seen.includes(entry)) seen.push(entry);
    }
    for (const message of document.querySelectorAll(".job-message, .upload-status p")) {
      const entry = `message=${message.textContent}`;
      if (!seen.includes(entry)) seen.push(entry);
    }
  };
  new MutationObserver(record).observe(document.body, {
    subtree: true, childList: true, attributes: true, characterData: true,
  });
  record();
}"""


def watch_progress(page: Page) -> None:
    page.evaluate(WATCH_PROGRESS)


def progress_seen(page: Page) -> list[str]:
    return page.evaluate("() => window.__progressSeen || []")


def upload(page: Page, model: str, files: list[Path] | list[dict[str, Any]]) -> None:
    """Open a model's page, choose files and run it; returns once on the job's page."""
    page.goto(f"/models/{model}")
    page.get_by_role("heading", level=1).wait_for()
    page.locator('input[type="file"]').set_input_files(files)  # type: ignore[arg-type]
    watch_progress(page)
    page.get_by_role("button", name=re.compile("^Run")).click()
    page.wait_for_url(re.compile(r"/predictions/"), timeout=120_000)


def wait_for_job(page: Page, timeout_s: float = 300) -> str:
    """Wait until the job page shows a final state; returns it."""
    status = page.locator(".meta-row .badge")  # the page's "Status" entry
    final = status.filter(has_text=re.compile(r"^(Succeeded|Failed|Cancelled|Nothing to segment)$"))
    final.first.wait_for(timeout=timeout_s * 1000)
    return final.first.inner_text()


def login(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


# --- the video job, started before the first test ------------------------------------------


@dataclass
class VideoJob:
    page: Page
    started: float


@pytest.fixture(scope="session")
def _video_context(browser: Browser, site: NginxServer, problems: Problems) -> Iterator[list]:
    contexts: list[BrowserContext] = []
    yield contexts
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def video_job(
    browser: Browser,
    site: NginxServer,
    problems: Problems,
    samples: Path,
    _video_context: list[BrowserContext],
) -> VideoJob:
    page = _open_page(browser, site, problems, _video_context)
    upload(page, "object-detection", [samples / "people_movement.mp4"])
    return VideoJob(page, time.monotonic())


@pytest.fixture(scope="session", autouse=True)
def _start_video_early(request: pytest.FixtureRequest) -> None:
    if request.config.stash.get(_VIDEO_SELECTED, False):
        request.getfixturevalue("video_job")
