import shutil

import pytest
from django.core.exceptions import ValidationError

from socplan.territory.models import Mayoralty, Municipality, PopulationFigure, Region, Settlement
from socplan.territory.services import DATA_DIR, territory_load


def test_the_official_data_is_loaded_completely(db):
    assert Region.objects.count() == 28
    assert Municipality.objects.count() == 265
    assert Settlement.objects.count() == 5256
    assert Mayoralty.objects.count() == 3041
    vt = Municipality.objects.get(code="VTR04")
    assert (vt.name_bg, vt.name_en, vt.region.code, vt.nuts3) == ("Велико Търново", "Veliko Tarnovo", "VTR", "BG321")
    assert vt.svg_path.startswith("M") and vt.bbox


def test_population_adds_up_to_the_nsi_national_totals(db):
    from django.db.models import Sum

    total = PopulationFigure.objects.filter(
        municipality__isnull=False, reference_date="2025-12-31", age_group="all", sex="total", residence="total"
    ).aggregate(s=Sum("value"))["s"]
    assert total == 6_423_207
    national_2024 = PopulationFigure.objects.get(unit_code="BG", age_group="all", sex="total", residence="total")
    assert national_2024.value == 6_437_360


def test_loading_again_changes_nothing(db):
    report = territory_load()
    assert not report.changed, report


def test_a_changed_name_in_the_file_updates_only_that_row_and_is_audited(db, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "ekatte" / "settlements.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("17467,с.,Градина,", "17467,с.,Градина-Ново,", 1), encoding="utf-8")
    report = territory_load(data_dir=data)
    assert report.updated["settlements"] == 1 and sum(report.created.values()) == 0
    settlement = Settlement.objects.get(ekatte="17467")
    assert settlement.name_bg == "Градина-Ново"
    assert settlement.history.first().name_bg == "Градина-Ново"


def test_an_unknown_municipality_code_aborts_the_whole_load(db, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "ekatte" / "settlements.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",BLG52,", ",BLG99,")
    lines.append("99999,с.,Ново село,Novo selo,VTR,VTR04,VTR04-00,3,5,100-199,BG321")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ValidationError) as error:
        territory_load(data_dir=data)
    assert "BLG99" in str(error.value) and "ред 2" in str(error.value)  # Bulgarian by default
    assert not Settlement.objects.filter(ekatte="99999").exists()
