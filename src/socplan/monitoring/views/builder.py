"""The form builder: a monitoring unit makes its own templates (or its own copy of a shipped one)
without code. The page edits the schema with form controls (static/monitoring/form_builder.js);
the server checks it with forms_engine.schema_check before saving."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.utils.translation import gettext_lazy

from socplan.core.forms import add_service_errors
from socplan.organizations.models import Organization

from .. import selectors, services
from ..forms import TemplateMetaForm
from ..models import FormTemplate


class BuilderForm(TemplateMetaForm):
    owner = forms.ModelChoiceField(label=gettext_lazy("Owner"), queryset=Organization.objects.none(), required=False)
    schema = forms.CharField(widget=forms.HiddenInput)

    class Meta(TemplateMetaForm.Meta):
        pass

    def clean_schema(self):
        try:
            value = json.loads(self.cleaned_data["schema"])
        except ValueError:
            raise forms.ValidationError(_("The form could not be read.")) from None
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The form could not be read."))
        return value


def builder_texts() -> dict:
    """The builder's words, translated (the script reads them from the page)."""
    return {
        "section": _("Section"), "title": _("Title"), "help": _("Help text"), "label": _("Label"), "type": _("Type"),
        "required": _("required"), "readonly": _("filled by socplan (read-only)"), "key": _("Field key"),
        "prefill": _("Prefilled from"), "choices": _("Choices (one per line)"), "min": _("Minimum"), "max": _("Maximum"),
        "indicator": _("Indicator code (the answer becomes its value)"), "question": _("Question"), "table": _("Repeating table"),
        "columns": _("Columns"), "column": _("column"), "addColumn": _("Add a column"), "rowRules": _("Rules for each row"),
        "addRowRule": _("Add a row rule"), "left": _("Column"), "right": _("must not exceed / be below column"), "op": _("Rule"),
        "rule": _("rule"), "minRows": _("Minimum rows"), "addQuestion": _("Add a question"), "addTable": _("Add a repeating table"),
        "addSection": _("Add a section"), "formRules": _("Rules across the form"),
        "formRulesHelp": _("E.g. the sum of a table column must equal a total question, or one number question must not exceed another."), "tableKey": _("Table key"),
        "columnKey": _("Column key"), "questionKey": _("Question key"),
        "leftQuestion": _("Question key"), "rightQuestion": _("must not exceed / be below question"),
        "requiredIf": _("Required only when question (key)"), "requiredAnswer": _("has the answer"),
        "yes": _("yes"), "no": _("no"), "addFormRule": _("Add a rule"), "up": _("Move up"),
        "down": _("Move down"), "remove": _("Remove"), "confirmRemove": _("Remove"),
        "types": {
            "integer": _("whole number"), "number": pgettext("value type", "number"), "text": _("short text"), "longtext": _("long text"),
            "date": _("date"), "choice": _("choice"), "yesno": _("yes / no"), "file": _("file"),
            "lte": "≤", "gte": "≥", "sum_equals": _("sum equals"), "sum_lte": _("sum at most"),
        },
        "prefills": {
            "respondent.name": _("the respondent's name"), "municipality.name": _("the municipality's name"),
            "municipality.population": _("the municipality's population"), "round.period": _("the reporting period"),
            "services.count": _("number of services"), "services.capacity": _("capacity of the services"),
            "services.users": _("users of the services"), "previous": _("the answer of the previous period"),
            "services": _("one row per service"), "indicators": _("one row per indicator of the plan"),
            "municipalities": _("one row per municipality"), "target_groups": _("one row per target group"),
        },
    }


@login_required
def template_build(request):
    user = request.user
    owners = selectors.organizers(user=user)
    source = None
    copy = False
    if request.GET.get("edit") or request.POST.get("edit"):
        source = get_object_or_404(FormTemplate, pk=request.GET.get("edit") or request.POST.get("edit"))
        if not selectors.template_can_edit(user=user, template=source):
            raise PermissionDenied
    elif request.GET.get("copy") or request.POST.get("copy"):
        source, copy = get_object_or_404(FormTemplate, pk=request.GET.get("copy") or request.POST.get("copy")), True
    if not owners.exists() and (source is None or copy):
        raise PermissionDenied
    initial = {"schema": json.dumps(source.schema if source else {"sections": [{"title": "", "items": []}]}, ensure_ascii=False)}
    if copy:
        initial["name"] = _("%(name)s (own copy)") % {"name": source.name}
    form = BuilderForm(request.POST or None, instance=None if copy else source, initial=initial)
    form.fields["owner"].queryset = owners
    if source is not None and not copy:
        form.fields.pop("owner")
    elif owners.count() == 1:
        form.fields["owner"].initial = owners.first()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fields = {name: data[name] for name in ("name", "description", "respondent", "legal_basis")}
        try:
            saved = services.template_save(
                user=user, schema=data["schema"], template=source, owner=data.get("owner"), copy=copy, **fields
            )
        except (ValidationError, PermissionDenied) as exc:
            if isinstance(exc, PermissionDenied):
                raise
            add_service_errors(form, exc)
        else:
            if source is not None and not copy and saved.pk != source.pk:
                messages.success(request, _("The template was already sent out, so your change was saved as version %(n)s.") % {"n": saved.version})
            else:
                messages.success(request, _("The template was saved."))
            return redirect("monitoring:template_detail", pk=saved.pk)
    return render(
        request,
        "monitoring/template_build.html",
        {"form": form, "source": source, "copy": copy, "texts": builder_texts()},
    )
