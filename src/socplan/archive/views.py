"""Pages of the archive: search, upload with progress, a document with its suggested metadata, the
page viewer, a person's dossier, and reading an identity card.

Every page that shows a person's documents writes a row of the personal-data access log.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from socplan.core.forms import add_service_errors
from socplan.core.scoping import can_edit

from . import mrz, selectors, services
from .access import archive_check, directorates_writable, is_auditor
from .forms import DossierOpenForm, HoldForm, IdCardForm, MetadataForm, SearchForm, UploadForm
from .models import Document, Dossier, IdentifierKind

PAGE_SIZE = 25


def _read_logged(request, dossier: Dossier | None, what: str, object_id) -> None:
    if dossier is not None:
        services.dossier_read_log(request=request, dossier=dossier, object_type=what, object_id=object_id)


def _person(identifier: str) -> dict:
    """What the ЕГН says of its holder (birth date and sex), for the pages."""
    born, sex = services.egn_facts(identifier)
    if not sex:
        return {}
    return {"birth_date": born, "sex": _("female") if sex == "f" else _("male")}


@login_required
def home(request):
    archive_check(request.user)
    form = SearchForm(request.GET or None, user=request.user)
    found = selectors.Found()
    if form.is_bound and form.is_valid():
        found = selectors.archive_find(user=request.user, **form.cleaned_data)
        if form.cleaned_data["identifier"]:
            # Looking a person up by identifier is a read of their data, whatever it finds.
            services.person_read_log(
                request=request, person_identifier=form.cleaned_data["identifier"], object_type="archive.search",
                identifier_kind=found.dossiers[0].identifier_kind if found.dossiers else IdentifierKind.EGN,
                purpose=_("search by identifier"),
            )
    return render(request, "archive/home.html", {
        "form": form,
        "found": found,
        "can_upload": directorates_writable(request.user).exists(),
        "text_query": form.cleaned_data.get("text", "") if form.is_bound and form.is_valid() else "",
        "is_auditor": is_auditor(request.user),
    })


@csrf_exempt
def upload(request):
    # The upload handlers can be changed only before the body is read, and the CSRF check reads
    # it: so the check runs inside, after the size limit is in place.
    from .uploads import size_limit_install

    size_limit_install(request)
    return _upload(request)


@login_required
@csrf_protect
def _upload(request):
    archive_check(request.user)
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    if not form.fields["directorate"].queryset.exists():
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        files = form.cleaned_data["files"]
        if files or getattr(request, "archive_oversized", None):
            batch, results = services.batch_ingest(
                directorate=form.cleaned_data["directorate"], files=files, source=Document.Source.UPLOAD, user=request.user,
                refused=[(name, services.too_big_message()) for name in getattr(request, "archive_oversized", [])],
            )
            new = sum(1 for r in results if r.created)
            messages.success(request, ngettext(
                "%(n)d file received.", "%(n)d files received.", len(files)) % {"n": len(files)}
                + " " + ngettext("%(n)d new document is being processed.", "%(n)d new documents are being processed.", new) % {"n": new})
            return redirect("archive:batch", pk=batch.pk)
    return render(request, "archive/upload.html", {"form": form})


@login_required
def batch(request, pk: int):
    archive_check(request.user)
    batch = selectors.batch_get(user=request.user, pk=pk)
    progress = selectors.batch_progress(batch)
    documents = batch.documents.select_related("document_type").order_by("pk")
    context = {"batch": batch, "progress": progress, "documents": documents}
    if request.htmx:
        return render(request, "archive/partials/_batch_progress.html", context)
    return render(request, "archive/batch.html", context)


@login_required
def document(request, pk: int):
    archive_check(request.user)
    document = selectors.document_get(user=request.user, pk=pk)
    editable = can_edit(request.user, document)
    suggestions = document.suggestions or {}
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = MetadataForm(request.POST)
        if form.is_valid():
            try:
                services.document_metadata_confirm(document=document, user=request.user, data=form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("The metadata is saved."))
                return redirect("archive:document", pk=document.pk)
    else:
        form = MetadataForm(initial=_metadata_initial(document, suggestions))
    _read_logged(request, document.dossier, "archive.document", document.pk)
    pages = list(document.pages.only("pk", "number", "document_id").order_by("number"))
    return render(request, "archive/document.html", {
        "document": document,
        "form": form,
        "editable": editable,
        "suggestions": suggestions,
        "pages": pages,
        "person": _person(document.dossier.person_identifier if document.dossier else ""),
        "pdf_link": _link(request, document, "pdf"),
        "first_page_link": _link(request, document, "page-1") if pages and document.status == Document.Status.READY else "",
        "suggested_dates": [datetime.date.fromisoformat(d) for d in suggestions.get("dates", [])[:12]],
    })


def _metadata_initial(document: Document, suggestions: dict) -> dict:
    """The form as saved, or, before anyone confirmed it, as the text suggests."""
    initial = {
        "document_type": document.document_type_id,
        "legal_basis": document.legal_basis_id,
        "title": document.title,
        "document_date": document.document_date,
        "incoming_number": document.incoming_number,
        "incoming_date": document.incoming_date,
    }
    if document.dossier_id:
        dossier = document.dossier
        initial.update(
            person_identifier=dossier.person_identifier, first_name=dossier.first_name, middle_name=dossier.middle_name,
            last_name=dossier.last_name, id_document_number=dossier.id_document_number, citizenship=dossier.citizenship,
        )
    if document.confirmed_at:
        return initial
    from .models import DocumentType

    if not initial["document_type"] and suggestions.get("document_type"):
        initial["document_type"] = DocumentType.objects.filter(code=suggestions["document_type"]).values_list("pk", flat=True).first()
    identifiers = suggestions.get("identifiers") or []
    if identifiers and not initial.get("person_identifier"):
        first = identifiers[0]
        initial["person_identifier"] = first["value"]
        initial.update(first.get("name") or {})
    if not initial["incoming_number"] and suggestions.get("incoming_numbers"):
        initial["incoming_number"] = suggestions["incoming_numbers"][0]
    if not initial["document_date"] and suggestions.get("dates"):
        initial["document_date"] = suggestions["dates"][-1]
    return initial


def _link(request, document: Document, what: str) -> str:
    """A signed, expiring address of the document's PDF or a page image (see links.py)."""
    from . import links

    if what == "pdf" and not document.pdf:
        return ""
    url, _expires = links.sign(document, what, user=request.user)
    return url


