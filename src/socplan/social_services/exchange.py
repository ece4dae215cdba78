"""Exchange of the register as files: import services and occupancy from XLSX/CSV, templates to fill,
and export of any list of the register in the same columns (so an export can be edited and imported).

Import rules (issue "Import services and occupancy from XLSX/CSV"):
- every row is checked first; when any row is invalid nothing is saved and the report lists every
  error with its row number as the spreadsheet shows it, its column and the message;
- a service is recognised by its provider and the provider's own identifier (`external_id`), or by
  its number in the register (`id`, written by the export); an occupancy row by its service, period
  and start. Importing the same file again changes nothing: a row equal to the register is not saved
  at all, so no history row is written (django-simple-history writes one per save);
- rows are saved through `services.service_create` / `service_update` / `occupancy_record`, in one
  transaction, so the permission and model rules are those of the forms; an error raised there undoes
  the whole file as well. A "check only" run (`dry_run`) goes through the same code and rolls back.
- a column left out of the file is not changed on an existing service; an empty cell clears it.

The file format is fixed in Bulgarian (the register's language), with the English headings as a
second heading row; both are recognised, in any case and spacing. A row whose first cell starts with
"#" is a note (the templates' example row) and is skipped.
"""

from __future__ import annotations

import copy
import csv
import datetime
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from socplan.core.exceptions import ApplicationError
from socplan.core.scoping import editable, scope_for
from socplan.organizations.models import Organization
from socplan.plans.models import TargetGroup
from socplan.territory.models import Municipality, Settlement

from . import selectors, services
from .models import MAX_USERS_SANITY, Currency, Occupancy, Service, ServiceType

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 100
# The heading may sit below a title: it is looked for in the first rows that have any content.
HEADER_SEARCH_ROWS = 10
KINDS = ("services", "occupancy")
FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}
# Bulgarian Excel separates list items with ";" and writes decimals with a comma.
CSV_DELIMITER = ";"
DATE_FORMAT_XLSX = "DD.MM.YYYY"
NOTE_MARK = "#"

# --- Columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of the files: its key (a model field where there is one), its headings, whether a
    row must fill it, its type (text | integer | decimal | date | boolean | choice | code | codes |
    period), an explanation (an English msgid, translated when written) and the example's value."""

    key: str
    header_bg: str
    header_en: str
    required: bool
    type: str
    help: str = ""
    example: Any = ""


SERVICE_COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        "Идентификатор при доставчика",
        "External ID",
        True,
        "text",
        gettext_noop(
            "The provider's own identifier of the service. With the provider it identifies the service, "
            "so the same row imported again updates the same service. May be left empty only when the "
            "register ID is given."
        ),
        "ЦОП-001",
    ),
    Column(
        "id",
        "Номер в регистъра",
        "Register ID",
        False,
        "integer",
        gettext_noop(
            "The service's number in this register, as written by the export. Empty for a new service."
        ),
    ),
    Column(
        "name",
        "Наименование",
        "Name",
        True,
        "text",
        gettext_noop("The name of the service."),
        "Център за обществена подкрепа „Надежда“",
    ),
    Column(
        "service_type",
        "Вид услуга (код)",
        "Service type code",
        True,
        "code",
        gettext_noop("A code from the list of service types below, e.g. cop."),
        "cop",
    ),
    Column(
        "provider",
        "Доставчик (ЕИК или наименование)",
        "Provider (EIK or name)",
        True,
        "text",
        gettext_noop("The provider's ЕИК/БУЛСТАТ, or its exact name as in the register of organisations."),
        "Община Велико Търново",
    ),
    Column(
        "settlement",
        "Населено място (ЕКАТТЕ)",
        "Settlement (EKATTE)",
        True,
        "code",
        gettext_noop("The EKATTE code of the settlement where the service is provided (5 digits)."),
        "10447",
    ),
    Column(
        "municipality",
        "Община (код)",
        "Municipality code",
        False,
        "code",
        gettext_noop("Optional: the code of the municipality (e.g. VTR04), checked against the settlement."),
        "VTR04",
    ),
    Column("address", "Адрес", "Address", False, "text", gettext_noop("Street and number."), "ул. „Първа“ 1"),
    Column("phone", "Телефон", "Phone", False, "text", gettext_noop("A contact phone number.")),
    Column("email", "Електронна поща", "E-mail", False, "text", gettext_noop("A contact e-mail address.")),
    Column(
        "capacity",
        "Капацитет (места)",
        "Capacity (places)",
        True,
        "integer",
        gettext_noop("The number of places: a whole number, at least 1."),
        20,
    ),
    Column(
        "on_national_map",
        "В Националната карта",
        "On the National Map",
        False,
        "boolean",
        gettext_noop("да or не; empty: не. A service on the National Map needs its maximum number of users."),
        "да",
    ),
    Column(
        "map_max_users",
        "Максимален брой потребители по Националната карта",
        "National Map maximum users",
        False,
        "integer",
        gettext_noop("The maximum number of users under the National Map (ЗСУ чл. 43)."),
        20,
    ),
    Column(
        "financing",
        "Финансиране",
        "Financing",
        True,
        "choice",
        gettext_noop("A code or a Bulgarian name from the list of financing below."),
        "делегирана от държавата дейност",
    ),
    Column(
        "programme",
        "Програма или проект",
        "Programme or project",
        False,
        "text",
        gettext_noop("The programme or project that finances the service, if any."),
    ),
    Column(
        "state_funded_users",
        "Места с държавно финансиране",
        "State-funded places",
        False,
        "integer",
        gettext_noop("The places funded by the state."),
        20,
    ),
    Column(
        "standard_per_place",
        "Годишен стандарт за едно място",
        "Yearly standard per place",
        False,
        "decimal",
        gettext_noop("The yearly standard for one place; decimals with a comma or a point."),
        Decimal("4500.00"),
    ),
    Column(
        "standard_currency",
        "Валута",
        "Currency",
        False,
        "choice",
        gettext_noop("EUR or BGN; empty: EUR."),
        "EUR",
    ),
    Column(
        "licence_number",
        "Номер на лиценза",
        "Licence number",
        False,
        "text",
        gettext_noop("The number of the provider's licence for the service."),
        "Л-1234-01",
    ),
    Column(
        "licence_issued_on",
        "Лиценз издаден на",
        "Licence issued on",
        False,
        "date",
        gettext_noop("The date the licence was issued."),
        datetime.date(2021, 3, 1),
    ),
    Column(
        "licence_expires_on",
        "Лиценз валиден до",
        "Licence expires on",
        False,
        "date",
        gettext_noop("Empty: five years after the licence was issued (ЗСУ чл. 31)."),
    ),
    Column(
        "status",
        "Статус",
        "Status",
        False,
        "choice",
        gettext_noop("A code or a Bulgarian name from the list of statuses below; empty: operating."),
        "действаща",
    ),
    Column(
        "opened_on",
        "Открита на",
        "Opened on",
        False,
        "date",
        gettext_noop("The date the service opened."),
        datetime.date(2015, 1, 1),
    ),
    Column(
        "closed_on",
        "Закрита на",
        "Closed on",
        False,
        "date",
        gettext_noop("The date the service closed; required when the status is closed."),
    ),
    Column(
        "council_decision",
        "Решение на общинския съвет",
        "Council decision",
        False,
        "text",
        gettext_noop("The number of the municipal council's decision."),
        "№ 123",
    ),
    Column(
        "council_decision_date",
        "Дата на решението",
        "Date of the decision",
        False,
        "date",
        gettext_noop("The date of the council's decision."),
        datetime.date(2014, 11, 27),
    ),
    Column(
        "is_published",
        "В публичния каталог",
        "In the public catalogue",
        False,
        "boolean",
        gettext_noop("да or не; empty: да."),
        "да",
    ),
    Column(
        "target_groups",
        "Целеви групи (кодове)",
        "Target groups (codes)",
        False,
        "codes",
        gettext_noop("Codes from the list of target groups below, separated by commas."),
        "children_at_risk, disabilities",
    ),
)

