"""A form as a workbook: download it, fill it in offline, upload it back.

The workbook has:
- the sheet "Въпроси": one row per question (section, question, answer, notes), the question's key
  in the hidden column A, the answer cells formatted for their type (date, number, text) and with
  drop-down lists for choices and yes/no;
- one sheet per table of the form, named after the table: a heading row of the column labels, one
  row per row of the table; the row's origin ("_ref", e.g. "service:12") in the hidden column A;
- the hidden, protected sheet "_socplan": the template's code and version, the sheets and their
  column keys as the workbook was made, and the lists of the drop-downs.

Reading a workbook back (`form_answers`) checks only its *shape*: that it is an XLSX of this
template and version, and that sheets, headings and rows were not renamed, moved, inserted or
merged. Every problem is reported at once, naming the sheet and the cell. The values are returned
as typed (numbers as decimal strings, Excel dates as ISO dates, text as text), to be checked by
`forms_engine.check` like the answers of the web form: nothing is checked twice. File questions
cannot be answered in a workbook; their keys are left out of the answers, so the caller keeps the
files already attached (as `forms_engine.from_post` does). A fully empty table row is dropped.

Readonly columns (prefilled from the register) are read as typed: the caller restores them from
the prefill by "_ref" if they must not change.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# The workbook format of the register's import (same size limit, same date format and the same
# way of comparing headings), so that both kinds of upload behave alike.
from socplan.plans.exports.common import clean
from socplan.plans.exports.xlsx import sheet_title
from socplan.social_services.exchange import DATE_FORMAT_XLSX, MAX_FILE_BYTES, cell_text, heading_key

from .forms_engine import MAX_ROWS, canonical, items, parse_date, parse_number

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
QUESTIONS_SHEET = "Въпроси"
META_SHEET = "_socplan"
FORMAT_VERSION = 1
KEY_HEADING = "_key"
REF_HEADING = "_ref"
# The headings of the questions sheet are part of the file format: fixed, in Bulgarian.
QUESTION_HEADINGS = ("Раздел", "Въпрос", "Отговор", "Указания")
ANSWER_COLUMN = 4  # D
YES_NO = ("да", "не")
# Headings are looked for in the first rows, so a title row added above them does no harm.
HEADING_SEARCH_ROWS = 10
# Columns read to the right of a table, to find data written outside it.
EXTRA_COLUMNS = 30
# A 20 MB XLSX may unpack to far more; a workbook of a form is a few hundred kB.
MAX_UNPACKED_BYTES = 200 * 1024 * 1024
# Excel keeps 15 significant digits: 0.1 + 0.2 is shown (and meant) as 0.3.
EXCEL_DIGITS = 15

NUMBER_FORMATS = {"integer": "#,##0", "number": "General", "date": DATE_FORMAT_XLSX}
TEXT_FORMAT = "@"  # typed text stays text: "001" is not turned into 1

HEADING_FILL = "D9D9D9"
ANSWER_FILL = "FFF2CC"
READONLY_FILL = "EDEDED"


class WorkbookError(ValidationError):
    """An uploaded workbook cannot be read as answers to the form; `errors` says why, one message per
    problem, each naming the sheet and the cell."""

    def __init__(self, errors: list[str]):
        self.errors = [str(error) for error in errors]
        super().__init__(self.errors, code="bad_workbook")

    def __str__(self) -> str:
        return " ".join(self.errors)


# --- The shape of the workbook --------------------------------------------------------------------


def sheet_names(schema: dict) -> dict[str, str]:
    """The sheet of each table (by key): its label made a valid, unique sheet name (31 characters,
    no []:*?/\\, not "Въпроси" or "_socplan", case-insensitively, as Excel compares them)."""
    taken = {QUESTIONS_SHEET.casefold(), META_SHEET.casefold(), "history"}  # Excel reserves "History"
    names: dict[str, str] = {}
    for _section, item in items(schema):
        if item["type"] != "table":
            continue
        base = sheet_title(clean(item["label"])).strip(" '") or item["key"]
        name, number = base, 2
        while name.casefold() in taken:
            suffix = f" ({number})"
            name = base[: 31 - len(suffix)].rstrip() + suffix
            number += 1
        taken.add(name.casefold())
        names[item["key"]] = name
    return names


def _questions(schema: dict) -> list[tuple[dict, dict]]:
    return [(section, item) for section, item in items(schema) if item["type"] != "table"]


def _tables(schema: dict) -> list[dict]:
    return [item for _section, item in items(schema) if item["type"] == "table"]


def _max_rows(item: dict) -> int:
    return min(int(item.get("max_rows", MAX_ROWS)), MAX_ROWS)


def _label(spec: dict) -> str:
    label = clean(spec["label"])
    return f"{label} *" if spec.get("required") else label


# --- Writing --------------------------------------------------------------------------------------


def form_workbook(template, answers: dict | None = None, *, title: str = "") -> bytes:
    """The workbook to fill the template offline, with `answers` (stored or prefilled) in its cells.

    `title` is shown above the questions (e.g. the respondent and the period)."""
    from openpyxl import Workbook
    from openpyxl.workbook.protection import WorkbookProtection

    schema = template.schema
    answers = answers or {}
    names = sheet_names(schema)
    workbook = Workbook()
    lists = _Lists()
    questions = workbook.active
    questions.title = QUESTIONS_SHEET
    _write_questions(questions, schema, answers, lists, heading=clean(template.name), title=clean(title))
    for item in _tables(schema):
        _write_table(workbook.create_sheet(names[item["key"]]), item, answers.get(item["key"]), lists)
    meta = workbook.create_sheet(META_SHEET)
    _write_meta(meta, template, schema, names, lists, title=clean(title))
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    # Sheets cannot be renamed, deleted or unhidden by accident; nothing here is a secret, so no password.
    workbook.security = WorkbookProtection(lockStructure=True)
    workbook.active = 0
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _Lists:
    """The choices of the drop-down lists, one list a row from the top of the sheet "_socplan" (an
    inline list may not hold commas and is cut at 255 characters)."""

    def __init__(self):
        self.rows: list[list[str]] = []

    def reference(self, choices: list) -> str:
        from openpyxl.utils import get_column_letter

        texts = [clean(str(choice)) for choice in choices if str(choice).strip()]
        if texts not in self.rows:
            self.rows.append(texts)
        row = self.rows.index(texts) + 1
        return f"'{META_SHEET}'!$C${row}:${get_column_letter(2 + max(len(texts), 1))}${row}"


def _validation(spec: dict, lists: _Lists):
    """The data validation of an answer cell (None when its type has none)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    kind = spec["type"]
    if kind == "yesno":
        return DataValidation(type="list", formula1=f'"{",".join(YES_NO)}"', allow_blank=True)
    if kind == "choice":
        validation = DataValidation(
            type="list",
            formula1=lists.reference(spec.get("choices", [])),
            allow_blank=True,
            showErrorMessage=True,
            errorStyle="warning",
        )
        validation.error = _("Choose a value from the list.")
        return validation
    if kind in ("integer", "number"):
        low, high = spec.get("min"), spec.get("max")
        if kind == "number" and low in (None, "") and high in (None, ""):
            return None
        validation = DataValidation(
            type="whole" if kind == "integer" else "decimal",
            operator="between",
            formula1=str(low if low not in (None, "") else -(10**15)),
            formula2=str(high if high not in (None, "") else 10**15),
            allow_blank=True,
            showErrorMessage=True,
        )
        # Excel refuses a message longer than 255 characters: the hint without the form's help.
        validation.error = _hint(spec, with_help=False)[:255]
        return validation
    return None


