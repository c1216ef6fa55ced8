"""Turns a stored contact message into an e-mail and hands it to the configured SMTP server.
One attempt per call; retrying is the outbox's business."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

import aiosmtplib
from email_validator import EmailNotValidError, validate_email

from ..core.settings import Settings
from ..store.records import ContactMessage

SUBJECT_PREFIX = "[Model Gallery] "
_MAX_ERROR_CHARS = 300


class DeliveryError(Exception):
    """A send failed. `str()` is a short text for the admin page and the logs; the original
    exception is the `__cause__`."""


class Mailer:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._tls_context = _tls_context(settings)

    @property
    def configured(self) -> bool:
        return self._settings.smtp_configured

    @property
    def target(self) -> str:
        """host:port, as error texts name the server."""
        return f"{self._settings.smtp_host}:{self._settings.smtp_port}"

    def build(self, message: ContactMessage) -> EmailMessage:
        settings = self._settings
        mail = EmailMessage()
        mail["From"] = settings.smtp_from
        mail["To"] = settings.contact_to or ""
        reply_to = _reply_address(message.name, message.email)
        if reply_to is not None:
            mail["Reply-To"] = reply_to
        mail["Subject"] = SUBJECT_PREFIX + message.subject
        mail["Date"] = format_datetime(message.created_at)
        # Stable per stored message: a resend after a lost acknowledgement is recognisable
        # as the same mail (and mail systems that de-duplicate on Message-ID will).
        mail["Message-ID"] = f"<contact-{message.id}@{sender_domain(settings.smtp_from)}>"
        mail["X-Model-Gallery-Message-Id"] = message.id
        mail.set_content(_body(message))
        return mail

    async def send(self, message: ContactMessage) -> None:
        """Send one message; raises DeliveryError (with a readable text) on any failure."""
        if not self.configured:
            raise DeliveryError("SMTP is not configured (SMTP_HOST and CONTACT_TO)")
        try:
            mail = self.build(message)
        except Exception as exc:
            raise DeliveryError(describe_error(exc, self.target)) from exc
        await self.deliver(mail)

    async def deliver(self, mail: EmailMessage) -> None:
        """Hand one built mail to the server (needs only SMTP_HOST; the account mails use
        it too); raises DeliveryError on any failure."""
        settings = self._settings
        if not settings.smtp_host:
            raise DeliveryError("SMTP is not configured (SMTP_HOST)")
        try:
            await aiosmtplib.send(
                mail,
                hostname=settings.smtp_host,
                port=settings.smtp_port,
                username=settings.smtp_username or None,
                password=(
                    settings.smtp_password.get_secret_value()
                    if settings.smtp_password is not None
                    else None
                ),
                use_tls=settings.smtp_security == "tls",
                # False, not None: None would mean "upgrade if offered", and "none" is plain.
                start_tls=settings.smtp_security == "starttls",
                tls_context=self._tls_context if settings.smtp_security != "none" else None,
                timeout=settings.smtp_timeout_s,
            )
        except Exception as exc:
            raise DeliveryError(describe_error(exc, self.target)) from exc


def _tls_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.smtp_ca_file is not None:
        # On top of the system store (create_default_context(cafile=...) would replace it).
        context.load_verify_locations(cafile=str(settings.smtp_ca_file))
    return context


def _reply_address(name: str, email: str) -> Address | None:
    """The visitor as a header address, or None when the address has no ASCII form (a
    non-ASCII local part would need SMTPUTF8 end to end; the body still carries it)."""
    try:
        ascii_email = validate_email(email, check_deliverability=False).ascii_email
    except EmailNotValidError:
        return None
    if not ascii_email:
        return None
    local, _, domain = ascii_email.rpartition("@")
    return Address(display_name=name, username=local, domain=domain)


def sender_domain(smtp_from: str) -> str:
    _, address = parseaddr(smtp_from)
    domain = address.rpartition("@")[2]
    try:
        domain.encode("ascii")
    except UnicodeEncodeError:
        domain = ""
    return domain or "modelgallery.invalid"


def _body(message: ContactMessage) -> str:
    return (
        f"{message.message}\n"
        "\n"
        "-- \n"
        f"From:       {message.name} <{message.email}>\n"
        f"Client:     {message.client or 'unknown'}\n"
        f"Received:   {message.created_at.isoformat(timespec='seconds')}\n"
        f"Message id: {message.id}\n"
        "Sent by the Model Gallery contact form; reply to answer the visitor.\n"
    )


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def describe_error(exc: BaseException, target: str) -> str:
    """A one-line explanation of a failed send, e.g. "connection refused by smtp.example:587"."""
    return _describe(exc, target)[:_MAX_ERROR_CHARS]


def _describe(exc: BaseException, target: str) -> str:
    chain = list(_chain(exc))
    for err in chain:
        if isinstance(err, ssl.SSLCertVerificationError):
            reason = err.verify_message or err.reason or "verification failed"
            return f"TLS certificate of {target} not trusted: {reason}"
    for err in chain:
        if isinstance(err, ssl.SSLError):
            hint = " (no TLS on that port? check SMTP_SECURITY)" if _plain_reply(err) else ""
            return f"TLS handshake with {target} failed: {err.reason or err}{hint}"
        if isinstance(err, ConnectionRefusedError):
            return f"connection refused by {target}"
        if isinstance(err, socket.gaierror):
            return f"cannot resolve the SMTP host of {target}: {err.strerror}"
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return f"login refused by {target}: {exc.code} {exc.message}"
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        return f"{target} refused the recipient: {refused}"
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{target} answered {exc.code} {exc.message}"
    if isinstance(exc, aiosmtplib.SMTPConnectTimeoutError) and "ready" in str(exc):
        return f"no greeting from {target} (a TLS-only port? check SMTP_SECURITY)"
    if isinstance(exc, TimeoutError):
        return f"timed out talking to {target}"
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return f"{target} closed the connection: {exc}"
    if isinstance(exc, aiosmtplib.SMTPException):
        return f"{target}: {exc}"
    for err in chain:
        if isinstance(err, OSError) and err.strerror:
            return f"cannot talk to {target}: {err.strerror}"
    return f"{type(exc).__name__}: {exc}"


def _plain_reply(err: ssl.SSLError) -> bool:
    # What OpenSSL reports when the server answered in plain text (an SMTP greeting).
    return err.reason in {"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "RECORD_LAYER_FAILURE"}