OCCUPANCY_COLUMNS: tuple[Column, ...] = (
    Column(
        "external_id",
        "Идентификатор на услугата при доставчика",
        "Service external ID",
        True,
        "text",
        gettext_noop(
            "The provider's identifier of the service (as in the services file). With the provider it "
            "identifies the service; or give the register ID instead."
        ),
        "ЦОП-001",
    ),
    Column(
        "provider",
        "Доставчик (ЕИК или наименование)",
        "Provider (EIK or name)",
        True,
        "text",
        gettext_noop("The provider's ЕИК/БУЛСТАТ, or its exact name as in the register of organisations."),
        "Община Велико Търново",
    ),
    Column(
        "id",
        "Номер в регистъра",
        "Register ID",
        False,
        "integer",
        gettext_noop("The service's number in this register: enough on its own to identify the service."),
    ),
    Column(
        "service_name",
        "Услуга",
        "Service",
        False,
        "text",
        gettext_noop("The name of the service, for reading only: it is not imported."),
    ),
    Column(
        "period",
        "Период",
        "Period",
        True,
        "choice",
        gettext_noop("месец, тримесечие or година (or month, quarter, year)."),
        "месец",
    ),
    Column(
        "starts_on",
        "Начало на периода",
        "Period start",
        True,
        "period",
        gettext_noop(
            "The first day of the period (01.03.2024), or 2024-03 for a month, Q1 2024 for a quarter, "
            "2024 for a year."
        ),
        datetime.date(2024, 3, 1),
    ),
    Column(
        "users",
        "Потребители",
        "Users",
        True,
        "integer",
        gettext_noop("The users served in the period: a whole number from 0 to 5000."),
        18,
    ),
    Column(
        "waiting",
        "Чакащи",
        "Waiting list",
        False,
        "integer",
        gettext_noop("The people on the waiting list at the end of the period; empty: 0."),
        2,
    ),
)

COLUMNS = {"services": SERVICE_COLUMNS, "occupancy": OCCUPANCY_COLUMNS}
_FORMAT_LABELS = {
    "text": gettext_noop("text"),
    "integer": gettext_noop("whole number"),
    "decimal": gettext_noop("number (decimals allowed)"),
    "date": gettext_noop("date (dd.mm.yyyy)"),
    "boolean": gettext_noop("да / не"),
    "choice": gettext_noop("code or name from the list"),
    "code": gettext_noop("code"),
    "codes": gettext_noop("codes separated by commas"),
    "period": gettext_noop("date, 2024-03, Q1 2024 or 2024"),
}

# The Bulgarian names a file may use for the choices; the first is the one the export writes. They are
# part of the file format, so they are fixed here rather than taken from the translation catalogue.
STATUS_NAMES = {
    "planned": ("планирана",),
    "approved": ("одобрена", "одобрена от агенцията"),
    "opening": ("в процес на разкриване", "разкрива се"),
    "operating": ("действаща", "функционираща"),
    "transforming": ("в трансформация", "трансформира се"),
    "closed": ("закрита",),
}
FINANCING_NAMES = {
    "state_delegated": ("делегирана от държавата дейност", "държавно делегирана дейност", "ддд"),
    "municipal": ("местна дейност", "общински бюджет"),
    "mixed": ("смесено финансиране", "смесено", "държавно и общинско"),
    "project": ("проект или програма", "проект", "програма", "проект / програма на ес"),
    "provider": ("собствени средства на доставчика", "собствени средства"),
}
CURRENCY_NAMES = {"EUR": ("евро",), "BGN": ("лева", "лв", "лв.")}
PERIOD_NAMES = {"month": ("месец",), "quarter": ("тримесечие",), "year": ("година",)}
YES = ("да", "д", "yes", "y", "true", "1", "x")
NO = ("не", "н", "no", "n", "false", "0")

# --- Reports -----------------------------------------------------------------------------------

# Called as progress(stage, rows done, rows in all) while a file is checked, and once before saving.
Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 100



@dataclass(frozen=True)
class RowError:
    """An error of one row: its number as the spreadsheet shows it, the column's heading as in the file
    (and its letter) and the message in the language of the request."""

    row: int
    column: str
    message: str
    letter: str = ""

    def __str__(self) -> str:
        where = _("row %(row)d") % {"row": self.row}
        return f"{where}, {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


@dataclass
class ImportReport:
    """The outcome of an import: counts of what was (or, when checking only, would be) created, updated
    and left unchanged; when there are errors nothing was saved and the counts are 0."""

    kind: str = "services"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: int = 0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Messages of a bad file, in both languages --------------------------------------------------


def _file_error(msgid: str, **params: Any) -> ValidationError:
    """A ValidationError about the whole file, in Bulgarian and English (a file is often passed on
    between people, and the error is the first thing they read); once if there is no translation."""
    texts = []
    for language in ("bg", "en"):
        with translation.override(language):
            text = _(msgid) % params if params else _(msgid)
        if text not in texts:
            texts.append(text)
    return ValidationError(" / ".join(texts), code="bad_file")


# --- Reading files -----------------------------------------------------------------------------


@dataclass
class _Sheet:
    """The rows of a file as dictionaries of the recognised columns, and where each column is."""

    columns: Sequence[Column]
    headers: dict[str, tuple[str, str]] = field(default_factory=dict)  # key → (heading as found, letter)
    rows: list[dict[str, Any]] = field(default_factory=list)

    def label(self, key: str | None) -> tuple[str, str]:
        """The heading (as in the file, else in the Bulgarian of the format) and letter of a column."""
        if key is None:
            return "", ""
        if key in self.headers:
            return self.headers[key]
        for column in self.columns:
            if column.key == key:
                return column.header_bg, ""
        return key, ""

    def error(self, row: int, key: str | None, message: str) -> RowError:
        heading, letter = self.label(key)
        return RowError(row=row, column=heading, message=str(message), letter=letter)


def _normalise(text: str) -> str:
    """Lower case, one space between words, straight quotes: for matching headings, names and codes."""
    text = re.sub(r"[„“”«»″]", '"', str(text)).replace("’", "'")
    return re.sub(r"\s+", " ", text).strip().casefold()


def heading_key(text: str) -> str:
    return _normalise(str(text).replace("*", ""))


def cell_text(value: Any) -> str:
    """A cell as text: whole numbers without ".0", dates as dd.mm.yyyy."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES[0] if value else NO[0]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return f"{value:%d.%m.%Y}"
    return str(value).strip()


def _clean_cell(value: Any) -> Any:
    """Strip text, and the apostrophe the export puts before =, +, -, @ (against formula injection)."""
    if isinstance(value, str):
        value = value.replace("\u00a0", " ").strip()
        if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
            value = value[1:]
        return value
    return "" if value is None else value


def _file_kind(data: bytes, filename: str) -> str:
    name = (filename or "").lower()
    extension = name.rsplit(".", 1)[-1] if "." in name else ""
    if data[:4] == b"PK\x03\x04":
        if extension in ("", "xlsx", "xlsm", "csv", "txt"):
            return "xlsx"
        raise _file_error(gettext_noop("The file is not a spreadsheet: upload an XLSX or CSV file."))
    if data[:4] == b"\xd0\xcf\x11\xe0" or extension == "xls":
        raise _file_error(
            gettext_noop("Old Excel files (.xls) cannot be read: save the file as XLSX or CSV.")
        )
    if extension in ("", "csv", "txt"):
        return "csv"
    if extension in ("xlsx", "xlsm"):
        raise _file_error(gettext_noop("The file is not a valid XLSX workbook: save it again from Excel."))
    raise _file_error(gettext_noop("The file is not a spreadsheet: upload an XLSX or CSV file."))


def _xlsx_records(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    """The rows of the first worksheet with their numbers (values of formulas as last calculated)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
    except Exception as exc:  # openpyxl raises many kinds of errors for a broken file
        raise _file_error(
            gettext_noop("The file is not a valid XLSX workbook: save it again from Excel.")
        ) from exc
    try:
        width = min(sheet.max_column or MAX_COLUMNS, MAX_COLUMNS)
        for number, cells in enumerate(sheet.iter_rows(min_row=1, max_col=width, values_only=True), start=1):
            yield number, list(cells)
    finally:
        workbook.close()


