from django import forms
from django.utils.translation import gettext_lazy as _

from .access import directorates_readable, directorates_writable
from .models import DocumentType, LegalBasis

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SearchForm(forms.Form):
    text = forms.CharField(label=_("Words in the text"), required=False, max_length=200,
                           widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. заявление за помощ")}))
    identifier = forms.CharField(label=_("ЕГН/ЛНЧ"), required=False, max_length=10,
                                 widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    name = forms.CharField(label=_("Name (Cyrillic or Latin)"), required=False, max_length=150)
    incoming_number = forms.CharField(label=_("Incoming number"), required=False, max_length=60)
    document_type = forms.ModelChoiceField(label=_("Document type"), required=False, queryset=DocumentType.objects.all())
    date_from = forms.DateField(label=_("Dated from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Dated to"), required=False, widget=DATE)
    directorate = forms.ModelChoiceField(label=_("Directorate"), required=False, queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["directorate"].queryset = directorates_readable(user)

    def clean_identifier(self):
        value = self.cleaned_data["identifier"].strip()
        if value and (len(value) != 10 or not value.isdigit()):
            raise forms.ValidationError(_("An ЕГН or ЛНЧ has 10 digits."))
        return value

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end of the period is before its start."))
        return cleaned


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files at once. Each file is checked by the ingestion (a bad one is listed with its
    reason while the others are taken), so the field itself only collects them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return files


class UploadForm(forms.Form):
    directorate = forms.ModelChoiceField(label=_("Directorate"), queryset=None)
    files = MultipleFileField(
        label=_("Files"),
        widget=MultipleFileInput(attrs={"multiple": True, "accept": ".pdf,.tif,.tiff,.jpg,.jpeg,.png,.docx,.odt"}),
        help_text=_("PDF, TIFF (several pages), JPEG, PNG, DOCX or ODT. Choose several files at once or drag them here."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["directorate"].queryset = directorates_writable(user)
        if self.fields["directorate"].queryset.count() == 1:
            self.fields["directorate"].initial = self.fields["directorate"].queryset.first()


class MetadataForm(forms.Form):
    document_type = forms.ModelChoiceField(label=_("Document type"), required=False, queryset=DocumentType.objects.filter(is_active=True))
    legal_basis = forms.ModelChoiceField(label=_("Legal basis of the support"), required=False, queryset=LegalBasis.objects.filter(is_active=True))
    title = forms.CharField(label=_("Title"), required=False, max_length=255)
    document_date = forms.DateField(label=_("Date of the document"), required=False, widget=DATE)
    incoming_number = forms.CharField(label=_("Incoming number"), required=False, max_length=60)
    incoming_date = forms.DateField(label=_("Incoming date"), required=False, widget=DATE)
    person_identifier = forms.CharField(label=_("ЕГН/ЛНЧ"), required=False, max_length=10,
                                        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}))
    first_name = forms.CharField(label=_("First name"), required=False, max_length=100)
    middle_name = forms.CharField(label=_("Middle name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=100)
    id_document_number = forms.CharField(label=_("Identity document number"), required=False, max_length=20)
    citizenship = forms.CharField(label=_("Citizenship"), required=False, max_length=3, initial="BGR",
                                  help_text=_("Three letters, as in the identity document (BGR)."))

    def clean(self):
        from django.core.exceptions import ValidationError

        from .services import identifier_kind

        cleaned = super().clean()
        identifier = (cleaned.get("person_identifier") or "").strip()
        if identifier:
            try:
                identifier_kind(identifier)
            except ValidationError as error:
                self.add_error("person_identifier", error.message_dict["person_identifier"])
            if not cleaned.get("first_name") or not cleaned.get("last_name"):
                self.add_error("last_name", _("Give the person's first and last name to file the document in the dossier."))
        cleaned["citizenship"] = (cleaned.get("citizenship") or "").upper()
        return cleaned


class HoldForm(forms.Form):
    legal_hold = forms.BooleanField(label=_("Keep the dossier past its retention (legal hold)"), required=False)
    legal_hold_reason = forms.CharField(label=_("Reason"), required=False, max_length=255)


class IdCardForm(forms.Form):
    image = forms.FileField(label=_("Scanned card (back side)"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.tif,.tiff"}))
    text = forms.CharField(label=_("Or the text a document reader gave"), required=False,
                           widget=forms.Textarea(attrs={"rows": 4, "class": "mono", "spellcheck": "false"}))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("image") and not (cleaned.get("text") or "").strip():
            raise forms.ValidationError(_("Choose a scanned image of the card or paste the reader's text."))
        return cleaned


class DossierOpenForm(forms.Form):
    directorate = forms.ModelChoiceField(label=_("Directorate"), queryset=None)
    person_identifier = forms.CharField(label=_("ЕГН/ЛНЧ"), max_length=10)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    middle_name = forms.CharField(label=_("Middle name"), required=False, max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    id_document_number = forms.CharField(label=_("Identity document number"), required=False, max_length=20)
    id_document_expiry = forms.DateField(label=_("Valid until"), required=False, widget=DATE)
    citizenship = forms.CharField(label=_("Citizenship"), required=False, max_length=3)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["directorate"].queryset = directorates_writable(user)
        if self.fields["directorate"].queryset.count() == 1:
            self.fields["directorate"].initial = self.fields["directorate"].queryset.first()


class ActApproveForm(forms.Form):
    number = forms.CharField(label=_("Number of the commission's act"), max_length=60)
    act_date = forms.DateField(label=_("Date of the act"), widget=DATE)
