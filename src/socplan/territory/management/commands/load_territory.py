from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from socplan.territory.services import DATA_DIR, territory_load


class Command(BaseCommand):
    help = "Load the official territory data (EKATTE, NSI population, boundaries). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", type=Path, default=DATA_DIR)

    def handle(self, *args, data_dir: Path, **options):
        try:
            report = territory_load(data_dir=data_dir)
        except (ValidationError, FileNotFoundError) as exc:
            raise CommandError("; ".join(getattr(exc, "messages", [str(exc)]))) from exc
        for name in report.created:
            self.stdout.write(f"{name}: {report.created[name]} created, {report.updated[name]} updated")
        self.stdout.write(self.style.SUCCESS("Territory data is up to date."))
