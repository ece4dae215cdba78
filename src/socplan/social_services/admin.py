"""Administration: the reference lists (service types, planning standards) that the national
administrator maintains, and a support view of the register (changes go through the pages)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import PlanningStandard, Service, ServiceCard, ServiceType, SpecializedInstitution


@admin.register(ServiceType)
class ServiceTypeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "abbreviation", "code", "activity", "scope", "level", "users", "order", "is_active"]
    list_filter = ["activity", "scope", "level", "users", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["name", "name_en", "abbreviation", "code"]


@admin.register(PlanningStandard)
class PlanningStandardAdmin(SimpleHistoryAdmin):
    """A changed norm is a new row with a later "valid from", so earlier analyses can be repeated."""

    list_display = ["service_type", "kind", "value", "age_from", "age_to", "min_population", "valid_from", "is_confirmed"]
    list_filter = ["kind", "is_confirmed", "service_type__level"]
    search_fields = ["service_type__name", "source"]


@admin.register(Service)
class ServiceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "service_type", "municipality", "provider", "capacity", "status", "is_published", "is_demo"]
    list_filter = ["status", "service_type", "region", "is_published", "is_demo"]
    search_fields = ["name", "external_id", "licence_number"]
    raw_id_fields = ["provider", "municipality", "settlement", "region"]


@admin.register(SpecializedInstitution)
class SpecializedInstitutionAdmin(SimpleHistoryAdmin):
    list_display = ["name", "users", "municipality", "capacity", "status", "target_date"]
    list_filter = ["status", "users", "region"]
    raw_id_fields = ["municipality", "operator", "region"]
    filter_horizontal = ["replaced_by"]


@admin.register(ServiceCard)
class ServiceCardAdmin(SimpleHistoryAdmin):
    list_display = ["service", "variant", "period_start", "period_end", "status"]
    list_filter = ["variant", "status"]
    raw_id_fields = ["service"]
