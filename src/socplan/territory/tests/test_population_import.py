"""Loading NSI's municipal population by age (territory.population_import) and its command."""

import datetime
import io

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from socplan.core.models import DataVersion
from socplan.territory.models import Municipality, PopulationFigure
from socplan.territory.population_import import (
    TEMPLATE_PATH,
    parse_age,
    population_table_load,
    population_table_parse,
)

DAY = datetime.date(2024, 12, 31)
TITLE = "НАСЕЛЕНИЕ ПО ОБЛАСТИ, ОБЩИНИ, МЕСТОЖИВЕЕНЕ, ПОЛ И ВЪЗРАСТ КЪМ 31.12.2024 г."

# The region's row, then two of its municipalities, with their real totals on 31.12.2024.
ROWS = [
    ["Велико Търново", 200413, 7701, 137399, 55313],
    ["Велико Търново", 77049, 2911, 57138, 17000],
    ["Горна Оряховица", 36312, 1288, 24924, 10100],
]


def nsi_workbook(rows=ROWS, *, title: str = TITLE) -> bytes:
    """A sheet laid out as NSI publishes it: title, unit, two header rows, rows per unit."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Население"
    sheet.append([title])
    sheet.merge_cells("A1:E1")
    sheet.append(["(Брой)"])
    sheet.append(["Области / Общини", "Общо", "Възраст (години)", None, None])
    sheet.merge_cells("C3:E3")
    sheet.append([None, None, "0 - 4", "5 - 64", "65 +"])
    for row in rows:
        sheet.append(row)
    sheet.append(["Източник: НСИ"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def figures(code: str, **filters) -> dict[str, int]:
    rows = PopulationFigure.objects.filter(unit_code=code, reference_date=DAY, **filters)
    return {f"{f.age_group}/{f.sex}/{f.residence}": f.value for f in rows}


def load(data: bytes, filename: str = "Pop_6.1.2_2024.xlsx", **kwargs):
    with translation.override("en"):
        return population_table_load(data=data, filename=filename, **kwargs)


def test_the_nsi_workbook_is_loaded_as_official_municipal_figures(
    db, django_capture_on_commit_callbacks, administrator
):
    version = DataVersion.objects.filter(pk=1).values_list("value", flat=True).first() or 0
    region_before = figures("VTR")
    with django_capture_on_commit_callbacks(execute=True):
        result = load(nsi_workbook(), user=administrator)

    assert (result.created, result.updated, result.unchanged, result.removed) == (6, 0, 2, 0)
    assert result.reference_date == DAY and result.units == ["VTR04", "VTR06"]
    assert result.warnings == []
    assert figures("VTR04", sex="total", residence="total") == {
        "all/total/total": 77049, "0-4/total/total": 2911,
        "5-64/total/total": 57138, "65+/total/total": 17000,
    }  # fmt: skip
    band = PopulationFigure.objects.get(unit_code="VTR06", reference_date=DAY, age_group="65+")
    assert (band.age_from, band.age_to, band.value, band.is_estimate) == (65, None, 10100, False)
    assert band.municipality == Municipality.objects.get(code="VTR06") and band.region is None
    assert band.source.startswith("НСИ, Pop_6.1.2_2024.xlsx, заредено на ") and band.source.endswith(
        "от admin"
    )
    # The region's row is context only: its official figures stay as the territory data has them.
    assert figures("VTR") == region_before
    assert DataVersion.objects.get(pk=1).value == version + 1


def test_loading_the_same_file_again_changes_nothing(db):
    load(nsi_workbook())
    sources = dict(PopulationFigure.objects.filter(unit_code="VTR04").values_list("pk", "source"))

    again = load(nsi_workbook(), filename="copy.xlsx")

    assert (again.created, again.updated, again.removed, again.unchanged) == (0, 0, 0, 8)
    assert not again.changed and again.changes == []
    assert dict(PopulationFigure.objects.filter(unit_code="VTR04").values_list("pk", "source")) == sources


def test_an_unknown_municipality_is_refused_with_its_row_and_nothing_is_saved(db):
    rows = [*ROWS, ["Несъществуваща", 1000, 100, 600, 300]]
    with pytest.raises(ValidationError) as error, translation.override("en"):
        population_table_load(data=nsi_workbook(rows), filename="nsi.xlsx")
    assert error.value.messages == ["Row 8: “Несъществуваща” is not a known municipality or region."]
    assert not PopulationFigure.objects.filter(unit_code__in=["VTR04", "VTR06"], age_group="0-4").exists()


def test_a_negative_or_broken_value_is_refused(db):
    rows = [
        ROWS[0],
        ["Велико Търново", 77049, -5, 57138, 17000],
        ["Горна Оряховица", 36312, "1 288,5", 24924, 10100],
    ]
    with pytest.raises(ValidationError) as error, translation.override("en"):
        population_table_load(data=nsi_workbook(rows), filename="nsi.xlsx")
    assert error.value.messages == [
        "Row 6: Column C: -5 is negative.",
        "Row 7: Column C: “1 288,5” is not a whole number.",
    ]
    assert not PopulationFigure.objects.filter(unit_code="VTR04", age_group="0-4").exists()


def test_a_dry_run_saves_nothing_and_tells_what_would_change(db, tmp_path):
    path = tmp_path / "nsi.xlsx"
    path.write_bytes(nsi_workbook())
    result = load(path.read_bytes(), dry_run=True)
    assert result.dry_run and result.created == 6
    assert not PopulationFigure.objects.filter(unit_code="VTR04", age_group="0-4").exists()

    out = io.StringIO()
    call_command("load_population_table", str(path), "--dry-run", stdout=out)
    text = out.getvalue()
    assert "VTR04 31.12.2024 0-4 total/total: — → 2911" in text
    assert "6 figures would be created" in text and "Dry run: nothing was saved." in text
    assert not PopulationFigure.objects.filter(unit_code="VTR04", age_group="0-4").exists()

    call_command("load_population_table", str(path), stdout=io.StringIO())
    assert figures("VTR04")["0-4/total/total"] == 2911


def test_the_command_reports_the_errors(db, tmp_path):
    path = tmp_path / "nsi.xlsx"
    path.write_bytes(nsi_workbook([*ROWS, ["Несъществуваща", 1000, 100, 600, 300]]))
    with pytest.raises(CommandError, match="Несъществуваща"), translation.override("en"):
        call_command("load_population_table", str(path), stdout=io.StringIO())


def test_the_tidy_csv_is_the_easy_path(db):
    data = (
        b"unit_code;reference_date;age_from;age_to;sex;value\n"
        b"VTR04;31.12.2024;0;4;male;1500\n"
        b"VTR04;31.12.2024;0;4;female;1411\n"
        b"VTR04;31.12.2024;0;4;total;2911\n"
        b"VTR06;2024-12-31;;;total;36312\n"
    )
    result = load(data, filename="population.csv")
    assert (result.created, result.unchanged) == (3, 1)
    assert figures("VTR04", age_group="0-4") == {
        "0-4/male/total": 1500,
        "0-4/female/total": 1411,
        "0-4/total/total": 2911,
    }
    assert result.warnings[0].message == "The age groups of VTR04 do not cover every age (5+ missing)."


def test_the_template_shows_the_tidy_layout_and_is_not_loaded_unchanged(db):
    template = TEMPLATE_PATH.read_bytes()
    assert template.decode().splitlines()[0] == "unit_code,reference_date,age_from,age_to,sex,value"
    assert all(line.startswith("VTR04,") for line in template.decode().splitlines()[1:4])
    table = population_table_parse(template.replace(b"2911", b"2912"), "population_template.csv")
    assert table.ok and table.layout == "tidy" and len(table.figures) == 3
    with pytest.raises(ValidationError, match="template"), translation.override("en"):
        population_table_load(data=template, filename="population_template.csv")


def test_tidy_rows_are_checked_one_by_one(db):
    data = (
        b"unit_code,reference_date,age_from,age_to,sex,value\n"
        b"XXX99,2024-12-31,0,4,total,10\n"
        b"VTR,2024-12-31,0,4,total,10\n"
        b"VTR04,31.13.2024,0,4,total,10\n"
        b"VTR04,2024-12-31,9,4,men,10\n"
        b"VTR04,2024-12-31,0,4,total,-3\n"
    )
    with translation.override("en"):
        table = population_table_parse(data, "bad.csv")
    messages = [str(p) for p in table.errors]
    assert messages[0] == "Row 2: Unknown municipality code “XXX99”."
    assert messages[1].startswith("Row 3: “VTR” is not a municipality")
    assert messages[2] == "Row 4: “31.13.2024” is not a date (write 2024-12-31 or 31.12.2024)."
    assert messages[3] == "Row 5: The age group 9–4 ends before it starts."
    assert messages[4] == "Row 6: -3 is negative."
    assert table.figures == []


def test_a_missing_date_is_an_error_unless_given(db):
    data = nsi_workbook(title="НАСЕЛЕНИЕ ПО ОБЩИНИ И ВЪЗРАСТ")
    with translation.override("en"):
        table = population_table_parse(data, "nsi.xlsx")
    assert [str(p) for p in table.errors] == [
        "The title gives no date of the figures (such as “31.12.2024”): give the date or add it to the title."
    ]
    result = load(data, reference_date=DAY, dry_run=True)
    assert result.reference_date == DAY and result.created == 6


def test_sums_that_do_not_add_up_are_warnings(db):
    rows = [ROWS[0], ["Велико Търново", 77049, 2911, 57138, 17001], ROWS[2]]
    result = load(nsi_workbook(rows))
    assert [str(w) for w in result.warnings] == [
        (
            "Row 6: The age groups of VTR04, all ages, total, total add up to 77050, "
            "but the total given is 77049."
        )
    ]
    assert figures("VTR04")["65+/total/total"] == 17001


def test_the_long_layout_with_sex_and_residence_columns(db):
    """NSI's table 6.1.3 layout (in English): a unit's row with its totals, then its age groups."""
    head = (
        '"POPULATION BY DISTRICTS, MUNICIPALITIES, AGE, PLACE OF RESIDENCE AND SEX '
        'AS OF 31.12.2024\n(Number)"'
        ",,,,,,,,,\n"
        "Districts Municipalities Age (years),Total,,,Urban residence,,,Rural residence,,\n"
        ",Total,Male,Female,Total,Male,Female,Total,Male,Female\n"
        "Total,6437360,3095140,3342220,4744111,2257769,2486342,1693249,837371,855878\n"
        "Veliko Tarnovo,200413,95541,104872,140408,66185,74223,60005,29356,30649\n"
    )
    body = (
        "Veliko Tarnovo,77049,36800,40249,68000,32400,35600,9049,4400,4649\n"
        "0 - 17,11000,5600,5400,9800,5000,4800,1200,600,600\n"
        "18 - 64,48049,24000,24049,42700,21300,21400,5349,2700,2649\n"
        "65 +,18000,7200,10800,15500,6100,9400,2500,1100,1400\n"
        "Elena,7377,3600,3777,4000,1950,2050,3377,1650,1727\n"
        "0 - 17,800,410,390,450,230,220,350,180,170\n"
        "18 - 64,4000,2100,1900,2200,1150,1050,1800,950,850\n"
        "65 +,2577,1090,1487,1350,570,780,1227,520,707\n"
    )
    result = load((head + body).encode(), filename="Pop_6.1.3.csv")
    assert result.warnings == []
    assert result.units == ["VTR04", "VTR13"] and (result.created, result.unchanged) == (70, 2)
    assert figures("VTR04")["0-17/female/rural"] == 600
    assert figures("VTR13")["65+/male/urban"] == 570
    assert figures("VTR13")["all/total/rural"] == 3377


def test_sex_rows_below_each_municipality(db):
    """A wide layout with "Мъже" / "Жени" rows below each municipality, named by code."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Население към 31 декември 2024 г."])
    sheet.append(["Община", "Пол", "Общо", "0-17", "18-64", "65+"])
    sheet.append(["VTR04 Велико Търново", "Общо", 77049, 11000, 48049, 18000])
    sheet.append([None, "Мъже", 36800, 5600, 24000, 7200])
    sheet.append([None, "Жени", 40249, 5400, 24049, 10800])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = population_table_parse(buffer.getvalue(), "sex.xlsx")
    assert table.ok and table.warnings == []
    values = {(f.age_group, f.sex): f.value for f in table.figures}
    assert (
        values[("0-17", "male")] == 5600
        and values[("65+", "female")] == 10800
        and values[("all", "total")] == 77049
    )


