"""Administration of the plans app: the list of target groups (editable by the national
administrator) and a read-mostly view of plans for support work. Plans are edited in the
application, where the services check levels, periods and concurrent edits."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Comment, ImportJob, Plan, PlanExport, PlanVersion, TargetGroup


@admin.register(TargetGroup)
class TargetGroupAdmin(SimpleHistoryAdmin):
    list_display = ["name", "name_en", "code", "order", "is_active"]
    list_editable = ["order", "is_active"]
    search_fields = ["name", "name_en", "code"]


class VersionInline(admin.TabularInline):
    model = PlanVersion
    fields = ["number", "status", "revision", "based_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(Plan)
class PlanAdmin(SimpleHistoryAdmin):
    list_display = ["title", "kind", "region", "municipality", "period_start", "period_end", "status", "is_public"]
    list_filter = ["kind", "status", "is_public", "region"]
    search_fields = ["title"]
    raw_id_fields = ["municipality", "owner", "implements", "current_version"]
    readonly_fields = ["status", "current_version", "is_public"]
    inlines = [VersionInline]


@admin.register(Comment)
class CommentAdmin(SimpleHistoryAdmin):
    list_display = ["consultation", "organization_name", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["consultation", "node", "moderated_by"]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["filename", "plan", "status", "size", "created_at", "created_by"]
    list_filter = ["status"]
    readonly_fields = ["plan", "version", "filename", "sha256", "size", "status", "result", "created_by"]


@admin.register(PlanExport)
class PlanExportAdmin(admin.ModelAdmin):
    list_display = ["version", "fmt", "language", "revision", "status", "finished_at"]
    list_filter = ["status", "fmt"]
    readonly_fields = ["version", "fmt", "language", "revision", "status", "file", "error", "started_at", "finished_at"]
