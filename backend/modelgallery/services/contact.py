"""Contact messages from visitors: throttled per client, then stored and mailed by the
outbox (which retries until the mail goes through)."""

from __future__ import annotations

from ..contact.outbox import Outbox
from ..contact.schemas import ContactIn
from ..core.security import Throttle
from ..store.records import ContactMessage
from .errors import TooManyRequests


class ContactService:
    def __init__(self, outbox: Outbox, per_hour: int) -> None:
        self.outbox = outbox
        self._throttle = Throttle(f"{per_hour}/hour")

    async def submit(self, form: ContactIn, client: str) -> ContactMessage:
        wait = self._throttle.blocked_for(client)
        if wait:
            raise TooManyRequests(
                f"you have sent several messages already; please wait {wait // 60 + 1} minutes",
                retry_after_s=wait,
            )
        self._throttle.hit(client)
        return await self.outbox.submit(form, client)
