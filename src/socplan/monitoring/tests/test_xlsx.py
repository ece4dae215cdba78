"""A form as a workbook: made, filled in as a person would (openpyxl standing in for Excel), read back.

The template is not saved: making and reading a workbook needs no database. The messages are
checked for the sheet and cell they name, not for their wording (the catalogue may not have them).
"""

import datetime
import io
import json
import pathlib
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from socplan.monitoring import forms_engine
from socplan.monitoring.models import FormTemplate
from socplan.monitoring.xlsx import (
    META_SHEET,
    QUESTIONS_SHEET,
    WorkbookError,
    form_answers,
    form_workbook,
    sheet_names,
)

FORMS = pathlib.Path(__file__).resolve().parents[1] / "data" / "forms"

SCHEMA = {
    "sections": [
        {
            "key": "general",
            "title": "I. Обща информация",
            "items": [
                {
                    "key": "municipality",
                    "type": "text",
                    "label": "Община",
                    "required": True,
                    "readonly": True,
                },
                {"key": "staff", "type": "integer", "label": "Брой служители", "min": 0, "max": 500},
                {"key": "budget", "type": "number", "label": "Бюджет"},
                {"key": "as_of", "type": "date", "label": "Данните са към дата"},
                {"key": "unit", "type": "choice", "label": "Звено", "choices": ["Дирекция", "Отдел, сектор"]},
                {"key": "adopted", "type": "yesno", "label": "Приет от общинския съвет"},
                {"key": "decision", "type": "file", "label": "Решение (сканирано копие)"},
                {"key": "code", "type": "text", "label": "Код по ЕБК"},
                {"key": "notes", "type": "longtext", "label": "Бележки"},
            ],
        },
        {
            "key": "services",
            "title": "II. Услуги",
            "items": [
                {
                    "key": "services",
                    "type": "table",
                    "label": "Социални услуги към края на периода",
                    "max_rows": 3,
                    "columns": [
                        {
                            "key": "name",
                            "type": "text",
                            "label": "Наименование",
                            "required": True,
                            "readonly": True,
                        },
                        {"key": "capacity", "type": "integer", "label": "Капацитет", "min": 0},
                        {"key": "users", "type": "integer", "label": "Потребители", "min": 0},
                        {"key": "opened_on", "type": "date", "label": "Открита на"},
                        {
                            "key": "financing",
                            "type": "choice",
                            "label": "Финансиране",
                            "choices": ["Държавно", "Общинско"],
                        },
                        {"key": "on_map", "type": "yesno", "label": "В Националната карта"},
                    ],
                },
                {
                    "key": "projects",
                    "type": "table",
                    "label": "Проекти",
                    "columns": [
                        {"key": "project", "type": "text", "label": "Проект"},
                        {"key": "amount", "type": "number", "label": "Стойност"},
                    ],
                },
            ],
        },
    ]
}

ANSWERS = {
    "municipality": "Велико Търново",
    "staff": "12",
    "budget": "10267.5",
    "as_of": "2024-12-31",
    "unit": "Отдел, сектор",
    "adopted": True,
    "code": "=001",
    "notes": "Първи ред\nВтори ред",
    "services": [
        {
            "_ref": "service:12",
            "name": "Център за обществена подкрепа",
            "capacity": "20",
            "users": "18",
            "opened_on": "2015-01-01",
            "financing": "Държавно",
            "on_map": False,
        },
        {
            "name": "Дневен център",
            "capacity": "15",
            "users": None,
            "opened_on": None,
            "financing": None,
            "on_map": None,
        },
    ],
    "projects": [],
}

SERVICES = "Социални услуги към края на пер"


def template(schema=SCHEMA, *, code="municipal_card", version=1) -> FormTemplate:
    return FormTemplate(code=code, version=version, name="Карта на общината", schema=schema)


def stored(answers=ANSWERS) -> dict:
    """The answers as a draft keeps them (what the workbook is made from)."""
    return forms_engine.check(SCHEMA, answers, for_submit=False).answers


