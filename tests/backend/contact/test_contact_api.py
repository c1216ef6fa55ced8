"""The contact form through the real backend and a real SMTP server with STARTTLS: stored
first, mailed, kept and retried while the mail server is down."""

from __future__ import annotations

import time

import pytest

from tests.conftest import BACKENDS, backend_env, login
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer

from .conftest import Tls, free_port

MESSAGE = {
    "name": "Grace Hopper",
    "email": "grace@example.org",
    "subject": "A question about the models",
    "message": "Which YOLO weights does the gallery use?",
}


def _messages(http, headers) -> list[dict]:
    return http.get("/api/admin/messages", headers=headers).json()["data"]


def _wait_delivery(http, headers, message_id: str, state: str, timeout_s: float = 30) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = next(m for m in _messages(http, headers) if m["id"] == message_id)
        if found["delivery"] == state:
            return found
        time.sleep(0.1)
    raise AssertionError(f"message {message_id} is {found['delivery']}, not {state}")


@pytest.mark.parametrize("kind", BACKENDS)
def test_contact_mail_survives_smtp_outage(kind, tmp_path, request, tls: Tls, smtp_server) -> None:
    port = free_port()  # nothing listens here yet: the mail server is down
    env = {
        **backend_env(kind, request),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "starttls",
        "SMTP_CA_FILE": str(tls.ca_file),
        "CONTACT_TO": "team@example.org",
        "SMTP_RETRY_BASE_S": "0.3",
        "SMTP_RETRY_MAX_S": "1",
        "CONTACT_PER_HOUR": "2",
    }
    with BackendServer(tmp_path, env) as server, server.client() as http:
        admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        accepted = http.post("/api/contact", json=MESSAGE)
        assert accepted.status_code == 202, accepted.text
        message_id = accepted.json()["id"]
        stored = _wait_delivery(http, admin, message_id, "retrying")
        assert "connection refused" in stored["last_error"]

        mail_server = smtp_server("starttls", port=port)
        sent = _wait_delivery(http, admin, message_id, "sent")
        assert sent["last_error"] is None and sent["attempts"] >= 2
        assert len(mail_server.received) == 1
        mail = mail_server.received[0]
        assert mail.tls and mail.rcpt_tos == ["team@example.org"]
        assert mail.mail["Subject"].endswith(MESSAGE["subject"])
        assert MESSAGE["message"] in mail.mail.get_body().get_content()

        # A later message goes out on a later pass of the outbox, which would also send the
        # first one again were it still due: each must arrive exactly once.
        second = http.post("/api/contact", json=MESSAGE)
        assert second.status_code == 202
        _wait_delivery(http, admin, second.json()["id"], "sent")
        delivered = [r.mail["X-Model-Gallery-Message-Id"] for r in mail_server.received]
        assert sorted(delivered) == sorted([message_id, second.json()["id"]])
        throttled = http.post("/api/contact", json=MESSAGE)
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0


def test_contact_validation_errors_are_readable(client) -> None:
    response = client.post("/api/contact", json={**MESSAGE, "message": "short"})
    assert response.status_code == 422
    assert "message" in response.json()["detail"]
    response = client.post("/api/contact", json={**MESSAGE, "email": "not-an-address"})
    assert response.status_code == 422
    assert "e-mail" in response.json()["detail"]
