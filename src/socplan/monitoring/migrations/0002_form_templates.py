"""The form templates shipped with socplan (data/forms/*.json): those of document 002 and the
yearly reports of the Social Services Act. Existing templates are never changed."""

from django.db import migrations


def load(apps, schema_editor):
    from socplan.monitoring.library import templates_load

    templates_load(apps.get_model("monitoring", "FormTemplate"))


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
