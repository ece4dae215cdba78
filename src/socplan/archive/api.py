"""Integration API of the archive for the agency's information system (ИИС).

- GET persons/<ЕГН or ЛНЧ>/documents/ — the documents in the person's dossiers;
- GET incoming/<incoming number>/documents/ — the documents with that incoming number (the number
  may contain "/": it is matched as the rest of the path);
- GET documents/<id>/ — one document;
- POST documents/ — a document sent into the archive (multipart: the file and its metadata).

Who calls: system clients with a token (`Authorization: Bearer …`, archive.authentication) and
their scopes — archive:read for the reads, archive:files for the links to the files in them,
archive:ingest to send documents; a client limited to some directorates sees and feeds only those.
Staff users may call the same endpoints with their session: they read what archive.access lets
them read and send documents to the directorates they keep.

Every answer that carries a person's data is written to the personal-data access log (channel
"api", the client's name or the user). Errors come in the project's error body, in Bulgarian, or in
English when the request asks for it (Accept-Language: en).

The reads are built here rather than in archive.selectors because their visibility differs from
the pages': a client is not a user and has no scope of its own (see _readable).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Exists, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from socplan.core.api import ErrorSerializer
from socplan.core.models import PersonalDataAccess
from socplan.organizations.models import Organization

from . import links, services
from .access import archive_visible, directorates_writable, uses_archive
from .authentication import ApiClientAuthentication, IsClientOrUser, request_client
from .models import (
    DIRECTORATE_KINDS,
    ApiClient,
    Document,
    DocumentType,
    Dossier,
    IdentifierKind,
    LegalBasis,
    RegisterEntry,
    RegisterSettings,
)

Scope = ApiClient.Permission
ERRORS = {400: ErrorSerializer, 401: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}


# --- Output --------------------------------------------------------------------------------------


class ArchiveCodeNameOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class ArchiveDirectorateOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    register_code = serializers.CharField(source="register_settings.code", allow_null=True, default=None)


class ArchivePersonOutputSerializer(serializers.Serializer):
    dossier = serializers.IntegerField(source="pk")
    identifier = serializers.CharField(source="person_identifier")
    identifier_kind = serializers.ChoiceField(choices=IdentifierKind.choices)
    first_name = serializers.CharField()
    middle_name = serializers.CharField()
    last_name = serializers.CharField()
    birth_date = serializers.SerializerMethodField()
    sex = serializers.SerializerMethodField()

    @extend_schema_field(serializers.DateField(allow_null=True, help_text="From the ЕГН; as recorded for a ЛНЧ."))
    def get_birth_date(self, dossier):
        born = services.egn_facts(dossier.person_identifier)[0] if dossier.identifier_kind == IdentifierKind.EGN else None
        born = born or dossier.birth_date
        return born.isoformat() if born else None

    @extend_schema_field(serializers.ChoiceField(choices=["m", "f"], allow_null=True, help_text="m or f; from the ЕГН."))
    def get_sex(self, dossier):
        sex = services.egn_facts(dossier.person_identifier)[1] if dossier.identifier_kind == IdentifierKind.EGN else ""
        return sex or dossier.sex or None


class ArchiveLinkOutputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[("pdf", "pdf"), ("page", "page"), ("original", "original")])
    page = serializers.IntegerField(allow_null=True)
    url = serializers.URLField()
    expires_at = serializers.DateTimeField()


class ArchiveDocumentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    directorate = ArchiveDirectorateOutputSerializer()
    document_type = ArchiveCodeNameOutputSerializer(allow_null=True)
    legal_basis = ArchiveCodeNameOutputSerializer(allow_null=True)
    title = serializers.CharField()
    document_date = serializers.DateField(allow_null=True)
    incoming_number = serializers.SerializerMethodField()
    incoming_date = serializers.SerializerMethodField()
    page_count = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Document.Status.choices)
    sha256 = serializers.CharField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    source = serializers.ChoiceField(choices=Document.Source.choices)
    received_at = serializers.DateTimeField(source="created_at")
    person = ArchivePersonOutputSerializer(source="dossier", allow_null=True)
    links = serializers.SerializerMethodField()

    def get_incoming_number(self, document) -> str:
        if document.incoming_number:
            return document.incoming_number
        return document.register_entry.number if document.register_entry_id else ""

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_incoming_date(self, document):
        if document.incoming_date:
            return document.incoming_date.isoformat()
        if document.register_entry_id:
            return document.register_entry.registered_at.date().isoformat()
        return None

    @extend_schema_field(ArchiveLinkOutputSerializer(many=True))
    def get_links(self, document):
        """Signed links (absolute, expiring) when the caller may have the files; [] otherwise."""
        signer = self.context.get("signer")
        if signer is None or document.status == Document.Status.DESTROYED:
            return []
        result = []
        if document.pdf:
            result.append(signer(document, links.PDF, "pdf", None))
        if document.pdf or document.status == Document.Status.READY:
            # Processing makes an image of every page; page_count counts them.
            result += [signer(document, links.page(n), "page", n) for n in range(1, document.page_count + 1)]
        if document.original:
            result.append(signer(document, links.ORIGINAL, "original", None))
        return result


class ArchivePersonDocumentsOutputSerializer(serializers.Serializer):
    person_identifier = serializers.CharField()
    identifier_kind = serializers.ChoiceField(choices=IdentifierKind.choices)
    count = serializers.IntegerField()
    results = ArchiveDocumentOutputSerializer(many=True)


class ArchiveIncomingDocumentsOutputSerializer(serializers.Serializer):
    incoming_number = serializers.CharField()
    count = serializers.IntegerField()
    results = ArchiveDocumentOutputSerializer(many=True)


# --- Shared behaviour ----------------------------------------------------------------------------


def _signer(request, *, client: ApiClient | None):
    """A function making one link of the answer, or None when the caller gets no links."""
    if client is not None and not client.has_scope(Scope.FILES):
        return None
    user = None if client is not None else request.user
    cache: dict[str, str] = {}

    def sign(document, what, kind, number):
        path, expires_at = links.sign(document, what, client=client, user=user)
        # One absolute prefix per answer: build_absolute_uri is slower than the signing itself.
        prefix = cache.get("prefix")
        if prefix is None:
            prefix = cache["prefix"] = request.build_absolute_uri("/").rstrip("/")
        return {"kind": kind, "page": number, "url": prefix + path, "expires_at": expires_at}

    return sign


class ArchiveApi(APIView):
    """Token clients or staff sessions, client scopes per method, the caller's language, no caching."""

    authentication_classes = [ApiClientAuthentication, SessionAuthentication]
    permission_classes = [IsClientOrUser]
    # Clients are the agency's own systems, each with its token; no throttling (a bulk
    # reconciliation of the ИИС must not be cut off half-way).
    throttle_classes: list = []
    required_scopes = {"GET": Scope.READ, "HEAD": Scope.READ, "OPTIONS": Scope.READ, "POST": Scope.INGEST}

    def dispatch(self, request, *args, **kwargs):
        # Systems say which language they want with Accept-Language (the pages use the language
        # cookie only; a chosen cookie still wins here, then the header, then Bulgarian).
        language = translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = super().dispatch(request, *args, **kwargs)
        response.headers["Content-Language"] = language
        patch_vary_headers(response, ("Accept-Language", "Authorization", "Cookie"))
        # Personal data: neither proxies nor browsers keep it.
        response.headers["Cache-Control"] = "private, no-store"
        return response

    def check_permissions(self, request):
        super().check_permissions(request)
        client = request_client(request)
        scope = self.required_scopes.get(request.method, Scope.READ)
        if client is not None:
            if not client.has_scope(scope):
                raise PermissionDenied(_("This system client does not have the permission “%(scope)s”.") % {"scope": scope})
        elif not uses_archive(request.user):
            raise PermissionDenied(_("Your role does not give access to the archive."))

    # Reads ---------------------------------------------------------------------------------------

    def readable(self, request) -> QuerySet[Document]:
        """The documents the caller may read, with everything the answer shows in one query."""
        qs = Document.objects.select_related(
            "directorate__register_settings", "dossier", "document_type", "legal_basis", "register_entry"
        )
        client = request_client(request)
        if client is None:
            return archive_visible(qs, request.user)
        mine = ApiClient.directorates.through.objects.filter(apiclient_id=client.pk)
        # No directorates listed: every directorate. Both in the same query (no extra round trip).
        return qs.filter(Q(directorate_id__in=mine.values("organization_id")) | ~Exists(mine))

    def log(self, request, *, person_identifier: str, identifier_kind: str, object_type: str, object_id="") -> None:
        services.person_read_log(
            request=request,
            client=request_client(request),
            channel=PersonalDataAccess.Channel.API,
            person_identifier=person_identifier,
            identifier_kind=identifier_kind or PersonalDataAccess.IdentifierKind.OTHER,
            object_type=object_type,
            object_id=object_id,
        )

    def log_documents(self, request, documents) -> None:
        """One line per document read (its person; unfiled documents with no person)."""
        for document in documents:
            dossier = document.dossier
            self.log(
                request,
                person_identifier=dossier.person_identifier if dossier else "",
                identifier_kind=dossier.identifier_kind if dossier else IdentifierKind.OTHER,
                object_type="archive.document",
                object_id=document.pk,
            )

    def documents_data(self, request, documents) -> list:
        context = {"signer": _signer(request, client=request_client(request))}
        return ArchiveDocumentOutputSerializer(documents, many=True, context=context).data


