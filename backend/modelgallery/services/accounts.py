"""Accounts: sign-up, log-in with throttling, sessions (one per log-in: listed, ended one at
a time or all but the current one), changing the password or the e-mail address, deleting
an account, and the first administrator. Links sent by mail are in `account_links.py`."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from limits.storage import Storage

from ..core.security import (
    InvalidTokenError,
    Throttle,
    create_token,
    decode_token,
    hash_password,
    verify_password,
)
from ..core.settings import Settings
from ..store.base import DuplicateError, Store
from ..store.records import Role, Session, User, utcnow
from . import audit
from .account_links import AccountLinks, ResetLink, check_new_password
from .account_mail import AccountMail
from .errors import Conflict, Forbidden, NotAuthenticated, NotFound, TooManyRequests

log = logging.getLogger(__name__)

_SEEN_EVERY = timedelta(minutes=5)  # how stale a session's "last seen" may get
_USER_AGENT_CHARS = 300
SESSION_ENDED = "this session has ended; please log in again"


@dataclass(frozen=True)
class Client:
    """Who is asking: the client's address and what its browser calls itself."""

    address: str
    user_agent: str | None = None


@dataclass(frozen=True)
class Login:
    """A request's user and the session its token belongs to."""

    user: User
    session: Session


class AccountService:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        limits: Storage | None = None,
        links: AccountLinks | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        per_15min = settings.login_attempts_per_15min
        self._login_throttle = Throttle("login", f"{per_15min}/15 minutes", limits, what="log-ins")
        # Also per client across e-mails, against spraying one password over many accounts.
        self._client_throttle = Throttle(
            "login-client", f"{per_15min * 5}/15 minutes", limits, what="log-ins"
        )
        # The links it mails (password reset, a new address), also asked for by the routes.
        self.links = links or AccountLinks(settings, store, AccountMail(settings, None), limits)

    # --- signing in and out --------------------------------------------------------------

    async def signup(
        self, email: str, password: str, name: str, client: Client
    ) -> tuple[User, str]:
        if not self.settings.allow_signup:
            raise Forbidden("sign-up is turned off on this server; ask an administrator")
        check_new_password(password)
        user = User(
            email=email.strip().lower(), name=name.strip(), password_hash=hash_password(password)
        )
        try:
            await self.store.users.create(user)
        except DuplicateError:
            raise Conflict("an account with this e-mail already exists; log in instead") from None
        log.info("new account %s", user.id)
        return user, await self._start_session(user, client)

    async def login(self, email: str, password: str, client: Client) -> tuple[User, str]:
        email = email.strip().lower()
        self._not_throttled(client, email, "too many failed log-ins")
        user = await self.store.users.get_by_email(email)
        ok, new_hash = verify_password(password, user.password_hash if user else None)
        if not ok or user is None or user.disabled:
            self._failed(client, email)
            raise NotAuthenticated("wrong e-mail or password")
        self._login_throttle.clear(client.address, email)
        changes: dict[str, Any] = {"last_login_at": utcnow()}
        if new_hash:
            changes["password_hash"] = new_hash
        user = await self.store.users.update(user.id, changes) or user
        return user, await self._start_session(user, client)

    async def _start_session(self, user: User, client: Client) -> str:
        token, claims = create_token(
            user.id, self.settings.jwt_key, self.settings.access_token_minutes
        )
        agent = client.user_agent[:_USER_AGENT_CHARS] if client.user_agent else None
        await self.store.sessions.create(
            Session(
                id=claims.jti,
                user_id=user.id,
                expires_at=claims.expires_at,
                user_agent=agent,
                client=client.address,
            )
        )
        return token

    async def user_for_token(self, token: str) -> User:
        """The active user a token belongs to; raises NotAuthenticated otherwise."""
        return (await self.login_for_token(token)).user

    async def login_for_token(self, token: str) -> Login:
        """The user and session of a token whose session still exists; raises
        NotAuthenticated otherwise."""
        try:
            claims = decode_token(token, self.settings.jwt_key)
        except InvalidTokenError as exc:
            raise NotAuthenticated(str(exc)) from None
        session = await self.store.sessions.get(claims.jti)
        if session is None or session.user_id != claims.user_id:
            raise NotAuthenticated(SESSION_ENDED)
        user = await self.store.users.get(claims.user_id)
        if user is None or user.disabled:
            raise NotAuthenticated("this account no longer exists or is disabled")
        now = utcnow()
        if session.last_seen_at is None or now - session.last_seen_at > _SEEN_EVERY:
            await self.store.sessions.touch(session.id, now)
            session = session.model_copy(update={"last_seen_at": now})
        return Login(user, session)

    async def logout(self, token: str) -> None:
        try:
            claims = decode_token(token, self.settings.jwt_key)
        except InvalidTokenError:
            return
        await self.store.sessions.delete(claims.jti, claims.user_id)

    # --- sessions ------------------------------------------------------------------------

    async def sessions(self, login: Login) -> list[Session]:
        return await self.store.sessions.of_user(login.user.id)

    async def end_session(self, login: Login, session_id: str) -> None:
        if not await self.store.sessions.delete(session_id, login.user.id):
            raise NotFound("no such session (it may have ended already)")

    async def end_other_sessions(self, login: Login) -> int:
        return await self.store.sessions.delete_user(login.user.id, keep=login.session.id)

    # --- the account itself --------------------------------------------------------------

    async def change_password(self, login: Login, current: str, new: str, client: Client) -> int:
        """Set a new password; every other session ends (how many). Needs the current one."""
        user = login.user
        await self.check_current_password(user, current, client)
        check_new_password(new)
        changed = await self.store.users.update(
            user.id,
            {"password_hash": hash_password(new)},
            only_if={"password_hash": user.password_hash},
        )
        if changed is None:
            raise Conflict("the password was changed meanwhile; log in again with the new one")
        ended = await self.store.sessions.delete_user(user.id, keep=login.session.id)
        log.info("account %s changed its password (%d other sessions ended)", user.id, ended)
        return ended

    async def delete_account(
        self,
        login: Login,
        password: str,
        client: Client,
        delete_predictions: Callable[[User], Awaitable[int]],
    ) -> int:
        """Delete the account with its predictions (how many) and its sessions."""
        user = login.user
        await self.check_current_password(user, password, client)
        if user.role == Role.admin and await self.store.users.count(Role.admin) <= 1:
            raise Conflict(
                "you are the only administrator; make another account an administrator first"
            )
        deleted = await delete_predictions(user)
        await self.store.sessions.delete_user(user.id)
        await self.store.users.delete(user.id)
        await audit.record(self.store.audit, user, "account.delete", user.id, predictions=deleted)
        log.info("account %s deleted with %d predictions", user.id, deleted)
        return deleted

    async def request_email_change(
        self, login: Login, new_email: str, password: str, client: Client, origin: str
    ) -> str:
        """Mail a confirmation link to the new address, once the password is right; returns
        the address as it will be stored."""
        if not self.links.sends_mail:
            raise Conflict(
                "this server cannot send e-mail, so a new address cannot be confirmed; "
                "ask an administrator"
            )
        await self.check_current_password(login.user, password, client)
        return await self.links.send_email_change(login.user, new_email, client.address, origin)

    async def check_current_password(self, user: User, password: str, client: Client) -> None:
        """For changes a session alone may not make; counted with the failed log-ins."""
        self._not_throttled(client, user.email, "too many wrong passwords")
        ok, _ = verify_password(password, user.password_hash)
        if not ok:
            self._failed(client, user.email)
            raise Forbidden("the current password is not right")
        self._login_throttle.clear(client.address, user.email)

    def _not_throttled(self, client: Client, email: str, what: str) -> None:
        for throttle, key in (
            (self._login_throttle, (client.address, email)),
            (self._client_throttle, (client.address,)),
        ):
            wait = throttle.blocked_for(*key)
            if wait:
                raise TooManyRequests(f"{what}; try again in {wait} seconds", retry_after_s=wait)

    def _failed(self, client: Client, email: str) -> None:
        self._login_throttle.hit(client.address, email)
        self._client_throttle.hit(client.address)

    # --- administrators ------------------------------------------------------------------

    async def admin_password_reset(self, actor: User, user_id: str, origin: str) -> ResetLink:
        """Mail a reset link to the user, or, without a mail server (or when the mail
        fails), hand it to the administrator to pass on. Audited."""
        user = await self.store.users.get(user_id)
        if user is None:
            raise NotFound("no such user")
        reset = await self.links.send_reset_now(user, origin)
        details: dict[str, Any] = {"email": user.email, "mailed": reset.mailed}
        if reset.error:
            details["error"] = reset.error
        await audit.record(self.store.audit, actor, "user.password_reset", user.id, **details)
        return reset

    async def create_admin(self, email: str, password: str, name: str = "Administrator") -> User:
        """Create an administrator, or promote an existing account and set its password
        (which signs out its sessions, as a reset does)."""
        check_new_password(password)
        email = email.strip().lower()
        existing = await self.store.users.get_by_email(email)
        if existing is not None:
            updated = await self.store.users.update(
                existing.id,
                {"role": Role.admin, "password_hash": hash_password(password), "disabled": False},
            )
            assert updated is not None
            await self.store.sessions.delete_user(existing.id)
            return updated
        user = User(email=email, name=name, role=Role.admin, password_hash=hash_password(password))
        return await self.store.users.create(user)

    async def ensure_first_admin(self) -> None:
        """On first start, the administrator named in the settings. Never a default one."""
        if self.settings.admin_email is None or self.settings.admin_password is None:
            if await self.store.users.count(Role.admin) == 0:
                log.warning(
                    "no administrator yet: set ADMIN_EMAIL and ADMIN_PASSWORD, or run "
                    "`modelgallery create-admin --email you@example.org`"
                )
            return
        if await self.store.users.get_by_email(self.settings.admin_email) is None:
            try:
                await self.create_admin(
                    self.settings.admin_email, self.settings.admin_password.get_secret_value()
                )
            except DuplicateError:  # API replicas starting together: another one made it
                log.info("the first administrator was created by another API replica")
                return
            log.info("created the first administrator from the settings")
