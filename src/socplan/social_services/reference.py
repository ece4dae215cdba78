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
from django.utils.translation import gettext_noop

from .models import PlanningStandard, ServiceType

DATA_DIR = Path(__file__).resolve().parent / "data"
SERVICE_TYPES_FILE = DATA_DIR / "service_types.csv"
PLANNING_STANDARDS_FILE = DATA_DIR / "planning_standards.csv"

SERVICE_TYPE_COLUMNS = [
    "code", "abbreviation", "name", "name_en", "activity", "scope", "level", "users", "is_residential",
    "order",
]
STANDARD_COLUMNS = [
    "service_type", "kind", "age_from", "age_to", "value", "min_population", "valid_from", "source",
    "is_confirmed",
]

TRUE_VALUES = {"true", "1", "yes"}
FALSE_VALUES = {"false", "0", "no"}


# --- Errors in both languages -------------------------------------------------------------------


def _both(render: Callable[[], str]) -> str:
    """The message in Bulgarian and in English (the loaders run from the command line, where the
    reader may need either); once when no translation exists yet."""
    with translation.override("bg"):
        bulgarian = render()
    with translation.override("en"):
        english = render()
    return bulgarian if bulgarian == english else f"{bulgarian} / {english}"


def _row_error(msgid: str, **params: Any) -> ValidationError:
    """A ValidationError for a bad file or row; `msgid` is marked with `gettext_noop`."""
    return ValidationError(_both(lambda: _(msgid) % params))


class _FieldErrors:
    """The errors of `full_clean()`, written out in the language active when it is printed."""

    def __init__(self, error: ValidationError):
        self.error = error

    def __str__(self) -> str:
        return "; ".join(
            f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
            for field, messages in self.error.message_dict.items()
        )


# --- Reading the files --------------------------------------------------------------------------


def _read_rows(path: Path, columns: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV file with their line numbers (the header is line 1); blank lines are skipped."""
    name = path.name
    if not path.exists():
        raise _row_error(gettext_noop("%(file)s: the file does not exist."), file=name)
    rows = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = [column.strip() for column in next(reader, [])]
        missing = [column for column in columns if column not in header]
        if missing:
            raise _row_error(
                gettext_noop("%(file)s, line 1: missing columns: %(columns)s."),
                file=name,
                columns=", ".join(missing),
            )
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                raise _row_error(
                    gettext_noop(
                        "%(file)s, line %(line)d: the row has %(found)d columns instead of %(expected)d."
                    ),
                    file=name,
                    line=line,
                    found=len(cells),
                    expected=len(header),
                )
            rows.append((line, {column: cell.strip() for column, cell in zip(header, cells, strict=True)}))
    return rows


def _parse_bool(value: str, *, file: str, line: int, column: str) -> bool:
    lowered = value.lower()
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    raise _row_error(
        gettext_noop("%(file)s, line %(line)d, column “%(column)s”: “%(value)s” is neither true nor false."),
        file=file,
        line=line,
        column=column,
        value=value,
    )


def _parse_int(value: str, *, file: str, line: int, column: str, blank: int | None) -> int | None:
    """A whole number; an empty cell gives `blank`."""
    if value == "":
        return blank
    try:
        return int(value)
    except ValueError:
        raise _row_error(
            gettext_noop("%(file)s, line %(line)d, column “%(column)s”: “%(value)s” is not a whole number."),
            file=file,
            line=line,
            column=column,
            value=value,
        ) from None


def _parse_decimal(value: str, *, file: str, line: int, column: str) -> Decimal:
    try:
        number = Decimal(value.replace(",", "."))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _row_error(
            gettext_noop("%(file)s, line %(line)d, column “%(column)s”: “%(value)s” is not a number."),
            file=file,
            line=line,
            column=column,
            value=value,
        )
    return number


def _parse_date(value: str, *, file: str, line: int, column: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise _row_error(
            gettext_noop(
                "%(file)s, line %(line)d, column “%(column)s”: “%(value)s” is not a date (YYYY-MM-DD)."
            ),
            file=file,
            line=line,
            column=column,
            value=value,
        ) from None


def _validated(obj: models.Model, *, file: str, line: int) -> None:
    """`full_clean()` with the file and line in the message."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        raise _row_error(
            gettext_noop("%(file)s, line %(line)d: %(errors)s"),
            file=file,
            line=line,
            errors=_FieldErrors(exc),
        ) from None


