"""The periodic schedule of background jobs. Each entry says when it runs in words."""

from celery.schedules import crontab

CELERY_BEAT_SCHEDULE = {
    # Every night at 03:15 (Europe/Sofia): drop expired sessions.
    "clear-sessions": {
        "task": "socplan.core.tasks.clear_expired_sessions_task",
        "schedule": crontab(hour=3, minute=15),
    },
    # Every morning at 07:30 (Europe/Sofia): remind respondents of reports due soon or overdue.
    "monitoring-reminders": {
        "task": "socplan.monitoring.tasks.reminders_send_task",
        "schedule": crontab(hour=7, minute=30),
    },
    # Every minute: take in what the directorates' scanners dropped into their folders.
    "archive-drop-folders": {
        "task": "socplan.archive.tasks.drop_folders_sweep_task",
        "schedule": crontab(minute="*"),
    },
    # Every minute: read new messages from secure e-delivery, register and answer them.
    "archive-edelivery": {
        "task": "socplan.archive.tasks.edelivery_poll_task",
        "schedule": crontab(minute="*"),
    },
    # Every ten minutes: queue again documents whose processing stopped (a worker that died).
    "archive-stale-processing": {
        "task": "socplan.archive.tasks.processing_stale_requeue_task",
        "schedule": crontab(minute="*/10"),
    },
    # Every night at 02:30: mark documents whose retention has ended (nothing is deleted here).
    "archive-retention": {
        "task": "socplan.archive.tasks.retention_review_task",
        "schedule": crontab(hour=2, minute=30),
    },
}
