"""The form templates shipped with socplan, and their loader.

Each file in `data/forms/` holds one version of one template::

    {"code": "dsp_information", "version": 1, "name": "…", "description": "…",
     "respondent": "directorate", "legal_basis": "…", "schema": {…}}

(the schema as in `forms_engine.py`). The templates are those the monitoring units used for the
strategies of the Social Assistance Act (source document 002: the report frame of the municipal
strategy, the information from the ДСП, the card of the municipal administration, the service
description cards for persons and for children) and the two yearly reports of the Social
Services Act (the provider's report, ЗСУ чл. 112; the mayor's analysis, ЗСУ чл. 113).

A loaded version is never changed: reports already filled against it must keep their meaning. A
change to a shipped template is a new file with the next version; the old file stays.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from .forms_engine import SchemaError, schema_check

FORMS_DIR = Path(__file__).resolve().parent / "data" / "forms"
REQUIRED_KEYS = ("code", "version", "name", "respondent", "schema")
OPTIONAL_KEYS = ("description", "legal_basis")


class TemplateFileError(ValueError):
    """A shipped template file is broken; the message starts with the file's name."""


def _fail(path: Path, message: str) -> TemplateFileError:
    return TemplateFileError(f"{path.name}: {message}")


def template_read(path: Path) -> dict:
    """One template file, checked: its keys, its version and its schema (`schema_check`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise _fail(path, _("not valid JSON (line %(line)s, column %(column)s): %(error)s.") % {
            "line": exc.lineno, "column": exc.colno, "error": exc.msg,
        }) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, _("cannot be read: %(error)s.") % {"error": exc}) from None
    if not isinstance(data, dict):
        raise _fail(path, _("a template file holds one JSON object."))
    missing = [key for key in REQUIRED_KEYS if key not in data]
    if missing:
        raise _fail(path, _("missing keys: %(keys)s.") % {"keys": ", ".join(missing)})
    unknown = sorted(set(data) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        raise _fail(path, _("unknown keys: %(keys)s.") % {"keys": ", ".join(unknown)})
    version = data["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _fail(path, _("the version must be a whole number from 1."))
    try:
        schema_check(data["schema"])
    except SchemaError as exc:
        raise _fail(path, str(exc)) from None
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        # schema_check assumes the shape it checks in places (an item is an object, "max_rows" a
        # number); the file must still be named when that assumption fails.
        raise _fail(path, _("the schema is malformed: %(error)r.") % {"error": exc}) from None
    return data


def templates_read(folder: Path | None = None) -> list[tuple[Path, dict]]:
    """Every template file of the folder, in file name order, checked; a (code, version) given twice
    is an error."""
    folder = FORMS_DIR if folder is None else folder
    found: list[tuple[Path, dict]] = []
    seen: dict[tuple[str, int], Path] = {}
    for path in sorted(folder.glob("*.json")):
        data = template_read(path)
        key = (data["code"], data["version"])
        if key in seen:
            raise _fail(path, _("“%(code)s” version %(version)s is already in %(other)s.") % {
                "code": key[0], "version": key[1], "other": seen[key].name,
            })
        seen[key] = path
        found.append((path, data))
    return found


def templates_load(model: type[models.Model] | None = None) -> dict[str, int]:
    """Create every shipped template version that is not in the database yet; change none.

    `model` is FormTemplate by default; a data migration passes its historical model
    (`apps.get_model("monitoring", "FormTemplate")`). All files are checked before anything is
    written, and a broken one raises TemplateFileError naming it: all or nothing. A (code,
    version) already present counts as existing whoever owns it, since the pair is unique.
    Returns {"created": n, "existing": m}.
    """
    if model is None:
        # Imported here so that a migration importing this module does not load today's models.
        from .models import FormTemplate

        model = FormTemplate
    templates = templates_read(FORMS_DIR)
    codes = {data["code"] for _path, data in templates}
    present = set(model.objects.filter(code__in=codes).values_list("code", "version"))
    counts = {"created": 0, "existing": 0}
    to_create = []
    for path, data in templates:
        if (data["code"], data["version"]) in present:
            counts["existing"] += 1
            continue
        template = model(
            code=data["code"],
            version=data["version"],
            name=data["name"],
            description=data.get("description", ""),
            respondent=data["respondent"],
            legal_basis=data.get("legal_basis", ""),
            schema=data["schema"],
            owner=None,
        )
        try:
            template.full_clean()
        except ValidationError as exc:
            errors = "; ".join(f"{name}: {' '.join(texts)}" for name, texts in exc.message_dict.items())
            raise _fail(path, errors) from None
        to_create.append(template)
    # Saved one by one (not bulk_create) so that the history of each template starts with it.
    with transaction.atomic():
        for template in to_create:
            template.save()
            counts["created"] += 1
    return counts
