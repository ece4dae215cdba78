"""Loading the official NSI population of each municipality by age, which replaces the estimates.

The shipped data has only each municipality's total and the regions' age groups, so the gap
analysis estimates a municipality's age groups from its region (social_services.gap). The national
administrator replaces those estimates by loading NSI's table "Population by districts,
municipalities, place of residence, sex and age" (XLSX or CSV) or the simple CSV below.

Two layouts are read:

1. The easy path, a tidy CSV with one figure a line (template: data/population_template.csv)::

       unit_code,reference_date,age_from,age_to,sex,value
       VTR04,2024-12-31,0,4,total,2911

   ``unit_code`` is the municipality's EKATTE code; ``reference_date`` 2024-12-31 or 31.12.2024
   (empty: the date given to the load); ``age_from`` and ``age_to`` empty for all ages, ``age_to``
   empty for "and over"; ``sex`` total, male or female (общо, мъже, жени); an optional
   ``residence`` column total, urban or rural. The separator may be ``,`` or ``;``.

2. NSI's own tables as published (XLSX, or CSV saved from them), in either orientation:

   - *long*: a row per territorial unit carrying its totals, then a row per age group ("0",
     "1 - 4", … "100 +"), with columns per sex and place of residence under a two-level header
     ("Общо / В градовете / В селата" over "всичко / мъже / жени"), like NSI's table 6.1.3;
   - *wide*: a row per territorial unit with age groups as columns ("Общо", "0 - 4", "85+",
     "100 +" …), optionally under sex or residence header cells, or with sex sub-rows
     ("Мъже", "Жени") below each unit.

   The title above the header gives the date ("… към 31.12.2024 г.", "as of 31.12.2024"). Units
   are named by EKATTE code ("VTR04"), by NUTS code, or by name in Bulgarian or English; a name
   is looked up among the municipalities of the region of the last region row, since names are
   unique only within a region (a region and its central municipality share a name: the first
   row of the name is the region, the next one the municipality). "-" is zero, as NSI writes it;
   ".." (not available) is skipped.

Only municipal figures are saved. Rows of the country, planning regions and regions give the
context and are used to cross-check the municipalities' sums; the regions' own figures come with
the territory data (territory.services.territory_load).

Nothing is saved when any row is invalid: every problem is reported with its row. Sums that do not
add up are warnings. The gap analysis adds up age groups, so a unit's groups must not overlap:
where a file gives both fine and broad groups (0–4 … and 0–17) the broad ones are left out, and a
previously stored group that overlaps a newly loaded one is removed.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socplan.core.cache import bump_data_version

from .models import Municipality, PlanningRegion, PopulationFigure, Region

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

TEMPLATE_PATH = Path(__file__).resolve().parent / "data" / "population_template.csv"
TIDY_COLUMNS = ("unit_code", "reference_date", "age_from", "age_to", "sex", "value")
MAX_AGE = 120
MAX_MESSAGES = 200

Sex = PopulationFigure.Sex
Residence = PopulationFigure.Residence
SEX_TOTAL, MALE, FEMALE = Sex.TOTAL.value, Sex.MALE.value, Sex.FEMALE.value
RESIDENCE_TOTAL, URBAN, RURAL = Residence.TOTAL.value, Residence.URBAN.value, Residence.RURAL.value
Key = tuple[str, date, str, str, str]  # unit_code, reference_date, age_group, sex, residence


# --- Results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """An error or a warning, with the row (and sheet) of the file it is about.

    The text is composed when the problem is found, in the language active then, so the row
    prefix and the message are always in the same language.
    """

    message: str
    row: int | None = None
    sheet: str = ""
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.row is None:
            if self.sheet:
                text = _("Sheet “%(sheet)s”: %(message)s") % {"sheet": self.sheet, "message": self.message}
            else:
                text = str(self.message)
        elif self.sheet:
            text = _("Sheet “%(sheet)s”, row %(row)d: %(message)s") % {
                "sheet": self.sheet,
                "row": self.row,
                "message": self.message,
            }
        else:
            text = _("Row %(row)d: %(message)s") % {"row": self.row, "message": self.message}
        object.__setattr__(self, "text", text)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Figure:
    """One population count read from the file."""

    unit_code: str
    reference_date: date
    age_from: int | None
    age_to: int | None
    sex: str
    residence: str
    value: int
    row: int | None = None
    sheet: str = ""

    @property
    def age_group(self) -> str:
        return age_group_name(self.age_from, self.age_to)

    @property
    def key(self) -> Key:
        return (self.unit_code, self.reference_date, self.age_group, self.sex, self.residence)


@dataclass
class ParsedTable:
    """What a file holds: the municipal figures to save, and the problems found."""

    filename: str
    layout: str = ""  # "tidy", "nsi" or "tidy+nsi" (a workbook with sheets of both kinds)
    figures: list[Figure] = field(default_factory=list)
    # Rows of regions and of the country: read for the cross-checks, never saved.
    aggregates: list[Figure] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def reference_dates(self) -> list[date]:
        return sorted({f.reference_date for f in self.figures})

    @property
    def units(self) -> list[str]:
        return sorted({f.unit_code for f in self.figures})


@dataclass(frozen=True)
class Change:
    """A figure that the load creates (old is None), changes or removes (new is None)."""

    unit_code: str
    reference_date: date
    age_group: str
    sex: str
    residence: str
    old: int | None
    new: int | None
    was_estimate: bool = False

    def __str__(self) -> str:
        what = f"{self.unit_code} {self.reference_date:%d.%m.%Y} {self.age_group} {self.sex}/{self.residence}"
        old = "—" if self.old is None else f"{self.old}{' (estimate)' if self.was_estimate else ''}"
        new = "—" if self.new is None else str(self.new)
        return f"{what}: {old} → {new}"


@dataclass
class LoadResult:
    """What a load created, changed, left as it was and removed."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0  # stored age groups overlapping the loaded ones (e.g. an older, broader grouping)
    reference_dates: list[date] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    dry_run: bool = False
    source: str = ""

    @property
    def reference_date(self) -> date | None:
        """The date of the figures (the latest when the file holds several)."""
        return self.reference_dates[-1] if self.reference_dates else None

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


class PopulationTableError(ValidationError):
    """The file cannot be loaded; `table` holds every error (per row) and warning."""

    def __init__(self, table: ParsedTable):
        self.table = table
        super().__init__([str(problem) for problem in table.errors])


# --- Public API ---------------------------------------------------------------------------------


