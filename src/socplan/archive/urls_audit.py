from django.urls import path

from . import views_audit

urlpatterns = [
    path("", views_audit.access_log, name="access_log"),
    path("export.csv", views_audit.access_log_export, name="access_log_export"),
]