class PersonDocumentsApi(ArchiveApi):
    @extend_schema(
        operation_id="archive_person_documents",
        summary="Documents of a person",
        description=(
            "The documents in the dossiers of the person with this ЕГН or ЛНЧ (in the client's "
            "directorates when it is limited to some), newest first, with signed expiring links to "
            "the PDF, every page's image and the original when the client has archive:files. "
            "Scope: archive:read. An identifier with a wrong check digit is refused (400)."
        ),
        parameters=[OpenApiParameter("identifier", OpenApiTypes.STR, OpenApiParameter.PATH, description="ЕГН or ЛНЧ (10 digits)")],
        responses={200: ArchivePersonDocumentsOutputSerializer, **ERRORS},
        tags=["archive"],
    )
    def get(self, request, identifier: str):
        identifier = identifier.strip()
        kind = services.identifier_kind(identifier)
        documents = list(self.readable(request).filter(dossier__person_identifier=identifier).order_by("-created_at"))
        dossiers = {d.dossier_id: d.dossier for d in documents}
        # The lookup itself is logged, found or not: the log answers "who looked for this person".
        for dossier_id in dossiers or [""]:
            self.log(request, person_identifier=identifier, identifier_kind=kind, object_type="archive.dossier", object_id=dossier_id)
        data = {
            "person_identifier": identifier,
            "identifier_kind": kind,
            "count": len(documents),
            "results": self.documents_data(request, documents),
        }
        return Response(data)