def test_a_name_shared_by_two_municipalities_needs_its_region(db):
    ambiguous = nsi_workbook([["Бяла", 7000, 200, 4800, 2000]])
    with translation.override("en"):
        table = population_table_parse(ambiguous, "nsi.xlsx")
    assert [str(p) for p in table.errors] == [
        (
            "Row 5: “Бяла” is the name of several municipalities (RSE04, VAR05): "
            "put the row of its region above it, "
            "or write the code."
        )
    ]
    with_region = nsi_workbook([["Област Русе"], ["Бяла", 7000, 200, 4800, 2000]])
    table = population_table_parse(with_region, "nsi.xlsx")
    assert table.ok and {f.unit_code for f in table.figures} == {"RSE04"}


def test_official_figures_replace_estimates_and_overlapping_groups(db):
    vtr04 = Municipality.objects.get(code="VTR04")
    common = {"unit_code": "VTR04", "reference_date": DAY, "municipality": vtr04, "source": "estimate"}
    PopulationFigure.objects.create(
        age_group="0-4", age_from=0, age_to=4, value=3333, is_estimate=True, **common
    )
    PopulationFigure.objects.create(
        age_group="0-17", age_from=0, age_to=17, value=11000, is_estimate=True, **common
    )

    result = load(nsi_workbook())

    assert (result.created, result.updated, result.removed) == (5, 1, 1)
    band = PopulationFigure.objects.get(unit_code="VTR04", reference_date=DAY, age_group="0-4")
    assert (band.value, band.is_estimate) == (2911, False)
    assert not PopulationFigure.objects.filter(unit_code="VTR04", age_group="0-17").exists()


