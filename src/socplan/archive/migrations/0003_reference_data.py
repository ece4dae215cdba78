"""The archive's editable lists as shipped: document types (with their retention), legal bases of
the support, and the e-delivery robot's routes (which service or request, and which team).

Staff change these lists afterwards in the administration; this migration only adds the rows whose
code (or name) is not there yet, and never overwrites an edited row.

Retention: documents of a social-assistance file are kept 10 years (the nomenclature of the
agency's files); documents that bear on a person's status for life — court decisions, medical
expert decisions on disability, child-protection signals — are kept 50 years.
"""

from django.db import migrations
from django.db.models import ProtectedError

# (code, name, retention years, keywords (one per line), order)
DOCUMENT_TYPES = [
    ("zayavlenie-deklaratsia", "Заявление-декларация", 10, "заявление-декларация\nзаявление\nдекларация", 10),
    ("zapoved", "Заповед", 10, "заповед\nнареждам", 20),
    ("socialen-doklad", "Социален доклад", 10, "социален доклад\nсоциална анкета", 30),
    ("reshenie", "Решение", 10, "решение за отпускане\nрешение за отказ\nрешение", 40),
    ("zhalba", "Жалба", 10, "жалба\nоплакване", 50),
    ("udostoverenie", "Удостоверение", 10, "удостоверение\nслужебна бележка", 60),
    ("sadebno-reshenie", "Съдебно решение", 50, "съдебно решение\nв името на народа\nопределение на съда", 70),
    ("meditsinski-dokument", "Медицински документ", 50, "експертно решение\nтелк\nнелк\nепикриза\nмедицинско удостоверение\nамбулаторен лист", 80),
    ("lichna-karta-kopie", "Лична карта (копие)", 10, "лична карта\nidentity card\nidbgr", 90),
    ("signal", "Сигнал", 50, "сигнал\nдете в риск", 100),
    ("drugo", "Друго", 10, "", 999),
]

# (code, name, order)
LEGAL_BASES = [
    ("zsp-chl9", "ЗСП, чл. 9 — месечна социална помощ", 10),
    ("zsp-chl14", "ЗСП, чл. 14 — еднократна помощ", 20),
    ("zsp-otoplenie", "ЗСП — целева помощ за отопление", 30),
    ("zsp-naem", "ЗСП — целева помощ за наем на общинско жилище", 40),
    ("zspd", "ЗСПД — семейни помощи за деца", 50),
    ("zhu", "ЗХУ — хора с увреждания", 60),
    ("zzdt", "ЗЗДт — закрила на детето", 70),
    ("zsu", "ЗСУ — социални услуги", 80),
    ("drugo", "Друго основание", 999),
]

SOCIAL = "Отдел „Социална закрила“"
CHILD = "Отдел „Закрила на детето“"
DISABILITY = "Отдел „Хора с увреждания и социални услуги“"
OFFICE = "Деловодство"

# (code, name, keywords (one per line; a stem finds every form of the word), document type, team, order)
ROUTES = [
    ("otoplenie", "Целева помощ за отопление",
     "целева помощ за отопление\nотопл\nдърва\nвъглища\nелектроенергия\nheating", "zayavlenie-deklaratsia", SOCIAL, 10),
    ("pomoshti-deca", "Месечни помощи за деца",
     "месечна помощ за отглеждане на дете\nмесечни помощи за деца\nсемейни помощи\nотглеждане на дете\nзспд\nдетски",
     "zayavlenie-deklaratsia", SOCIAL, 20),
    ("ednokratna-pomosht", "Еднократна помощ",
     "еднократна помощ\nеднократн\nинцидентно възникнал", "zayavlenie-deklaratsia", SOCIAL, 30),
    ("mesechna-pomosht", "Месечна социална помощ",
     "месечна социална помощ\nгарантиран минимален доход\nдиференциран минимален доход", "zayavlenie-deklaratsia", SOCIAL, 35),
    ("hora-s-uvrezhdania", "Помощи за хора с увреждания",
     "хора с увреждания\nувреждан\nтелк\nнелк\nзху\nмесечна финансова подкрепа\nчужда помощ\nпомощно средство\nпомощни средства",
     "zayavlenie-deklaratsia", DISABILITY, 40),
    ("zakrila-signal", "Закрила на детето — сигнал",
     "закрила на детето\nсигнал\nдете в риск\nнасилие\nнеглиж\nзздт", "signal", CHILD, 50),
    ("socialna-usluga", "Искане за социална услуга",
     "социална услуга\nсоциални услуги\nзсу\nпатронаж\nдневен център\nличен асистент\nсоциален асистент\nнасочване",
     "zayavlenie-deklaratsia", DISABILITY, 60),
    ("zhalba", "Жалба", "жалба\nоплакване\nобжалв", "zhalba", OFFICE, 70),
    ("drugo", "Друго", "", "drugo", OFFICE, 999),
]


def _add(model, code, name, **fields):
    if model.objects.filter(code=code).exists() or model.objects.filter(name=name).exists():
        return
    model.objects.create(code=code, name=name, **fields)


def load(apps, schema_editor=None):
    DocumentType = apps.get_model("archive", "DocumentType")
    LegalBasis = apps.get_model("archive", "LegalBasis")
    Route = apps.get_model("archive", "Route")
    for code, name, years, keywords, order in DOCUMENT_TYPES:
        _add(DocumentType, code, name, retention_years=years, keywords=keywords, order=order)
    for code, name, order in LEGAL_BASES:
        _add(LegalBasis, code, name, order=order)
    for code, name, keywords, type_code, team, order in ROUTES:
        _add(
            Route, code, name, keywords=keywords, team_name=team, order=order,
            document_type=DocumentType.objects.filter(code=type_code).first(),
        )


def unload(apps, schema_editor):
    """Remove the rows this migration added, except those that documents or messages refer to."""
    for model_name, rows in (("Route", ROUTES), ("LegalBasis", LEGAL_BASES), ("DocumentType", DOCUMENT_TYPES)):
        model = apps.get_model("archive", model_name)
        for row in model.objects.filter(code__in=[r[0] for r in rows]):
            try:
                row.delete()
            except ProtectedError:
                pass


class Migration(migrations.Migration):
    # Saving rows bumps the data version (core's cache invalidation on post_save): its table first.
    dependencies = [("archive", "0002_search"), ("core", "0002_add_data_version")]

    operations = [migrations.RunPython(load, unload)]
