"""Loading the official territory data (idempotent: a second run changes nothing)."""

import csv
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from socplan.core.cache import bump_data_version

from .geo import bbox_str, svg_path
from .models import Mayoralty, Municipality, PlanningRegion, PopulationFigure, Region, Settlement, search_key

DATA_DIR = Path(__file__).resolve().parent / "data"

SOURCE_MUNICIPAL_POPULATION = "НСИ: Население по области, общини, местоживеене и пол (Pop_6.1.1)"
SOURCE_REGIONAL_AGE = "НСИ: Население по области, възраст, местоживеене и пол към 31.12.2024"

SETTLEMENT_KINDS = {"гр.": Settlement.Kind.TOWN, "с.": Settlement.Kind.VILLAGE, "ман.": Settlement.Kind.MONASTERY}


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, created: int, updated: int) -> None:
        self.created[name] = created
        self.updated[name] = updated

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _geometries(path: Path, key: str) -> dict[str, dict]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {f["properties"][key]: f["geometry"] for f in data["features"]}


def _shape(geometry: dict | None) -> dict:
    if not geometry:
        return {"svg_path": "", "bbox": ""}
    path, bbox = svg_path(geometry)
    return {"svg_path": path, "bbox": bbox_str(bbox)}


def _sync(model, rows: dict, key: Callable, *, create: Callable) -> tuple[int, int]:
    """Make the table hold exactly these values for these keys; return (created, updated)."""
    existing = {key(obj): obj for obj in model.objects.all()}
    to_create, to_update, fields = [], [], set()
    for row_key, values in rows.items():
        obj = existing.get(row_key)
        if obj is None:
            to_create.append(create(row_key, values))
            continue
        diff = [name for name, value in values.items() if getattr(obj, name) != value]
        if diff:
            for name in diff:
                setattr(obj, name, values[name])
            to_update.append(obj)
            fields.update(diff)
    has_history = hasattr(model, "history")
    if to_create:
        if has_history:
            bulk_create_with_history(to_create, model, batch_size=500)
        else:
            model.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        if has_history:
            bulk_update_with_history(to_update, model, sorted(fields), batch_size=500)
        else:
            model.objects.bulk_update(to_update, sorted(fields), batch_size=500)
    return len(to_create), len(to_update)


def _by_code(model, rows: dict, code_field: str = "code") -> tuple[int, int]:
    return _sync(
        model,
        rows,
        key=lambda obj: getattr(obj, code_field),
        create=lambda code, values: model(**{code_field: code}, **values),
    )


def _names(row: dict) -> dict:
    return {"name_bg": row["name_bg"], "name_en": row["name_en"], "search_name": search_key(row["name_bg"], row["name_en"])}


def _require(mapping: dict, code: str, what: str, file: str, line: int):
    try:
        return mapping[code]
    except KeyError:
        raise ValidationError(
            _("%(file)s, line %(line)d: unknown %(what)s code “%(code)s”.")
            % {"file": file, "line": line, "what": what, "code": code}
        ) from None


def _int_or_none(value: str):
    return int(value) if value not in ("", None) else None


