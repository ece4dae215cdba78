from celery import shared_task

from .services import exchange_job_run


@shared_task(acks_late=True)
def exchange_job_run_task(*, job_id: int) -> None:
    """Check and save a file of services or occupancy (idempotent: a claimed job is skipped)."""
    exchange_job_run(job_id=job_id)
