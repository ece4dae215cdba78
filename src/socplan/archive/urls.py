from django.urls import include, path

from . import views

app_name = "archive"

urlpatterns = [
    path("", views.home, name="home"),
    path("upload/", views.upload, name="upload"),
    path("batches/<int:pk>/", views.batch, name="batch"),
    path("documents/<int:pk>/", views.document, name="document"),
    path("documents/<int:pk>/retry/", views.document_retry, name="document_retry"),
    path("documents/<int:pk>/pages/<int:number>/", views.page, name="page"),
    path("dossiers/<int:pk>/", views.dossier, name="dossier"),
    path("id-card/", views.id_card, name="id_card"),
    path("retention/", views.retention, name="retention"),
    path("retention/<int:pk>/", views.retention_act, name="retention_act"),
    path("register/", include("socplan.archive.urls_register")),
    path("files/", include("socplan.archive.urls_files")),
    path("access-log/", include("socplan.archive.urls_audit")),
    path("clients/", include("socplan.archive.urls_clients")),
]
