"""The incoming register (входящ дневник): numbers taken in sequence per directorate and year.

A number is never repeated and never skipped, also when several clerks, the e-delivery robot and
the API register at the same moment:

- the directorate's RegisterCounter row for the year is locked (SELECT … FOR UPDATE) while a number
  is taken, so concurrent registrations queue on it one after the other;
- the counter and the entry are written in the same transaction, so a registration that fails
  (and rolls back) gives its number back: the next one takes it, and no gap appears.

The year is the calendar year in Europe/Sofia of the moment of registration: on 1 January the
numbering starts at 1 again (a new counter row).
"""

from __future__ import annotations

import datetime
import string
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socplan.organizations.models import Organization

from .models import RegisterCounter, RegisterEntry, RegisterSettings

SOFIA = ZoneInfo("Europe/Sofia")
FIELDS = ("code", "seq", "year", "date")
# Prefix of the default register code of a directorate with no short name, by kind.
KIND_PREFIX = {
    Organization.Kind.DSP: "ДСП",
    Organization.Kind.OZD: "ОЗД",
    Organization.Kind.RDSP: "РДСП",
    Organization.Kind.AGENCY: "АСП",
}


def local_date(moment: datetime.datetime) -> datetime.date:
    """The calendar day of `moment` in Bulgaria (a registration at 00:30 on 1 January belongs to the new year)."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, SOFIA)
    return moment.astimezone(SOFIA).date()


# --- The number format ---------------------------------------------------------------------------


def number_format_check(number_format: str) -> None:
    """Refuse a format that could give two entries the same number, or that cannot be filled in.

    Allowed fields: {code}, {seq} (with an optional format spec such as {seq:05d}), {year} and
    {date} (dd.mm.yyyy). {seq} is required, and so is {year} or {date}: the sequence starts at 1
    every year, so a number without the year would repeat the year before.
    """
    try:
        parsed = list(string.Formatter().parse(number_format))
    except ValueError as error:
        raise ValidationError(
            {"number_format": _("The format is not valid: %(error)s. Write fields in braces, e.g. {seq:05d}.") % {"error": error}}
        ) from error
    names = set()
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in FIELDS:
            raise ValidationError(
                {"number_format": _("Unknown field {%(name)s}. Use {code}, {seq}, {year} and {date}.") % {"name": name}}
            )
        if conversion:
            raise ValidationError({"number_format": _("Conversions such as !r are not allowed in the format.")})
        names.add(name)
    if "seq" not in names:
        raise ValidationError({"number_format": _("The format must contain the sequence number {seq}.")})
    if not names & {"year", "date"}:
        raise ValidationError(
            {"number_format": _("The format must contain {year} or {date}: the sequence starts at 1 every year.")}
        )
    try:
        sample = number_build(number_format, code="ДСП-X", seq=12345, day=datetime.date(2026, 12, 31))
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise ValidationError(
            {"number_format": _("The format cannot be filled in: %(error)s.") % {"error": error}}
        ) from error
    if len(sample) > RegisterEntry._meta.get_field("number").max_length:
        raise ValidationError({"number_format": _("The numbers would be longer than 60 characters.")})


def number_build(number_format: str, *, code: str, seq: int, day: datetime.date) -> str:
    return number_format.format(code=code, seq=seq, year=day.year, date=day.strftime("%d.%m.%Y"))


# --- Settings ------------------------------------------------------------------------------------


def default_code(directorate: Organization) -> str:
    """The register code of a directorate that has not set one: its short name, or e.g. ДСП-VTR04."""
    if directorate.short_name:
        return directorate.short_name[:30]
    prefix = KIND_PREFIX.get(directorate.kind, "ДСП")
    if directorate.municipality_id:
        return f"{prefix}-{directorate.municipality.code}"[:30]
    if directorate.region_id:
        return f"{prefix}-{directorate.region.code}"[:30]
    return prefix


def register_settings_get(directorate: Organization) -> RegisterSettings:
    """The directorate's register settings, created with the default code and format if it has none."""
    found = RegisterSettings.objects.filter(directorate=directorate).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return RegisterSettings.objects.create(directorate=directorate, code=default_code(directorate))
    except IntegrityError:
        # Two first registrations of a new directorate at once: the other one created them.
        return RegisterSettings.objects.get(directorate=directorate)


def register_settings_save(*, directorate: Organization, code: str, number_format: str, drop_folder: str = "") -> RegisterSettings:
    """Change how a directorate writes its numbers; the numbers already given stay as they are."""
    number_format_check(number_format)
    settings_ = register_settings_get(directorate)
    settings_.code = code.strip()
    settings_.number_format = number_format.strip()
    settings_.drop_folder = drop_folder.strip()
    settings_.full_clean()
    settings_.save()
    return settings_


