from django.urls import path

from . import views_clients

urlpatterns = [
    path("", views_clients.client_list, name="client_list"),
    path("new/", views_clients.client_create, name="client_create"),
    path("<int:pk>/", views_clients.client_detail, name="client_detail"),
    path("<int:pk>/token/", views_clients.client_rotate, name="client_rotate"),
    path("<int:pk>/deactivate/", views_clients.client_deactivate, name="client_deactivate"),
    path("<int:pk>/activate/", views_clients.client_activate, name="client_activate"),
]
