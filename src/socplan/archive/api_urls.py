from django.urls import path

from . import api

urlpatterns = [
    path("persons/<str:identifier>/documents/", api.PersonDocumentsApi.as_view(), name="archive-person-documents"),
    # Incoming numbers contain "/" (ДСП-СФ-00012/05.03.2024): the number is the rest of the path.
    path("incoming/<path:number>/documents/", api.IncomingDocumentsApi.as_view(), name="archive-incoming-documents"),
    path("documents/", api.DocumentIngestApi.as_view(), name="archive-document-ingest"),
    path("documents/<int:pk>/", api.DocumentDetailApi.as_view(), name="archive-document-detail"),
]
