"""The Celery application the API's replicas and the worker nodes share: its configuration
and the names of the two kinds of message it carries (a job's run, a version's trial)."""

from __future__ import annotations

from celery import Celery

from ...core.redis_conn import celery_broker
from ...core.settings import Settings

RUN_TASK = "modelgallery.run_job"
VALIDATE_TASK = "modelgallery.validate"


def celery_app(settings: Settings) -> Celery:
    """The Celery configuration both sides share. Late acknowledgement and one message per
    process: a message leaves Redis only once its job has ended, so a node that dies takes
    nothing with it; the visibility timeout outlasts the longest job."""
    target = settings.redis_target()
    assert target is not None
    url, transport = celery_broker(
        target,
        visibility_timeout=settings.visibility_timeout_s,
        socket_timeout=10,
        socket_connect_timeout=5,
    )
    app = Celery("modelgallery", broker=url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_send_task_events=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options=transport,
        broker_pool_limit=4,
        broker_connection_timeout=3,
        # A request that queues a job must not hang on a Redis that is away: a few quick
        # tries, then the upload is refused with 503 (the job is not kept).
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
        task_default_queue="default",
    )
    return app
