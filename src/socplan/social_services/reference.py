"""Reference data of the social services: the service types, the planning standards and the fields of
the service description cards.

- Service types (`data/service_types.csv`): the ten activities of the Social Services Act (ЗСУ чл. 15)
  and the named services of earlier law (ЗСП, ППЗСП чл. 36) mapped onto them; general or
  specialised (ЗСУ чл. 12); planned at municipal or regional level (ЗСУ чл. 33).
- Planning standards (`data/planning_standards.csv`): the norms of the Ordinance on the Planning of
  Social Services (НПСУ, ДВ бр. 29/2021, глава втора) as a versioned table. Figures that could not
  be confirmed in the ordinance are working assumptions (`is_confirmed=false`), see
  `data/PROVENANCE.md`. The national administrator changes them in the admin; a row with a later
  `valid_from` replaces the earlier one for the same type and kind.
- Service description cards (карта за описание на социална услуга, for persons and for children):
  the forms providers fill for the monitoring of the municipal and regional strategies (source
  document 002) and, since 2020, for the yearly analysis of the services (ЗСУ чл. 112–113).

The loaders are idempotent (keyed on the type's code, and on type × kind × valid from), validate
every row with `full_clean()`, and load a file all or nothing.
"""

from __future__ import annotations

import copy
import csv
import datetime
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from .models import PlanningStandard, ServiceType

DATA_DIR = Path(__file__).resolve().parent / "data"
SERVICE_TYPES_FILE = DATA_DIR / "service_types.csv"
PLANNING_STANDARDS_FILE = DATA_DIR / "planning_standards.csv"

SERVICE_TYPE_COLUMNS = [
    "code", "abbreviation", "name", "name_en", "activity", "scope", "level", "users", "is_residential", "order",
]
STANDARD_COLUMNS = [
    "service_type", "kind", "age_from", "age_to", "value", "min_population", "valid_from", "source", "is_confirmed",
]

TRUE_VALUES = {"true", "1", "yes"}
FALSE_VALUES = {"false", "0", "no"}


# --- Errors in both languages -------------------------------------------------------------------


def _both(render: Callable[[], str]) -> str:
    """The message in Bulgarian and in English (the loaders run from the command line and from
    admin actions, where the reader may need either); once when no translation exists yet."""
    with translation.override("bg"):
        bulgarian = render()
    with translation.override("en"):
        english = render()
    return bulgarian if bulgarian == english else f"{bulgarian} / {english}"


def _row_error(render: Callable[[], str]) -> ValidationError:
    return ValidationError(_both(render))


# --- Reading the files --------------------------------------------------------------------------