def population_table_parse(data: bytes, filename: str, *, reference_date: date | None = None) -> ParsedTable:
    """Read a population table (NSI's XLSX/CSV or the tidy CSV) without saving anything.

    `reference_date` is the date of the figures where the file gives none (no date in the title,
    an empty reference_date in the tidy CSV); given with a title that names another date, it is
    used all the same, with a warning.
    """
    table = ParsedTable(filename=filename)
    if TEMPLATE_PATH.exists() and data.strip() == TEMPLATE_PATH.read_bytes().strip():
        table.errors.append(
            Problem(_("This is the unchanged template: put the figures of NSI's table in it first."))
        )
        return table
    try:
        grids = _read_grids(data, filename)
    except _FileError as exc:
        table.errors.append(Problem(str(exc)))
        return table
    territory = _Territory()
    layouts: list[str] = []
    unrecognised: list[str] = []
    for grid in grids:
        sheet = grid.name if len(grids) > 1 else ""
        if _tidy_header(grid) is not None:
            layouts.append("tidy")
            _parse_tidy(grid, sheet, territory, table, reference_date)
        else:
            outcome = _NsiSheet(grid, sheet, territory, table, reference_date).parse()
            if outcome == "read":
                layouts.append("nsi")
            elif outcome == "unrecognised":
                unrecognised.append(sheet)
    for sheet in unrecognised:
        if layouts:  # another sheet holds the table: this one is notes, a chart's data …
            table.warnings.append(
                Problem(_("The sheet holds no table that could be read and is left out."), sheet=sheet)
            )
        else:
            message = _("The header of the table was not recognised: name the columns (Общо, 0 - 4, мъже …).")
            table.errors.append(Problem(message, sheet=sheet))
    table.layout = "+".join(sorted(set(layouts)))
    _merge_duplicates(table)
    _drop_overlapping_groups(table)
    if not table.errors:
        _check_sums(table, territory)
    if not table.figures and not table.errors:
        table.errors.append(
            Problem(
                _(
                    "No municipal population figures were found in the file. "
                    "Use NSI's table or the CSV template."
                )
            )
        )
    table.errors = _capped(table.errors)
    table.warnings = _capped(table.warnings)
    return table


def population_table_load(
    *,
    data: bytes,
    filename: str,
    user: AbstractBaseUser | None = None,
    reference_date: date | None = None,
    dry_run: bool = False,
) -> LoadResult:
    """Save the municipal figures of a population table, replacing estimates and older figures.

    Each figure is created or updated on the unique key (unit, date, age group, sex, residence)
    as official (is_estimate False) with the source "НСИ, <file>, заредено на <date> от <user>".
    Loading the same file again changes nothing (a figure whose value is already stored keeps
    its source). Raises PopulationTableError, saving nothing, when any row is invalid. With
    `dry_run` the result tells what would change and nothing is written.
    """
    table = population_table_parse(data, filename, reference_date=reference_date)
    if table.errors:
        raise PopulationTableError(table)
    result = LoadResult(
        reference_dates=table.reference_dates,
        units=table.units,
        warnings=list(table.warnings),
        dry_run=dry_run,
        source=population_source(filename, user),
    )
    with transaction.atomic():
        to_create, to_update, to_delete = _plan(table, result)
        if not dry_run:
            if to_delete:
                PopulationFigure.objects.filter(pk__in=[obj.pk for obj in to_delete]).delete()
            if to_create:
                PopulationFigure.objects.bulk_create(to_create, batch_size=500)
            if to_update:
                fields = ["value", "is_estimate", "age_from", "age_to", "municipality", "region", "source"]
                PopulationFigure.objects.bulk_update(to_update, fields, batch_size=500)
            if result.changed:
                bump_data_version()  # bulk writes send no signals
    result.warnings = _capped(result.warnings)
    return result


def population_source(filename: str, user: AbstractBaseUser | None = None) -> str:
    """The source recorded on the loaded figures (at most 255 characters, as the field allows)."""
    name = Path(filename or "").name or "?"
    by = f" от {user.get_username()}" if user is not None and getattr(user, "pk", None) else ""
    tail = f", заредено на {timezone.localdate():%d.%m.%Y}{by}"
    room = 255 - len("НСИ, ") - len(tail)
    if len(name) > room:
        name = name[: room - 1] + "…"
    return f"НСИ, {name}{tail}"


def population_template() -> bytes:
    """The tidy CSV template offered for download."""
    return TEMPLATE_PATH.read_bytes()


def age_group_name(age_from: int | None, age_to: int | None) -> str:
    """The name of an age group as PopulationFigure.age_group spells it: "all", "0-4", "100+"."""
    if age_from is None:
        return "all"
    return f"{age_from}+" if age_to is None else f"{age_from}-{age_to}"


# --- Reading the file into grids of cells -------------------------------------------------------


class _FileError(Exception):
    pass


@dataclass
class _Grid:
    """The cells of one sheet (or of the CSV), with each row's number in the file."""

    name: str
    rows: list[list[Any]]
    numbers: list[int]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based, inclusive


def _read_grids(data: bytes, filename: str) -> list[_Grid]:
    if not data or not data.strip():
        raise _FileError(_("The file is empty."))
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _FileError(_("Old Excel files (.xls) cannot be read: save the table as XLSX or CSV."))
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        return _xlsx_grids(data)
    return [_csv_grid(_decode(data), Path(filename or "").name)]


def _xlsx_grids(data: bytes) -> list[_Grid]:
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds (KeyError, InvalidFileException, …)
        raise _FileError(_("The file could not be read as an XLSX workbook.")) from None
    grids = []
    try:
        for sheet in workbook.worksheets:
            rows = [list(row) for row in sheet.iter_rows(values_only=True)]
            merged = [
                (r.min_row - 1, r.min_col - 1, r.max_row - 1, r.max_col - 1)
                for r in sheet.merged_cells.ranges
            ]
            grids.append(_Grid(sheet.title, rows, list(range(1, len(rows) + 1)), merged))
    finally:
        workbook.close()
    return grids


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251")  # a CSV saved by Excel on a Bulgarian Windows


def _csv_grid(text: str, name: str) -> _Grid:
    """The CSV read with the separator (, ; or tab) that splits most rows into several cells."""
    best: tuple[tuple[int, int], list, list] | None = None
    for delimiter in (",", ";", "\t"):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        rows, numbers = [], []
        try:
            for row in reader:
                rows.append(row)
                numbers.append(reader.line_num)
        except csv.Error:
            continue
        widths = Counter(len(row) for row in rows if len(row) > 1)
        score = (sum(widths.values()), max(widths, key=widths.get) if widths else 0)
        if best is None or score > best[0]:
            best = (score, rows, numbers)
    if best is None:
        raise _FileError(_("The file could not be read as CSV."))
    return _Grid(name, best[1], best[2])


# --- Words, ages and values ---------------------------------------------------------------------

_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_FOOTNOTE = re.compile(r"(?<=[^\W\d_])[\d*¹²³⁴⁵⁶⁷⁸⁹⁰]+$|\s*[*¹²³⁴⁵⁶⁷⁸⁹⁰]+$")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _SPACES.sub(" ", str(value)).strip()


def _letters(text: str) -> str:
    """Lower-case letters only: "Добрич-селска" and "добрич селска" both give "добричселска"."""
    return "".join(ch for ch in text.lower().replace("ѝ", "и") if ch.isalpha())


