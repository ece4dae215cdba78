"""Forms of the monitoring pages (rounds, reports, indicators, templates)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from socplan.organizations.models import Body, Organization
from socplan.plans.models import Plan

from .models import Deadline, FormTemplate, Indicator, Round

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RoundForm(forms.ModelForm):
    submission_title = forms.CharField(label=_("Reports due: title"), initial=_("Draft reports"), max_length=200)
    submission_due = forms.DateField(label=_("Reports due on"), widget=DATE)
    decision_title = forms.CharField(label=_("Council decisions due: title"), required=False, max_length=200, initial=_("Council decisions adopting the reports"))
    decision_due = forms.DateField(label=_("Council decisions due on"), required=False, widget=DATE, help_text=_("Leave empty if no council decision is needed."))

    class Meta:
        model = Round
        fields = ["name", "organizer", "body", "plan", "period_start", "period_end", "instructions", "remind_days_before", "on_track_from", "at_risk_from"]
        widgets = {"period_start": DATE, "period_end": DATE, "instructions": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, organizers=None, plans=None, bodies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organizer"].queryset = organizers if organizers is not None else Organization.objects.none()
        self.fields["plan"].queryset = plans if plans is not None else Plan.objects.none()
        self.fields["body"].queryset = bodies if bodies is not None else Body.objects.none()
        if not self.instance.pk and not self.is_bound:
            # The usual case: one administration, its unit and its regional strategy in force.
            for name in ("organizer", "body", "plan"):
                choices = self.fields[name].queryset
                if choices.count() == 1:
                    self.fields[name].initial = choices.first()
        if self.instance.pk:
            self.fields.pop("organizer")
            for deadline in self.instance.deadlines.all():
                prefix = "submission" if deadline.kind == Deadline.Kind.SUBMISSION else "decision"
                self.fields[f"{prefix}_title"].initial = deadline.title
                self.fields[f"{prefix}_due"].initial = deadline.due_on

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("period_start"), cleaned.get("period_end")
        due, decision = cleaned.get("submission_due"), cleaned.get("decision_due")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        if end and due and due < end:
            self.add_error("submission_due", _("The reports cannot be due before the period ends."))
        if due and decision and decision < due:
            self.add_error("decision_due", _("The council decisions cannot be due before the reports themselves."))
        return cleaned

    def deadlines(self) -> list[tuple[str, str, object]]:
        data = self.cleaned_data
        rows = [(Deadline.Kind.SUBMISSION, data["submission_title"], data["submission_due"])]
        if data.get("decision_due"):
            rows.append((Deadline.Kind.COUNCIL_DECISION, data.get("decision_title") or "", data["decision_due"]))
        return rows


class AssignForm(forms.Form):
    template = forms.ModelChoiceField(label=_("Template"), queryset=FormTemplate.objects.none())
    respondents = forms.ModelMultipleChoiceField(
        label=_("Respondents"), queryset=Organization.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    needs_council_decision = forms.BooleanField(label=_("A council decision adopting the report must be attached"), required=False)
    per_service = forms.BooleanField(label=_("One form per service of the respondent"), required=False)

    def __init__(self, *args, templates=None, respondents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates if templates is not None else FormTemplate.objects.none()
        self.fields["respondents"].queryset = respondents if respondents is not None else Organization.objects.none()


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment to the respondent"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)


class FileForm(forms.Form):
    file = forms.FileField(label=_("File"))
    question = forms.CharField(required=False, widget=forms.HiddenInput)


class CouncilDecisionForm(forms.Form):
    number = forms.CharField(label=_("Decision number"), max_length=100)
    date = forms.DateField(label=_("Date of the decision"), widget=DATE)
    file = forms.FileField(label=_("The decision (scan or document)"))


class IndicatorForm(forms.ModelForm):
    class Meta:
        model = Indicator
        fields = [
            "code", "name", "kind", "value_type", "unit", "baseline_value", "baseline_date", "source", "verification",
            "collected_by_text", "aggregation", "weight_age_from", "weight_age_to", "higher_is_better",
        ]
        widgets = {"baseline_date": DATE, "name": forms.TextInput(attrs={"size": 60})}


class TargetForm(forms.Form):
    label = forms.CharField(label=_("Year or stage"), max_length=100, required=False)
    due_on = forms.DateField(label=_("By"), widget=DATE)
    value = forms.CharField(label=_("Target value"), max_length=40)


class ValueForm(forms.Form):
    period_start = forms.DateField(label=_("Period from"), widget=DATE)
    period_end = forms.DateField(label=_("Period to"), widget=DATE)
    unit = forms.ChoiceField(label=_("Territorial unit"))
    value = forms.CharField(label=_("Value"), max_length=5000, required=False)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    file = forms.FileField(label=_("Evidence (optional)"), required=False)
    revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = list(units)


class TemplateMetaForm(forms.ModelForm):
    class Meta:
        model = FormTemplate
        fields = ["name", "description", "respondent", "legal_basis"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
