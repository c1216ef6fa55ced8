"""Contact messages from visitors: throttled per client, then stored and mailed by the
outbox (which retries until the mail goes through). A message that cannot be stored (the
data folder is below its reserve, or the store is full) is refused with 507, never
dropped, so that the visitor knows to send it again later."""

from __future__ import annotations

from limits.storage import Storage

from ..contact.outbox import ContactForm, Outbox
from ..core.disk import DiskGuard, out_of_space
from ..core.security import Throttle
from ..store.records import ContactMessage
from .errors import InsufficientStorage, TooManyRequests

_NOT_STORED = (
    "The server is out of storage space, so your message could not be stored; please try "
    "again later or contact the administrator another way."
)


class ContactService:
    def __init__(
        self, outbox: Outbox, per_hour: int, disk: DiskGuard, limits: Storage | None = None
    ) -> None:
        self.outbox = outbox
        self._throttle = Throttle(
            "contact", f"{per_hour}/hour", limits, what="the limit on messages"
        )
        self._disk = disk

    async def submit(self, form: ContactForm, client: str) -> ContactMessage:
        wait = self._throttle.blocked_for(client)
        if wait:
            raise TooManyRequests(
                f"you have sent several messages already; please wait {wait // 60 + 1} minutes",
                retry_after_s=wait,
            )
        if not self._disk.room_for():  # refused before it counts against the visitor
            raise InsufficientStorage(_NOT_STORED)
        self._throttle.hit(client)
        try:
            return await self.outbox.submit(form, client)
        except Exception as exc:
            if out_of_space(exc):
                raise InsufficientStorage(_NOT_STORED) from exc
            raise
