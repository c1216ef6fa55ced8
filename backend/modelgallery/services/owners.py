"""Who may change an anonymous visitor's prediction. The browser that made it holds an owner
token (a cookie; API clients get it in a header and send it back); the job keeps only the
token's sha256. The link alone lets anyone view the prediction; cancelling and deleting it
need the token, or the account it moved to when the visitor signed up or logged in."""

from __future__ import annotations

import hashlib
import re
import secrets

from ..store.records import Job, Role, User

OWNER_COOKIE = "mg_owner"
OWNER_HEADER = "X-Owner-Token"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{43}")  # 32 random bytes, URL-safe base64


def new_token() -> str:
    return secrets.token_urlsafe(32)


def well_formed(token: str | None) -> str | None:
    """The token when it could be one this server made, else None (ignored, never an error:
    a stale or mangled cookie must not stop an upload)."""
    return token if token is not None and _TOKEN.fullmatch(token) else None


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def may_change(job: Job, user: User | None, owner_token: str | None) -> bool:
    """Whether this caller may cancel or delete the job: an administrator, the account it
    belongs to, or, for an anonymous job, the holder of its owner token."""
    if user is not None and (user.role == Role.admin or user.id == job.user_id):
        return True
    if job.user_id is not None or job.owner is None or owner_token is None:
        return False
    return secrets.compare_digest(digest(owner_token), job.owner)