def _csv_records(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    """The records of a CSV file (UTF-8 with or without BOM, else Windows-1251; "," ";" or tab), numbered
    as Excel numbers its rows."""
    if b"\x00" in data[:65536]:
        raise _file_error(gettext_noop("The file cannot be read as text: save it as “CSV UTF-8” or as XLSX."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1251")
        except UnicodeDecodeError:
            raise _file_error(
                gettext_noop("The file cannot be read as text: save it as “CSV UTF-8” or as XLSX.")
            ) from None
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells[:MAX_COLUMNS]
    except csv.Error as exc:
        raise _file_error(
            gettext_noop("The file is not a valid CSV file: %(error)s"), error=str(exc)
        ) from exc


def _read(data: bytes, filename: str, columns: Sequence[Column] | None = None) -> _Sheet:
    """Read a file into a _Sheet; a file that is no spreadsheet, empty, without a heading row, too big
    or too long raises a ValidationError in both languages."""
    if columns is None:
        columns = SERVICE_COLUMNS + tuple(
            c for c in OCCUPANCY_COLUMNS if c.key not in {s.key for s in SERVICE_COLUMNS}
        )
    if len(data) > MAX_FILE_BYTES:
        raise _file_error(
            gettext_noop("The file is larger than %(size)d MB: split it into smaller files."),
            size=MAX_FILE_BYTES // (1024 * 1024),
        )
    if not data.strip():
        raise _file_error(gettext_noop("The file is empty."))
    names: dict[str, str] = {}
    for column in columns:
        for name in (column.key, column.header_bg, column.header_en):
            names.setdefault(heading_key(name), column.key)
    records = _xlsx_records(data) if _file_kind(data, filename) == "xlsx" else _csv_records(data)
    sheet = _Sheet(columns=columns)
    positions: dict[int, str] = {}
    searched = 0
    any_content = False
    for number, raw in records:
        cells = [_clean_cell(value) for value in raw]
        texts = [cell_text(value) for value in cells]
        if not any(texts):
            continue
        any_content = True
        if not positions:
            searched += 1
            found = {i: names[heading_key(t)] for i, t in enumerate(texts) if t and heading_key(t) in names}
            # Two known headings at least: a title such as "Услуга" above the table is not a heading row.
            if len(found) >= 2:
                keys = list(found.values())
                twice = sorted({texts[i] for i, key in found.items() if keys.count(key) > 1})
                if twice:
                    raise _file_error(
                        gettext_noop("The columns %(columns)s mean the same: keep one of them."),
                        columns=", ".join(f"“{t}”" for t in twice),
                    )
                positions = found
                sheet.headers = {key: (texts[i], _letter(i)) for i, key in found.items()}
            elif searched >= HEADER_SEARCH_ROWS:
                break
            continue
        first = next(t for t in texts if t)
        if first.startswith(NOTE_MARK):
            continue
        filled = [t for t in texts if t]
        if len(filled) >= 2 and all(heading_key(t) in names for t in filled):
            continue  # the second heading row (English) or a heading repeated on a later page
        if len(sheet.rows) >= MAX_ROWS:
            raise _file_error(
                gettext_noop("The file has more than %(max)d rows: split it into smaller files."),
                max=MAX_ROWS,
            )
        row: dict[str, Any] = {"_row": number}
        for index, key in positions.items():
            row[key] = cells[index] if index < len(cells) else ""
        sheet.rows.append(row)
    if not any_content:
        raise _file_error(gettext_noop("The file is empty."))
    if not positions:
        raise _file_error(
            gettext_noop("No heading row was found: the first row must name the columns as in the template.")
        )
    return sheet


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def parse_rows(data: bytes, filename: str, columns: Sequence[Column] | None = None) -> list[dict[str, Any]]:
    """The data rows of an XLSX or CSV file as dictionaries keyed on the column keys (only the columns
    the file has), each with its row number under "_row". Headings are matched in Bulgarian or English,
    ignoring case and spacing; unknown columns are ignored. Notes (#…) and repeated headings are
    skipped. A bad file raises a ValidationError in both languages."""
    return _read(data, filename, columns).rows


def _require(sheet: _Sheet, needed: Iterable[str], *, either: tuple[str, ...] = ()) -> None:
    """The file must have these columns (and one of `either`), or it cannot be imported at all."""
    missing = [sheet.label(key)[0] for key in needed if key not in sheet.headers]
    if either and not any(key in sheet.headers for key in either):
        missing.append(" / ".join(sheet.label(key)[0] for key in either))
    if missing:
        raise _file_error(
            gettext_noop("The file has no column %(columns)s: start from the template."),
            columns=", ".join(f"“{name}”" for name in missing),
        )


# --- Values of cells ---------------------------------------------------------------------------


class _Bad(Exception):
    """A cell that cannot be read; the message is shown in the row's error."""


_DATE_DMY = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})\s*(?:г\.?)?$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T][\d:.]+)?$")


def _as_integer(value: Any) -> int | None:
    if value == "" or value is None:
        return None
    if isinstance(value, bool):
        raise _Bad(_("Enter a whole number."))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise _Bad(_("Enter a whole number."))
    text = re.sub(r"\s", "", str(value))
    match = re.fullmatch(r"(-?\d+)(?:[.,]0+)?", text)
    if not match:
        raise _Bad(_("“%(value)s” is not a whole number.") % {"value": value})
    return int(match.group(1))


def _as_decimal(value: Any) -> Decimal | None:
    if value == "" or value is None:
        return None
    if isinstance(value, bool):
        raise _Bad(_("Enter a number."))
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    text = re.sub(r"\s", "", str(value))
    if "," in text and "." in text:
        text = text.replace(".", "")
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise _Bad(_("“%(value)s” is not a number.") % {"value": value}) from None
    if not number.is_finite():
        raise _Bad(_("“%(value)s” is not a number.") % {"value": value})
    return number


def _as_date(value: Any) -> datetime.date | None:
    if value == "" or value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    try:
        if match := _DATE_DMY.match(text):
            day, month, year = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
        if match := _DATE_ISO.match(text):
            year, month, day = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
    except ValueError:
        pass
    raise _Bad(_("“%(value)s” is not a date: write it as dd.mm.yyyy.") % {"value": value})


def _as_boolean(value: Any, *, blank: bool) -> bool:
    if value == "" or value is None:
        return blank
    if isinstance(value, bool):
        return value
    text = _normalise(cell_text(value))
    if text in YES:
        return True
    if text in NO:
        return False
    raise _Bad(_("“%(value)s” is neither да nor не.") % {"value": value})


