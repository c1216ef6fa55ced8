"""Sign-up, log-in and the accounts administrators manage."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, EmailStr, Field, StrictBool

from ...store.records import Role, User


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


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    user: UserPublic


class UserUpdateIn(BaseModel):
    role: Role | None = None
    disabled: StrictBool | None = None