_TOTAL_WORDS = {
    "общо", "total", "всичко", "всичкообщо", "общовсичко", "bothsexes", "дватапола", "allages",
    "всичкивъзрасти", "общоброй", "totalnumber",
}  # fmt: skip
_SEX_WORDS = {
    "мъже": MALE, "мъж": MALE, "male": MALE, "males": MALE, "men": MALE, "м": MALE,
    "жени": FEMALE, "жена": FEMALE, "female": FEMALE, "females": FEMALE, "women": FEMALE, "ж": FEMALE,
}  # fmt: skip
_RESIDENCE_WORDS = {
    "вградовете": URBAN, "градове": URBAN, "градско": URBAN, "градсконаселение": URBAN, "urban": URBAN,
    "urbanresidence": URBAN, "urbanareas": URBAN, "towns": URBAN,
    "вселата": RURAL, "села": RURAL, "селско": RURAL, "селсконаселение": RURAL, "rural": RURAL,
    "ruralresidence": RURAL, "ruralareas": RURAL, "villages": RURAL,
}  # fmt: skip
_GENERIC = re.compile(
    r"брой|население|възраст|годин|местоживеене|стойност|души|^пол$|"
    r"\b(number|population|age|ages|years|sex|residence|value|persons|people)\b"
)
# Words heading the column of names ("Общини", "Districts"): never a unit's name alone.
_HEADER_WORDS = re.compile(
    r"^(области|общини|области и общини|области, общини|статистически райони|наименование|територия|"
    r"districts|municipalities|districts and municipalities|name|territory|код|code)\b",
    re.IGNORECASE,
)
_COUNTRY_WORDS = {
    "общозастраната", "българия", "bulgaria", "републикабългария", "republicofbulgaria", "страната",
    "totalforthecountry", "countrytotal", "totalcountry", "bg",
}  # fmt: skip
_NOT_AVAILABLE = {"..", "...", "…", "x", "х", ":", "n/a", "na", "c", "conf.", "конф."}
_DASHES = {"-", "–", "—", "‒", "−"}
_AGE_NOISE = re.compile(r"(?<![^\W\d_])(годишна възраст|години|год\.|г\.|years|year|yrs)", re.IGNORECASE)


def parse_age(value: Any) -> tuple[int, int | None] | None:
    """(from, to) of an age-group label: "0 - 4", "0-4 г.", "85+", "100 +", "85 и повече", "Под 1", "17".

    `to` None means "and over". None when the label is no age group (or a year such as 2024).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        if float(value).is_integer() and 0 <= value <= MAX_AGE:
            return int(value), int(value)
        return None
    text = _text(value).lower()
    for dash in _DASHES:
        text = text.replace(dash, "-")
    text = re.sub(r"^(в т\.\s?ч\.|в това число|of which|incl\.)\s*", "", text)
    text = _SPACES.sub(" ", _AGE_NOISE.sub(" ", text).replace("(", " ").replace(")", " ")).strip()
    bounds: tuple[int, int | None] | None = None
    if m := re.fullmatch(r"(?:от )?(\d{1,3}) ?(?:-|до|to) ?(\d{1,3})", text):
        bounds = int(m[1]), int(m[2])
    elif m := re.fullmatch(r"(\d{1,3}) ?(?:\+|и повече|и над|and over|and more|or more|\+ и повече)", text):
        bounds = int(m[1]), None
    elif m := re.fullmatch(r"(?:под|under|below|less than) ?(\d{1,3})", text):
        bounds = (0, int(m[1]) - 1) if int(m[1]) > 0 else None
    elif m := re.fullmatch(r"\d{1,3}", text):
        bounds = int(text), int(text)
    if (
        bounds is None
        or bounds[0] > MAX_AGE
        or (bounds[1] is not None and not bounds[0] <= bounds[1] <= MAX_AGE)
    ):
        return None
    return bounds


class _NA:
    """A value marked as not available (".."), skipped."""


def _value(cell: Any) -> int | None | type[_NA] | str:
    """The count in a cell: an int, None (empty), _NA, or an error message."""
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, int):
        return cell if cell >= 0 else _("%(value)s is negative.") % {"value": cell}
    if isinstance(cell, float):
        if math.isnan(cell):
            return None
        if not cell.is_integer():
            return _("%(value)s is not a whole number.") % {"value": _text(cell)}
        return int(cell) if cell >= 0 else _("%(value)s is negative.") % {"value": int(cell)}
    text = _text(cell)
    if not text:
        return None
    if text in _DASHES:
        return 0  # NSI's dash: none
    if text.lower() in _NOT_AVAILABLE:
        return _NA
    digits = re.sub(r"[\s\u00a0\u2007\u202f']", "", text).replace("−", "-")
    if re.fullmatch(r"-?\d{1,3}(,\d{3})+", digits):
        digits = digits.replace(",", "")
    digits = re.sub(r"^(-?\d+)[.,]0+$", r"\1", digits)
    if not re.fullmatch(r"-?\d+", digits):
        return _("“%(value)s” is not a whole number.") % {"value": text}
    number = int(digits)
    return number if number >= 0 else _("%(value)s is negative.") % {"value": number}


def _has_digits(cell: Any) -> bool:
    if isinstance(cell, bool):
        return False
    if isinstance(cell, int | float):
        return True
    text = _text(cell)
    return bool(text) and bool(re.fullmatch(r"-?[\d\s\u00a0\u202f.,']*\d[\d\s\u00a0\u202f.,']*", text))


def _is_valueish(cell: Any) -> bool:
    """A number, NSI's dash (zero) or a not-available mark."""
    text = _text(cell)
    return _has_digits(cell) or text in _DASHES or text.lower() in _NOT_AVAILABLE


def _parse_date(text: str) -> date | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%Y г."):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


_MONTHS = {
    "януари": 1, "февруари": 2, "март": 3, "април": 4, "май": 5, "юни": 6, "юли": 7, "август": 8,
    "септември": 9, "октомври": 10, "ноември": 11, "декември": 12, "january": 1, "february": 2,
    "march": 3, "april": 4, "june": 6, "july": 7, "august": 8, "september": 9, "october": 10,
    "november": 11, "december": 12,
}  # fmt: skip


def _dates_in(text: str) -> list[date]:
    """The dates written in a title: "31.12.2024", "31.12.2024 г.", "31 декември 2024"."""
    found = []
    for m in re.finditer(r"(?<!\d)(\d{1,2})\s?\.\s?(\d{1,2})\s?\.\s?(\d{4})(?!\d)", text):
        try:
            found.append(date(int(m[3]), int(m[2]), int(m[1])))
        except ValueError:
            continue
    for m in re.finditer(r"(?<!\d)(\d{1,2})\s+([^\W\d_]+)\s+(\d{4})(?!\d)", text):
        month = _MONTHS.get(m[2].lower())
        if month:
            try:
                found.append(date(int(m[3]), month, int(m[1])))
            except ValueError:
                continue
    return found


# --- The territorial units ----------------------------------------------------------------------

