"""The contact form's outbox: every message is stored first, then a background task mails
it, retrying with exponential back-off while the SMTP server is unreachable. Messages
left pending or retrying by a previous run are picked up when the task starts.

Several API replicas each run an outbox on the same store: each claims a message (a
compare-and-set in the store) before sending it, so that only one sends it. A claim left by
a process that died ends after a while, and the message is sent again by whoever is next."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..core.settings import Settings
from ..store.base import MessageRepo
from ..store.records import ContactMessage, DeliveryState, utcnow
from .mailer import DeliveryError, Mailer

logger = logging.getLogger(__name__)

_BATCH = 20  # messages sent per store query
_LOOKAHEAD = 200  # unsent messages read to find the earliest retry
_CANCEL_REPEAT_S = 0.1  # how often stop() repeats a cancellation that did not take
# 2.0 ** 1024 overflows a float; a base delay doubled this often is past any sensible cap.
_MAX_DOUBLINGS = 1023
_CLAIM_MIN_S = 120  # a claim outlasts a send (connect and each SMTP step: smtp_timeout_s)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class ContactForm:
    """A visitor's message as the API checked it (api/schemas/contact.py)."""

    name: str
    email: str
    subject: str
    message: str


class Outbox:
    """`now` is the clock that stamps messages and schedules retries (timezone-aware UTC);
    tests pass one they can move. The wait between passes is real time."""

    def __init__(
        self,
        messages: MessageRepo,
        mailer: Mailer | None,
        settings: Settings,
        *,
        now: Clock = utcnow,
        owner: str | None = None,
    ) -> None:
        # Who claims the messages this outbox sends: unique per process and outbox.
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._messages = messages
        self._mailer = mailer
        self._settings = settings
        self._now = now
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def delivering(self) -> bool:
        """Whether messages are mailed at all (else they are only kept for the admin)."""
        return self._mailer is not None and self._settings.smtp_configured

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def submit(self, form: ContactForm, client: str | None) -> ContactMessage:
        """Store the message and wake the delivery task. Never fails because of SMTP."""
        message = ContactMessage(
            name=form.name,
            email=form.email,
            subject=form.subject,
            message=form.message,
            client=client,
            created_at=self._now(),
            delivery=DeliveryState.pending if self.delivering else DeliveryState.not_configured,
        )
        stored = await self._messages.create(message)
        logger.info("contact message %s stored (%s)", stored.id, stored.delivery)
        if self.delivering:
            self._wake.set()
        return stored

    async def retry_now(self, message_id: str) -> ContactMessage | None:
        """Make an unsent message due now and wake the delivery task. Returns the message
        (unchanged when it was already sent or mail is not configured), None if unknown."""
        message = await self._messages.get(message_id)
        if message is None:
            return None
        if message.delivery == DeliveryState.sent or not self.delivering:
            return message
        changes: dict[str, object] = {"next_attempt_at": self._now()}
        if message.delivery == DeliveryState.not_configured:
            # Stored while mail was off; mail has been configured since.
            changes["delivery"] = DeliveryState.pending
        updated = await self._messages.update(message_id, changes)
        self._wake.set()
        return updated

    def start(self) -> None:
        """Start the delivery task (needs a running event loop). Does nothing when mail is
        not configured or the task already runs."""
        if not self.delivering:
            logger.info("contact mail not configured; messages are only stored")
            return
        if self.running:
            return
        self._wake.set()  # first pass right away: deliver what a previous run left
        self._task = asyncio.create_task(self._run(), name="contact-outbox")

    async def stop(self) -> None:
        """Cancel the delivery task and wait for it. A send cut short stays pending or
        retrying and is tried again after the next start."""
        task, self._task = self._task, None
        if task is None:
            return
        # A cancellation can be lost on Python 3.11: asyncio.wait_for, which aiosmtplib uses
        # to connect, drops one that arrives as the connection completes, and the send then
        # waits for the server's greeting until smtp_timeout_s. So repeat it until it takes.
        # (Waiting with asyncio.wait also leaves a cancellation of stop() itself to its caller.)
        while not task.done():
            task.cancel()
            await asyncio.wait({task}, timeout=_CANCEL_REPEAT_S)
        if not task.cancelled():
            task.result()  # raises what ended the task, as awaiting it would

    async def deliver_due(self) -> int:
        """Try every message that is due now once; returns how many were sent."""
        sent = 0
        tried: set[str] = set()
        while True:
            batch = [m for m in await self._messages.due(self._now(), _BATCH) if m.id not in tried]
            if not batch:
                return sent
            for message in batch:
                tried.add(message.id)
                now = self._now()
                claimed = await self._messages.claim(
                    message.id, self.owner, now, now + timedelta(seconds=self._claim_s)
                )
                if claimed is not None:  # else another outbox sends it, or it changed
                    sent += await self._attempt(claimed)

    async def _attempt(self, message: ContactMessage) -> bool:
        assert self._mailer is not None
        try:
            await self._mailer.send(message)
        except Exception as exc:  # any failure is retried; the loop must survive it
            error = str(exc) if isinstance(exc, DeliveryError) else f"{type(exc).__name__}: {exc}"
            attempts = message.attempts + 1
            delay = self._retry_delay(attempts)
            await self._messages.update(
                message.id,
                {
                    "delivery": DeliveryState.retrying,
                    "attempts": attempts,
                    "last_error": error,
                    "next_attempt_at": self._now() + timedelta(seconds=delay),
                    "claimed_by": None,
                    "claimed_until": None,
                },
            )
            logger.warning(
                "contact message %s not delivered (attempt %d, next in %.1f s): %s",
                message.id,
                attempts,
                delay,
                error,
            )
            return False
        await self._messages.update(
            message.id,
            {
                "delivery": DeliveryState.sent,
                "sent_at": self._now(),
                "attempts": message.attempts + 1,
                "last_error": None,
                "next_attempt_at": None,
                "claimed_by": None,
                "claimed_until": None,
            },
        )
        logger.info("contact message %s delivered", message.id)
        return True

    @property
    def _claim_s(self) -> float:
        return max(_CLAIM_MIN_S, 4 * self._settings.smtp_timeout_s)

    def _retry_delay(self, attempts: int) -> float:
        settings = self._settings
        doublings = min(attempts - 1, _MAX_DOUBLINGS)
        return min(settings.smtp_retry_base_s * 2.0**doublings, settings.smtp_retry_max_s)

    async def _run(self) -> None:
        while True:
            # Cleared before the pass, so a submit during the pass triggers another one.
            self._wake.clear()
            try:
                await self.deliver_due()
                timeout = await self._seconds_to_next_due()
            except Exception:
                logger.exception("contact outbox pass failed; trying again later")
                timeout = self._settings.smtp_retry_base_s
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _seconds_to_next_due(self) -> float:
        """Until the earliest scheduled retry, at most smtp_retry_max_s (which also serves as
        a slow poll for messages another process may have stored)."""
        horizon = self._settings.smtp_retry_max_s
        now = self._now()
        upcoming = await self._messages.due(now + timedelta(seconds=horizon), _LOOKAHEAD)
        # A message without a date is due now (stored while this pass ran); one claimed by
        # another outbox, when its claim ends (it is sent by then, else sent from here).
        times = [max(m.next_attempt_at or now, m.claimed_until or now) for m in upcoming]
        return _seconds_until(min(times, default=None), now, horizon)


def _seconds_until(when: datetime | None, now: datetime, cap: float) -> float:
    if when is None:
        return cap
    return max(0.0, min((when - now).total_seconds(), cap))
