"""Reading the archive, always through archive.access (a directorate reads its own dossiers)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from .access import archive_visible
from .models import Batch, Document, Dossier, Page
from .translit import search_key


def dossier_get(*, user, pk: int) -> Dossier:
    return get_object_or_404(
        archive_visible(Dossier.objects.select_related("directorate", "legal_basis"), user), pk=pk
    )


def document_get(*, user, pk: int) -> Document:
    return get_object_or_404(
        archive_visible(
            Document.objects.select_related("directorate", "dossier", "document_type", "legal_basis", "register_entry"),
            user,
        ),
        pk=pk,
    )


def page_get(*, user, document_pk: int, number: int) -> Page:
    return get_object_or_404(
        archive_visible(Page.objects.select_related("document", "document__dossier"), user),
        document_id=document_pk,
        number=number,
    )


def batch_get(*, user, pk: int) -> Batch:
    return get_object_or_404(archive_visible(Batch.objects.select_related("directorate"), user), pk=pk)


def batch_progress(batch: Batch) -> dict:
    counts = dict(batch.documents.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    done = counts.get(Document.Status.READY, 0) + counts.get(Document.Status.FAILED, 0)
    stored = sum(counts.values())
    return {
        "counts": counts,
        "stored": stored,
        "done": done,
        "pending": stored - done,
        "percent": round(100 * done / stored) if stored else 100,
    }


@dataclass
class Found:
    dossiers: list = field(default_factory=list)
    documents: list = field(default_factory=list)
    # Full-text hits: documents with their best pages and a highlighted snippet.
    hits: list = field(default_factory=list)
    searched: bool = False


def _name_filter(name: str) -> Q:
    q = Q()
    for word in search_key(name).split():
        q &= Q(name_key__contains=word)
    return q


def archive_find(*, user, identifier: str = "", name: str = "", incoming_number: str = "", document_type=None,
                 date_from=None, date_to=None, directorate=None, text: str = "", limit: int = 50) -> Found:
    """Dossiers and documents matching every criterion given; full text ranked with snippets."""
    found = Found(searched=any((identifier, name, incoming_number, document_type, date_from, date_to, directorate, text)))
    if not found.searched:
        return found
    dossiers = archive_visible(Dossier.objects.select_related("directorate"), user)
    documents = archive_visible(
        Document.objects.select_related("directorate", "dossier", "document_type").exclude(status=Document.Status.DESTROYED),
        user,
    )
    if directorate is not None:
        dossiers = dossiers.filter(directorate=directorate)
        documents = documents.filter(directorate=directorate)
    if identifier:
        dossiers = dossiers.filter(person_identifier=identifier)
        documents = documents.filter(dossier__person_identifier=identifier)
    if name:
        dossiers = dossiers.filter(_name_filter(name))
        documents = documents.filter(dossier__in=dossiers)
    if incoming_number:
        documents = documents.filter(
            Q(incoming_number__icontains=incoming_number) | Q(register_entry__number__icontains=incoming_number)
        )
    if document_type is not None:
        documents = documents.filter(document_type=document_type)
    if date_from:
        documents = documents.filter(Q(document_date__gte=date_from) | Q(document_date__isnull=True, incoming_date__gte=date_from))
    if date_to:
        documents = documents.filter(Q(document_date__lte=date_to) | Q(document_date__isnull=True, incoming_date__lte=date_to))
    document_filtered = any((incoming_number, document_type, date_from, date_to, text))
    if document_filtered:
        dossiers = dossiers.filter(pk__in=documents.values("dossier_id"))
    found.dossiers = list(dossiers.order_by("last_name", "first_name")[:limit])
    if text:
        from .search import document_search

        found.hits = document_search(documents, text, limit=limit)
    else:
        found.documents = list(documents.order_by("-created_at")[:limit])
    return found


def dossier_documents(dossier: Dossier) -> QuerySet[Document]:
    return dossier.documents.select_related("document_type", "legal_basis", "register_entry").order_by(
        "-document_date", "-created_at"
    )