def test_broad_groups_next_to_fine_ones_are_left_out(db):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Население към 31.12.2024 г."])
    sheet.append(["Общини", "Общо", "0 - 4", "5 - 17", "0 - 17", "18 +"])
    sheet.append(["VTR04", 77049, 2911, 8089, 11000, 66049])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with translation.override("en"):
        table = population_table_parse(buffer.getvalue(), "nsi.xlsx")
    assert sorted(f.age_group for f in table.figures) == ["0-4", "18+", "5-17", "all"]
    assert [str(w) for w in table.warnings] == [
        "The age group 0-17 overlaps finer groups and is left out (municipalities: 1)."
    ]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("0 - 4", (0, 4)), ("0-4 г.", (0, 4)), ("85+", (85, None)), ("100 +", (100, None)),
        ("85 и повече", (85, None)), ("Под 1", (0, 0)), (0, (0, 0)), ("17", (17, 17)),
        ("2024", None), ("Общо", None), ("9 - 4", None),
    ],
)  # fmt: skip
def test_age_labels(label, expected):
    assert parse_age(label) == expected


def test_the_administrator_uploads_the_table_through_the_page(administrator, municipal):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from socplan.conftest import client_for

    csv_data = (
        "unit_code,reference_date,age_from,age_to,sex,value\n"
        "VTR04,31.12.2031,0,4,total,4100\n"
        "VTR04,31.12.2031,5,,total,79000\n"
    ).encode()
    assert client_for(municipal).get("/territory/population/upload/").status_code == 403
    client = client_for(administrator)
    response = client.post(
        "/territory/population/upload/", {"file": SimpleUploadedFile("nsi.csv", csv_data, content_type="text/csv")}
    )
    assert response.status_code == 200
    assert PopulationFigure.objects.filter(unit_code="VTR04", age_group="0-4", value=4100, is_estimate=False).exists()
    assert client.get("/territory/population/upload/?template=1")["Content-Type"].startswith("text/csv")
