"""API replicas that start together on one store all come up: whichever creates the
administrator from the settings first, the others find it made."""

from __future__ import annotations

import asyncio

from pydantic import SecretStr

from modelgallery.core.settings import Settings
from modelgallery.services.accounts import AccountService
from modelgallery.store.records import Role

from .conftest import StoreFactory


async def test_replicas_starting_together_create_one_administrator(
    make_store: StoreFactory,
) -> None:
    settings = Settings(
        admin_email="admin@example.org", admin_password=SecretStr("a long enough password")
    )
    stores = [make_store() for _ in range(4)]
    for store in stores:
        await store.open()
    try:
        replicas = [AccountService(settings, store) for store in stores]
        await asyncio.gather(*(r.ensure_first_admin() for r in replicas))
        assert await stores[0].users.count(Role.admin) == 1
    finally:
        for store in stores:
            await store.close()
