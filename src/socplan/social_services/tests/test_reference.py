import csv
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from socplan.social_services.models import Activity, PlanningStandard, ServiceType
from socplan.social_services.reference import (
    CARD_FIELDS,
    PLANNING_STANDARDS_FILE,
    SERVICE_TYPES_FILE,
    card_fields,
    card_validate,
    planning_standards_load,
    service_types_load,
)

TYPES_HEADER = "code,abbreviation,name,name_en,activity,scope,level,users,is_residential,order\n"
STANDARDS_HEADER = "service_type,kind,age_from,age_to,value,min_population,valid_from,source,is_confirmed\n"
CARD_TYPES = {"integer", "decimal", "text", "date", "choice", "boolean"}


def _csv_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- Loaders ------------------------------------------------------------------------------------


def test_loading_twice_gives_the_same_rows_and_no_new_history(db):
    assert service_types_load() == len(_csv_rows(SERVICE_TYPES_FILE))
    assert planning_standards_load() == len(_csv_rows(PLANNING_STANDARDS_FILE))
    counts = (ServiceType.objects.count(), PlanningStandard.objects.count())
    history = (ServiceType.history.count(), PlanningStandard.history.count())

    service_types_load()
    planning_standards_load()

    assert (ServiceType.objects.count(), PlanningStandard.objects.count()) == counts
    assert (ServiceType.history.count(), PlanningStandard.history.count()) == history
    assert counts == (len(_csv_rows(SERVICE_TYPES_FILE)), len(_csv_rows(PLANNING_STANDARDS_FILE)))
    codes = list(ServiceType.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))


def test_reloading_updates_a_changed_row_in_place(db, tmp_path):
    path = _write(
        tmp_path,
        "types.csv",
        TYPES_HEADER + "cop,ЦОП,Център,,information,specialised,municipal,children,false,1\n",
    )
    service_types_load(path=path)
    path.write_text(
        TYPES_HEADER
        + "cop,ЦОП,Център за обществена подкрепа,,information,specialised,municipal,children,false,1\n",
        encoding="utf-8",
    )

    service_types_load(path=path)

    assert ServiceType.objects.get().name == "Център за обществена подкрепа"


def test_the_ten_activities_of_the_law_are_generic_types(db):
    service_types_load()
    for activity in Activity.values:
        assert ServiceType.objects.filter(code=activity, activity=activity).exists()


def test_residential_care_and_shelter_are_planned_at_regional_level(db):
    service_types_load()
    for service_type in ServiceType.objects.filter(activity__in=["residential", "shelter"]).exclude(
        code="foster_care"
    ):
        assert service_type.level == ServiceType.Level.REGIONAL, service_type.code
        assert service_type.is_residential


def test_a_row_with_an_unknown_activity_is_refused_with_its_line_and_nothing_is_saved(db, tmp_path):
    path = _write(
        tmp_path,
        "types.csv",
        TYPES_HEADER
        + "cop,ЦОП,Център за обществена подкрепа,,information,specialised,municipal,children,false,1\n"
        + "dcdu,ДЦДУ,Дневен център,,day_care,specialised,municipal,children,false,2\n"
        + "bad,,Лоша,,cooking,specialised,municipal,all,false,3\n",
    )

    with pytest.raises(ValidationError) as caught:
        service_types_load(path=path)

    message = " ".join(caught.value.messages)
    assert "types.csv" in message
    assert "line 4" in message
    assert "activity" in message
    assert ServiceType.objects.count() == 0


def test_a_duplicate_code_is_refused(db, tmp_path):
    row = "cop,ЦОП,Център за обществена подкрепа,,information,specialised,municipal,children,false,1\n"
    path = _write(tmp_path, "types.csv", TYPES_HEADER + row + row)

    with pytest.raises(ValidationError) as caught:
        service_types_load(path=path)

    assert "line 3" in caught.value.messages[0]
    assert ServiceType.objects.count() == 0


def test_a_bad_boolean_and_a_short_row_are_refused(db, tmp_path):
    bad_bool = _write(
        tmp_path, "a.csv", TYPES_HEADER + "cop,ЦОП,Център,,information,specialised,municipal,all,maybe,1\n"
    )
    short = _write(tmp_path, "b.csv", TYPES_HEADER + "cop,ЦОП,Център\n")
    no_column = _write(tmp_path, "c.csv", "code,name\ncop,Център\n")

    for path, expected in ((bad_bool, "line 2"), (short, "line 2"), (no_column, "line 1")):
        with pytest.raises(ValidationError) as caught:
            service_types_load(path=path)
        assert expected in caught.value.messages[0]
        assert path.name in caught.value.messages[0]


def test_a_standard_for_an_unknown_type_is_refused_and_no_standard_is_saved(db, tmp_path):
    service_types_load()
    path = _write(
        tmp_path,
        "standards.csv",
        STANDARDS_HEADER
        + "cop,per_1000,0,17,5,0,2021-04-13,test,false\n"
        + "nosuch,per_1000,0,17,5,0,2021-04-13,test,false\n",
    )

    with pytest.raises(ValidationError) as caught:
        planning_standards_load(path=path)

    message = caught.value.messages[0]
    assert "line 3" in message and "nosuch" in message
    assert PlanningStandard.objects.count() == 0