def _choice_names(choices: type[models.TextChoices], names: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Every name a choice may be written as (its code, the Bulgarian names of the format, its label in
    Bulgarian and in English), normalised, → its code."""
    result: dict[str, str] = {}
    for code, label in choices.choices:
        candidates = [code, *names.get(code, ())]
        for language in ("bg", "en"):
            with translation.override(language):
                candidates.append(str(label))
        for candidate in candidates:
            result.setdefault(_normalise(candidate), code)
    return result


def _as_choice(value: Any, known: dict[str, str]) -> str:
    code = known.get(_normalise(cell_text(value)))
    if code is None:
        raise _Bad(_("“%(value)s” is not one of the listed values.") % {"value": value})
    return code


def _period_start(value: Any) -> tuple[datetime.date, str | None]:
    """The start of a period, and the kind of period its form implies (None for a plain date):
    01.03.2024, 2024-03-01, 2024-03 or 03.2024 (a month), Q1 2024 (a quarter), 2024 (a year)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        value = str(int(value))
    text = cell_text(value).upper()
    if re.fullmatch(r"\d{4}", text):
        return datetime.date(int(text), 1, 1), Occupancy.Period.YEAR
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text) or re.fullmatch(r"(\d{1,2})[./](\d{4})", text)
    if match:
        first, second = match.groups()
        year, month = (int(first), int(second)) if len(first) == 4 else (int(second), int(first))
        if 1 <= month <= 12:
            return datetime.date(year, month, 1), Occupancy.Period.MONTH
    match = re.fullmatch(r"Q([1-4])[\s./-]*(\d{4})", text) or re.fullmatch(r"(\d{4})[\s./-]*Q([1-4])", text)
    if match:
        first, second = match.groups()
        quarter, year = (int(first), int(second)) if len(first) == 1 else (int(second), int(first))
        return datetime.date(year, 3 * quarter - 2, 1), Occupancy.Period.QUARTER
    try:
        date = _as_date(value)
    except _Bad:
        raise _Bad(
            _("“%(value)s” is not the start of a period: write 01.03.2024, 2024-03, Q1 2024 or 2024.")
            % {"value": value}
        ) from None
    if date is None:
        raise _Bad(_("This column is required."))
    return date, None


# --- Look-ups ----------------------------------------------------------------------------------


class _Organisations:
    """Every organisation by ЕИК and by name (normalised), loaded once per import."""

    def __init__(self) -> None:
        self.by_eik: dict[str, Organization] = {}
        self.by_name: dict[str, list[Organization]] = {}
        for organisation in Organization.objects.only(
            "pk", "name", "eik", "kind", "region_id", "municipality_id"
        ):
            if organisation.eik:
                self.by_eik[organisation.eik] = organisation
            self.by_name.setdefault(_normalise(organisation.name), []).append(organisation)

    def find(self, value: Any) -> Organization:
        text = cell_text(value)
        if re.fullmatch(r"\d{9}|\d{13}", text):
            if text in self.by_eik:
                return self.by_eik[text]
            raise _Bad(_("No organisation has the ЕИК %(eik)s.") % {"eik": text})
        found = self.by_name.get(_normalise(text), [])
        if len(found) > 1:
            raise _Bad(
                _("Several organisations are called “%(name)s”: give the ЕИК instead.") % {"name": text}
            )
        if not found:
            raise _Bad(_("No organisation has the ЕИК or name “%(name)s”.") % {"name": text})
        return found[0]


