"""The online service description card: a Django form built from the card's fields (data in
reference.CARD_FIELDS), prefilled from the register, so the monitoring app can reuse the fields."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import get_language

from .models import Occupancy, Service
from .reference import card_fields

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _label(item: dict, key: str) -> str:
    if (get_language() or "bg").startswith("en") and item.get(f"{key}_en"):
        return item[f"{key}_en"]
    return item.get(key, "")


def card_form_class(variant: str) -> type[forms.Form]:
    """A form class with one field per card field, grouped by section (each field knows its section)."""
    attrs: dict = {}
    for item in card_fields(variant):
        # Requiredness is checked on submission by card_validate, so a draft can be saved half-filled.
        common = {"label": _label(item, "label"), "required": False, "help_text": _label(item, "help")}
        kind = item.get("type")
        if kind == "integer":
            field = forms.IntegerField(min_value=item.get("min"), max_value=item.get("max"), **common)
        elif kind == "decimal":
            field = forms.DecimalField(min_value=item.get("min"), max_value=item.get("max"), decimal_places=2, **common)
        elif kind == "date":
            field = forms.DateField(widget=DATE_WIDGET, **common)
        elif kind == "boolean":
            field = forms.TypedChoiceField(
                choices=[("", "—"), ("true", "да" if not get_language() == "en" else "yes"),
                         ("false", "не" if not get_language() == "en" else "no")],
                coerce=lambda v: v == "true", empty_value=None, **common,
            )
        elif kind == "choice":
            field = forms.ChoiceField(
                choices=[("", "—")] + [(c["value"], _label(c, "label")) for c in item.get("choices", [])], **common
            )
        elif item.get("max_length", 0) > 300 or item.get("multiline"):
            field = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=item.get("max_length"), **common)
        else:
            field = forms.CharField(max_length=item.get("max_length"), **common)
        field.section = _label(item, "section")
        field.card_required = bool(item.get("required"))
        attrs[item["key"]] = field
    return type(f"CardForm_{variant}", (forms.Form,), attrs)


def to_data(cleaned: dict) -> dict:
    """JSON-safe answers (dates as ISO text, decimals as text, empty answers left out)."""
    data = {}
    for key, value in cleaned.items():
        if value in (None, ""):
            continue
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif not isinstance(value, (bool, int, str)):
            value = str(value)
        data[key] = value
    return data


def prefill(service: Service, period_start: datetime.date, period_end: datetime.date) -> dict:
    """What the register already knows, so nobody types it again."""
    last = (
        Occupancy.objects.filter(service=service, starts_on__lte=period_end).order_by("-starts_on").first()
    )
    provider_kind = "municipality" if service.provider.kind == "municipality" else "outsourced"
    data = {
        "service_name": service.name,
        "service_type": str(service.service_type),
        "provider_name": str(service.provider),
        "provider_kind": provider_kind,
        "address": f"{service.settlement}, {service.address}".strip(", "),
        "opened_on": service.opened_on.isoformat() if service.opened_on else None,
        "licence_number": service.licence_number,
        "licence_expires_on": service.licence_expires_on.isoformat() if service.licence_expires_on else None,
        "capacity": service.capacity,
        "users_total": last.users if last else None,
        "waiting_list": last.waiting if last else None,
        "financing": {"state_delegated": "state", "municipal": "municipal", "mixed": "mixed"}.get(service.financing),
        "currency": service.standard_currency,
    }
    return {key: value for key, value in data.items() if value not in (None, "")}


def sections(form: forms.Form) -> list[tuple[str, list]]:
    grouped: list[tuple[str, list]] = []
    for bound in form:
        section = getattr(bound.field, "section", "")
        if not grouped or grouped[-1][0] != section:
            grouped.append((section, []))
        grouped[-1][1].append(bound)
    return grouped
