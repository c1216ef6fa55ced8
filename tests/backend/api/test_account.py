"""The account page's API through the real server, on SQLite and on MongoDB, with a real SMTP
server receiving the mails: sessions (listed, signed out one by one or all but this one),
changing the password, resetting it by a mailed link (asked for, or sent by an
administrator), changing the e-mail address, deleting the account; and a server without mail,
where the administrator hands the link out."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from aiosmtpd.controller import Controller

from tests.backend.contact.conftest import Recorder, SmtpServer, free_port
from tests.conftest import BACKENDS, backend_env, login
from tests.support.jobs import submit
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, BackendServer

PASSWORD = "a long password"
SITE = "https://gallery.test"
ENDED = "this session has ended; please log in again"
# Failed password checks count per (client, e-mail), and 5x this per client: every test
# here is one client, so the whole module stays under 5 x 4 = 20 wrong passwords.
ATTEMPTS = 4


@pytest.fixture(scope="module")
def mailbox() -> Iterator[SmtpServer]:
    """A plain SMTP server for the whole module (the contact tests' recorder)."""
    port = free_port()
    controller = Controller(Recorder(), hostname="127.0.0.1", port=port)
    controller.start()
    server = SmtpServer(controller, controller.handler, port)
    yield server
    server.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def mailing(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, mailbox: SmtpServer
) -> Iterator[BackendServer]:
    env = {
        **backend_env(request.param, request),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port),
        "SMTP_SECURITY": "none",
        "SMTP_FROM": "Model Gallery <gallery@example.org>",
        "PUBLIC_URL": SITE,
        "LOGIN_ATTEMPTS_PER_15MIN": str(ATTEMPTS),
        "WORKER_GROUPS": '{"toy": 1, "toyq": 1}',
    }
    with BackendServer(tmp_path_factory.mktemp(f"account-{request.param}"), env) as running:
        yield running


@pytest.fixture
def http(mailing: BackendServer) -> Iterator[httpx.Client]:
    with mailing.client() as client:
        yield client


def _email(prefix: str = "acct") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.org"