def _upsert(
    model: type[models.Model], key: dict[str, Any], values: dict[str, Any], *, file: str, line: int
) -> None:
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
            raise _row_error(
                gettext_noop("%(file)s, line %(line)d: the code “%(code)s” is already on line %(first)d."),
                file=name,
                line=line,
                code=code,
                first=seen[code],
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
            "is_residential": _parse_bool(
                row["is_residential"], file=name, line=line, column="is_residential"
            ),
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
                gettext_noop("%(file)s, line %(line)d: unknown service type code “%(code)s”."),
                file=name,
                line=line,
                code=code,
            )
        valid_from = _parse_date(row["valid_from"], file=name, line=line, column="valid_from")
        key = (code, row["kind"], valid_from)
        if key in seen:
            raise _row_error(
                gettext_noop(
                    "%(file)s, line %(line)d: the same type, kind and date are already on line %(first)d."
                ),
                file=name,
                line=line,
                first=seen[key],
            )
        seen[key] = line
        values = {
            "age_from": _parse_int(row["age_from"], file=name, line=line, column="age_from", blank=0),
            "age_to": _parse_int(row["age_to"], file=name, line=line, column="age_to", blank=None),
            "value": _parse_decimal(row["value"], file=name, line=line, column="value"),
            "min_population": _parse_int(
                row["min_population"], file=name, line=line, column="min_population", blank=0
            ),
            "source": row["source"],
            "is_confirmed": _parse_bool(row["is_confirmed"], file=name, line=line, column="is_confirmed"),
        }
        if values["age_to"] is not None and values["age_to"] < values["age_from"]:
            raise _row_error(
                gettext_noop(
                    "%(file)s, line %(line)d: the age group ends (%(end)d) before it starts (%(start)d)."
                ),
                file=name,
                line=line,
                end=values["age_to"],
                start=values["age_from"],
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
# monitoring app and a column set in exports. Each field is a dict:
#   key, label (bg), label_en, type (integer | decimal | text | date | choice | boolean), required,
#   section (bg), section_en; optionally min, max, max_length, choices [{value, label, label_en}],
#   help, sums (lists of keys whose values must add up to this field) and at_most (the key of a
#   field this one may not exceed).
# The content follows the cards "за лица" and "за деца" used for the monitoring of the strategies
# (source document 002, Sofia region, 2017) and the yearly analysis of ЗСУ чл. 112–113.

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

REQ, OPT = True, False


def _choices(*options: tuple[str, str, str]) -> list[dict]:
    return [{"value": value, "label": label, "label_en": label_en} for value, label, label_en in options]


def _section(section: str, rows: list[tuple]) -> list[dict]:
    """Fields from rows of (key, type, required, label, label_en[, extra])."""
    bulgarian, english = SECTIONS[section]
    fields = []
    for key, type_, required, label, label_en, *extra in rows:
        field = {
            "key": key, "label": label, "label_en": label_en, "type": type_, "required": required,
            "section": bulgarian, "section_en": english,
        }
        if type_ in ("integer", "decimal"):
            field["min"] = 0  # counts, positions, hours and money are never negative
        if extra:
            field.update(extra[0])
        fields.append(field)
    return fields


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
    ("adulthood", "Навършване на пълнолетие / завършване на образование",
     "Came of age or finished education"),
    ("other", "Друга причина", "Other reason"),
)

IDENTIFICATION = _section("identification", [
    ("service_name", "text", REQ, "Наименование на услугата", "Name of the service", {"max_length": 300}),
    ("service_type", "text", REQ, "Вид на социалната услуга", "Type of the social service",
     {"max_length": 200, "help": "Както е вписана в Националната карта или в стратегията."}),
    ("provider_name", "text", REQ, "Доставчик", "Provider", {"max_length": 300}),
    ("provider_kind", "choice", REQ, "Начин на предоставяне", "How the service is provided",
     {"choices": PROVIDER_CHOICES, "help": "ЗСУ чл. 29–30."}),
    ("address", "text", REQ, "Адрес на предоставяне", "Address", {"max_length": 255}),
    ("opened_on", "date", OPT, "Дата на откриване", "Opened on"),
    ("licence_number", "text", OPT, "Номер на лиценза", "Licence number",
     {"max_length": 40, "help": "Лиценз от АКСУ за 5 години (ЗСУ чл. 146–152); общината не се лицензира."}),
    ("licence_expires_on", "date", OPT, "Лицензът е валиден до", "Licence valid until"),
])
CAPACITY = _section("users", [
    ("capacity", "integer", REQ, "Капацитет (места)", "Capacity (places)", {"min": 1}),
    ("users_male", "integer", REQ, "Потребители — мъже / момчета", "Users — male"),
    ("users_female", "integer", REQ, "Потребители — жени / момичета", "Users — female"),
])


