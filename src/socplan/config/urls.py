from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("", include("socplan.territory.api_urls")),
    path("", include("socplan.organizations.api_urls")),
    path("", include("socplan.plans.api_urls")),
    path("", include("socplan.social_services.api_urls")),
    path("archive/", include("socplan.archive.api_urls")),
]

urlpatterns = [
    path("api/v1/", include((api_v1, "api"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("admin/", admin.site.urls),
    path("", include("socplan.core.urls")),
    path("territory/", include("socplan.territory.urls")),
    path("organizations/", include("socplan.organizations.urls")),
    path("plans/", include("socplan.plans.urls")),
    path("services/", include("socplan.social_services.urls")),
    path("monitoring/", include("socplan.monitoring.urls")),
    path("archive/", include("socplan.archive.urls")),
]

admin.site.site_header = "socplan"
admin.site.site_title = "socplan"

if settings.DEBUG and "debug_toolbar" in settings.INSTALLED_APPS:  # pragma: no cover
    urlpatterns += [path("__debug__/", include("debug_toolbar.urls"))]
