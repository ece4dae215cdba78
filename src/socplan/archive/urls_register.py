"""The incoming register and the e-delivery inbox (included at /archive/register/, namespace "archive")."""

from django.urls import path

from . import views_register as views

urlpatterns = [
    path("", views.register_list, name="register_list"),
    path("new/", views.register_create, name="register_create"),
    path("export.csv", views.register_export, name="register_export"),
    path("<int:pk>/", views.register_detail, name="register_detail"),
    path("settings/<int:directorate_pk>/", views.register_settings, name="register_settings"),
    path("inbox/", views.inbox_list, name="inbox_list"),
    path("inbox/<int:pk>/", views.inbox_detail, name="inbox_detail"),
    path("inbox/<int:pk>/retry/", views.inbox_retry, name="inbox_retry"),
]
