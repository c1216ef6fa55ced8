"""Settings: safe defaults, refused combinations, and the generated signing key."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from modelgallery.core.machine import usable_cores
from modelgallery.core.settings import Settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the environment or a .env file of the caller."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # `.env` is read from the working directory


def make(tmp_path: Path, **values) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", **values)


def test_defaults_are_safe(tmp_path: Path) -> None:
    settings = Settings(_env_file=None)
    assert settings.require_login is False
    assert settings.admin_email is None and settings.admin_password is None
    assert settings.secret_key is None and settings.mongodb_uri is None
    assert settings.host == "127.0.0.1"  # not reachable from other machines by default
    assert settings.cors_origins == []
    # the whole machine by default: a worker per core (at most 4), threads shared at run time
    assert settings.worker_groups == {} and settings.worker_threads is None
    assert settings.workers_for("anything") == min(usable_cores(), 4)
    assert settings.smtp_configured is False
    assert settings.login_attempts_per_15min >= 1
    data = make(tmp_path)
    assert data.jobs_dir == tmp_path / "data" / "jobs"
    assert data.sqlite_path == tmp_path / "data" / "modelgallery.sqlite3"


def test_values_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REQUIRE_LOGIN", "true")
    monkeypatch.setenv("QUEUE_SIZE", "7")
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "elsewhere"))
    settings = Settings(_env_file=None)
    assert settings.require_login is True
    assert settings.queue_size == 7
    assert settings.data_dir == tmp_path / "elsewhere"


def test_a_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ADMIN_EMAIL=root@example.org\nADMIN_PASSWORD=long enough pw\n")
    settings = Settings()
    assert settings.admin_email == "root@example.org"
    assert settings.admin_password.get_secret_value() == "long enough pw"


def test_admin_email_and_password_come_together(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ADMIN_EMAIL", "admin@example.org")
    with pytest.raises(
        ValidationError, match="ADMIN_EMAIL and ADMIN_PASSWORD must be set together"
    ):
        Settings(_env_file=None)
    monkeypatch.delenv("ADMIN_EMAIL")
    monkeypatch.setenv("ADMIN_PASSWORD", "a very long password")
    with pytest.raises(ValidationError, match="must be set together"):
        Settings(_env_file=None)
    monkeypatch.setenv("ADMIN_EMAIL", "admin@example.org")
    assert Settings(_env_file=None).admin_email == "admin@example.org"


def test_a_short_admin_password_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="at least 10 characters"):
        make(tmp_path, admin_email="a@example.org", admin_password="123456789")
    ok = make(tmp_path, admin_email="a@example.org", admin_password="1234567890")
    assert ok.admin_password.get_secret_value() == "1234567890"


@pytest.mark.parametrize("value", ["changeme", "CHANGEME", "change-me", "changethis", "secret"])
def test_placeholder_secrets_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, value: str
) -> None:
    monkeypatch.setenv("SECRET_KEY", value)
    with pytest.raises(ValidationError, match="placeholder"):
        Settings(_env_file=None)
    with pytest.raises(ValidationError, match="placeholder"):
        make(
            tmp_path,
            secret_key="a real key that is long enough",
            admin_email="a@example.org",
            admin_password=value,
        )


def test_worker_groups_are_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKER_GROUPS", '{"torch": 2, "tf": 3}')
    settings = Settings(_env_file=None)
    assert settings.worker_groups == {"torch": 2, "tf": 3}
    assert settings.workers_for("torch") == 2
    assert settings.workers_for("other") == min(usable_cores(), 4)
    monkeypatch.setenv("WORKER_GROUPS", "torch=2")
    with pytest.raises(ValueError, match="WORKER_GROUPS|worker_groups"):
        Settings(_env_file=None)


@pytest.mark.parametrize("groups", ['{"toy": 0}', '{"toy": -1}', '{"toy": "many"}'])
def test_worker_groups_need_at_least_one_worker(
    monkeypatch: pytest.MonkeyPatch, groups: str
) -> None:
    """A group with no worker process would never become ready, and its jobs would wait
    forever: refused at start."""
    monkeypatch.setenv("WORKER_GROUPS", groups)
    with pytest.raises(ValidationError, match="worker_groups"):
        Settings(_env_file=None)


def test_jwt_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = make(tmp_path)
    key = first.jwt_key
    path = tmp_path / "data" / "secret.key"
    assert path.read_text().strip() == key
    assert len(key) >= 48
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert make(tmp_path).jwt_key == key  # another process, or the next start
    assert first.jwt_key == key
    other = Settings(_env_file=None, data_dir=tmp_path / "other")
    assert other.jwt_key != key
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["secret.key"]


def test_a_configured_key_is_used_and_nothing_is_written(tmp_path: Path) -> None:
    settings = make(tmp_path, secret_key="an operator's own key, long enough")
    assert settings.jwt_key == "an operator's own key, long enough"
    assert not (tmp_path / "data" / "secret.key").exists()


def test_an_empty_key_file_is_never_used_as_the_key(tmp_path: Path) -> None:
    """A key file left empty (a crash while it was first written) would make every login
    fail: PyJWT refuses an empty HMAC key."""
    path = tmp_path / "data" / "secret.key"
    path.parent.mkdir()
    path.write_text("\n")
    key = make(tmp_path).jwt_key
    assert len(key) >= 48
    assert path.read_text().strip() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert make(tmp_path).jwt_key == key


def test_empty_values_mean_unset(monkeypatch, tmp_path) -> None:
    # A compose file's `ADMIN_EMAIL=` must not count as an (invalid) e-mail and password.
    names = ("ADMIN_EMAIL", "ADMIN_PASSWORD", "MONGODB_URI", "SMTP_HOST", "SECRET_KEY")
    for name in (*names, "WORKER_GROUPS", "CORS_ORIGINS", "WORKER_THREADS", "QUEUE_SIZE"):
        monkeypatch.setenv(name, "")
    settings = Settings(data_dir=tmp_path)
    assert settings.admin_email is None and settings.admin_password is None
    assert settings.mongodb_uri is None and settings.smtp_host is None
    assert settings.secret_key is None
    assert settings.worker_groups == {} and settings.cors_origins == []
    assert settings.worker_threads is None and settings.queue_size == 32
