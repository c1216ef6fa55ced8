"""The long-lived services of one running app, built by the app factory and handed to the
routes through dependencies."""

from __future__ import annotations

from dataclasses import dataclass

from .accounts import AccountService
from .admin import AdminService
from .contact.outbox import Outbox
from .core.metrics import Metrics
from .core.security import Throttle
from .core.settings import Settings
from .jobs.executor import Executor
from .jobs.service import JobService
from .store.base import Store


@dataclass
class Context:
    settings: Settings
    store: Store
    executor: Executor
    jobs: JobService
    accounts: AccountService
    admin: AdminService
    outbox: Outbox
    metrics: Metrics
    contact_throttle: Throttle
