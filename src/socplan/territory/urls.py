from django.urls import path

from . import views

app_name = "territory"

urlpatterns = [
    path("", views.region_list, name="region-list"),
    path("regions/<str:code>/", views.region_detail, name="region-detail"),
    path("municipalities/<str:code>/", views.municipality_detail, name="municipality-detail"),
    path("population/upload/", views.population_upload, name="population-upload"),
]
