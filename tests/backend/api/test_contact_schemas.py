from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from modelgallery.api.schemas import contact as schemas
from modelgallery.api.schemas.contact import ContactIn, ContactOut
from modelgallery.store.records import ContactMessage, DeliveryState

VALID = {
    "name": "Ann Example",
    "email": "ann@example.com",
    "subject": "Hello",
    "message": "A question about the gallery.",
}


def errors(**changes: Any) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as info:
        ContactIn(**{**VALID, **changes})
    return [(str(e["loc"][0]), e["type"], e["msg"]) for e in info.value.errors()]


def test_valid_input_is_stripped_and_newlines_normalised() -> None:
    data = ContactIn(
        name="  Ann Example ",
        email=" ann@Example.COM ",
        subject="\tHello  ",
        message="\n  Line one\r\nline two\rline three  \n",
    )
    assert data.name == "Ann Example"
    assert data.email == "ann@example.com"
    assert data.subject == "Hello"
    assert data.message == "Line one\nline two\nline three"


def test_message_too_short_counts_after_stripping() -> None:
    assert errors(message="   short    ") == [
        ("message", "string_too_short", "Please write at least 10 characters.")
    ]


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("name", "   ", "string_too_short"),
        ("name", "x" * 101, "string_too_long"),
        ("subject", "", "string_too_short"),
        ("subject", "x" * 151, "string_too_long"),
        ("message", "x" * 5001, "string_too_long"),
        ("email", "a" * 245 + "@example.com", "string_too_long"),
    ],
)
def test_length_limits(field: str, value: str, kind: str) -> None:
    [(loc, error_type, _)] = errors(**{field: value})
    assert (loc, error_type) == (field, kind)


def test_limits_at_the_edges_pass() -> None:
    ContactIn(name="x" * 100, email="ann@example.com", subject="y" * 150, message="z" * 5000)
    ContactIn(name="x", email="ann@example.com", subject="y", message="z" * 10)


@pytest.mark.parametrize("email", ["not-an-address", "ann@", "ann@example", "a b@example.com"])
def test_bad_email(email: str) -> None:
    [(loc, error_type, msg)] = errors(email=email)
    assert (loc, error_type) == ("email", "email")
    assert msg.startswith("Please enter a valid e-mail address.")


@pytest.mark.parametrize("field", ["subject", "name"])
@pytest.mark.parametrize("brk", ["\r\n", "\n", "\r", "\u2028", "\x85"])
def test_header_injection_is_refused(field: str, brk: str) -> None:
    [(loc, error_type, msg)] = errors(**{field: f"Hi{brk}Bcc: victim@example.net"})
    assert (loc, error_type, msg) == (
        field,
        "single_line",
        "Please keep this on a single line.",
    )


def test_control_characters() -> None:
    assert errors(name="Ann\x00")[0][:2] == ("name", "control_characters")
    assert errors(message="Hello there\x1b[31m friend")[0][:2] == (
        "message",
        "control_characters",
    )
    assert ContactIn(**{**VALID, "message": "Col1\tCol2\nrow\tvalue"}).message == (
        "Col1\tCol2\nrow\tvalue"
    )


def test_limits_are_exported_and_in_the_json_schema() -> None:
    assert (schemas.MESSAGE_MIN_LENGTH, schemas.MESSAGE_MAX_LENGTH) == (10, 5000)
    assert (schemas.NAME_MAX_LENGTH, schemas.SUBJECT_MAX_LENGTH) == (100, 150)
    assert schemas.EMAIL_MAX_LENGTH == 254
    props = ContactIn.model_json_schema()["properties"]
    assert props["message"]["minLength"] == 10
    assert props["message"]["maxLength"] == 5000
    assert props["email"]["maxLength"] == 254


def test_contact_out_from_message() -> None:
    stored = ContactMessage(**VALID, client="203.0.113.9")
    out = ContactOut.from_message(stored)
    assert out.model_dump() == {
        "id": stored.id,
        "delivery": DeliveryState.pending,
        "created_at": stored.created_at,
    }
