from django import forms
from django.utils.translation import gettext_lazy as _

from socplan.territory.models import Settlement

from .models import InstitutionResidents, Occupancy, Service, SpecializedInstitution

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ServiceForm(forms.ModelForm):
    class Meta:
        model = Service
        fields = [
            "name", "service_type", "target_groups", "provider", "settlement", "address", "phone", "email", "capacity",
            "status", "opened_on", "closed_on", "council_decision", "council_decision_date", "financing", "programme",
            "on_national_map", "map_max_users", "state_funded_users", "standard_per_place", "standard_currency",
            "licence_number", "licence_issued_on", "licence_expires_on", "is_published",
        ]
        widgets = {
            "target_groups": forms.CheckboxSelectMultiple,
            "opened_on": DATE_WIDGET, "closed_on": DATE_WIDGET, "council_decision_date": DATE_WIDGET,
            "licence_issued_on": DATE_WIDGET, "licence_expires_on": DATE_WIDGET,
        }
        help_texts = {
            "licence_expires_on": _("Left empty: five years after the licence was issued (ЗСУ чл. 31)."),
            "settlement": _("The settlement gives the municipality and the region."),
        }

    def __init__(self, *args, providers, settlements, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers.order_by("name")
        self.fields["settlement"].queryset = settlements.select_related("municipality").order_by("name_bg")
        self.fields["settlement"].label_from_instance = lambda s: f"{s.name} ({s.municipality})"

    def _post_clean(self):
        # The service validates and saves (a ModelForm would validate a half-built instance).
        pass


class OccupancyForm(forms.ModelForm):
    class Meta:
        model = Occupancy
        fields = ["period", "starts_on", "users", "waiting"]
        widgets = {"starts_on": DATE_WIDGET}

    def _post_clean(self):
        pass


class InstitutionForm(forms.ModelForm):
    class Meta:
        model = SpecializedInstitution
        fields = ["name", "users", "municipality", "operator", "capacity", "status", "target_date", "closed_on",
                  "replaced_by", "plan_note"]
        widgets = {"target_date": DATE_WIDGET, "closed_on": DATE_WIDGET, "replaced_by": forms.SelectMultiple(attrs={"size": 8})}

    def __init__(self, *args, services, municipalities, operators, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["replaced_by"].queryset = services
        self.fields["municipality"].queryset = municipalities
        self.fields["operator"].queryset = operators

    def _post_clean(self):
        pass


class ResidentsForm(forms.ModelForm):
    class Meta:
        model = InstitutionResidents
        fields = ["as_of", "residents", "moved_to_community"]
        widgets = {"as_of": DATE_WIDGET}

    def _post_clean(self):
        pass


def settlements_for(municipality_ids=None):
    qs = Settlement.objects.all()
    if municipality_ids is not None:
        qs = qs.filter(municipality__in=municipality_ids)
    return qs
