"""The agency's electronic archive: dossiers of scanned documents, the incoming register, the
e-delivery inbox and the clients of the integration API.

- A Dossier is one person's file in one directorate (ДСП/РДСП/ОЗД), identified by ЕГН or ЛНЧ.
- A Document is one stored file (kept once: its SHA-256 is unique in the directorate), processed in
  the background into a searchable PDF/A with the text and an image of every Page. Its metadata
  (type, legal basis, person, incoming number) is suggested from the text and confirmed by staff.
- The incoming register (входящ дневник) numbers what a directorate receives, per year, without
  gaps or repeats (RegisterCounter is locked while a number is taken).
- InboxMessage is a message from secure e-delivery (ССЕВ), taken from an inbox adapter, registered
  and answered exactly once.
- ApiClient is a system (the ИИС) that reads the archive with a token and scopes.
- Retention: each document type keeps its documents for a number of years; a legal hold stops the
  clock; only a destruction act approved by the archive's commission removes files.
Every read of a person's documents is written to core.PersonalDataAccess.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from socplan.core.models import BaseModel
from socplan.core.scoping import ScopePaths
from socplan.organizations.models import Body, Organization

# The organisation kinds that keep dossiers and an incoming register.
DIRECTORATE_KINDS = (Organization.Kind.DSP, Organization.Kind.RDSP, Organization.Kind.OZD, Organization.Kind.AGENCY)


def archive_storage():
    return storages["archive"]


def original_path(document, filename: str) -> str:
    return f"originals/{document.sha256[:2]}/{document.sha256}/{filename}"


def pdf_path(document, filename: str) -> str:
    return f"pdf/{document.sha256[:2]}/{document.sha256}/{filename}"


def page_image_path(page, filename: str) -> str:
    sha = page.document.sha256
    return f"pages/{sha[:2]}/{sha}/{filename}"


class DocumentType(BaseModel):
    """An editable list: заявление-декларация, заповед, социален доклад, решение, …"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200, unique=True)
    # Words whose presence in the text suggests this type (one per line, any word form).
    keywords = models.TextField(_("words that suggest it"), blank=True)
    retention_years = models.PositiveSmallIntegerField(
        _("retention (years)"), null=True, blank=True, help_text=_("Empty: kept permanently.")
    )
    is_active = models.BooleanField(_("in use"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    history = HistoricalRecords()

    scope_paths = ScopePaths(public=True)

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class LegalBasis(BaseModel):
    """The legal ground of the support a dossier is about (ЗСП, ЗСПД, ЗХУ, ЗЗДт, …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255, unique=True)
    is_active = models.BooleanField(_("in use"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    history = HistoricalRecords()

    scope_paths = ScopePaths(public=True)

    class Meta:
        verbose_name = _("legal basis")
        verbose_name_plural = _("legal bases")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class IdentifierKind(models.TextChoices):
    EGN = "egn", _("ЕГН")
    LNCH = "lnch", _("ЛНЧ")
    OTHER = "other", _("other identifier")


class Sex(models.TextChoices):
    MALE = "m", _("male")
    FEMALE = "f", _("female")


class Dossier(BaseModel):
    """A person's electronic dossier in one directorate."""

    directorate = models.ForeignKey(
        Organization, verbose_name=_("directorate"), on_delete=models.PROTECT, related_name="dossiers"
    )
    person_identifier = models.CharField(_("ЕГН/ЛНЧ"), max_length=20, db_index=True)
    identifier_kind = models.CharField(
        _("identifier kind"), max_length=10, choices=IdentifierKind.choices, default=IdentifierKind.EGN
    )
    first_name = models.CharField(_("first name"), max_length=100)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    # The name in lower-case Latin letters (the Transliteration Act), so either alphabet finds it.
    name_key = models.CharField(_("search key of the name"), max_length=300, db_index=True, editable=False)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    citizenship = models.CharField(_("citizenship"), max_length=3, blank=True, default="BGR")
    id_document_number = models.CharField(_("identity document number"), max_length=20, blank=True)
    id_document_expiry = models.DateField(_("identity document valid until"), null=True, blank=True)
    legal_basis = models.ForeignKey(
        LegalBasis, verbose_name=_("legal basis"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    legal_hold = models.BooleanField(_("legal hold"), default=False)
    legal_hold_reason = models.CharField(_("reason for the legal hold"), max_length=255, blank=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(organization="directorate")

    class Meta:
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["directorate", "person_identifier"], name="archive_dossier_one_per_person"),
        ]

    def __str__(self):
        return f"{self.full_name} ({self.person_identifier})"

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)

    def save(self, *args, **kwargs):
        from .translit import search_key

        self.name_key = search_key(self.full_name)[:300]
        super().save(*args, **kwargs)


class Document(BaseModel):
    """One stored file and what is known about it."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("uploaded by staff")
        FOLDER = "folder", _("scanner drop folder")
        API = "api", _("integration API")
        EDELIVERY = "edelivery", _("secure e-delivery (ССЕВ)")
        DEMO = "demo", _("demo data")

    class Status(models.TextChoices):
        RECEIVED = "received", _("waiting for processing")
        PROCESSING = "processing", _("being processed")
        READY = "ready", _("processed")
        FAILED = "failed", _("processing failed")
        DESTROYED = "destroyed", _("destroyed by a destruction act")

    directorate = models.ForeignKey(
        Organization, verbose_name=_("directorate"), on_delete=models.PROTECT, related_name="archive_documents"
    )
    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64, editable=False)
    original = models.FileField(_("original file"), upload_to=original_path, storage=archive_storage, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("file type"), max_length=100, blank=True)
    size = models.BigIntegerField(_("size (bytes)"), default=0)
    source = models.CharField(_("received through"), max_length=12, choices=Source.choices, default=Source.UPLOAD)
    batch = models.ForeignKey(
        "Batch", verbose_name=_("batch"), null=True, blank=True, on_delete=models.SET_NULL, related_name="documents"
    )

    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("reason of the failure"), blank=True)
    processing_started_at = models.DateTimeField(_("processing started"), null=True, blank=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    # The searchable PDF/A (the original itself when it already was a PDF/A with text).
    pdf = models.FileField(_("searchable PDF"), upload_to=pdf_path, storage=archive_storage, max_length=300, blank=True)
    ocr_applied = models.BooleanField(_("text recognised by OCR"), default=False)
    page_count = models.PositiveIntegerField(_("pages"), default=0)

    document_type = models.ForeignKey(
        DocumentType, verbose_name=_("document type"), null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    legal_basis = models.ForeignKey(
        LegalBasis, verbose_name=_("legal basis"), null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=255, blank=True)
    document_date = models.DateField(_("date of the document"), null=True, blank=True)
    incoming_number = models.CharField(_("incoming number"), max_length=60, blank=True, db_index=True)
    incoming_date = models.DateField(_("incoming date"), null=True, blank=True)
    register_entry = models.ForeignKey(
        "RegisterEntry", verbose_name=_("register entry"), null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    # What the text suggests (identifier, names, dates, incoming number, type), for the operator.
    suggestions = models.JSONField(_("suggested metadata"), default=dict, blank=True)
    confirmed_at = models.DateTimeField(_("metadata confirmed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    api_client = models.ForeignKey(
        "ApiClient", verbose_name=_("system client"), null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    retain_until = models.DateField(_("keep until"), null=True, blank=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["suggestions"])

    scope_paths = ScopePaths(organization="directorate")

    class Meta:
        verbose_name = pgettext_lazy("archive", "document")
        verbose_name_plural = pgettext_lazy("archive", "documents")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["directorate", "sha256"], name="archive_document_stored_once"),
        ]
        indexes = [models.Index(fields=["dossier", "-created_at"], name="archive_doc_dossier")]

    def __str__(self):
        return self.title or self.original_name


class Page(models.Model):
    """A page of a processed document: its text (what the search reads) and its image."""

    document = models.ForeignKey(Document, verbose_name=pgettext_lazy("archive", "document"), on_delete=models.CASCADE, related_name="pages")
    number = models.PositiveIntegerField(_("page"))
    text = models.TextField(_("text"), blank=True)
    image = models.FileField(_("image"), upload_to=page_image_path, storage=archive_storage, max_length=300, blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)

    scope_paths = ScopePaths(organization="document__directorate")

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        ordering = ["document", "number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="archive_page_unique")]

    def __str__(self):
        return f"{self.document} — {self.number}"


class Batch(BaseModel):
    """Files sent together (an upload, a drop-folder sweep, an e-delivery message), for progress."""

    directorate = models.ForeignKey(Organization, verbose_name=_("directorate"), on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("received through"), max_length=12, choices=Document.Source.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    files_total = models.PositiveIntegerField(_("files"), default=0)
    # Files refused at the door (name and reason), kept so the batch page can show them.
    rejected = models.JSONField(_("refused files"), default=list, blank=True)

    scope_paths = ScopePaths(organization="directorate")

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["-created_at"]


# --- The incoming register -----------------------------------------------------------------------


class RegisterSettings(BaseModel):
    """How a directorate writes its incoming numbers, and where its scanner drops files."""

    directorate = models.OneToOneField(
        Organization, verbose_name=_("directorate"), on_delete=models.PROTECT, related_name="register_settings"
    )
    code = models.CharField(
        _("register code"), max_length=30, help_text=_("The directorate's index in its numbers, e.g. ДСП-СФ.")
    )
    number_format = models.CharField(
        _("number format"),
        max_length=100,
        default="{code}-{seq:05d}/{date}",
        help_text=_("Fields: {code}, {seq} (e.g. {seq:05d}), {year}, {date} (dd.mm.yyyy)."),
    )
    drop_folder = models.CharField(
        _("scanner drop folder"), max_length=255, blank=True, help_text=_("Empty: ARCHIVE_DROP_DIR/<register code>.")
    )
    history = HistoricalRecords()

    scope_paths = ScopePaths(organization="directorate")

    class Meta:
        verbose_name = _("register settings")
        verbose_name_plural = _("register settings")

    def __str__(self):
        return self.code


class RegisterCounter(models.Model):
    """The last number taken in a directorate's register in a year (locked while a number is taken)."""

    directorate = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    scope_paths = ScopePaths(organization="directorate")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["directorate", "year"], name="archive_counter_unique")]


