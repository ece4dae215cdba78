"""Set up (or repair) the archive's full-text search and rebuild what it reads.

    manage.py archive_search_setup [--no-reindex]

PostgreSQL: makes the text search configuration socplan_bg use the Bulgarian Hunspell dictionary
(hunspell-bg must be installed on the database server: Debian puts bg_bg.dict/bg_bg.affix into
tsearch_data), then recomputes every page's tsvector (the generated column is recomputed by
`UPDATE … SET text = text`), in batches so no long lock is held. Run it when migration 0002 warned
that the dictionary was missing, or after the dictionary was updated.

SQLite: re-creates the FTS5 table's trigger if a table rebuild dropped it, and rewrites every
page's stems (needed when the stemmer changes).

Idempotent: running it twice does the same work twice and changes nothing more.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connections, transaction

from socplan.archive.models import Page
from socplan.archive.search import FTS_TABLE, index_pages

BATCH = 5000


class Command(BaseCommand):
    help = "Set up the archive's full-text search (Bulgarian dictionary, index) and rebuild the index."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument(
            "--no-reindex", action="store_true", help="Only set up; do not recompute the pages."
        )

    def handle(self, *args, database="default", no_reindex=False, **options):
        connection = connections[database]
        if connection.vendor == "postgresql":
            self._postgresql(connection)
        elif connection.vendor == "sqlite":
            self._sqlite(connection)
        else:
            raise CommandError(
                f"The archive's search supports PostgreSQL and SQLite, not {connection.vendor}."
            )
        if not no_reindex:
            self._reindex(connection)

    def _postgresql(self, connection):
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = 'socplan_bg'")
            if cursor.fetchone() is None:
                raise CommandError("The configuration socplan_bg is missing: run `manage.py migrate` first.")
            cursor.execute("SELECT 1 FROM pg_ts_dict WHERE dictname = 'socplan_bg_hunspell'")
            if cursor.fetchone() is None:
                try:
                    with transaction.atomic(using=connection.alias):
                        cursor.execute(
                            "CREATE TEXT SEARCH DICTIONARY socplan_bg_hunspell "
                            "(TEMPLATE = ispell, DictFile = bg_bg, AffFile = bg_bg)"
                        )
                except DatabaseError as error:
                    raise CommandError(
                        "PostgreSQL cannot load the Bulgarian Hunspell dictionary (bg_bg.dict/bg_bg.affix in its "
                        "tsearch_data folder). On Debian: apt-get install hunspell-bg (then pg_updatedicts). "
                        f"The server said: {error}"
                    ) from error
            # The generated column depends on socplan_bg, so the configuration is altered, never dropped.
            cursor.execute(
                "ALTER TEXT SEARCH CONFIGURATION socplan_bg ALTER MAPPING FOR word, hword, hword_part "
                "WITH socplan_bg_hunspell, simple"
            )
            # As migration 0002 sets it (kept in the row); the rewrite below applies it to old rows.
            cursor.execute(
                "SELECT attstorage FROM pg_attribute WHERE attrelid = 'archive_page'::regclass AND attname = 'search'"
            )
            if cursor.fetchone()[0] != "m":
                cursor.execute("ALTER TABLE archive_page ALTER COLUMN search SET STORAGE MAIN")
            cursor.execute("SELECT to_tsvector('socplan_bg', 'заявленията')::text")
            self.stdout.write(
                f"socplan_bg uses the Bulgarian dictionary: заявленията → {cursor.fetchone()[0]}"
            )

    def _sqlite(self, connection):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = %s", [FTS_TABLE])
            if cursor.fetchone() is None:
                raise CommandError(f"The table {FTS_TABLE} is missing: run `manage.py migrate` first.")
            cursor.execute(
                "CREATE TRIGGER IF NOT EXISTS archive_page_fts_delete AFTER DELETE ON archive_page "
                f"BEGIN DELETE FROM {FTS_TABLE} WHERE rowid = old.id; END"
            )

    def _reindex(self, connection):
        pages = Page.objects.using(connection.alias)
        total, last = 0, 0
        if connection.vendor == "sqlite":
            with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {FTS_TABLE}")
        while True:
            # Batches by id, each in its own transaction: a big archive is never locked as a whole.
            with transaction.atomic(using=connection.alias):
                ids = list(pages.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH])
                if not ids:
                    break
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute("UPDATE archive_page SET text = text WHERE id = ANY(%s)", [ids])
                else:
                    index_pages(pages.filter(pk__in=ids).values_list("pk", "text"), using=connection.alias)
            total += len(ids)
            last = ids[-1]
        self.stdout.write(f"Search index rebuilt for {total} pages.")
