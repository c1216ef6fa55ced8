"""Links sent by mail: one to set a new password (asked for on the log-in page, or sent by
an administrator), one to confirm a new e-mail address.

Each link carries a signed token (`core/security.create_link_token`) that expires and names
what it is for. It also carries a fingerprint of what it changes, as it was when the link
was made: the password hash for a reset, the address for a new address. Using the link
changes that value in one conditional update (`UserRepo.update(..., only_if=...)`), so the
fingerprint no longer matches and the link works once, on every API replica at the same
time, with nothing to remember beside the user's record; a later password change also ends
every reset link sent before it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from limits.storage import Storage

from ..contact.mailer import DeliveryError
from ..core.security import (
    MIN_PASSWORD_LENGTH,
    ExpiredLinkError,
    InvalidTokenError,
    Throttle,
    create_link_token,
    decode_link_token,
    fingerprint,
    hash_password,
)
from ..core.settings import Settings
from ..store.base import DuplicateError, Store
from ..store.records import User
from .account_mail import AccountMail
from .errors import Conflict, Gone, Invalid, TooManyRequests

RESET = "password-reset"
NEW_EMAIL = "email-change"
RESET_PATH = "/reset-password"
NEW_EMAIL_PATH = "/confirm-email"
_USED_RESET = (
    "this link was used already, or the password has changed since it was sent; ask for a new one"
)
_USED_EMAIL = "this link was used already, or the address has changed since it was sent"
_TAKEN = "an account with this e-mail already exists"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResetLink:
    """What an administrator's reset did: mailed, or the link to pass on (with why)."""

    mailed: bool
    expires_at: datetime
    link: str | None = None  # only when it was not mailed
    error: str | None = None  # why the mail failed, when it did


class AccountLinks:
    def __init__(
        self, settings: Settings, store: Store, mail: AccountMail, limits: Storage | None
    ) -> None:
        self.settings = settings
        self.store = store
        self.mail = mail
        per_hour = settings.password_resets_per_hour
        self._per_address = Throttle(
            "reset-address", f"{per_hour}/hour", limits, what="the limit on reset links"
        )
        # Every link asked for from one client, either kind: nobody floods mailboxes.
        self._per_client = Throttle(
            "account-mail-client", f"{per_hour * 5}/hour", limits, what="the limit on mails"
        )

    @property
    def sends_mail(self) -> bool:
        """Whether this server can mail a link at all."""
        return self.mail.configured

    # --- a new password --------------------------------------------------------------------

    async def request_reset(self, email: str, client: str, origin: str) -> bool:
        """Mail a reset link when the address has an active account; the caller cannot tell
        whether it has. False when no mail server or no PUBLIC_URL is configured (nothing is
        ever sent)."""
        email = email.strip().lower()
        for throttle, key in ((self._per_address, email), (self._per_client, client)):
            wait = throttle.blocked_for(key)
            if wait:
                raise TooManyRequests(
                    f"several reset links were asked for already; try again in "
                    f"{wait // 60 + 1} minutes",
                    retry_after_s=wait,
                )
        self._per_address.hit(email)
        self._per_client.hit(client)
        if not self.mail.configured:
            return False
        if not self.settings.public_url:
            # Anyone may ask for a link to anyone's address: its site must not come from
            # the request (a forged Origin or Host would send the victim's token elsewhere).
            log.warning("a password-reset link was asked for, but PUBLIC_URL is not set")
            return False
        user = await self.store.users.get_by_email(email)
        if user is not None and not user.disabled:
            link, expires = self._reset_link(user, origin)
            self.mail.send_later(self.mail.password_reset(user.email, link, expires))
        return True

    async def send_reset_now(self, user: User, origin: str) -> ResetLink:
        link, expires = self._reset_link(user, origin)
        if not self.mail.configured:
            return ResetLink(mailed=False, expires_at=expires, link=link)
        try:
            await self.mail.send(self.mail.password_reset(user.email, link, expires))
        except DeliveryError as exc:
            return ResetLink(mailed=False, expires_at=expires, link=link, error=str(exc))
        return ResetLink(mailed=True, expires_at=expires)

    async def confirm_reset(self, token: str, new_password: str) -> User:
        """Set the password a link was sent for; every session of the account ends."""
        check_new_password(new_password)
        claims = self._read(token, RESET)
        user = await self.store.users.get(str(claims["sub"]))
        if user is None or claims.get("pw") != fingerprint(user.password_hash):
            raise Gone(_USED_RESET)
        changed = await self.store.users.update(
            user.id,
            {"password_hash": hash_password(new_password)},
            only_if={"password_hash": user.password_hash},
        )
        if changed is None:  # another request used the same link a moment ago
            raise Gone(_USED_RESET)
        await self.store.sessions.delete_user(user.id)
        return changed

    def _reset_link(self, user: User, origin: str) -> tuple[str, datetime]:
        token, expires = create_link_token(
            RESET,
            user.id,
            {"pw": fingerprint(user.password_hash)},
            self.settings.jwt_key,
            self.settings.password_reset_minutes,
        )
        return f"{self._base(origin)}{RESET_PATH}?token={token}", expires

    # --- a new e-mail address --------------------------------------------------------------

    async def send_email_change(self, user: User, new_email: str, client: str, origin: str) -> str:
        new_email = new_email.strip().lower()
        if new_email == user.email:
            raise Invalid("this is your e-mail address already")
        if await self.store.users.get_by_email(new_email) is not None:
            raise Conflict(_TAKEN)
        wait = self._per_client.blocked_for(client)
        if wait:
            raise TooManyRequests(
                f"several mails were sent already; try again in {wait // 60 + 1} minutes",
                retry_after_s=wait,
            )
        self._per_client.hit(client)
        token, expires = create_link_token(
            NEW_EMAIL,
            user.id,
            {"email": new_email, "was": fingerprint(user.email)},
            self.settings.jwt_key,
            self.settings.email_confirm_minutes,
        )
        link = f"{self._base(origin)}{NEW_EMAIL_PATH}?token={token}"
        self.mail.send_later(self.mail.email_change(new_email, link, expires))
        return new_email

    async def confirm_email_change(self, token: str) -> User:
        claims = self._read(token, NEW_EMAIL)
        user = await self.store.users.get(str(claims["sub"]))
        if user is None or claims.get("was") != fingerprint(user.email):
            raise Gone(_USED_EMAIL)
        try:
            changed = await self.store.users.update(
                user.id, {"email": str(claims["email"])}, only_if={"email": user.email}
            )
        except DuplicateError:
            raise Conflict(f"{_TAKEN} now; ask for a link to another address") from None
        if changed is None:
            raise Gone(_USED_EMAIL)
        # The dashboard filters predictions by the address they were made with.
        await self.store.jobs.set_user_email(user.id, changed.email)
        self.mail.send_later(self.mail.email_changed(user.email, changed.email))
        return changed

    # --- both ------------------------------------------------------------------------------

    def _read(self, token: str, purpose: str) -> dict[str, Any]:
        try:
            return decode_link_token(token, purpose, self.settings.jwt_key)
        except ExpiredLinkError:
            raise Gone("this link has expired; ask for a new one") from None
        except InvalidTokenError:
            raise Invalid(
                "this link is not valid (was it copied whole?); ask for a new one"
            ) from None

    def _base(self, origin: str) -> str:
        return (self.settings.public_url or origin).rstrip("/")


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 256:
        raise Invalid("the password is too long (256 characters at most)")
