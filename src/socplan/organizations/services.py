"""Changes to organisations, bodies, orders, members and roles (each validated and audited)."""

from datetime import date

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from socplan.core.exceptions import ApplicationError
from socplan.territory.models import Municipality, Region

from . import selectors
from .models import Appointment, Body, Membership, Organization, RoleAssignment

ORGANIZATION_FIELDS = ("kind", "name", "short_name", "region", "municipality", "parent", "eik", "address", "email", "phone", "website", "is_active")


def _save(obj, *, duplicate_message: str):
    """Validate and save; a race past the uniqueness check still gets a clear message."""
    obj.full_clean()
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise ValidationError(duplicate_message) from exc
    return obj


def _check_area(*, user, organization: Organization) -> None:
    """The organisation must be one the user could see and change once saved."""
    scope = selectors.scope_for(user)
    if scope.is_administrator:
        return
    if organization.kind not in selectors.organization_creatable_kinds(user=user) and organization.pk is None:
        raise PermissionDenied
    if not scope.write.covers(region_id=organization.region_id, municipality_id=organization.municipality_id):
        raise ValidationError(
            {"municipality": _("You can register organisations only in your own territory.")}
        )


@transaction.atomic
def organization_create(*, user: User, **fields) -> Organization:
    organization = Organization(**{k: v for k, v in fields.items() if k in ORGANIZATION_FIELDS})
    if organization.municipality_id and not organization.region_id:
        organization.region_id = organization.municipality.region_id
    _check_area(user=user, organization=organization)
    return _save(organization, duplicate_message=_("An organisation of this kind with this name or ЕИК already exists."))


@transaction.atomic
def organization_update(*, user: User, organization: Organization, **fields) -> Organization:
    if not selectors.organization_can_edit(user=user, organization=organization):
        raise PermissionDenied
    scope = selectors.scope_for(user)
    for name, value in fields.items():
        if name not in ORGANIZATION_FIELDS:
            continue
        if name in ("kind", "region", "municipality", "parent") and not scope.is_administrator:
            # Where an institution sits decides who sees it: only administrators move it.
            if getattr(organization, name) != value:
                raise ApplicationError(_("Only an administrator can change the kind or territory of an organisation."))
            continue
        setattr(organization, name, value)
    return _save(organization, duplicate_message=_("An organisation of this kind with this name or ЕИК already exists."))


@transaction.atomic
def body_create(*, user: User, organization: Organization, **fields) -> Body:
    if not selectors.body_can_create(user=user, organization=organization):
        raise PermissionDenied
    body = Body(organization=organization, **fields)
    return _save(body, duplicate_message=_("This organisation already has a body with this name."))


@transaction.atomic
def body_update(*, user: User, body: Body, **fields) -> Body:
    if not selectors.body_can_edit(user=user, body=body):
        raise PermissionDenied
    for name, value in fields.items():
        setattr(body, name, value)
    return _save(body, duplicate_message=_("This organisation already has a body with this name."))


@transaction.atomic
def appointment_create(*, user: User, body: Body, number: str, date: date, issued_by: str, subject: str = "") -> Appointment:
    """Record the order (заповед) that sets up a body or appoints members. Dates in the future are refused."""
    if not selectors.body_can_edit(user=user, body=body):
        raise PermissionDenied
    appointment = Appointment(body=body, number=number.strip().lstrip("№").strip(), date=date, issued_by=issued_by, subject=subject)
    return _save(appointment, duplicate_message=_("This order is already recorded for this body."))


@transaction.atomic
def membership_add(*, user: User, body: Body, **fields) -> Membership:
    if not selectors.body_can_edit(user=user, body=body):
        raise PermissionDenied
    membership = Membership(body=body, **fields)
    return _save(membership, duplicate_message=_("The body already has a chair. End the current chair's membership first."))


@transaction.atomic
def membership_end(*, user: User, membership: Membership, end_date: date) -> Membership:
    if not selectors.body_can_edit(user=user, body=membership.body):
        raise PermissionDenied
    membership.end_date = end_date
    return _save(membership, duplicate_message=_("The membership could not be ended."))


@transaction.atomic
def role_assign(*, by: User, user: User, role: str, organization: Organization, region: Region | None = None, municipality: Municipality | None = None) -> RoleAssignment:
    """Give a user a role in an organisation. Only administrators assign roles."""
    if not selectors.scope_for(by).is_administrator:
        raise PermissionDenied
    assignment = RoleAssignment(user=user, role=role, organization=organization, region=region, municipality=municipality)
    return _save(assignment, duplicate_message=_("The user already has this role in this organisation."))


# --- Organisations created from the territory data ----------------------------------------------

AGENCY_NAME = "Агенция за социално подпомагане"


@transaction.atomic
def organizations_load_public() -> dict[str, int]:
    """Create (or keep) the agency, and per region its administration, development council and РДСП,
    and per municipality the municipality and its council. Idempotent: keyed on kind and territory."""
    created = {}

    def ensure(kind, name, *, region=None, municipality=None, short_name=""):
        lookup = {"kind": kind}
        if kind in Organization.SINGLETON_KINDS:
            lookup.update({"region": region} if municipality is None else {"municipality": municipality})
        else:
            lookup["name"] = name
        obj = Organization.objects.filter(**lookup).first()
        if obj is None:
            obj = Organization(kind=kind, name=name, short_name=short_name, region=region, municipality=municipality)
            obj.full_clean()
            obj.save()
            created[kind] = created.get(kind, 0) + 1
        return obj

    ensure(Organization.Kind.AGENCY, AGENCY_NAME, short_name="АСП")
    ensure(Organization.Kind.DAZD, "Държавна агенция за закрила на детето", short_name="ДАЗД")
    ensure(Organization.Kind.AKSU, "Агенция за качеството на социалните услуги", short_name="АКСУ")
    for region in Region.objects.order_by("code"):
        genitive = "Софийска област" if region.code == "SFO" else region.name_bg
        ensure(Organization.Kind.REGIONAL_ADMINISTRATION, f"Областна администрация {genitive}", region=region, short_name=f"ОА {region.name_bg}")
        ensure(Organization.Kind.REGIONAL_DEVELOPMENT_COUNCIL, f"Областен съвет за развитие {genitive}", region=region, short_name=f"ОСР {region.name_bg}")
        ensure(Organization.Kind.RDSP, f"Регионална дирекция за социално подпомагане {genitive}", region=region, short_name=f"РДСП {region.name_bg}")
    names = [m.name_bg for m in Municipality.objects.all()]
    for municipality in Municipality.objects.select_related("region").order_by("code"):
        region = municipality.region
        name = municipality.name_bg
        if names.count(name) > 1:  # e.g. Бяла in the regions of Русе and Варна
            name = f"{name} (обл. {region.name_bg})"
        if municipality.code == "SOF46":
            org_name, council_name = "Столична община", "Столичен общински съвет"
        else:
            org_name, council_name = f"Община {name}", f"Общински съвет {name}"
        ensure(Organization.Kind.MUNICIPALITY, org_name, region=region, municipality=municipality)
        ensure(Organization.Kind.MUNICIPAL_COUNCIL, council_name, region=region, municipality=municipality)
    return created
