"""The exchange of the register as files: import (all rows or none, idempotent), templates, export."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from socplan.organizations.models import Organization
from socplan.organizations.tests.factories import OrganizationFactory, UserFactory
from socplan.social_services import exchange
from socplan.social_services.models import MAX_USERS_SANITY, Occupancy, Service
from socplan.social_services.reference import service_types_load
from socplan.social_services.tests.factories import ServiceFactory, ServiceTypeFactory, settlement_of
from socplan.territory.models import Municipality, Settlement

HEADERS = {column.key: column.header_bg for column in exchange.SERVICE_COLUMNS}
OCCUPANCY_HEADERS = {column.key: column.header_bg for column in exchange.OCCUPANCY_COLUMNS}


@pytest.fixture
def service_types(db):
    service_types_load()


def _eik(first8: str) -> str:
    """A valid 9-digit ЕИК from its first eight digits (the check digit of the register)."""
    digits = [int(c) for c in first8]
    check = sum(d * (i + 1) for i, d in enumerate(digits)) % 11
    if check == 10:
        check = sum(d * (i + 3) for i, d in enumerate(digits)) % 11 % 10
    return first8 + str(check)


def _xlsx(rows: list[dict], headers: dict[str, str] = HEADERS) -> bytes:
    """A workbook with the Bulgarian headings of the keys of the first row, and the rows."""
    keys = list(rows[0]) if rows else list(headers)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([headers[key] for key in keys])
    for row in rows:
        sheet.append([row.get(key) for key in keys])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _service(n: int, **changes) -> dict:
    row = {
        "external_id": f"ВТ-{n:03d}",
        "name": f"Център за обществена подкрепа {n}",
        "service_type": "cop",
        "provider": "Община Велико Търново",
        "settlement": settlement_of("VTR04").ekatte,
        "municipality": "VTR04",
        "address": f"ул. „Първа“ {n}",
        "capacity": 20 + n,
        "on_national_map": "да",
        "map_max_users": 25,
        "financing": "делегирана от държавата дейност",
        "state_funded_users": 20,
        "standard_per_place": Decimal("4321.50"),
        "standard_currency": "EUR",
        "licence_number": f"Л-{n}",
        "licence_issued_on": datetime.date(2022, 5, 1),
        "licence_expires_on": None,
        "status": "действаща",
        "opened_on": datetime.date(2016, 2, 1),
        "closed_on": None,
        "council_decision": f"№ {n}",
        "council_decision_date": datetime.date(2015, 12, 17),
        "is_published": "да",
        "target_groups": "children_at_risk, disabilities",
    }
    row.update(changes)
    return row


def _three() -> bytes:
    return _xlsx([_service(1), _service(2), _service(3)])


def _pleven() -> Municipality:
    return Municipality.objects.filter(region__code="PVN").order_by("code").first()


# --- Import of services ------------------------------------------------------------------------


def test_a_valid_file_of_three_services_creates_them(service_types, municipal):
    report = exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx")

    assert report.errors == []
    assert (report.created, report.updated, report.unchanged, report.rows) == (3, 0, 0, 3)
    service = Service.objects.get(external_id="ВТ-002")
    assert service.provider.name == "Община Велико Търново"
    assert service.municipality.code == "VTR04" and service.region.code == "VTR"
    assert service.capacity == 22 and service.standard_per_place == Decimal("4321.50")
    assert service.licence_expires_on == datetime.date(2027, 5, 1)  # five years (ЗСУ чл. 31)
    assert (
        service.status == Service.Status.OPERATING and service.financing == Service.Financing.STATE_DELEGATED
    )
    assert service.on_national_map and service.is_published
    assert sorted(service.target_groups.values_list("code", flat=True)) == [
        "children_at_risk",
        "disabilities",
    ]


def test_importing_the_same_file_again_changes_nothing_and_writes_no_history(service_types, municipal):
    data = _three()
    exchange.services_import(user=municipal, data=data, filename="услуги.xlsx")
    history = Service.history.count()

    report = exchange.services_import(user=municipal, data=data, filename="услуги.xlsx")

    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert Service.history.count() == history
    assert Service.objects.filter(external_id__startswith="ВТ-").count() == 3


def test_a_changed_row_updates_only_its_service(service_types, municipal):
    exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx")
    history = Service.history.count()

    changed = _xlsx(
        [_service(1), _service(2, capacity=40, status="closed", closed_on="31.12.2024"), _service(3)]
    )
    report = exchange.services_import(user=municipal, data=changed, filename="услуги.xlsx")

    assert (report.created, report.updated, report.unchanged) == (0, 1, 2)
    service = Service.objects.get(external_id="ВТ-002")
    assert service.capacity == 40 and service.status == Service.Status.CLOSED
    assert service.closed_on == datetime.date(2024, 12, 31)
    assert Service.history.count() == history + 1


def test_one_bad_row_among_good_ones_saves_nothing_and_names_the_rows(service_types, municipal):
    pleven = settlement_of(_pleven().code).ekatte
    data = _xlsx(
        [
            _service(1),
            _service(2, capacity=0),
            _service(3, service_type="no_such_type"),
            _service(4, settlement=pleven),
            _service(
                5,
                opened_on=datetime.date(2020, 1, 1),
                licence_issued_on=datetime.date(2014, 1, 1),
                licence_expires_on=datetime.date(2019, 1, 1),
            ),
            _service(6),
        ]
    )
    before = Service.objects.count()

    report = exchange.services_import(user=municipal, data=data, filename="услуги.xlsx")

    assert Service.objects.count() == before
    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    # Row 1 is the heading: the services are on rows 2–7.
    by_row = {(e.row, e.column) for e in report.errors}
    assert (3, HEADERS["capacity"]) in by_row
    assert (4, HEADERS["service_type"]) in by_row
    assert (5, HEADERS["settlement"]) in by_row
    assert (6, HEADERS["licence_expires_on"]) in by_row
    assert {e.row for e in report.errors} == {3, 4, 5, 6}
    assert any("no_such_type" in e.message for e in report.errors)


def test_a_file_the_service_refuses_is_undone_entirely(service_types, municipal, monkeypatch):
    """An error raised only when saving (here: forced) still saves no row of the file."""
    from socplan.social_services import services

    calls = []
    original = services.service_create

    def create(**kwargs):
        calls.append(kwargs["external_id"])
        if len(calls) == 2:
            raise ValidationError({"name": "refused"})
        return original(**kwargs)

    monkeypatch.setattr(services, "service_create", create)
    before = Service.objects.count()

    report = exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx")

    assert Service.objects.count() == before
    assert [(e.row, e.column, e.message) for e in report.errors] == [(3, HEADERS["name"], "refused")]
    assert report.created == 0


def test_check_only_saves_nothing_but_counts_what_would_change(service_types, municipal):
    report = exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx", dry_run=True)

    assert report.errors == [] and report.created == 3 and report.dry_run
    assert not Service.objects.filter(external_id__startswith="ВТ-").exists()


def test_a_municipal_expert_of_veliko_tarnovo_cannot_import_for_a_provider_of_pleven(
    service_types, municipal
):
    pleven = _pleven()
    provider = OrganizationFactory(
        kind=Organization.Kind.PROVIDER,
        name="Доставчик Плевен ЕООД",
        eik=_eik("20345678"),
        region=pleven.region,
        municipality=pleven,
    )
    data = _xlsx([_service(1), _service(2, provider=provider.eik)])

    report = exchange.services_import(user=municipal, data=data, filename="услуги.xlsx")

    assert [(e.row, e.column) for e in report.errors] == [(3, HEADERS["provider"])]
    assert not Service.objects.filter(external_id__startswith="ВТ-").exists()


def test_a_provider_imports_its_own_services_by_name_and_not_another_municipalitys(
    service_types, provider, vtr_ngo
):
    data = _xlsx([_service(1, provider=vtr_ngo.name), _service(2, provider="Община Велико Търново")])

    report = exchange.services_import(user=provider, data=data, filename="услуги.xlsx")

    assert [(e.row, e.column) for e in report.errors] == [(3, HEADERS["provider"])]


def test_the_same_service_twice_in_a_file_is_refused(service_types, municipal):
    data = _xlsx([_service(1), _service(1, capacity=30)])

    report = exchange.services_import(user=municipal, data=data, filename="услуги.xlsx")

    assert [(e.row, e.column) for e in report.errors] == [(3, HEADERS["external_id"])]


def test_bad_cells_are_reported_per_column(service_types, municipal):
    data = _xlsx(
        [
            _service(
                1,
                capacity="двадесет",
                opened_on="31.02.2020",
                is_published="може би",
                financing="дарения",
                target_groups="children_at_risk, martians",
                settlement="99999",
                external_id="",
            ),
        ]
    )

    report = exchange.services_import(user=municipal, data=data, filename="услуги.xlsx")

    columns = {e.column for e in report.errors if e.row == 2}
    expected = (
        "capacity",
        "opened_on",
        "is_published",
        "financing",
        "target_groups",
        "settlement",
        "external_id",
    )
    assert columns == {HEADERS[key] for key in expected}


def test_a_csv_with_semicolons_in_windows_1251_is_accepted(service_types, municipal):
    header = ";".join(
        HEADERS[k]
        for k in (
            "external_id",
            "name",
            "service_type",
            "provider",
            "settlement",
            "capacity",
            "financing",
            "status",
            "opened_on",
            "standard_per_place",
        )
    )
    ekatte = settlement_of("VTR04").ekatte
    lines = [
        header,
        ";".join(
            ["ВТ-101", "Дневен център „Слънце“", "ДЦДУ", "Община Велико Търново", ekatte, "15"]
            + ["местна дейност", "действаща", "01.03.2019", "1234,50"]
        ),
        ";".join(
            ["ВТ-102", "Защитено жилище", "protected_housing", "Община Велико Търново", ekatte, "8"]
            + ["municipal", "planned", "2020-01-15", ""]
        ),
    ]
    data = "\r\n".join(lines).encode("cp1251")

    report = exchange.services_import(user=municipal, data=data, filename="услуги.csv")

    assert report.errors == [] and report.created == 2
    day_centre = Service.objects.get(external_id="ВТ-101")
    assert day_centre.service_type.code == "dcdu" and day_centre.financing == Service.Financing.MUNICIPAL
    assert day_centre.opened_on == datetime.date(2019, 3, 1)
    assert day_centre.standard_per_place == Decimal("1234.50")
    assert Service.objects.get(external_id="ВТ-102").status == Service.Status.PLANNED


def test_english_headings_in_any_case_and_a_comma_csv_are_recognised(service_types, municipal):
    columns = [
        c
        for c in exchange.SERVICE_COLUMNS
        if c.key in ("external_id", "name", "service_type", "provider", "settlement", "capacity", "financing")
    ]
    header = ",".join(f"  {c.header_en.upper()} " for c in columns)
    line = f"EN-1,Day centre,cop,Община Велико Търново,{settlement_of('VTR04').ekatte},10,mixed"
    data = ("\ufeff" + header + "\n" + line + "\n").encode("utf-8")

    report = exchange.services_import(user=municipal, data=data, filename="services.csv")

    assert report.errors == [] and report.created == 1


@pytest.mark.parametrize(
    ("data", "filename", "fragment"),
    [
        (b"", "empty.csv", "empty"),
        (b"%PDF-1.4 \x00\x01 binary", "plan.pdf", "not a spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old.xls", ".xls"),
        (b"PK\x03\x04 broken zip", "broken.xlsx", "not a valid XLSX"),
        (b"a;b;c\r\n1;2;3\r\n", "no-header.csv", "No heading row"),
        ("Наименование;Капацитет (места)\r\nЦОП;10\r\n".encode(), "few.csv", "has no column"),
    ],
)
def test_files_that_cannot_be_imported_are_refused_with_a_clear_message(
    service_types, municipal, data, filename, fragment
):
    with pytest.raises(ValidationError) as caught:
        exchange.services_import(user=municipal, data=data, filename=filename)

    assert fragment in caught.value.messages[0]


def test_too_big_or_too_long_files_are_refused(service_types, municipal, monkeypatch):
    monkeypatch.setattr(exchange, "MAX_ROWS", 2)
    with pytest.raises(ValidationError, match="more than 2 rows"):
        exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx")
    monkeypatch.setattr(exchange, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValidationError, match="larger than"):
        exchange.parse_rows(_three(), "услуги.xlsx")


def test_parse_rows_skips_notes_and_repeated_headings_and_numbers_rows_as_the_sheet(service_types):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Регистър на социалните услуги"])
    sheet.append([])
    sheet.append([HEADERS["external_id"] + " *", "CAPACITY (PLACES)", "Непозната колона"])
    sheet.append(["External ID", "Capacity (places)", ""])
    sheet.append(["# пример", 5, ""])
    sheet.append(["A-1", 12.0, "x"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    rows = exchange.parse_rows(buffer.getvalue(), "file.xlsx")

    assert rows == [{"_row": 6, "external_id": "A-1", "capacity": 12}]


# --- Import of occupancy -----------------------------------------------------------------------


def _occupancy_rows(*rows: tuple) -> bytes:
    return _xlsx(
        [
            {
                "external_id": ext,
                "provider": "Община Велико Търново",
                "period": period,
                "starts_on": start,
                "users": users,
                "waiting": waiting,
            }
            for ext, period, start, users, waiting in rows
        ],
        OCCUPANCY_HEADERS,
    )


def test_occupancy_is_imported_once_and_reimporting_changes_nothing(service_types, municipal):
    exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx")
    data = _occupancy_rows(
        ("ВТ-001", "месец", datetime.date(2024, 3, 1), 18, 2),
        ("ВТ-001", "month", "2024-04", 19, 0),
        ("ВТ-002", "тримесечие", "Q1 2024", 20, 1),
        ("ВТ-003", "година", 2023, 21, None),
    )

    first = exchange.occupancy_import(user=municipal, data=data, filename="заетост.xlsx")
    history = Occupancy.history.count()
    again = exchange.occupancy_import(user=municipal, data=data, filename="заетост.xlsx")

    assert first.errors == [] and first.created == 4
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert Occupancy.history.count() == history
    assert Occupancy.objects.get(service__external_id="ВТ-002").starts_on == datetime.date(2024, 1, 1)
    assert Occupancy.objects.get(service__external_id="ВТ-003", period="year").waiting == 0


def test_occupancy_above_the_sanity_bound_is_refused(service_types, municipal):
    exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx")
    data = _occupancy_rows(
        ("ВТ-001", "месец", datetime.date(2024, 3, 1), 18, 2),
        ("ВТ-002", "месец", datetime.date(2024, 3, 1), MAX_USERS_SANITY + 1, 0),
    )

    report = exchange.occupancy_import(user=municipal, data=data, filename="заетост.xlsx")

    assert [(e.row, e.column) for e in report.errors] == [(3, OCCUPANCY_HEADERS["users"])]
    assert not Occupancy.objects.exists()


def test_occupancy_rows_with_a_wrong_period_or_service_are_refused(service_types, municipal):
    exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx")
    next_year = datetime.date.today().year + 1
    data = _occupancy_rows(
        ("ВТ-001", "месец", datetime.date(2024, 3, 15), 18, 2),
        ("ВТ-001", "тримесечие", datetime.date(2024, 2, 1), 18, 2),
        ("ВТ-001", "месец", "Q2 2024", 18, 2),
        ("ВТ-001", "година", str(next_year), 18, 2),
        ("НЯМА-1", "месец", "2024-03", 18, 2),
        ("ВТ-002", "седмица", "2024-03", 18, 2),
    )

    report = exchange.occupancy_import(user=municipal, data=data, filename="заетост.xlsx")

    assert [(e.row, e.column) for e in report.errors] == [
        (2, OCCUPANCY_HEADERS["starts_on"]),
        (3, OCCUPANCY_HEADERS["starts_on"]),
        (4, OCCUPANCY_HEADERS["starts_on"]),
        (5, OCCUPANCY_HEADERS["starts_on"]),
        (6, OCCUPANCY_HEADERS["external_id"]),
        (7, OCCUPANCY_HEADERS["period"]),
    ]


def test_occupancy_of_a_service_outside_the_users_scope_is_refused(service_types, municipal, outsider):
    exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx")
    data = _occupancy_rows(("ВТ-001", "месец", datetime.date(2024, 3, 1), 18, 2))

    report = exchange.occupancy_import(user=outsider, data=data, filename="заетост.xlsx")

    assert [(e.row, e.column) for e in report.errors] == [(2, OCCUPANCY_HEADERS["external_id"])]


# --- Templates and export ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", exchange.KINDS)
@pytest.mark.parametrize("fmt", exchange.FORMATS)
def test_the_templates_open_and_import_as_no_rows(service_types, municipal, kind, fmt):
    data = exchange.template_xlsx(kind) if fmt == "xlsx" else exchange.template_csv(kind)
    run = exchange.services_import if kind == "services" else exchange.occupancy_import

    report = run(user=municipal, data=data, filename=f"шаблон.{fmt}")

    assert report.ok and report.rows == 0 and report.created == 0
    if fmt == "xlsx":
        workbook = load_workbook(io.BytesIO(data))
        assert workbook.sheetnames[1] == "Указания"
        sheet = workbook.worksheets[0]
        assert sheet.cell(1, 1).value.startswith(exchange.COLUMNS[kind][0].header_bg)
        assert sheet.cell(2, 1).value == exchange.COLUMNS[kind][0].header_en
        assert sheet.cell(3, 1).value.startswith("#")
        notes = [cell for row in workbook["Указания"].iter_rows(values_only=True) for cell in row if cell]
        assert ("cop" in notes and "действаща" in notes) if kind == "services" else "тримесечие" in notes
    else:
        assert data.startswith(b"\xef\xbb\xbf")
        assert exchange.COLUMNS[kind][0].header_bg in data.decode("utf-8-sig").splitlines()[0]


@pytest.mark.parametrize("fmt", exchange.FORMATS)
def test_an_export_imported_again_changes_nothing(service_types, municipal, fmt):
    exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx")
    # A service registered through the form has no external identifier: its register ID identifies it.
    ServiceFactory(
        service_type=ServiceTypeFactory(code="cop"), email="info@example.bg", phone="+359 62 000 000"
    )
    exchange.occupancy_import(
        user=municipal,
        data=_occupancy_rows(("ВТ-001", "месец", datetime.date(2024, 3, 1), 18, 2)),
        filename="заетост.xlsx",
    )
    services = Service.objects.filter(municipality__code="VTR04")

    exported = exchange.export_services(services, fmt)
    report = exchange.services_import(user=municipal, data=exported, filename=f"export.{fmt}")
    occupancy = exchange.export_occupancy(services, fmt)
    occupancy_report = exchange.occupancy_import(user=municipal, data=occupancy, filename=f"export.{fmt}")

    assert report.errors == [] and (report.created, report.updated, report.unchanged) == (0, 0, 4)
    assert occupancy_report.errors == [] and occupancy_report.unchanged == 1 and occupancy_report.created == 0


def test_the_xlsx_export_has_numbers_and_dates_as_such(service_types, municipal):
    exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx")

    data = exchange.export_services(Service.objects.filter(external_id="ВТ-001"), "xlsx")

    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    keys = [c.key for c in exchange.SERVICE_COLUMNS]
    row = {key: sheet.cell(3, index + 1) for index, key in enumerate(keys)}
    assert row["capacity"].value == 21
    assert (
        row["opened_on"].value == datetime.datetime(2016, 2, 1)
        and row["opened_on"].number_format == "DD.MM.YYYY"
    )
    assert row["standard_per_place"].value == pytest.approx(4321.5)
    assert row["status"].value == "действаща" and row["settlement"].value == settlement_of("VTR04").ekatte


def test_an_export_never_writes_a_formula(service_types, municipal):
    ServiceFactory(name='=HYPERLINK("http://evil")', service_type=ServiceTypeFactory(code="cop"))
    qs = Service.objects.filter(name__startswith="=")

    sheet = load_workbook(io.BytesIO(exchange.export_services(qs, "xlsx"))).worksheets[0]
    text = exchange.export_services(qs, "csv").decode("utf-8-sig")

    assert sheet.cell(3, 3).data_type == "s"
    assert list(csv.reader(io.StringIO(text), delimiter=";"))[2][2] == '\'=HYPERLINK("http://evil")'
    assert exchange.parse_rows(text.encode(), "export.csv")[0]["name"] == '=HYPERLINK("http://evil")'


# --- Views -------------------------------------------------------------------------------------

views_urls = pytest.mark.django_db


@views_urls
def test_the_import_page_offers_both_forms_and_the_templates(client, municipal):
    client.force_login(municipal)

    response = client.get(reverse("social_services:import"))

    assert response.status_code == 200
    content = response.content.decode()
    assert reverse("social_services:import-template", args=["services", "xlsx"]) in content
    assert reverse("social_services:import-template", args=["occupancy", "csv"]) in content
    assert content.count('type="file"') == 2


@views_urls
def test_the_import_page_needs_a_user_who_may_register_services(client, db):
    response = client.get(reverse("social_services:import"))
    assert response.status_code == 302

    client.force_login(UserFactory(username="no-role"))
    assert client.get(reverse("social_services:import")).status_code == 403


@views_urls
def test_importing_a_valid_file_through_the_page(client, service_types, municipal, django_capture_on_commit_callbacks):
    client.force_login(municipal)
    upload = io.BytesIO(_three())
    upload.name = "услуги.xlsx"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("social_services:import"), {"kind": "services", "services-file": upload})
    assert response.status_code == 302 and "/exchange/import/" in response["Location"]

    # The worker (eager in the tests) has run: the job's page shows the result.
    page = client.get(response["Location"])
    assert page.context["job"].status == "done" and page.context["report"]["created"] == 3
    assert Service.objects.filter(external_id__startswith="ВТ-").count() == 3
    # Another user does not see someone else's import.
    client.force_login(UserFactory(username="other-user"))
    assert client.get(response["Location"]).status_code == 404


@views_urls
def test_an_invalid_file_through_the_page_shows_the_rows_and_saves_nothing(
    client, service_types, municipal, django_capture_on_commit_callbacks
):
    client.force_login(municipal)
    upload = io.BytesIO(_xlsx([_service(1), _service(2, capacity=0)]))
    upload.name = "услуги.xlsx"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("social_services:import"), {"kind": "services", "services-file": upload})
    page = client.get(response["Location"])

    assert [(e["row"], e["column"]) for e in page.context["errors"]] == [(3, HEADERS["capacity"])]
    assert 'role="alert"' in page.content.decode()
    assert not Service.objects.filter(external_id__startswith="ВТ-").exists()


@views_urls
def test_check_only_through_the_page_saves_nothing(client, service_types, municipal, django_capture_on_commit_callbacks):
    client.force_login(municipal)
    upload = io.BytesIO(_three())
    upload.name = "услуги.xlsx"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("social_services:import"),
            {"kind": "services", "services-file": upload, "services-dry_run": "on"},
        )
    page = client.get(response["Location"])

    assert page.context["report"]["created"] == 3 and page.context["job"].dry_run
    assert not Service.objects.filter(external_id__startswith="ВТ-").exists()


@views_urls
def test_a_job_shows_its_progress_while_it_waits(client, service_types, municipal):
    client.force_login(municipal)
    upload = io.BytesIO(_three())
    upload.name = "услуги.xlsx"
    # Without running the on-commit callbacks, the job stays queued: the page polls it.
    response = client.post(reverse("social_services:import"), {"kind": "services", "services-file": upload})
    page = client.get(response["Location"]).content.decode()
    assert "hx-get" in page and "<progress" in page
    assert not Service.objects.filter(external_id__startswith="ВТ-").exists()


@views_urls
def test_a_file_that_is_no_spreadsheet_is_a_form_error(client, service_types, municipal):
    client.force_login(municipal)
    upload = io.BytesIO(b"%PDF-1.4")
    upload.name = "plan.pdf"

    response = client.post(reverse("social_services:import"), {"kind": "occupancy", "occupancy-file": upload})

    assert response.status_code == 200
    form = dict(response.context["forms"])["occupancy"]
    assert "not a spreadsheet" in form.errors["file"][0]


@views_urls
@pytest.mark.parametrize("fmt", exchange.FORMATS)
def test_the_template_downloads_with_a_bulgarian_file_name(client, service_types, municipal, fmt):
    client.force_login(municipal)

    response = client.get(reverse("social_services:import-template", args=["services", fmt]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith(exchange.CONTENT_TYPES[fmt].split(";")[0])
    disposition = response["Content-Disposition"]
    assert f'filename="template-social-services.{fmt}"' in disposition
    assert "filename*=UTF-8''%D1%88%D0%B0%D0%B1%D0%BB%D0%BE%D0%BD" in disposition  # шаблон
    assert client.get(reverse("social_services:import-template", args=["plans", fmt])).status_code == 404


@views_urls
def test_the_export_follows_the_filters_of_the_register(client, service_types, municipal, outsider):
    exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx")
    pleven = _pleven()
    ServiceFactory(
        name="Услуга в Плевен",
        service_type=ServiceTypeFactory(code="cop"),
        settlement=Settlement.objects.get(ekatte=pleven.center_ekatte),
        external_id="ПЛ-1",
    )
    Service.objects.filter(external_id="ВТ-003").update(is_published=False)
    client.force_login(municipal)

    response = client.get(reverse("social_services:export", args=["services", "csv"]) + "?municipality=VTR04")
    everything = client.get(reverse("social_services:export", args=["services", "csv"]))

    text = response.content.decode("utf-8-sig")
    assert "ВТ-001" in text and "ВТ-003" in text and "ПЛ-1" not in text
    assert "ПЛ-1" in everything.content.decode("utf-8-sig")
    assert "social-services-" in response["Content-Disposition"]

    client.force_login(outsider)
    outside = client.get(reverse("social_services:export", args=["services", "xlsx"])).content
    ids = [
        row[0]
        for row in load_workbook(io.BytesIO(outside)).worksheets[0].iter_rows(min_row=3, values_only=True)
    ]
    assert "ВТ-001" in ids and "ВТ-003" not in ids  # an unpublished service of another region stays hidden


@views_urls
def test_the_occupancy_export_starts_from_the_given_date(client, service_types, municipal):
    exchange.services_import(user=municipal, data=_three(), filename="услуги.xlsx")
    exchange.occupancy_import(
        user=municipal,
        data=_occupancy_rows(
            ("ВТ-001", "месец", datetime.date(2023, 12, 1), 17, 0),
            ("ВТ-001", "месец", datetime.date(2024, 3, 1), 18, 2),
        ),
        filename="заетост.xlsx",
    )
    client.force_login(municipal)

    response = client.get(reverse("social_services:export", args=["occupancy", "csv"]) + "?from=2024-01-01")

    lines = response.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 3 and "01.03.2024" in lines[2]
    assert client.get(reverse("social_services:export", args=["occupancy", "pdf"])).status_code == 404


def test_a_municipal_expert_reimports_the_export_of_the_municipality_unchanged(service_types, municipal):
    """Services of a provider registered at regional level keep their provider: the municipality's
    expert may update them and re-import them, though not register new ones for that provider."""
    regional_provider = OrganizationFactory(
        kind=Organization.Kind.PROVIDER, name="Регионален доставчик (тест)", region=Municipality.objects.get(code="VTR04").region
    )
    ServiceFactory(provider=regional_provider, external_id="R-1")
    ServiceFactory(external_id="M-1")
    data = exchange.export_services(Service.objects.filter(municipality__code="VTR04"), "xlsx")
    report = exchange.services_import(user=municipal, data=data, filename="export.xlsx")
    assert report.errors == [] and report.created == 0 and report.updated == 0 and report.unchanged == 2
