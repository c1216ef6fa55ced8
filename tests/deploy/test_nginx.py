"""The project's nginx config, run by Debian's nginx in front of the real backend."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

from tests.support.jobs import png_bytes, submit
from tests.support.nginx import NginxServer
from tests.support.server import BackendServer

BIG_SCRIPT = "console.log('model gallery');\n" * 2000


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built single-page app's shape: index.html and hashed assets."""
    root = tmp_path_factory.mktemp("dist")
    (root / "assets").mkdir()
    (root / "index.html").write_text("<!doctype html><title>Model Gallery</title><div id=root>")
    (root / "assets" / "index-4f2a9c.js").write_text(BIG_SCRIPT)
    return root


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, site: Path) -> Iterator[tuple]:
    backend = BackendServer(tmp_path_factory.mktemp("backend")).start()
    proxy = NginxServer(
        tmp_path_factory.mktemp("nginx"), f"127.0.0.1:{backend.port}", site, max_upload_mb=3
    ).start()
    yield backend, proxy
    proxy.stop()
    backend.stop()


@pytest.fixture
def web(stack) -> Iterator[httpx.Client]:
    with stack[1].client() as client:
        yield client


def test_config_is_valid(tmp_path: Path, site: Path) -> None:
    checked = NginxServer(tmp_path, "127.0.0.1:9", site).test_config()
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


def test_http_redirects_to_https(stack) -> None:
    proxy = stack[1]
    response = httpx.get(f"http://127.0.0.1:{proxy.http_port}/models/toy?x=1")
    assert response.status_code == 301
    assert response.headers["location"] == f"https://127.0.0.1:{proxy.https_port}/models/toy?x=1"


def test_app_routes_and_caching(web: httpx.Client) -> None:
    index = web.get("/")
    assert index.status_code == 200 and "Model Gallery" in index.text
    assert index.headers["cache-control"] == "no-cache"
    deep = web.get("/predictions/0123/anything")  # a client-side route
    assert deep.status_code == 200 and deep.text == index.text
    with web.stream("GET", "/assets/index-4f2a9c.js", headers={"Accept-Encoding": "gzip"}) as asset:
        on_the_wire = sum(len(chunk) for chunk in asset.iter_raw())
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-encoding"] == "gzip"
    assert on_the_wire < len(BIG_SCRIPT) / 10
    assert web.get("/assets/missing.js").status_code == 404


def test_security_headers_everywhere_once(web: httpx.Client) -> None:
    for path in ("/", "/assets/index-4f2a9c.js", "/api/health"):
        response = web.get(path)
        csp = response.headers.get_list("content-security-policy")
        assert len(csp) == 1 and "default-src 'self'" in csp[0] and "unsafe" not in csp[0]
        assert response.headers.get_list("x-frame-options") == ["DENY"]
        assert response.headers.get_list("x-content-type-options") == ["nosniff"]
        assert response.headers["strict-transport-security"].startswith("max-age=")
        assert "nginx/" not in response.headers.get("server", "")


class _PageLoads(HTMLParser):
    """What an HTML page makes the browser load: (CSP directive, URL) pairs, and the text of
    its inline scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[tuple[str, str]] = []
        self.inline: dict[str, list[str]] = {"script": [], "style": []}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script" and found.get("src"):
            self.loads.append(("script-src", found["src"] or ""))
        elif tag == "link" and found.get("rel") == "stylesheet":
            self.loads.append(("style-src", found["href"] or ""))
        elif tag == "link" and "icon" in (found.get("rel") or ""):
            self.loads.append(("img-src", found["href"] or ""))
        elif tag in self.inline:
            self._open = tag
            self.inline[tag].append("")

    def handle_data(self, data: str) -> None:
        if self._open:
            self.inline[self._open][-1] += data

    def handle_endtag(self, tag: str) -> None:
        self._open = None


def _policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {words[0]: words[1:] for words in directives}


def _allowed(sources: list[str], url: str) -> bool:
    """CSP source matching for the sources used here: 'self', and https URLs whose path is
    a folder (a prefix) or a file (the whole path, query aside)."""
    if url.startswith("/") and not url.startswith("//"):
        return "'self'" in sources
    path = url.split("?", 1)[0]
    return any(
        s.startswith("https://") and (path.startswith(s) if s.endswith("/") else path == s)
        for s in sources
    )


def _sha256(text: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()}'"


def test_api_schema_and_docs(web: httpx.Client) -> None:
    schema = web.get("/openapi.json")
    assert schema.status_code == 200
    assert schema.headers["content-type"].startswith("application/json")
    assert schema.json()["openapi"] and "/api/health" in schema.json()["paths"]
    for path, marker in (("/docs", "SwaggerUIBundle"), ("/redoc", "<redoc spec-url")):
        page = web.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert marker in page.text and "<div id=root>" not in page.text, path
        assert "/openapi.json" in page.text


def test_docs_render_under_their_policy(web: httpx.Client) -> None:
    """What the documentation pages themselves load, and their inline code, is allowed by the
    policy nginx sends with them (the browser would otherwise show an empty page); the
    script policy stays free of inline code other than Swagger UI's start and of eval."""
    for path in ("/docs", "/redoc"):
        page = web.get(path)
        (header,) = page.headers.get_list("content-security-policy")
        assert page.headers.get_list("x-frame-options") == ["DENY"]
        assert page.headers.get_list("x-content-type-options") == ["nosniff"]
        policy = _policy(header)
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "https:"} & set(policy["script-src"])
        found = _PageLoads()
        found.feed(page.text)
        assert found.loads, path
        for directive, url in found.loads:
            assert _allowed(policy.get(directive, policy["default-src"]), url), (path, url)
        for script in found.inline["script"]:
            expected = _sha256(script)
            assert expected in policy["script-src"], (
                f"{path}: its inline script is not allowed; its hash is now {expected}: "
                "update the policy in nginx/templates/default.conf.template"
            )
        if found.inline["style"]:
            assert "'unsafe-inline'" in policy["style-src"], path
    # the app itself keeps the strict policy, at a neighbouring address too
    for path in ("/", "/docs/", "/redoc/x"):
        strict = _policy(web.get(path).headers["content-security-policy"])
        assert strict["script-src"] == ["'self'"] and strict["style-src"] == ["'self'"], path


