from django.urls import path

from . import views

app_name = "organizations"

urlpatterns = [
    path("", views.organization_list, name="organization-list"),
    path("new/", views.organization_create, name="organization-create"),
    path("<int:pk>/", views.organization_detail, name="organization-detail"),
    path("<int:pk>/edit/", views.organization_update, name="organization-update"),
    path("<int:organization_pk>/bodies/new/", views.body_create, name="body-create"),
    path("bodies/<int:pk>/", views.body_detail, name="body-detail"),
    path("bodies/<int:pk>/orders/", views.appointment_create, name="appointment-create"),
    path("bodies/<int:pk>/members/", views.membership_create, name="membership-create"),
    path("bodies/<int:pk>/members/<int:membership_pk>/end/", views.membership_end, name="membership-end"),
]
