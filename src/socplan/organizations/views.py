from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socplan.core.audit import history_rows
from socplan.core.cache import cached_page, cached_render
from socplan.core.exceptions import ApplicationError
from socplan.core.forms import add_service_errors
from socplan.territory.models import Region

from . import selectors, services
from .forms import AppointmentForm, BodyForm, MembershipEndForm, MembershipForm, OrganizationForm
from .models import Organization


@login_required
@cached_page
def organization_list(request):
    kind = request.GET.get("kind", "")
    if kind not in Organization.Kind.values:
        kind = ""
    region = Region.objects.filter(code=request.GET.get("region", "").upper()).first()
    query = request.GET.get("q", "").strip()[:100]

    def build():
        qs = selectors.organization_list(user=request.user, kind=kind, region=region, query=query)
        return {
            "page": Paginator(qs, 50).get_page(request.GET.get("page")),
            "query": query,
            "extra_query": urlencode({"kind": kind, "region": region.code if region else ""}) + "&",
        }

    results = cached_render(request, "organizations/partials/_organization_results.html", build, parts=(request.GET.urlencode(),))
    if request.htmx:
        return HttpResponse(results)
    context = {
        "results": results,
        "kind": kind,
        "region": region,
        "query": query,
        "kinds": Organization.Kind.choices,
        "regions": Region.objects.only("code", "name_bg", "name_en").order_by("name_bg"),
        "can_create": bool(selectors.organization_creatable_kinds(user=request.user)),
    }
    return render(request, "organizations/organization_list.html", context)


@login_required
@cached_page
def organization_detail(request, pk: int):
    organization = selectors.organization_get(user=request.user, pk=pk)

    def build():
        return {
            "organization": organization,
            "bodies": selectors.body_list(user=request.user, organization=organization),
            "children": selectors.organization_list(user=request.user).filter(parent=organization),
            "can_edit": selectors.organization_can_edit(user=request.user, organization=organization),
            "can_add_body": selectors.body_can_create(user=request.user, organization=organization),
            "history": history_rows(organization),
        }

    content = cached_render(request, "organizations/partials/_organization_detail_content.html", build, parts=(pk,))
    return render(request, "organizations/organization_detail.html", {"organization": organization, "content": content})


@login_required
def organization_create(request):
    kinds = selectors.organization_creatable_kinds(user=request.user)
    if not kinds:
        raise PermissionDenied
    form = OrganizationForm(request.POST or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(user=request.user, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The organisation was registered."))
            return redirect("organizations:organization-detail", pk=organization.pk)
    return render(request, "organizations/organization_form.html", {"form": form, "organization": None})


@login_required
def organization_update(request, pk: int):
    organization = selectors.organization_get(user=request.user, pk=pk)
    if not selectors.organization_can_edit(user=request.user, organization=organization):
        raise PermissionDenied
    is_admin = selectors.scope_for(request.user).is_administrator
    form = OrganizationForm(request.POST or None, instance=organization, can_move=is_admin)
    if request.method == "POST" and form.is_valid():
        try:
            # The form does not touch the instance (see OrganizationForm._post_clean): the service does.
            services.organization_update(user=request.user, organization=organization, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The changes were saved."))
            return redirect("organizations:organization-detail", pk=pk)
    return render(request, "organizations/organization_form.html", {"form": form, "organization": organization})


@login_required
@cached_page
def body_detail(request, pk: int):
    body = selectors.body_get(user=request.user, pk=pk, with_members=False)

    def build():
        body = selectors.body_get(user=request.user, pk=pk)
        can_edit = selectors.body_can_edit(user=request.user, body=body)
        memberships = list(body.memberships.all())
        return {
            "body": body,
            "can_edit": can_edit,
            "core_members": [m for m in memberships if m.composition == "core" and m.is_current],
            "extended_members": [m for m in memberships if m.composition == "extended" and m.is_current],
            "former_members": [m for m in memberships if not m.is_current],
            "appointments": body.appointments.all(),
            "appointment_form": AppointmentForm() if can_edit else None,
            "membership_form": MembershipForm(body=body) if can_edit else None,
            "history": history_rows(body),
        }

    content = cached_render(request, "organizations/partials/_body_detail_content.html", build, parts=(pk,))
    return render(request, "organizations/body_detail.html", {"body": body, "content": content})


@login_required
def body_create(request, organization_pk: int):
    organization = selectors.organization_get(user=request.user, pk=organization_pk)
    if not selectors.body_can_create(user=request.user, organization=organization):
        raise PermissionDenied
    form = BodyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            body = services.body_create(user=request.user, organization=organization, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The body was created."))
            return redirect("organizations:body-detail", pk=body.pk)
    return render(request, "organizations/body_form.html", {"form": form, "organization": organization})


def _editable_body(request, pk: int):
    body = selectors.body_get(user=request.user, pk=pk)
    if not selectors.body_can_edit(user=request.user, body=body):
        raise PermissionDenied
    return body


@login_required
@require_POST
def appointment_create(request, pk: int):
    body = _editable_body(request, pk)
    form = AppointmentForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_create(user=request.user, body=body, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The order was recorded."))
            form = AppointmentForm()
            if not request.htmx:
                return redirect("organizations:body-detail", pk=pk)
    body = selectors.body_get(user=request.user, pk=pk)
    return render(
        request,
        "organizations/partials/_appointments.html",
        {"body": body, "appointments": body.appointments.all(), "appointment_form": form, "can_edit": True},
        status=200 if not form.errors else 422,
    )


@login_required
@require_POST
def membership_create(request, pk: int):
    body = _editable_body(request, pk)
    form = MembershipForm(request.POST, body=body)
    if form.is_valid():
        try:
            services.membership_add(user=request.user, body=body, **form.cleaned_data)
        except (ValidationError, ApplicationError) as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The member was added."))
            return redirect("organizations:body-detail", pk=pk)
    return render(
        request,
        "organizations/membership_form.html",
        {"body": body, "form": form},
        status=422,
    )


@login_required
@require_POST
def membership_end(request, pk: int, membership_pk: int):
    body = _editable_body(request, pk)
    membership = get_object_or_404(body.memberships.all(), pk=membership_pk)
    form = MembershipEndForm(request.POST)
    if form.is_valid():
        try:
            services.membership_end(user=request.user, membership=membership, end_date=form.cleaned_data["end_date"])
        except (ValidationError, ApplicationError) as exc:
            messages.error(request, "; ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("The membership was ended."))
    else:
        messages.error(request, _("Enter the end date as dd.mm.yyyy."))
    return redirect("organizations:body-detail", pk=pk)
