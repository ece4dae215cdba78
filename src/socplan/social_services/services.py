"""Changes to the register: services, occupancy, institutions, residents and service cards."""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socplan.core.concurrency import check_revision
from socplan.core.exceptions import ApplicationError
from socplan.core.scoping import scope_for

from . import selectors
from .models import (
    LICENCE_YEARS,
    InstitutionResidents,
    Occupancy,
    Service,
    ServiceCard,
    SpecializedInstitution,
)

SERVICE_FIELDS = (
    "name", "service_type", "provider", "municipality", "settlement", "address", "phone", "email", "capacity",
    "on_national_map", "map_max_users", "financing", "programme", "state_funded_users", "standard_per_place",
    "standard_currency", "licence_number", "licence_issued_on", "licence_expires_on", "status", "council_decision",
    "council_decision_date", "opened_on", "closed_on", "is_published", "external_id",
)


def _check_area(*, user, service: Service, provider_changed: bool = True) -> None:
    """The service must be one the user could change once saved: in their territory or their own.
    Registering for a provider needs the right to do so; a service that keeps its provider does not."""
    scope = scope_for(user)
    if scope.is_administrator:
        return
    write = scope.write
    if not (
        write.covers(region_id=service.region_id, municipality_id=service.municipality_id)
        or service.provider_id in write.organization_ids
    ):
        raise PermissionDenied
    if provider_changed and service.provider_id not in set(
        selectors.service_creatable_providers(user=user).values_list("pk", flat=True)
    ):
        raise ValidationError({"provider": _("You cannot register services for this provider.")})


def service_derive(service: Service) -> None:
    """Fill in what follows from the entered fields: municipality, region, licence expiry, closing date."""
    if service.settlement_id and not service.municipality_id:
        service.municipality_id = service.settlement.municipality_id
    if service.municipality_id:
        service.region_id = service.municipality.region_id
    # A licence covers one service for five years (ЗСУ чл. 31).
    if service.licence_issued_on and not service.licence_expires_on:
        issued = service.licence_issued_on
        try:
            service.licence_expires_on = issued.replace(year=issued.year + LICENCE_YEARS)
        except ValueError:  # 29 February
            service.licence_expires_on = issued.replace(year=issued.year + LICENCE_YEARS, day=28)
    if service.status == Service.Status.CLOSED and not service.closed_on:
        service.closed_on = timezone.localdate()


def _save(service: Service) -> Service:
    service.full_clean()
    try:
        with transaction.atomic():
            service.save()
    except IntegrityError as exc:
        raise ValidationError(_("This provider already has a service with this identifier.")) from exc
    return service


@transaction.atomic
def service_create(*, user, target_groups=None, **fields) -> Service:
    service = Service(**{name: value for name, value in fields.items() if name in SERVICE_FIELDS})
    service_derive(service)
    _check_area(user=user, service=service)
    _save(service)
    if target_groups is not None:
        service.target_groups.set(target_groups)
    return service


@transaction.atomic
def service_update(*, user, service: Service, target_groups=None, **fields) -> Service:
    service = Service.objects.select_for_update().get(pk=service.pk)
    if not selectors.service_can_edit(user=user, service=service):
        raise PermissionDenied
    original_provider = service.provider_id
    for name, value in fields.items():
        if name in SERVICE_FIELDS:
            setattr(service, name, value)
    service_derive(service)
    _check_area(user=user, service=service, provider_changed=service.provider_id != original_provider)
    _save(service)
    if target_groups is not None:
        service.target_groups.set(target_groups)
    return service


@transaction.atomic
def occupancy_record(
    *, user, service: Service, period: str, starts_on: datetime.date, users: int, waiting: int = 0
) -> Occupancy:
    """Record (or correct) the users of a period. Above capacity is allowed but flagged."""
    if not selectors.service_can_edit(user=user, service=service):
        raise PermissionDenied
    if starts_on > timezone.localdate():
        raise ValidationError({"starts_on": _("The period has not started yet.")})
    if service.opened_on and starts_on < service.opened_on.replace(day=1) - datetime.timedelta(days=366):
        raise ValidationError({"starts_on": _("The period is before the service opened.")})
    occupancy = Occupancy.objects.filter(service=service, period=period, starts_on=starts_on).first() or Occupancy(
        service=service, period=period, starts_on=starts_on
    )
    occupancy.users = users
    occupancy.waiting = waiting
    occupancy.full_clean()
    occupancy.save()
    return occupancy


INSTITUTION_FIELDS = (
    "name", "users", "municipality", "operator", "capacity", "status", "target_date", "closed_on", "plan_note",
)


@transaction.atomic
def institution_save(*, user, institution: SpecializedInstitution | None = None, replaced_by=None, **fields):
    institution = institution or SpecializedInstitution()
    for name, value in fields.items():
        if name in INSTITUTION_FIELDS:
            setattr(institution, name, value)
    if institution.municipality_id:
        institution.region_id = institution.municipality.region_id
    scope = scope_for(user)
    if not scope.is_administrator and not scope.write.covers(
        region_id=institution.region_id, municipality_id=institution.municipality_id, organization_id=institution.operator_id
    ):
        raise PermissionDenied
    if institution.status == SpecializedInstitution.Status.CLOSING and not institution.target_date:
        raise ValidationError({"target_date": _("A closure plan needs its target date.")})
    if institution.status in (SpecializedInstitution.Status.CLOSED, SpecializedInstitution.Status.TRANSFORMED):
        institution.closed_on = institution.closed_on or timezone.localdate()
    institution.full_clean()
    institution.save()
    if replaced_by is not None:
        institution.replaced_by.set(replaced_by)
    return institution


