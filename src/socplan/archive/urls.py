from django.urls import include, path

app_name = "archive"

urlpatterns = [
    path("register/", include("socplan.archive.urls_register")),
    path("files/", include("socplan.archive.urls_files")),
    path("access-log/", include("socplan.archive.urls_audit")),
    path("clients/", include("socplan.archive.urls_clients")),
]
