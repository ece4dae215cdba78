"""Who may use the archive: the one place that says which roles reach dossiers and the access log.

Dossiers, documents and register entries are scoped by their directorate (`scope_paths`), so a
directorate's staff see their own directorate and its departments, the agency's national experts
and administrators see all of them, and nobody else sees any. The log of reads of personal data
is read by auditors only: not even administrators read it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from socplan.core.scoping import editable, scope_for, visible
from socplan.organizations.models import Organization, RoleAssignment

from .models import DIRECTORATE_KINDS

Role = RoleAssignment.Role
ARCHIVE_ROLES = (Role.DIRECTORATE_EXPERT, Role.NATIONAL, Role.ADMINISTRATOR)


def uses_archive(user) -> bool:
    return scope_for(user).has_role(*ARCHIVE_ROLES)


def archive_check(user) -> None:
    """Refuse users whose roles have nothing to do with the archive (403)."""
    if not uses_archive(user):
        raise PermissionDenied


def is_auditor(user) -> bool:
    return scope_for(user).has_role(Role.AUDITOR)


def auditor_check(user) -> None:
    if not is_auditor(user):
        raise PermissionDenied


def directorates_writable(user) -> QuerySet[Organization]:
    """The directorates whose archive and register the user keeps (upload, register, confirm)."""
    if not uses_archive(user):
        return Organization.objects.none()
    return editable(Organization.objects.filter(kind__in=DIRECTORATE_KINDS, is_active=True), user).order_by("name")


def directorates_readable(user) -> QuerySet[Organization]:
    if not uses_archive(user):
        return Organization.objects.none()
    return visible(Organization.objects.filter(kind__in=DIRECTORATE_KINDS), user).order_by("name")


def archive_visible(qs: QuerySet, user) -> QuerySet:
    """`qs` (dossiers, documents, pages, register entries, messages) as far as `user` may read it."""
    if not uses_archive(user):
        return qs.none()
    return visible(qs, user)


def archive_editable(qs: QuerySet, user) -> QuerySet:
    if not uses_archive(user):
        return qs.none()
    return editable(qs, user)
