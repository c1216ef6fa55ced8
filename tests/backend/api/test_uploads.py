"""Uploads and downloads through the real server, on SQLite and on MongoDB: size limits that
hold while the body streams, content that decides over names and declared types, file names
kept only as metadata, and downloads that cannot leave a job's folder."""

from __future__ import annotations

import http.client
import io
import random
import socket
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.support.jobs import png_bytes, submit
from tests.support.server import BackendServer

LIMIT = 2 * 1024 * 1024  # the toy model's max_upload_mb
BOUNDARY = "mg-test-boundary-7f3a"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
PREDICT = "/api/models/toy/predictions"


# --- helpers ---------------------------------------------------------------------------


def assert_error(response: httpx.Response, status: int, *phrases: str) -> str:
    """An error answer: the status, JSON with `detail` and `code`, and the phrases."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json"), response.text
    body = response.json()
    assert set(body) >= {"detail", "code"}, body
    for phrase in phrases:
        assert phrase in body["detail"], body
    return body["detail"]


def job_folders(server: BackendServer) -> set[str]:
    jobs = server.data_dir / "jobs"
    return {p.name for p in jobs.iterdir() if p.is_dir()} if jobs.is_dir() else set()


def job_count(client: httpx.Client, admin_headers: dict[str, str]) -> int:
    response = client.get("/api/admin/predictions", params={"limit": 1}, headers=admin_headers)
    assert response.status_code == 200, response.text
    return response.json()["count"]


def part_head(
    filename: bytes | None, field: str = "file", content_type: str = "image/png"
) -> bytes:
    disposition = f'Content-Disposition: form-data; name="{field}"'.encode()
    if filename is None:
        return b"--%s\r\n%s\r\n\r\n" % (BOUNDARY.encode(), disposition)
    return b'--%s\r\n%s; filename="%s"\r\nContent-Type: %s\r\n\r\n' % (
        BOUNDARY.encode(),
        disposition,
        filename,
        content_type.encode(),
    )


def multipart(*parts: tuple[bytes | None, bytes], close: bool = True) -> bytes:
    """A multipart body built by hand: (raw file name, content) per file part, so that file
    names reach the server byte for byte (httpx would percent-encode some characters)."""
    body = b"".join(part_head(name) + content + b"\r\n" for name, content in parts)
    return body + (b"--%s--\r\n" % BOUNDARY.encode() if close else b"")


def noise_png(size: tuple[int, int], seed: int = 7) -> bytes:
    """A valid PNG that does not compress: about 3 bytes a pixel."""
    pixels = random.Random(seed).randbytes(size[0] * size[1] * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def raw_request(
    server: BackendServer, head: bytes, body: Iterator[bytes]
) -> tuple[int, bytes, int]:
    """Send a request over a plain socket, chunk by chunk, without ever finishing the body
    unless `body` does; then read one response. Returns (status, body, bytes sent)."""
    sent = 0
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for chunk in body:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server may stop listening once it has answered
        data = b""
        try:
            while b"\r\n\r\n" not in data:
                more = sock.recv(65536)
                assert more, f"the connection closed without an answer: {data!r}"
                data += more
            header, _, rest = data.partition(b"\r\n\r\n")
            lines = header.decode("latin-1").split("\r\n")
            fields = dict(line.lower().split(": ", 1) for line in lines[1:])
            length = int(fields["content-length"])
            while len(rest) < length:
                more = sock.recv(65536)
                assert more, "the connection closed in the middle of the answer"
                rest += more
        except TimeoutError:
            pytest.fail(f"no answer within 30 s: the server waited for the whole body ({data!r})")
        return int(lines[0].split()[1]), rest[:length], sent


def raw_get(server: BackendServer, path: str) -> tuple[int, str, bytes]:
    """GET a path exactly as written (httpx would normalise '..' segments away)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.getheader("content-type", ""), response.read()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def finished(server: BackendServer) -> dict[str, Any]:
    """One finished anonymous job of the toy model."""
    with server.client() as http_client:
        response = submit(http_client, wait=30)
    assert response.status_code == 200, response.text
    job = response.json()
    assert job["status"] == "succeeded"
    return job


# --- sizes -----------------------------------------------------------------------------


def test_oversized_upload_is_refused_and_leaves_nothing(
    client: httpx.Client, server: BackendServer, admin_headers: dict[str, str]
) -> None:
    big = noise_png((1024, 1024))
    assert len(big) > 3 * 1024 * 1024
    folders, count = job_folders(server), job_count(client, admin_headers)
    response = submit(client, content=big, name="big.png")
    assert_error(response, 413, "up to 2 MB")
    assert response.json()["code"] == "too_large"
    assert job_folders(server) == folders
    assert job_count(client, admin_headers) == count


