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
            if sender._meta.app_label not in WATCHED_APPS or sender.__name__ == "DataVersion":
                return
            if hasattr(sender, "instance_type"):  # an audit record: its object's own save bumps already
                return
            if set(kwargs.get("update_fields") or ()) == {"last_login"}:
                return
            bump_data_version()

        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(data_changed, dispatch_uid=f"socplan-data-version-{signal}", weak=False)


# The apps whose data the cached pages show (a label, not an import: core imports no app).
WATCHED_APPS = {"auth", "core", "territory", "organizations", "plans", "social_services", "monitoring", "archive", "casework", "learning", "contact", "otp_totp"}