class RegisterEntry(BaseModel):
    """One line of the incoming register (входящ дневник)."""

    class Channel(models.TextChoices):
        COUNTER = "counter", _("at the counter")
        POST = "post", _("by post")
        EMAIL = "email", _("by e-mail")
        EDELIVERY = "edelivery", _("secure e-delivery (ССЕВ)")
        API = "api", _("integration API")

    directorate = models.ForeignKey(Organization, verbose_name=_("directorate"), on_delete=models.PROTECT, related_name="register_entries")
    year = models.PositiveSmallIntegerField(_("year"))
    sequence = models.PositiveIntegerField(_("sequence number"))
    number = models.CharField(_("incoming number"), max_length=60, db_index=True)
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    channel = models.CharField(_("received"), max_length=12, choices=Channel.choices, default=Channel.COUNTER)
    sender = models.CharField(_("sender"), max_length=255)
    sender_identifier = models.CharField(_("sender's ЕГН/ЛНЧ/ЕИК"), max_length=20, blank=True, db_index=True)
    subject = models.CharField(_("subject"), max_length=500)
    document_type = models.ForeignKey(
        DocumentType, verbose_name=_("document type"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), null=True, blank=True, on_delete=models.PROTECT, related_name="register_entries"
    )
    team = models.ForeignKey(
        Body, verbose_name=_("responsible team"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(organization="directorate")

    class Meta:
        verbose_name = _("register entry")
        verbose_name_plural = _("incoming register")
        ordering = ["-year", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["directorate", "year", "sequence"], name="archive_register_no_repeat"),
            models.UniqueConstraint(fields=["directorate", "number"], name="archive_register_number_unique"),
        ]

    def __str__(self):
        return self.number


# --- Secure e-delivery ---------------------------------------------------------------------------


class Route(BaseModel):
    """How the robot classifies an e-delivery message and whom it sends it to."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("service or request"), max_length=255)
    # Words in the subject or form that select this route (one per line), or the form's service code.
    keywords = models.TextField(_("words that select it"), blank=True)
    document_type = models.ForeignKey(
        DocumentType, verbose_name=_("document type"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team_name = models.CharField(_("responsible team"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    scope_paths = ScopePaths(public=True)

    class Meta:
        verbose_name = _("e-delivery route")
        verbose_name_plural = _("e-delivery routes")
        ordering = ["order", "code"]

    def __str__(self):
        return self.name


class InboxMessage(BaseModel):
    """A message received through secure e-delivery, processed exactly once."""

    class Status(models.TextChoices):
        NEW = "new", _("new")
        REGISTERED = "registered", _("registered")
        ANSWERED = "answered", _("registered and answered")
        FAILED = "failed", _("could not be processed")

    adapter = models.CharField(_("inbox"), max_length=40)
    external_id = models.CharField(_("message id"), max_length=200)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    sender_name = models.CharField(_("sender"), max_length=255, blank=True)
    sender_identifier = models.CharField(_("sender's identifier"), max_length=20, blank=True)
    sender_address = models.CharField(_("sender's e-delivery address"), max_length=255, blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    form_data = models.JSONField(_("form data"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW, db_index=True)
    error = models.TextField(_("reason"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    directorate = models.ForeignKey(
        Organization, verbose_name=_("directorate"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    route = models.ForeignKey(Route, verbose_name=_("classified as"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    register_entry = models.OneToOneField(
        RegisterEntry, verbose_name=_("register entry"), null=True, blank=True, on_delete=models.PROTECT, related_name="inbox_message"
    )
    reply_sent_at = models.DateTimeField(_("reply sent"), null=True, blank=True)
    reply_id = models.CharField(_("reply id"), max_length=200, blank=True)

    scope_paths = ScopePaths(organization="directorate")

    class Meta:
        verbose_name = _("e-delivery message")
        verbose_name_plural = _("e-delivery messages")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["adapter", "external_id"], name="archive_inbox_once")]

    def __str__(self):
        return self.subject or self.external_id


# --- Integration API -----------------------------------------------------------------------------


class ApiClient(BaseModel):
    """A system that reads (or feeds) the archive over the API with a token."""

    class Permission(models.TextChoices):
        READ = "archive:read", _("read documents' metadata by person or incoming number")
        FILES = "archive:files", _("receive links to page images and PDFs")
        INGEST = "archive:ingest", _("send documents into the archive")

    name = models.CharField(_("name"), max_length=150, unique=True)
    organization = models.ForeignKey(
        Organization, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="api_clients"
    )
    # Only the hash of the token is kept; the token is shown once when it is issued.
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("token begins with"), max_length=8, editable=False)
    scopes = models.JSONField(_("permissions"), default=list)
    # Empty: every directorate.
    directorates = models.ManyToManyField(Organization, verbose_name=_("directorates"), blank=True, related_name="+")
    is_active = models.BooleanField(_("active"), default=True)
    expires_at = models.DateTimeField(_("valid until"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    scope_paths = ScopePaths(organization="organization")

    class Meta:
        verbose_name = _("system client")
        verbose_name_plural = _("system clients")
        ordering = ["name"]

    def __str__(self):
        return self.name

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def issue_token(self) -> str:
        """A new token for this client (the old one stops working); returned once, never stored."""
        token = "sp_" + secrets.token_urlsafe(32)
        self.token_hash = self.hash_token(token)
        self.token_prefix = token[:8]
        return token

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    @property
    def is_authenticated(self) -> bool:
        return True


# --- Retention -----------------------------------------------------------------------------------


class DestructionAct(BaseModel):
    """The archive commission's act that lets the files of documents past retention be destroyed."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        APPROVED = "approved", _("approved")
        EXECUTED = "executed", _("executed")

    directorate = models.ForeignKey(Organization, verbose_name=_("directorate"), on_delete=models.PROTECT, related_name="+")
    number = models.CharField(_("act number"), max_length=60, blank=True)
    act_date = models.DateField(_("date of the act"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    documents = models.ManyToManyField(Document, verbose_name=pgettext_lazy("archive", "documents"), related_name="destruction_acts")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    executed_at = models.DateTimeField(_("executed"), null=True, blank=True)
    history = HistoricalRecords()

    scope_paths = ScopePaths(organization="directorate")

    class Meta:
        verbose_name = _("destruction act")
        verbose_name_plural = _("destruction acts")
        ordering = ["-created_at"]

    def __str__(self):
        return self.number or str(self.pk)