@transaction.atomic
def territory_load(*, data_dir: Path = DATA_DIR) -> LoadReport:
    """Load regions, municipalities, mayoralties, settlements, population and boundaries.

    Keyed on the official codes, so running it again changes only what the files changed. Any
    inconsistency (a settlement of an unknown municipality, …) aborts the whole load.
    """
    report = LoadReport()
    ekatte, population, geo = data_dir / "ekatte", data_dir / "population", data_dir / "geo"

    nuts2_shapes = _geometries(geo / "planning_regions_nuts2.geojson", "nuts2")
    rows = {
        r["nuts_code"]: {
            **_names(r),
            "level": int(r["level"]),
            "parent_code": r["parent_nuts"],
            **_shape(nuts2_shapes.get(r["nuts_code"])),
        }
        for r in _read_csv(ekatte / "nuts_regions.csv")
    }
    report.add("planning regions", *_by_code(PlanningRegion, rows))

    region_shapes = _geometries(geo / "regions.geojson", "oblast_code")
    rows = {
        r["oblast_code"]: {
            **_names(r),
            "nuts1": r["nuts1"],
            "nuts2": r["nuts2"],
            "nuts3": r["nuts3"],
            "center_ekatte": r["center_ekatte"],
            **_shape(region_shapes.get(r["oblast_code"])),
        }
        for r in _read_csv(ekatte / "regions.csv")
    }
    report.add("regions", *_by_code(Region, rows))
    region_ids = dict(Region.objects.values_list("code", "id"))

    ebk = {r["obshtina_code"]: r["ebk_code"] for r in _read_csv(population / "municipality_population_2023_2025.csv")}
    municipality_shapes = _geometries(geo / "municipalities.geojson", "obshtina_code")
    rows = {}
    for line, r in enumerate(_read_csv(ekatte / "municipalities.csv"), start=2):
        rows[r["obshtina_code"]] = {
            **_names(r),
            "region_id": _require(region_ids, r["oblast_code"], _("region"), "municipalities.csv", line),
            "nuts3": r["nuts3"],
            "center_ekatte": r["center_ekatte"],
            "category": _int_or_none(r["category"]),
            "ebk_code": ebk.get(r["obshtina_code"], ""),
            **_shape(municipality_shapes.get(r["obshtina_code"])),
        }
    report.add("municipalities", *_by_code(Municipality, rows))
    municipality_ids = dict(Municipality.objects.values_list("code", "id"))

    rows = {}
    for line, r in enumerate(_read_csv(ekatte / "mayoralties.csv"), start=2):
        rows[r["kmetstvo_code"]] = {
            **_names(r),
            "municipality_id": _require(municipality_ids, r["obshtina_code"], _("municipality"), "mayoralties.csv", line),
            "center_ekatte": r["center_ekatte"],
            "category": _int_or_none(r["category"]),
        }
    report.add("mayoralties", *_by_code(Mayoralty, rows))
    mayoralty_ids = dict(Mayoralty.objects.values_list("code", "id"))

    rows = {}
    for line, r in enumerate(_read_csv(ekatte / "settlements.csv"), start=2):
        code = r["kmetstvo_code"]
        rows[r["ekatte"]] = {
            **_names(r),
            "kind": _require(SETTLEMENT_KINDS, r["settlement_type"], _("settlement type"), "settlements.csv", line),
            "municipality_id": _require(municipality_ids, r["obshtina_code"], _("municipality"), "settlements.csv", line),
            "mayoralty_id": None if code.endswith("-00") else _require(mayoralty_ids, code, _("mayoralty"), "settlements.csv", line),
            "category": _int_or_none(r["category"]),
            "altitude_band": r["altitude_band_m"],
        }
    report.add("settlements", *_by_code(Settlement, rows, "ekatte"))

    report.add("population", *_load_population(population, region_ids, municipality_ids))
    if report.changed:
        bump_data_version()  # bulk writes send no signals
    return report


def _population_rows(population: Path, region_ids: dict, municipality_ids: dict) -> Iterable[tuple[tuple, dict]]:
    file = "municipality_population_2023_2025.csv"
    for line, r in enumerate(_read_csv(population / file), start=2):
        municipality_id = _require(municipality_ids, r["obshtina_code"], _("municipality"), file, line)
        for column, day in (("pop_2023_12_31", date(2023, 12, 31)), ("pop_2024_12_31", date(2024, 12, 31)), ("pop_2025_12_31", date(2025, 12, 31))):
            yield (r["obshtina_code"], day, "all", "total", "total"), {
                "region_id": None,
                "municipality_id": municipality_id,
                "age_from": None,
                "age_to": None,
                "value": int(r[column]),
                "is_estimate": False,
                "source": SOURCE_MUNICIPAL_POPULATION,
            }

    file = "region_population_by_age_2024.csv"
    day = date(2024, 12, 31)
    columns = [
        (sex, residence, f"{residence}_{sex}" if residence != "total" else sex)
        for residence in ("total", "urban", "rural")
        for sex in ("total", "male", "female")
    ]
    totals: dict[tuple, int] = {}
    for line, r in enumerate(_read_csv(population / file), start=2):
        unit = r["oblast_code"]
        region_id = None if unit == "BG" else _require(region_ids, unit, _("region"), file, line)
        age_from, age_to = int(r["age_from"]), _int_or_none(r["age_to"])
        group = f"{age_from}+" if age_to is None else f"{age_from}-{age_to}"
        for sex, residence, column in columns:
            value = int(r[column])
            totals[(unit, region_id, sex, residence)] = totals.get((unit, region_id, sex, residence), 0) + value
            yield (unit, day, group, sex, residence), {
                "region_id": region_id,
                "municipality_id": None,
                "age_from": age_from,
                "age_to": age_to,
                "value": value,
                "is_estimate": False,
                "source": SOURCE_REGIONAL_AGE,
            }
    for (unit, region_id, sex, residence), value in totals.items():
        yield (unit, day, "all", sex, residence), {
            "region_id": region_id,
            "municipality_id": None,
            "age_from": None,
            "age_to": None,
            "value": value,
            "is_estimate": False,
            "source": SOURCE_REGIONAL_AGE,
        }


def _load_population(population: Path, region_ids: dict, municipality_ids: dict) -> tuple[int, int]:
    rows = dict(_population_rows(population, region_ids, municipality_ids))
    return _sync(
        PopulationFigure,
        rows,
        key=lambda o: (o.unit_code, o.reference_date, o.age_group, o.sex, o.residence),
        create=lambda k, values: PopulationFigure(
            unit_code=k[0], reference_date=k[1], age_group=k[2], sex=k[3], residence=k[4], **values
        ),
    )