@login_required
@require_POST
def document_retry(request, pk: int):
    archive_check(request.user)
    document = selectors.document_get(user=request.user, pk=pk)
    if not can_edit(request.user, document):
        raise PermissionDenied
    from .processing import document_retry as retry

    if document.status != Document.Status.FAILED:
        messages.info(request, _("The document is not in a failed state."))
    else:
        retry(document)
        messages.success(request, _("The document is queued for processing again."))
    return redirect("archive:document", pk=document.pk)


@login_required
def page(request, pk: int, number: int):
    archive_check(request.user)
    page = selectors.page_get(user=request.user, document_pk=pk, number=number)
    document = page.document
    query = request.GET.get("q", "")[:200]
    from .search import highlight

    _read_logged(request, document.dossier, "archive.page", page.pk)
    return render(request, "archive/page.html", {
        "document": document,
        "page": page,
        "query": query,
        "text": highlight(page.text, query) if query else page.text,
        "image_link": _link(request, document, f"page-{page.number}") if page.image else "",
        "previous": page.number - 1 if page.number > 1 else None,
        "next": page.number + 1 if page.number < document.page_count else None,
    })


@login_required
def dossier(request, pk: int):
    archive_check(request.user)
    dossier = selectors.dossier_get(user=request.user, pk=pk)
    editable = can_edit(request.user, dossier)
    hold_form = HoldForm(request.POST or None, initial={"legal_hold": dossier.legal_hold, "legal_hold_reason": dossier.legal_hold_reason})
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        if hold_form.is_valid():
            try:
                services.dossier_hold_set(
                    dossier=dossier, hold=hold_form.cleaned_data["legal_hold"], reason=hold_form.cleaned_data["legal_hold_reason"]
                )
            except ValidationError as error:
                add_service_errors(hold_form, error)
            else:
                messages.success(request, _("The legal hold is saved."))
                return redirect("archive:dossier", pk=dossier.pk)
    _read_logged(request, dossier, "archive.dossier", dossier.pk)
    paginator = Paginator(selectors.dossier_documents(dossier), PAGE_SIZE)
    return render(request, "archive/dossier.html", {
        "dossier": dossier,
        "page": paginator.get_page(request.GET.get("page")),
        "editable": editable,
        "hold_form": hold_form,
        "person": _person(dossier.person_identifier),
        "entries": dossier.register_entries.order_by("-registered_at")[:20],
    })