def test_size_limit_is_exact_even_within_the_declared_length_slack(
    client: httpx.Client, server: BackendServer
) -> None:
    """The Content-Length check allows room for form fields; the streaming check counts
    the file's own bytes."""
    png = png_bytes()
    exact = png + b"\0" * (LIMIT - len(png))  # trailing bytes after IEND: still a PNG
    accepted = submit(client, content=exact, name="exact.png", wait=30)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["inputs"][0]["size"] == LIMIT
    folders = job_folders(server)
    assert_error(submit(client, content=exact + b"\0", name="over.png"), 413, "up to 2 MB")
    assert job_folders(server) == folders


def test_oversized_streamed_upload_without_content_length(
    client: httpx.Client, server: BackendServer, admin_headers: dict[str, str]
) -> None:
    def body() -> Iterator[bytes]:  # a generator: httpx sends it chunked, with no length
        yield part_head(b"stream.jpg", content_type="image/jpeg") + b"\xff\xd8\xff\xe0"
        for _ in range(48):  # 3 MB
            yield random.Random(1).randbytes(64 * 1024)
        yield b"\r\n--%s--\r\n" % BOUNDARY.encode()

    folders, count = job_folders(server), job_count(client, admin_headers)
    request = client.build_request(
        "POST", PREDICT, content=body(), headers={"content-type": MULTIPART}
    )
    assert "content-length" not in request.headers
    assert request.headers["transfer-encoding"] == "chunked"
    assert_error(client.send(request), 413, "up to 2 MB")
    assert job_folders(server) == folders
    assert job_count(client, admin_headers) == count


