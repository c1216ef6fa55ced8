"""Passwords (Argon2 through pwdlib), access tokens (JWT) and throttles (limits)."""

from __future__ import annotations

import hashlib
import math
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from limits import parse
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from .redis_conn import limits_storage
from .settings import Settings
from .shared import REDIS_ERRORS, SharedStateUnavailable

_hasher = PasswordHash((Argon2Hasher(),))
# Verifying against this when the e-mail is unknown keeps login time the same either way.
_DUMMY_HASH = _hasher.hash(uuid.uuid4().hex)
_ALGORITHM = "HS256"

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, hashed: str | None) -> tuple[bool, str | None]:
    """(matches, a new hash when the stored one uses outdated parameters)."""
    if hashed is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False, None
    return _hasher.verify_and_update(password, hashed)


class InvalidTokenError(Exception):
    pass


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    jti: str
    expires_at: datetime


def create_token(user_id: str, key: str, minutes: int) -> tuple[str, TokenClaims]:
    expires = datetime.now(UTC) + timedelta(minutes=minutes)
    claims = TokenClaims(user_id=user_id, jti=uuid.uuid4().hex, expires_at=expires)
    token = jwt.encode(
        {"sub": user_id, "jti": claims.jti, "exp": expires, "iat": datetime.now(UTC)},
        key,
        algorithm=_ALGORITHM,
    )
    return token, claims


def decode_token(token: str, key: str) -> TokenClaims:
    try:
        payload = jwt.decode(
            token, key, algorithms=[_ALGORITHM], options={"require": ["sub", "jti", "exp"]}
        )
    except jwt.ExpiredSignatureError:
        raise InvalidTokenError("your session has expired; please log in again") from None
    except jwt.PyJWTError:
        raise InvalidTokenError("invalid access token") from None
    return TokenClaims(
        user_id=payload["sub"],
        jti=payload["jti"],
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
    )


class ExpiredLinkError(InvalidTokenError):
    pass


def create_link_token(
    purpose: str, subject: str, claims: dict[str, str], key: str, minutes: float
) -> tuple[str, datetime]:
    """A signed token for a link sent by e-mail (a password reset, an address to confirm):
    `purpose` is its audience, so it is never taken for an access token or another link's
    token, nor an access token for it. Returns the token and when it expires."""
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=minutes)
    payload = {"sub": subject, "aud": purpose, "exp": expires, "iat": now, **claims}
    return jwt.encode(payload, key, algorithm=_ALGORITHM), expires


def decode_link_token(token: str, purpose: str, key: str) -> dict[str, Any]:
    """The claims of a link's token; ExpiredLinkError or InvalidTokenError otherwise."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[_ALGORITHM],
            audience=purpose,
            options={"require": ["sub", "aud", "exp"]},
        )
    except jwt.ExpiredSignatureError:
        raise ExpiredLinkError("this link has expired") from None
    except jwt.PyJWTError:
        raise InvalidTokenError("this link is not valid") from None
    return claims


def fingerprint(value: str) -> str:
    """A short digest of a value a link's token must still find unchanged when it is used
    (the password hash: a reset link works once, and not after another change)."""
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def throttle_storage(settings: Settings) -> Storage:
    """Where throttles count: in this process's memory, or in Redis (REDIS_URL) so that
    every API replica counts against the same limits. The Redis calls are short blocking
    calls on the event loop (redis-py's sync client); the timeouts bound them when Redis
    is unreachable."""
    target = settings.redis_target()
    if target is None:
        return MemoryStorage()
    uri, options = limits_storage(
        target, socket_connect_timeout=2.0, socket_timeout=2.0, key_prefix="mg:limits"
    )
    storage = storage_from_string(uri, **options)
    assert isinstance(storage, Storage)  # redis:// gives the synchronous storage
    return storage


class Throttle:
    """A moving-window limit per key, e.g. "10/15 minutes", counted in `storage` (see
    `throttle_storage`; each throttle has its own by default). `name` keeps the counts of
    throttles sharing a storage apart."""

    def __init__(
        self, name: str, rate: str, storage: Storage | None = None, what: str = "this request"
    ) -> None:
        self._name = name
        self._what = what  # what cannot be checked without the count, for people
        self._item = parse(rate)
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())

    def blocked_for(self, *key: str, cost: int = 1) -> int:
        """0 when `cost` more is allowed, else the seconds until the window's oldest hit
        leaves it (a hint: more may have to leave for a large cost). Raises
        SharedStateUnavailable when the count is in Redis and Redis is away, as do the
        other methods."""
        with self._shared():
            if self._limiter.test(self._item, self._name, *key, cost=cost):
                return 0
            reset, _ = self._limiter.get_window_stats(self._item, self._name, *key)
        return max(1, math.ceil(reset - time.time()))

    def hit(self, *key: str, cost: int = 1) -> None:
        with self._shared():
            self._limiter.hit(self._item, self._name, *key, cost=cost)

    def clear(self, *key: str) -> None:
        with self._shared():
            self._limiter.clear(self._item, self._name, *key)

    @contextmanager
    def _shared(self) -> Iterator[None]:
        try:
            yield
        except REDIS_ERRORS as exc:
            raise SharedStateUnavailable(f"{self._what} cannot be checked") from exc
