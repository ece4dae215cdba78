"""Forms of the meeting and evaluation pages: a meeting and its minutes, agenda items, attendance,
decisions and their follow-ups, closing a follow-up; an evaluation and its findings.

The forms only parse input; the services check the rules (who may, dates, numbering). Like the
other ModelForms of the project they skip the model validation in `_post_clean`, so a rule is
checked once, by the service, and shown with `add_service_errors`.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from socplan.organizations.models import Body, Membership, Organization
from socplan.plans.models import Level, PlanVersion

from .models import AgendaItem, Attendance, Deadline, Decision, Evaluation, Finding, FollowUp, Meeting

# Dates are typed dd.mm.yyyy (as the minutes write them), whatever the browser's own locale is.
DATE = forms.DateInput(format="%d.%m.%Y", attrs={"placeholder": _("dd.mm.yyyy"), "inputmode": "numeric", "size": 10})
TIME = forms.TimeInput(format="%H:%M", attrs={"placeholder": _("hh:mm"), "inputmode": "numeric", "size": 5})

# The levels of a plan a finding is written about (the evaluation looks at goals, not activities).
GOAL_LEVELS = (Level.PRIORITY, Level.GENERAL_GOAL, Level.SPECIFIC_GOAL)


def _rows(n: int) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": n})


# --- Meetings -----------------------------------------------------------------------------------


class MeetingForm(forms.ModelForm):
    """A meeting and the parts of its minutes that are not the agenda. `body` is chosen only when
    the meeting is planned; a meeting does not move to another body."""

    body = forms.ModelChoiceField(label=_("body"), queryset=Body.objects.none())
    revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Meeting
        fields = [
            "title", "composition", "number", "date", "starts_at", "place", "invitation_number", "invitation_date",
            "approved_by", "approved_by_position", "chair", "chair_position", "prepared_by", "prepared_by_position",
            "opening", "closing", "status",
        ]
        widgets = {
            "date": DATE,
            "invitation_date": DATE,
            "starts_at": TIME,
            "title": forms.TextInput(attrs={"size": 80}),
            "opening": _rows(5),
            "closing": _rows(3),
        }
        help_texts = {
            "title": _("Empty: the name of the body and the date are shown."),
            "number": _("The number of the minutes (протокол), if the body numbers them."),
            "opening": _("Who opened the meeting, the quorum, the orders that set up the body (shown before the agenda)."),
            "closing": _("Shown after the last item, e.g. “With this the agenda was exhausted …”."),
            "chair": _("Empty: the body's current chair."),
        }

    field_order = ["body"]

    def __init__(self, *args, bodies: QuerySet[Body] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if bodies is None:
            del self.fields["body"]
            body = self.instance.body
            if not body.has_extended_composition:
                self.fields["composition"].choices = [(Membership.Composition.CORE, Membership.Composition.CORE.label)]
        else:
            self.fields["body"].queryset = bodies

    def clean(self):
        data = super().clean()
        body = data.get("body") or (self.instance.body if self.instance.pk else None)
        if body is not None and data.get("composition") == Membership.Composition.EXTENDED and not body.has_extended_composition:
            self.add_error("composition", _("This body has no extended composition."))
        return data

    def _post_clean(self):
        pass

    # Groups of fields shown side by side in the template.
    ROWS = (
        ("number", "date", "starts_at"),
        ("invitation_number", "invitation_date"),
        ("approved_by", "approved_by_position"),
        ("chair", "chair_position"),
        ("prepared_by", "prepared_by_position"),
    )

    def layout(self) -> list[list]:
        """The visible fields in order, those of one ROW together (a list of bound fields per line)."""
        grouped = {name: row for row in self.ROWS for name in row}
        lines, done = [], set()
        for name in self.fields:
            if name in done or isinstance(self.fields[name].widget, forms.HiddenInput):
                continue
            names = grouped.get(name, (name,))
            done.update(names)
            lines.append([self[n] for n in names if n in self.fields])
        return lines


class AgendaItemForm(forms.ModelForm):
    class Meta:
        model = AgendaItem
        fields = ["title", "presenters", "minutes"]
        widgets = {"title": _rows(2), "minutes": _rows(8)}
        help_texts = {
            "presenters": _("e.g. Ms Mila Pashova, regional coordinator"),
            "minutes": _("What was presented and discussed under this item, as it goes into the minutes."),
        }

    def _post_clean(self):
        pass


class AttendanceForm(forms.Form):
    """Who was present (a box per row of the list) and up to three new guests."""

    GUESTS = 3

    def __init__(self, *args, rows: list[Attendance], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for row in rows:
            name = f"present_{row.pk}"
            self.fields[name] = forms.BooleanField(label=row.person_name, required=False, initial=row.present)
            self.rows.append((row, self[name]))
        self.guest_rows = []
        for index in range(1, self.GUESTS + 1):
            self.fields[f"guest_name_{index}"] = forms.CharField(label=_("Guest: name"), max_length=200, required=False)
            self.fields[f"guest_position_{index}"] = forms.CharField(
                label=_("position, organisation"), max_length=300, required=False
            )
            self.guest_rows.append((self[f"guest_name_{index}"], self[f"guest_position_{index}"]))

    def present_ids(self) -> list[int]:
        return [row.pk for row, _field in self.rows if self.cleaned_data.get(f"present_{row.pk}")]

    def guests(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        return [
            (data[f"guest_name_{i}"], data.get(f"guest_position_{i}") or "")
            for i in range(1, self.GUESTS + 1)
            if data.get(f"guest_name_{i}", "").strip()
        ]


class DecisionForm(forms.ModelForm):
    number = forms.IntegerField(
        label=_("number"), min_value=1, max_value=999, required=False, help_text=_("Empty: the next number.")
    )

    class Meta:
        model = Decision
        fields = ["number", "agenda_item", "text"]
        widgets = {"text": _rows(5)}
        help_texts = {"text": _("As it is written in the minutes, with its deadlines. Add the deadlines below, one by one.")}

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agenda_item"].queryset = meeting.agenda.order_by("position")
        self.fields["agenda_item"].label_from_instance = lambda item: f"{item.position}. {item.title[:120]}"
        if self.instance.pk:
            # The number of a decision already taken is kept (it is cited in letters and reports).
            del self.fields["number"]

    def _post_clean(self):
        pass


def responsible_choices(body: Body) -> QuerySet[Organization]:
    """The organisations a body's decision can make responsible: the public institutions of the
    body's region (or the national ones for a national body) and the organisations its members
    represent. Partners (NGOs, providers, businesses) are thousands per region; those that sit on
    the body are on the list through their members."""
    region_id = body.organization.region_id
    nearby = Q(region_id=region_id) if region_id else Q(region__isnull=True)
    members = body.memberships.exclude(organization=None).values("organization")
    return (
        Organization.objects.filter(is_active=True)
        .filter((nearby & ~Q(kind__in=Organization.PARTNER_KINDS)) | Q(pk__in=members))
        .select_related("municipality")
        .order_by("kind", "name")
    )


def deadline_choices(body: Body) -> QuerySet[Deadline]:
    """The deadlines of the monitoring rounds of the body's region that are not closed."""
    from .models import Round

    rounds = Q(round__region_id=body.organization.region_id) if body.organization.region_id else Q(round__region__isnull=True)
    return (
        Deadline.objects.filter(rounds)
        .exclude(round__status=Round.Status.CLOSED)
        .select_related("round")
        .order_by("-due_on")
    )


