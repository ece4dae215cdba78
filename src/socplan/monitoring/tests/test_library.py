import copy
import json
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import translation

from socplan.monitoring import forms_engine, library
from socplan.monitoring.library import FORMS_DIR, TemplateFileError, template_read, templates_load
from socplan.monitoring.models import FormTemplate
from socplan.social_services.models import Service


@pytest.fixture(autouse=True)
def _no_templates_yet(db):
    """The data migration (0002) has loaded the shipped templates: start these tests without them."""
    FormTemplate.objects.all().delete()

SHIPPED = {
    "municipal_strategy_report",
    "dsp_information",
    "municipal_admin_card",
    "service_card_adults",
    "service_card_children",
    "provider_annual_report",
    "mayor_annual_analysis",
}
FILES = sorted(FORMS_DIR.glob("*.json"))


def _schema(code: str) -> dict:
    return template_read(FORMS_DIR / f"{code}.json")["schema"]


def _write(folder: Path, name: str, data) -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# --- The shipped files ----------------------------------------------------------------------------


def test_the_templates_of_document_002_and_of_the_social_services_act_are_shipped():
    assert {path.stem for path in FILES} == SHIPPED


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_shipped_template_is_complete_and_passes_schema_check(path):
    data = json.loads(path.read_text(encoding="utf-8"))

    assert forms_engine.schema_check(data["schema"]) is data["schema"]
    assert data["code"] == path.stem
    assert data["version"] == 1
    assert data["respondent"] in FormTemplate.Respondent.values
    for key in ("name", "description", "legal_basis"):
        assert data[key].strip(), key
    for _section, item in forms_engine.items(data["schema"]):
        assert item["key"] and item["label"].strip()
        for column in item.get("columns", []):
            assert column["label"].strip(), (item["key"], column["key"])


