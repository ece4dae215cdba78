"""Full-text search over the pages' text (archive.search): no model changes, only database objects.

PostgreSQL: the text search configuration `socplan_bg` (Hunspell's Bulgarian dictionary, then
`simple` for words it does not know), the stored generated column archive_page.search with its
GIN index. Without the dictionary files on the server (Debian: hunspell-bg, which puts
bg_bg.dict/bg_bg.affix into tsearch_data) `socplan_bg` is a plain copy of `simple` and a warning
says so; `manage.py archive_search_setup` adds the dictionary later and recomputes the column.

SQLite: the FTS5 table archive_page_fts (rowid = page id, body = the page's text as stems) and a
trigger that removes the rows of deleted pages. Django's SQLite schema editor rebuilds a table to
alter it, which drops its triggers: `archive_search_setup` puts the trigger back (a missing trigger
only leaves rows of deleted pages behind, which the search never returns, since it joins the pages).
"""

import logging

from django.db import DatabaseError, migrations, transaction

log = logging.getLogger("socplan.archive")


def forwards(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("CREATE TEXT SEARCH CONFIGURATION socplan_bg (COPY = simple)")
            try:
                with transaction.atomic(using=connection.alias):
                    cursor.execute(
                        "CREATE TEXT SEARCH DICTIONARY socplan_bg_hunspell (TEMPLATE = ispell, DictFile = bg_bg, AffFile = bg_bg)"
                    )
                    cursor.execute(
                        "ALTER TEXT SEARCH CONFIGURATION socplan_bg ALTER MAPPING FOR word, hword, hword_part "
                        "WITH socplan_bg_hunspell, simple"
                    )
            except DatabaseError as error:
                log.warning(
                    "The Bulgarian Hunspell dictionary is missing on the database server (%s): the archive's "
                    "search finds only the exact word forms typed. Install hunspell-bg on the server and run "
                    "`manage.py archive_search_setup`.",
                    str(error).strip().splitlines()[0] if str(error).strip() else error,
                )
            cursor.execute(
                "ALTER TABLE archive_page ADD COLUMN search tsvector "
                "GENERATED ALWAYS AS (to_tsvector('socplan_bg'::regconfig, text)) STORED"
            )
            # A page's tsvector (~2.7 kB, positions included, incompressible) would go to the TOAST
            # table, and reading it back costs ~10 µs a row wherever the index is not enough (ranking,
            # a common word checked page by page, newest first): kept in the row, the same reads are
            # 3–6 times faster (bench/bench_archive_search.py). The text goes to TOAST instead.
            cursor.execute("ALTER TABLE archive_page ALTER COLUMN search SET STORAGE MAIN")
            cursor.execute("CREATE INDEX archive_page_search ON archive_page USING gin (search)")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE VIRTUAL TABLE archive_page_fts USING fts5(body, tokenize = 'unicode61 remove_diacritics 0')"
            )
            cursor.execute(
                "CREATE TRIGGER archive_page_fts_delete AFTER DELETE ON archive_page "
                "BEGIN DELETE FROM archive_page_fts WHERE rowid = old.id; END"
            )
            # Pages written before this migration. The stemmer is a pure function (no models), so
            # using it here is safe; a later change of the stemmer is applied by archive_search_setup.
            from socplan.archive.stemming import stem_text

            Page = apps.get_model("archive", "Page")
            batch = []
            for pk, text in Page.objects.values_list("pk", "text").iterator(chunk_size=2000):
                batch.append((pk, stem_text(text)))
                if len(batch) >= 2000:
                    cursor.executemany("INSERT INTO archive_page_fts (rowid, body) VALUES (%s, %s)", batch)
                    batch = []
            if batch:
                cursor.executemany("INSERT INTO archive_page_fts (rowid, body) VALUES (%s, %s)", batch)


def backwards(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS archive_page_search")
            cursor.execute("ALTER TABLE archive_page DROP COLUMN IF EXISTS search")
            cursor.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS socplan_bg")
            cursor.execute("DROP TEXT SEARCH DICTIONARY IF EXISTS socplan_bg_hunspell")
        elif connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER IF EXISTS archive_page_fts_delete")
            cursor.execute("DROP TABLE IF EXISTS archive_page_fts")


class Migration(migrations.Migration):
    dependencies = [("archive", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
