"""Demonstration archive: generated scans of applications (fictional people, marked „ДЕМО“ on every
page) taken through the real pipeline — Tesseract OCR in Bulgarian, metadata suggested from the
text — so that search, the page viewer and the integration API have something to show.

Also: the register settings and a few register entries of the Велико Търново directorate, an
auditor, a second directorate user (Плевен), and a system client for the ИИС whose token is
written to the data folder (demo_api_token).
"""

from __future__ import annotations

import datetime
import io
import random

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from socplan.core.validators import egn_compose
from socplan.organizations.demo import _user, demo_password
from socplan.organizations.models import Organization, RoleAssignment

Kind = Organization.Kind
Role = RoleAssignment.Role
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

# Fictional applicants: (first, middle, last, birth date, female).
PEOPLE = [
    ("Мария", "Иванова", "Петрова", datetime.date(1968, 3, 14), True),
    ("Георги", "Стоянов", "Николов", datetime.date(1954, 11, 2), False),
    ("Елена", "Димитрова", "Костова", datetime.date(1989, 7, 21), True),
    ("Иван", "Петков", "Радев", datetime.date(2003, 1, 9), False),
    ("Десислава", "Христова", "Ангелова", datetime.date(1979, 5, 30), True),
    ("Стефан", "Маринов", "Щерев", datetime.date(1947, 9, 17), False),
]

APPLICATIONS = [
    ("zayavlenie-deklaratsia", "ЗАЯВЛЕНИЕ-ДЕКЛАРАЦИЯ", "за отпускане на целева помощ за отопление",
     ["Моля да ми бъде отпусната целева помощ за отопление за отоплителен сезон 2025/2026 г.",
      "Декларирам, че живея сам(а) и доходите ми за предходните шест месеца са под",
      "диференцирания минимален доход. Прилагам удостоверение за доходи."]),
    ("zayavlenie-deklaratsia", "ЗАЯВЛЕНИЕ-ДЕКЛАРАЦИЯ", "за месечна помощ за отглеждане на дете",
     ["Моля да ми бъде отпусната месечна помощ за отглеждане на дете до завършване на",
      "средно образование. Детето посещава училище редовно. Прилагам удостоверение",
      "от училището и декларация за доходите на семейството."]),
    ("socialen-doklad", "СОЦИАЛЕН ДОКЛАД", "по заявление за еднократна помощ",
     ["При посещение в дома на лицето социалният работник установи, че семейството",
      "живее в тежки битови условия. Предлагам да бъде отпусната еднократна помощ",
      "за задоволяване на инцидентно възникнали здравни потребности."]),
    ("zapoved", "ЗАПОВЕД", "за отпускане на еднократна помощ",
     ["На основание чл. 16 от Закона за социалното подпомагане и социалния доклад",
      "НАРЕЖДАМ: да се отпусне еднократна помощ в размер на 375 евро.",
      "Заповедта подлежи на обжалване в 14-дневен срок от съобщаването ѝ."]),
]


def _egn(birth: datetime.date, female: bool, serial: int) -> str:
    return egn_compose(birth, 10 * serial + (1 if female else 0) + 2 * (serial % 5))


def _scan(lines: list[tuple[str, int, bool]], rng: random.Random) -> bytes:
    """A page as a scanner gives it: 200 dpi A4, grey paper, a slight tilt, PNG."""
    from PIL import Image, ImageDraw, ImageFilter, ImageFont

    width, height = 1654, 2339
    page = Image.new("L", (width, height), 248)
    draw = ImageDraw.Draw(page)
    y = 120
    for text, size, bold in lines:
        font = ImageFont.truetype(FONT_BOLD if bold else FONT, size)
        draw.text((140, y), text, font=font, fill=25)
        y += int(size * 1.7)
    stamp = ImageFont.truetype(FONT_BOLD, 30)
    draw.text((140, height - 160), "ДЕМО — измислени данни, само за демонстрация на socplan", font=stamp, fill=90)
    page = page.rotate(rng.uniform(-0.8, 0.8), fillcolor=248, resample=Image.Resampling.BICUBIC)
    page = page.filter(ImageFilter.GaussianBlur(0.4))
    buffer = io.BytesIO()
    page.save(buffer, "PNG", dpi=(200, 200))
    return buffer.getvalue()


def _application_lines(kind, person, egn, number, date, directorate_name) -> list[tuple[str, int, bool]]:
    first, middle, last, _birth, female = person
    _code, title, subtitle, body = kind
    signed = "Долуподписаната" if female else "Долуподписаният"
    return [
        (f"ДО ДИРЕКТОРА НА {directorate_name.upper()}", 30, True),
        (f"Вх. № {number}", 30, False),
        ("", 20, False),
        (title, 44, True),
        (subtitle, 32, False),
        ("", 20, False),
        (f"{signed} {first} {middle} {last}, ЕГН {egn},", 32, False),
        ("адрес: гр. Велико Търново, ул. „Демо“ № 1", 32, False),
        *[(line, 30, False) for line in body],
        ("", 20, False),
        (f"Дата: {date:%d.%m.%Y} г.                         Подпис: ..........", 30, False),
    ]


