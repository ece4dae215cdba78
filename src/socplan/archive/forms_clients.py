"""The form of a system client of the archive's API (the administrators' pages)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from socplan.organizations.models import Organization

from .models import DIRECTORATE_KINDS, ApiClient

DATE = forms.DateInput(format="%d.%m.%Y", attrs={"placeholder": _("dd.mm.yyyy"), "inputmode": "numeric", "size": 10})


class ApiClientForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=150, help_text=_("The system and its owner, e.g. “ИИС на АСП”."))
    organization = forms.ModelChoiceField(
        label=_("organisation"), queryset=Organization.objects.none(), help_text=_("The organisation that runs the system.")
    )
    scopes = forms.MultipleChoiceField(
        label=_("permissions"), choices=ApiClient.Permission.choices, widget=forms.CheckboxSelectMultiple
    )
    directorates = forms.ModelMultipleChoiceField(
        label=_("directorates"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 12}),
        help_text=_("None chosen: every directorate."),
    )
    expires_on = forms.DateField(
        label=_("valid until"), required=False, widget=DATE, help_text=_("Empty: until it is deactivated.")
    )

    def __init__(self, *args, client: ApiClient | None = None, **kwargs):
        if client is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": client.name,
                    "organization": client.organization_id,
                    "scopes": client.scopes,
                    "directorates": list(client.directorates.values_list("pk", flat=True)),
                    "expires_on": client.expires_at.date() if client.expires_at else None,
                },
            )
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["organization"].queryset = Organization.objects.filter(is_active=True).order_by("name")
        self.fields["directorates"].queryset = Organization.objects.filter(kind__in=DIRECTORATE_KINDS, is_active=True).order_by("name")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = ApiClient.objects.filter(name__iexact=name)
        if self.client is not None:
            taken = taken.exclude(pk=self.client.pk)
        if taken.exists():
            raise forms.ValidationError(_("Another system client has this name."))
        return name
