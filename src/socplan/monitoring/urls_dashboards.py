"""The dashboards of monitoring (included by monitoring/urls.py under the "monitoring" namespace)."""

from django.urls import path

from .views import dashboards

urlpatterns = [
    path("dashboard/", dashboards.dashboard, name="dashboard"),
    path("dashboard/<str:region_code>/", dashboards.dashboard_region, name="dashboard_region"),
    path("dashboard/<str:region_code>/map/", dashboards.dashboard_indicator_map, name="dashboard_indicator_map"),
    # <region_code> "BG": the national dashboard's tables.
    path("dashboard/<str:region_code>/export.xlsx", dashboards.dashboard_xlsx, name="dashboard_xlsx"),
]