def _hint(spec: dict, *, with_help: bool = True) -> str:
    """How to fill an answer, for the notes column and the headings' comments."""
    kind = spec["type"]
    parts = {
        "integer": _("A whole number."),
        "number": _("A number."),
        "date": _("A date (dd.mm.yyyy)."),
        "choice": _("Choose from the list."),
        "yesno": _("да or не."),
        "file": _("Attach the file in the web form: it cannot be given in the workbook."),
    }
    hint = [parts[kind]] if kind in parts else []
    low, high = spec.get("min"), spec.get("max")
    if low not in (None, "") and high not in (None, ""):
        hint.append(_("From %(min)s to %(max)s.") % {"min": low, "max": high})
    elif low not in (None, ""):
        hint.append(_("At least %(min)s.") % {"min": low})
    elif high not in (None, ""):
        hint.append(_("At most %(max)s.") % {"max": high})
    if spec.get("readonly"):
        hint.append(_("Filled in by socplan."))
    if with_help and spec.get("help"):
        hint.append(clean(spec["help"]))
    return " ".join(hint)


def _cell_value(spec: dict, value):
    """An answer as a cell holds it: numbers and dates typed, a wrong draft value kept as text."""
    if value is None or value == "" or value == [] or spec["type"] == "file":
        return None
    kind = spec["type"]
    try:
        if kind in ("integer", "number"):
            number = parse_number(value)
            return None if number is None else Decimal(canonical(number))
        if kind == "date":
            return parse_date(value)
    except ValueError:
        return clean(str(value))
    if kind == "yesno" and isinstance(value, bool):
        return YES_NO[0] if value else YES_NO[1]
    return clean(str(value))


