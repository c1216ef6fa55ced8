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
from .api.routes import (
    account,
    admin,
    admin_drift,
    auth,
    compare,
    contact,
    feedback,
    health,
    legacy,
    model_versions,
    models,
    predictions,
    releases,
)
from .catalog.registry import synced_registry
from .contact.mailer import Mailer
from .contact.outbox import Outbox
from .core.disk import DiskGuard
from .core.metrics import ClusterView, Metrics
from .core.security import throttle_storage
from .core.settings import Settings
from .files import open_job_files
from .files.storage import ObjectStoreError
from .jobs.distributed.cluster import MISSED_BEATS
from .jobs.lifecycle.backfill import fill_result_kinds
from .jobs.lifecycle.copies import LocalCopies
from .jobs.lifecycle.events import EventBus, MemoryEventBus, RedisEventBus
from .jobs.lifecycle.executor import Executor, runtimes_in_use
from .jobs.lifecycle.recorder import JobRecorder
from .jobs.lifecycle.recovery import Recovery
from .jobs.lifecycle.retention import Retention
from .jobs.lifecycle.service import JobService
from .jobs.local.executor import LocalExecutor
from .services.account_links import AccountLinks
from .services.account_mail import AccountMail
from .services.accounts import AccountService
from .services.admin import AdminService
from .services.comparison import Comparison
from .services.contact import ContactService
from .services.container import Services
from .services.drift import DriftService
from .services.feedback import FeedbackService
from .services.intake import Intake
from .services.model_manager import ModelManager
from .services.models import ModelCatalog
from .services.predictions import PredictionService
from .services.quotas import Quotas, active_jobs
from .services.releases import Releases
from .services.replays import Replays
from .services.rerun import Rerun
from .services.second_opinion import SecondOpinion
from .services.status import StatusService
from .services.version_intake import VersionIntake
from .store import create_store
from .store.base import Store
from .vision.registry import Registry
from .vision.weights import missing_weights_line

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    # With worker nodes, jobs end on the nodes: their metrics are counted in Redis.
    metrics = Metrics(settings.redis_target() if settings.executor == "celery" else None)

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
    routers = (
        health,
        auth,
        account,
        models,
        predictions,
        compare,
        legacy,
        contact,
        model_versions,
        releases,
        admin,
        admin_drift,
        feedback,
    )
    for router in routers:
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
    recovery: Recovery
    store: Store
    executor: Executor
    outbox: Outbox
    retention: Retention
    bus: EventBus
    metrics: Metrics
    copies: LocalCopies | None = None  # the working copies' sweep, with STORAGE_URL

    async def stop(self) -> None:
        await self.recovery.stop_sweeping()
        if self.copies is not None:
            await self.copies.stop()
        await self.retention.stop()
        await self.services.replays.stop()
        await self.services.releases.stop()
        await self.services.model_manager.stop()
        await self.outbox.stop()
        await self.executor.stop()
        await self.bus.close()
        await self.metrics.close()
        await self.store.close()


async def _start(settings: Settings, metrics: Metrics) -> _Running:
    if settings.executor == "celery" and settings.secret_key is None:
        # Each replica would make its own key and refuse the sessions of the others.
        raise RuntimeError("EXECUTOR=celery: set SECRET_KEY, the same for every API replica")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    files = open_job_files(settings.jobs_dir, settings.storage_url)
    try:
        await files.check()
    except ObjectStoreError as exc:  # one sentence in the log, before the traceback
        log.error("%s", exc)
        raise
    store = create_store(settings)
    await store.open()
    registry = await synced_registry(store, settings)
    await fill_result_kinds(store, registry)
    executor = _executor(settings, registry)
    bus: EventBus = (
        RedisEventBus(redis, latest=store.jobs.get)
        if (redis := settings.redis_target()) is not None
        else MemoryEventBus()
    )
    local = settings.executor == "local"  # its workers report here, and write outputs here
    recorder = JobRecorder(store.jobs, files, metrics, bus, local=local)
    jobs = JobService(settings, store.jobs, files, executor, recorder, bus, store.flags)
    recovery = Recovery(settings, store.jobs, files, registry, executor, recorder, bus)
    limits = throttle_storage(settings)
    mailer = Mailer(settings) if settings.mail_configured else None
    links = AccountLinks(settings, store, AccountMail(settings, mailer), limits)
    accounts = AccountService(settings, store, limits, links)
    await accounts.ensure_first_admin()
    outbox = Outbox(store.messages, mailer if settings.smtp_configured else None, settings)
    disk = DiskGuard(settings.data_dir, settings.disk_reserve_bytes)
    retention = Retention(settings, store.jobs, files, registry)
    catalog = ModelCatalog(registry, executor)
    manager = ModelManager(settings, store, catalog, executor)
    quotas = Quotas(settings, jobs.still_active, limits, active_jobs(settings))
    rerun = Rerun(settings, store, jobs, files)
    release_service = Releases(settings, store, executor, manager, rerun)
    replay_service = Replays(settings, store, executor, rerun)
    prediction_service = PredictionService(
        settings, jobs, store.jobs, files, registry, bus, retention
    )
    comparison = Comparison(store, files, registry)
    services = Services(
        settings=settings,
        intake=Intake(settings, jobs, files, disk, quotas, release_service),
        predictions=prediction_service,
        models=catalog,
        accounts=accounts,
        account_links=links,
        admin=AdminService(settings, store, jobs, executor, catalog, outbox, retention),
        contact=ContactService(outbox, settings.contact_per_hour, disk, limits),
        status=StatusService(store, executor, metrics, disk),
        model_manager=manager,
        version_intake=VersionIntake(settings, disk, manager, files.remote),
        releases=release_service,
        replays=replay_service,
        comparison=comparison,
        second_opinion=SecondOpinion(
            settings,
            store,
            registry,
            prediction_service,
            jobs,
            executor,
            quotas,
            rerun,
            comparison,
        ),
        drift=DriftService(store),
        feedback=FeedbackService(settings, store, prediction_service, catalog, files, retention),
    )
    metrics.watch_executor(
        ClusterView(
            executor.queue_depths,
            lambda: dict(Counter(w.group for w in executor.workers() if w.alive)),
            lambda: runtimes_in_use(executor.workers()),
        )
    )
    await executor.start(recorder)
    await release_service.start()  # the versions queued jobs run on, before those are queued
    await replay_service.start()
    await recovery.recover()
    if settings.executor == "celery":
        interval = settings.node_heartbeat_s
        recovery.start_sweeping(interval, interval * MISSED_BEATS)
    outbox.start()
    retention.start()
    manager.start()
    copies: LocalCopies | None = None
    if files.shared:  # without STORAGE_URL the folder is the storage itself: never swept
        every_s = settings.local_copies_sweep_minutes * 60
        copies = LocalCopies(files, store.jobs, settings.local_copies_bytes, every_s)
        copies.start()
    log.info(
        "Model Gallery started: %s store, %d model(s), groups %s",
        store.kind,
        len(registry.models),
        registry.groups,
    )
    if settings.executor == "local" and (missing := missing_weights_line(registry, settings)):
        log.warning(missing)
    return _Running(
        services, recovery, store, executor, outbox, retention, bus, metrics, copies=copies
    )


def _executor(settings: Settings, registry: Registry) -> Executor:
    if settings.executor == "celery":
        from .jobs.distributed.celery import (
            CeleryExecutor,  # Celery is imported only where it is used
        )

        return CeleryExecutor(settings, registry)
    return LocalExecutor(settings, registry)


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