_REGION_ALIASES = {
    "софиястолица": "SOF", "софияград": "SOF", "sofiacapital": "SOF", "sofiacity": "SOF", "sofiagrad": "SOF",
    "sofiastolitsa": "SOF", "софийска": "SFO", "софияобласт": "SFO", "sofiaprovince": "SFO",
    "sofiaoblast": "SFO",
}  # fmt: skip
_MUNICIPALITY_ALIASES = {
    "добричка": "DOB15",
    "dobrichka": "DOB15",
    "добричград": "DOB28",
    "столичнаобщина": "SOF46",
}
_PLANNING_ALIASES = {
    "northwest", "northcentral", "northeast", "southeast", "southwest", "southcentral",
    "northandsoutheastbulgaria", "southwestandsouthcentralbulgaria", "severnaiyugoiztochnabulgaria",
    "yugozapadnaiyuzhnatsentralnabulgaria",
}  # fmt: skip
_REGION_WORD = re.compile(
    r"^(област|обл\.|district|province|oblast)\s+|\s+(област|district|province|oblast)$", re.IGNORECASE
)
_MUNICIPALITY_WORD = re.compile(
    r"^(община|общ\.|municipality(\s+of)?)\s+|\s+(община|municipality)$", re.IGNORECASE
)
_PLANNING_WORD = re.compile(
    r"^(статистически\s+)?район\s+|\s+(статистически\s+)?район$|\s+region$|^region\s+", re.IGNORECASE
)


@dataclass(frozen=True)
class _Unit:
    kind: str  # "municipality", "region", "country" or "planning"
    code: str
    region: str = ""  # a municipality's region


class _Territory:
    """Municipalities and regions by code and name, read once per file."""

    def __init__(self) -> None:
        self.municipalities: dict[str, tuple[int, str]] = {}  # code → (id, region code)
        self.names: dict[str, str] = {}  # code → Bulgarian name
        self.by_name: dict[str, set[str]] = defaultdict(set)  # name → municipality codes
        self.in_region: dict[tuple[str, str], str] = {}  # (region code, name) → municipality code
        self.region_members: dict[str, set[str]] = defaultdict(set)
        for pk, code, region, name_bg, name_en in Municipality.objects.values_list(
            "pk", "code", "region__code", "name_bg", "name_en"
        ):
            self.municipalities[code] = (pk, region)
            self.names[code] = name_bg
            self.region_members[region].add(code)
            for name in {_letters(name_bg), _letters(name_en)}:
                self.by_name[name].add(code)
                self.in_region[(region, name)] = code
        for alias, code in _MUNICIPALITY_ALIASES.items():
            if code in self.municipalities:
                self.by_name[alias].add(code)
                self.in_region[(self.municipalities[code][1], alias)] = code
        self.regions: dict[str, str] = {}  # name → region code
        self.nuts3: dict[str, str] = {}
        self.region_codes: set[str] = set()
        for code, name_bg, name_en, nuts3 in Region.objects.values_list(
            "code", "name_bg", "name_en", "nuts3"
        ):
            self.region_codes.add(code)
            self.names[code] = name_bg
            self.nuts3[nuts3] = code
            for name in (_letters(name_bg), _letters(name_en)):
                self.regions[name] = code
        self.regions.update(
            {alias: code for alias, code in _REGION_ALIASES.items() if code in self.region_codes}
        )
        self.planning: set[str] = set(_PLANNING_ALIASES)
        self.planning_codes: set[str] = set()
        for code, name_bg, name_en in PlanningRegion.objects.values_list("code", "name_bg", "name_en"):
            self.planning_codes.add(code)
            for name in (name_bg, name_en):
                self.planning.add(_letters(_PLANNING_WORD.sub("", name.replace('"', ""))))
        self._totals: dict[str, list[tuple[date, int]]] | None = None

    def stored_total(self, code: str, day: date | None) -> int | None:
        """The stored total population of a unit on the date nearest to `day`."""
        if self._totals is None:
            self._totals = defaultdict(list)
            for unit, when, value in PopulationFigure.objects.filter(
                age_group="all", sex=SEX_TOTAL, residence=RESIDENCE_TOTAL
            ).values_list("unit_code", "reference_date", "value"):
                self._totals[unit].append((when, value))
        rows = self._totals.get(code)
        if not rows:
            return None
        return min(rows, key=lambda r: abs((r[0] - (day or r[0])).days))[1]

    def municipality(self, code: str) -> _Unit:
        return _Unit("municipality", code, self.municipalities[code][1])

    def code(self, text: str) -> _Unit | None:
        """A unit named by its EKATTE or NUTS code, alone or before its name ("VTR04 Велико Търново")."""
        if m := re.match(r"^([A-Z]{3}\d{2})\b", text):
            return self.municipality(m[1]) if m[1] in self.municipalities else None
        if m := re.match(r"^(BG\d{0,3})\b", text):
            if m[1] == "BG":
                return _Unit("country", "BG")
            if m[1] in self.nuts3:
                return _Unit("region", self.nuts3[m[1]])
            if m[1] in self.planning_codes:
                return _Unit("planning", m[1])
            return None
        if (m := re.match(r"^([A-Z]{3})\b", text)) and m[1] in self.region_codes:
            return _Unit("region", m[1])
        return None


# --- The tidy CSV -------------------------------------------------------------------------------


def _tidy_header(grid: _Grid) -> tuple[int, dict[str, int]] | None:
    """(row index, column of each name) of the tidy header, if the sheet has one near the top."""
    for index, row in enumerate(grid.rows[:10]):
        names = [_text(cell).lower().strip() for cell in row]
        if "unit_code" in names and "value" in names:
            return index, {name: col for col, name in enumerate(names) if name}
    return None


_TIDY_SEX = {"total": SEX_TOTAL, "общо": SEX_TOTAL, "всичко": SEX_TOTAL, "": SEX_TOTAL, **_SEX_WORDS}
_TIDY_RESIDENCE = {"total": RESIDENCE_TOTAL, "общо": RESIDENCE_TOTAL, "": RESIDENCE_TOTAL, **_RESIDENCE_WORDS}


