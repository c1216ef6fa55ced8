"""Delivery through a real SMTP server (aiosmtpd) over STARTTLS, implicit TLS and plain."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from modelgallery.contact.mailer import Mailer
from modelgallery.contact.outbox import Outbox
from modelgallery.contact.schemas import ContactIn
from modelgallery.core.settings import Settings
from modelgallery.store.base import MessageRepo
from modelgallery.store.records import ContactMessage, DeliveryState, utcnow
from modelgallery.store.sqlite import SqliteStore

from .conftest import SMTP_PASSWORD, SMTP_USER, StartServer, free_port, wait_for_state

MakeSettings = Callable[..., Settings]
MakeOutbox = Callable[..., Outbox]

FORM = ContactIn(
    name="Zoë Example",
    email="zoe@example.com",
    subject="Question about the YOLO model",
    message="Hello,\nwhich weights does the detector use?\n\nThanks",
)


@pytest.mark.parametrize("mode", ["starttls", "tls", "none"])
async def test_delivers_with_the_right_headers_and_body(
    mode: str,
    smtp_server: StartServer,
    make_settings: MakeSettings,
    outboxes: MakeOutbox,
    messages: MessageRepo,
) -> None:
    server = smtp_server(mode)
    outbox = outboxes(make_settings(server.port, mode))

    stored = await outbox.submit(FORM, client="203.0.113.7")
    assert stored.delivery == DeliveryState.pending
    sent = await wait_for_state(messages, stored.id, DeliveryState.sent)

    assert (sent.attempts, sent.last_error, sent.next_attempt_at) == (1, None, None)
    assert sent.sent_at is not None and sent.sent_at >= stored.created_at
    [received] = server.received
    assert received.tls is (mode != "none")
    assert received.mail_from == "gallery@example.org"
    assert received.rcpt_tos == ["owner@example.org"]
    mail = received.mail
    assert mail["To"] == "owner@example.org"
    assert mail["From"] == "Model Gallery <gallery@example.org>"
    assert mail["Reply-To"] == "Zoë Example <zoe@example.com>"
    assert mail["Subject"] == "[Model Gallery] Question about the YOLO model"
    assert mail["Message-ID"] == f"<contact-{stored.id}@example.org>"
    body = mail.get_content().replace("\r\n", "\n")  # CRLF on the wire
    assert FORM.message in body
    for detail in ("Zoë Example <zoe@example.com>", "203.0.113.7", stored.id):
        assert detail in body


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_logs_in_over_tls(
    mode: str,
    smtp_server: StartServer,
    make_settings: MakeSettings,
    outboxes: MakeOutbox,
    messages: MessageRepo,
) -> None:
    server = smtp_server(mode, auth=True)
    settings = make_settings(
        server.port, mode, smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD
    )
    stored = await outboxes(settings).submit(FORM, client=None)

    await wait_for_state(messages, stored.id, DeliveryState.sent)
    [received] = server.received
    assert (received.tls, received.login) == (True, SMTP_USER)


async def test_wrong_password_is_retried_with_a_clear_error(
    smtp_server: StartServer,
    make_settings: MakeSettings,
    outboxes: MakeOutbox,
    messages: MessageRepo,
) -> None:
    server = smtp_server("starttls", auth=True)
    settings = make_settings(server.port, smtp_username=SMTP_USER, smtp_password="wrong")
    stored = await outboxes(settings).submit(FORM, client=None)

    failed = await wait_for_state(messages, stored.id, DeliveryState.retrying)
    assert failed.last_error is not None
    assert failed.last_error.startswith(f"login refused by 127.0.0.1:{server.port}: 535")
    assert server.received == []


@pytest.mark.parametrize("mode", ["starttls", "tls"])
async def test_untrusted_certificate_is_refused(
    mode: str,
    smtp_server: StartServer,
    make_settings: MakeSettings,
    outboxes: MakeOutbox,
    messages: MessageRepo,
) -> None:
    server = smtp_server(mode, trusted=False)
    stored = await outboxes(make_settings(server.port, mode)).submit(FORM, client=None)

    failed = await wait_for_state(messages, stored.id, DeliveryState.retrying)
    assert failed.attempts >= 1
    assert failed.last_error is not None
    assert failed.last_error.startswith(f"TLS certificate of 127.0.0.1:{server.port} not trusted")
    await asyncio.sleep(0.3)  # a retry or two, still refused
    assert server.received == []
    retried = await messages.get(stored.id)
    assert retried is not None and retried.delivery == DeliveryState.retrying


async def test_server_down_then_up_delivers_exactly_once(
    smtp_server: StartServer,
    make_settings: MakeSettings,
    outboxes: MakeOutbox,
    messages: MessageRepo,
) -> None:
    port = free_port()
    stored = await outboxes(make_settings(port)).submit(FORM, client="198.51.100.4")
    assert stored.delivery == DeliveryState.pending  # submit does not wait for SMTP

    failed = await wait_for_state(messages, stored.id, DeliveryState.retrying)
    assert failed.last_error == f"connection refused by 127.0.0.1:{port}"
    assert failed.next_attempt_at is not None
    assert timedelta(0) < failed.next_attempt_at - stored.created_at < timedelta(seconds=1)

    server = smtp_server("starttls", port=port)
    sent = await wait_for_state(messages, stored.id, DeliveryState.sent)
    assert sent.attempts >= 2
    assert sent.last_error is None
    await asyncio.sleep(0.5)  # longer than the retry delay: nothing is sent twice
    assert len(server.received) == 1


async def test_backoff_doubles_up_to_the_cap(
    make_settings: MakeSettings, outboxes: MakeOutbox, messages: MessageRepo
) -> None:
    settings = make_settings(free_port(), smtp_retry_base_s=0.05, smtp_retry_max_s=0.15)
    outbox = outboxes(settings, start=False)
    stored = await outbox.submit(FORM, client=None)

    for expected in (0.05, 0.1, 0.15, 0.15):  # doubles from the base, then the cap
        before = utcnow()
        assert await outbox.deliver_due() == 0  # nothing listens on that port
        current = await messages.get(stored.id)
        assert current is not None and current.next_attempt_at is not None
        delay = (current.next_attempt_at - before).total_seconds()
        assert expected - 0.002 <= delay < expected + 0.05  # the store keeps ms
        await messages.update(stored.id, {"next_attempt_at": utcnow()})
    assert current.attempts == 4


@pytest.mark.parametrize("how", ["no mailer", "no smtp host", "no recipient"])
async def test_not_configured_is_kept_and_never_sent(
    how: str,
    smtp_server: StartServer,
    make_settings: MakeSettings,
    messages: MessageRepo,
) -> None:
    server = smtp_server("starttls")
    if how == "no mailer":
        settings = make_settings(server.port)
        outbox = Outbox(messages, None, settings)
    else:
        field = "smtp_host" if how == "no smtp host" else "contact_to"
        settings = make_settings(server.port, **{field: None})
        outbox = Outbox(messages, Mailer(settings), settings)
    outbox.start()
    try:
        stored = await outbox.submit(FORM, client=None)
        assert stored.delivery == DeliveryState.not_configured
        assert await outbox.retry_now(stored.id) == stored
        await asyncio.sleep(0.3)
    finally:
        await outbox.stop()

    assert not outbox.running
    assert await messages.get(stored.id) == stored
    assert server.received == []


async def test_pending_message_from_a_previous_run_is_sent_at_start(
    smtp_server: StartServer,
    make_settings: MakeSettings,
    outboxes: MakeOutbox,
    messages: MessageRepo,
    db_path: Path,
) -> None:
    server = smtp_server("starttls")
    previous_run = SqliteStore(db_path)
    await previous_run.open()
    left_over = [
        await previous_run.messages.create(ContactMessage(**FORM.model_dump(), client="192.0.2.1")),
        await previous_run.messages.create(
            ContactMessage(
                **FORM.model_dump(),
                delivery=DeliveryState.retrying,
                attempts=3,
                last_error="connection refused by 127.0.0.1:1",
                next_attempt_at=utcnow() - timedelta(minutes=5),
            )
        ),
    ]
    await previous_run.close()
    outboxes(make_settings(server.port))

    for message in left_over:
        sent = await wait_for_state(messages, message.id, DeliveryState.sent)
        assert sent.attempts == message.attempts + 1
    assert sorted(r.mail["Message-ID"] for r in server.received) == sorted(
        f"<contact-{m.id}@example.org>" for m in left_over
    )


async def test_retry_now_sends_a_message_scheduled_for_later(
    smtp_server: StartServer,
    make_settings: MakeSettings,
    outboxes: MakeOutbox,
    messages: MessageRepo,
) -> None:
    server = smtp_server("starttls")
    later = await messages.create(
        ContactMessage(
            **FORM.model_dump(),
            delivery=DeliveryState.retrying,
            attempts=1,
            last_error="timed out talking to 127.0.0.1:25",
            next_attempt_at=utcnow() + timedelta(hours=1),
        )
    )
    outbox = outboxes(make_settings(server.port))
    await asyncio.sleep(0.2)
    assert server.received == []

    assert await outbox.retry_now("no-such-id") is None
    await outbox.retry_now(later.id)
    sent = await wait_for_state(messages, later.id, DeliveryState.sent, timeout=2)
    assert sent.attempts == 2
    assert len(server.received) == 1
    assert await outbox.retry_now(later.id) == sent  # sent stays sent


async def test_an_unexpected_error_does_not_stop_the_loop(
    smtp_server: StartServer,
    make_settings: MakeSettings,
    outboxes: MakeOutbox,
    messages: MessageRepo,
) -> None:
    class FlakyMailer(Mailer):
        failures = 1

        async def send(self, message: ContactMessage) -> None:
            if self.failures:
                self.failures -= 1
                raise RuntimeError("boom")
            await super().send(message)

    server = smtp_server("starttls")
    settings = make_settings(server.port)
    stored = await outboxes(settings, FlakyMailer(settings)).submit(FORM, client=None)

    failed = await wait_for_state(messages, stored.id, DeliveryState.retrying)
    assert failed.last_error == "RuntimeError: boom"
    await wait_for_state(messages, stored.id, DeliveryState.sent)
    assert len(server.received) == 1


async def test_stop_cancels_a_send_in_progress(
    make_settings: MakeSettings, outboxes: MakeOutbox, messages: MessageRepo
) -> None:
    with socket.socket() as silent:  # accepts connections, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = make_settings(silent.getsockname()[1], smtp_timeout_s=10)
        outbox = outboxes(settings)
        stored = await outbox.submit(FORM, client=None)
        await asyncio.sleep(0.2)
        assert outbox.running

        await asyncio.wait_for(outbox.stop(), timeout=1)

    assert not outbox.running
    current = await messages.get(stored.id)
    assert current is not None
    assert (current.delivery, current.attempts) == (DeliveryState.pending, 0)