def _fields(schema: dict):
    """Every question and every table column of a schema."""
    for _section, item in forms_engine.items(schema):
        yield item
        yield from item.get("columns", [])


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_choice_lists_distinct_texts(path):
    # schema_check accepts any iterable here (an object's keys, a string's letters).
    schema = json.loads(path.read_text(encoding="utf-8"))["schema"]
    for field in _fields(schema):
        if field["type"] == "choice":
            choices = field["choices"]
            assert isinstance(choices, list), field["key"]
            assert all(isinstance(c, str) and c.strip() for c in choices), field["key"]
            assert len({c.lower() for c in choices}) == len(choices), field["key"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_the_financing_choices_are_the_registers_labels_in_bulgarian(path):
    """A row prefilled from the register carries the financing label shown in Bulgarian; it must be
    one of the choices (compared without case), or the respondent could not submit it unchanged."""
    with translation.override("bg"):
        labels = {str(label).lower() for label in Service.Financing.labels}
    schema = json.loads(path.read_text(encoding="utf-8"))["schema"]
    for field in _fields(schema):
        if field["key"] == "financing":
            assert {c.lower() for c in field["choices"]} == labels, path.stem


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_table_comparing_users_with_capacity_has_the_rule(path):
    schema = json.loads(path.read_text(encoding="utf-8"))["schema"]
    for _section, item in forms_engine.items(schema):
        columns = {column["key"] for column in item.get("columns", [])}
        if {"users", "capacity"} <= columns:
            assert {"type": "lte", "left": "users", "right": "capacity"} in item["row_rules"], item["key"]


# --- Loading ------------------------------------------------------------------------------------


def test_loading_creates_every_template_once(db):
    assert templates_load() == {"created": len(SHIPPED), "existing": 0}
    history = FormTemplate.history.count()

    assert templates_load() == {"created": 0, "existing": len(SHIPPED)}

    assert FormTemplate.objects.count() == len(SHIPPED)
    assert FormTemplate.history.count() == history
    dsp = FormTemplate.objects.get(code="dsp_information", version=1)
    assert dsp.owner is None
    assert dsp.respondent == FormTemplate.Respondent.DIRECTORATE
    assert dsp.name == "Информация от Дирекция „Социално подпомагане“"
    assert dsp.schema == _schema("dsp_information")


def test_loading_never_changes_an_existing_version(db):
    kept = FormTemplate.objects.create(
        code="dsp_information", version=1, name="Справка на ДСП (редактирана)", schema={"sections": []}
    )

    assert templates_load() == {"created": len(SHIPPED) - 1, "existing": 1}

    kept.refresh_from_db()
    assert kept.name == "Справка на ДСП (редактирана)"
    assert kept.schema == {"sections": []}


def test_a_new_version_of_a_shipped_template_is_added_beside_the_old_one(db, tmp_path, monkeypatch):
    data = json.loads((FORMS_DIR / "dsp_information.json").read_text(encoding="utf-8"))
    _write(tmp_path, "dsp_information.json", data)
    monkeypatch.setattr(library, "FORMS_DIR", tmp_path)
    templates_load()
    _write(tmp_path, "dsp_information.v2.json", {**data, "version": 2, "name": "Информация от ДСП (2021)"})

    assert templates_load() == {"created": 1, "existing": 1}

    versions = FormTemplate.objects.filter(code="dsp_information").order_by("version")
    assert list(versions.values_list("version", "name")) == [
        (1, "Информация от Дирекция „Социално подпомагане“"),
        (2, "Информация от ДСП (2021)"),
    ]


def test_a_data_migration_can_load_with_its_historical_model(db):
    state = MigrationExecutor(connection).loader.project_state(("monitoring", "0001_initial"), at_end=True)
    historical = state.apps.get_model("monitoring", "FormTemplate")

    assert templates_load(historical) == {"created": len(SHIPPED), "existing": 0}
    assert templates_load(historical) == {"created": 0, "existing": len(SHIPPED)}
    assert FormTemplate.objects.filter(owner=None).count() == len(SHIPPED)


def test_a_broken_schema_gives_an_error_naming_the_file_and_loads_nothing(db, tmp_path, monkeypatch):
    good = json.loads((FORMS_DIR / "dsp_information.json").read_text(encoding="utf-8"))
    broken = copy.deepcopy(json.loads((FORMS_DIR / "mayor_annual_analysis.json").read_text(encoding="utf-8")))
    services_table = broken["schema"]["sections"][1]["items"][0]
    services_table["row_rules"] = [{"type": "lte", "left": "users", "right": "places"}]
    _write(tmp_path, "a_good.json", good)
    _write(tmp_path, "mayor_broken.json", broken)
    monkeypatch.setattr(library, "FORMS_DIR", tmp_path)

    with pytest.raises(TemplateFileError, match=r"^mayor_broken\.json: ") as caught:
        templates_load()

    assert "services" in str(caught.value)  # the table's key, from schema_check
    assert not FormTemplate.objects.exists()


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"code": "x", "version": 1,', "not valid JSON"),
        ("[]", "one JSON object"),
        ({"code": "x", "version": 1, "name": "X", "schema": {"sections": []}}, "respondent"),
        ({"code": "x", "version": 0, "name": "X", "respondent": "any", "schema": {}}, "version"),
        ({"code": "x", "version": 1, "name": "X", "respondent": "any", "schema": {}, "legal_base": ""},
         "legal_base"),
        ({"code": "x", "version": 1, "name": "X", "respondent": "any", "schema": {"sections": []}}, ""),
        ({"code": "x", "version": 1, "name": "X", "respondent": "any",
          "schema": {"sections": [{"title": "Общо", "items": ["брой"]}]}}, "not a field"),
    ],
    ids=["json", "not-an-object", "missing-key", "version", "unknown-key", "empty-schema", "malformed"],
)
def test_a_broken_file_is_named_in_the_error(db, tmp_path, monkeypatch, content, expected):
    _write(tmp_path, "broken.json", content)
    monkeypatch.setattr(library, "FORMS_DIR", tmp_path)

    with translation.override("en"), pytest.raises(TemplateFileError, match=r"^broken\.json: ") as caught:
        templates_load()

    assert expected in str(caught.value)


def test_a_template_the_model_refuses_is_named_in_the_error(db, tmp_path, monkeypatch):
    data = json.loads((FORMS_DIR / "dsp_information.json").read_text(encoding="utf-8"))
    _write(tmp_path, "dsp.json", {**data, "respondent": "ministry"})
    monkeypatch.setattr(library, "FORMS_DIR", tmp_path)

    with pytest.raises(TemplateFileError, match=r"^dsp\.json: respondent: "):
        templates_load()
    assert not FormTemplate.objects.exists()


def test_the_same_code_and_version_in_two_files_is_refused(db, tmp_path, monkeypatch):
    data = json.loads((FORMS_DIR / "dsp_information.json").read_text(encoding="utf-8"))
    _write(tmp_path, "a.json", data)
    _write(tmp_path, "b.json", data)
    monkeypatch.setattr(library, "FORMS_DIR", tmp_path)

    with pytest.raises(TemplateFileError, match=r"^b\.json: .*a\.json"):
        templates_load()


# --- Filling the templates ------------------------------------------------------------------------