def _parse_tidy(
    grid: _Grid, sheet: str, territory: _Territory, table: ParsedTable, default_date: date | None
) -> None:
    """Read the rows of the tidy CSV (see the module's docstring) into the table."""
    header_index, columns = _tidy_header(grid)  # type: ignore[misc]
    missing = [name for name in TIDY_COLUMNS if name not in columns and name != "reference_date"]
    if missing:
        table.errors.append(
            Problem(_("Columns missing from the CSV: %(columns)s.") % {"columns": ", ".join(missing)})
        )
        return

    def cell(row: list, name: str) -> str:
        col = columns.get(name)
        return _text(row[col]) if col is not None and col < len(row) else ""

    for row, number in zip(grid.rows[header_index + 1 :], grid.numbers[header_index + 1 :], strict=True):
        if not any(_text(c) for c in row):
            continue
        errors: list[str] = []
        code = cell(row, "unit_code").upper()
        if code not in territory.municipalities:
            if code in territory.region_codes or code == "BG":
                errors.append(
                    _(
                        "“%(code)s” is not a municipality: only municipal figures are loaded here "
                        "(those of the regions come with the territory data)."
                    )
                    % {"code": code}
                )
            else:
                errors.append(_("Unknown municipality code “%(code)s”.") % {"code": code})
        day = default_date
        if raw := cell(row, "reference_date"):
            day = _parse_date(raw)
            if day is None:
                errors.append(
                    _("“%(value)s” is not a date (write 2024-12-31 or 31.12.2024).") % {"value": raw}
                )
        elif day is None:
            errors.append(_("The date of the figures is missing."))
        ages: list[int | None] = []
        for name in ("age_from", "age_to"):
            raw = cell(row, name)
            age = parse_age(raw) if raw else None
            if raw and (age is None or age[0] != age[1]):
                errors.append(_("“%(value)s” is not an age.") % {"value": raw})
            ages.append(age[0] if age else None)
        age_from, age_to = ages
        if age_from is None and age_to is not None:
            age_from = 0
        if age_from is not None and age_to is not None and age_to < age_from:
            errors.append(
                _("The age group %(start)s–%(end)s ends before it starts.")
                % {"start": age_from, "end": age_to}
            )
        sex = _TIDY_SEX.get(_letters(cell(row, "sex")))
        if sex is None:
            errors.append(
                _("Unknown sex “%(value)s” (write total, male or female).") % {"value": cell(row, "sex")}
            )
        residence = _TIDY_RESIDENCE.get(_letters(cell(row, "residence")))
        if residence is None:
            errors.append(
                _("Unknown place of residence “%(value)s” (write total, urban or rural).")
                % {"value": cell(row, "residence")}
            )
        raw_value = cell(row, "value")
        value = _value(raw_value) if raw_value else _("The value is missing.")
        if value is _NA:
            table.warnings.append(
                Problem(_("“%(value)s” (not available) is skipped.") % {"value": raw_value}, number, sheet)
            )
            continue
        if isinstance(value, str):
            errors.append(value)
        if errors:
            table.errors.extend(Problem(message, number, sheet) for message in errors)
            continue
        figure = Figure(
            code, cast(date, day), age_from, age_to, cast(str, sex), cast(str, residence), cast(int, value)
        )
        table.figures.append(replace(figure, row=number, sheet=sheet))


# --- NSI's tables -------------------------------------------------------------------------------

AGE, SEX, RESIDENCE = "age", "sex", "residence"


def _classify(value: Any) -> tuple[str, Any] | None:
    """What a header or label cell says: (AGE, (from, to)), (SEX, …), (RESIDENCE, …), ("total", None),
    ("generic", None) for words such as "Брой" or "Възраст", ("text", text) for anything else; None if
    empty."""
    text = _text(value)
    if not text:
        return None
    if (age := parse_age(value)) is not None:
        return AGE, age
    key = _letters(re.sub(r"^(в т\.\s?ч\.|в това число|of which)\s*", "", text, flags=re.IGNORECASE))
    if key in _TOTAL_WORDS:
        return "total", None
    if key in _SEX_WORDS:
        return SEX, _SEX_WORDS[key]
    if key in _RESIDENCE_WORDS:
        return RESIDENCE, _RESIDENCE_WORDS[key]
    if text.lower() in {"№", "no", "no.", "#", "ебк", "код по ебк"}:
        return "generic", None
    if _GENERIC.search(text.lower()) and key not in _COUNTRY_WORDS:
        return "generic", None
    return "text", text


def _describe_column(labels: list[str]) -> tuple[str, dict[str, Any]]:
    """What the header cells above a column say: ("values", {dimension: value}) for a column of
    figures, "generic" (only words such as "Брой"), "unknown" (other words, e.g. "Общини") or
    "empty". A header cell may hold several parts: "Мъже / Male", "urban_total"."""
    described: dict[str, Any] = {}
    recognised = generic = unknown = False
    for label in labels:
        parts = [p for p in re.split(r"[\n/;|_]+", label) if p.strip()] or [label]
        for part in parts:
            kind = _classify(part)
            if kind is None:
                continue
            if kind[0] in (AGE, SEX, RESIDENCE):
                described[kind[0]] = kind[1]
                recognised = True
            elif kind[0] == "total":
                recognised = True
            elif kind[0] == "generic":
                generic = True
            else:
                unknown = True
    if recognised:
        return "values", described
    if generic and not unknown:
        return "generic", {}
    return ("unknown", {}) if unknown else ("empty", {})


