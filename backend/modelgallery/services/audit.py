"""The audit log: who changed what, when. Every administrator's change is written here."""

from __future__ import annotations

from typing import Any

from ..store.base import AuditRepo
from ..store.records import AuditEntry, User


async def record(
    log: AuditRepo, actor: User, action: str, target: str | None, **details: Any
) -> None:
    entry = AuditEntry(
        actor_id=actor.id, actor_email=actor.email, action=action, target=target, details=details
    )
    await log.add(entry)
