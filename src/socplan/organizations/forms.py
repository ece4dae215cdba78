from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from socplan.territory.models import Municipality, Region

from .models import Appointment, Body, Membership, Organization


class DateInput(forms.DateInput):
    """dd.mm.yyyy text input: browsers' date pickers would show the locale of the browser."""

    def __init__(self, **kwargs):
        super().__init__(format="%d.%m.%Y", attrs={"placeholder": "дд.мм.гггг", "inputmode": "numeric", "size": 10})


class OrganizationForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["kind", "name", "short_name", "region", "municipality", "eik", "address", "email", "phone", "website", "is_active"]

    def __init__(self, *args, kinds: list[str] | None = None, can_move: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.defer("svg_path").order_by("name_bg")
        self.fields["municipality"].queryset = Municipality.objects.defer("svg_path").select_related("region").order_by("name_bg")
        self.fields["municipality"].label_from_instance = lambda m: f"{m.name} ({m.region.name})"
        if kinds is not None:
            self.fields["kind"].choices = [c for c in Organization.Kind.choices if c[0] in kinds]
        if not can_move:
            for name in ("kind", "region", "municipality"):
                self.fields[name].disabled = True

    def _post_clean(self):
        # The territory rules are checked by the service (with the user's scope), not here twice.
        pass


class BodyForm(forms.ModelForm):
    class Meta:
        model = Body
        fields = ["kind", "name", "has_extended_composition", "description", "is_active"]

    def _post_clean(self):
        pass


class AppointmentForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = ["number", "date", "issued_by", "subject"]
        widgets = {"date": DateInput()}
        help_texts = {"number": _("As written on the order, e.g. ОА-155")}

    def _post_clean(self):
        pass


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["person_name", "position", "organization", "composition", "role", "appointment", "start_date", "end_date"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def __init__(self, *args, body: Body, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["appointment"].queryset = body.appointments.all()
        # The public institutions of the body's region and the national ones. Partners (NGOs,
        # providers, businesses) number in the thousands per region: their representatives are
        # recorded by name and position.
        host = body.organization
        nearby = Q(region__isnull=True) | Q(region_id=host.region_id) if host.region_id else Q(region__isnull=True)
        self.fields["organization"].queryset = (
            Organization.objects.filter(nearby, is_active=True)
            .exclude(kind__in=Organization.PARTNER_KINDS)
            .only("name")
            .order_by("name")
        )
        if not body.has_extended_composition:
            self.fields["composition"].choices = [(Membership.Composition.CORE, Membership.Composition.CORE.label)]

    def _post_clean(self):
        pass


class MembershipEndForm(forms.Form):
    end_date = forms.DateField(label=_("until"), widget=DateInput())

