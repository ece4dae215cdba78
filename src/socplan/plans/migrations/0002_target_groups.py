"""The risk groups named in the source documents (000, 004): the starting list, editable later."""

from django.db import migrations

GROUPS = [
    ("children_at_risk", "Деца в риск", "Children at risk"),
    ("disabilities", "Деца и възрастни с увреждания", "Children and adults with disabilities"),
    ("elderly", "Възрастни хора", "Elderly people"),
    ("leaving_care", "Младежи, напускащи институции и грижа", "Youths leaving care"),
    ("violence_victims", "Пострадали от насилие и трафик", "Victims of violence and trafficking"),
    ("addictions", "Хора със зависимости", "People with addictions"),
    ("homeless", "Бездомни хора", "Homeless people"),
    ("roma", "Ромски общности", "Roma communities"),
]


def add_groups(apps, schema_editor):
    TargetGroup = apps.get_model("plans", "TargetGroup")
    for order, (code, name, name_en) in enumerate(GROUPS, start=1):
        TargetGroup.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "order": order})


def remove_groups(apps, schema_editor):
    apps.get_model("plans", "TargetGroup").objects.filter(code__in=[g[0] for g in GROUPS], nodes=None).delete()


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]
    operations = [migrations.RunPython(add_groups, remove_groups)]