class IncomingDocumentsApi(ArchiveApi):
    @extend_schema(
        operation_id="archive_incoming_documents",
        summary="Documents by incoming number",
        description=(
            "The documents registered under this incoming number (the document's own number or its "
            "register entry's), as for a person. The number is the rest of the path and may contain "
            "“/”, e.g. incoming/ДСП-СФ-00012/05.03.2024/documents/. Scope: archive:read."
        ),
        parameters=[OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, description="Incoming number")],
        responses={200: ArchiveIncomingDocumentsOutputSerializer, **ERRORS},
        tags=["archive"],
    )
    def get(self, request, number: str):
        number = number.strip()
        if not number:
            raise DjangoValidationError({"number": _("Give an incoming number.")})
        entries = RegisterEntry.objects.filter(number=number).values("pk")
        documents = list(
            self.readable(request).filter(Q(incoming_number=number) | Q(register_entry_id__in=entries)).order_by("-created_at")[:500]
        )
        self.log_documents(request, documents)
        return Response({"incoming_number": number, "count": len(documents), "results": self.documents_data(request, documents)})


class DocumentDetailApi(ArchiveApi):
    @extend_schema(
        operation_id="archive_document_detail",
        summary="One document",
        description="A document's metadata and, with archive:files, signed links to its files. Scope: archive:read.",
        responses={200: ArchiveDocumentOutputSerializer, **ERRORS},
        tags=["archive"],
    )
    def get(self, request, pk: int):
        document = get_object_or_404(self.readable(request), pk=pk)
        self.log_documents(request, [document])
        return Response(self.documents_data(request, [document])[0])


# --- Ingestion -----------------------------------------------------------------------------------


def _by_code(model, value: str, message: str):
    value = (value or "").strip()
    if not value:
        return None
    found = model.objects.filter(code=value, is_active=True).first()
    if found is None:
        known = ", ".join(model.objects.filter(is_active=True).order_by("code").values_list("code", flat=True)[:50])
        raise serializers.ValidationError(message % {"code": value, "known": known or "—"})
    return found


class ArchiveDocumentIngestInputSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The document: PDF, TIFF, JPEG, PNG, DOCX or ODT.")
    directorate = serializers.CharField(help_text="The directorate's id or the code of its incoming register (e.g. ДСП-СФ).")
    person_identifier = serializers.CharField(required=False, allow_blank=True, default="", help_text="ЕГН or ЛНЧ: files the document into the person's dossier.")
    first_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    middle_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    last_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    document_type = serializers.CharField(required=False, allow_blank=True, default="", help_text="Code of a document type.")
    legal_basis = serializers.CharField(required=False, allow_blank=True, default="", help_text="Code of a legal basis.")
    title = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    document_date = serializers.DateField(required=False, allow_null=True, default=None)
    incoming_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    incoming_date = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_directorate(self, value: str) -> Organization:
        value = value.strip()
        if value.isdigit():
            found = Organization.objects.filter(pk=int(value), kind__in=DIRECTORATE_KINDS, is_active=True).first()
        else:
            settings_rows = list(RegisterSettings.objects.filter(code__iexact=value).select_related("directorate")[:2])
            if len(settings_rows) > 1:
                raise serializers.ValidationError(_("Several directorates use the register code “%(code)s”: send the directorate's id.") % {"code": value})
            found = settings_rows[0].directorate if settings_rows else None
        if found is None:
            raise serializers.ValidationError(_("No directorate has the id or register code “%(value)s”.") % {"value": value})
        return found

    def validate_person_identifier(self, value: str) -> str:
        value = value.strip()
        if value:
            try:
                services.identifier_kind(value)
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.messages) from None
        return value

    def validate_document_type(self, value: str):
        return _by_code(DocumentType, value, _("Unknown document type “%(code)s”. Known types: %(known)s."))

    def validate_legal_basis(self, value: str):
        return _by_code(LegalBasis, value, _("Unknown legal basis “%(code)s”. Known legal bases: %(known)s."))

    def validate(self, data):
        if data["person_identifier"] and not (data["first_name"] and data["last_name"]):
            has_dossier = Dossier.objects.filter(directorate=data["directorate"], person_identifier=data["person_identifier"]).exists()
            if not has_dossier:
                raise serializers.ValidationError(
                    {"last_name": [_("Give the person's first and last name: they have no dossier in this directorate yet.")]}
                )
        return data


class DocumentIngestApi(ArchiveApi):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="archive_document_ingest",
        summary="Send a document into the archive",
        description=(
            "Stores the file once (the same content again answers 200 with the document already "
            "stored, 201 when it is new), files it into the person's dossier when an ЕГН/ЛНЧ is given "
            "(the dossier is opened if needed) and queues its processing (PDF/A, text, page images). "
            "Scope: archive:ingest; a client limited to some directorates sends only to them."
        ),
        request={"multipart/form-data": ArchiveDocumentIngestInputSerializer},
        responses={201: ArchiveDocumentOutputSerializer, 200: ArchiveDocumentOutputSerializer, **ERRORS},
        tags=["archive"],
    )
    def post(self, request):
        # A file over the limit is dropped while it arrives (uploads.py), not after it filled the disk.
        from .uploads import size_limit_install

        size_limit_install(request._request)
        data = request.data
        if getattr(request._request, "archive_oversized", None):
            raise DjangoValidationError({"file": services.too_big_message()})
        serializer = ArchiveDocumentIngestInputSerializer(data=data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        directorate = data["directorate"]
        client = request_client(request)
        self._may_send_to(request, client, directorate)
        file = data["file"]
        sha256 = services.archive_file_check(file)
        metadata = {
            "document_type": data["document_type"],
            "legal_basis": data["legal_basis"],
            "title": data["title"],
            "document_date": data["document_date"],
            "incoming_number": data["incoming_number"].strip(),
            "incoming_date": data["incoming_date"],
        }
        with transaction.atomic():
            dossier = None
            if data["person_identifier"]:
                details = {"legal_basis": data["legal_basis"]} if data["legal_basis"] else {}
                dossier = services.dossier_for_person(
                    directorate=directorate,
                    person_identifier=data["person_identifier"],
                    first_name=data["first_name"],
                    middle_name=data["middle_name"],
                    last_name=data["last_name"],
                    **details,
                )
            ingested = services.document_ingest(
                directorate=directorate,
                file=file,
                source=Document.Source.API,
                user=None if client is not None else request.user,
                api_client=client,
                dossier=dossier,
                metadata=metadata,
                sha256=sha256,
            )
        document = self.readable(request).get(pk=ingested.document.pk)
        if document.dossier_id:
            self.log_documents(request, [document])
        return Response(
            self.documents_data(request, [document])[0], status=status.HTTP_201_CREATED if ingested.created else status.HTTP_200_OK
        )

    @staticmethod
    def _may_send_to(request, client: ApiClient | None, directorate: Organization) -> None:
        if client is not None:
            limited = set(client.directorates.values_list("pk", flat=True))
            allowed = not limited or directorate.pk in limited
        else:
            allowed = directorates_writable(request.user).filter(pk=directorate.pk).exists()
        if not allowed:
            raise PermissionDenied(_("You may not send documents to this directorate."))
