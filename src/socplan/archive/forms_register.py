"""Forms of the incoming register and the e-delivery inbox."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from socplan.core.validators import egn_is_valid, eik_is_valid, lnch_is_valid

from .access import directorates_readable, directorates_writable
from .forms import MultipleFileInput
from .models import DocumentType, InboxMessage, RegisterEntry, RegisterSettings
from .register import number_format_check

# What staff register by hand; e-delivery and the API register themselves.
STAFF_CHANNELS = [
    (c.value, c.label) for c in (RegisterEntry.Channel.COUNTER, RegisterEntry.Channel.POST, RegisterEntry.Channel.EMAIL)
]


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's FileField takes one)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if self.required and not files:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(file, initial) for file in files]


class RegisterFilterForm(forms.Form):
    directorate = forms.ModelChoiceField(label=_("Directorate"), required=False, queryset=None)
    year = forms.TypedChoiceField(label=_("Year"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(
        label=_("Number, sender or subject"), required=False, max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("e.g. 00012 or Петрова")}),
    )

    def __init__(self, *args, user, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["directorate"].queryset = directorates_readable(user)
        self.fields["year"].choices = [("", _("all years"))] + [(y, str(y)) for y in years]


class RegisterEntryForm(forms.Form):
    directorate = forms.ModelChoiceField(label=_("Directorate"), queryset=None)
    sender = forms.CharField(label=_("Sender"), max_length=255, help_text=_("The person's names, or the institution."))
    sender_identifier = forms.CharField(
        label=_("Sender's ЕГН/ЛНЧ/ЕИК"), required=False, max_length=13,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    subject = forms.CharField(label=_("Subject"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    channel = forms.ChoiceField(label=_("Received"), choices=STAFF_CHANNELS, initial=RegisterEntry.Channel.COUNTER)
    document_type = forms.ModelChoiceField(
        label=_("Document type"), required=False, queryset=DocumentType.objects.filter(is_active=True)
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    files = MultipleFileField(
        label=_("Scanned documents"), required=False,
        widget=MultipleFileInput(attrs={"multiple": True, "accept": ".pdf,.tif,.tiff,.jpg,.jpeg,.png,.docx,.odt"}),
        help_text=_("Optional. PDF, TIFF, JPEG, PNG, DOCX or ODT; they are kept with the entry and read by OCR."),
    )
    into_dossier = forms.BooleanField(
        label=_("File into the sender's dossier"), required=False, initial=True,
        help_text=_("When the identifier is an ЕГН or ЛНЧ: the entry and its documents go into the person's dossier (opened if needed)."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["directorate"].queryset = directorates_writable(user)
        if self.fields["directorate"].queryset.count() == 1:
            self.fields["directorate"].initial = self.fields["directorate"].queryset.first()
            self.fields["directorate"].widget = forms.HiddenInput()

    def clean_sender(self):
        value = self.cleaned_data["sender"].strip()
        if not value:
            raise ValidationError(_("Who sent it?"))
        return value

    def clean_sender_identifier(self):
        value = self.cleaned_data["sender_identifier"].strip()
        if not value:
            return value
        if len(value) == 10:
            if not (egn_is_valid(value) or lnch_is_valid(value)):
                raise ValidationError(_("“%(value)s” is not a valid ЕГН or ЛНЧ (check the digits).") % {"value": value})
        elif len(value) in (9, 13):
            if not eik_is_valid(value):
                raise ValidationError(_("“%(value)s” is not a valid ЕИК/БУЛСТАТ (check the digits).") % {"value": value})
        else:
            raise ValidationError(_("An ЕГН or ЛНЧ has 10 digits, an ЕИК 9 or 13."))
        return value

    def clean_files(self):
        from .services import archive_file_check

        files = self.cleaned_data["files"]
        errors = []
        for file in files:
            try:
                archive_file_check(file, field="files")
            except ValidationError as error:
                errors.extend(f"{file.name}: {m}" for m in error.messages)
        if errors:
            raise ValidationError(errors)
        return files


class RegisterSettingsForm(forms.ModelForm):
    class Meta:
        model = RegisterSettings
        fields = ["code", "number_format", "drop_folder"]

    def clean_number_format(self):
        value = self.cleaned_data["number_format"].strip()
        try:
            number_format_check(value)
        except ValidationError as error:
            raise ValidationError(error.message_dict["number_format"]) from error
        return value


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("all"))] + list(InboxMessage.Status.choices))
    q = forms.CharField(
        label=_("Sender or subject"), required=False, max_length=100, widget=forms.TextInput(attrs={"type": "search"})
    )
