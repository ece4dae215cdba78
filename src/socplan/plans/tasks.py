from celery import shared_task

from .services.documents import export_render


@shared_task(acks_late=True)
def plan_export_render_task(*, export_id: int) -> None:
    """Make a stored document of a plan (a large PDF). Idempotent: a claimed job is skipped."""
    export_render(export_id=export_id)