def _strategy_report() -> dict:
    """A municipal report for 01.01.2016–30.06.2017 as a coordination team would send it."""
    return {
        "municipality": "Ихтиман",
        "period": "01.01.2016 – 30.06.2017",
        "strategy_title": "Общинска стратегия за развитие на социалните услуги в община Ихтиман 2016–2020 г.",
        "strategy_adopted": "Решение №84/25.03.2016 г. по Протокол №8",
        "strategy_updates": "Решение №301/29.09.2016 г.: добавен Дневен център за възрастни хора.",
        "team_order": "Заповед №РД-15-412/12.07.2017 г. на кмета",
        "team": [
            {"member": "Мария Петрова", "position": "Директор на дирекция „Социални дейности“",
             "role": "Ръководител"},
            {"member": "Иван Стоянов", "position": "Началник отдел ЗД, ДСП Ихтиман", "role": "член"},
        ],
        "contact_name": "Мария Петрова, директор на дирекция",
        "contact_phone": "0724 8 23 10",
        "contact_email": "social@ihtiman.bg",
        "summary": "Стратегията се изпълнява по график; разкрити са две от трите планирани услуги.",
        "goals": [
            {
                "goal": "Цел 1. Превенция на изоставянето и подкрепа на семейства с деца",
                "status": "Изпълнява се по график",
                "done": "Разкрит Център за обществена подкрепа с капацитет 30 места.",
                "results": "Подкрепени 41 семейства; предотвратено изоставяне на 6 деца.",
                "deviations": "",
            }
        ],
        "indicators": [
            {"_ref": "indicator:5", "code": "1.1", "name": "Деца, ползващи услуги в общността", "unit": "бр.",
             "baseline": "20", "target": "60", "previous": None, "value": "48", "source": "ЦОП",
             "comment": "ЦОП е открит през 09.2016 г."},
        ],
        "services": [
            {"_ref": "service:12", "name": "Център за обществена подкрепа – Ихтиман",
             "service_type": "Център за обществена подкрепа", "provider": "Община Ихтиман",
             "capacity": "30", "users": "28", "waiting": "4", "financing": "държавно делегирана дейност"},
            {"_ref": "service:13", "name": "Домашен социален патронаж",
             "service_type": "Домашен социален патронаж", "provider": "Община Ихтиман",
             "capacity": "120", "users": "115", "waiting": "0", "financing": "Общински бюджет"},
        ],
        "services_opened": [
            {"name": "Център за обществена подкрепа – Ихтиман", "service_type": "ЦОП", "capacity": "30",
             "opened_on": "01.09.2016", "decision": "Решение №212/30.06.2016 г.",
             "financing": "Държавно делегирана дейност"},
        ],
        "services_closed": [],
        "services_not_opened": "Дневният център за възрастни хора не е разкрит: няма подходяща сграда.",
        "currency": "лева",
        "funding": [
            {"source": "Държавен бюджет (държавно делегирани дейности)",
             "planned": "300 000", "spent": "285 400,50"},
            {"source": "Общински бюджет (местни дейности и дофинансиране)",
             "planned": "150000", "spent": "149 000"},
        ],
        "funding_total": "434400.50",
        "projects": [],
        "partnerships": "Споразумение с ДСП Ихтиман за насочване на деца и семейства.",
        "participation": "",
        "problems": "Недостиг на социални работници; липса на сграда за дневен център.",
        "good_practices": "",
        "recommendations": "Да се разкрие Дневен център за възрастни хора с капацитет 25 места от 2018 г.",
        "council_adopted": "да",
        "council_decision": "Решение №412/26.10.2017 г. по Протокол №31",
        "council_decision_file": [],
    }


def _dsp_information() -> dict:
    rows = [
        ("SFO55", "Пирдоп", (14, 6, 3, 4, 2, 1, 0, 310, 12, 95, 22)),
        ("SFO54", "Антон", (2, 1, 0, 1, 0, 0, 0, 48, 1, 17, 3)),
        ("SFO58", "Челопеч", (3, 2, 1, 0, 1, 1, 0, 61, 0, 20, 4)),
        ("SFO57", "Чавдар", (1, 0, 0, 0, 0, 0, 0, 37, 2, 11, 1)),
    ]
    columns = [
        "children_at_risk", "children_disabilities", "children_kinship", "children_foster",
        "children_residential", "children_residential_disabled", "children_institutions",
        "persons_disabilities", "persons_institutions", "elderly_care", "referred",
    ]
    table = [
        {
            "_ref": f"municipality:{code}",
            "municipality": name,
            **{column: str(value) for column, value in zip(columns, values, strict=True)},
        }
        for code, name, values in rows
    ]
    return {
        "directorate": "Дирекция „Социално подпомагане“ – Пирдоп",
        "period": "01.01.2016 – 30.06.2017",
        "as_of": "30.06.2017",
        "contact_name": "Елена Генова, началник отдел „Закрила на детето“",
        "contact_phone": "07181 55 40",
        "contact_email": "dsp-pirdop@asp.government.bg",
        "municipalities": table,
        "total_children_at_risk": "20",
        "total_children_disabilities": "9",
        "total_children_foster": "5",
        "total_children_residential": "3",
        "total_persons_disabilities": "456",
        "total_elderly_care": "143",
        "services_adequacy": "Капацитетът на ЦОП Пирдоп не покрива нуждите на Антон, Челопеч и Чавдар.",
        "unmet_needs": "Липсва услуга за деца с увреждания в Челопеч.",
        "cooperation": "",
    }


