"""URLs of a plan's evaluations (included by monitoring/urls.py, namespace "monitoring")."""

from django.urls import path

from .views import evaluations

urlpatterns = [
    path("plans/<int:plan_pk>/evaluations/", evaluations.evaluation_list, name="evaluation_list"),
    path("plans/<int:plan_pk>/evaluations/new/", evaluations.evaluation_create, name="evaluation_create"),
    path("evaluations/<int:pk>/", evaluations.evaluation_detail, name="evaluation_detail"),
    path("evaluations/<int:pk>/edit/", evaluations.evaluation_update, name="evaluation_update"),
    path("evaluations/<int:pk>/findings/", evaluations.evaluation_finding_add, name="evaluation_finding_add"),
    path("evaluations/<int:pk>/findings/<int:finding_pk>/", evaluations.evaluation_finding_edit, name="evaluation_finding_edit"),
    path("evaluations/<int:pk>/complete/", evaluations.evaluation_complete, name="evaluation_complete"),
    path("evaluations/<int:pk>/start-update/", evaluations.evaluation_start_update, name="evaluation_start_update"),
    path("evaluations/<int:pk>/link-update/", evaluations.evaluation_link_update, name="evaluation_link_update"),
]
