"""The mails accounts send: a link to set a new password, a link to confirm a new e-mail
address. Each goes straight to the SMTP server (the contact form's mailer), not through the
outbox: a link is only worth its few minutes, and it must not sit in the messages that
administrators read. A failed send is logged; the person asks again."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from ..contact.mailer import SUBJECT_PREFIX, DeliveryError, Mailer, sender_domain
from ..core.settings import Settings
from ..store.records import utcnow

log = logging.getLogger(__name__)


class AccountMail:
    def __init__(self, settings: Settings, mailer: Mailer | None) -> None:
        self._settings = settings
        self._mailer = mailer
        self._sending: set[asyncio.Task[None]] = set()
        if self.configured and not settings.public_url:
            log.warning(
                "PUBLIC_URL is not set: the links in account mails follow the address each "
                "request came to; set it to the site's address (https://...)"
            )

    @property
    def configured(self) -> bool:
        return self._mailer is not None and self._settings.mail_configured

    def password_reset(self, to: str, link: str, expires_at: datetime) -> EmailMessage:
        return self._mail(
            to,
            "Set a new password",
            "Someone (we hope you) asked to set a new password for your Model Gallery "
            "account. Open this link to choose one:\n"
            f"\n{link}\n\n"
            f"It works once, until {_when(expires_at)}. Setting the password signs out "
            "every session of the account.\n\n"
            "If you did not ask for this, ignore this mail: your password stays as it is.\n",
        )

    def email_change(self, to: str, link: str, expires_at: datetime) -> EmailMessage:
        return self._mail(
            to,
            "Confirm your new e-mail address",
            "Someone (we hope you) asked to use this address for a Model Gallery account. "
            "Open this link to confirm it:\n"
            f"\n{link}\n\n"
            f"It works once, until {_when(expires_at)}.\n\n"
            "If you did not ask for this, ignore this mail: nothing changes.\n",
        )

    def email_changed(self, to: str, new_email: str) -> EmailMessage:
        return self._mail(
            to,
            "Your e-mail address was changed",
            f"Your Model Gallery account now logs in with {new_email}, not with this "
            "address.\n\n"
            "If you did not make this change, someone else can use your account: ask the "
            "site's administrator to send you a link to set a new password.\n",
        )

    async def send(self, mail: EmailMessage) -> None:
        """Send now; raises DeliveryError (a readable sentence) when it fails."""
        if self._mailer is None or not self.configured:
            raise DeliveryError("no mail server is configured (SMTP_HOST)")
        await self._mailer.deliver(mail)

    def send_later(self, mail: EmailMessage) -> None:
        """Send in the background, so that the answer comes as fast whether or not a mail
        goes (which would otherwise tell whether an address has an account)."""
        task = asyncio.create_task(self._send_logged(mail), name="account-mail")
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send_logged(self, mail: EmailMessage) -> None:
        try:
            await self.send(mail)
        except DeliveryError as exc:
            log.warning("account mail %r not sent: %s", mail["Subject"], exc)
        else:
            log.info("account mail %r sent", mail["Subject"])

    def _mail(self, to: str, subject: str, body: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self._settings.smtp_from
        mail["To"] = to
        mail["Subject"] = SUBJECT_PREFIX + subject
        mail["Date"] = format_datetime(utcnow())
        mail["Message-ID"] = make_msgid(domain=sender_domain(self._settings.smtp_from))
        mail.set_content(body + "\n-- \nModel Gallery\n")
        return mail


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