def test_api_through_the_proxy(web: httpx.Client) -> None:
    health = web.get("/api/health", headers={"X-Request-ID": "f" * 32})
    assert health.json() == {"status": "ok"}
    job = submit(web, content=png_bytes((40, 30)), wait=30).json()
    assert job["status"] == "succeeded"
    image = web.get(job["artifacts"][0]["url"])
    assert image.headers["content-type"] == "image/png"
    # The backend's sandbox policy survives next to nginx's: browsers enforce both.
    assert any("sandbox" in p for p in image.headers.get_list("content-security-policy"))


def test_uploads_over_the_limits_get_json(web: httpx.Client) -> None:
    # nginx's ceiling (3 MB here) answers before the backend sees the body.
    huge = web.post(
        "/api/models/toy/predictions", files={"file": ("big.png", b"\x89PNG" + b"0" * 4_000_000)}
    )
    assert huge.status_code == 413
    assert huge.json()["code"] == "too_large" and "3 MB" in huge.json()["detail"]
    # Under nginx's ceiling but over the toy model's own 2 MB: the backend's streaming check.
    model_limit = web.post(
        "/api/models/toy/predictions", files={"file": ("big.png", b"\x89PNG" + b"0" * 2_500_000)}
    )
    assert model_limit.status_code == 413
    assert "up to 2 MB" in model_limit.json()["detail"]


def test_server_sent_events_are_not_buffered(web: httpx.Client) -> None:
    # The job gets to "running" and stays there until it is cancelled. Buffered, not even
    # that event would reach the client before the job ends (reading would time out);
    # streamed, it arrives while the job still runs, and the cancel it prompts ends the job.
    job = submit(web, params={"behaviour": "hang"}).json()
    statuses: list[str] = []
    with web.stream("GET", job["links"]["events"]) as stream:
        assert stream.headers.get("x-accel-buffering") in (None, "no")
        for line in stream.iter_lines():
            if line.startswith("data:"):
                statuses.append(json.loads(line[5:])["status"])
                if statuses.count("running") == 1 and statuses[-1] == "running":
                    cancel = web.post(f"/api/predictions/{job['id']}/cancel")
                    assert cancel.status_code == 200
    assert statuses[-1] == "cancelled"
    assert "running" in statuses


def test_metrics_only_for_allowed_networks(stack, tmp_path: Path, site: Path) -> None:
    backend, proxy = stack
    with proxy.client() as allowed:
        assert "modelgallery_http_requests_total" in allowed.get("/metrics").text
    closed = NginxServer(
        tmp_path, f"127.0.0.1:{backend.port}", site, metrics_allow="allow 10.255.255.1;"
    ).start()
    try:
        with closed.client() as client:
            assert client.get("/metrics").status_code == 403
            assert client.get("/api/health").status_code == 200
    finally:
        closed.stop()


def test_backend_down_gives_json_503(tmp_path: Path, site: Path) -> None:
    with NginxServer(tmp_path, "127.0.0.1:9", site) as proxy, proxy.client() as client:
        response = client.get("/api/models")
        assert response.status_code == 503
        assert response.json()["code"] == "unavailable"
        assert response.headers["retry-after"] == "30"
        assert client.get("/").status_code == 200  # the app itself still loads


def test_api_json_is_compressed(web: httpx.Client) -> None:
    models = web.get("/api/models", headers={"Accept-Encoding": "gzip"})
    assert len(models.content) > 1024  # above gzip_min_length
    assert models.headers["content-encoding"] == "gzip"
