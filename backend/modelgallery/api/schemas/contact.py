"""What POST /api/contact accepts and answers. The limits are module constants so the web
UI can mirror them; the error messages are written for the people filling in the form."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import PydanticCustomError

from ...store.records import ContactMessage, DeliveryState

NAME_MIN_LENGTH = 1
NAME_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 254
SUBJECT_MIN_LENGTH = 1
SUBJECT_MAX_LENGTH = 150
MESSAGE_MIN_LENGTH = 10
MESSAGE_MAX_LENGTH = 5000

# One place for the UI (and the JSON schema) to read every limit from.
LIMITS: dict[str, dict[str, int]] = {
    "name": {"min_length": NAME_MIN_LENGTH, "max_length": NAME_MAX_LENGTH},
    "email": {"max_length": EMAIL_MAX_LENGTH},
    "subject": {"min_length": SUBJECT_MIN_LENGTH, "max_length": SUBJECT_MAX_LENGTH},
    "message": {"min_length": MESSAGE_MIN_LENGTH, "max_length": MESSAGE_MAX_LENGTH},
}

_MESSAGE_WHITESPACE = {"\n", "\t"}
# U+2028/U+2029 count as line breaks for str.splitlines(), which the e-mail package uses.
_LINE_BREAKS = {"\r", "\n", "\u2028", "\u2029", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85"}


def _schema_limits(field: str) -> dict[str, Any]:
    limits = LIMITS[field]
    schema: dict[str, Any] = {}
    if "min_length" in limits:
        schema["minLength"] = limits["min_length"]
    schema["maxLength"] = limits["max_length"]
    return schema


def _check_length(value: str, field: str) -> str:
    limits = LIMITS[field]
    low, high = limits.get("min_length", 0), limits["max_length"]
    if not value:
        raise PydanticCustomError("string_too_short", "This field is required.", limits)
    if len(value) < low:
        raise PydanticCustomError(
            "string_too_short", "Please write at least {min_length} characters.", limits
        )
    if len(value) > high:
        raise PydanticCustomError(
            "string_too_long", "Please keep this to at most {max_length} characters.", limits
        )
    return value


def _check_single_line(value: str) -> str:
    if any(ch in _LINE_BREAKS for ch in value):
        raise PydanticCustomError("single_line", "Please keep this on a single line.")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise PydanticCustomError("control_characters", "Please remove the control characters.")
    return value


class ContactIn(BaseModel):
    """A visitor's message. Surrounding whitespace is stripped before any check."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(json_schema_extra=_schema_limits("name"))
    email: EmailStr = Field(json_schema_extra=_schema_limits("email"))
    subject: str = Field(json_schema_extra=_schema_limits("subject"))
    message: str = Field(json_schema_extra=_schema_limits("message"))

    @field_validator("email", mode="wrap")
    @classmethod
    def _email(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> str:
        if isinstance(value, str):
            value = value.strip()
            if not value:
                raise PydanticCustomError("missing", "This field is required.")
            if len(value) > EMAIL_MAX_LENGTH:
                raise PydanticCustomError(
                    "string_too_long",
                    "Please keep this to at most {max_length} characters.",
                    LIMITS["email"],
                )
        try:
            address: str = handler(value)  # EmailStr validates to a plain str
        except ValidationError as exc:
            reason = (exc.errors()[0].get("ctx") or {}).get("reason")
            if reason is None:
                raise
            # pydantic's text starts "value is not a valid email address: ..." (for developers)
            raise PydanticCustomError(
                "email", "Please enter a valid e-mail address. {reason}", {"reason": str(reason)}
            ) from None
        return address

    @field_validator("name", "subject")
    @classmethod
    def _header_text(cls, value: str, info: ValidationInfo) -> str:
        # These end up in mail headers: a line break would let a visitor add headers.
        assert info.field_name is not None  # set for every field validator
        return _check_length(_check_single_line(value), info.field_name)

    @field_validator("message", mode="before")
    @classmethod
    def _normalise_newlines(cls, value: Any) -> Any:
        # Browsers submit textareas with CRLF; count and store plain newlines.
        if isinstance(value, str):
            return value.replace("\r\n", "\n").replace("\r", "\n")
        return value

    @field_validator("message")
    @classmethod
    def _body_text(cls, value: str) -> str:
        if any(unicodedata.category(ch) == "Cc" and ch not in _MESSAGE_WHITESPACE for ch in value):
            raise PydanticCustomError(
                "control_characters",
                "Please remove the control characters (only line breaks and tabs are allowed).",
            )
        return _check_length(value, "message")


class ContactOut(BaseModel):
    """The answer to a submission: enough to refer to it, nothing the visitor did not send."""

    id: str
    delivery: DeliveryState
    created_at: datetime

    @classmethod
    def from_message(cls, message: ContactMessage) -> ContactOut:
        return cls(id=message.id, delivery=message.delivery, created_at=message.created_at)
