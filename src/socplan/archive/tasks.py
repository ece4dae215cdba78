from celery import shared_task


@shared_task(bind=True, acks_late=True)
def document_process_task(self, document_id: int) -> None:
    from .processing import document_process

    document_process(document_id)
