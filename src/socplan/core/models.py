from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .scoping import ScopePaths


class Currency(models.TextChoices):
    """Every amount is stored with its currency: leva before the euro changeover of 1 January 2026,
    euro after (fixed rate 1 EUR = 1.95583 BGN)."""

    BGN = "BGN", _("BGN")
    EUR = "EUR", _("EUR")


class BaseModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class PersonalDataAccess(models.Model):
    """One read of a person's data: who read it, when, from where, through which client.

    Written by `personal_data_read_log()` from every view and API endpoint that shows personal
    data (the archive's dossiers, casework). Rows are never changed or deleted by the application.
    """

    class IdentifierKind(models.TextChoices):
        EGN = "egn", _("ЕГН")
        LNCH = "lnch", _("ЛНЧ")
        OTHER = "other", _("other identifier")

    class Channel(models.TextChoices):
        WEB = "web", _("web interface")
        API = "api", _("API")
        EXPORT = "export", _("export")

    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    client = models.CharField(_("system client"), max_length=150, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    person_identifier = models.CharField(_("person identifier"), max_length=20, db_index=True)
    identifier_kind = models.CharField(
        _("identifier kind"), max_length=10, choices=IdentifierKind.choices, default=IdentifierKind.EGN
    )
    object_type = models.CharField(_("what was read"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    purpose = models.CharField(_("purpose"), max_length=255, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=255, blank=True)
    path = models.CharField(_("address"), max_length=500, blank=True)

    # Only auditors read this log; it belongs to no territory.
    scope_paths = ScopePaths()

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        ordering = ["-at"]
        indexes = [models.Index(fields=["person_identifier", "-at"], name="core_pda_person_at")]

    def __str__(self):
        return f"{self.at:%d.%m.%Y %H:%M} {self.user or self.client} → {self.person_identifier}"


class DataVersion(models.Model):
    """A counter bumped after every committed change of the application's data.

    Cached pages and computations are keyed on it (core.cache), so a cache entry never outlives
    the data it was built from, whichever process or machine made the change.
    """

    value = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("data version")
