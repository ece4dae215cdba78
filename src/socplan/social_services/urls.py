from django.urls import path

from . import exchange_views, views

app_name = "social_services"

urlpatterns = [
    path("", views.service_list, name="service-list"),
    path("new/", views.service_create, name="service-create"),
    path("<int:pk>/", views.service_detail, name="service-detail"),
    path("<int:pk>/edit/", views.service_update, name="service-update"),
    path("<int:pk>/cards/<str:variant>/", views.card_edit, name="card-edit"),
    path("as-of/", views.register_as_of, name="register-as-of"),
    path("gap/", views.gap_view, name="gap"),
    path("institutions/", views.institution_list, name="institution-list"),
    path("institutions/new/", views.institution_edit, name="institution-create"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution-detail"),
    path("institutions/<int:pk>/edit/", views.institution_edit, name="institution-update"),
    path("exchange/import/", exchange_views.import_view, name="import"),
    path("exchange/import/<int:pk>/", exchange_views.import_job, name="import-job"),
    path("exchange/template/<str:kind>.<str:fmt>", exchange_views.template_view, name="import-template"),
    path("exchange/export/<str:kind>.<str:fmt>", exchange_views.export_view, name="export"),
    path("public/", views.catalogue, name="catalogue"),
    path("public/map/", views.public_map, name="public-map"),
    path("public/<int:pk>/", views.public_service, name="public-service"),
]