def _read_rows(path: Path, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file with their line numbers (the header is line 1)."""
    name = path.name
    if not path.exists():
        raise _row_error(lambda: _("%(file)s: the file does not exist.") % {"file": name})
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [column for column in columns if column not in (reader.fieldnames or [])]
        if missing:
            raise _row_error(
                lambda: _("%(file)s, line 1: missing columns: %(columns)s.")
                % {"file": name, "columns": ", ".join(missing)}
            )
        rows = []
        for row in reader:
            line = reader.line_num
            if not any((value or "").strip() for key, value in row.items() if key is not None):
                continue  # a blank line
            if None in row or any(row.get(column) is None for column in columns):
                found = len(row) - (1 if None in row else 0) + len(row.get(None) or [])
                found -= sum(1 for column in columns if row.get(column) is None)
                raise _row_error(
                    lambda: _("%(file)s, line %(line)d: the row has %(found)d columns instead of %(expected)d.")
                    % {"file": name, "line": line, "found": found, "expected": len(reader.fieldnames or [])}
                )
            rows.append((line, {key: (value or "").strip() for key, value in row.items()}))
    return rows


def _parse_bool(value: str, *, file: str, line: int, column: str) -> bool:
    lowered = value.lower()
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    raise _row_error(
        lambda: _("%(file)s, line %(line)d, column “%(column)s”: “%(value)s” is neither true nor false.")
        % {"file": file, "line": line, "column": column, "value": value}
    )


def _parse_int(value: str, *, file: str, line: int, column: str, blank: int | None = None) -> int | None:
    if value == "" and (blank is not None or column == "age_to"):
        return blank
    try:
        return int(value)
    except ValueError:
        raise _row_error(
            lambda: _("%(file)s, line %(line)d, column “%(column)s”: “%(value)s” is not a whole number.")
            % {"file": file, "line": line, "column": column, "value": value}
        ) from None


def _parse_decimal(value: str, *, file: str, line: int, column: str) -> Decimal:
    try:
        number = Decimal(value.replace(",", "."))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _row_error(
            lambda: _("%(file)s, line %(line)d, column “%(column)s”: “%(value)s” is not a number.")
            % {"file": file, "line": line, "column": column, "value": value}
        )
    return number


def _parse_date(value: str, *, file: str, line: int, column: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise _row_error(
            lambda: _("%(file)s, line %(line)d, column “%(column)s”: “%(value)s” is not a date (YYYY-MM-DD).")
            % {"file": file, "line": line, "column": column, "value": value}
        ) from None


def _validated(obj: models.Model, *, file: str, line: int) -> None:
    """`full_clean()` with the file and line in the message."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        def render() -> str:
            details = "; ".join(
                f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
                for field, messages in exc.message_dict.items()
            )
            return _("%(file)s, line %(line)d: %(errors)s") % {"file": file, "line": line, "errors": details}

        raise _row_error(render) from None


def _upsert(model: type[models.Model], key: dict[str, Any], values: dict[str, Any], *, file: str, line: int) -> None:
    """Validate the row, then `update_or_create` it, but only when something changed: every save
    writes a history row (django-simple-history), and a second run must change nothing."""
    existing = model.objects.filter(**key).first()
    candidate = existing or model(**key)
    changed = existing is None
    for name, value in values.items():
        if getattr(candidate, name) != value:
            setattr(candidate, name, value)
            changed = True
    _validated(candidate, file=file, line=line)
    if changed:
        model.objects.update_or_create(**key, defaults=values)


# --- Loaders ------------------------------------------------------------------------------------


@transaction.atomic
def service_types_load(*, path: Path = SERVICE_TYPES_FILE) -> int:
    """Load the service types (ЗСУ чл. 15 activities and the named services of earlier law), keyed
    on `code`; return the number of types in the file. All or nothing: a bad row loads no row."""
    name = path.name
    seen: dict[str, int] = {}
    rows = _read_rows(path, SERVICE_TYPE_COLUMNS)
    for line, row in rows:
        code = row["code"]
        if code in seen:
            first = seen[code]
            raise _row_error(
                lambda: _("%(file)s, line %(line)d: the code “%(code)s” is already on line %(first)d.")
                % {"file": name, "line": line, "code": code, "first": first}
            )
        seen[code] = line
        values = {
            "abbreviation": row["abbreviation"],
            "name": row["name"],
            "name_en": row["name_en"],
            "activity": row["activity"],
            "scope": row["scope"],
            "level": row["level"],
            "users": row["users"],
            "is_residential": _parse_bool(row["is_residential"], file=name, line=line, column="is_residential"),
            "order": _parse_int(row["order"], file=name, line=line, column="order", blank=0),
        }
        _upsert(ServiceType, {"code": code}, values, file=name, line=line)
    return len(rows)


@transaction.atomic
def planning_standards_load(*, path: Path = PLANNING_STANDARDS_FILE) -> int:
    """Load the planning standards (НПСУ глава втора, or a working assumption where unconfirmed),
    keyed on service type × kind × valid from; return the number of standards in the file.

    A standard names its type by code; the types are loaded first. All or nothing.
    """
    name = path.name
    types = {service_type.code: service_type for service_type in ServiceType.objects.all()}
    seen: dict[tuple[str, str, datetime.date], int] = {}
    rows = _read_rows(path, STANDARD_COLUMNS)
    for line, row in rows:
        code = row["service_type"]
        service_type = types.get(code)
        if service_type is None:
            raise _row_error(
                lambda: _("%(file)s, line %(line)d: unknown service type code “%(code)s”.")
                % {"file": name, "line": line, "code": code}
            )
        valid_from = _parse_date(row["valid_from"], file=name, line=line, column="valid_from")
        key = (code, row["kind"], valid_from)
        if key in seen:
            first = seen[key]
            raise _row_error(
                lambda: _("%(file)s, line %(line)d: the same type, kind and date are already on line %(first)d.")
                % {"file": name, "line": line, "first": first}
            )
        seen[key] = line
        values = {
            "age_from": _parse_int(row["age_from"], file=name, line=line, column="age_from", blank=0),
            "age_to": _parse_int(row["age_to"], file=name, line=line, column="age_to"),
            "value": _parse_decimal(row["value"], file=name, line=line, column="value"),
            "min_population": _parse_int(
                row["min_population"], file=name, line=line, column="min_population", blank=0
            ),
            "source": row["source"],
            "is_confirmed": _parse_bool(row["is_confirmed"], file=name, line=line, column="is_confirmed"),
        }
        if values["age_to"] is not None and values["age_to"] < values["age_from"]:
            age_from, age_to = values["age_from"], values["age_to"]
            raise _row_error(
                lambda: _("%(file)s, line %(line)d: the age group ends (%(to)d) before it starts (%(from)d).")
                % {"file": name, "line": line, "to": age_to, "from": age_from}
            )
        _upsert(
            PlanningStandard,
            {"service_type": service_type, "kind": row["kind"], "valid_from": valid_from},
            values,
            file=name,
            line=line,
        )
    return len(rows)


# --- Service description cards ------------------------------------------------------------------
#
# A card is a list of fields as data, so that the same card is an HTML form here, a form in the
# monitoring app and a column set in exports. Each field:
#   key, label (bg), label_en, type (integer | decimal | text | date | choice | boolean),
#   required, section (bg), section_en; optionally min, max, max_length, choices [{value, label,
#   label_en}], help, sums (lists of keys whose values must add up to this field) and at_most (the
#   key of a field this one may not exceed).
# The content follows the cards "за лица" and "за деца" used for the monitoring of the strategies
# (source document 002, Sofia region, 2017) and the yearly reporting of ЗСУ чл. 112–113.

SECTIONS = {
    "identification": ("Идентификация на услугата", "Identification of the service"),
    "users": ("Капацитет и потребители към края на периода", "Capacity and users at the end of the period"),
    "movement": ("Движение на потребителите през периода", "Users who came and left during the period"),
    "staff": ("Персонал", "Staff"),
    "financing": ("Финансиране през периода", "Financing in the period"),
    "premises": ("Материална база", "Premises"),
    "partnerships": ("Партньорства", "Partnerships"),
    "results": ("Резултати и трудности", "Results and difficulties"),
}


def _field(section: str, key: str, label: str, label_en: str, type_: str, *, required: bool = False, **extra) -> dict:
    bulgarian, english = SECTIONS[section]
    field = {
        "key": key, "label": label, "label_en": label_en, "type": type_, "required": required,
        "section": bulgarian, "section_en": english,
    }
    if type_ in ("integer", "decimal"):
        field["min"] = 0
    field.update(extra)
    return field


def _choices(*options: tuple[str, str, str]) -> list[dict]:
    return [{"value": value, "label": label, "label_en": label_en} for value, label, label_en in options]


FINANCING_CHOICES = _choices(
    ("state_delegated", "Държавно делегирана дейност", "State-delegated activity"),
    ("municipal", "Местна дейност (общински бюджет)", "Municipal budget"),
    ("mixed", "Смесено (държавно и общинско)", "Mixed (state and municipal)"),
    ("project", "Проект / европейска програма", "Project / EU programme"),
    ("provider", "Собствени средства на доставчика", "Provider's own funds"),
)
PROVIDER_CHOICES = _choices(
    ("municipality", "Общината", "The municipality"),
    ("municipal_entity", "Общинско юридическо лице", "A municipal legal entity"),
    ("outsourced", "Възложено на външен доставчик", "Outsourced to a provider"),
    ("private", "Частен доставчик (собствена услуга)", "Private provider (own service)"),
)
CURRENCY_CHOICES = _choices(("EUR", "евро", "euro"), ("BGN", "лева", "leva"))
PREMISES_CHOICES = _choices(
    ("good", "В добро състояние", "In good condition"),
    ("repair", "Нуждае се от ремонт", "Needs repair"),
    ("unsuitable", "Неподходяща", "Unsuitable"),
)


def _identification() -> list[dict]:
    return [
        _field("identification", "service_name", "Наименование на услугата", "Name of the service", "text",
               required=True, max_length=300),
        _field("identification", "service_type", "Вид на социалната услуга", "Type of the social service", "text",
               required=True, max_length=200, help="Както е вписана в Националната карта или в стратегията."),
        _field("identification", "provider_name", "Доставчик", "Provider", "text", required=True, max_length=300),
        _field("identification", "provider_kind", "Начин на предоставяне", "How the service is provided", "choice",
               required=True, choices=PROVIDER_CHOICES, help="ЗСУ чл. 29–30."),
        _field("identification", "address", "Адрес на предоставяне", "Address", "text", required=True,
               max_length=255),
        _field("identification", "opened_on", "Дата на откриване", "Opened on", "date"),
        _field("identification", "licence_number", "Номер на лиценза", "Licence number", "text", max_length=40,
               help="Лиценз от АКСУ за 5 години (ЗСУ чл. 146–152); общината не се лицензира."),
        _field("identification", "licence_expires_on", "Лицензът е валиден до", "Licence valid until", "date"),
    ]


def _capacity() -> list[dict]:
    return [
        _field("users", "capacity", "Капацитет (места)", "Capacity (places)", "integer", required=True, min=1),
        _field("users", "users_male", "Потребители — мъже / момчета", "Users — male", "integer", required=True),
        _field("users", "users_female", "Потребители — жени / момичета", "Users — female", "integer",
               required=True),
    ]


def _movement(reasons: list[dict]) -> list[dict]:
    return [
        _field("movement", "users_new", "Нови потребители през периода", "New users in the period", "integer",
               required=True),
        _field("movement", "users_left", "Потребители, напуснали през периода", "Users who left in the period",
               "integer", required=True),
        _field("movement", "leave_reason", "Основна причина за напускане", "Main reason for leaving", "choice",
               choices=reasons),
        _field("movement", "leave_reasons_note", "Причини за напускане — подробно", "Reasons for leaving — details",
               "text", max_length=2000),
        _field("movement", "waiting_list", "Чакащи за ползване на услугата", "Waiting list", "integer",
               required=True),
    ]


def _staff() -> list[dict]:
    return [
        _field("staff", "staff_positions", "Щатни бройки по длъжностно разписание", "Staff positions", "decimal",
               required=True),
        _field("staff", "staff_filled", "Заети щатни бройки", "Positions filled", "decimal", required=True,
               at_most="staff_positions"),
        _field("staff", "staff_specialists", "Специалисти (социални работници, психолози, педагози, терапевти…)",
               "Specialists (social workers, psychologists, teachers, therapists…)", "integer"),
        _field("staff", "staff_trained", "Служители, преминали обучение през периода", "Staff trained in the period",
               "integer"),
        _field("staff", "supervision_hours", "Часове супервизия през периода", "Hours of supervision in the period",
               "decimal"),
    ]


def _financing() -> list[dict]:
    return [
        _field("financing", "financing", "Начин на финансиране", "Financing", "choice", required=True,
               choices=FINANCING_CHOICES, help="ЗСУ чл. 41–45."),
        _field("financing", "currency", "Валута", "Currency", "choice", required=True, choices=CURRENCY_CHOICES,
               help="До 31.12.2025 г. — в лева; от 1.01.2026 г. — в евро (1 EUR = 1,95583 лв.)."),
        _field("financing", "funding_state", "Средства от държавния бюджет", "State budget", "decimal"),
        _field("financing", "funding_municipal", "Средства от общинския бюджет", "Municipal budget", "decimal"),
        _field("financing", "funding_other", "Други средства (проекти, дарения, такси)",
               "Other funds (projects, donations, fees)", "decimal"),
        _field("financing", "funding_other_source", "Източник на другите средства", "Source of the other funds",
               "text", max_length=500),
    ]


def _premises_partnerships_results() -> list[dict]:
    return [
        _field("premises", "premises_condition", "Състояние на сградата", "Condition of the premises", "choice",
               choices=PREMISES_CHOICES),
        _field("premises", "premises_accessible", "Осигурена достъпна среда", "Accessible for people with disabilities",
               "boolean"),
        _field("partnerships", "partnerships", "Партньори и форми на партньорство",
               "Partners and forms of partnership", "text", max_length=2000),
        _field("results", "results", "Постигнати резултати", "Results achieved", "text", required=True,
               max_length=5000),
        _field("results", "difficulties", "Трудности и проблеми", "Difficulties", "text", max_length=5000),
        _field("results", "proposals", "Предложения за развитие на услугата", "Proposals for the service", "text",
               max_length=5000),
    ]


PERSON_LEAVE_REASONS = _choices(
    ("goals_met", "Постигнати цели на индивидуалния план", "Goals of the individual plan met"),
    ("other_service", "Преминаване към друга социална услуга", "Moved to another social service"),
    ("family", "Завръщане в семейството / собствено жилище", "Returned to family or own home"),
    ("institution", "Настаняване в специализирана институция", "Placed in a specialised institution"),
    ("own_wish", "По собствено желание", "At own request"),
    ("death", "Смърт", "Death"),
    ("other", "Друга причина", "Other reason"),
)
CHILD_LEAVE_REASONS = _choices(
    ("goals_met", "Постигнати цели на плана за действие", "Goals of the action plan met"),
    ("reintegration", "Реинтеграция в биологичното семейство", "Reintegrated in the birth family"),
    ("relatives", "Настаняване при роднини или близки", "Placed with relatives or close persons"),
    ("foster", "Настаняване в приемно семейство", "Placed in a foster family"),
    ("adoption", "Осиновяване", "Adoption"),
    ("other_service", "Преминаване към друга социална услуга", "Moved to another social service"),
    ("adulthood", "Навършване на пълнолетие / завършване на образование", "Came of age or finished education"),
    ("other", "Друга причина", "Other reason"),
)

_PERSON_AGES = ["users_age_18_34", "users_age_35_64", "users_age_65_79", "users_age_80_plus"]
_CHILD_AGES = ["children_age_0_3", "children_age_4_6", "children_age_7_13", "children_age_14_17", "youths_18_plus"]

CARD_FIELDS: dict[str, list[dict]] = {
    "persons": [
        *_identification(),
        *_capacity(),
        _field("users", "users_total", "Брой потребители към края на периода", "Users at the end of the period",
               "integer", required=True, sums=[["users_male", "users_female"], _PERSON_AGES]),
        _field("users", "users_age_18_34", "Потребители на възраст 18–34 г.", "Users aged 18–34", "integer",
               required=True),
        _field("users", "users_age_35_64", "Потребители на възраст 35–64 г.", "Users aged 35–64", "integer",
               required=True),
        _field("users", "users_age_65_79", "Потребители на възраст 65–79 г.", "Users aged 65–79", "integer",
               required=True),
        _field("users", "users_age_80_plus", "Потребители на 80 и повече години", "Users aged 80 and over",
               "integer", required=True),
        _field("users", "users_disabilities", "Потребители с трайни увреждания (ТЕЛК/НЕЛК)",
               "Users with permanent disabilities", "integer", required=True, at_most="users_total"),
        _field("users", "users_from_institutions", "Потребители, изведени от специализирани институции",
               "Users who came from specialised institutions", "integer", at_most="users_total"),
        *_movement(PERSON_LEAVE_REASONS),
        _field("movement", "users_referred_dsp", "Насочени от дирекция „Социално подпомагане“",
               "Referred by the social assistance directorate", "integer", help="ЗСУ чл. 74."),
        *_staff(),
        *_financing(),
        *_premises_partnerships_results(),
    ],
    "children": [
        *_identification(),
        *_capacity(),
        _field("users", "users_total", "Брой деца (и младежи) към края на периода",
               "Children (and young people) at the end of the period", "integer", required=True,
               sums=[["users_male", "users_female"], _CHILD_AGES]),
        _field("users", "children_age_0_3", "Деца на възраст 0–3 г.", "Children aged 0–3", "integer", required=True),
        _field("users", "children_age_4_6", "Деца на възраст 4–6 г.", "Children aged 4–6", "integer", required=True),
        _field("users", "children_age_7_13", "Деца на възраст 7–13 г.", "Children aged 7–13", "integer",
               required=True),
        _field("users", "children_age_14_17", "Деца на възраст 14–17 г.", "Children aged 14–17", "integer",
               required=True),
        _field("users", "youths_18_plus", "Младежи на 18 и повече години", "Young people aged 18 and over",
               "integer", required=True),
        _field("users", "children_disabilities", "Деца с трайни увреждания", "Children with permanent disabilities",
               "integer", required=True, at_most="users_total"),
        _field("users", "children_referred_ozd", "Деца, насочени от ОЗД към ДСП (мярка за закрила)",
               "Children referred by the child protection department (protection measure)", "integer",
               required=True, at_most="users_total", help="ЗЗД чл. 4; ЗСУ чл. 74."),
        _field("users", "children_from_institutions", "Деца, изведени от специализирани институции",
               "Children who came from specialised institutions", "integer", at_most="users_total"),
        _field("users", "children_in_kindergarten", "Деца, посещаващи детска градина", "Children in kindergarten",
               "integer", at_most="users_total"),
        _field("users", "children_in_school", "Деца, посещаващи училище", "Children attending school", "integer",
               at_most="users_total"),
        _field("users", "children_dropped_out", "Деца, отпаднали или необхванати от образование",
               "Children out of education", "integer", at_most="users_total"),
        *_movement(CHILD_LEAVE_REASONS),
        _field("movement", "children_reintegrated", "Деца, реинтегрирани в семейството през периода",
               "Children reintegrated in their family in the period", "integer", at_most="users_left"),
        _field("movement", "children_to_foster_or_kin", "Деца, настанени в приемно семейство или при роднини",
               "Children placed in foster or kinship care", "integer", at_most="users_left"),
        _field("movement", "abandonment_prevented", "Случаи на предотвратено изоставяне",
               "Cases where abandonment was prevented", "integer"),
        *_staff(),
        *_financing(),
        *_premises_partnerships_results(),
    ],
}


def card_fields(variant: str) -> list[dict]:
    """The fields of a card ("persons" or "children"), as a copy the caller may change."""
    if variant not in CARD_FIELDS:
        raise ValueError(f"unknown service card variant: {variant!r}")
    return copy.deepcopy(CARD_FIELDS[variant])


_DATE_BG = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _as_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    return None


def _as_decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(" ", "").replace(",", "."))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _as_date(value: Any) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _DATE_BG.match(text)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
        return datetime.date.fromisoformat(text)
    except ValueError:
        return None


