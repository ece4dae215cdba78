from django import forms
from django.utils.translation import gettext_lazy as _

from socplan.organizations.models import Organization
from socplan.territory.models import Municipality, Region

from .models import (
    LEVEL_ORDER,
    Comment,
    CommunicationItem,
    Currency,
    FinancingLine,
    Level,
    PartnershipInstrument,
    Plan,
    PlanDocument,
    Stage,
    StakeholderRole,
    TargetGroup,
)

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=Plan.Kind.choices)
    title = forms.CharField(label=_("title"), max_length=300)
    region = forms.ModelChoiceField(label=_("region"), queryset=Region.objects.order_by("name_bg"), required=False)
    municipality = forms.ModelChoiceField(
        label=_("municipality"), queryset=Municipality.objects.select_related("region").order_by("name_bg"), required=False
    )
    owner = forms.ModelChoiceField(label=_("owning organisation"), queryset=Organization.objects.none())
    period_start = forms.IntegerField(label=_("from year"), min_value=1990, max_value=2100)
    period_end = forms.IntegerField(label=_("to year"), min_value=1990, max_value=2100)
    implements = forms.ModelChoiceField(
        label=_("implements the regional strategy"), queryset=Plan.objects.none(), required=False
    )
    levels = forms.MultipleChoiceField(
        label=_("levels used"),
        choices=Level.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for the usual levels of the kind. A plan may skip levels."),
    )

    def __init__(self, *args, owners, regional_plans, regions=None, municipalities=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners
        self.fields["implements"].queryset = regional_plans
        if regions is not None:
            self.fields["region"].queryset = regions
        if municipalities is not None:
            self.fields["municipality"].queryset = municipalities

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        levels = data.get("levels") or []
        data["levels"] = [level for level in LEVEL_ORDER if level in levels]
        return data


class VersionForm(forms.Form):
    vision = forms.CharField(label=_("vision"), widget=forms.Textarea(attrs={"rows": 4}), required=False)
    introduction = forms.CharField(label=_("introduction"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    first_number = forms.IntegerField(label=_("numbering starts at"), min_value=1, max_value=99)
    number_prefix = forms.CharField(
        label=_("number prefix"), max_length=10, required=False, help_text=_("For example “Д.” gives Д.1, Д.2 …")
    )
    reason = forms.CharField(label=_("reason for the update"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    revision = forms.IntegerField(widget=forms.HiddenInput)


class NodeForm(forms.Form):
    title = forms.CharField(label=_("title"), widget=forms.Textarea(attrs={"rows": 2}))
    level = forms.ChoiceField(label=_("level"), choices=Level.choices)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    expected_results = forms.CharField(
        label=_("expected results"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    target_groups = forms.ModelMultipleChoiceField(
        label=_("target groups"),
        queryset=TargetGroup.objects.filter(is_active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sector = forms.ChoiceField(label=_("sector"), choices=[("", "—")], required=False)
    lead = forms.ModelMultipleChoiceField(
        label=_("lead organisations"), queryset=Organization.objects.none(), required=False
    )
    partners = forms.ModelMultipleChoiceField(label=_("partners"), queryset=Organization.objects.none(), required=False)
    responsible_text = forms.CharField(label=_("responsible (as written)"), max_length=500, required=False)
    stage = forms.ModelChoiceField(label=_("stage"), queryset=Stage.objects.none(), required=False)
    starts_on = forms.DateField(label=_("from"), required=False, widget=DATE_WIDGET)
    ends_on = forms.DateField(label=_("to"), required=False, widget=DATE_WIDGET)
    budget = forms.DecimalField(label=_("estimated budget"), required=False, min_value=0, max_digits=14, decimal_places=2)
    budget_currency = forms.ChoiceField(label=_("currency"), choices=Currency.choices)
    notes = forms.CharField(label=_("notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    FINANCING_ROWS = 4

    def __init__(self, *args, version, organizations, show_sector=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(version=version)
        self.fields["lead"].queryset = organizations
        self.fields["partners"].queryset = organizations
        from .models import Sector

        self.fields["sector"].choices = [("", "—"), *Sector.choices]
        if not show_sector:
            del self.fields["sector"]
        self.financing_rows = []
        for index in range(self.FINANCING_ROWS):
            prefix = f"fin{index}"
            self.fields[f"{prefix}_source"] = forms.ChoiceField(
                label=_("source"), choices=[("", "—"), *FinancingLine.Source.choices], required=False
            )
            self.fields[f"{prefix}_programme"] = forms.CharField(label=_("programme or donor"), required=False, max_length=200)
            self.fields[f"{prefix}_amount"] = forms.DecimalField(
                label=_("amount"), required=False, max_digits=14, decimal_places=2
            )
            self.fields[f"{prefix}_currency"] = forms.ChoiceField(label=_("currency"), choices=Currency.choices, required=False)
            self.financing_rows.append(prefix)

    def financing_fields(self):
        return [
            [self[f"{prefix}_{name}"] for name in ("source", "programme", "amount", "currency")]
            for prefix in self.financing_rows
        ]

    def main_fields(self):
        skip = {"revision", "lead", "partners", "target_groups", "budget", "budget_currency", "starts_on", "ends_on", "stage"}
        return [
            field for field in self.visible_fields() if field.name not in skip and not field.name.startswith("fin")
        ]

    def clean(self):
        data = super().clean()
        lines = []
        for prefix in self.financing_rows:
            source = data.get(f"{prefix}_source")
            amount = data.get(f"{prefix}_amount")
            if not source:
                if amount is not None:
                    self.add_error(f"{prefix}_source", _("Choose the source of this amount."))
                continue
            if amount is not None and amount < 0:
                self.add_error(f"{prefix}_amount", _("A financing amount cannot be negative."))
                continue
            lines.append(
                {
                    "source": source,
                    "programme": data.get(f"{prefix}_programme") or "",
                    "amount": amount,
                    "currency": data.get(f"{prefix}_currency") or Currency.BGN,
                }
            )
        data["financing"] = lines
        return data

    @classmethod
    def initial_for(cls, node) -> dict:
        initial = {
            name: getattr(node, name)
            for name in (
                "title", "level", "description", "expected_results", "sector", "responsible_text", "stage",
                "starts_on", "ends_on", "budget", "budget_currency", "notes", "revision",
            )
        }
        initial["target_groups"] = list(node.target_groups.all())
        initial["lead"] = [r.organization for r in node.responsibilities.all() if r.role == "lead"]
        initial["partners"] = [r.organization for r in node.responsibilities.all() if r.role == "partner"]
        for index, line in enumerate(list(node.financing.all())[: cls.FINANCING_ROWS]):
            prefix = f"fin{index}"
            initial.update(
                {
                    f"{prefix}_source": line.source,
                    f"{prefix}_programme": line.programme,
                    f"{prefix}_amount": line.amount,
                    f"{prefix}_currency": line.currency,
                }
            )
        return initial


class NodeAddForm(forms.Form):
    title = forms.CharField(label=_("title"), widget=forms.Textarea(attrs={"rows": 2}))
    level = forms.ChoiceField(label=_("level"), choices=Level.choices)
    revision = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AlignmentForm(forms.Form):
    targets = forms.MultipleChoiceField(label=_("implements"), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].choices = [
            (str(node.key), f"{node.number} {node.title[:120]}") for node in targets
        ]


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["kind", "title", "starts_on", "ends_on", "activities"]
        widgets = {"starts_on": DATE_WIDGET, "ends_on": DATE_WIDGET, "activities": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self):
        # The service validates and saves (ModelForm would validate against a half-built instance).
        pass


class StakeholderForm(forms.ModelForm):
    class Meta:
        model = StakeholderRole
        fields = ["stakeholder", "organization", "responsibilities"]
        widgets = {"responsibilities": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        if organizations is not None:
            self.fields["organization"].queryset = organizations

    def _post_clean(self):
        pass


class PartnershipForm(forms.ModelForm):
    class Meta:
        model = PartnershipInstrument
        fields = ["kind", "description", "partners"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def _post_clean(self):
        pass


class CommunicationForm(forms.ModelForm):
    class Meta:
        model = CommunicationItem
        fields = ["kind", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}

    def _post_clean(self):
        pass


class ConsultationForm(forms.Form):
    opens_on = forms.DateField(label=_("opens on"), widget=DATE_WIDGET)
    closes_on = forms.DateField(label=_("closes on"), widget=DATE_WIDGET)


class AdoptionForm(forms.Form):
    body = forms.ModelChoiceField(label=_("adopted by"), queryset=Organization.objects.none())
    decision_number = forms.CharField(label=_("decision number"), max_length=30)
    protocol_number = forms.CharField(label=_("protocol number"), max_length=30, required=False)
    adopted_on = forms.DateField(label=_("date"), widget=DATE_WIDGET)
    signed_by = forms.CharField(label=_("signed by"), max_length=150, required=False)

    def __init__(self, *args, bodies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].queryset = bodies


class UpdateForm(forms.Form):
    reason = forms.CharField(label=_("reason for the update"), widget=forms.Textarea(attrs={"rows": 3}))


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("document"),
        help_text=_("Word (DOCX, DOC), PDF with a text layer, or plain text; up to 50 MB."),
    )


class DocumentForm(forms.ModelForm):
    class Meta:
        model = PlanDocument
        fields = ["title", "kind", "file", "is_public"]

    def _post_clean(self):
        pass


class CommentForm(forms.ModelForm):
    # A field people do not see: robots fill it, and their comment is dropped.
    website = forms.CharField(required=False, widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}))

    class Meta:
        model = Comment
        fields = ["author_name", "author_email", "organization_name", "node", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}
        help_texts = {
            "author_name": _("Not published: only the organisation's name, if you give one, is shown with the comment."),
            "author_email": _("Not published; used only to send you the answer."),
        }

    def __init__(self, *args, nodes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["node"].queryset = nodes if nodes is not None else self.fields["node"].queryset.none()
        self.fields["node"].required = False

    def _post_clean(self):
        pass


class ModerationForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=Comment.Status.choices)
    answer = forms.CharField(label=_("answer"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class SummaryForm(forms.Form):
    summary = forms.CharField(label=_("summary of comments and answers"), widget=forms.Textarea(attrs={"rows": 6}))
