"""The signed-in user's own account: sessions, password, e-mail address, deletion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from ..deps import SESSION_COOKIE, Accounts, AppSettings, Links, Predictions
from ..schemas import (
    AccountDeletedOut,
    AccountDeleteIn,
    EmailChangeIn,
    EmailChangeOut,
    ErrorOut,
    LinkTokenIn,
    PasswordChangeIn,
    SessionListOut,
    SessionOut,
    SignedOutOut,
    UserPublic,
    errors,
)
from ..sessions import CurrentLogin, LinkOrigin, RequestClient

router = APIRouter(
    prefix="/api/account", tags=["account"], responses=errors(400, 401, 422, 429, 503, 507)
)

WRONG_PASSWORD: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorOut, "description": "The current password is not right"}
}
LINK_REFUSED: dict[int | str, dict[str, Any]] = {
    410: {"model": ErrorOut, "description": "The link has expired, or was used already"}
}


@router.get("/sessions", response_model=SessionListOut)
async def sessions(login: CurrentLogin, accounts: Accounts) -> SessionListOut:
    """Every session of this account (one per log-in), newest first; `current` marks the
    one this request was made with."""
    found = await accounts.sessions(login)
    data = [SessionOut.of(s, login.session.id) for s in found]
    return SessionListOut(data=data, count=len(data))


@router.delete("/sessions/{session_id}", status_code=204, responses=errors(404))
async def end_session(session_id: str, login: CurrentLogin, accounts: Accounts) -> Response:
    """Sign one session out: its token stops working at once. Ending the current one is
    logging out."""
    await accounts.end_session(login, session_id)
    response = Response(status_code=204)
    if session_id == login.session.id:
        response.delete_cookie(SESSION_COOKIE, path="/api")
    return response


@router.post("/sign-out-others", response_model=SignedOutOut)
async def sign_out_others(login: CurrentLogin, accounts: Accounts) -> SignedOutOut:
    """Sign out every session of this account but the current one. (Not under
    `/sessions/`, where it would read as a session's id.)"""
    return SignedOutOut(signed_out=await accounts.end_other_sessions(login))


@router.post("/password", response_model=SignedOutOut, responses=WRONG_PASSWORD)
async def change_password(
    body: PasswordChangeIn, login: CurrentLogin, client: RequestClient, accounts: Accounts
) -> SignedOutOut:
    """Set a new password, given the current one (wrong ones count with the failed
    log-ins: 429). Every other session is signed out; this one stays."""
    ended = await accounts.change_password(login, body.current_password, body.new_password, client)
    return SignedOutOut(signed_out=ended)


@router.post(
    "/email",
    response_model=EmailChangeOut,
    status_code=202,
    responses={**WRONG_PASSWORD, **errors(409)},
)
async def change_email(
    body: EmailChangeIn,
    login: CurrentLogin,
    client: RequestClient,
    accounts: Accounts,
    settings: AppSettings,
    origin: LinkOrigin,
) -> EmailChangeOut:
    """Mail a link to the new address; the address changes when it is opened
    (`/api/account/email/confirm`). 409 when the address is taken, or when this server
    sends no mail."""
    email = await accounts.request_email_change(
        login, str(body.new_email), body.current_password, client, origin
    )
    hours = settings.email_confirm_minutes / 60
    return EmailChangeOut(
        detail=f"A link to confirm the new address was sent to {email}; the address changes "
        f"once it is opened (within {hours:g} hours).",
        email=email,
    )


@router.post(
    "/email/confirm",
    response_model=UserPublic,
    responses={**LINK_REFUSED, **errors(409)},
)
async def confirm_email(body: LinkTokenIn, links: Links) -> UserPublic:
    """Change the address to the one the link was sent to (no log-in needed: the link is
    the proof). 409 when another account took it meanwhile."""
    return UserPublic.of(await links.confirm_email_change(body.token))


@router.delete("", response_model=AccountDeletedOut, responses={**WRONG_PASSWORD, **errors(409)})
async def delete_account(
    body: AccountDeleteIn,
    response: Response,
    login: CurrentLogin,
    client: RequestClient,
    accounts: Accounts,
    predictions: Predictions,
) -> AccountDeletedOut:
    """Delete this account with all its predictions and their files, given the password;
    every session ends. The only administrator cannot (409)."""
    deleted = await accounts.delete_account(
        login, body.current_password, client, predictions.delete_mine
    )
    response.delete_cookie(SESSION_COOKIE, path="/api")
    return AccountDeletedOut(predictions_deleted=deleted)
