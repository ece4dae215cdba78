"""Load the service types and the planning standards from `social_services/data/` (safe to run again)."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from socplan.social_services.models import PlanningStandard, ServiceType
from socplan.social_services.reference import (
    PLANNING_STANDARDS_FILE,
    SERVICE_TYPES_FILE,
    planning_standards_load,
    service_types_load,
)


class Command(BaseCommand):
    help = (
        "Load the social service types (ЗСУ чл. 15 and the named services of earlier law) and the planning "
        "standards (НПСУ). Idempotent; a bad row loads nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--types-file", type=Path, default=SERVICE_TYPES_FILE)
        parser.add_argument("--standards-file", type=Path, default=PLANNING_STANDARDS_FILE)
        parser.add_argument(
            "--standards",
            action="store_true",
            default=True,
            help="Also load the planning standards (the default).",
        )
        parser.add_argument(
            "--no-standards", dest="standards", action="store_false", help="Load the service types only."
        )

    def handle(self, *args, types_file: Path, standards_file: Path, standards: bool, **options):
        types_before, standards_before = ServiceType.objects.count(), PlanningStandard.objects.count()
        try:
            # Both files or neither: standards refer to the types by code.
            with transaction.atomic():
                types = service_types_load(path=types_file)
                loaded_standards = planning_standards_load(path=standards_file) if standards else None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            f"Service types: {types} in the file, {ServiceType.objects.count() - types_before} new, "
            f"{ServiceType.objects.count()} in the database."
        )
        if loaded_standards is not None:
            self.stdout.write(
                f"Planning standards: {loaded_standards} in the file, "
                f"{PlanningStandard.objects.count() - standards_before} new, "
                f"{PlanningStandard.objects.count()} in the database."
            )
        self.stdout.write(self.style.SUCCESS("Service types are up to date."))
