"""A real SMTP server (aiosmtpd, in its own thread) on a free port of 127.0.0.1, with TLS
certificates from a throw-away CA (trustme), and settings pointing the mailer at it."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any, Literal

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from modelgallery.contact.mailer import Mailer
from modelgallery.contact.outbox import Clock, Outbox
from modelgallery.core.settings import Settings
from modelgallery.store.base import MessageRepo
from modelgallery.store.records import ContactMessage, DeliveryState, utcnow
from modelgallery.store.sqlite import SqliteStore

Mode = Literal["starttls", "tls", "none"]

SMTP_USER = "gallery"
SMTP_PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    mail: EmailMessage
    tls: bool
    login: str | None


class Recorder:
    """aiosmtpd handler that keeps every accepted message."""

    def __init__(self) -> None:
        self.received: list[Received] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        mail = BytesParser(policy=policy.default).parsebytes(raw)
        self.received.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                mail=mail,  # type: ignore[arg-type]
                tls=server.transport.get_extra_info("ssl_object") is not None,
                login=session.auth_data.decode() if session.authenticated else None,
            )
        )
        return "250 Message accepted for delivery"


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    # handled=False lets aiosmtpd answer 535 itself; its default (True) means "the
    # authenticator already replied", and a failed login would then hang the client.
    return AuthResult(success=ok, handled=False, auth_data=data.login if ok else None)


class SmtpServer:
    def __init__(self, controller: Controller, recorder: Recorder, port: int) -> None:
        self.controller = controller
        self.recorder = recorder
        self.port = port

    @property
    def received(self) -> list[Received]:
        return self.recorder.received

    def stop(self) -> None:
        if self.controller._thread is not None:
            self.controller.stop()


@dataclass
class Tls:
    ca: trustme.CA
    ca_file: Path
    server: ssl.SSLContext  # certificate issued by `ca` for 127.0.0.1 and localhost
    untrusted_server: ssl.SSLContext  # same names, issued by a CA nobody trusts


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    def server_context(ca: trustme.CA) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
        return context

    ca = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Tls(ca, ca_file, server_context(ca), server_context(trustme.CA()))


StartServer = Callable[..., SmtpServer]


@pytest.fixture
def smtp_server(tls: Tls) -> Iterator[StartServer]:
    """Start aiosmtpd servers: `smtp_server(mode, port=None, auth=False, trusted=True)`."""
    servers: list[SmtpServer] = []

    def start(
        mode: Mode = "starttls",
        *,
        port: int | None = None,
        auth: bool = False,
        trusted: bool = True,
    ) -> SmtpServer:
        port = port or free_port()
        context = tls.server if trusted else tls.untrusted_server
        recorder = Recorder()
        kwargs: dict[str, Any] = {}
        if mode == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        elif mode == "tls":
            # aiosmtpd only counts STARTTLS as "TLS" for AUTH; on an implicit-TLS socket it
            # neither offers AUTH nor accepts it unless auth_require_tls is off.
            kwargs.update(ssl_context=context, auth_require_tls=False)
        if auth:
            # Required only where aiosmtpd knows the session is encrypted (see above).
            kwargs.update(authenticator=_check_login, auth_required=mode == "starttls")
        controller = Controller(
            recorder,
            hostname="127.0.0.1",
            port=port,
            server_hostname="smtp.test",
            **kwargs,
        )
        controller.start()
        server = SmtpServer(controller, recorder, port)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def make_settings(tls: Tls, tmp_path: Path) -> Callable[..., Settings]:
    def make(port: int, security: Mode = "starttls", **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "contact_to": "owner@example.org",
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_security": security,
            "smtp_username": None,
            "smtp_password": None,
            "smtp_from": "Model Gallery <gallery@example.org>",
            "smtp_ca_file": tls.ca_file,
            "smtp_timeout_s": 5,
            "smtp_retry_base_s": 0.2,
            "smtp_retry_max_s": 1.0,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "db.sqlite3"


@pytest.fixture
async def messages(db_path: Path) -> AsyncIterator[MessageRepo]:
    store = SqliteStore(db_path)
    await store.open()
    yield store.messages
    await store.close()


@pytest.fixture
async def outboxes(messages: MessageRepo) -> AsyncIterator[Callable[..., Outbox]]:
    """Build (and, unless told otherwise, start) outboxes; all are stopped at the end."""
    made: list[Outbox] = []

    def make(
        settings: Settings,
        mailer: Mailer | None = None,
        start: bool = True,
        now: Clock = utcnow,
    ) -> Outbox:
        outbox = Outbox(messages, mailer or Mailer(settings), settings, now=now)
        if start:
            outbox.start()
        made.append(outbox)
        return outbox

    yield make
    for outbox in made:
        await outbox.stop()


# Waits below end as soon as what they wait for happens; the timeout only stops a test whose
# event never comes, so it is generous.
WAIT_TIMEOUT_S = 30.0


async def wait_until(
    check: Callable[[], Awaitable[bool]], timeout: float = WAIT_TIMEOUT_S, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_for_state(
    messages: MessageRepo, message_id: str, state: DeliveryState, timeout: float = WAIT_TIMEOUT_S
) -> ContactMessage:
    found: list[ContactMessage] = []

    async def check() -> bool:
        message = await messages.get(message_id)
        assert message is not None
        found[:] = [message]
        return message.delivery == state

    await wait_until(check, timeout, f"message {message_id} to be {state}")
    return found[0]