def _exception_messages(exc: Exception, *, denied: str = "") -> list[tuple[str | None, str]]:
    """(field or None, message) pairs of an error raised by a service or by `full_clean()`."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return [
                (None if name == "__all__" else name, message)
                for name, messages in exc.message_dict.items()
                for message in messages
            ]
        return [(None, message) for message in exc.messages]
    if isinstance(exc, ApplicationError):
        return [(None, str(exc.message))]
    if isinstance(exc, PermissionDenied):
        return [
            (
                None,
                denied
                or _("You may not change this service: it is outside your territory and organisation."),
            )
        ]
    return [(None, str(exc))]


class _RowCheck:
    """The values read from one row and its errors."""

    def __init__(self, sheet: _Sheet, row: dict[str, Any]) -> None:
        self.sheet = sheet
        self.row = row
        self.number: int = row["_row"]
        self.values: dict[str, Any] = {}
        self.errors: list[RowError] = []
        self.error_keys: set[str | None] = set()

    def bad(self, key: str | None, message: str) -> None:
        self.errors.append(self.sheet.error(self.number, key, message))
        self.error_keys.add(key)

    def read(self, key: str, convert: Callable[[Any], Any]) -> None:
        """Convert the cell of a column the file has into `values` (a column it lacks stays out)."""
        if key not in self.row:
            return
        try:
            self.values[key] = convert(self.row[key])
        except _Bad as exc:
            self.bad(key, str(exc))

    def require(self, *keys: str) -> None:
        for key in keys:
            if key in self.values and self.values[key] in ("", None) and key not in self.error_keys:
                self.bad(key, _("This column is required."))


class _Rollback(Exception):
    """Undoes the transaction of a check-only run, or of a file a service refused."""


@dataclass
class _Plan:
    """What one valid row will do: create, update or leave unchanged."""

    row: int
    action: str  # create | update | unchanged
    save: Callable[[], Any] | None = None


def _apply(plans: list[_Plan], report: ImportReport, sheet: _Sheet, *, denied: str) -> None:
    """Save the planned rows in one transaction. An error raised by a service undoes them all and is
    reported with its row; a check-only run is undone too. `denied` is the message of a PermissionDenied."""
    try:
        with transaction.atomic():
            for plan in plans:
                if plan.save is None:
                    continue
                try:
                    plan.save()
                except (ValidationError, ApplicationError, PermissionDenied) as exc:
                    for key, message in _exception_messages(exc, denied=denied):
                        report.errors.append(sheet.error(plan.row, key, message))
            if report.errors or report.dry_run:
                raise _Rollback
    except _Rollback:
        pass
    if not report.errors:
        actions = [plan.action for plan in plans]
        report.created = actions.count("create")
        report.updated = actions.count("update")
        report.unchanged = actions.count("unchanged")


def _ids_and_external_ids(rows: list[dict[str, Any]]) -> tuple[set[int], set[str]]:
    """The register IDs and external IDs the rows name (to load their services in two queries)."""
    ids: set[int] = set()
    external_ids: set[str] = set()
    for row in rows:
        try:
            if (number := _as_integer(row.get("id", ""))) is not None:
                ids.add(number)
        except _Bad:
            pass
        if text := cell_text(row.get("external_id")):
            external_ids.add(text)
    return ids, external_ids


# --- Import of services ------------------------------------------------------------------------

# Not checked by `full_clean()` in the first pass: a query per foreign key and row would make a big
# file slow, and the look-ups have already found these objects.
_FOREIGN_KEYS = ["service_type", "provider", "region", "municipality", "settlement"]
_TEXT_FIELDS = (
    "external_id",
    "name",
    "address",
    "phone",
    "email",
    "programme",
    "licence_number",
    "council_decision",
)
_INTEGER_FIELDS = ("id", "capacity", "map_max_users", "state_funded_users")
_DATE_FIELDS = ("licence_issued_on", "licence_expires_on", "opened_on", "closed_on", "council_decision_date")


@dataclass
class _ServiceLookups:
    """What the rows of a services file refer to, loaded once per import."""

    user: Any
    organisations: _Organisations
    types: dict[str, ServiceType]
    abbreviations: dict[str, list[ServiceType]]
    groups: dict[str, TargetGroup]
    settlements: dict[str, Settlement]
    municipalities: dict[str, Municipality]
    status_names: dict[str, str]
    financing_names: dict[str, str]
    currency_names: dict[str, str]
    creatable: set[int]
    by_id: dict[int, Service]
    by_key: dict[tuple[int, str], Service]
    changeable: set[int]

    @classmethod
    def load(cls, *, user, rows: list[dict[str, Any]]) -> _ServiceLookups:
        types = {t.code.casefold(): t for t in ServiceType.objects.all()}
        abbreviations: dict[str, list[ServiceType]] = {}
        for service_type in types.values():
            if service_type.abbreviation:
                abbreviations.setdefault(_normalise(service_type.abbreviation), []).append(service_type)
        ekattes = {_ekatte(row.get("settlement")) for row in rows}
        codes = {cell_text(row.get("municipality")).upper() for row in rows}
        ids, external_ids = _ids_and_external_ids(rows)
        existing = Service.objects.select_related("settlement", "municipality", "provider", "service_type")
        by_id = {s.pk: s for s in existing.filter(pk__in=ids).prefetch_related("target_groups")}
        by_key = {
            (s.provider_id, s.external_id): s
            for s in existing.filter(external_id__in=external_ids).prefetch_related("target_groups")
        }
        for service in by_key.values():
            by_id.setdefault(service.pk, service)
        return cls(
            user=user,
            organisations=_Organisations(),
            types=types,
            abbreviations=abbreviations,
            groups={g.code.casefold(): g for g in TargetGroup.objects.all()},
            settlements={
                s.ekatte: s
                for s in Settlement.objects.filter(ekatte__in=ekattes).select_related("municipality")
            },
            municipalities={m.code: m for m in Municipality.objects.filter(code__in=codes)},
            status_names=_choice_names(Service.Status, STATUS_NAMES),
            financing_names=_choice_names(Service.Financing, FINANCING_NAMES),
            currency_names=_choice_names(Currency, CURRENCY_NAMES),
            creatable=set(selectors.service_creatable_providers(user=user).values_list("pk", flat=True)),
            by_id=by_id,
            by_key=by_key,
            changeable=set(
                editable(Service.objects.filter(pk__in=list(by_id)), user).values_list("pk", flat=True)
            ),
        )


def _read_service_row(check: _RowCheck, lookups: _ServiceLookups) -> None:
    """Convert the cells of a services row into model values (objects for the look-ups)."""
    for key in _TEXT_FIELDS:
        check.read(key, cell_text)
    for key in _INTEGER_FIELDS:
        check.read(key, _as_integer)
    for key in _DATE_FIELDS:
        check.read(key, _as_date)
    check.read("standard_per_place", _as_decimal)
    check.read("on_national_map", lambda v: _as_boolean(v, blank=False))
    check.read("is_published", lambda v: _as_boolean(v, blank=True))
    check.read("financing", lambda v: _as_choice(v, lookups.financing_names) if cell_text(v) else "")
    check.read(
        "status", lambda v: _as_choice(v, lookups.status_names) if cell_text(v) else Service.Status.OPERATING
    )
    check.read(
        "standard_currency",
        lambda v: _as_choice(v, lookups.currency_names) if cell_text(v) else Currency.EUR,
    )
    check.read("service_type", lambda v: _service_type(v, lookups.types, lookups.abbreviations))
    check.read("provider", lambda v: lookups.organisations.find(v) if cell_text(v) else None)
    check.read("settlement", lambda v: _settlement(v, lookups.settlements))
    check.read("municipality", lambda v: _municipality(v, lookups.municipalities))
    check.read("target_groups", lambda v: _target_groups(v, lookups.groups))


def _find_service(check: _RowCheck, lookups: _ServiceLookups, seen: dict[Any, int]) -> Service | None:
    """The service of the register a row is about (None: a new one), checking that the row names it
    consistently, only once in the file, and that the user may change it."""
    values = check.values
    register_id = values.pop("id", None)
    existing = None
    if register_id is not None:
        existing = lookups.by_id.get(register_id)
        if existing is None:
            check.bad("id", _("No service in the register has the number %(id)d.") % {"id": register_id})
    for key in ("external_id", "provider"):
        if key in values and values[key] in ("", None):
            values.pop(key)  # with a register ID: kept as the service has it
            if register_id is None and "id" not in check.error_keys:
                check.bad(key, _("This column is required."))
    provider = values.get("provider") or (existing.provider if existing else None)
    external_id = values.get("external_id", existing.external_id if existing else "")
    if provider is not None and external_id:
        other = lookups.by_key.get((provider.pk, external_id))
        if existing is None and register_id is None:
            existing = other
        elif existing is not None and other is not None and other.pk != existing.pk:
            check.bad("external_id", _("Another service of this provider already has this identifier."))
        key: Any = (provider.pk, external_id)
        if key in seen:
            check.bad("external_id", _("The same service is already on row %(row)d.") % {"row": seen[key]})
        seen.setdefault(key, check.number)
    if existing is not None:
        if existing.pk in seen and "external_id" not in check.error_keys:
            check.bad("id", _("The same service is already on row %(row)d.") % {"row": seen[existing.pk]})
        seen.setdefault(existing.pk, check.number)
        if existing.pk not in lookups.changeable:
            check.bad(
                "id" if register_id else "external_id",
                _("You may not change this service: it is outside your territory and organisation."),
            )
    return existing


def _plan_service_row(check: _RowCheck, lookups: _ServiceLookups, seen: dict[Any, int]) -> _Plan | None:
    """Check one row of a services file; the plan for it, or None with the errors in `check`."""
    _read_service_row(check, lookups)
    check.require("name", "service_type", "settlement", "capacity", "financing")
    existing = _find_service(check, lookups, seen)
    values = check.values
    settlement = values.get("settlement")
    municipality = values.pop("municipality", None)
    if settlement is not None and municipality is not None and settlement.municipality_id != municipality.pk:
        check.bad(
            "settlement",
            _("The settlement %(ekatte)s (%(name)s) is not in the municipality %(code)s.")
            % {
                "ekatte": settlement.ekatte,
                "name": settlement.name_bg,
                "code": municipality.code,
            },
        )
    if check.errors:
        return None
    target_groups = values.pop("target_groups", None)
    if settlement is not None:
        values["municipality"] = settlement.municipality
    candidate = copy.copy(existing) if existing is not None else Service()
    for name, value in values.items():
        setattr(candidate, name, value)
    # The model's rule, checked before the service would fill in today's date: that would make the same
    # file change the register again on another day.
    if candidate.status == Service.Status.CLOSED and not candidate.closed_on:
        check.bad("closed_on", _("Give the date the service closed."))
    # The service's own derivations (municipality, region, licence expiry), so that the comparison
    # below sees what would be saved.
    services.service_derive(candidate)
    try:
        candidate.full_clean(exclude=_FOREIGN_KEYS, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for key, message in _exception_messages(exc):
            if key not in check.error_keys:
                check.bad(key, message)
    scope = scope_for(lookups.user)
    if not scope.is_administrator:
        # A service keeps its provider: only a new service, or a new provider, needs the right to
        # register for that provider (a municipality's expert updates a regional provider's service).
        provider_is_new = existing is None or candidate.provider_id != existing.provider_id
        if provider_is_new and candidate.provider_id not in lookups.creatable:
            check.bad("provider", _("You cannot register services for this provider."))
        elif not (
            scope.write.covers(region_id=candidate.region_id, municipality_id=candidate.municipality_id)
            or candidate.provider_id in scope.write.organization_ids
        ):
            check.bad(
                "settlement",
                _("You can register services only in your own territory or for your organisation."),
            )
    if check.errors:
        return None
    user = lookups.user
    if existing is None:
        fields = {name: getattr(candidate, name) for name in services.SERVICE_FIELDS if name in values}
        return _Plan(
            check.number,
            "create",
            lambda: services.service_create(user=user, target_groups=target_groups, **fields),
        )
    changed = _service_changes(candidate, existing)
    if target_groups is not None and {g.pk for g in target_groups} != {
        g.pk for g in existing.target_groups.all()
    }:
        changed.append("target_groups")
    if not changed:
        return _Plan(check.number, "unchanged")
    fields = {name: getattr(candidate, name) for name in changed if name in services.SERVICE_FIELDS}
    return _Plan(
        check.number,
        "update",
        lambda: services.service_update(user=user, service=existing, target_groups=target_groups, **fields),
    )


def _service_changes(candidate: Service, existing: Service) -> list[str]:
    """The fields of `services.SERVICE_FIELDS` (and the region derived from them) that differ."""
    changed = []
    for name in (*services.SERVICE_FIELDS, "region"):
        attname = Service._meta.get_field(name).attname
        if getattr(candidate, attname) != getattr(existing, attname):
            changed.append(name)
    return changed


def services_import(
    *, user, data: bytes, filename: str, dry_run: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Import services from an XLSX or CSV file: all rows or none.

    A row updates the service with its register ID, else the provider's service with its external ID,
    else creates one. The user must be allowed to register services for the provider
    (`selectors.service_creatable_providers`) in the settlement's territory, and to change an existing
    service. A row equal to the register is not saved. A file that cannot be read raises a
    ValidationError (in both languages); the errors of rows are in the report.
    """
    sheet = _read(data, filename, SERVICE_COLUMNS)
    _require(
        sheet,
        ("name", "service_type", "provider", "settlement", "capacity", "financing"),
        either=("external_id", "id"),
    )
    report = ImportReport(kind="services", rows=len(sheet.rows), dry_run=dry_run)
    lookups = _ServiceLookups.load(user=user, rows=sheet.rows)
    plans: list[_Plan] = []
    seen: dict[Any, int] = {}
    for index, row in enumerate(sheet.rows, start=1):
        check = _RowCheck(sheet, row)
        plan = _plan_service_row(check, lookups, seen)
        report.errors.extend(check.errors)
        if plan is not None:
            plans.append(plan)
        if progress and index % PROGRESS_EVERY == 0:
            progress("checking", index, len(sheet.rows))
    if not report.errors:
        if progress:
            progress("saving", len(sheet.rows), len(sheet.rows))
        _apply(
            plans,
            report,
            sheet,
            denied=_("You can register services only in your own territory or for your organisation."),
        )
    return report


