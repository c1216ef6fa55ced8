"""Delivery through a real SMTP server (aiosmtpd) over STARTTLS, implicit TLS and plain."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from modelgallery.contact.mailer import Mailer
from modelgallery.contact.outbox import ContactForm, Outbox
from modelgallery.core.settings import Settings
from modelgallery.store.base import MessageRepo
from modelgallery.store.records import ContactMessage, DeliveryState, utcnow
from modelgallery.store.sqlite import SqliteStore
from tests.support.clock import ManualClock

from .conftest import (
    SMTP_PASSWORD,
    SMTP_USER,
    WAIT_TIMEOUT_S,
    StartServer,
    free_port,
    wait_for_state,
    wait_until,
)

MakeSettings = Callable[..., Settings]
MakeOutbox = Callable[..., Outbox]

FORM = ContactForm(
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

    async def tried_again() -> bool:
        current = await messages.get(stored.id)
        return current is not None and current.attempts >= 2

    await wait_until(tried_again, what="a retry")  # still refused
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
    clock = ManualClock()  # stands still until the test moves it
    outbox = outboxes(make_settings(port), now=clock)
    stored = await outbox.submit(FORM, client="198.51.100.4")
    assert stored.delivery == DeliveryState.pending  # submit does not wait for SMTP
    assert stored.created_at == clock()

    failed = await wait_for_state(messages, stored.id, DeliveryState.retrying)
    assert failed.last_error == f"connection refused by 127.0.0.1:{port}"
    # tried at once, the retry scheduled one base delay (0.2 s) later
    assert failed.next_attempt_at == stored.created_at + timedelta(seconds=0.2)

    server = smtp_server("starttls", port=port)
    clock.advance(0.2)  # the retry is due: the loop's next pass sends it
    sent = await wait_for_state(messages, stored.id, DeliveryState.sent)
    assert sent.attempts == 2
    assert sent.last_error is None
    assert sent.sent_at == clock()
    # Long past every retry time, a pass finds nothing left to send: it went out once.
    clock.advance(timedelta(hours=1))
    assert await outbox.deliver_due() == 0
    assert len(server.received) == 1


async def test_backoff_doubles_up_to_the_cap(
    make_settings: MakeSettings, outboxes: MakeOutbox, messages: MessageRepo
) -> None:
    settings = make_settings(free_port(), smtp_retry_base_s=0.05, smtp_retry_max_s=0.15)
    clock = ManualClock()
    outbox = outboxes(settings, start=False, now=clock)
    stored = await outbox.submit(FORM, client=None)
    millisecond = timedelta(milliseconds=1)

    # doubles from the base, then the cap
    for attempts, expected in enumerate((0.05, 0.1, 0.15, 0.15), start=1):
        tried_at = clock()
        assert await outbox.deliver_due() == 0  # nothing listens on that port
        current = await messages.get(stored.id)
        assert current is not None
        assert current.attempts == attempts
        assert current.next_attempt_at == tried_at + timedelta(seconds=expected)
        clock.advance(timedelta(seconds=expected) - millisecond)
        assert await outbox.deliver_due() == 0  # a millisecond early: not tried
        assert await messages.get(stored.id) == current
        clock.advance(millisecond)
    assert current.attempts == 4


async def test_backoff_stays_at_the_cap_after_very_many_attempts(
    make_settings: MakeSettings, outboxes: MakeOutbox, messages: MessageRepo
) -> None:
    # 2.0 ** 1024 overflows a float: the delay must still come out as the cap.
    clock = ManualClock()
    outbox = outboxes(make_settings(free_port()), start=False, now=clock)
    stored = await messages.create(
        ContactMessage(
            **dataclasses.asdict(FORM),
            delivery=DeliveryState.retrying,
            attempts=5000,
            next_attempt_at=clock(),
        )
    )
    assert await outbox.deliver_due() == 0
    current = await messages.get(stored.id)
    assert current is not None
    assert (current.attempts, current.next_attempt_at) == (5001, clock() + timedelta(seconds=1))


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
        assert not outbox.running  # no delivery task was started: nothing can send it
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
        await previous_run.messages.create(
            ContactMessage(**dataclasses.asdict(FORM), client="192.0.2.1")
        ),
        await previous_run.messages.create(
            ContactMessage(
                **dataclasses.asdict(FORM),
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
            **dataclasses.asdict(FORM),
            delivery=DeliveryState.retrying,
            attempts=1,
            last_error="timed out talking to 127.0.0.1:25",
            next_attempt_at=utcnow() + timedelta(hours=1),
        )
    )
    # With a cap of an hour the delivery task sleeps until the message is due; only the
    # wake-up from retry_now can make it send sooner.
    outbox = outboxes(make_settings(server.port, smtp_retry_max_s=3600))
    assert await outbox.deliver_due() == 0  # an hour early: not sent
    assert server.received == []

    assert await outbox.retry_now("no-such-id") is None
    await outbox.retry_now(later.id)
    sent = await wait_for_state(messages, later.id, DeliveryState.sent)
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
        silent.setblocking(False)
        # An SMTP timeout far beyond the test's: only cancelling can end this send.
        settings = make_settings(silent.getsockname()[1], smtp_timeout_s=3600)
        outbox = outboxes(settings)
        stored = await outbox.submit(FORM, client=None)
        accept = asyncio.get_running_loop().sock_accept(silent)
        connection, _ = await asyncio.wait_for(accept, WAIT_TIMEOUT_S)  # the send has begun
        with connection:  # kept open: the client waits for a greeting
            assert outbox.running
            await asyncio.wait_for(outbox.stop(), WAIT_TIMEOUT_S)

    assert not outbox.running
    current = await messages.get(stored.id)
    assert current is not None
    assert (current.delivery, current.attempts) == (DeliveryState.pending, 0)


async def test_two_outboxes_on_one_store_send_each_message_once(
    smtp_server: StartServer,
    make_settings: MakeSettings,
    outboxes: MakeOutbox,
    messages: MessageRepo,
) -> None:
    """Two API replicas: each claims a message before sending it."""
    server = smtp_server("none")
    settings = make_settings(server.port, "none")
    first, second = outboxes(settings, start=False), outboxes(settings, start=False)
    stored = [await (first, second)[i % 2].submit(FORM, client=None) for i in range(6)]

    sent = await asyncio.gather(first.deliver_due(), second.deliver_due())

    assert sum(sent) == 6
    ids = sorted(r.mail["Message-ID"] for r in server.received)
    assert ids == sorted(f"<contact-{m.id}@example.org>" for m in stored)
    for message in stored:
        final = await messages.get(message.id)
        assert final is not None and final.delivery == DeliveryState.sent
        assert (final.attempts, final.claimed_by, final.claimed_until) == (1, None, None)
