"""The project's nginx config, run by Debian's nginx in front of the real backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
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
