"""Drop a demo e-delivery message into the folder inbox (settings.ARCHIVE_EDELIVERY_DIR), as the
ССЕВ bridge would, so that the robot has something to register at its next poll.

    manage.py edelivery_demo_message --municipality VTR04 --kind heating [--bad-egn] [--poll]
"""

import datetime
import uuid

from django.core.management.base import BaseCommand

from socplan.archive.edelivery.adapters import FolderAdapter

KINDS = {
    "heating": ("Заявление-декларация за целева помощ за отопление", "otoplenie",
                "Моля да ми бъде отпусната целева помощ за отопление за отоплителен сезон 2026/2027 г."),
    "children": ("Заявление за месечна помощ за отглеждане на дете", "pomoshti-deca",
                 "Моля да ми бъде отпусната месечна помощ за отглеждане на дете до завършване на средно образование."),
    "signal": ("Сигнал за дете в риск", "", "Съседското дете често остава само вкъщи без храна."),
    "service": ("Искане за социална услуга „Личен асистент“", "socialna-usluga",
                "Моля за насочване към социална услуга за моята майка."),
}


class Command(BaseCommand):
    help = "Drop a demo e-delivery message (with a PDF attachment) into the folder inbox."

    def add_arguments(self, parser):
        parser.add_argument("--municipality", default="VTR04", help="EKATTE code of the municipality whose ДСП receives it.")
        parser.add_argument("--directorate", default="", help="The directorate's register code or ЕИК (instead of the municipality).")
        parser.add_argument("--kind", choices=sorted(KINDS), default="heating")
        parser.add_argument("--bad-egn", action="store_true", help="An ЕГН with a wrong check digit (the robot refuses it).")
        parser.add_argument("--poll", action="store_true", help="Run the robot right away.")

    def handle(self, *args, **options):
        subject, service, text = KINDS[options["kind"]]
        egn = "7501020019" if options["bad_egn"] else "7501020018"
        form = {"person": {"identifier": egn, "first_name": "Мария", "middle_name": "Иванова", "last_name": "Петрова"},
                "request": text}
        if service:
            form["service"] = service
        if options["directorate"]:
            form["directorate"] = options["directorate"]
        else:
            form["municipality"] = options["municipality"]
        message_id = f"demo-{datetime.datetime.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}"
        FolderAdapter().drop(
            message_id,
            data={
                "received_at": datetime.datetime.now(datetime.UTC).isoformat(),
                "sender": {"name": "Мария Иванова Петрова", "identifier": egn, "address": "ССЕВ профил 1001"},
                "subject": subject,
                "form_data": form,
                "attachments": ["zaiavlenie.pdf"],
            },
            attachments={"zaiavlenie.pdf": _pdf(subject, text)},
        )
        self.stdout.write(f"Dropped {message_id}.")
        if options["poll"]:
            from socplan.archive.edelivery.robot import poll

            result = poll()
            self.stdout.write(f"Answered: {result.answered}; failed: {result.failed}; errors: {result.errors}")


def _pdf(subject: str, text: str) -> bytes:
    from html import escape

    from weasyprint import HTML

    html = (f'<html><body style="font-family: DejaVu Sans; font-size: 12pt"><h1>{escape(subject)}</h1>'
            f"<p>{escape(text)}</p><p>Мария Иванова Петрова, ЕГН 7501020018</p></body></html>")
    return HTML(string=html).write_pdf()
