"""The form builder's one action: save a template (a used one is never changed: a new version is made)."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max

from socplan.core.scoping import scope_for

from .. import selectors
from ..forms_engine import SchemaError, schema_check
from ..models import Assignment, FormTemplate

TEMPLATE_FIELDS = ("name", "description", "respondent", "legal_basis", "is_active")


@transaction.atomic
def template_save(*, user, schema: dict, template: FormTemplate | None = None, owner=None, copy: bool = False, **fields) -> FormTemplate:
    """Save a template. A template already sent out in a round keeps its form: the change is saved
    as its next version, which new rounds use. `copy` starts the user's own template from any one."""
    scope = scope_for(user)
    try:
        schema_check(schema)
    except SchemaError as error:
        raise ValidationError({"schema": str(error)}) from None
    if template is not None and not copy and not selectors.template_can_edit(user=user, template=template):
        raise PermissionDenied
    if template is None or copy:
        if owner is None or not (scope.is_administrator or owner.pk in scope.own_organization_ids):
            raise PermissionDenied
        code = f"org{owner.pk}-{uuid.uuid4().hex[:10]}"
        new = FormTemplate(code=code, version=1, owner=owner, schema=schema)
        if template is not None:
            for name in TEMPLATE_FIELDS:
                setattr(new, name, getattr(template, name))
        template = new
    elif Assignment.objects.filter(template=template).exists():
        latest = FormTemplate.objects.filter(code=template.code).aggregate(m=Max("version"))["m"]
        FormTemplate.objects.filter(code=template.code).update(is_active=False)
        template.pk, template.id, template._state.adding = None, None, True
        template.version = latest + 1
        template.is_active = True
    for name, value in fields.items():
        if name in TEMPLATE_FIELDS:
            setattr(template, name, value)
    template.schema = schema
    template.full_clean()
    template.save()
    return template