def _put(
    sheet,
    row: int,
    column: int,
    value,
    *,
    number_format: str | None = None,
    fill: str | None = None,
    bold=False,
):
    from openpyxl.styles import Alignment, Font, PatternFill

    cell = sheet.cell(row=row, column=column, value=value if value != "" else None)
    if isinstance(value, str) and value:
        cell.data_type = "s"  # an answer that starts with "=" is text, not a formula
    if number_format:
        cell.number_format = number_format
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    if bold:
        cell.font = Font(bold=True)
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _write_questions(sheet, schema: dict, answers: dict, lists: _Lists, *, heading: str, title: str) -> None:
    from openpyxl.styles import Font

    _put(sheet, 1, 2, heading).font = Font(bold=True, size=13)
    if title:
        _put(sheet, 2, 2, title, bold=True)
    _put(
        sheet,
        3,
        2,
        _(
            "Fill in the column “Answer”. Do not rename the sheets, and do not move, insert or delete "
            "columns."
        ),
    )
    header = 4
    for column, text in enumerate((KEY_HEADING, *QUESTION_HEADINGS), start=1):
        _put(sheet, header, column, text, fill=HEADING_FILL, bold=True)
    for row, (section, item) in enumerate(_questions(schema), start=header + 1):
        kind = item["type"]
        _put(sheet, row, 1, item["key"])
        _put(sheet, row, 2, clean(section.get("title", "")))
        _put(sheet, row, 3, _label(item))
        fill = READONLY_FILL if item.get("readonly") or kind == "file" else ANSWER_FILL
        value = _cell_value(item, answers.get(item["key"]))
        _put(sheet, row, ANSWER_COLUMN, value, number_format=NUMBER_FORMATS.get(kind, TEXT_FORMAT), fill=fill)
        _put(sheet, row, 5, _hint(item))
        validation = _validation(item, lists)
        if validation is not None:
            validation.add(sheet.cell(row=row, column=ANSWER_COLUMN).coordinate)
            sheet.add_data_validation(validation)
    for letter, width in (("B", 26), ("C", 60), ("D", 30), ("E", 50)):
        sheet.column_dimensions[letter].width = width
    sheet.column_dimensions["A"].hidden = True
    sheet.freeze_panes = f"A{header + 1}"