class _NsiSheet:
    """One sheet of an NSI table: title, header block, then rows of units (and of ages or sexes)."""

    def __init__(
        self, grid: _Grid, sheet: str, territory: _Territory, table: ParsedTable, default_date: date | None
    ):
        self.grid, self.sheet, self.territory, self.table = grid, sheet, territory, table
        self.default_date = default_date
        self.width = max((len(row) for row in grid.rows), default=0)
        self.rows = [list(row) + [None] * (self.width - len(row)) for row in grid.rows]
        self.labels: list[list[tuple[str, Any]]] = []

    def parse(self) -> str:
        """Read the sheet into the table: "read", "empty" (no figures) or "unrecognised" (no header)."""
        first = self._first_data_row()
        if first is None:
            return "empty"
        header_rows, header = self._header(first)
        columns, first_value_col = self._columns(header, first)
        if first_value_col is None:
            return "unrecognised"
        day = self._reference_date(first)
        if day is not None:
            # Headings without figures between the header and the first figures ("Област Русе") count.
            self._read_rows(header_rows[-1] + 1 if header_rows else first, first_value_col, columns, day)
        return "read"

    # The layout

    def _first_data_row(self) -> int | None:
        """The first row with a name (not a number) followed by figures."""
        for index, row in enumerate(self.rows):
            for col, cell in enumerate(row):
                if _text(cell) and not _is_valueish(cell):
                    if any(_has_digits(c) for c in row[col + 1 :]) and not self._is_age_header(row, col):
                        return index
                    break
        return None

    @staticmethod
    def _is_age_header(row: list, label_col: int) -> bool:
        """A header row of single years stored as numbers (0, 1, 2 …) after a word like "Общини"."""
        ages = [parse_age(c) for c in row[label_col + 1 :] if _has_digits(c)]
        starts = [a[0] for a in ages if a is not None]
        return (
            len(ages) >= 2
            and len(starts) == len(ages)
            and starts == sorted(set(starts))
            and bool(
                _HEADER_WORDS.match(_text(row[label_col])) or _GENERIC.search(_text(row[label_col]).lower())
            )
        )

    def _header(self, first_data: int) -> tuple[list[int], list[list[str]]]:
        """The header rows (those above the data with two cells or more), merged cells filled in."""
        header_rows = [i for i in range(first_data) if sum(1 for c in self.rows[i] if _text(c)) >= 2]
        texts = {i: [_text(c) for c in self.rows[i]] for i in header_rows}
        for top, left, bottom, right in self.grid.merged:
            if top >= len(self.rows) or left >= self.width:
                continue
            value = _text(self.rows[top][left])
            for i in range(top, bottom + 1):
                if i in texts:
                    for j in range(left, min(right + 1, self.width)):
                        texts[i][j] = texts[i][j] or value
        # A label over several columns written once (CSV) rather than merged (XLSX) spans the empty
        # cells to its right, except in the last header row, which names each column.
        for i in header_rows[:-1]:
            carry = ""
            for j in range(1, self.width):
                if texts[i][j]:
                    carry = texts[i][j]
                else:
                    texts[i][j] = carry
        return header_rows, [texts[i] for i in header_rows]

    def _columns(self, header: list[list[str]], first: int) -> tuple[dict[int, dict[str, Any]], int | None]:
        """What each column of figures holds ({dimension: value}) and where the figures start."""
        data_rows = range(first, len(self.rows))
        columns: dict[int, dict[str, Any]] = {}
        for j in range(self.width):
            kind, described = _describe_column([row[j] for row in header])
            if kind == "values":
                columns[j] = described
        if not columns:
            # No header to go by: a single column of numbers right of the names holds totals.
            numeric = [
                j for j in range(self.width)
                if sum(_has_digits(self.rows[i][j]) for i in data_rows) > len(data_rows) / 2
            ]  # fmt: skip
            if len(numeric) != 1:
                return {}, None
            return {numeric[0]: {}}, numeric[0]
        first_value_col = min(columns)
        for j in range(first_value_col, self.width):
            if j not in columns and any(_has_digits(self.rows[i][j]) for i in data_rows):
                label = " / ".join(dict.fromkeys(row[j] for row in header if row[j])) or "—"
                self.table.warnings.append(
                    Problem(
                        _("Column %(column)s (“%(label)s”) is not recognised and is left out.")
                        % {"column": _column_letter(j), "label": label},
                        sheet=self.sheet,
                    )
                )
        return columns, first_value_col

    def _reference_date(self, first_data: int) -> date | None:
        title = " ".join(_text(c) for row in self.rows[:first_data] for c in row if _text(c))
        found = list(dict.fromkeys(_dates_in(title)))
        if self.default_date:
            if found and found != [self.default_date]:
                self.table.warnings.append(
                    Problem(
                        _("The date %(given)s that you gave is used instead of the title's %(title)s.")
                        % {
                            "given": f"{self.default_date:%d.%m.%Y}",
                            "title": ", ".join(f"{d:%d.%m.%Y}" for d in found),
                        },
                        sheet=self.sheet,
                    )
                )
            return self.default_date
        if len(found) == 1:
            return found[0]
        if found:
            message = _("The title gives several dates (%(dates)s): give the date of the figures.") % {
                "dates": ", ".join(f"{d:%d.%m.%Y}" for d in found)
            }
        else:
            message = _(
                "The title gives no date of the figures (such as “31.12.2024”): "
                "give the date or add it to the title."
            )
        self.table.errors.append(Problem(message, sheet=self.sheet))
        return None

    # The rows

    def _read_rows(self, first: int, label_cols: int, columns: dict[int, dict[str, Any]], day: date) -> None:
        self.labels = [
            [
                kind
                for kind in (_classify(cell) for cell in row[:label_cols])
                if kind is not None and kind[0] != "generic"
            ]
            for row in self.rows
        ]
        state = _RowState()
        for i in range(first, len(self.rows)):
            row, number = self.rows[i], self.grid.numbers[i]
            values: dict[int, int] = {}
            for j in columns:
                value = _value(row[j])
                if value is None:
                    continue
                if value is _NA:
                    self.table.warnings.append(
                        Problem(
                            _("“%(value)s” (not available) is skipped.") % {"value": _text(row[j])},
                            number,
                            self.sheet,
                        )
                    )
                elif isinstance(value, str):
                    message = _("Column %(column)s: %(message)s") % {
                        "column": _column_letter(j),
                        "message": value,
                    }
                    self.table.errors.append(Problem(message, number, self.sheet))
                else:
                    values[j] = value
            has_figures = any(_text(row[j]) for j in columns)
            if not self.labels[i]:
                if has_figures:
                    self.table.errors.append(
                        Problem(_("The row has figures but names no unit or age group."), number, self.sheet)
                    )
                continue
            if not self._apply_labels(state, i, values, columns, day, has_figures):
                continue
            if has_figures and state.unit is not None:
                for j, value in values.items():
                    self._add(state, columns[j], value, day, number)
            state.previous = (state.last_dimension, has_figures)

    def _apply_labels(
        self, state: _RowState, i: int, values: dict[int, int], columns, day, has_figures
    ) -> bool:
        """Put the row's labels in force; False when the row is to be skipped."""
        texts = [value for kind, value in self.labels[i] if kind == "text"]
        if texts:
            unit = self._resolve(" ".join(texts), state, i, values, columns, day)
            if isinstance(unit, str):
                if has_figures:
                    self.table.errors.append(Problem(unit, self.grid.numbers[i], self.sheet))
                    state.unit = None  # its age rows are skipped, not blamed again
                return False  # without figures: a note or a footnote below the table
            state.enter(unit)
        for kind, value in self.labels[i]:
            if kind == "text":
                continue
            if kind == "total":
                if texts:
                    continue
                if state.unit is None:
                    state.enter(_Unit("country", "BG"))
                else:
                    state.total()
            else:
                state.set(kind, value)
        return True

    def _resolve(self, text: str, state: _RowState, i: int, values, columns, day) -> _Unit | str:
        """The unit a label names, or the error message; bilingual labels ("Видин / Vidin") part by part."""
        parts = [p for p in re.split(r"\s*[/\n|]\s*", text) if p]
        attempts = [text, *parts] if len(parts) > 1 else [text]
        messages = []
        for attempt in attempts:
            unit = self._resolve_one(attempt, state, i, values, columns, day)
            if isinstance(unit, _Unit):
                return unit
            messages.append(unit)
        # The most useful message: "several municipalities" rather than "not known".
        return next((m for m in messages if m is not None and m.startswith("!")), "!" + _unknown(text))[1:]

    def _resolve_one(self, text: str, state: _RowState, i: int, values, columns, day) -> _Unit | str:
        territory = self.territory
        unit = territory.code(text)
        if unit is not None:
            return unit
        cleaned = _FOOTNOTE.sub("", re.sub(r"[„“”\"«»]", "", text)).strip()
        hint = None
        if _REGION_WORD.search(cleaned):
            hint, cleaned = "region", _REGION_WORD.sub("", cleaned)
        elif _MUNICIPALITY_WORD.search(cleaned):
            hint, cleaned = "municipality", _MUNICIPALITY_WORD.sub("", cleaned)
        key = _letters(cleaned)
        if not key:
            return _unknown(text)
        if hint is None:
            if key in _COUNTRY_WORDS:
                return _Unit("country", "BG")
            if key in territory.planning or _letters(_PLANNING_WORD.sub("", cleaned)) in territory.planning:
                return _Unit("planning", key)
        region = territory.regions.get(key) if hint != "municipality" else None
        local = territory.in_region.get((state.region, key)) if state.region and hint != "region" else None
        if local and (local not in state.seen or not region):
            return territory.municipality(local)
        candidates = sorted(territory.by_name.get(key, ())) if hint != "region" else []
        if region and hint is None and (own := territory.in_region.get((region, key))):
            # A region and its central municipality share the name ("Велико Търново").
            if self._is_region_row(region, own, i, values, columns, day):
                return _Unit("region", region)
            return territory.municipality(own)
        if region:
            return _Unit("region", region)
        if len(candidates) == 1:
            return territory.municipality(candidates[0])
        if len(candidates) > 1:
            return "!" + _(
                "“%(name)s” is the name of several municipalities (%(codes)s): "
                "put the row of its region above it, "
                "or write the code."
            ) % {"name": text, "codes": ", ".join(candidates)}
        return _unknown(text)

    def _is_region_row(self, region: str, own: str, i: int, values, columns, day) -> bool:
        """Whether a row named like both a region and its central municipality is the region's.

        By the row's total when the stored totals of both are known (a region has several times the
        people of its centre), else by the next name: a region's row is followed by its municipalities.
        """
        totals = [v for j, v in values.items() if not columns[j]]
        if not totals:
            totals = [sum(v for j, v in values.items() if set(columns[j]) == {AGE})]
        total = totals[0] if totals else 0
        region_total = self.territory.stored_total(region, day)
        own_total = self.territory.stored_total(own, day)
        if total and region_total and own_total:
            return abs(math.log(total / region_total)) < abs(math.log(total / own_total))
        for later in self.labels[i + 1 :]:
            texts = [value for kind, value in later if kind == "text"]
            if not texts:
                continue
            text = " ".join(texts)
            unit = self.territory.code(text)
            if unit is not None:
                return unit.kind == "municipality" and unit.region == region
            key = _letters(_MUNICIPALITY_WORD.sub("", _FOOTNOTE.sub("", text)))
            return (region, key) in self.territory.in_region
        return False

    def _add(self, state: _RowState, described: dict[str, Any], value: int, day: date, number: int) -> None:
        unit = state.unit
        age = described.get(AGE, state.age)
        figure = Figure(
            unit_code=unit.code,  # type: ignore[union-attr]
            reference_date=day,
            age_from=age[0] if age else None,
            age_to=age[1] if age else None,
            sex=described.get(SEX, state.sex),
            residence=described.get(RESIDENCE, state.residence),
            value=value,
            row=number,
            sheet=self.sheet,
        )
        if unit.kind == "municipality":  # type: ignore[union-attr]
            self.table.figures.append(figure)
        elif unit.kind in ("region", "country"):  # type: ignore[union-attr]
            self.table.aggregates.append(figure)


