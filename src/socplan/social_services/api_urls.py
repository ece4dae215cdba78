from django.urls import path

from . import api

urlpatterns = [
    path("services/", api.ServiceListApi.as_view(), name="service-list"),
    path("services/create/", api.ServiceCreateApi.as_view(), name="service-create"),
    path("services/gap/", api.GapApi.as_view(), name="service-gap"),
    path("services/<int:pk>/", api.ServiceDetailApi.as_view(), name="service-detail"),
    path("services/<int:pk>/update/", api.ServiceUpdateApi.as_view(), name="service-update"),
    path("services/<int:pk>/occupancy/", api.OccupancyApi.as_view(), name="service-occupancy"),
]