def _bearer(token: str, agent: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if agent:
        headers["User-Agent"] = agent
    return headers


def _signup(http: httpx.Client, email: str, agent: str = "Agent A") -> str:
    response = http.post(
        "/api/auth/signup",
        json={"email": email, "password": PASSWORD, "name": "Ada"},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 201, response.text
    http.cookies.clear()
    return response.json()["access_token"]


def _login(http: httpx.Client, email: str, password: str = PASSWORD, agent: str = "x") -> str:
    response = http.post(
        "/api/auth/login",
        json={"email": email, "password": password},
        headers={"User-Agent": agent},
    )
    assert response.status_code == 200, response.text
    http.cookies.clear()
    return response.json()["access_token"]


def _me(http: httpx.Client, token: str) -> httpx.Response:
    return http.get("/api/auth/me", headers=_bearer(token))


def _mail_to(mailbox: SmtpServer, address: str, after: int = 0, timeout_s: float = 30) -> str:
    """The body of the first mail to `address` past the first `after` ones to it."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = [r for r in mailbox.received if address in r.rcpt_tos]
        if len(found) > after:
            return found[after].mail.get_body().get_content()
        time.sleep(0.05)
    raise AssertionError(f"no mail to {address} within {timeout_s} s")


def _token_in(body: str, path: str) -> str:
    match = re.search(rf"{re.escape(SITE + path)}\?token=(\S+)", body)
    assert match, body
    return match.group(1)


# --- sessions -----------------------------------------------------------------------------


def test_sessions_are_listed_and_signed_out(http: httpx.Client) -> None:
    email = _email("sessions")
    first = _signup(http, email, agent="Agent A")
    second = _login(http, email, agent="Agent B")
    third = _login(http, email, agent="Agent C")

    listed = http.get("/api/account/sessions", headers=_bearer(first))
    assert listed.status_code == 200, listed.text
    sessions = listed.json()["data"]
    assert listed.json()["count"] == 3
    assert [s["user_agent"] for s in sessions] == ["Agent C", "Agent B", "Agent A"]
    assert [s["current"] for s in sessions] == [False, False, True]
    assert {s["client"] for s in sessions} == {"127.0.0.1"}
    assert sessions[2]["last_seen_at"] is not None
    by_agent = {s["user_agent"]: s["id"] for s in sessions}

    # One session, signed out from another: its token stops working at once.
    ended = http.delete(f"/api/account/sessions/{by_agent['Agent B']}", headers=_bearer(first))
    assert ended.status_code == 204
    refused = _me(http, second)
    assert (refused.status_code, refused.json()["detail"]) == (401, ENDED)
    again = http.delete(f"/api/account/sessions/{by_agent['Agent B']}", headers=_bearer(first))
    assert again.status_code == 404
    # Nobody ends another account's sessions (the same 404).
    stranger = _signup(http, _email("stranger"))
    other = http.delete(f"/api/account/sessions/{by_agent['Agent C']}", headers=_bearer(stranger))
    assert other.status_code == 404
    assert _me(http, third).status_code == 200

    others = http.post("/api/account/sign-out-others", headers=_bearer(first))
    assert others.json() == {"signed_out": 1}
    assert _me(http, third).status_code == 401
    assert _me(http, first).status_code == 200
    assert http.get("/api/account/sessions", headers=_bearer(first)).json()["count"] == 1

    # Signing out the current session is logging out: the cookie goes too.
    http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    cookie_session = next(
        s["id"] for s in http.get("/api/account/sessions").json()["data"] if s["current"]
    )
    out = http.delete(f"/api/account/sessions/{cookie_session}")
    assert out.status_code == 204
    assert http.cookies.get("mg_session") is None
    assert http.get("/api/account/sessions").status_code == 401


# --- the password -------------------------------------------------------------------------


def test_change_password_keeps_this_session_and_ends_the_others(http: httpx.Client) -> None:
    email = _email("password")
    this = _signup(http, email)
    other = _login(http, email)

    wrong = http.post(
        "/api/account/password",
        json={"current_password": "not the password", "new_password": "a new long password"},
        headers=_bearer(this),
    )
    assert wrong.status_code == 403
    assert wrong.json()["detail"] == "the current password is not right"
    short = http.post(
        "/api/account/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=_bearer(this),
    )
    assert (short.status_code, short.json()["detail"]) == (
        422,
        "the password needs at least 10 characters",
    )

    changed = http.post(
        "/api/account/password",
        json={"current_password": PASSWORD, "new_password": "a new long password"},
        headers=_bearer(this),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"signed_out": 1}
    assert _me(http, this).status_code == 200
    assert _me(http, other).status_code == 401
    refused = http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert refused.status_code == 401
    _login(http, email, "a new long password")

    # Wrong current passwords count with the failed log-ins (which the log-in above
    # cleared): past the limit even the right one is refused for a while.
    for attempt in range(ATTEMPTS):
        response = http.post(
            "/api/account/password",
            json={"current_password": f"wrong {attempt}", "new_password": "another password"},
            headers=_bearer(this),
        )
        assert response.status_code == 403, response.text
    blocked = http.post(
        "/api/account/password",
        json={"current_password": "a new long password", "new_password": "another password"},
        headers=_bearer(this),
    )
    assert blocked.status_code == 429
    assert blocked.json()["detail"].startswith("too many wrong passwords; try again in ")
    assert int(blocked.headers["retry-after"]) > 0


def test_password_reset_by_mail(
    http: httpx.Client, mailbox: SmtpServer, mailing: BackendServer
) -> None:
    email = _email("reset")
    before = _signup(http, email)
    asked = http.post("/api/auth/password-reset", json={"email": email.upper()})
    unknown = http.post("/api/auth/password-reset", json={"email": _email("nobody")})
    # The same answer whether or not an account uses the address.
    assert (asked.status_code, unknown.status_code) == (202, 202)
    assert asked.json() == unknown.json()
    assert asked.json()["mail"] is True
    body = _mail_to(mailbox, email)
    assert "It works once, until " in body
    token = _token_in(body, "/reset-password")

    short = http.post(
        "/api/auth/password-reset/confirm", json={"token": token, "new_password": "x"}
    )
    assert short.status_code == 422
    done = http.post(
        "/api/auth/password-reset/confirm",
        json={"token": token, "new_password": "a reset long password"},
    )
    assert done.status_code == 204, done.text
    assert _me(http, before).status_code == 401  # every session ended
    _login(http, email, "a reset long password")

    used = http.post(
        "/api/auth/password-reset/confirm",
        json={"token": token, "new_password": "yet another password"},
    )
    assert used.status_code == 410
    assert used.json()["detail"].startswith("this link was used already")

    key = (mailing.data_dir / "secret.key").read_text().strip()
    claims = jwt.decode(token, key, algorithms=["HS256"], audience="password-reset")
    expired = jwt.encode(
        {**claims, "exp": datetime.now(UTC) - timedelta(minutes=1)}, key, algorithm="HS256"
    )
    forged = jwt.encode(claims, "a-wrong-key-" * 4, algorithm="HS256")
    for bad, status, detail in (
        (expired, 410, "this link has expired; ask for a new one"),
        (forged, 422, "this link is not valid"),
        (before, 422, "this link is not valid"),  # an access token is no reset token
    ):
        refused = http.post(
            "/api/auth/password-reset/confirm",
            json={"token": bad, "new_password": "yet another password"},
        )
        assert refused.status_code == status, refused.text
        assert refused.json()["detail"].startswith(detail)

    # Asking is limited per address (3 an hour), known or not.
    nobody = _email("nobody")
    for _ in range(3):
        assert http.post("/api/auth/password-reset", json={"email": nobody}).status_code == 202
    throttled = http.post("/api/auth/password-reset", json={"email": nobody})
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0


def test_administrator_mails_a_reset_link(http: httpx.Client, mailbox: SmtpServer) -> None:
    email = _email("helped")
    user_token = _signup(http, email)
    user_id = _me(http, user_token).json()["id"]
    admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)

    path = f"/api/admin/users/{user_id}/password-reset"
    assert http.post(path, headers=_bearer(user_token)).status_code == 403
    assert http.post("/api/admin/users/nobody/password-reset", headers=admin).status_code == 404
    sent = http.post(path, headers=admin)
    assert sent.status_code == 200, sent.text
    assert sent.json()["mailed"] is True and sent.json()["link"] is None
    token = _token_in(_mail_to(mailbox, email), "/reset-password")
    done = http.post(
        "/api/auth/password-reset/confirm", json={"token": token, "new_password": "set by a link"}
    )
    assert done.status_code == 204
    _login(http, email, "set by a link")

    audit = http.get("/api/admin/audit", params={"action": "user.password_reset"}, headers=admin)
    entry = next(e for e in audit.json()["data"] if e["target"] == user_id)
    assert entry["actor_email"] == ADMIN_EMAIL
    assert entry["details"] == {"email": email, "mailed": True}


# --- the e-mail address -------------------------------------------------------------------


def test_change_email_after_confirming_it(http: httpx.Client, mailbox: SmtpServer) -> None:
    email, new = _email("old"), _email("new")
    token = _signup(http, email)
    taken = _email("taken")
    _signup(http, taken)

    def ask(address: str, password: str = PASSWORD) -> httpx.Response:
        return http.post(
            "/api/account/email",
            json={"new_email": address, "current_password": password},
            headers=_bearer(token),
        )

    assert ask(new, "not the password").status_code == 403
    assert ask(taken.upper()).status_code == 409
    assert ask(email).status_code == 422
    asked = ask(new.upper())
    assert asked.status_code == 202, asked.text
    assert asked.json()["email"] == new
    link = _token_in(_mail_to(mailbox, new), "/confirm-email")
    assert _me(http, token).json()["email"] == email  # not before the link is opened
    job = submit(http, wait=30, headers=_bearer(token)).json()

    confirmed = http.post("/api/account/email/confirm", json={"token": link})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email"] == new
    assert _me(http, token).json()["email"] == new
    # The old address is told; the dashboard finds the user's predictions by the new one.
    assert f"now logs in with {new}" in _mail_to(mailbox, email)
    admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
    seen = http.get(f"/api/admin/predictions/{job['id']}", headers=admin).json()
    assert seen["user_email"] == new
    _login(http, new)
    again = http.post("/api/account/email/confirm", json={"token": link})
    assert again.status_code == 410

    # An address another account took meanwhile: 409, and nothing changes.
    later = _email("later")
    assert ask(later, PASSWORD).status_code == 202
    pending = _token_in(_mail_to(mailbox, later), "/confirm-email")
    _signup(http, later)
    conflict = http.post("/api/account/email/confirm", json={"token": pending})
    assert conflict.status_code == 409
    assert _me(http, token).json()["email"] == new


# --- deleting the account -----------------------------------------------------------------


def test_delete_account_with_its_predictions(http: httpx.Client) -> None:
    email = _email("leaving")
    token = _signup(http, email)
    other = _login(http, email)
    job = submit(http, wait=30, headers=_bearer(token))
    assert job.status_code == 200, job.text
    job_id = job.json()["id"]

    def delete(password: str, headers: dict[str, str]) -> httpx.Response:
        return http.request(
            "DELETE", "/api/account", json={"current_password": password}, headers=headers
        )

    assert delete("not the password", _bearer(token)).status_code == 403
    deleted = delete(PASSWORD, _bearer(token))
    assert deleted.status_code == 200, deleted.text
    assert deleted.json() == {"predictions_deleted": 1}
    assert "mg_session=" in deleted.headers["set-cookie"]
    for ended in (token, other):
        assert _me(http, ended).status_code == 401
    refused = http.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert refused.status_code == 401
    admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert http.get(f"/api/admin/predictions/{job_id}", headers=admin).status_code == 404

    # The only administrator stays.
    kept = delete(ADMIN_PASSWORD, admin)
    assert kept.status_code == 409
    assert kept.json()["detail"].startswith("you are the only administrator")


# --- without a mail server (SQLite) -------------------------------------------------------


def test_without_mail_the_administrator_hands_out_the_link(tmp_path: Path) -> None:
    env = {"WORKER_GROUPS": '{"toy": 1, "toyq": 1}'}
    with BackendServer(tmp_path, env) as server, server.client() as http:
        email = _email("nomail")
        token = _signup(http, email)
        user_id = _me(http, token).json()["id"]

        asked = http.post("/api/auth/password-reset", json={"email": email})
        assert asked.status_code == 202
        assert asked.json()["mail"] is False
        assert "ask an administrator" in asked.json()["detail"]
        change = http.post(
            "/api/account/email",
            json={"new_email": _email("new"), "current_password": PASSWORD},
            headers=_bearer(token),
        )
        assert change.status_code == 409
        assert "cannot send e-mail" in change.json()["detail"]

        admin = login(http, ADMIN_EMAIL, ADMIN_PASSWORD)
        # No PUBLIC_URL: the link points where the administrator's page is.
        handed = http.post(
            f"/api/admin/users/{user_id}/password-reset",
            headers={**admin, "Origin": "https://admin.example:8443"},
        )
        assert handed.status_code == 200, handed.text
        assert handed.json()["mailed"] is False
        link = handed.json()["link"]
        assert link.startswith("https://admin.example:8443/reset-password?token=")
        reset = http.post(
            "/api/auth/password-reset/confirm",
            json={"token": link.split("token=", 1)[1], "new_password": "handed over link"},
        )
        assert reset.status_code == 204
        assert _me(http, token).status_code == 401
        _login(http, email, "handed over link")