def _ekatte(value: Any) -> str:
    text = cell_text(value)
    return text.zfill(5) if text.isdigit() and len(text) < 5 else text


def _service_type(
    value: Any, types: dict[str, ServiceType], abbreviations: dict[str, list[ServiceType]]
) -> Any:
    """A type by its code, or by its abbreviation (ЦОП) where only one type has it."""
    text = cell_text(value)
    if not text:
        return None
    found = types.get(text.casefold())
    if found is None and len(abbreviations.get(_normalise(text), [])) == 1:
        found = abbreviations[_normalise(text)][0]
    if found is None:
        raise _Bad(_("Unknown service type “%(code)s”: use a code from the list.") % {"code": text})
    return found


def _settlement(value: Any, settlements: dict[str, Settlement]) -> Settlement | None:
    text = _ekatte(value)
    if not text:
        return None
    if text not in settlements:
        raise _Bad(_("No settlement has the EKATTE code %(code)s.") % {"code": text})
    return settlements[text]


def _municipality(value: Any, municipalities: dict[str, Municipality]) -> Municipality | None:
    text = cell_text(value).upper()
    if not text:
        return None
    if text not in municipalities:
        raise _Bad(_("No municipality has the code %(code)s.") % {"code": text})
    return municipalities[text]


def _target_groups(value: Any, groups: dict[str, TargetGroup]) -> list[TargetGroup]:
    codes = [code.strip() for code in re.split(r"[,;]", cell_text(value)) if code.strip()]
    unknown = [code for code in codes if code.casefold() not in groups]
    if unknown:
        raise _Bad(_("Unknown target groups: %(codes)s.") % {"codes": ", ".join(unknown)})
    return list({groups[code.casefold()].pk: groups[code.casefold()] for code in codes}.values())


# --- Import of occupancy -----------------------------------------------------------------------


@dataclass
class _OccupancyLookups:
    """What the rows of an occupancy file refer to, loaded once per import."""

    user: Any
    organisations: _Organisations
    period_names: dict[str, str]
    by_id: dict[int, Service]
    by_key: dict[tuple[int, str], Service]
    changeable: set[int]
    recorded: dict[tuple[int, str, datetime.date], Occupancy]
    today: datetime.date

    @classmethod
    def load(cls, *, user, rows: list[dict[str, Any]]) -> _OccupancyLookups:
        ids, external_ids = _ids_and_external_ids(rows)
        found = Service.objects.filter(models.Q(pk__in=ids) | models.Q(external_id__in=external_ids))
        by_id = {s.pk: s for s in found}
        changeable = set(
            editable(Service.objects.filter(pk__in=list(by_id)), user).values_list("pk", flat=True)
        )
        return cls(
            user=user,
            organisations=_Organisations(),
            period_names=_choice_names(Occupancy.Period, PERIOD_NAMES),
            by_id=by_id,
            by_key={(s.provider_id, s.external_id): s for s in by_id.values() if s.external_id},
            changeable=changeable,
            recorded={
                (o.service_id, o.period, o.starts_on): o
                for o in Occupancy.objects.filter(service__in=sorted(changeable))
            },
            today=timezone.localdate(),
        )


def _occupancy_service(check: _RowCheck, lookups: _OccupancyLookups) -> Service | None:
    """The service of an occupancy row: by register ID, or by provider and external ID."""
    values = check.values
    check.read("id", _as_integer)
    check.read("external_id", cell_text)
    check.read("provider", lambda v: lookups.organisations.find(v) if cell_text(v) else None)
    register_id = values.get("id")
    external_id = values.get("external_id") or ""
    provider = values.get("provider")
    service = None
    if register_id is not None:
        service = lookups.by_id.get(register_id)
        if service is None:
            check.bad("id", _("No service in the register has the number %(id)d.") % {"id": register_id})
        elif (
            provider is not None
            and external_id
            and (service.provider_id, service.external_id) != (provider.pk, external_id)
        ):
            check.bad("id", _("The register ID and the provider's identifier name different services."))
    elif not check.errors:
        if not external_id:
            check.bad("external_id", _("This column is required."))
        if provider is None:
            check.bad("provider", _("This column is required."))
        if provider is not None and external_id:
            service = lookups.by_key.get((provider.pk, external_id))
            if service is None:
                check.bad(
                    "external_id",
                    _("This provider has no service with the identifier “%(id)s”: import the services first.")
                    % {"id": external_id},
                )
    if service is not None and service.pk not in lookups.changeable:
        check.bad(
            "id" if register_id else "external_id",
            _("You may not change this service: it is outside your territory and organisation."),
        )
        return None
    return service


def _count(check: _RowCheck, key: str, *, required: bool) -> int | None:
    """A number of people: a whole number from 0 to the sanity bound (a typo guard, models.py)."""
    check.read(key, _as_integer)
    value = check.values.get(key)
    if value is None:
        if required and key not in check.error_keys:
            check.bad(key, _("This column is required."))
        return None
    if value < 0:
        check.bad(key, _("The number cannot be negative."))
    elif value > MAX_USERS_SANITY:
        check.bad(
            key,
            _("%(value)d is more than the plausible maximum of %(max)d: check the figure.")
            % {
                "value": value,
                "max": MAX_USERS_SANITY,
            },
        )
    return value


