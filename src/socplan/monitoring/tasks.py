from celery import shared_task


@shared_task(acks_late=True)
def report_build_task(*, report_id: int) -> None:
    """Make a monitoring report document (idempotent: a claimed job is skipped)."""
    from .reports.build import report_build

    report_build(report_id=report_id)


@shared_task(acks_late=True)
def reminders_send_task() -> int:
    """E-mail the reminders of the day (each one once)."""
    from .services.rounds import reminders_send

    return reminders_send()
