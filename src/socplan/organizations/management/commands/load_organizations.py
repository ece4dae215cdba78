from django.core.management.base import BaseCommand

from socplan.organizations.services import organizations_load_public


class Command(BaseCommand):
    help = "Create the agency, the regional administrations, РДСП, municipalities and councils. Safe to run again."

    def handle(self, *args, **options):
        created = organizations_load_public()
        total = sum(created.values())
        self.stdout.write(self.style.SUCCESS(f"Organisations: {total} created ({created or 'none new'})."))