def test_a_standard_with_a_negative_value_or_bad_kind_is_refused(db, tmp_path):
    service_types_load()
    for row in (
        "cop,per_1000,0,17,-1,0,2021-04-13,test,false\n",
        "cop,per_street,0,17,1,0,2021-04-13,test,false\n",
        "cop,per_1000,17,3,1,0,2021-04-13,test,false\n",
        "cop,per_1000,0,17,1,0,13.04.2021,test,false\n",
    ):
        path = _write(tmp_path, "standards.csv", STANDARDS_HEADER + row)
        with pytest.raises(ValidationError) as caught:
            planning_standards_load(path=path)
        assert "line 2" in caught.value.messages[0]
    assert PlanningStandard.objects.count() == 0


def test_every_standard_refers_to_a_known_type():
    codes = {row["code"] for row in _csv_rows(SERVICE_TYPES_FILE)}
    for row in _csv_rows(PLANNING_STANDARDS_FILE):
        assert row["service_type"] in codes, row


def test_standards_are_plausible_and_cite_their_source():
    for row in _csv_rows(PLANNING_STANDARDS_FILE):
        value = Decimal(row["value"])
        assert value > 0, row
        if row["kind"] == "per_1000":
            assert value <= 50, row  # places per 1 000 of the group: a guard against a misplaced comma
        else:
            assert value <= 5, row
        assert row["source"], row
        if row["is_confirmed"] == "false":
            assert "[U]" in row["source"], row


def test_the_command_loads_both_files_or_only_the_types(db):
    out = StringIO()
    call_command("load_service_types", "--no-standards", stdout=out)
    assert ServiceType.objects.exists() and not PlanningStandard.objects.exists()
    call_command("load_service_types", stdout=out)
    assert PlanningStandard.objects.count() == len(_csv_rows(PLANNING_STANDARDS_FILE))
    assert "Planning standards" in out.getvalue()


# --- Service description cards ------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["persons", "children"])
def test_card_fields_are_well_formed(variant):
    fields = card_fields(variant)
    keys = [field["key"] for field in fields]
    assert len(keys) == len(set(keys))
    assert 20 <= len(fields) <= 50
    for field in fields:
        assert field["type"] in CARD_TYPES, field
        assert field["label"] and field["label_en"] and field["section"], field
        if field["type"] == "choice":
            assert field["choices"], field
        for parts in field.get("sums", []):
            assert set(parts) <= set(keys), field
        if "at_most" in field:
            assert field["at_most"] in keys, field


def test_the_childrens_card_has_child_specific_fields():
    persons = {field["key"] for field in CARD_FIELDS["persons"]}
    children = {field["key"] for field in CARD_FIELDS["children"]}
    assert {"children_referred_ozd", "children_reintegrated", "children_in_school"} <= children - persons


def test_card_fields_returns_a_copy():
    card_fields("persons")[0]["label"] = "changed"
    assert CARD_FIELDS["persons"][0]["label"] != "changed"


def _complete(variant: str) -> dict:
    answers = {}
    for field in CARD_FIELDS[variant]:
        answers[field["key"]] = {
            "integer": 0,
            "decimal": "0",
            "text": "текст",
            "date": "31.12.2024",
            "boolean": True,
            "choice": (field.get("choices") or [{"value": ""}])[0]["value"],
        }[field["type"]]
    answers["capacity"] = 10
    return answers


@pytest.mark.parametrize("variant", ["persons", "children"])
def test_a_complete_card_is_valid(variant):
    assert card_validate(variant, _complete(variant)) == {}


def test_card_validate_reports_missing_required_fields():
    errors = card_validate("persons", {})
    required = {field["key"] for field in CARD_FIELDS["persons"] if field["required"]}
    assert set(errors) == required


def test_card_validate_reports_type_min_and_choice_errors():
    answers = _complete("children")
    answers.update(
        users_new="много",
        staff_positions="1,5",
        staff_filled="2",
        waiting_list=-1,
        financing="gift",
        opened_on="31.02.2024",
        premises_accessible="maybe",
        capacity=0,
    )

    errors = card_validate("children", answers)

    assert set(errors) == {
        "users_new",
        "staff_filled",
        "waiting_list",
        "financing",
        "opened_on",
        "premises_accessible",
        "capacity",
    }


def test_card_validate_checks_that_the_parts_add_up():
    answers = _complete("persons")
    answers.update(users_total=10, users_male=4, users_female=5, users_age_18_34=10, users_disabilities=11)

    errors = card_validate("persons", answers)

    assert set(errors) == {"users_total", "users_disabilities"}


def test_card_validate_refuses_an_unknown_variant():
    assert set(card_validate("pets", {})) == {"variant"}