@login_required
def id_card(request):
    """Read an identity card's zone (scan or reader text) and open or find the person's dossier."""
    archive_check(request.user)
    form = IdCardForm(request.POST or None, request.FILES or None)
    card = error = None
    open_form = None
    if request.method == "POST" and "person_identifier" in request.POST:
        open_form = DossierOpenForm(request.POST, user=request.user)
        if open_form.is_valid():
            data = dict(open_form.cleaned_data)
            directorate = data.pop("directorate")
            try:
                dossier = services.dossier_for_person(
                    directorate=directorate, **{k: v for k, v in data.items() if v not in (None, "")}
                )
            except ValidationError as exc:
                add_service_errors(open_form, exc)
            else:
                messages.success(request, _("The dossier is open."))
                return redirect("archive:dossier", pk=dossier.pk)
        form = IdCardForm()
    elif request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data.get("image"):
                from .mrz_image import image_read

                upload = form.cleaned_data["image"]
                if upload.size > 20 * 2**20:
                    raise mrz.MRZError(_("The image is larger than 20 MB."))
                card = image_read(upload.read())
            else:
                card = mrz.parse(form.cleaned_data["text"])
        except mrz.MRZError as exc:
            error = str(exc)
        if card is not None:
            open_form = DossierOpenForm(initial=_card_initial(card), user=request.user)
    return render(request, "archive/id_card.html", {"form": form, "card": card, "error": error, "open_form": open_form})


def _card_initial(card: mrz.CardData) -> dict:
    from .translit import to_cyrillic

    given = card.given_names.split()
    return {
        "person_identifier": card.personal_number,
        "first_name": to_cyrillic(given[0].title()) if given else "",
        "middle_name": to_cyrillic(" ".join(given[1:]).title()),
        "last_name": to_cyrillic(card.surname.title()),
        "id_document_number": card.document_number,
        "id_document_expiry": card.expiry_date,
        "citizenship": card.nationality,
    }


# --- Retention ----------------------------------------------------------------------------------


@login_required
def retention(request):
    from .access import archive_visible
    from .models import DestructionAct
    from .retention import due_documents, review

    archive_check(request.user)
    writable = directorates_writable(request.user)
    if request.method == "POST":
        if not writable.exists():
            raise PermissionDenied
        acts = [a for a in review() if a.directorate_id in set(writable.values_list("pk", flat=True))]
        messages.success(request, ngettext("%(n)d act proposed.", "%(n)d acts proposed.", len(acts)) % {"n": len(acts)})
        return redirect("archive:retention")
    acts = archive_visible(DestructionAct.objects.select_related("directorate"), request.user)
    due = archive_visible(due_documents(), request.user)
    return render(request, "archive/retention.html", {
        "acts": acts.order_by("-created_at")[:100],
        "due_count": due.count(),
        "can_propose": writable.exists(),
    })


@login_required
def retention_act(request, pk: int):
    from django.shortcuts import get_object_or_404

    from .access import archive_visible
    from .forms import ActApproveForm
    from .models import DestructionAct
    from .retention import act_approve, act_execute

    archive_check(request.user)
    act = get_object_or_404(archive_visible(DestructionAct.objects.select_related("directorate"), request.user), pk=pk)
    editable = can_edit(request.user, act)
    form = ActApproveForm(request.POST or None)
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        try:
            if request.POST.get("action") == "execute":
                n = act_execute(act=act)
                messages.success(request, ngettext(
                    "The files of %(n)d document are destroyed.", "The files of %(n)d documents are destroyed.", n) % {"n": n})
                return redirect("archive:retention_act", pk=act.pk)
            if form.is_valid():
                act_approve(act=act, user=request.user, number=form.cleaned_data["number"], act_date=form.cleaned_data["act_date"])
                messages.success(request, _("The act is approved."))
                return redirect("archive:retention_act", pk=act.pk)
        except ValidationError as error:
            add_service_errors(form, error)
    documents = act.documents.select_related("document_type", "dossier").order_by("retain_until")
    return render(request, "archive/retention_act.html", {
        "act": act, "form": form, "editable": editable, "page": Paginator(documents, 50).get_page(request.GET.get("page")),
    })