def _movement(reasons: list[dict]) -> list[dict]:
    return _section("movement", [
        ("users_new", "integer", REQ, "Нови потребители през периода", "New users in the period"),
        ("users_left", "integer", REQ, "Потребители, напуснали през периода", "Users who left in the period"),
        ("leave_reason", "choice", OPT, "Основна причина за напускане", "Main reason for leaving",
         {"choices": reasons}),
        ("leave_reasons_note", "text", OPT, "Причини за напускане — подробно",
         "Reasons for leaving — details", {"max_length": 2000}),
        ("waiting_list", "integer", REQ, "Чакащи за ползване на услугата", "Waiting list"),
    ])


STAFF = _section("staff", [
    ("staff_positions", "decimal", REQ, "Щатни бройки по длъжностно разписание", "Staff positions"),
    ("staff_filled", "decimal", REQ, "Заети щатни бройки", "Positions filled",
     {"at_most": "staff_positions"}),
    ("staff_specialists", "integer", OPT, "Специалисти (социални работници, психолози, педагози, терапевти)",
     "Specialists (social workers, psychologists, teachers, therapists)"),
    ("staff_trained", "integer", OPT, "Служители, преминали обучение през периода",
     "Staff trained in the period"),
    ("supervision_hours", "decimal", OPT, "Часове супервизия през периода",
     "Hours of supervision in the period"),
])
FINANCING = _section("financing", [
    ("financing", "choice", REQ, "Начин на финансиране", "Financing",
     {"choices": FINANCING_CHOICES, "help": "ЗСУ чл. 41–45."}),
    ("currency", "choice", REQ, "Валута", "Currency",
     {"choices": CURRENCY_CHOICES,
      "help": "До 31.12.2025 г. в лева, от 1.01.2026 г. в евро (1 EUR = 1,95583 лв.)."}),
    ("funding_state", "decimal", OPT, "Средства от държавния бюджет", "State budget"),
    ("funding_municipal", "decimal", OPT, "Средства от общинския бюджет", "Municipal budget"),
    ("funding_other", "decimal", OPT, "Други средства (проекти, дарения, такси)",
     "Other funds (projects, donations, fees)"),
    ("funding_other_source", "text", OPT, "Източник на другите средства", "Source of the other funds",
     {"max_length": 500}),
])
CLOSING = [
    *_section("premises", [
        ("premises_condition", "choice", OPT, "Състояние на сградата", "Condition of the premises",
         {"choices": PREMISES_CHOICES}),
        ("premises_accessible", "boolean", OPT, "Осигурена достъпна среда",
         "Accessible for people with disabilities"),
    ]),
    *_section("partnerships", [
        ("partnerships", "text", OPT, "Партньори и форми на партньорство",
         "Partners and forms of partnership", {"max_length": 2000}),
    ]),
    *_section("results", [
        ("results", "text", REQ, "Постигнати резултати", "Results achieved", {"max_length": 5000}),
        ("difficulties", "text", OPT, "Трудности и проблеми", "Difficulties", {"max_length": 5000}),
        ("proposals", "text", OPT, "Предложения за развитие на услугата", "Proposals for the service",
         {"max_length": 5000}),
    ]),
]

_PERSON_AGES = ["users_age_18_34", "users_age_35_64", "users_age_65_79", "users_age_80_plus"]
_CHILD_AGES = [
    "children_age_0_3", "children_age_4_6", "children_age_7_13", "children_age_14_17", "youths_18_plus",
]