def _unknown(name: str) -> str:
    return _("“%(name)s” is not a known municipality or region.") % {"name": name}


class _RowState:
    """The unit, and the age, sex and residence that the rows read so far put in force.

    Dimensions nest in the order they appear below a unit: after "0 - 4", "мъже", "жени", the
    next age resets the sex. A bare "Общо" after figures of the innermost dimension is their
    total; after a heading without figures ("0 - 4"), it is the total of what comes next.
    """

    def __init__(self) -> None:
        self.unit: _Unit | None = None
        self.region: str | None = None  # the region whose municipalities are listed
        self.seen: set[str] = set()  # municipalities of that region met so far
        self.age: tuple[int, int | None] | None = None
        self.sex: str = SEX_TOTAL
        self.residence: str = RESIDENCE_TOTAL
        self.stack: list[str] = []
        self.previous: tuple[str | None, bool] = (None, False)

    @property
    def last_dimension(self) -> str | None:
        return self.stack[-1] if self.stack else None

    def enter(self, unit: _Unit) -> None:
        self.unit = unit
        if unit.kind == "region":
            self.region, self.seen = unit.code, set()
        elif unit.kind == "municipality":
            if unit.region != self.region:
                self.region, self.seen = unit.region, set()
            self.seen.add(unit.code)
        elif unit.kind == "country":
            self.region, self.seen = None, set()
        self._reset(self.stack)
        self.stack = []

    def set(self, dimension: str, value: Any) -> None:
        if dimension in self.stack:
            position = self.stack.index(dimension)
            self._reset(self.stack[position + 1 :])
            self.stack = self.stack[: position + 1]
        else:
            self.stack.append(dimension)
        setattr(self, dimension, value)

    def total(self) -> None:
        dimension, had_figures = self.previous
        if dimension is not None and dimension == self.last_dimension and had_figures:
            self._reset([dimension])
            self.stack.pop()

    def _reset(self, dimensions: list[str]) -> None:
        defaults = {AGE: None, SEX: SEX_TOTAL, RESIDENCE: RESIDENCE_TOTAL}
        for dimension in dimensions:
            setattr(self, dimension, defaults[dimension])


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


# --- Checks -------------------------------------------------------------------------------------


def _describe(figure: Figure) -> str:
    group = _("all ages") if figure.age_from is None else figure.age_group
    return f"{figure.unit_code}, {group}, {Sex(figure.sex).label}, {Residence(figure.residence).label}"


def _merge_duplicates(table: ParsedTable) -> None:
    """The same figure twice (e.g. a workbook with a Bulgarian and an English sheet) is kept once;
    different values for the same figure are an error."""
    for attribute in ("figures", "aggregates"):
        kept: dict[Key, Figure] = {}
        for figure in getattr(table, attribute):
            first = kept.get(figure.key)
            if first is None:
                kept[figure.key] = figure
            elif first.value != figure.value and attribute == "figures":
                table.errors.append(
                    Problem(
                        _(
                            "%(figure)s is given twice with different values: "
                            "%(first)s (row %(first_row)s) and %(second)s."
                        )
                        % {
                            "figure": _describe(figure),
                            "first": first.value,
                            "first_row": first.row,
                            "second": figure.value,
                        },
                        figure.row,
                        figure.sheet,
                    )
                )
        setattr(table, attribute, list(kept.values()))


def _overlaps(a: tuple[int, int | None], b: tuple[int, int | None]) -> bool:
    a_end = a[1] if a[1] is not None else math.inf
    b_end = b[1] if b[1] is not None else math.inf
    return a[0] <= b_end and b[0] <= a_end


def _drop_overlapping_groups(table: ParsedTable) -> None:
    """Keep the finest age groups of each unit; leave out broader ones that overlap them (0–17 next
    to 0–4, 5–9 …), as the gap analysis adds up a unit's groups."""
    groups: dict[tuple, set[tuple[int, int | None]]] = defaultdict(set)
    for figure in table.figures:
        if figure.age_from is not None:
            groups[(figure.unit_code, figure.reference_date, figure.sex, figure.residence)].add(
                (figure.age_from, figure.age_to)
            )
    dropped: dict[tuple[int, int | None], set[str]] = defaultdict(set)
    rejected: set[tuple] = set()
    for (unit, day, sex, residence), bands in groups.items():
        accepted: list[tuple[int, int | None]] = []
        for band in sorted(bands, key=lambda b: (b[1] is None, (b[1] or 0) - b[0], -b[0])):
            if any(_overlaps(band, other) for other in accepted):
                dropped[band].add(unit)
                rejected.add((unit, day, sex, residence, band))
            else:
                accepted.append(band)
    if not rejected:
        return
    table.figures = [
        f for f in table.figures
        if (f.unit_code, f.reference_date, f.sex, f.residence, (f.age_from, f.age_to)) not in rejected
    ]  # fmt: skip
    for band, units in sorted(dropped.items(), key=lambda item: (item[0][0], item[0][1] or MAX_AGE + 1)):
        table.warnings.append(
            Problem(
                _(
                    "The age group %(group)s overlaps finer groups and is left out "
                    "(municipalities: %(count)d)."
                )
                % {"group": age_group_name(*band), "count": len(units)}
            )
        )


