"""Accounts through the real server, on SQLite and on MongoDB: sign-up, log-in with
throttling, log-out, tokens, administrators (from the settings and from the CLI),
REQUIRE_LOGIN, and settings that stop the server at start."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest

from tests.conftest import login
from tests.support.jobs import submit
from tests.support.server import ADMIN_EMAIL, ADMIN_PASSWORD, REPO, BackendServer

PASSWORD = "a long password"


def _email(prefix: str = "acct") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.org"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _signup(http: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    response = http.post(
        "/api/auth/signup", json={"email": email, "password": password, "name": "Ada"}
    )
    http.cookies.clear()
    return response


def _login(http: httpx.Client, email: str, password: str) -> httpx.Response:
    response = http.post("/api/auth/login", json={"email": email, "password": password})
    http.cookies.clear()
    return response


def _session_cookie_header(response: httpx.Response) -> str:
    headers = [h for h in response.headers.get_list("set-cookie") if h.startswith("mg_session=")]
    assert len(headers) == 1, response.headers.get_list("set-cookie")
    return headers[0]


def _server_key(server: BackendServer) -> str:
    """The JWT key the server signs with: generated into DATA_DIR/secret.key when unset."""
    return server.env.get("SECRET_KEY") or (server.data_dir / "secret.key").read_text().strip()


# --- sign-up ----------------------------------------------------------------------------


def test_signup_returns_a_token_and_a_session_cookie(client: httpx.Client) -> None:
    email = _email("Signup")  # upper case on purpose: accounts are stored lower-cased
    response = client.post(
        "/api/auth/signup", json={"email": email, "password": PASSWORD, "name": " Ada L "}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 12 * 60 * 60
    user = body["user"]
    assert user["email"] == email.lower()
    assert user["role"] == "user"
    assert user["name"] == "Ada L"
    assert user["disabled"] is False
    assert "password_hash" not in user and "password" not in user

    cookie = _session_cookie_header(response)
    assert "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()
    assert "path=/api" in cookie.lower()
    assert client.cookies.get("mg_session") == body["access_token"]

    # The cookie alone identifies the browser (it is what <img> and <video> send).
    me = client.get("/api/auth/me")
    assert me.status_code == 200, me.text
    assert me.json()["id"] == user["id"]

    client.cookies.clear()
    anonymous = client.get("/api/auth/me")
    assert anonymous.status_code == 401
    assert anonymous.json() == {"detail": "please log in first", "code": "not_authenticated"}
    assert anonymous.headers["www-authenticate"] == "Bearer"

    with_token = client.get("/api/auth/me", headers=_bearer(body["access_token"]))
    assert with_token.status_code == 200
    assert with_token.json()["email"] == email.lower()


def test_signup_refuses_duplicates_bad_addresses_and_short_passwords(
    client: httpx.Client,
) -> None:
    email = _email()
    assert _signup(client, email).status_code == 201
    for again in (email, email.upper()):
        duplicate = _signup(client, again, "another long password")
        assert duplicate.status_code == 409, again
        assert duplicate.json()["detail"] == (
            "an account with this e-mail already exists; log in instead"
        )
        assert duplicate.json()["code"] == "conflict"

    bad = _signup(client, "not-an-address")
    assert bad.status_code == 422
    assert bad.json()["detail"].startswith("email: ")
    assert "email address" in bad.json()["detail"]

    short = _signup(client, _email(), "short")
    assert short.status_code == 422
    assert short.json() == {
        "detail": "the password needs at least 10 characters",
        "code": "invalid",
    }
    assert _signup(client, _email(), "x" * 257).status_code == 422


# --- log-in -----------------------------------------------------------------------------


def test_login_with_right_and_wrong_passwords(client: httpx.Client) -> None:
    email = _email()
    user_id = _signup(client, email).json()["user"]["id"]

    right = _login(client, email.upper(), PASSWORD)  # e-mails are case-insensitive
    assert right.status_code == 200, right.text
    assert right.json()["user"]["id"] == user_id
    assert right.json()["user"]["last_login_at"] is not None
    assert "mg_session=" in right.headers["set-cookie"]
    me = client.get("/api/auth/me", headers=_bearer(right.json()["access_token"]))
    assert me.json()["id"] == user_id

    wrong = _login(client, email, "not the password")
    assert wrong.status_code == 401
    assert wrong.json()["detail"] == "wrong e-mail or password"
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert "set-cookie" not in wrong.headers

    unknown = _login(client, _email("nobody"), PASSWORD)
    assert unknown.status_code == 401
    assert unknown.json()["detail"] == "wrong e-mail or password"


def test_repeated_failed_logins_are_throttled_per_email(
    client: httpx.Client, server: BackendServer
) -> None:
    limit = int(server.env.get("LOGIN_ATTEMPTS_PER_15MIN", "10"))
    victim, bystander = _email("throttled"), _email("bystander")
    assert _signup(client, victim).status_code == 201
    assert _signup(client, bystander).status_code == 201

    for attempt in range(limit):
        response = _login(client, victim, f"wrong password {attempt}")
        assert response.status_code == 401, (attempt, response.text)
    # The next attempt is refused before the password is even looked at.
    for password in ("wrong password again", PASSWORD):
        blocked = _login(client, victim, password)
        assert blocked.status_code == 429, blocked.text
        assert blocked.json()["code"] == "too_many_requests"
        assert blocked.json()["detail"].startswith("too many failed log-ins; try again in ")
        retry_after = int(blocked.headers["retry-after"])
        assert 0 < retry_after <= 15 * 60
    assert _login(client, victim.upper(), PASSWORD).status_code == 429  # same account

    # The limit is per e-mail: another account from the same client still gets in.
    other = _login(client, bystander, PASSWORD)
    assert other.status_code == 200, other.text


# --- log-out and tokens -----------------------------------------------------------------


def test_logout_revokes_the_token_and_deletes_the_cookie(client: httpx.Client) -> None:
    email = _email()
    token = _signup(client, email).json()["access_token"]
    other_session = _login(client, email, PASSWORD).json()["access_token"]
    assert client.get("/api/auth/me", headers=_bearer(token)).status_code == 200

    response = client.post("/api/auth/logout", headers=_bearer(token))
    assert response.status_code == 204
    cookie = _session_cookie_header(response).lower()
    assert "max-age=0" in cookie and "path=/api" in cookie

    after = client.get("/api/auth/me", headers=_bearer(token))
    assert after.status_code == 401
    assert after.json()["detail"] == "this session has ended; please log in again"
    # Only that session ends; the same account's other session keeps working.
    assert client.get("/api/auth/me", headers=_bearer(other_session)).status_code == 200

    # A browser logs out with its cookie only; the jar forgets the cookie.
    response = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    cookie_token = response.json()["access_token"]
    assert client.cookies.get("mg_session") == cookie_token
    assert client.post("/api/auth/logout").status_code == 204
    assert client.cookies.get("mg_session") is None
    assert client.get("/api/auth/me", headers=_bearer(cookie_token)).status_code == 401
    client.cookies.clear()

    # Logging out without a session is harmless.
    assert client.post("/api/auth/logout").status_code == 204
    assert client.post("/api/auth/logout", headers=_bearer("garbage")).status_code == 204


def test_the_session_endpoint_answers_who_is_signed_in_without_a_401(
    client: httpx.Client,
) -> None:
    """Pages ask it on every load: a visitor is `null`, never a 401 (which browsers log)."""
    client.cookies.clear()
    assert client.get("/api/auth/session").json() == {"user": None}
    email = _email()
    token = _signup(client, email).json()["access_token"]
    assert client.get("/api/auth/session", headers=_bearer(token)).json()["user"]["email"] == email
    client.post("/api/auth/logout", headers=_bearer(token))
    ended = client.get("/api/auth/session", headers=_bearer(token))
    assert ended.status_code == 200 and ended.json() == {"user": None}
    client.cookies.clear()


def test_expired_forged_and_garbled_tokens_are_refused(
    client: httpx.Client, server: BackendServer
) -> None:
    signed_up = _signup(client, _email()).json()
    user_id = signed_up["user"]["id"]
    key = _server_key(server)
    now = datetime.now(UTC)
    # A token works while its session (named by its jti) exists: these share the real one.
    session = jwt.decode(signed_up["access_token"], key, algorithms=["HS256"])["jti"]

    def token(signing_key: str, **claims) -> str:
        payload = {
            "sub": user_id,
            "jti": session,
            "exp": now + timedelta(hours=1),
            "iat": now,
            **claims,
        }
        return jwt.encode(payload, signing_key, algorithm="HS256")

    # A token made here with the server's key is accepted: the key really is the server's.
    assert client.get("/api/auth/me", headers=_bearer(token(key))).json()["id"] == user_id

    expired = client.get(
        "/api/auth/me",
        headers=_bearer(token(key, exp=now - timedelta(minutes=1), iat=now - timedelta(hours=1))),
    )
    assert expired.status_code == 401
    assert expired.json()["detail"] == "your session has expired; please log in again"
    assert expired.headers["www-authenticate"] == "Bearer"

    forged = client.get("/api/auth/me", headers=_bearer(token("a-wrong-key-" * 4)))
    assert forged.status_code == 401
    assert forged.json()["detail"] == "invalid access token"

    header, payload, signature = token(key).split(".")
    tampered = f"{header}.{payload[:-4]}AAAA.{signature}"
    assert client.get("/api/auth/me", headers=_bearer(tampered)).json()["detail"] == (
        "invalid access token"
    )
    unsigned = jwt.encode(
        {"sub": user_id, "jti": "x", "exp": now + timedelta(hours=1)}, None, algorithm="none"
    )
    # Signed with the key but for no session (a made-up jti), or for someone else.
    no_session = token(key, jti=uuid.uuid4().hex)
    for bad in (unsigned, "not-a-token", token(key, sub="no-such-user"), no_session):
        response = client.get("/api/auth/me", headers=_bearer(bad))
        assert response.status_code == 401, bad
        assert response.json()["detail"]
    # The same checks apply to the cookie.
    client.cookies.set("mg_session", token("a-wrong-key-" * 4))
    try:
        assert client.get("/api/auth/me").json()["detail"] == "invalid access token"
    finally:
        client.cookies.clear()


# --- administrators ---------------------------------------------------------------------


def test_first_admin_from_the_settings_can_log_in(client: httpx.Client) -> None:
    response = _login(client, ADMIN_EMAIL, ADMIN_PASSWORD)
    assert response.status_code == 200, response.text
    assert response.json()["user"]["role"] == "admin"
    me = client.get("/api/auth/me", headers=_bearer(response.json()["access_token"]))
    assert me.json()["role"] == "admin"


def _cli(server: BackendServer, *args: str, stdin: str) -> subprocess.CompletedProcess[str]:
    """`python -m modelgallery ...` with the server's settings (its database)."""
    env = {k: v for k, v in os.environ.items() if k != "MONGODB_URI"}
    env.update(server.env)
    return subprocess.run(
        [sys.executable, "-m", "modelgallery", *args],
        check=False,
        input=stdin,
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


def test_create_admin_command(client: httpx.Client, server: BackendServer) -> None:
    email = _email("cli-admin")
    done = _cli(
        server,
        "create-admin",
        "--email",
        email,
        "--password-stdin",
        stdin="a fresh long password\n",
    )
    assert done.returncode == 0, done.stderr
    assert f"{email} is an administrator." in done.stdout
    headers = login(client, email, "a fresh long password")
    assert client.get("/api/auth/me", headers=headers).json()["role"] == "admin"
    assert client.get("/api/admin/users", headers=headers).status_code == 200

    # An existing account is promoted (and gets the new password).
    member = _email("member")
    assert _signup(client, member).status_code == 201
    done = _cli(
        server,
        "create-admin",
        "--email",
        member.upper(),
        "--password-stdin",
        stdin="the promoted password\n",
    )
    assert done.returncode == 0, done.stderr
    headers = login(client, member, "the promoted password")
    assert client.get("/api/auth/me", headers=headers).json()["role"] == "admin"

    short_email = _email("cli-short")
    refused = _cli(
        server, "create-admin", "--email", short_email, "--password-stdin", stdin="short\n"
    )
    assert refused.returncode != 0
    assert "the password needs at least 10 characters" in refused.stderr
    assert _login(client, short_email, "short").status_code == 401  # nobody was created


# --- servers with their own settings (SQLite) -------------------------------------------


def test_require_login_refuses_anonymous_predictions(tmp_path: Path) -> None:
    env = {"REQUIRE_LOGIN": "true", "WORKER_GROUPS": '{"toy": 1, "toyq": 1}'}
    with BackendServer(tmp_path, env) as server, server.client() as http:
        anonymous = submit(http)
        assert anonymous.status_code == 401
        assert anonymous.json()["detail"] == "log in to use the models on this server"
        assert anonymous.headers["www-authenticate"] == "Bearer"
        assert http.post("/api/predict_toy", files={"file": ("a.png", b"x")}).status_code == 401

        email = _email()
        token = _signup(http, email).json()["access_token"]
        accepted = submit(http, wait=30, headers=_bearer(token))
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["status"] == "succeeded"

        ended = _login(http, email, PASSWORD).json()["access_token"]
        assert http.post("/api/auth/logout", headers=_bearer(ended)).status_code == 204
        http.cookies.clear()

    # Log-outs are kept in the database and the signing key in DATA_DIR: a restart changes
    # neither.
    with BackendServer(tmp_path, env) as server, server.client() as http:
        assert http.get("/api/auth/me", headers=_bearer(token)).status_code == 200
        after = http.get("/api/auth/me", headers=_bearer(ended))
        assert after.status_code == 401
        assert after.json()["detail"] == "this session has ended; please log in again"


SMTP_SECRET = "smtp-secret-do-not-print"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"ADMIN_EMAIL": None}, ["ADMIN_EMAIL and ADMIN_PASSWORD must be set together"]),
        ({"SECRET_KEY": "changeme"}, ["SECRET_KEY", "is a placeholder; choose a real secret"]),
        ({"ADMIN_PASSWORD": "too-short"}, ["ADMIN_PASSWORD must have at least 10 characters"]),
    ],
    ids=["admin-password-without-email", "placeholder-secret-key", "short-admin-password"],
)
def test_invalid_settings_stop_the_server_with_a_clear_message(
    tmp_path: Path, change: dict[str, str | None], expected: list[str]
) -> None:
    server = BackendServer(tmp_path, {"SMTP_PASSWORD": SMTP_SECRET})
    for name in ("LOG_JSON", "SMTP_RETRY_BASE_S"):  # defaults, as in most deployments
        del server.env[name]
    for name, value in change.items():
        if value is None:
            del server.env[name]
        else:
            server.env[name] = value
    with pytest.raises(RuntimeError) as failure:
        server.start(timeout_s=60)
    log = str(failure.value)
    assert "exited at start" in log
    for text in expected:
        assert text in log, log
    # A readable message, not a traceback, and no secret copied into the log.
    assert "Traceback" not in log, log
    for secret in (SMTP_SECRET, ADMIN_PASSWORD, "too-short"):
        assert secret[-10:] not in log, log  # pydantic's repr would show a truncated tail
