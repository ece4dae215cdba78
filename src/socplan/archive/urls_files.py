from django.urls import path

from . import links

urlpatterns = [
    path("<str:token>/", links.file_serve, name="file"),
]