def _as_boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "on", "1", "yes", "да"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"false", "off", "0", "no", "не"}:
        return False
    return None


def _number_text(number: Decimal | int) -> str:
    return format(number, "f") if isinstance(number, Decimal) else str(number)


def _field_error(field: dict, value: Any) -> tuple[str | None, Decimal | int | None]:
    """The error of one answer (or None) and its numeric value for the cross-field checks."""
    kind = field["type"]
    number: Decimal | int | None = None
    if kind == "integer":
        number = _as_integer(value)
        if number is None:
            return _("Enter a whole number."), None
    elif kind == "decimal":
        number = _as_decimal(value)
        if number is None:
            return _("Enter a number."), None
    elif kind == "date":
        if _as_date(value) is None:
            return _("Enter a date as dd.mm.yyyy."), None
    elif kind == "boolean":
        if _as_boolean(value) is None:
            return _("Choose yes or no."), None
    elif kind == "choice":
        if value not in {choice["value"] for choice in field.get("choices", [])}:
            return _("Choose one of the listed values."), None
    elif kind == "text":
        if not isinstance(value, str):
            return _("Enter text."), None
        if "max_length" in field and len(value) > field["max_length"]:
            return _("Enter at most %(max)d characters.") % {"max": field["max_length"]}, None
    if number is not None:
        if "min" in field and number < field["min"]:
            return _("The value must be at least %(min)s.") % {"min": field["min"]}, None
        if "max" in field and number > field["max"]:
            return _("The value must be at most %(max)s.") % {"max": field["max"]}, None
    return None, number


