from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ...core.settings import Settings
from ...store.records import User
from ..deps import (
    SESSION_COOKIE,
    Accounts,
    AppSettings,
    Bearer,
    ClientAddress,
    CurrentUser,
    token_of,
)
from ..schemas import LoginIn, SignupIn, TokenOut, UserPublic, errors

router = APIRouter(
    prefix="/api/auth", tags=["auth"], responses=errors(400, 401, 409, 422, 429, 503, 507)
)


def _session(settings: Settings, response: Response, user: User, token: str) -> TokenOut:
    minutes = settings.access_token_minutes
    # The cookie lets the browser load result images and videos; SameSite=Strict keeps
    # other sites from riding on it.
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=minutes * 60,
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/api",
    )
    return TokenOut(access_token=token, expires_in=minutes * 60, user=UserPublic.of(user))


@router.post("/signup", response_model=TokenOut, status_code=201)
async def signup(
    body: SignupIn, response: Response, accounts: Accounts, settings: AppSettings
) -> TokenOut:
    """Create an account (role `user`) and log in."""
    user, token = await accounts.signup(str(body.email), body.password, body.name)
    return _session(settings, response, user, token)


@router.post("/login", response_model=TokenOut)
async def login(
    body: LoginIn,
    response: Response,
    client: ClientAddress,
    accounts: Accounts,
    settings: AppSettings,
) -> TokenOut:
    """Log in with e-mail and password; repeated failures are slowed down (429)."""
    user, token = await accounts.login(body.email, body.password, client)
    return _session(settings, response, user, token)


@router.post("/logout", status_code=204)
async def logout(request: Request, accounts: Accounts, credentials: Bearer) -> Response:
    """End this session: the token stops working at once."""
    token = token_of(request, credentials)
    if token:
        await accounts.logout(token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/api")
    return response


@router.get("/me", response_model=UserPublic)
async def me(user: CurrentUser) -> UserPublic:
    return UserPublic.of(user)
