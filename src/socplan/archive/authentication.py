"""Tokens of the archive's system clients (the ИИС): `Authorization: Bearer <token>`.

Only the token's SHA-256 is stored (ApiClient.token_hash), so a request costs one indexed lookup.
A client is not a user: the request's user stays anonymous and the client is `request.auth`, so
nothing that records "who changed this" (django-simple-history, uploaded_by) mistakes a system
for a person, and no user-scoped code (core.scoping) ever sees a client.

Also here: issuing, rotating and deactivating clients, shared by the administrators' pages and the
`archive_client_create` command (archive/services.py belongs to the ingestion side).
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from .models import ApiClient

KEYWORD = "Bearer"
# last_used_at is written at most this often per client: a busy client would otherwise write a row
# on every call (and the write would be the slowest part of a read).
LAST_USED_PRECISION = datetime.timedelta(minutes=1)


class ApiClientAuthentication(authentication.BaseAuthentication):
    """`Authorization: Bearer <token>` of an active, unexpired ApiClient → (AnonymousUser, client)."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: the session (staff users) may still authenticate the request
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Send the token as “Authorization: Bearer <token>”, without spaces in it."))
        try:
            token = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("The token is not valid.")) from None
        client = ApiClient.objects.filter(token_hash=ApiClient.hash_token(token)).first()
        if client is None:
            raise exceptions.AuthenticationFailed(_("The token is not valid."))
        if not client.is_active:
            raise exceptions.AuthenticationFailed(_("This system client has been deactivated."))
        now = timezone.now()
        if client.expires_at is not None and client.expires_at <= now:
            raise exceptions.AuthenticationFailed(
                _("This system client's token expired on %(date)s.")
                % {"date": formats.date_format(timezone.localtime(client.expires_at), "SHORT_DATETIME_FORMAT")}
            )
        if client.last_used_at is None or now - client.last_used_at >= LAST_USED_PRECISION:
            # update(), not save(): no history record and no post_save (which would empty the page cache).
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now
        return (AnonymousUser(), client)

    def authenticate_header(self, request):
        return f'{KEYWORD} realm="api"'


def request_client(request) -> ApiClient | None:
    """The system client of an API request, or None when a user (or nobody) sent it."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiClient) else None


class IsClientOrUser(permissions.BasePermission):
    """A signed-in user or an authenticated system client (its scopes are checked by the view)."""

    def has_permission(self, request, view):
        return request_client(request) is not None or bool(request.user and request.user.is_authenticated)


# --- Managing clients ------------------------------------------------------------------------------


def _scopes_clean(scopes) -> list[str]:
    known = set(ApiClient.Permission.values)
    return [s for s in ApiClient.Permission.values if s in set(scopes or ()) & known]


@transaction.atomic
def api_client_create(
    *, name: str, organization, scopes: list[str], directorates=(), expires_at: datetime.datetime | None = None
) -> tuple[ApiClient, str]:
    """Register a system client; return it and its token (shown once: only its hash is kept)."""
    client = ApiClient(name=name.strip(), organization=organization, scopes=_scopes_clean(scopes), expires_at=expires_at)
    token = client.issue_token()
    client.full_clean()
    client.save()
    client.directorates.set(directorates)
    return client, token


@transaction.atomic
def api_client_update(*, client: ApiClient, scopes: list[str], directorates=(), expires_at=None, name: str | None = None) -> ApiClient:
    if name is not None:
        client.name = name.strip()
    client.scopes = _scopes_clean(scopes)
    client.expires_at = expires_at
    client.full_clean()
    client.save()
    client.directorates.set(directorates)
    return client


def api_client_token_rotate(*, client: ApiClient) -> str:
    """A new token for the client; the old one stops working at once. Returned once."""
    token = client.issue_token()
    client.save(update_fields=["token_hash", "token_prefix", "updated_at"])
    return token


def api_client_deactivate(*, client: ApiClient) -> ApiClient:
    """Stop the client: its token and the file links it was given stop working at once."""
    client.is_active = False
    client.save(update_fields=["is_active", "updated_at"])
    return client


def api_client_activate(*, client: ApiClient) -> ApiClient:
    client.is_active = True
    client.save(update_fields=["is_active", "updated_at"])
    return client


# --- OpenAPI -------------------------------------------------------------------------------------


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiClientAuthentication
    name = "archiveClientToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "The token of a system client of the archive (issued by an administrator, shown once).",
        }