def card_validate(variant: str, data: dict) -> dict[str, str]:
    """Check a card's answers: required fields, types, limits, choices, and that the parts add up
    (by sex and by age group to the total) and no subset exceeds its whole. Returns an error per
    key, empty when the card is valid. Keys that are not on the card are ignored."""
    if variant not in CARD_FIELDS:
        return {"variant": _("Unknown service card “%(variant)s”.") % {"variant": variant}}
    fields = CARD_FIELDS[variant]
    errors: dict[str, str] = {}
    numbers: dict[str, Decimal | int] = {}
    for field in fields:
        key = field["key"]
        value = data.get(key)
        if _is_blank(value):
            if field["required"]:
                errors[key] = _("This field is required.")
            continue
        error, number = _field_error(field, value)
        if error:
            errors[key] = error
        elif number is not None:
            numbers[key] = number
    labels = {field["key"]: field["label"] for field in fields}
    for field in fields:
        key = field["key"]
        if key in errors or key not in numbers:
            continue
        for parts in field.get("sums", []):
            if not all(part in numbers for part in parts):
                continue  # a part is missing or wrong: reported on the part itself
            total = sum((numbers[part] for part in parts), 0)
            if total != numbers[key]:
                errors[key] = _("The parts (%(parts)s) add up to %(sum)s, not %(total)s.") % {
                    "parts": ", ".join(labels[part] for part in parts),
                    "sum": _number_text(total),
                    "total": _number_text(numbers[key]),
                }
                break
        whole = field.get("at_most")
        if key not in errors and whole in numbers and numbers[key] > numbers[whole]:
            errors[key] = _("Cannot be more than “%(label)s” (%(value)s).") % {
                "label": labels[whole], "value": _number_text(numbers[whole]),
            }
    return errors