def _check_sums(table: ParsedTable, territory: _Territory) -> None:
    """Warn where the parts do not add up to the totals given, and where the age groups leave ages out."""
    by_key = {f.key: f for f in table.figures}
    bands: dict[tuple, list[Figure]] = defaultdict(list)
    for figure in table.figures:
        if figure.age_from is not None:
            bands[(figure.unit_code, figure.reference_date, figure.sex, figure.residence)].append(figure)
    for (unit, day, sex, residence), figures in bands.items():
        figures.sort(key=lambda f: f.age_from)  # type: ignore[arg-type, return-value]
        missing, expected = [], 0
        for f in figures:
            if f.age_from > expected:  # type: ignore[operator]
                missing.append(age_group_name(expected, f.age_from - 1))  # type: ignore[operator]
            expected = math.inf if f.age_to is None else f.age_to + 1  # type: ignore[assignment]
        if expected != math.inf:
            missing.append(age_group_name(int(expected), None))
        total = by_key.get((unit, day, "all", sex, residence))
        if missing:
            if sex == SEX_TOTAL and residence == RESIDENCE_TOTAL:
                table.warnings.append(
                    Problem(
                        _("The age groups of %(unit)s do not cover every age (%(ages)s missing).")
                        % {"unit": unit, "ages": ", ".join(missing)},
                        figures[0].row,
                        figures[0].sheet,
                    )
                )
        elif total is not None and sum(f.value for f in figures) != total.value:
            table.warnings.append(
                Problem(
                    _("The age groups of %(figure)s add up to %(sum)s, but the total given is %(total)s.")
                    % {
                        "figure": _describe(total),
                        "sum": sum(f.value for f in figures),
                        "total": total.value,
                    },
                    total.row,
                    total.sheet,
                )
            )
    for figure in table.figures:
        unit, day, group, sex, residence = figure.key
        if sex == SEX_TOTAL:
            parts = [by_key.get((unit, day, group, s, residence)) for s in (MALE, FEMALE)]
            _warn_parts(table, figure, parts, _("men and women"))
        if residence == RESIDENCE_TOTAL:
            parts = [by_key.get((unit, day, group, sex, r)) for r in (URBAN, RURAL)]
            _warn_parts(table, figure, parts, _("towns and villages"))
    _check_regions(table, territory)


def _warn_parts(table: ParsedTable, total: Figure, parts: list[Figure | None], what: str) -> None:
    if all(parts) and sum(p.value for p in parts) != total.value:  # type: ignore[union-attr]
        table.warnings.append(
            Problem(
                _("The %(parts)s of %(figure)s add up to %(sum)s, but the total given is %(total)s.")
                % {
                    "parts": what,
                    "figure": _describe(total),
                    "sum": sum(p.value for p in parts),  # type: ignore[union-attr]
                    "total": total.value,
                },
                total.row,
                total.sheet,
            )
        )


def _check_regions(table: ParsedTable, territory: _Territory) -> None:
    """Where a file has a region's row and all its municipalities, their sum should be the region's."""
    units = {f.unit_code for f in table.figures}
    sums: dict[Key, int] = defaultdict(int)
    for figure in table.figures:
        region = territory.municipalities[figure.unit_code][1]
        sums[(region, *figure.key[1:])] += figure.value  # type: ignore[index]
    for figure in table.aggregates:
        region = figure.unit_code
        if region not in territory.region_members or not territory.region_members[region] <= units:
            continue
        total = sums.get(figure.key)
        if total is not None and total != figure.value:
            table.warnings.append(
                Problem(
                    _("The municipalities of %(region)s add up to %(sum)s for %(figure)s, "
                      "but the region's row gives "
                      "%(total)s.") % {"region": territory.names.get(region, region), "sum": total,
                                       "figure": _describe(figure), "total": figure.value},
                    figure.row,
                    figure.sheet,
                )
            )  # fmt: skip


def _capped(problems: list[Problem]) -> list[Problem]:
    if len(problems) <= MAX_MESSAGES:
        return problems
    rest = len(problems) - MAX_MESSAGES
    return [*problems[:MAX_MESSAGES], Problem(_("… and %(count)d more.") % {"count": rest})]


# --- Saving -------------------------------------------------------------------------------------


def _plan(table: ParsedTable, result: LoadResult) -> tuple[list, list, list]:
    """The figures to create, to update and to remove (stored groups overlapping the loaded ones)."""
    municipality_ids = dict(Municipality.objects.filter(code__in=result.units).values_list("code", "pk"))
    existing: dict[Key, PopulationFigure] = {
        (o.unit_code, o.reference_date, o.age_group, o.sex, o.residence): o
        for o in PopulationFigure.objects.filter(
            unit_code__in=result.units, reference_date__in=result.reference_dates
        )
    }
    to_create, to_update = [], []
    loaded: dict[tuple, list[tuple[int, int | None]]] = defaultdict(list)
    for figure in table.figures:
        if figure.age_from is not None:
            loaded[(figure.unit_code, figure.reference_date, figure.sex, figure.residence)].append(
                (figure.age_from, figure.age_to)
            )
        values = {
            "value": figure.value,
            "is_estimate": False,
            "age_from": figure.age_from,
            "age_to": figure.age_to,
            "municipality_id": municipality_ids[figure.unit_code],
            "region_id": None,
        }
        obj = existing.get(figure.key)
        change = Change(*figure.key, old=None, new=figure.value)
        if obj is None:
            to_create.append(
                PopulationFigure(
                    unit_code=figure.unit_code,
                    reference_date=figure.reference_date,
                    age_group=figure.age_group,
                    sex=figure.sex,
                    residence=figure.residence,
                    source=result.source,
                    **values,
                )
            )
            result.created += 1
            result.changes.append(change)
            continue
        if all(getattr(obj, name) == value for name, value in values.items()):
            result.unchanged += 1
            continue
        if figure.age_from is None and not obj.is_estimate and obj.value != figure.value:
            result.warnings.append(
                Problem(
                    _("The total of %(unit)s on %(date)s changes from %(old)s to %(new)s.")
                    % {"unit": figure.unit_code, "date": f"{figure.reference_date:%d.%m.%Y}",
                       "old": obj.value,
                       "new": figure.value},
                    figure.row,
                    figure.sheet,
                )
            )  # fmt: skip
        result.changes.append(
            Change(*figure.key, old=obj.value, new=figure.value, was_estimate=obj.is_estimate)
        )
        for name, value in values.items():
            setattr(obj, name, value)
        obj.source = result.source
        to_update.append(obj)
        result.updated += 1
    loaded_keys = {f.key for f in table.figures}
    to_delete = []
    for key, obj in existing.items():
        bands = loaded.get((obj.unit_code, obj.reference_date, obj.sex, obj.residence))
        if key in loaded_keys or obj.age_from is None or not bands:
            continue
        if any(_overlaps((obj.age_from, obj.age_to), band) for band in bands):
            to_delete.append(obj)
            result.changes.append(Change(*key, old=obj.value, new=None, was_estimate=obj.is_estimate))
    result.removed = len(to_delete)
    return to_create, to_update, to_delete
