"""Sign-up, log-in with throttling, log-out, and the first administrator."""

from __future__ import annotations

import logging
from typing import Any

from limits.storage import Storage

from ..core.security import (
    MIN_PASSWORD_LENGTH,
    InvalidTokenError,
    Throttle,
    TokenClaims,
    create_token,
    decode_token,
    hash_password,
    verify_password,
)
from ..core.settings import Settings
from ..store.base import DuplicateError, Store
from ..store.records import Role, User, utcnow
from .errors import Conflict, Forbidden, Invalid, NotAuthenticated, TooManyRequests

log = logging.getLogger(__name__)


class AccountService:
    def __init__(self, settings: Settings, store: Store, limits: Storage | None = None) -> None:
        self.settings = settings
        self.store = store
        per_15min = settings.login_attempts_per_15min
        self._login_throttle = Throttle(
            "login", f"{per_15min}/15 minutes", limits, what="log-ins"
        )
        # Also per client across e-mails, against spraying one password over many accounts.
        self._client_throttle = Throttle(
            "login-client", f"{per_15min * 5}/15 minutes", limits, what="log-ins"
        )

    async def signup(self, email: str, password: str, name: str) -> tuple[User, str]:
        if not self.settings.allow_signup:
            raise Forbidden("sign-up is turned off on this server; ask an administrator")
        _check_password(password)
        user = User(
            email=email.strip().lower(), name=name.strip(), password_hash=hash_password(password)
        )
        try:
            await self.store.users.create(user)
        except DuplicateError:
            raise Conflict("an account with this e-mail already exists; log in instead") from None
        log.info("new account %s", user.id)
        token, _ = self.issue_token(user)
        return user, token

    async def login(self, email: str, password: str, client: str) -> tuple[User, str]:
        email = email.strip().lower()
        for throttle, key in (
            (self._login_throttle, (client, email)),
            (self._client_throttle, (client,)),
        ):
            wait = throttle.blocked_for(*key)
            if wait:
                raise TooManyRequests(
                    f"too many failed log-ins; try again in {wait} seconds", retry_after_s=wait
                )
        user = await self.store.users.get_by_email(email)
        ok, new_hash = verify_password(password, user.password_hash if user else None)
        if not ok or user is None or user.disabled:
            self._login_throttle.hit(client, email)
            self._client_throttle.hit(client)
            raise NotAuthenticated("wrong e-mail or password")
        self._login_throttle.clear(client, email)
        changes: dict[str, Any] = {"last_login_at": utcnow()}
        if new_hash:
            changes["password_hash"] = new_hash
        user = await self.store.users.update(user.id, changes) or user
        token, _ = self.issue_token(user)
        return user, token

    def issue_token(self, user: User) -> tuple[str, TokenClaims]:
        return create_token(user.id, self.settings.jwt_key, self.settings.access_token_minutes)

    async def user_for_token(self, token: str) -> User:
        """The active user a token belongs to; raises NotAuthenticated otherwise."""
        try:
            claims = decode_token(token, self.settings.jwt_key)
        except InvalidTokenError as exc:
            raise NotAuthenticated(str(exc)) from None
        if await self.store.tokens.is_revoked(claims.jti):
            raise NotAuthenticated("you have logged out; please log in again")
        user = await self.store.users.get(claims.user_id)
        if user is None or user.disabled:
            raise NotAuthenticated("this account no longer exists or is disabled")
        return user

    async def logout(self, token: str) -> None:
        try:
            claims = decode_token(token, self.settings.jwt_key)
        except InvalidTokenError:
            return
        await self.store.tokens.revoke(claims.jti, claims.expires_at)

    async def create_admin(self, email: str, password: str, name: str = "Administrator") -> User:
        """Create an administrator, or promote an existing account and set its password."""
        _check_password(password)
        email = email.strip().lower()
        existing = await self.store.users.get_by_email(email)
        if existing is not None:
            updated = await self.store.users.update(
                existing.id,
                {"role": Role.admin, "password_hash": hash_password(password), "disabled": False},
            )
            assert updated is not None
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


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 256:
        raise Invalid("the password is too long (256 characters at most)")
