from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ...core.settings import Settings
from ...services import owners
from ...services.errors import NotAuthenticated
from ...services.predictions import PredictionService
from ...store.records import User
from ..deps import (
    SESSION_COOKIE,
    Accounts,
    AppSettings,
    Bearer,
    ClientAddress,
    CurrentUser,
    Links,
    Owner,
    Predictions,
    token_of,
)
from ..schemas import (
    LoginIn,
    PasswordResetConfirmIn,
    PasswordResetIn,
    PasswordResetOut,
    SignedInOut,
    SignupIn,
    TokenOut,
    UserPublic,
    errors,
)
from ..sessions import LinkOrigin, RequestClient
from .account import LINK_REFUSED

router = APIRouter(
    prefix="/api/auth", tags=["auth"], responses=errors(400, 401, 409, 422, 429, 503, 507)
)


async def _adopt(
    predictions: PredictionService, owner: str | None, user: User, response: Response
) -> None:
    """The visitor's anonymous predictions join the account; the browser's owner token
    goes, so that whoever uses it next as a visitor starts with a new one."""
    if owner is not None:
        await predictions.adopt(owner, user)
        response.delete_cookie(owners.OWNER_COOKIE, path="/api")


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
    body: SignupIn,
    response: Response,
    client: RequestClient,
    accounts: Accounts,
    settings: AppSettings,
    predictions: Predictions,
    owner: Owner,
) -> TokenOut:
    """Create an account (role `user`) and log in. The predictions the browser made as a
    visitor (its owner token) join the account's history."""
    user, token = await accounts.signup(str(body.email), body.password, body.name, client)
    await _adopt(predictions, owner, user, response)
    return _session(settings, response, user, token)


@router.post("/login", response_model=TokenOut)
async def login(
    body: LoginIn,
    response: Response,
    client: RequestClient,
    accounts: Accounts,
    settings: AppSettings,
    predictions: Predictions,
    owner: Owner,
) -> TokenOut:
    """Log in with e-mail and password; repeated failures are slowed down (429). Each
    log-in is a session of its own (`/api/account/sessions`). The predictions the browser
    made as a visitor join the account's history."""
    user, token = await accounts.login(body.email, body.password, client)
    await _adopt(predictions, owner, user, response)
    return _session(settings, response, user, token)


@router.post("/logout", status_code=204)
async def logout(request: Request, accounts: Accounts, credentials: Bearer) -> Response:
    """End this session: the token stops working at once, on every replica."""
    token = token_of(request, credentials)
    if token:
        await accounts.logout(token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/api")
    return response


@router.get("/session", response_model=SignedInOut)
async def session(
    request: Request, response: Response, accounts: Accounts, credentials: Bearer
) -> SignedInOut:
    """Who is signed in on this browser: the user, or null for a visitor or an ended
    session (whose cookie goes). Never 401, so that pages can ask without an error."""
    token = token_of(request, credentials)
    if token:
        try:
            return SignedInOut(user=UserPublic.of(await accounts.user_for_token(token)))
        except NotAuthenticated:
            response.delete_cookie(SESSION_COOKIE, path="/api")
    return SignedInOut(user=None)


@router.get("/me", response_model=UserPublic)
async def me(user: CurrentUser) -> UserPublic:
    return UserPublic.of(user)


@router.post("/password-reset", response_model=PasswordResetOut, status_code=202)
async def password_reset(
    body: PasswordResetIn,
    client: ClientAddress,
    links: Links,
    settings: AppSettings,
    origin: LinkOrigin,
) -> PasswordResetOut:
    """Mail a link to set a new password. The answer is the same whether or not an account
    uses the address; asking is limited per address and per client (429)."""
    mail = await links.request_reset(body.email, client, origin)
    minutes = settings.password_reset_minutes
    if not mail:
        return PasswordResetOut(
            detail="This server does not send password-reset links by e-mail; ask an "
            "administrator for a link to set a new password.",
            mail=False,
        )
    return PasswordResetOut(
        detail=f"If an account uses this address, a link to set a new password is on its "
        f"way. It works once, for {minutes} minutes.",
        mail=True,
    )


@router.post("/password-reset/confirm", status_code=204, responses=LINK_REFUSED)
async def password_reset_confirm(body: PasswordResetConfirmIn, links: Links) -> Response:
    """Set the password a reset link was sent for; every session of the account ends. A
    link works once, until it expires (410), and only as sent (422)."""
    await links.confirm_reset(body.token, body.new_password)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/api")
    return response
