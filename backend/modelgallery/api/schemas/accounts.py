"""Sign-up, log-in, the account page (sessions, password, e-mail, deletion), password
resets, and the accounts administrators manage."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, EmailStr, Field, StrictBool

from ...store.records import Role, Session, User


class SignupIn(BaseModel):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=1, max_length=256)
    name: str = Field("", max_length=100)


class LoginIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(max_length=256)


class UserPublic(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    created_at: datetime
    last_login_at: datetime | None = None
    disabled: bool = False

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls.model_validate(user.model_dump(exclude={"password_hash"}))


class SignedInOut(BaseModel):
    user: UserPublic | None = Field(description="Who is signed in; null for a visitor")


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserPublic


class UserUpdateIn(BaseModel):
    role: Role | None = None
    disabled: StrictBool | None = None


# --- sessions and the account page ------------------------------------------------------


class SessionOut(BaseModel):
    id: str
    created_at: datetime
    expires_at: datetime
    last_seen_at: datetime | None = None
    user_agent: str | None = None
    client: str | None = None
    current: bool = Field(description="The session this request was made with.")

    @classmethod
    def of(cls, session: Session, current_id: str) -> SessionOut:
        return cls.model_validate({**session.model_dump(), "current": session.id == current_id})


class SessionListOut(BaseModel):
    data: list[SessionOut]
    count: int


class SignedOutOut(BaseModel):
    signed_out: int = Field(description="How many other sessions ended.")


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class EmailChangeIn(BaseModel):
    new_email: EmailStr = Field(max_length=254)
    current_password: str = Field(max_length=256)


class EmailChangeOut(BaseModel):
    detail: str
    email: str = Field(description="The new address, which must be confirmed by its link.")


class LinkTokenIn(BaseModel):
    token: str = Field(min_length=1, max_length=2048)


class AccountDeleteIn(BaseModel):
    current_password: str = Field(max_length=256)


class AccountDeletedOut(BaseModel):
    predictions_deleted: int


# --- password reset ---------------------------------------------------------------------


class PasswordResetIn(BaseModel):
    email: str = Field(max_length=254)


class PasswordResetOut(BaseModel):
    detail: str
    mail: bool = Field(description="Whether this server sends mail at all.")


class PasswordResetConfirmIn(BaseModel):
    token: str = Field(min_length=1, max_length=2048)
    new_password: str = Field(max_length=256)


class AdminResetOut(BaseModel):
    mailed: bool
    expires_at: datetime
    link: str | None = Field(
        None, description="The one-time link to pass on, when it was not mailed."
    )
    detail: str