def edit(data: bytes, change) -> bytes:
    """The workbook after `change(workbook)`, saved as Excel would."""
    workbook = load_workbook(io.BytesIO(data))
    change(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def errors_of(data: bytes, form=None) -> list[str]:
    with pytest.raises(WorkbookError) as caught:
        form_answers(form or template(), data)
    assert caught.value.errors
    return caught.value.errors


@pytest.fixture
def workbook_bytes():
    return form_workbook(template(), stored(), title="Община Велико Търново — 2024")


# --- Round trip -----------------------------------------------------------------------------------


def test_workbook_read_back_gives_the_answers_put_in(workbook_bytes):
    raw = form_answers(template(), workbook_bytes)

    assert forms_engine.check(SCHEMA, raw, for_submit=False).answers == stored()
    assert raw["services"][0]["_ref"] == "service:12"
    assert "_ref" not in raw["services"][1]
    assert raw["budget"] == "10267.5" and raw["as_of"] == "2024-12-31"
    assert raw["code"] == "=001"  # text that looks like a formula stays text
    assert raw["projects"] == []


def test_file_questions_are_left_out_so_attached_files_are_kept(workbook_bytes):
    assert "decision" not in form_answers(template(), workbook_bytes)


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.json")), ids=lambda p: p.stem)
def test_every_shipped_form_makes_a_workbook_that_reads_back_empty(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    form = FormTemplate(code=data["code"], version=data["version"], name=data["name"], schema=data["schema"])

    raw = form_answers(form, form_workbook(form))

    checked = forms_engine.check(form.schema, raw, for_submit=False)
    assert checked.ok
    assert all(value in (None, []) for value in checked.answers.values())


def test_workbook_has_the_sheets_formats_and_drop_downs(workbook_bytes):
    workbook = load_workbook(io.BytesIO(workbook_bytes))

    assert workbook.sheetnames == [QUESTIONS_SHEET, SERVICES, "Проекти", META_SHEET]
    meta = workbook[META_SHEET]
    assert meta.sheet_state == "hidden" and meta.protection.sheet
    questions = workbook[QUESTIONS_SHEET]
    assert questions.column_dimensions["A"].hidden
    by_key = {row[0].value: row for row in questions.iter_rows(min_row=5)}
    assert by_key["as_of"][3].value == datetime.datetime(2024, 12, 31)
    assert by_key["as_of"][3].number_format == "DD.MM.YYYY"
    assert by_key["staff"][3].value == 12
    assert by_key["adopted"][3].value == "да"
    lists = {str(v.sqref): v for v in questions.data_validations.dataValidation}
    assert lists[by_key["adopted"][3].coordinate].formula1 == '"да,не"'
    # A choice with a comma is listed from the hidden sheet, not inline.
    choice = lists[by_key["unit"][3].coordinate]
    assert choice.type == "list" and META_SHEET in choice.formula1
    services = workbook[SERVICES]
    assert services["A1"].value == "_ref" and services["A2"].value == "service:12"
    assert services.column_dimensions["A"].hidden
    assert services["C2"].value == 20 and services["E2"].value == datetime.datetime(2015, 1, 1)


def test_values_typed_in_excel_come_back_as_check_reads_them(workbook_bytes):
    def fill(workbook):
        questions = workbook[QUESTIONS_SHEET]
        rows = {row[0].value: row[0].row for row in questions.iter_rows(min_row=5)}
        questions.cell(rows["budget"], 4).value = 0.1 + 0.2
        questions.cell(rows["as_of"], 4).value = datetime.datetime(2025, 6, 30)
        questions.cell(rows["code"], 4).value = 1234
        staff = questions.cell(rows["staff"], 4)
        staff.value, staff.number_format = 0.12, "0%"  # "12%" typed in Excel
        services = workbook[SERVICES]
        services.append([None, "Нова услуга", 10, 8, datetime.datetime(2024, 3, 1), "Общинско", "да"])

    raw = form_answers(template(), edit(workbook_bytes, fill))

    assert raw["budget"] == "0.3"
    assert raw["as_of"] == "2025-06-30"
    assert raw["code"] == "1234"
    assert raw["staff"] == "12"
    assert raw["services"][2] == {
        "name": "Нова услуга",
        "capacity": "10",
        "users": "8",
        "opened_on": "2024-03-01",
        "financing": "Общинско",
        "on_map": "да",
    }


def test_a_value_of_the_wrong_kind_is_left_for_check_to_report(workbook_bytes):
    def fill(workbook):
        questions = workbook[QUESTIONS_SHEET]
        rows = {row[0].value: row[0].row for row in questions.iter_rows(min_row=5)}
        as_of = questions.cell(rows["as_of"], 4)
        as_of.value, as_of.number_format = 2024, "General"
        questions.cell(rows["staff"], 4).value = datetime.datetime(2024, 1, 1)

    raw = form_answers(template(), edit(workbook_bytes, fill))

    reported = {error.item for error in forms_engine.check(SCHEMA, raw, for_submit=False).errors}
    assert {"as_of", "staff"} <= reported


# --- Bad workbooks --------------------------------------------------------------------------------


def test_a_renamed_sheet_is_named(workbook_bytes):
    data = edit(workbook_bytes, lambda wb: setattr(wb[SERVICES], "title", "Моите услуги"))

    errors = errors_of(data)

    assert len(errors) == 1 and SERVICES in errors[0] and "Моите услуги" in errors[0]


def test_a_deleted_questions_sheet_is_named(workbook_bytes):
    errors = errors_of(edit(workbook_bytes, lambda wb: wb.remove(wb[QUESTIONS_SHEET])))

    assert any(QUESTIONS_SHEET in error for error in errors)


def test_moved_columns_are_named_with_their_cells(workbook_bytes):
    def swap(workbook):
        sheet = workbook[SERVICES]
        for row in range(1, 4):
            sheet.cell(row, 3).value, sheet.cell(row, 4).value = (
                sheet.cell(row, 4).value,
                sheet.cell(row, 3).value,
            )

    errors = errors_of(edit(workbook_bytes, swap))

    assert len(errors) == 2
    assert all(SERVICES in error for error in errors)
    assert any("Капацитет" in error and "D1" in error and "C1" in error for error in errors)


def test_a_deleted_column_is_named(workbook_bytes):
    errors = errors_of(edit(workbook_bytes, lambda wb: wb[SERVICES].delete_cols(3)))

    assert len(errors) == 1
    assert SERVICES in errors[0] and "Капацитет" in errors[0] and "C1" in errors[0]


def test_an_inserted_column_is_named(workbook_bytes):
    def insert(workbook):
        sheet = workbook[SERVICES]
        sheet.insert_cols(3)
        sheet["C1"] = "Адрес"

    errors = errors_of(edit(workbook_bytes, insert))

    assert len(errors) == 1
    assert SERVICES in errors[0] and "Адрес" in errors[0] and "C1" in errors[0]


def test_an_inserted_column_without_heading_is_named(workbook_bytes):
    errors = errors_of(edit(workbook_bytes, lambda wb: wb[SERVICES].insert_cols(3)))

    assert errors and all(SERVICES in e and "C1" in e for e in errors)


def test_a_renamed_heading_is_named(workbook_bytes):
    errors = errors_of(edit(workbook_bytes, lambda wb: wb[SERVICES].cell(1, 3, "Места")))

    assert len(errors) == 1
    assert "C1" in errors[0] and "Места" in errors[0] and "Капацитет" in errors[0]


def test_a_moved_column_of_the_questions_sheet_is_named(workbook_bytes):
    def swap(workbook):
        sheet = workbook[QUESTIONS_SHEET]
        for row in range(4, sheet.max_row + 1):
            sheet.cell(row, 4).value, sheet.cell(row, 5).value = (
                sheet.cell(row, 5).value,
                sheet.cell(row, 4).value,
            )

    errors = errors_of(edit(workbook_bytes, swap))

    assert any(QUESTIONS_SHEET in error and "D4" in error for error in errors)


@pytest.mark.parametrize(
    ("sheet", "cells"),
    [(SERVICES, "C2:D2"), (QUESTIONS_SHEET, "D6:D7")],
)
def test_merged_cells_in_the_answers_are_named(workbook_bytes, sheet, cells):
    errors = errors_of(edit(workbook_bytes, lambda wb: wb[sheet].merge_cells(cells)))

    assert any(sheet in error and cells in error for error in errors)


def test_merged_cells_in_the_title_above_the_questions_are_allowed(workbook_bytes):
    form_answers(template(), edit(workbook_bytes, lambda wb: wb[QUESTIONS_SHEET].merge_cells("B1:E1")))


def test_more_rows_than_the_table_allows_are_refused(workbook_bytes):
    def add(workbook):
        sheet = workbook[SERVICES]
        sheet.append([None, "Трета", 1])
        sheet.append([None, "Четвърта", 1])

    errors = errors_of(edit(workbook_bytes, add))

    assert len(errors) == 1 and SERVICES in errors[0] and "5" in errors[0] and "3" in errors[0]


def test_data_outside_the_table_is_named(workbook_bytes):
    errors = errors_of(edit(workbook_bytes, lambda wb: wb[SERVICES].cell(2, 9, "бележка")))

    assert any(SERVICES in error and "I2" in error for error in errors)


def test_an_answer_on_an_added_row_of_the_questions_sheet_is_named(workbook_bytes):
    def add(workbook):
        sheet = workbook[QUESTIONS_SHEET]
        assert sheet.max_row == 13  # the heading in row 4, nine questions below
        sheet.cell(14, 4, "още нещо")

    errors = errors_of(edit(workbook_bytes, add))

    assert any(QUESTIONS_SHEET in error and "D14" in error for error in errors)


def test_a_deleted_question_row_is_named(workbook_bytes):
    errors = errors_of(edit(workbook_bytes, lambda wb: wb[QUESTIONS_SHEET].delete_rows(6)))

    assert any(QUESTIONS_SHEET in error and "Брой служители" in error for error in errors)


def test_questions_sorted_apart_from_their_keys_are_refused(workbook_bytes):
    def shuffle(workbook):
        sheet = workbook[QUESTIONS_SHEET]
        sheet["C5"], sheet["C6"] = sheet["C6"].value, sheet["C5"].value

    errors = errors_of(edit(workbook_bytes, shuffle))

    assert any(QUESTIONS_SHEET in error and "C5" in error for error in errors)


def test_a_workbook_of_another_template_is_refused(workbook_bytes):
    other = FormTemplate(code="dsp_information", version=1, name="Информация от ДСП", schema=SCHEMA)

    errors = errors_of(workbook_bytes, other)

    assert len(errors) == 1 and "Карта на общината" in errors[0] and "Информация от ДСП" in errors[0]


def test_a_workbook_of_another_version_is_refused(workbook_bytes):
    errors = errors_of(workbook_bytes, template(version=2))

    assert len(errors) == 1 and "1" in errors[0] and "2" in errors[0]


def test_a_workbook_made_before_the_template_changed_is_refused(workbook_bytes):
    changed = json.loads(json.dumps(SCHEMA))
    changed["sections"][1]["items"][1]["columns"].append(
        {"key": "years", "type": "integer", "label": "Години"}
    )

    errors_of(workbook_bytes, template(changed))


def test_a_workbook_not_made_by_socplan_is_refused():
    workbook = Workbook()
    workbook.active.title = QUESTIONS_SHEET
    buffer = io.BytesIO()
    workbook.save(buffer)

    errors = errors_of(buffer.getvalue())

    assert len(errors) == 1 and META_SHEET in errors[0]


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Name;Value\nstaff;12\n",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100,
        b"PK\x03\x04 broken",
    ],
    ids=["empty", "csv", "xls", "broken zip"],
)
def test_a_file_that_is_no_workbook_is_refused(data):
    assert len(errors_of(data)) == 1