def test_size_is_checked_while_the_body_streams(server: BackendServer) -> None:
    """The answer comes while the client is still sending: the server never waits for (or
    stores) the whole oversized body. The body below is never finished."""
    folders = job_folders(server)
    head = (
        f"POST {PREDICT} HTTP/1.1\r\nHost: test\r\nContent-Type: {MULTIPART}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()

    def chunks() -> Iterator[bytes]:
        first = part_head(b"endless.jpg", content_type="image/jpeg") + b"\xff\xd8\xff\xe0"
        yield b"%x\r\n%s\r\n" % (len(first), first)
        block = b"\0" * (64 * 1024)
        for _ in range(48):  # 3 MB, then silence: no closing boundary, no last chunk
            yield b"%x\r\n%s\r\n" % (len(block), block)

    status, body, _ = raw_request(server, head, chunks())
    assert status == 413, body  # answered although the body never ended
    assert b"up to 2 MB" in body
    assert job_folders(server) == folders


def test_a_declared_length_over_the_limit_is_refused_before_reading(server: BackendServer) -> None:
    head = (
        f"POST {PREDICT} HTTP/1.1\r\nHost: test\r\nContent-Type: {MULTIPART}\r\n"
        "Content-Length: 100000000000\r\n\r\n"
    ).encode()
    status, body, _ = raw_request(server, head, iter(()))  # not one byte of the body
    assert status == 413, body
    assert b"up to 2 MB" in body


# --- what the file really is -----------------------------------------------------------


def _truncated_jpeg(samples: Path) -> bytes:
    data = (samples / "bus.jpg").read_bytes()
    return data[: len(data) // 2]


MISLABELLED: list[tuple[str, Callable[[Path], bytes], str, int, tuple[str, ...]]] = [
    (
        "photo.jpg",
        lambda _: b"just some words, not a photo\n" * 20,
        "image/jpeg",
        415,
        ("text file", "images (JPEG, PNG"),
    ),
    (
        "x.png",
        lambda _: b"<!DOCTYPE html><html><script>alert(1)</script></html>",
        "image/png",
        415,
        ("HTML page",),
    ),
    (
        "logo.png",
        lambda _: b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>',
        "image/png",
        415,
        ("SVG drawing",),
    ),
    (
        "scan.jpg",
        lambda _: b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n",
        "image/jpeg",
        415,
        ("PDF document",),
    ),
    (
        "clip.jpg",
        lambda s: (s / "people_movement.mp4").read_bytes()[: 512 * 1024],
        "image/jpeg",
        415,
        ("MP4 video", "images (JPEG, PNG"),
    ),
    (
        "broken.jpg",
        lambda _: b"\xff\xd8\xff\xe0" + random.Random(3).randbytes(4000),
        "image/jpeg",
        415,
        ("JPEG image is damaged",),
    ),
    ("half.jpg", _truncated_jpeg, "image/jpeg", 415, ("damaged",)),
    ("empty.png", lambda _: b"", "image/png", 422, ("'empty.png' is empty",)),
    ("bomb.png", lambda _: _png_header(20000, 20000), "image/png", 415, ("too large",)),
]


def _png_header(width: int, height: int) -> bytes:
    """The first bytes of a decompression bomb: a PNG whose header declares a huge image."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * (width * 3 + 1) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)


@pytest.mark.parametrize(
    ("name", "make", "declared", "status", "phrases"),
    MISLABELLED,
    ids=[case[0] for case in MISLABELLED],
)
def test_content_decides_not_the_name_or_declared_type(
    client: httpx.Client,
    server: BackendServer,
    samples: Path,
    name: str,
    make: Callable[[Path], bytes],
    declared: str,
    status: int,
    phrases: tuple[str, ...],
) -> None:
    folders = job_folders(server)
    response = submit(client, content=make(samples), name=name, content_type=declared)
    detail = assert_error(response, status, *phrases)
    assert detail.startswith(f"'{name}'")  # says which file
    assert str(server.data_dir) not in detail and ".part" not in detail  # no server paths
    assert job_folders(server) == folders


def test_a_png_named_jpg_is_accepted_as_png(client: httpx.Client) -> None:
    response = submit(client, name="photo.jpg", content_type="image/jpeg", wait=30)
    assert response.status_code == 200, response.text
    item = response.json()["inputs"][0]
    assert item["name"] == "photo.jpg"
    assert item["media_type"] == "image/png"
    assert item["url"].endswith("/inputs/input-0.png")
    stored = client.get(item["url"])
    assert stored.headers["content-type"] == "image/png"
    assert stored.content == png_bytes()


def test_requests_that_are_not_a_form_with_a_file(
    client: httpx.Client, server: BackendServer
) -> None:
    folders = job_folders(server)
    assert_error(client.post(PREDICT, json={"file": "bus.jpg"}), 415, "multipart/form-data")
    assert_error(client.post(PREDICT, data={"steps": "2"}), 415, "multipart/form-data")
    assert_error(client.post(PREDICT, files={"steps": (None, "2")}), 422, "attach a file")
    wrong_field = client.post(PREDICT, files={"image": ("a.png", png_bytes(), "image/png")})
    assert_error(wrong_field, 422, "form field 'file'", "'image'")
    unfinished = client.post(
        PREDICT,
        content=multipart((b"a.png", png_bytes()), close=False),
        headers={"content-type": MULTIPART},
    )
    assert_error(unfinished, 400)
    assert job_folders(server) == folders


# --- file names are metadata -----------------------------------------------------------


def _assert_clean(name: str) -> None:
    assert name and len(name) <= 255
    assert "/" not in name and "\\" not in name
    assert not any(unicodedata.category(c).startswith("C") for c in name), ascii(name)


def test_file_names_are_kept_only_as_sanitized_metadata(client: httpx.Client) -> None:
    png = png_bytes()
    long_name = "x" * 396 + ".png"
    batches = [
        [
            (b"../../etc/passwd.png", "passwd.png"),
            (b"a/b\\c.png", "c.png"),
            (b"C:\\Users\\eve\\..\\evil.png", "evil.png"),
        ],
        [
            ("evil\x07\x1b[31m\u202egnp.exe\u200b.png".encode(), "evil[31mgnp.exe.png"),
            (long_name.encode(), long_name[:255]),
            ("写真 café.png".encode(), "写真 café.png"),
        ],
    ]
    for batch in batches:
        response = client.post(
            PREDICT,
            params={"wait": 30},
            content=multipart(*[(raw, png) for raw, _ in batch]),
            headers={"content-type": MULTIPART},
        )
        assert response.status_code == 200, response.text
        job = response.json()
        for index, ((_, expected), item) in enumerate(zip(batch, job["inputs"], strict=True)):
            _assert_clean(item["name"])
            assert item["name"] == expected
            assert item["url"] == f"/api/predictions/{job['id']}/inputs/input-{index}.png"
            stored = client.get(item["url"], params={"download": "true"})
            assert stored.status_code == 200
            disposition = stored.headers["content-disposition"]
            assert disposition.startswith("attachment; filename=")
            assert "/" not in disposition.split("filename=", 1)[1].split(";")[0]
        assert [i["name"] for i in job["result"]["images"]] == [e for _, e in batch]


# --- downloads stay inside the job's folder --------------------------------------------


def _escape_paths(job_id: str) -> list[str]:
    files = f"/api/predictions/{job_id}/files"
    inputs = f"/api/predictions/{job_id}/inputs"
    export = f"/api/export_toy/{job_id}_"
    tails = [
        "../../etc/passwd",
        "..%2F..%2Fetc%2Fpasswd",
        "%2e%2e%2fsecret.key",
        "..%2F..%2F..%2Fsecret.key",
        "%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret.key",
        "summary.json/../../x",
        "..%2F..%2F..%2Fbait.txt",
        "%2E%2E/%2E%2E/%2E%2E/bait.txt",
        "summary.json%2F..%2F..%2F..%2Fsecret.key",
        "..",
        "%2e%2e",
        ".",
        "%00summary.json",
        "summary.json%00.png",
    ]
    paths = [f"{base}/{tail}" for base in (files, inputs) for tail in tails]
    paths += [f"{export}{tail}" for tail in tails]
    paths += [
        f"{files}/input-0.png",  # an input is not an artifact
        f"{inputs}/inverted-0.png",  # and an artifact is not an input
        f"{inputs}/picture.png",  # the user's name is not the stored name
        f"{export}input-0.png",
        "/api/predictions/../../etc/files/passwd",
        "/api/predictions/..%2F..%2Fetc/files/passwd",
        f"/api/predictions/{'z' * 32}/files/summary.json",
        f"/api/predictions/{job_id.upper()}/files/summary.json",
        f"/api/predictions/{job_id[:-1]}/files/summary.json",
        f"/api/predictions/{job_id}0/files/summary.json",
        "/api/export_toy/..%2F..%2Fetc_passwd",
        f"/api/export_toy/..%2F{job_id}_summary.json",
        f"/api/export_nothing/{job_id}_summary.json",
    ]
    return paths


def test_downloads_cannot_escape_the_job_folder(
    server: BackendServer, finished: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    secret = (server.data_dir / "secret.key").read_text().strip()  # exists: an admin logged in
    assert len(secret) > 20
    (server.data_dir / "bait.txt").write_text("bait-3c0ffee")
    job_id = finished["id"]
    assert raw_get(server, f"/api/predictions/{job_id}/files/summary.json")[0] == 200
    for path in _escape_paths(job_id):
        status, content_type, body = raw_get(server, path)
        assert status == 404, (path, status, body)
        assert content_type.startswith("application/json"), (path, body)
        assert secret.encode() not in body and b"bait-3c0ffee" not in body, path
        assert b"root:" not in body, path


def test_files_gone_from_disk_answer_404_not_500(
    client: httpx.Client, server: BackendServer
) -> None:
    job = submit(client, wait=30).json()
    folder = server.data_dir / "jobs" / job["id"]
    (folder / "input" / "input-0.png").unlink()
    (folder / "output" / "inverted-0.png").unlink()
    for url in (
        job["inputs"][0]["url"],
        job["artifacts"][0]["url"],
        f"/api/export_toy/{job['id']}_inverted-0.png",
    ):
        assert_error(client.get(url), 404)
    assert client.get(job["artifacts"][1]["url"]).status_code == 200  # the rest still works


def test_downloads_are_served_so_that_they_never_render_as_pages(
    client: httpx.Client, finished: dict[str, Any]
) -> None:
    for url in [a["url"] for a in finished["artifacts"]] + [finished["inputs"][0]["url"]]:
        inline = client.get(url)
        assert inline.status_code == 200
        assert inline.headers["x-content-type-options"] == "nosniff"
        policy = inline.headers["content-security-policy"]
        assert "sandbox" in policy and "default-src 'none'" in policy
        assert inline.headers["content-disposition"].startswith("inline")
        saved = client.get(url, params={"download": "true"})
        assert saved.headers["content-disposition"].startswith("attachment")
        assert saved.content == inline.content


def test_types_that_are_not_shown_inline_are_served_as_attachments(client: httpx.Client) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (12, 9), (1, 2, 3)).save(buffer, "TIFF")
    job = submit(
        client, content=buffer.getvalue(), name="scan.tif", content_type="image/tiff", wait=30
    ).json()
    item = job["inputs"][0]
    assert item["media_type"] == "image/tiff"
    assert item["url"].endswith("/input-0.tif")
    stored = client.get(item["url"])
    assert stored.status_code == 200
    assert stored.headers["content-type"] == "application/octet-stream"
    assert stored.headers["content-disposition"].startswith("attachment")
    assert stored.headers["x-content-type-options"] == "nosniff"
