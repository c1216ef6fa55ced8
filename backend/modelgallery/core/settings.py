"""The one settings object. Every field reads from an environment variable of the same name
(upper case) or from `.env`; every field has a default that is safe for local use."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from .machine import usable_cores
from .redis_conn import RedisTarget
from .redis_conn import parse as parse_redis_url

# Each worker holds its group's models in memory: more processes than this cost more memory
# than they add throughput (the jobs running share the cores anyway).
_MAX_DEFAULT_WORKERS = 4

REPO_ROOT = Path(__file__).resolve().parents[3]

_PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "admin", "changethis"}


class Settings(BaseSettings):
    # `VAR=` in a compose file or .env means "not set", not "the empty string" (which would
    # not even parse for the JSON settings).
    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    # --- where things live -------------------------------------------------------------
    data_dir: Path = Field(REPO_ROOT / "data", description="Database file, jobs, secrets.")
    models_file: Path = Field(REPO_ROOT / "models" / "models.toml", description="Registry.")
    models_dir: Path = Field(REPO_ROOT / "models", description="Where weights are stored.")
    models_mirror: str | None = Field(
        None, description="Local folder or URL prefix that fetch-models reads weights from."
    )
    frontend_dist: Path = Field(
        REPO_ROOT / "frontend" / "dist", description="Built web UI served at / when present."
    )

    # --- HTTP ---------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Origins allowed to call the API from a browser, e.g. ["http://localhost:5173"].',
    )
    secure_cookies: bool = Field(False, description="Mark cookies Secure (behind HTTPS).")

    # --- storage ------------------------------------------------------------------------
    mongodb_uri: SecretStr | None = Field(None, description="Use MongoDB instead of SQLite.")
    mongodb_db: str = "modelgallery"
    disk_reserve_mb: float = Field(
        500,
        ge=0,
        description=(
            "Free space kept in the data folder's filesystem: below it uploads and contact "
            "messages are refused (507) and /api/ready says not ready, so that the database "
            "keeps room for its own writes. 0: refuse only what does not fit at all."
        ),
    )

    # --- accounts -----------------------------------------------------------------------
    secret_key: SecretStr | None = Field(
        None, description="JWT signing key. Unset: generated once into DATA_DIR/secret.key."
    )
    access_token_minutes: int = Field(60 * 12, ge=1)
    admin_email: str | None = Field(None, description="First admin, created on first start.")
    admin_password: SecretStr | None = None
    require_login: bool = Field(False, description="Refuse predictions from anonymous users.")
    allow_signup: bool = True
    login_attempts_per_15min: int = Field(10, ge=1, description="Per client and e-mail.")
    public_url: str | None = Field(
        None,
        description=(
            "The site's address as people reach it, e.g. https://gallery.example.org: the "
            "links in account e-mails start with it. Unset: nobody can ask for a password-"
            "reset mail on the log-in page (its link must not come from an anonymous "
            "request); an administrator's or an e-mail change's link follows the page's "
            "address."
        ),
    )
    password_reset_minutes: int = Field(30, ge=1, description="How long a reset link works.")
    email_confirm_minutes: int = Field(
        24 * 60, ge=1, description="How long a link confirming a new e-mail address works."
    )
    password_resets_per_hour: int = Field(
        3, ge=1, description="Reset links asked for per e-mail address (5x per client)."
    )
    # Quotas on predictions, per client address for anonymous visitors and per account for
    # users (0: no limit); administrators have none.
    uploads_per_minute_anonymous: int = Field(10, ge=0)
    uploads_per_minute_user: int = Field(30, ge=0)
    upload_mb_per_day_anonymous: int = Field(1000, ge=0)
    upload_mb_per_day_user: int = Field(10_000, ge=0)
    active_jobs_anonymous: int = Field(3, ge=0, description="Queued or running at once.")
    active_jobs_user: int = Field(10, ge=0, description="Queued or running at once.")

    # --- jobs ---------------------------------------------------------------------------
    worker_groups: dict[str, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict,
        description=(
            'Worker processes per group, e.g. {"torch": 2}. Unlisted groups get one per '
            "usable core, at most 4."
        ),
    )
    worker_threads: int | None = Field(
        None,
        ge=1,
        description=(
            "Threads per job. Unset: the machine's cores are shared among the jobs running "
            "at the moment (one job alone gets them all, two get half each)."
        ),
    )
    queue_size: int = Field(32, ge=1, description="Jobs waiting per worker group before 503.")
    job_timeout_s: float = Field(600, gt=0, description="Default; a model may set its own.")
    worker_start_timeout_s: float = Field(300, gt=0)
    max_wait_s: float = Field(120, ge=0, description="Upper bound of the `wait` parameter.")
    max_weights_mb: float = Field(
        2048, gt=0, description="The most a model version's uploaded files may take together."
    )

    # --- past one machine (docs/scaling.md) ---------------------------------------------
    executor: Literal["local", "celery"] = Field(
        "local",
        description=(
            "Where jobs run: `local` (worker processes of this API process) or `celery` "
            "(worker nodes started with `modelgallery worker`, through Redis; needs REDIS_URL "
            "and MONGODB_URI, and STORAGE_URL when the nodes are on other machines)."
        ),
    )
    redis_url: SecretStr | None = Field(
        None,
        description=(
            "Redis, e.g. redis://redis:6379/0, or Redis Sentinel, "
            "redis+sentinel://:PASSWORD@host1:26379,host2:26379,host3:26379/MASTER/0: the "
            "Celery broker, job events, throttles and quotas shared by several API replicas, "
            "worker nodes' heartbeats and job metrics."
        ),
    )
    redis_sentinel_password: SecretStr | None = Field(
        None,
        description="The sentinels' own password, where they have one (redis+sentinel://).",
    )
    storage_url: str | None = Field(
        None,
        description=(
            "Object storage for job files, e.g. s3://bucket/prefix or gs://bucket/prefix, "
            "with the provider's usual credentials in the environment (AWS_*, "
            "GOOGLE_APPLICATION_CREDENTIALS). Unset: DATA_DIR/jobs on local disk."
        ),
    )
    node_name: str | None = Field(
        None, description="A worker node's name on the admin page. Unset: the host name."
    )
    node_heartbeat_s: float = Field(
        5, gt=0, description="How often a worker node announces itself; gone after 3 missed."
    )
    visibility_timeout_s: float = Field(
        7200,
        gt=0,
        description=(
            "Celery's Redis visibility timeout: a job taken by a node that vanished without "
            "a trace is handed out again after this. Must exceed the longest job's limit."
        ),
    )
    local_copies_mb: float = Field(
        10_000,
        ge=0,
        description=(
            "With STORAGE_URL: megabytes of job files an API replica keeps in DATA_DIR/jobs "
            "as its working copy; past it, the least recently used copies of ended jobs go "
            "(fetched from the bucket again when asked for)."
        ),
    )
    local_copies_sweep_minutes: float = Field(
        5,
        gt=0,
        description=(
            "With STORAGE_URL: how often each API replica sweeps its working copies (also "
            "once at start)."
        ),
    )

    # --- retention ----------------------------------------------------------------------
    retention_days: float = Field(
        30,
        ge=0,
        description=(
            "Days a finished job's input and output files are kept (the record stays, marked"
            " expired); 0 keeps them. A model may set its own `retention_days`."
        ),
    )
    retention_sweep_minutes: float = Field(
        60, gt=0, description="How often expired files are looked for (also once at start)."
    )

    # --- contact form and mail ----------------------------------------------------------
    contact_to: str | None = Field(None, description="Where contact messages are mailed.")
    contact_per_hour: int = Field(5, ge=1, description="Messages per client per hour.")
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: Literal["starttls", "tls", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "Model Gallery <no-reply@localhost>"
    smtp_ca_file: Path | None = Field(None, description="Extra CA bundle to trust.")
    smtp_timeout_s: float = 30
    smtp_retry_base_s: float = Field(30, gt=0, description="First retry delay; doubles.")
    smtp_retry_max_s: float = Field(3600, gt=0)

    # --- logging ------------------------------------------------------------------------
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("secret_key", "admin_password")
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value().lower() in _PLACEHOLDER_SECRETS:
            raise ValueError("is a placeholder; choose a real secret")
        return value

    @model_validator(mode="after")
    def _admin_pair(self) -> Settings:
        if (self.admin_email is None) != (self.admin_password is None):
            raise ValueError("ADMIN_EMAIL and ADMIN_PASSWORD must be set together")
        if self.admin_password is not None and len(self.admin_password.get_secret_value()) < 10:
            raise ValueError("ADMIN_PASSWORD must have at least 10 characters")
        return self

    @model_validator(mode="after")
    def _redis_target(self) -> Settings:
        self.redis_target()  # a URL of neither form stops the start, naming the forms
        return self

    def redis_target(self) -> RedisTarget | None:
        """Where Redis is, for `core.redis_conn`'s clients (None: no REDIS_URL)."""
        if self.redis_url is None:
            return None
        sentinels = self.redis_sentinel_password
        return parse_redis_url(
            self.redis_url.get_secret_value(),
            sentinel_password=sentinels.get_secret_value() if sentinels else None,
        )

    @model_validator(mode="after")
    def _distributed_needs(self) -> Settings:
        if self.executor == "celery":
            missing = [
                name
                for name, value in (
                    ("REDIS_URL", self.redis_url),
                    ("MONGODB_URI", self.mongodb_uri),
                )
                if value is None
            ]
            if missing:
                raise ValueError(
                    f"EXECUTOR=celery (worker nodes) needs {' and '.join(missing)}: the "
                    "records must be in MongoDB, which every machine reaches, and the queue "
                    "in Redis (SQLite stays the single-machine default, with EXECUTOR=local)"
                )
        return self

    @property
    def distributed(self) -> bool:
        """Several processes on several machines share the work (Redis-backed events)."""
        return self.redis_url is not None

    @property
    def jobs_dir(self) -> Path:
        return self.data_dir / "jobs"

    @property
    def disk_reserve_bytes(self) -> int:
        return int(self.disk_reserve_mb * 1024 * 1024)

    @property
    def local_copies_bytes(self) -> int:
        return int(self.local_copies_mb * 1024 * 1024)

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "modelgallery.sqlite3"

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host and self.contact_to)

    @property
    def mail_configured(self) -> bool:
        """Account mails (reset links, address confirmations) need only the server."""
        return bool(self.smtp_host)

    @cached_property
    def jwt_key(self) -> str:
        """The configured key, else one generated once and kept in the data directory so
        that tokens survive restarts without anyone having to invent a secret."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret.key"
        if not path.exists() or not path.read_text().strip():  # an empty key signs nothing
            path.parent.mkdir(parents=True, exist_ok=True)
            # private from the first byte, and whole or absent: written aside, then renamed
            partial = path.with_name(f".secret.key.{os.getpid()}")
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
            with os.fdopen(os.open(partial, flags, 0o600), "w") as fh:
                fh.write(secrets.token_urlsafe(48))
            os.replace(partial, path)
        return path.read_text().strip()

    def workers_for(self, group: str) -> int:
        return self.worker_groups.get(group, min(usable_cores(), _MAX_DEFAULT_WORKERS))
