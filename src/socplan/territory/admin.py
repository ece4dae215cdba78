from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Mayoralty, Municipality, PlanningRegion, PopulationFigure, Region, Settlement


@admin.register(PlanningRegion)
class PlanningRegionAdmin(admin.ModelAdmin):
    list_display = ["code", "level", "name_bg", "name_en"]
    exclude = ["svg_path"]


@admin.register(Region)
class RegionAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name_bg", "name_en", "nuts3"]
    search_fields = ["code", "name_bg", "name_en"]


@admin.register(Municipality)
class MunicipalityAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name_bg", "name_en", "region"]
    list_filter = ["region"]
    search_fields = ["code", "name_bg", "name_en"]


@admin.register(Mayoralty)
class MayoraltyAdmin(admin.ModelAdmin):
    list_display = ["code", "name_bg", "municipality"]
    search_fields = ["code", "name_bg", "name_en"]
    raw_id_fields = ["municipality"]


@admin.register(Settlement)
class SettlementAdmin(SimpleHistoryAdmin):
    list_display = ["ekatte", "kind", "name_bg", "name_en", "municipality"]
    list_filter = ["kind", "municipality__region"]
    search_fields = ["ekatte", "name_bg", "name_en"]
    raw_id_fields = ["municipality", "mayoralty"]


@admin.register(PopulationFigure)
class PopulationFigureAdmin(admin.ModelAdmin):
    list_display = ["unit_code", "reference_date", "age_group", "sex", "residence", "value", "is_estimate"]
    list_filter = ["reference_date", "sex", "residence", "is_estimate"]
    search_fields = ["unit_code"]
    raw_id_fields = ["region", "municipality"]