def _write_table(sheet, item: dict, rows, lists: _Lists) -> None:
    from openpyxl.comments import Comment
    from openpyxl.utils import get_column_letter

    columns = item["columns"]
    rows = [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []
    last_row = _max_rows(item) + 1
    _put(sheet, 1, 1, REF_HEADING, fill=HEADING_FILL, bold=True)
    for index, column in enumerate(columns, start=2):
        letter = get_column_letter(index)
        cell = _put(sheet, 1, index, _label(column), fill=HEADING_FILL, bold=True)
        if hint := _hint(column):
            cell.comment = Comment(hint, "socplan", width=300, height=120)
        kind = column["type"]
        dimension = sheet.column_dimensions[letter]
        dimension.width = {"date": 13, "integer": 14, "number": 14, "yesno": 10}.get(kind, 30)
        # The column's own format, so that rows typed below the prefilled ones get it as well.
        dimension.number_format = NUMBER_FORMATS.get(kind, TEXT_FORMAT)
        validation = _validation(column, lists)
        if validation is not None:
            validation.add(f"{letter}2:{letter}{last_row}")
            sheet.add_data_validation(validation)
    for number, row in enumerate(rows, start=2):
        if row.get("_ref"):
            _put(sheet, number, 1, clean(str(row["_ref"])))
        for index, column in enumerate(columns, start=2):
            _put(
                sheet,
                number,
                index,
                _cell_value(column, row.get(column["key"])),
                number_format=NUMBER_FORMATS.get(column["type"], TEXT_FORMAT),
                fill=READONLY_FILL if column.get("readonly") else None,
            )
    sheet.column_dimensions["A"].hidden = True
    sheet.freeze_panes = "B2"


def _write_meta(meta, template, schema: dict, names: dict[str, str], lists: _Lists, *, title: str) -> None:
    """The lists of the drop-downs (rows 1…), then what the workbook was made for, a tag a row."""
    rows: list[list] = [["list", index, *choices] for index, choices in enumerate(lists.rows)]
    rows += [
        ["socplan-form", FORMAT_VERSION],
        ["template", template.code],
        ["version", template.version],
        ["name", clean(template.name)],
        ["title", title],
        ["sheet", QUESTIONS_SHEET, "", KEY_HEADING, *QUESTION_HEADINGS],
    ]
    rows += [["question", item["key"]] for _section, item in _questions(schema)]
    for item in _tables(schema):
        rows.append(
            ["sheet", names[item["key"]], item["key"], REF_HEADING, *(c["key"] for c in item["columns"])]
        )
    for number, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            if value != "":
                cell = meta.cell(row=number, column=column, value=value)
                cell.data_type = "s" if isinstance(value, str) else cell.data_type


# --- Reading --------------------------------------------------------------------------------------


def form_answers(template, data: bytes) -> dict:
    """The raw answers (as `forms_engine.check` takes them) of a workbook made by `form_workbook`.

    Raises WorkbookError listing every problem of the workbook's shape (see the module's docstring).
    """
    workbook = _open(data)
    try:
        schema = template.schema
        names = sheet_names(schema)
        _check_identity(workbook, template, schema, names)
        errors: list[str] = []
        present = {name for name in workbook.sheetnames}
        expected = [QUESTIONS_SHEET, *names.values()]
        missing = [name for name in expected if name not in present]
        if missing:
            extra = [name for name in workbook.sheetnames if name not in expected and name != META_SHEET]
            if len(missing) == 1 and len(extra) == 1:
                raise WorkbookError(
                    [
                        _(
                            "The sheet “%(sheet)s” was renamed to “%(found)s”: give it back its name, "
                            "sheets must keep their names."
                        )
                        % {"sheet": missing[0], "found": extra[0]}
                    ]
                )
            for name in missing:
                errors.append(
                    _(
                        "The sheet “%(sheet)s” is missing (was it renamed or deleted?): sheets must keep "
                        "their names."
                    )
                    % {"sheet": name}
                )
            if extra:
                errors.append(
                    _("Sheets not in the form: %(sheets)s.") % {"sheets": ", ".join(f"“{n}”" for n in extra)}
                )
            raise WorkbookError(errors)
        answers = _read_questions(workbook[QUESTIONS_SHEET], schema, errors)
        for item in _tables(schema):
            answers[item["key"]] = _read_table(workbook[names[item["key"]]], item, errors)
        if errors:
            raise WorkbookError(errors)
        return answers
    finally:
        workbook.close()


def _open(data: bytes):
    """The workbook, read-only; a file that is empty, too big, not an XLSX or broken is refused."""
    from openpyxl import load_workbook

    if not data:
        raise WorkbookError([_("The file is empty.")])
    if len(data) > MAX_FILE_BYTES:
        raise WorkbookError(
            [_("The file is larger than %(size)d MB.") % {"size": MAX_FILE_BYTES // (1024 * 1024)}]
        )
    if data[:4] == b"\xd0\xcf\x11\xe0":
        raise WorkbookError([_("Old Excel files (.xls) cannot be read: save the file as XLSX.")])
    not_xlsx = _("The file is not an XLSX workbook: upload the workbook downloaded for this form.")
    if data[:4] != b"PK\x03\x04":
        raise WorkbookError([not_xlsx])
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise WorkbookError([not_xlsx]) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise WorkbookError([_("The workbook is too large to be read.")])
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — openpyxl raises many kinds of errors for a broken file
        raise WorkbookError([_("The file is not a valid XLSX workbook: save it again from Excel.")]) from None


def _check_identity(workbook, template, schema: dict, names: dict[str, str]) -> None:
    """The workbook was made for this template and version, and the template has not changed since."""
    if META_SHEET not in workbook.sheetnames:
        raise WorkbookError(
            [
                _(
                    "This workbook was not made by socplan for a form (its sheet “%(sheet)s” is missing): "
                    "download the form’s workbook and fill it in."
                )
                % {"sheet": META_SHEET}
            ]
        )
    meta: dict[str, list] = {}
    sheets: list[list[str]] = []
    questions: list[str] = []
    for values in workbook[META_SHEET].iter_rows(max_col=200, values_only=True):
        texts = [cell_text(value) for value in values]
        while texts and not texts[-1]:
            texts.pop()
        if not texts:
            continue
        if texts[0] == "sheet":
            sheets.append(texts[1:])
        elif texts[0] == "question":
            questions.append(texts[1] if len(texts) > 1 else "")
        else:
            meta.setdefault(texts[0], texts[1:])
    code = (meta.get("template") or [""])[0]
    version = (meta.get("version") or [""])[0]
    if not meta.get("socplan-form") or code != template.code:
        other = (meta.get("name") or [""])[0] or code or "?"
        raise WorkbookError(
            [
                _(
                    "This workbook is for another form (“%(other)s”), not for “%(name)s”: download the "
                    "workbook of this form."
                )
                % {"other": other, "name": template.name}
            ]
        )
    if version != str(template.version):
        raise WorkbookError(
            [
                _(
                    "This workbook is for version %(found)s of the form “%(name)s”, but version "
                    "%(version)s is to be filled: download the workbook again and copy your answers into "
                    "it."
                )
                % {"found": version or "?", "version": template.version, "name": template.name}
            ]
        )
    expected_sheets = [[QUESTIONS_SHEET, "", KEY_HEADING, *QUESTION_HEADINGS]] + [
        [names[item["key"]], item["key"], REF_HEADING, *(c["key"] for c in item["columns"])]
        for item in _tables(schema)
    ]
    expected_questions = [item["key"] for _section, item in _questions(schema)]
    if sheets != expected_sheets or questions != expected_questions:
        raise WorkbookError(
            [
                _(
                    "The form “%(name)s” was changed after this workbook was downloaded: download the "
                    "workbook again and copy your answers into it."
                )
                % {"name": template.name}
            ]
        )


def _rows(sheet, width: int):
    """(row number, cells) of a sheet, every row `width` cells wide."""
    # The dimension a file declares may be wrong (other programs write it as they like): read all rows.
    sheet.reset_dimensions()
    yield from enumerate(sheet.iter_rows(min_row=1, max_col=width), start=1)


def _find_heading(rows, marker: str):
    """The heading row (number, cells): the one whose first, hidden cell holds the marker."""
    for number, cells in rows:
        if cell_text(cells[0].value) == marker:
            return number, cells
        if number >= HEADING_SEARCH_ROWS:
            break
    return None, None


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _heading_errors(sheet: str, row: int, cells, expected: list[str]) -> list[str]:
    """Messages for headings that differ from the form's: columns moved, inserted, deleted or renamed."""
    found = [cell_text(cell.value) for cell in cells]
    keys = [heading_key(text) for text in found]
    wanted = [heading_key(text) for text in expected]
    used = max([i + 1 for i, key in enumerate(keys) if key] + [len(wanted)])
    if keys[: len(wanted)] == wanted and not any(keys[len(wanted) :]):
        return []
    where = {"sheet": sheet}
    remaining = list(keys)
    missing = []
    for index, key in enumerate(wanted):
        if key in remaining:
            remaining[remaining.index(key)] = None
        else:
            missing.append(index)
    extra = [i for i, key in enumerate(remaining) if key]
    errors = []
    if len(missing) == 1 and extra == missing:
        index = missing[0]
        return [
            _(
                "Sheet “%(sheet)s”, cell %(cell)s: the heading “%(found)s” should read “%(column)s”: "
                "columns must not be renamed."
            )
            % {**where, "cell": f"{_letter(index)}{row}", "found": found[index], "column": expected[index]}
        ]
    for index in missing:
        errors.append(
            _(
                "Sheet “%(sheet)s”: the column “%(column)s” (cell %(cell)s) is missing: columns must not "
                "be deleted or renamed."
            )
            % {**where, "column": expected[index], "cell": f"{_letter(index)}{row}"}
        )
    for index in extra:
        errors.append(
            _(
                "Sheet “%(sheet)s”, cell %(cell)s: the column “%(found)s” is not in the form: columns must "
                "not be inserted or renamed."
            )
            % {**where, "cell": f"{_letter(index)}{row}", "found": found[index]}
        )
    blank = [i for i in range(used) if not keys[i]]
    if not errors and blank:
        return [
            _(
                "Sheet “%(sheet)s”, cell %(cell)s: a column without a heading was inserted: columns must "
                "not be inserted."
            )
            % {**where, "cell": f"{_letter(index)}{row}"}
            for index in blank
        ]
    if not errors:
        for index in range(min(used, len(wanted))):
            if keys[index] != wanted[index]:
                at = keys.index(wanted[index])
                errors.append(
                    _(
                        "Sheet “%(sheet)s”: the column “%(column)s” is in cell %(found)s instead of "
                        "%(cell)s: columns must not be moved."
                    )
                    % {
                        **where,
                        "column": expected[index],
                        "found": f"{_letter(at)}{row}",
                        "cell": f"{_letter(index)}{row}",
                    }
                )
    return errors


def _merged_errors(sheet, name: str, first_row: int, width: int) -> list[str]:
    """Messages for merged cells at or below the heading, within the form's columns."""
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse

    errors = []
    tag = f"{{{SHEET_MAIN_NS}}}mergeCell"
    # A read-only worksheet does not parse its merged cells: read them from the sheet's XML.
    with sheet._get_source() as source:
        for _event, element in iterparse(source):
            if element.tag == tag:
                ref = element.get("ref", "")
                min_col, _min_row, _max_col, max_row = range_boundaries(ref)
                if max_row >= first_row and min_col <= width:
                    errors.append(
                        _(
                            "Sheet “%(sheet)s”, cells %(cells)s are merged: unmerge them (a merged cell "
                            "cannot hold an answer)."
                        )
                        % {"sheet": name, "cells": ref}
                    )
            element.clear()
    return errors


def _read_questions(sheet, schema: dict, errors: list[str]) -> dict:
    specs = {item["key"]: item for _section, item in _questions(schema)}
    width = 1 + len(QUESTION_HEADINGS)
    rows = _rows(sheet, width)
    heading, cells = _find_heading(rows, KEY_HEADING)
    if heading is None:
        errors.append(
            _(
                "Sheet “%(sheet)s”: the heading row (“%(headings)s”) was not found in the first %(n)s "
                "rows: was the first, hidden column deleted?"
            )
            % {"sheet": QUESTIONS_SHEET, "headings": "”, “".join(QUESTION_HEADINGS), "n": HEADING_SEARCH_ROWS}
        )
        return {}
    found = _heading_errors(QUESTIONS_SHEET, heading, cells, [KEY_HEADING, *QUESTION_HEADINGS])
    errors.extend(found + _merged_errors(sheet, QUESTIONS_SHEET, heading, width))
    if found:
        return {}
    answers: dict = {}
    seen: dict[str, int] = {}
    where = {"sheet": QUESTIONS_SHEET}
    for number, cells in rows:
        key = cell_text(cells[0].value)
        answer = cells[ANSWER_COLUMN - 1]
        if not key:
            if answer.value not in (None, ""):
                errors.append(
                    _(
                        "Sheet “%(sheet)s”, cell %(cell)s: this answer is on a row that is not a question "
                        "of the form: rows must not be inserted."
                    )
                    % {**where, "cell": f"D{number}"}
                )
            continue
        item = specs.get(key)
        if item is None:
            errors.append(
                _("Sheet “%(sheet)s”, cell A%(row)s: “%(key)s” is not a question of this form.")
                % {**where, "row": number, "key": key}
            )
            continue
        if key in seen:
            errors.append(
                _(
                    "Sheet “%(sheet)s”, row %(row)s repeats the question of row %(first)s: rows must not "
                    "be copied."
                )
                % {**where, "row": number, "first": seen[key]}
            )
            continue
        seen[key] = number
        if heading_key(cell_text(cells[2].value)) != heading_key(clean(item["label"])):
            errors.append(
                _(
                    "Sheet “%(sheet)s”, cell C%(row)s: the question here should be “%(label)s”: rows must "
                    "not be sorted, moved or edited."
                )
                % {**where, "row": number, "label": clean(item["label"])}
            )
            continue
        if item["type"] != "file":
            answers[key] = _raw(item, answer)
    for key, item in specs.items():
        if key not in seen:
            errors.append(
                _("Sheet “%(sheet)s”: the question “%(label)s” is missing: rows must not be deleted.")
                % {**where, "label": clean(item["label"])}
            )
    return answers


def _read_table(sheet, item: dict, errors: list[str]) -> list[dict]:
    name = sheet.title
    columns = item["columns"]
    width = 1 + len(columns)
    limit = _max_rows(item)
    rows = _rows(sheet, width + EXTRA_COLUMNS)
    heading, cells = _find_heading(rows, REF_HEADING)
    if heading is None:
        errors.append(
            _(
                "Sheet “%(sheet)s”: the heading row was not found in the first %(n)s rows: was the first, "
                "hidden column deleted?"
            )
            % {"sheet": name, "n": HEADING_SEARCH_ROWS}
        )
        return []
    found = _heading_errors(name, heading, cells, [REF_HEADING, *(_label(c) for c in columns)])
    errors.extend(found + _merged_errors(sheet, name, heading, width))
    if found:
        return []
    result: list[dict] = []
    for number, cells in rows:
        outside = next((i for i in range(width, len(cells)) if cells[i].value not in (None, "")), None)
        if outside is not None:
            errors.append(
                _("Sheet “%(sheet)s”, cell %(cell)s is outside the table: write only in the form’s columns.")
                % {"sheet": name, "cell": f"{_letter(outside)}{number}"}
            )
        ref = cell_text(cells[0].value)
        values = {
            column["key"]: _raw(column, cell) for column, cell in zip(columns, cells[1:width], strict=True)
        }
        if not ref and all(
            value in (None, "") or (isinstance(value, str) and not value.strip()) for value in values.values()
        ):
            continue
        if len(result) >= limit:
            errors.append(
                _("Sheet “%(sheet)s”, row %(row)s: the table holds at most %(max)s rows.")
                % {"sheet": name, "row": number, "max": limit}
            )
            break
        result.append({"_ref": ref, **values} if ref else values)
    return result


def _raw(spec: dict, cell):
    """A cell's value as typed, in the form `forms_engine.check` reads: text as it is; numbers as
    decimal strings (a cell shown as a percentage as the number of per cent, as the web form takes
    "12 %"); Excel dates as ISO dates for a date question, dd.mm.yyyy for text. A value of the wrong
    kind (a number in a date cell, a date in a number cell) stays such that check() reports it."""
    value = cell.value
    kind = spec["type"]
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, datetime.datetime):
        value = value.date() if value.time() == datetime.time() or kind == "date" else value
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value.isoformat() if kind in ("date", "integer", "number") else f"{value:%d.%m.%Y}"
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(value) if isinstance(value, int) else Decimal(format(value, f".{EXCEL_DIGITS}g"))
        if "%" in (getattr(cell, "number_format", "") or ""):
            number *= 100
        return canonical(number)
    return str(value)