def test_a_complete_municipal_strategy_report_is_accepted():
    checked = forms_engine.check(_schema("municipal_strategy_report"), _strategy_report(), for_submit=True)

    assert checked.errors == []
    assert checked.answers["funding_total"] == "434400.5"
    assert checked.answers["services"][0]["_ref"] == "service:12"
    assert checked.answers["services"][0]["financing"] == "Държавно делегирана дейност"
    assert checked.answers["indicators"][0]["value"] == "48"
    assert checked.answers["council_adopted"] is True


def test_more_users_than_places_in_the_strategy_report_is_an_error_on_that_row():
    answers = _strategy_report()
    answers["services"][1]["users"] = "130"

    checked = forms_engine.check(_schema("municipal_strategy_report"), answers, for_submit=True)

    assert [(e.item, e.row, e.column) for e in checked.errors] == [("services", 1, "users")]
    message = checked.errors[0].message
    assert "Потребители към края на периода" in message and "Капацитет (места)" in message
    assert "130" in message and "120" in message


def test_funding_that_does_not_add_up_in_the_strategy_report_is_an_error_on_the_total():
    answers = _strategy_report()
    answers["funding_total"] = "434000"

    checked = forms_engine.check(_schema("municipal_strategy_report"), answers, for_submit=True)

    assert [e.item for e in checked.errors] == ["funding_total"]
    assert "434400.5" in checked.errors[0].message


def test_a_missing_narrative_blocks_submitting_but_not_a_draft():
    answers = _strategy_report()
    answers["problems"] = "  "
    schema = _schema("municipal_strategy_report")

    assert forms_engine.check(schema, answers, for_submit=False).errors == []
    assert [e.item for e in forms_engine.check(schema, answers, for_submit=True).errors] == ["problems"]


def test_a_complete_dsp_information_is_accepted():
    checked = forms_engine.check(_schema("dsp_information"), _dsp_information(), for_submit=True)

    assert checked.errors == []
    assert checked.answers["as_of"] == "2017-06-30"
    assert [row["_ref"] for row in checked.answers["municipalities"]] == [
        "municipality:SFO55", "municipality:SFO54", "municipality:SFO58", "municipality:SFO57",
    ]


def test_dsp_totals_that_do_not_match_the_municipalities_are_errors_on_the_totals():
    answers = _dsp_information()
    answers["total_children_at_risk"] = "19"
    answers["municipalities"][3]["elderly_care"] = "12"  # the column now adds up to 144, the total says 143

    checked = forms_engine.check(_schema("dsp_information"), answers, for_submit=True)

    assert [e.item for e in checked.errors] == ["total_children_at_risk", "total_elderly_care"]
    first, second = (e.message for e in checked.errors)
    assert "Деца в риск (отворени случаи в ОЗД)" in first and "20" in first and "19" in first
    assert "144" in second and "143" in second
    # Rules are checked on submission only: a draft with the same numbers saves.
    assert forms_engine.check(_schema("dsp_information"), answers, for_submit=False).errors == []


def test_more_disabled_children_than_children_in_residential_services_is_an_error_on_that_row():
    answers = _dsp_information()
    answers["municipalities"][0]["children_residential_disabled"] = "3"

    checked = forms_engine.check(_schema("dsp_information"), answers, for_submit=True)

    assert [(e.item, e.row, e.column) for e in checked.errors] == [
        ("municipalities", 0, "children_residential_disabled")
    ]


def test_a_negative_count_from_the_dsp_is_refused():
    answers = _dsp_information()
    answers["municipalities"][2]["children_foster"] = "-1"

    checked = forms_engine.check(_schema("dsp_information"), answers, for_submit=False)

    assert [(e.item, e.row, e.column) for e in checked.errors] == [("municipalities", 2, "children_foster")]