def seed(*, stdout) -> None:
    from socplan.archive.models import Document, RegisterSettings

    vtr = Organization.objects.filter(kind=Kind.DSP, municipality__code="VTR04").first()
    pvn = Organization.objects.filter(kind=Kind.DSP, municipality__code="PVN24").first()
    agency = Organization.objects.get(kind=Kind.AGENCY)
    if vtr is None:
        return
    password = demo_password()
    _user("auditor", "Теодора", "Одиторова", Role.AUDITOR, agency, password)
    if pvn is not None:
        _user("directorate.pvn", "Петър", "Плевенски", Role.DIRECTORATE_EXPERT, pvn, password)
        RegisterSettings.objects.get_or_create(directorate=pvn, defaults={"code": "ДСП-ПЛ"})
    RegisterSettings.objects.get_or_create(directorate=vtr, defaults={"code": "ДСП-ВТ"})
    _client(agency, stdout)
    if Document.objects.filter(directorate=vtr, source=Document.Source.DEMO).exists():
        return
    _scans(vtr, stdout)


def _client(agency, stdout) -> None:
    from socplan.archive.models import ApiClient

    client = ApiClient.objects.filter(name="ИИС на АСП (демо)").first()
    path = settings.DATA_DIR / "demo_api_token"
    if client is not None and path.exists():
        return
    client = client or ApiClient(name="ИИС на АСП (демо)", organization=agency)
    client.scopes = [ApiClient.Permission.READ, ApiClient.Permission.FILES, ApiClient.Permission.INGEST]
    token = client.issue_token()
    client.save()
    path.write_text(token)
    stdout.write(f"Archive API token of the demo ИИС client: {path}")


def _scans(vtr, stdout) -> None:
    from socplan.archive import services
    from socplan.archive.models import Document, DocumentType, RegisterEntry
    from socplan.archive.processing import document_process
    from socplan.archive.register import register_entry_create

    rng = random.Random(2026)
    directorate_name = "Дирекция „Социално подпомагане“ Велико Търново"
    clerk = RoleAssignment.objects.filter(role=Role.DIRECTORATE_EXPERT, organization=vtr).select_related("user").first()
    user = clerk.user if clerk else None
    made = 0
    # What arrived, in the order it arrived: the register numbers follow the calendar.
    arrivals = []
    for index, person in enumerate(PEOPLE):
        egn = _egn(person[3], person[4], 10 + index)
        kinds = [APPLICATIONS[index % 2]] + ([APPLICATIONS[2], APPLICATIONS[3]] if index < 2 else [])
        for offset, kind in enumerate(kinds):
            date = datetime.date(2025, 10, 1) + datetime.timedelta(days=rng.randint(0, 20) + 15 * offset)
            arrivals.append((date, index, person, egn, kind))
    arrivals.sort(key=lambda a: (a[0], a[1]))
    for date, index, person, egn, kind in arrivals:
        entry = register_entry_create(
            directorate=vtr, sender=f"{person[0]} {person[2]}", sender_identifier=egn,
            subject=f"{kind[1].capitalize()} {kind[2]}", channel=RegisterEntry.Channel.COUNTER, user=user,
            registered_at=timezone.make_aware(datetime.datetime.combine(date, datetime.time(9, 30 + index))),
        )
        image = _scan(_application_lines(kind, person, egn, entry.number, date, directorate_name), rng)
        file = ContentFile(image, name=f"{kind[0]}-{index + 1}.png")
        document = services.document_ingest(
            directorate=vtr, file=file, source=Document.Source.DEMO, user=user, register_entry=entry
        ).document
        document_process(document.pk)
        document.refresh_from_db()
        made += 1
        # The first applicants' documents are confirmed by the clerk; the rest wait for it.
        if index < 4 and document.status == Document.Status.READY:
            suggested = (document.suggestions.get("identifiers") or [{}])[0]
            name = suggested.get("name") or {}
            services.document_metadata_confirm(document=document, user=user, data={
                "document_type": DocumentType.objects.filter(code=kind[0]).first()
                or DocumentType.objects.filter(code=(document.suggestions or {}).get("document_type") or "").first(),
                "legal_basis": None,
                "title": f"{kind[1].capitalize()} {kind[2]}",
                "document_date": date,
                "incoming_number": entry.number,
                "incoming_date": date,
                "person_identifier": suggested.get("value") or egn,
                "first_name": name.get("first_name") or person[0],
                "middle_name": name.get("middle_name") or person[1],
                "last_name": name.get("last_name") or person[2],
                "id_document_number": "",
                "citizenship": "BGR",
            })
    stdout.write(f"Archive: {made} demo scans recognised (Tesseract, Bulgarian).")
