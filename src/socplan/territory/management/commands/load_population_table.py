"""load_population_table FILE [--dry-run] [--date 31.12.2024] [--user NAME]: load NSI's municipal
population by age (see territory.population_import for the layouts read)."""

from datetime import date, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from socplan.territory.population_import import LoadResult, population_table_load

# Beyond this many changes a dry run lists them per unit (every one with -v 2).
DETAIL_LIMIT = 200


def _date(value: str) -> date:
    for pattern in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise CommandError(f"“{value}” is not a date: write 31.12.2024 or 2024-12-31.")


class Command(BaseCommand):
    help = (
        "Load NSI's table of population by municipality, age and sex (XLSX or CSV), or the CSV template "
        "territory/data/population_template.csv. Nothing is saved if any row is invalid. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The XLSX or CSV file.")
        parser.add_argument("--dry-run", action="store_true", help="Show what would change; save nothing.")
        parser.add_argument(
            "--date",
            dest="reference_date",
            type=_date,
            help="Date of the figures, when the title of the table gives none.",
        )
        parser.add_argument("--user", help="Username recorded in the source of the figures.")

    def handle(
        self, *args, file: Path, dry_run: bool, reference_date: date | None, user: str | None, **options
    ) -> None:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: {exc.strerror or exc}") from exc
        account = None
        if user:
            try:
                account = get_user_model().objects.get_by_natural_key(user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user “{user}”.") from None
        try:
            result = population_table_load(
                data=data, filename=file.name, user=account, reference_date=reference_date, dry_run=dry_run
            )
        except ValidationError as exc:
            raise CommandError("The file was not loaded:\n" + "\n".join(exc.messages)) from exc
        for warning in result.warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
        self._changes(result, options["verbosity"])
        dates = ", ".join(f"{d:%d.%m.%Y}" for d in result.reference_dates)
        verb = "would be" if dry_run else "were"
        self.stdout.write(
            f"{len(result.units)} municipalities, as of {dates}: {result.created} figures {verb} created, "
            f"{result.updated} updated, {result.removed} removed, {result.unchanged} unchanged."
        )
        if dry_run:
            self.stdout.write(self.style.SUCCESS("Dry run: nothing was saved."))
        else:
            self.stdout.write(self.style.SUCCESS("Population figures are up to date."))

    def _changes(self, result: LoadResult, verbosity: int) -> None:
        if not result.changes or verbosity < 1:
            return
        if len(result.changes) <= DETAIL_LIMIT or verbosity >= 2:
            for change in result.changes:
                self.stdout.write(f"  {change}")
            return
        per_unit: dict[str, list[int]] = {}
        for change in result.changes:
            counts = per_unit.setdefault(change.unit_code, [0, 0, 0])
            counts[0 if change.old is None else (2 if change.new is None else 1)] += 1
        for unit, (new, changed, removed) in sorted(per_unit.items()):
            self.stdout.write(f"  {unit}: {new} new, {changed} changed, {removed} removed")
        self.stdout.write("  (-v 2 lists every figure)")
