"""The administrators' pages of the archive API's system clients: the list, a new client, a client's
permissions and directorates, a new token, deactivation.

A token is shown once, in the answer to the request that issued it (never stored, never put in a
session or a redirect): only its hash is kept.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socplan.core.scoping import scope_for

from .authentication import api_client_activate, api_client_create, api_client_deactivate, api_client_token_rotate, api_client_update
from .forms_clients import ApiClientForm
from .models import ApiClient


def _administrator_check(user) -> None:
    if not scope_for(user).is_administrator:
        raise PermissionDenied


def _end_of_day(day: datetime.date | None) -> datetime.datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))


def _token_page(request, client: ApiClient, token: str, *, new: bool):
    response = render(request, "archive/client_token.html", {"client": client, "token": token, "new": new})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def client_list(request):
    _administrator_check(request.user)
    clients = ApiClient.objects.select_related("organization").prefetch_related("directorates").order_by("name")
    return render(request, "archive/client_list.html", {"clients": clients, "now": timezone.now()})


@login_required
def client_create(request):
    _administrator_check(request.user)
    form = ApiClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        client, token = api_client_create(
            name=data["name"],
            organization=data["organization"],
            scopes=data["scopes"],
            directorates=data["directorates"],
            expires_at=_end_of_day(data["expires_on"]),
        )
        return _token_page(request, client, token, new=True)
    return render(request, "archive/client_form.html", {"form": form})


@login_required
def client_detail(request, pk: int):
    _administrator_check(request.user)
    client = get_object_or_404(ApiClient.objects.select_related("organization"), pk=pk)
    form = ApiClientForm(request.POST or None, client=client)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        api_client_update(
            client=client,
            name=data["name"],
            scopes=data["scopes"],
            directorates=data["directorates"],
            expires_at=_end_of_day(data["expires_on"]),
        )
        if client.organization_id != data["organization"].pk:
            client.organization = data["organization"]
            client.save(update_fields=["organization", "updated_at"])
        messages.success(request, _("The changes were saved."))
        return redirect("archive:client_detail", pk=client.pk)
    return render(request, "archive/client_detail.html", {"client": client, "form": form, "now": timezone.now()})


@require_POST
@login_required
def client_rotate(request, pk: int):
    _administrator_check(request.user)
    client = get_object_or_404(ApiClient, pk=pk)
    token = api_client_token_rotate(client=client)
    return _token_page(request, client, token, new=False)


@require_POST
@login_required
def client_deactivate(request, pk: int):
    _administrator_check(request.user)
    client = get_object_or_404(ApiClient, pk=pk)
    api_client_deactivate(client=client)
    messages.success(request, _("The client was deactivated: its token and its links no longer work."))
    return redirect("archive:client_detail", pk=client.pk)


@require_POST
@login_required
def client_activate(request, pk: int):
    _administrator_check(request.user)
    client = get_object_or_404(ApiClient, pk=pk)
    api_client_activate(client=client)
    messages.success(request, _("The client was activated again."))
    return redirect("archive:client_detail", pk=client.pk)
