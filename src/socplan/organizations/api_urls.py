from django.urls import path

from . import api

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="me"),
    path("organizations/", api.OrganizationListApi.as_view(), name="organization-list"),
    path("organizations/create/", api.OrganizationCreateApi.as_view(), name="organization-create"),
    path("organizations/<int:pk>/", api.OrganizationDetailApi.as_view(), name="organization-detail"),
    path("organizations/<int:pk>/update/", api.OrganizationUpdateApi.as_view(), name="organization-update"),
    path("bodies/", api.BodyListApi.as_view(), name="body-list"),
    path("bodies/<int:pk>/", api.BodyDetailApi.as_view(), name="body-detail"),
    path("bodies/<int:pk>/orders/", api.AppointmentCreateApi.as_view(), name="appointment-create"),
    path("bodies/<int:pk>/members/", api.MembershipCreateApi.as_view(), name="membership-create"),
]
