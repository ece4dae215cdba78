"""The archive's background jobs. Each is a thin wrapper around a function of its module."""

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings

from .convert import ProcessingRetry
from .processing import MAX_ATTEMPTS, RETRY_SECONDS


# Only transient failures are retried (document_process decides which, counting the attempts in
# Document.attempts); waits of RETRY_SECONDS, then twice that. acks_late: a job whose worker dies
# is delivered again by brokers that can (Redis, RabbitMQ); processing.stale_requeue covers the rest.
@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(ProcessingRetry,),
    max_retries=MAX_ATTEMPTS,
    retry_backoff=RETRY_SECONDS,
    retry_backoff_max=10 * RETRY_SECONDS,
    retry_jitter=False,
)
def document_process_task(self, document_id: int) -> None:
    from .processing import document_process

    document_process(document_id)


@shared_task
def processing_stale_requeue_task() -> None:
    from .processing import stale_requeue

    stale_requeue()


@shared_task
def drop_folders_sweep_task() -> None:
    from .dropfolder import sweep_all

    sweep_all()


@shared_task
def edelivery_poll_task() -> None:
    from .edelivery.robot import poll

    poll()


@shared_task
def retention_review_task() -> None:
    from .retention import review

    review()


@worker_ready.connect
def _orphans_requeue(**kwargs) -> None:
    """The embedded queue forgets a killed worker's job: its successor takes it up when it starts."""
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        from .processing import orphans_requeue

        orphans_requeue()
