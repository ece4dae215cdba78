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
}
