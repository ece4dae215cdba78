"""The archive's editable lists (document types, legal bases, e-delivery routes) for administrators.

Documents, dossiers and register entries are not edited or deleted here: the archive keeps them,
and only a destruction act removes files (see retention.py).
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import DocumentType, LegalBasis, Route


@admin.register(DocumentType)
class DocumentTypeAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "retention_years", "is_active", "order")
    list_editable = ("retention_years", "is_active", "order")
    search_fields = ("name", "code")

    def has_delete_permission(self, request, obj=None):
        # A type in use stays in the list; it is switched off instead.
        return False


@admin.register(LegalBasis)
class LegalBasisAdmin(SimpleHistoryAdmin):
    list_display = ("name", "code", "is_active", "order")
    list_editable = ("is_active", "order")
    search_fields = ("name", "code")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "document_type", "team_name", "order")
    search_fields = ("name", "code", "keywords")
