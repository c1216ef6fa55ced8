from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from ..deps import SESSION_COOKIE, Ctx, CurrentUser, _bearer, client_address, token_of
from ..schemas import LoginIn, SignupIn, TokenOut, UserPublic, errors

router = APIRouter(prefix="/api/auth", tags=["auth"], responses=errors(401, 409, 422, 429))


def _session(ctx, response: Response, user, token: str) -> TokenOut:
    minutes = ctx.settings.access_token_minutes
    # The cookie lets the browser load result images and videos; SameSite=Strict keeps
    # other sites from riding on it.
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=minutes * 60,
        httponly=True,
        samesite="strict",
        secure=ctx.settings.secure_cookies,
        path="/api",
    )
    return TokenOut(access_token=token, expires_in=minutes * 60, user=UserPublic.of(user))


@router.post("/signup", response_model=TokenOut, status_code=201)
async def signup(body: SignupIn, response: Response, ctx: Ctx) -> TokenOut:
    """Create an account (role `user`) and log in."""
    user, token = await ctx.accounts.signup(str(body.email), body.password, body.name)
    return _session(ctx, response, user, token)


@router.post("/login", response_model=TokenOut)
async def login(body: LoginIn, request: Request, response: Response, ctx: Ctx) -> TokenOut:
    """Log in with e-mail and password; repeated failures are slowed down (429)."""
    user, token = await ctx.accounts.login(body.email, body.password, client_address(request))
    return _session(ctx, response, user, token)


@router.post("/logout", status_code=204)
async def logout(
    request: Request,
    ctx: Ctx,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Response:
    """End this session: the token stops working at once."""
    token = token_of(request, credentials)
    if token:
        await ctx.accounts.logout(token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/api")
    return response


@router.get("/me", response_model=UserPublic)
async def me(user: CurrentUser) -> UserPublic:
    return UserPublic.of(user)
