"""Register a system client of the archive's API and print its token (shown this once).

    manage.py archive_client_create "ИИС на АСП" --scope archive:read --scope archive:files
        [--organization <id>] [--directorate <id or register code> …] [--expires 2027-12-31]

The organisation defaults to the agency. Without --directorate the client reads every directorate.
Only the token's hash is stored: keep the printed token in the client system's secrets.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from socplan.archive.authentication import api_client_create
from socplan.archive.models import DIRECTORATE_KINDS, ApiClient, RegisterSettings
from socplan.organizations.models import Organization


class Command(BaseCommand):
    help = "Register a system client of the archive's API and print its token (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the client's name, unique")
        parser.add_argument(
            "--scope", action="append", dest="scopes", choices=ApiClient.Permission.values, default=[],
            help="a permission (repeat for several); default archive:read",
        )
        parser.add_argument("--organization", type=int, help="id of the organisation that runs the system (default: the agency)")
        parser.add_argument("--directorate", action="append", dest="directorates", default=[], help="a directorate's id or register code (repeat)")
        parser.add_argument("--expires", type=datetime.date.fromisoformat, help="last day the token works (YYYY-MM-DD)")

    def handle(self, *args, name, scopes, organization, directorates, expires, **options):
        if ApiClient.objects.filter(name__iexact=name.strip()).exists():
            raise CommandError(f"A system client named {name!r} exists already (issue it a new token on its page).")
        if organization:
            owner = Organization.objects.filter(pk=organization).first()
        else:
            owner = Organization.objects.filter(kind=Organization.Kind.AGENCY).order_by("pk").first()
        if owner is None:
            raise CommandError("No such organisation (load the organisations, or give --organization).")
        chosen = [self._directorate(value) for value in directorates]
        expires_at = timezone.make_aware(datetime.datetime.combine(expires, datetime.time(23, 59, 59))) if expires else None
        try:
            client, token = api_client_create(
                name=name, organization=owner, scopes=scopes or [ApiClient.Permission.READ], directorates=chosen, expires_at=expires_at
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stderr.write(
            f"Registered {client.name} (id {client.pk}) with {', '.join(client.scopes)}"
            f" for {', '.join(d.name for d in chosen) or 'every directorate'}. The token (shown once):"
        )
        self.stdout.write(token)

    @staticmethod
    def _directorate(value: str) -> Organization:
        value = value.strip()
        if value.isdigit():
            found = Organization.objects.filter(pk=int(value), kind__in=DIRECTORATE_KINDS).first()
        else:
            row = RegisterSettings.objects.filter(code__iexact=value).select_related("directorate").first()
            found = row.directorate if row else None
        if found is None:
            raise CommandError(f"No directorate has the id or register code {value!r}.")
        return found
