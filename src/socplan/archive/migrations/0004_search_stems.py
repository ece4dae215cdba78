"""PostgreSQL: the pages' stems by socplan's stemmer beside the Hunspell lexemes in `search`.

Debian's Hunspell dictionary for Bulgarian does not link every form to its word ("майката",
"детето", "центрове" stay words of their own), so a search for "майка" would miss "майката". The
column `stems` (not a model field; written by search.index_document) holds each page's text
reduced to stems, the same the SQLite index uses, and the generated column indexes both; a query
word matches its dictionary form or its stem. Nothing changes on SQLite.
"""

from django.db import migrations

BATCH = 2000


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("ALTER TABLE archive_page ADD COLUMN stems text NOT NULL DEFAULT ''")
        cursor.execute("DROP INDEX IF EXISTS archive_page_search")
        cursor.execute("ALTER TABLE archive_page DROP COLUMN IF EXISTS search")
        cursor.execute(
            "ALTER TABLE archive_page ADD COLUMN search tsvector GENERATED ALWAYS AS "
            "(to_tsvector('socplan_bg'::regconfig, text) || to_tsvector('simple'::regconfig, stems)) STORED"
        )
        cursor.execute("ALTER TABLE archive_page ALTER COLUMN search SET STORAGE MAIN")
    # Pages already there get their stems (the generated column follows each update).
    from socplan.archive.search import stems_write

    last = 0
    while True:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT id, text FROM archive_page WHERE id > %s ORDER BY id LIMIT %s", [last, BATCH])
            rows = cursor.fetchall()
        if not rows:
            break
        stems_write(rows, using=schema_editor.connection.alias)
        last = rows[-1][0]
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("CREATE INDEX archive_page_search ON archive_page USING gin (search)")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS archive_page_search")
        cursor.execute("ALTER TABLE archive_page DROP COLUMN IF EXISTS search")
        cursor.execute("ALTER TABLE archive_page DROP COLUMN IF EXISTS stems")
        cursor.execute(
            "ALTER TABLE archive_page ADD COLUMN search tsvector "
            "GENERATED ALWAYS AS (to_tsvector('socplan_bg'::regconfig, text)) STORED"
        )
        cursor.execute("ALTER TABLE archive_page ALTER COLUMN search SET STORAGE MAIN")
        cursor.execute("CREATE INDEX archive_page_search ON archive_page USING gin (search)")


class Migration(migrations.Migration):
    dependencies = [("archive", "0003_reference_data")]
    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