@transaction.atomic
def residents_record(
    *, user, institution: SpecializedInstitution, as_of: datetime.date, residents: int, moved_to_community: int = 0
) -> InstitutionResidents:
    scope = scope_for(user)
    if not scope.is_administrator and not scope.write.covers(
        region_id=institution.region_id, municipality_id=institution.municipality_id, organization_id=institution.operator_id
    ):
        raise PermissionDenied
    if residents > institution.capacity * 2:
        raise ValidationError({"residents": _("More residents than twice the capacity: check the figure.")})
    row = InstitutionResidents.objects.filter(institution=institution, as_of=as_of).first() or InstitutionResidents(
        institution=institution, as_of=as_of
    )
    row.residents = residents
    row.moved_to_community = moved_to_community
    row.full_clean()
    row.save()
    return row


@transaction.atomic
def card_save(
    *, user, service: Service, variant: str, period_start: datetime.date, period_end: datetime.date, data: dict,
    submit: bool = False, expected_revision: int | None = None,
) -> ServiceCard:
    """Save a service description card (a draft, or submitted when complete and valid)."""
    from .reference import card_validate

    if not selectors.service_can_edit(user=user, service=service):
        raise PermissionDenied
    if period_end < period_start:
        raise ValidationError({"period_end": _("The period ends before it starts.")})
    card = (
        ServiceCard.objects.select_for_update()
        .filter(service=service, period_start=period_start, period_end=period_end)
        .first()
    ) or ServiceCard(service=service, variant=variant, period_start=period_start, period_end=period_end)
    if card.pk:
        check_revision(current=card.revision, expected=expected_revision, what=_("this card"))
    if card.status == ServiceCard.Status.SUBMITTED:
        raise ApplicationError(_("The card was submitted; it can no longer be changed."))
    errors = card_validate(variant, data) if submit else {}
    if errors:
        raise ValidationError(errors)
    card.variant = variant
    card.data = data
    card.revision = (card.revision or 0) + 1 if card.pk else 1
    if submit:
        card.status = ServiceCard.Status.SUBMITTED
    card.full_clean()
    card.save()
    return card


# --- Imports from files, in the background ---------------------------------------------------------


def exchange_job_start(*, user, kind: str, data: bytes, filename: str, dry_run: bool = False):
    """Keep the uploaded file and queue its import; the page shows the progress.

    The file is read once here (a file that is not a spreadsheet is refused at once, with its
    reason); the rows are checked and saved by the worker.
    """
    from django.core.files.base import ContentFile

    from . import exchange
    from .models import ExchangeJob
    from .tasks import exchange_job_run_task

    if not selectors.service_can_create(user=user):
        raise PermissionDenied
    columns = exchange.SERVICE_COLUMNS if kind == ExchangeJob.Kind.SERVICES else exchange.OCCUPANCY_COLUMNS
    rows = exchange.parse_rows(data, filename, columns)  # raises ValidationError for a bad file
    from django.utils.translation import get_language

    job = ExchangeJob(
        kind=kind, filename=filename[:255], dry_run=dry_run, total=len(rows), created_by=user,
        language=get_language() or "bg",
    )
    job.file.save(filename.rsplit("/", 1)[-1][:100], ContentFile(data), save=False)
    job.save()
    transaction.on_commit(lambda: exchange_job_run_task.delay(job_id=job.pk))
    return job


def exchange_job_run(*, job_id: int):
    """Check and save the rows of a queued import. Claimed with a conditional update, so a job runs
    once; the rows are saved all together or not at all (exchange._apply)."""
    from django.contrib.auth.models import User
    from django.utils import translation

    from . import exchange
    from .models import ExchangeJob

    claimed = ExchangeJob.objects.filter(pk=job_id, status=ExchangeJob.Status.QUEUED).update(
        status=ExchangeJob.Status.CHECKING, started_at=timezone.now()
    )
    if not claimed:
        return None
    job = ExchangeJob.objects.get(pk=job_id)
    user = User.objects.get(pk=job.created_by_id)

    def progress(stage: str, done: int, total: int) -> None:
        status = ExchangeJob.Status.SAVING if stage == "saving" and not job.dry_run else ExchangeJob.Status.CHECKING
        ExchangeJob.objects.filter(pk=job_id).update(status=status, processed=done, total=total)

    run = exchange.services_import if job.kind == ExchangeJob.Kind.SERVICES else exchange.occupancy_import
    try:
        with job.file.open("rb") as handle:
            data = handle.read()
        # Messages are written in the language of the person who uploaded (Bulgarian by default).
        with translation.override(job.language or "bg"):
            report = run(user=user, data=data, filename=job.filename, dry_run=job.dry_run, progress=progress)
    except Exception as exc:  # shown on the job's page; the file stays for another try
        ExchangeJob.objects.filter(pk=job_id).update(
            status=ExchangeJob.Status.FAILED, error=" ".join(getattr(exc, "messages", [str(exc)]))[:2000],
            finished_at=timezone.now(),
        )
        return ExchangeJob.objects.get(pk=job_id)
    ExchangeJob.objects.filter(pk=job_id).update(
        status=ExchangeJob.Status.DONE,
        processed=report.rows,
        report={
            "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
            "errors": [
                {"row": e.row, "column": e.column, "letter": e.letter, "message": str(e.message)} for e in report.errors
            ],
        },
        finished_at=timezone.now(),
    )
    return ExchangeJob.objects.get(pk=job_id)
