"""Reading the audit trail (django-simple-history) in a form people can follow."""

from dataclasses import dataclass
from datetime import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

ACTIONS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class HistoryRow:
    at: datetime
    user: str
    action: str
    changes: list[Change]


def _display(model, field_name: str, value) -> str:
    if value is None or value == "":
        return "—"
    try:
        field = model._meta.get_field(field_name)
    except Exception:  # noqa: BLE001 - a field removed since: show the raw value
        return str(value)
    if field.is_relation and field.related_model is not None:
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value}"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    return str(value)


def history_rows(obj: models.Model, *, limit: int = 50) -> list[HistoryRow]:
    """The object's history, newest first, each row with the fields it changed."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    model = type(obj)
    for index, record in enumerate(records[:limit]):
        previous = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous)
            for change in delta.changes:
                try:
                    label = str(model._meta.get_field(change.field).verbose_name)
                except Exception:  # noqa: BLE001 - a field removed since
                    label = change.field
                changes.append(Change(label, _display(model, change.field, change.old), _display(model, change.field, change.new)))
        user = record.history_user
        rows.append(
            HistoryRow(
                at=record.history_date,
                user=(user.get_full_name() or user.get_username()) if user else str(_("system")),
                action=str(ACTIONS.get(record.history_type, record.history_type)),
                changes=changes,
            )
        )
    return rows