CARD_FIELDS: dict[str, list[dict]] = {
    "persons": [
        *IDENTIFICATION,
        *CAPACITY,
        *_section("users", [
            ("users_total", "integer", REQ, "Брой потребители към края на периода",
             "Users at the end of the period", {"sums": [["users_male", "users_female"], _PERSON_AGES]}),
            ("users_age_18_34", "integer", REQ, "Потребители на възраст 18–34 г.", "Users aged 18–34"),
            ("users_age_35_64", "integer", REQ, "Потребители на възраст 35–64 г.", "Users aged 35–64"),
            ("users_age_65_79", "integer", REQ, "Потребители на възраст 65–79 г.", "Users aged 65–79"),
            ("users_age_80_plus", "integer", REQ, "Потребители на 80 и повече години",
             "Users aged 80 and over"),
            ("users_disabilities", "integer", REQ, "Потребители с трайни увреждания (ТЕЛК/НЕЛК)",
             "Users with permanent disabilities", {"at_most": "users_total"}),
            ("users_from_institutions", "integer", OPT, "Потребители, изведени от специализирани институции",
             "Users who came from specialised institutions", {"at_most": "users_total"}),
        ]),
        *_movement(PERSON_LEAVE_REASONS),
        *_section("movement", [
            ("users_referred_dsp", "integer", OPT, "Насочени от дирекция „Социално подпомагане“",
             "Referred by the social assistance directorate", {"help": "ЗСУ чл. 74."}),
        ]),
        *STAFF,
        *FINANCING,
        *CLOSING,
    ],
    "children": [
        *IDENTIFICATION,
        *CAPACITY,
        *_section("users", [
            ("users_total", "integer", REQ, "Брой деца (и младежи) към края на периода",
             "Children (and young people) at the end of the period",
             {"sums": [["users_male", "users_female"], _CHILD_AGES]}),
            ("children_age_0_3", "integer", REQ, "Деца на възраст 0–3 г.", "Children aged 0–3"),
            ("children_age_4_6", "integer", REQ, "Деца на възраст 4–6 г.", "Children aged 4–6"),
            ("children_age_7_13", "integer", REQ, "Деца на възраст 7–13 г.", "Children aged 7–13"),
            ("children_age_14_17", "integer", REQ, "Деца на възраст 14–17 г.", "Children aged 14–17"),
            ("youths_18_plus", "integer", REQ, "Младежи на 18 и повече години",
             "Young people aged 18 and over"),
            ("children_disabilities", "integer", REQ, "Деца с трайни увреждания",
             "Children with permanent disabilities", {"at_most": "users_total"}),
            ("children_referred_ozd", "integer", REQ, "Деца, насочени от ДСП/ОЗД (с мярка за закрила)",
             "Children referred by the child protection department (protection measure)",
             {"at_most": "users_total", "help": "ЗЗД чл. 4; ЗСУ чл. 74."}),
            ("children_from_institutions", "integer", OPT, "Деца, изведени от специализирани институции",
             "Children who came from specialised institutions", {"at_most": "users_total"}),
            ("children_in_kindergarten", "integer", OPT, "Деца, посещаващи детска градина",
             "Children in kindergarten", {"at_most": "users_total"}),
            ("children_in_school", "integer", OPT, "Деца, посещаващи училище", "Children attending school",
             {"at_most": "users_total"}),
            ("children_dropped_out", "integer", OPT, "Деца, отпаднали или необхванати от образование",
             "Children out of education", {"at_most": "users_total"}),
        ]),
        *_movement(CHILD_LEAVE_REASONS),
        *_section("movement", [
            ("children_reintegrated", "integer", OPT, "Деца, реинтегрирани в семейството през периода",
             "Children reintegrated in their family in the period", {"at_most": "users_left"}),
            ("children_to_foster_or_kin", "integer", OPT, "Деца, настанени в приемно семейство или роднини",
             "Children placed in foster or kinship care", {"at_most": "users_left"}),
            ("abandonment_prevented", "integer", OPT, "Случаи на предотвратено изоставяне",
             "Cases where abandonment was prevented"),
        ]),
        *STAFF,
        *FINANCING,
        *CLOSING,
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
        allowed = {choice["value"] for choice in field.get("choices", [])}
        if not isinstance(value, str) or value not in allowed:
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
    if not isinstance(data, dict):
        data = {}
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
    english = (translation.get_language() or "").startswith("en")
    labels = {field["key"]: field["label_en"] if english else field["label"] for field in fields}
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