class FollowUpForm(forms.Form):
    """A deadline set by a decision: one follow-up is made per responsible organisation."""

    task = forms.CharField(label=_("what is to be done"), max_length=500, widget=_rows(2))
    responsible = forms.ModelMultipleChoiceField(
        label=_("responsible organisations"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several."),
    )
    all_municipalities = forms.BooleanField(label=_("all municipalities of the region"), required=False)
    due_on = forms.DateField(label=_("deadline"), required=False, widget=DATE, help_text=_("Empty: the date of the round deadline."))
    deadline = forms.ModelChoiceField(
        label=_("round deadline"),
        queryset=Deadline.objects.none(),
        required=False,
        help_text=_("The follow-up is closed by itself when the respondent meets this deadline of the round."),
    )

    def __init__(self, *args, body: Body, **kwargs):
        super().__init__(*args, **kwargs)
        self.body = body
        self.fields["responsible"].queryset = responsible_choices(body)
        self.fields["deadline"].queryset = deadline_choices(body)
        self.fields["deadline"].label_from_instance = lambda d: f"{d.round.name}: {d.title} — {d.due_on:%d.%m.%Y}"
        if not body.organization.region_id:
            del self.fields["all_municipalities"]

    def clean(self):
        data = super().clean()
        responsible = list(data.get("responsible") or [])
        if data.get("all_municipalities"):
            chosen = {org.pk for org in responsible}
            responsible += [
                org
                for org in self.fields["responsible"].queryset.filter(kind=Organization.Kind.MUNICIPALITY)
                if org.pk not in chosen
            ]
        data["responsible"] = responsible
        if not responsible and "responsible" not in self.errors:
            self.add_error("responsible", _("Choose at least one responsible organisation."))
        if not data.get("due_on"):
            if data.get("deadline"):
                data["due_on"] = data["deadline"].due_on
            elif "due_on" not in self.errors:
                self.add_error("due_on", _("Enter the deadline or choose a round deadline."))
        return data


class FollowUpCloseForm(forms.Form):
    OUTCOMES = [(FollowUp.Status.DONE, _("done")), (FollowUp.Status.CANCELLED, _("cancelled"))]

    outcome = forms.ChoiceField(label=_("outcome"), choices=OUTCOMES, initial=FollowUp.Status.DONE)
    note = forms.CharField(
        label=_("note"), required=False, max_length=5000, widget=_rows(2),
        help_text=_("e.g. “report received on 09.10.2017, № 08.00-31”, or why it was cancelled."),
    )


# --- Evaluations --------------------------------------------------------------------------------


class EvaluationForm(forms.ModelForm):
    class Meta:
        model = Evaluation
        fields = ["kind", "title", "period_start", "period_end", "evaluator", "summary"]
        widgets = {"period_start": DATE, "period_end": DATE, "summary": _rows(6), "title": forms.TextInput(attrs={"size": 80})}
        help_texts = {
            "evaluator": _("The unit, team or external evaluator."),
            "summary": _("The main conclusions of the evaluation."),
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        return data

    def _post_clean(self):
        pass


class FindingForm(forms.ModelForm):
    """What was found about one goal: chosen from the evaluated version, or typed."""

    node_key = forms.ChoiceField(label=_("goal"), required=False)

    class Meta:
        model = Finding
        fields = ["node_key", "heading", "rating", "findings", "recommendations"]
        widgets = {"findings": _rows(5), "recommendations": _rows(3), "heading": forms.TextInput(attrs={"size": 80})}
        labels = {"heading": _("or the goal as written")}
        help_texts = {"heading": _("Empty when a goal is chosen above: its number and title are used.")}

    def __init__(self, *args, goals: list, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["heading"].required = False
        self.fields["node_key"].choices = [("", "—")] + [
            (str(node.key), f"{node.number} {node.title[:150]} ({node.get_level_display()})".strip()) for node in goals
        ]
        if self.instance.pk and self.instance.node_key:
            self.initial["node_key"] = str(self.instance.node_key)
            node = next((n for n in goals if n.key == self.instance.node_key), None)
            if node is not None and self.instance.heading == f"{node.number} {node.title}".strip()[:500]:
                # The heading was taken from the goal: left empty, it follows the goal chosen.
                self.initial["heading"] = ""

    def clean(self):
        data = super().clean()
        data["node_key"] = data.get("node_key") or None
        if not data["node_key"] and not (data.get("heading") or "").strip():
            self.add_error("heading", _("Choose a goal or write it."))
        return data

    def _post_clean(self):
        pass


class EvaluationLinkForm(forms.Form):
    version = forms.ModelChoiceField(label=_("update"), queryset=PlanVersion.objects.none())

    def __init__(self, *args, evaluation: Evaluation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = evaluation.plan.versions.filter(number__gt=evaluation.version.number).order_by("number")
        self.fields["version"].label_from_instance = lambda v: f"{v.label} ({v.get_status_display()})"