def _plan_occupancy_row(check: _RowCheck, lookups: _OccupancyLookups, seen: dict[Any, int]) -> _Plan | None:
    """Check one row of an occupancy file; the plan for it, or None with the errors in `check`."""
    service = _occupancy_service(check, lookups)
    check.read("period", lambda v: _as_choice(v, lookups.period_names) if cell_text(v) else None)
    period = check.values.get("period")
    if period is None and "period" not in check.error_keys:
        check.bad("period", _("This column is required."))
    starts_on = None
    try:
        starts_on, implied = _period_start(check.row.get("starts_on", ""))
    except _Bad as exc:
        check.bad("starts_on", str(exc))
    else:
        if period and implied and implied != period:
            check.bad(
                "starts_on",
                _("“%(value)s” is the start of a %(implied)s, but the period is a %(period)s.")
                % {
                    "value": cell_text(check.row.get("starts_on")),
                    "implied": Occupancy.Period(implied).label,
                    "period": Occupancy.Period(period).label,
                },
            )
        elif starts_on > lookups.today:
            check.bad("starts_on", _("The period has not started yet."))
    users = _count(check, "users", required=True)
    waiting = _count(check, "waiting", required=False) or 0
    if check.errors or service is None or period is None or starts_on is None or users is None:
        return None
    candidate = Occupancy(service=service, period=period, starts_on=starts_on, users=users, waiting=waiting)
    try:
        candidate.full_clean(exclude=["service"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for key, message in _exception_messages(exc):
            check.bad(key, message)
    key = (service.pk, period, starts_on)
    if key in seen:
        check.bad(
            "starts_on", _("The same service and period are already on row %(row)d.") % {"row": seen[key]}
        )
    seen.setdefault(key, check.number)
    if check.errors:
        return None
    current = lookups.recorded.get(key)
    if current is not None and (current.users, current.waiting) == (users, waiting):
        return _Plan(check.number, "unchanged")
    user = lookups.user
    return _Plan(
        check.number,
        "update" if current is not None else "create",
        lambda: services.occupancy_record(
            user=user, service=service, period=period, starts_on=starts_on, users=users, waiting=waiting
        ),
    )


def occupancy_import(
    *, user, data: bytes, filename: str, dry_run: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Import the users (and waiting lists) of services per month, quarter or year: all rows or none.

    A row names its service by the register ID, or by the provider and the provider's identifier; the
    user must be allowed to change the service. Users above the sanity bound (models.MAX_USERS_SANITY)
    are refused as a probable typo. A row equal to the register is not saved.
    """
    sheet = _read(data, filename, OCCUPANCY_COLUMNS)
    _require(sheet, ("period", "starts_on", "users"))
    if "id" not in sheet.headers:
        _require(sheet, ("external_id", "provider"))
    report = ImportReport(kind="occupancy", rows=len(sheet.rows), dry_run=dry_run)
    lookups = _OccupancyLookups.load(user=user, rows=sheet.rows)
    plans: list[_Plan] = []
    seen: dict[Any, int] = {}
    for index, row in enumerate(sheet.rows, start=1):
        check = _RowCheck(sheet, row)
        plan = _plan_occupancy_row(check, lookups, seen)
        report.errors.extend(check.errors)
        if plan is not None:
            plans.append(plan)
        if progress and index % PROGRESS_EVERY == 0:
            progress("checking", index, len(sheet.rows))
    if not report.errors:
        if progress:
            progress("saving", len(sheet.rows), len(sheet.rows))
        _apply(
            plans,
            report,
            sheet,
            denied=_("You may not change this service: it is outside your territory and organisation."),
        )
    return report


# --- Writing files -----------------------------------------------------------------------------


def _display(column: Column, value: Any) -> Any:
    """A value as the files hold it: booleans as да/не, the rest as it is."""
    if isinstance(value, bool):
        return YES[0] if value else NO[0]
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES[0] if value else NO[0]
    if isinstance(value, datetime.date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    text = str(value)
    # A cell starting with =, +, - or @ would be a formula when opened in a spreadsheet.
    if text[:1] in ("=", "+", "-", "@"):
        return "'" + text
    return text


def _write_csv(columns: Sequence[Column], rows: Iterable[dict[str, Any]], *, example: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow([_heading(c) for c in columns])
    writer.writerow([c.header_en for c in columns])
    if example:
        writer.writerow(_example_cells(columns, text=True))
    for row in rows:
        writer.writerow([_csv_value(_display(c, row.get(c.key))) for c in columns])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def _heading(column: Column) -> str:
    return f"{column.header_bg} *" if column.required else column.header_bg


def _example_cells(columns: Sequence[Column], *, text: bool) -> list[Any]:
    cells: list[Any] = []
    for index, column in enumerate(columns):
        value = _display(column, column.example)
        if index == 0:
            value = f"{NOTE_MARK} {cell_text(value)}"
        elif text:
            value = _csv_value(value)
        cells.append(value)
    return cells


def _choice_rows(choices: type[models.TextChoices], names: dict[str, tuple[str, ...]]) -> list[list[str]]:
    rows = []
    for code, label in choices.choices:
        with translation.override("en"):
            english = str(label)
        rows.append([code, names.get(code, ("",))[0], english])
    return rows


def _instructions(kind: str) -> tuple[list[list[Any]], dict[str, tuple[int, int]]]:
    """The rows of the sheet "Указания": general notes, the columns, and the lists of codes; and where
    each list's codes are (first and last row), for the drop-down lists of the data sheet."""

    def both(msgid: str) -> list[str]:
        texts = []
        for language in ("bg", "en"):
            with translation.override(language):
                texts.append(_(msgid))
        return texts

    columns = COLUMNS[kind]
    rows: list[list[Any]] = [["Указания за попълване / Instructions"], []]
    notes = [
        gettext_noop(
            "Fill in one row per service from row 3 on; rows 1 and 2 are the column headings, in "
            "Bulgarian and English, and either is recognised."
        )
        if kind == "services"
        else gettext_noop(
            "Fill in one row per service and period from row 3 on; rows 1 and 2 are the column "
            "headings, in Bulgarian and English, and either is recognised."
        ),
        gettext_noop(
            "Columns marked * are required. A column left out of the file is not changed; an empty "
            "cell clears the value."
        ),
        gettext_noop(
            "A row whose first cell starts with # is a note and is not imported: the example row is "
            "one. Delete it, or fill in your own rows below it."
        ),
        gettext_noop(
            "Dates as dd.mm.yyyy (01.03.2024) or yyyy-mm-dd. Numbers without thousands separators; "
            "decimals with a comma or a point. Yes or no as да or не."
        ),
        gettext_noop(
            "Every row is checked first: if any row has an error, nothing is imported and every error "
            "is listed with its row and column."
        ),
        gettext_noop(
            "Importing the same file again changes nothing: a service is recognised by its provider and "
            "the provider's identifier, or by its number in the register."
        ),
    ]
    for note in notes:
        rows.append(both(note))
    rows.append([])
    rows.append(
        ["Колона", "Column", "Задължителна / Required", "Формат", "Format", "Указание", "Explanation"]
    )
    for column in columns:
        rows.append(
            [
                column.header_bg,
                column.header_en,
                "да / yes" if column.required else "",
                *both(_FORMAT_LABELS[column.type]),
                *(both(column.help) if column.help else ["", ""]),
            ]
        )
    lists: list[tuple[str, str, list[list[str]]]] = []
    if kind == "services":
        lists.append(
            (
                "service_type",
                "Видове услуги / Service types",
                [
                    [t.code, t.abbreviation, t.name, t.name_en]
                    for t in ServiceType.objects.filter(is_active=True)
                ],
            )
        )
        lists.append(("status", "Статуси / Statuses", _choice_rows(Service.Status, STATUS_NAMES)))
        lists.append(
            ("financing", "Финансиране / Financing", _choice_rows(Service.Financing, FINANCING_NAMES))
        )
        lists.append(("standard_currency", "Валута / Currency", _choice_rows(Currency, CURRENCY_NAMES)))
        lists.append(
            (
                "target_groups",
                "Целеви групи / Target groups",
                [[g.code, "", g.name, g.name_en] for g in TargetGroup.objects.filter(is_active=True)],
            )
        )
    else:
        lists.append(("period", "Периоди / Periods", _choice_rows(Occupancy.Period, PERIOD_NAMES)))
    positions: dict[str, tuple[int, int]] = {}
    for key, title, items in lists:
        rows.append([])
        rows.append([title])
        if key in ("service_type", "target_groups"):
            rows.append(["Код / Code", "Съкращение / Abbreviation", "Наименование", "Name"])
        else:
            rows.append(["Код / Code", "Наименование във файла / Name in the file", "English"])
        first = len(rows) + 1
        rows.extend(items)
        positions[key] = (first, len(rows))
    return rows, positions


def _write_xlsx(
    columns: Sequence[Column], rows: Iterable[dict[str, Any]], *, title: str, kind: str, example: bool = False
) -> bytes:
    """A workbook: the data sheet (Bulgarian headings, English headings, rows) and the sheet "Указания"."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    instructions, positions = _instructions(kind)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A3"
    bold = Font(bold=True)
    italic = Font(italic=True, color="555555")
    fill = PatternFill("solid", fgColor="D9D9D9")
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, column in enumerate(columns, start=1):
        width = {"date": 13, "integer": 12, "decimal": 14, "boolean": 12}.get(column.type, 28)
        sheet.column_dimensions[get_column_letter(index)].width = width

    def cell(value: Any, *, font=None, number_format: str | None = None, heading: bool = False):
        item = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            item.data_type = "s"  # never a formula, whatever the text starts with
        if font is not None:
            item.font = font
        if heading:
            item.fill = fill
            item.alignment = wrap
        if number_format:
            item.number_format = number_format
        return item

    def data_cell(column: Column, value: Any):
        value = _display(column, value)
        if isinstance(value, datetime.date):
            return cell(value, number_format=DATE_FORMAT_XLSX)
        if isinstance(value, Decimal):
            return cell(value, number_format="0.00")
        return cell(value)

    count = 0
    sheet.append([cell(_heading(c), font=bold, heading=True) for c in columns])
    sheet.append([cell(c.header_en, font=italic, heading=True) for c in columns])
    if example:
        sheet.append(
            [
                cell(value, font=italic) if index == 0 else data_cell(c, c.example)
                for index, (c, value) in enumerate(
                    zip(columns, _example_cells(columns, text=False), strict=True)
                )
            ]
        )
        count += 1
    for row in rows:
        sheet.append([data_cell(c, row.get(c.key)) for c in columns])
        count += 1
    last = max(count + 2 + 1000, 1000)
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        formula = None
        if column.type == "boolean":
            formula = '"да,не"'
        elif column.key in positions and column.key != "target_groups":
            # The Bulgarian names of statuses, financing and periods; the codes of types and currencies.
            source = "B" if column.key in ("status", "financing", "period") else "A"
            first, end = positions[column.key]
            formula = f"'Указания'!${source}${first}:${source}${end}"
        if formula:
            validation = DataValidation(
                type="list", formula1=formula, allow_blank=True, showErrorMessage=False
            )
            validation.add(f"{letter}3:{letter}{last}")
            sheet.data_validations.append(validation)

    notes = workbook.create_sheet("Указания")
    for index, width in enumerate((34, 30, 16, 24, 24, 60, 60), start=1):
        notes.column_dimensions[get_column_letter(index)].width = width
    for values in instructions:
        notes.append([WriteOnlyCell(notes, value=v) for v in values])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_xlsx(kind: str) -> bytes:
    """The template to fill: the headings in Bulgarian and English, one example row (a note, not
    imported) and the sheet "Указания" with each column and the allowed codes."""
    _check_kind(kind)
    title = "Услуги" if kind == "services" else "Заетост"
    return _write_xlsx(COLUMNS[kind], [], title=title, kind=kind, example=True)


def template_csv(kind: str) -> bytes:
    """The template as CSV (UTF-8 with BOM so Excel shows Cyrillic, ";" as Bulgarian Excel expects)."""
    _check_kind(kind)
    return _write_csv(COLUMNS[kind], [], example=True)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown kind of file: {kind!r}")


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format: {fmt!r}")


def _service_values(service: Service) -> dict[str, Any]:
    return {
        "external_id": service.external_id,
        "id": service.pk,
        "name": service.name,
        "service_type": service.service_type.code,
        "provider": service.provider.eik or service.provider.name,
        "settlement": service.settlement.ekatte,
        "municipality": service.municipality.code,
        "address": service.address,
        "phone": service.phone,
        "email": service.email,
        "capacity": service.capacity,
        "on_national_map": service.on_national_map,
        "map_max_users": service.map_max_users,
        "financing": FINANCING_NAMES[service.financing][0],
        "programme": service.programme,
        "state_funded_users": service.state_funded_users,
        "standard_per_place": service.standard_per_place,
        "standard_currency": service.standard_currency,
        "licence_number": service.licence_number,
        "licence_issued_on": service.licence_issued_on,
        "licence_expires_on": service.licence_expires_on,
        "status": STATUS_NAMES[service.status][0],
        "opened_on": service.opened_on,
        "closed_on": service.closed_on,
        "council_decision": service.council_decision,
        "council_decision_date": service.council_decision_date,
        "is_published": service.is_published,
        "target_groups": ", ".join(g.code for g in service.target_groups.all()),
    }


def export_services(qs: QuerySet[Service], fmt: str) -> bytes:
    """The services of `qs` in the columns of the template, so the file can be edited and imported."""
    _check_format(fmt)
    qs = qs.select_related("service_type", "provider", "settlement", "municipality").prefetch_related(
        "target_groups"
    )
    rows = (_service_values(service) for service in qs.iterator(chunk_size=2000))
    if fmt == "csv":
        return _write_csv(SERVICE_COLUMNS, rows)
    return _write_xlsx(SERVICE_COLUMNS, rows, title="Услуги", kind="services")


def export_occupancy(qs: QuerySet, fmt: str, *, since: datetime.date | None = None) -> bytes:
    """The occupancy rows of `qs` (occupancy rows, or services whose rows are wanted), from `since`
    on, in the columns of the template."""
    _check_format(fmt)
    if qs.model is Service:
        qs = Occupancy.objects.filter(service__in=qs.order_by().values("pk"))
    if since is not None:
        qs = qs.filter(starts_on__gte=since)
    qs = qs.select_related("service", "service__provider").order_by(
        "service__municipality__name_bg", "service__name", "service_id", "period", "starts_on"
    )
    rows = (
        {
            "external_id": o.service.external_id,
            "provider": o.service.provider.eik or o.service.provider.name,
            "id": o.service_id,
            "service_name": o.service.name,
            "period": PERIOD_NAMES[o.period][0],
            "starts_on": o.starts_on,
            "users": o.users,
            "waiting": o.waiting,
        }
        for o in qs.iterator(chunk_size=2000)
    )
    if fmt == "csv":
        return _write_csv(OCCUPANCY_COLUMNS, rows)
    return _write_xlsx(OCCUPANCY_COLUMNS, rows, title="Заетост", kind="occupancy")
