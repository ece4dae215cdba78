from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "socplan.core"
    verbose_name = _("Core")

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .cache import bump_data_version

        def data_changed(sender, **kwargs):
            # Any saved or deleted row of our apps (or a user) makes cached pages stale — but not
            # a sign-in, which only stamps the user's last_login.
            if sender._meta.app_label not in WATCHED_APPS or sender.__name__ in UNWATCHED_MODELS:
                return
            if hasattr(sender, "instance_type"):  # an audit record: its object's own save bumps already
                return
            if set(kwargs.get("update_fields") or ()) == {"last_login"}:
                return
            bump_data_version()

        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(data_changed, dispatch_uid=f"socplan-data-version-{signal}", weak=False)


# The apps whose data the cached pages show (a label, not an import: core imports no app). The
# archive is not among them: none of its pages is cached, and its scanning and OCR write all day.
WATCHED_APPS = {"auth", "core", "territory", "organizations", "plans", "social_services", "monitoring", "casework", "learning", "contact", "otp_totp"}
# Rows no cached page shows: the counter itself, and the log of reads of personal data (written on
# every read, which must not make every cached page of the site stale).
UNWATCHED_MODELS = {"DataVersion", "PersonalDataAccess"}