def next_number_preview(*, directorate: Organization, code: str | None = None, number_format: str | None = None,
                        at: datetime.datetime | None = None) -> str:
    """The number the next registration would take (for the settings form; nothing is reserved)."""
    day = local_date(at or timezone.now())
    settings_ = RegisterSettings.objects.filter(directorate=directorate).first()
    code = code if code is not None else (settings_.code if settings_ else default_code(directorate))
    number_format = number_format or (settings_.number_format if settings_ else RegisterSettings._meta.get_field("number_format").default)
    last = RegisterCounter.objects.filter(directorate=directorate, year=day.year).values_list("last", flat=True).first() or 0
    return number_build(number_format, code=code, seq=last + 1, day=day)


# --- Registering ---------------------------------------------------------------------------------


def _counter_locked(directorate: Organization, year: int) -> RegisterCounter:
    """The (directorate, year) counter row, locked until the surrounding transaction ends."""
    counter = RegisterCounter.objects.select_for_update().filter(directorate=directorate, year=year).first()
    if counter is not None:
        return counter
    try:
        # A savepoint: when another transaction creates the row first, only this insert fails.
        with transaction.atomic():
            RegisterCounter.objects.create(directorate=directorate, year=year, last=0)
    except IntegrityError:
        pass  # the first registration of the year by someone else: take their row (and wait for its lock)
    return RegisterCounter.objects.select_for_update().get(directorate=directorate, year=year)


def register_entry_create(
    *,
    directorate: Organization,
    sender: str,
    subject: str,
    channel: str,
    user=None,
    sender_identifier: str = "",
    document_type=None,
    dossier=None,
    team=None,
    registered_at: datetime.datetime | None = None,
    note: str = "",
) -> RegisterEntry:
    """Register what `directorate` received and give it the next incoming number of the year.

    The counter row stays locked until the caller's outermost transaction commits: every other
    registration in the directorate waits for it, so callers keep that transaction short.
    ValidationError for an entry that is not complete (no sender, no subject, …); nothing is
    numbered then.
    """
    registered_at = registered_at or timezone.now()
    day = local_date(registered_at)
    with transaction.atomic():
        settings_ = register_settings_get(directorate)
        entry = RegisterEntry(
            directorate=directorate,
            year=day.year,
            sequence=1,  # checked by full_clean below, replaced once the counter is locked
            number="-",
            registered_at=registered_at,
            channel=channel,
            sender=(sender or "").strip()[:255],
            sender_identifier=(sender_identifier or "").strip(),
            subject=(subject or "").strip()[:500],
            document_type=document_type,
            dossier=dossier,
            team=team,
            registered_by=user if (user is not None and getattr(user, "is_authenticated", False)) else None,
            note=note,
        )
        # Check the entry before a number is taken (the uniqueness checks need the real number).
        entry.full_clean(exclude=["sequence", "number"], validate_unique=False, validate_constraints=False)
        counter = _counter_locked(directorate, day.year)
        counter.last += 1
        counter.save(update_fields=["last"])
        entry.sequence = counter.last
        entry.number = number_build(settings_.number_format, code=settings_.code, seq=counter.last, day=day)
        entry.save()
    return entry


def register_entry_receive(
    *,
    directorate: Organization,
    user,
    sender: str,
    subject: str,
    channel: str,
    sender_identifier: str = "",
    document_type=None,
    note: str = "",
    files=(),
    into_dossier: bool = True,
) -> RegisterEntry:
    """Register what staff received (at the counter, by post, by e-mail) with its scanned files.

    When the sender's identifier is a valid ЕГН/ЛНЧ and `into_dossier` is set, the entry and its
    files go into the sender's dossier (opened if the person has none). The files are stored as one
    batch and queued for processing once everything committed. All or nothing: a file the archive
    refuses (ValidationError) leaves no entry and takes no number.
    """
    from . import services
    from .models import Batch, Document

    with transaction.atomic():
        dossier = None
        identifier = (sender_identifier or "").strip()
        if into_dossier and len(identifier) == 10 and identifier.isdigit():
            parts = sender.split()
            dossier = services.dossier_for_person(
                directorate=directorate,
                person_identifier=identifier,
                first_name=parts[0] if parts else "",
                middle_name=" ".join(parts[1:-1]),
                last_name=parts[-1] if len(parts) > 1 else "",
            )
        entry = register_entry_create(
            directorate=directorate, sender=sender, subject=subject, channel=channel, user=user,
            sender_identifier=identifier, document_type=document_type, dossier=dossier, note=note,
        )
        if files:
            batch = Batch.objects.create(
                directorate=directorate, source=Document.Source.UPLOAD, created_by=user, files_total=len(files)
            )
            for file in files:
                services.document_ingest(
                    directorate=directorate, file=file, source=Document.Source.UPLOAD, user=user, batch=batch,
                    dossier=dossier, register_entry=entry,
                    metadata={"document_type": document_type} if document_type is not None else None,
                )
    return entry
