from django.urls import path

from . import api

urlpatterns = [
    path("regions/", api.RegionListApi.as_view(), name="region-list"),
    path("regions/<str:code>/", api.RegionDetailApi.as_view(), name="region-detail"),
    path("municipalities/", api.MunicipalityListApi.as_view(), name="municipality-list"),
    path("municipalities/<str:code>/", api.MunicipalityDetailApi.as_view(), name="municipality-detail"),
    path("settlements/", api.SettlementListApi.as_view(), name="settlement-list"),
]
