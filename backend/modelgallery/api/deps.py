"""Dependencies as named aliases; route handlers only declare them."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ..context import Context
from ..store.records import Role, User
from .errors import ApiError

SESSION_COOKIE = "mg_session"
_bearer = HTTPBearer(auto_error=False, description="The access token from /api/auth/login")


def _context(request: Request) -> Context:
    return request.app.state.ctx


Ctx = Annotated[Context, Depends(_context)]


def token_of(request: Request, credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """A bearer token, else the session cookie (which lets <img> and <video> load results)."""
    if credentials is not None:
        return credentials.credentials
    return request.cookies.get(SESSION_COOKIE)


async def _optional_user(
    request: Request,
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User | None:
    token = token_of(request, credentials)
    if not token:
        return None
    return await ctx.accounts.user_for_token(token)


OptionalUser = Annotated[User | None, Depends(_optional_user)]


async def _current_user(user: OptionalUser) -> User:
    if user is None:
        raise ApiError(401, "please log in first", {"WWW-Authenticate": "Bearer"})
    return user


CurrentUser = Annotated[User, Depends(_current_user)]


async def _admin_user(user: CurrentUser) -> User:
    if user.role != Role.admin:
        raise ApiError(403, "this page is for administrators only")
    return user


AdminUser = Annotated[User, Depends(_admin_user)]


def client_address(request: Request) -> str:
    # Behind nginx, uvicorn's --proxy-headers has already put the real client here.
    return request.client.host if request.client else "unknown"
