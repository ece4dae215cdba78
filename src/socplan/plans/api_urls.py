from django.urls import path

from . import api

urlpatterns = [
    path("plans/", api.PlanListApi.as_view(), name="plan-list"),
    path("plans/<int:pk>/", api.PlanDetailApi.as_view(), name="plan-detail"),
]
