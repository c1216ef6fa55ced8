"""The app factory: builds the services, wires the routers, and runs start-up (open the
store, first admin, start workers, re-queue unfinished jobs, start the mail outbox and the
retention sweep)."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response

from .api.errors import install_error_handlers, method_not_allowed
from .api.middleware import ObserveMiddleware
from .api.openapi import install_openapi
from .api.routes import admin, auth, contact, health, legacy, models, predictions
from .contact.mailer import Mailer
from .contact.outbox import Outbox
from .core.disk import DiskGuard
from .core.metrics import Metrics
from .core.settings import Settings
from .files.storage import JobFiles
from .jobs.executor import Executor
from .jobs.local import LocalExecutor
from .jobs.retention import Retention
from .jobs.service import JobService
from .services.accounts import AccountService
from .services.admin import AdminService
from .services.contact import ContactService
from .services.container import Services
from .services.models import ModelCatalog
from .services.predictions import PredictionService
from .services.quotas import Quotas
from .services.status import StatusService
from .store import create_store
from .store.base import Store
from .vision.registry import load_registry
from .vision.weights import missing_weights_line

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        running = await _start(settings, metrics)
        app.state.services = running.services
        try:
            yield
        finally:
            await running.stop()

    app = FastAPI(
        title="Model Gallery",
        version="0.1.0",
        description="Upload files to computer-vision models and get annotated results.",
        lifespan=lifespan,
        generate_unique_id_function=lambda route: (
            f"{route.tags[0]}-{route.name}" if route.tags else route.name
        ),
    )
    install_error_handlers(app)
    install_openapi(app)
    for router in (health, auth, models, predictions, legacy, contact, admin):
        app.include_router(router.router)
    _serve_frontend(app, settings.frontend_dist)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID", "Location", "Retry-After"],
        )
    app.add_middleware(ObserveMiddleware, metrics=metrics)
    app.add_middleware(CorrelationIdMiddleware, header_name="X-Request-ID")
    return app


@dataclass
class _Running:
    """What start-up opened, to close in reverse order."""

    services: Services
    store: Store
    executor: Executor
    outbox: Outbox
    retention: Retention

    async def stop(self) -> None:
        await self.retention.stop()
        await self.outbox.stop()
        await self.executor.stop()
        await self.store.close()


async def _start(settings: Settings, metrics: Metrics) -> _Running:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    registry = load_registry(settings.models_file, settings.models_dir)
    store = create_store(settings)
    await store.open()
    executor = LocalExecutor(settings, registry)
    jobs = JobService(settings, store, executor, JobFiles(settings.jobs_dir), registry, metrics)
    accounts = AccountService(settings, store)
    await accounts.ensure_first_admin()
    outbox = Outbox(
        store.messages, Mailer(settings) if settings.smtp_configured else None, settings
    )
    disk = DiskGuard(settings.data_dir, settings.disk_reserve_bytes)
    retention = Retention(jobs)
    services = Services(
        settings=settings,
        predictions=PredictionService(settings, jobs, disk, Quotas(settings, jobs.is_active)),
        models=ModelCatalog(jobs),
        accounts=accounts,
        admin=AdminService(store, jobs, outbox, retention),
        contact=ContactService(outbox, settings.contact_per_hour, disk),
        status=StatusService(store, executor, metrics, disk),
    )
    metrics.watch_executor(
        executor.queue_depths, lambda: dict(Counter(w.group for w in executor.workers() if w.alive))
    )
    await executor.start(jobs)
    await jobs.recover()
    outbox.start()
    retention.start()
    log.info(
        "Model Gallery started: %s store, %d model(s), groups %s",
        store.kind,
        len(registry.models),
        registry.groups,
    )
    if missing := missing_weights_line(registry, settings):
        log.warning(missing)
    return _Running(services, store, executor, outbox, retention)


def _serve_frontend(app: FastAPI, dist: Path) -> None:
    """The built web UI at /, with client-side routes falling back to index.html."""
    root = dist.resolve()

    @app.get("/{path:path}", include_in_schema=False)
    async def frontend(request: Request, path: str) -> Response:
        if path.startswith("api/") or path == "api":
            return method_not_allowed(request)  # 404 where no API route has the path
        index = root / "index.html"
        if not index.is_file():
            return JSONResponse(
                {"detail": "The web UI is not built; the API is at /api and documented at /docs."}
            )
        candidate = (root / path).resolve()
        if path and candidate.is_relative_to(root) and candidate.is_file():
            cache = (
                "public, max-age=31536000, immutable" if "/assets/" in f"/{path}" else "no-cache"
            )
            return FileResponse(candidate, headers={"Cache-Control": cache})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})