def test_a_zip_that_is_no_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")

    assert len(errors_of(buffer.getvalue())) == 1


def test_a_file_over_20_mb_is_refused_before_it_is_read():
    assert len(errors_of(b"PK\x03\x04" + b"\0" * (20 * 1024 * 1024))) == 1


def test_workbook_error_can_be_shown_as_a_form_error():
    error = WorkbookError(["first", "second"])

    assert error.messages == ["first", "second"] and "second" in str(error)


# --- Sheet names ----------------------------------------------------------------------------------


def test_sheet_names_are_valid_and_unique():
    schema = {
        "sections": [
            {
                "title": "Таблици",
                "items": [
                    {
                        "key": "a",
                        "type": "table",
                        "label": "Услуги: планирани/разкрити [2024] и още много текст",
                        "columns": [{"key": "x", "type": "text", "label": "X"}],
                    },
                    {
                        "key": "b",
                        "type": "table",
                        "label": "Услуги: планирани/разкрити [2024] и друго",
                        "columns": [{"key": "x", "type": "text", "label": "X"}],
                    },
                    {
                        "key": "c",
                        "type": "table",
                        "label": "въпроси",
                        "columns": [{"key": "x", "type": "text", "label": "X"}],
                    },
                ],
            }
        ]
    }

    names = sheet_names(schema)

    assert len(set(names.values())) == 3
    assert all(len(name) <= 31 and not set(name) & set("[]:*?/\\") for name in names.values())
    assert names["c"].casefold() != QUESTIONS_SHEET.casefold()
