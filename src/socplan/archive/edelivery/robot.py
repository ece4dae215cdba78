"""The e-delivery robot: reads each new ССЕВ message, registers it, files its attachments, routes
it to the responsible team and answers the sender with the incoming number — exactly once.

`poll()` runs every minute (tasks.edelivery_poll_task on the beat). For each message the adapter
offers, `message_process()` walks four steps; each step's result is written before the next starts,
so a crash (or a killed worker) anywhere resumes at the step that did not finish:

1. record    InboxMessage (adapter, external_id) is unique: the message is written down once,
             status NEW.
2. register  in one transaction, with the message's row locked: classify it (classify.route_for),
             choose the directorate, open the person's dossier, take the incoming number
             (register.register_entry_create), store each attachment into the archive
             (services.document_ingest, which queues OCR once the transaction commits) and set the
             status REGISTERED. A crash before the commit leaves nothing: no number is taken (the
             counter rolls back with the entry), the stored files are removed, the status is still
             NEW and the next poll does it again. A crash after it is seen by the status.
3. reply     the automatic answer with the incoming number and date. The adapter sends a reply
             once per key (the message's id): after a crash between sending and recording it, the
             next attempt finds the reply sent and does not send it again. Status ANSWERED.
4. ack       the adapter is told the message is handled (the folder moves it to done/).

Statuses (InboxMessage.Status): NEW → REGISTERED → ANSWERED, or NEW → FAILED. FAILED → NEW only by
staff (`message_retry`, the "try again" button), after the reason was dealt with.

Which directorate (documented rule, first that applies):

a. form_data["directorate"]: the directorate's register code (RegisterSettings.code, or the code
   it would get by default, e.g. ДСП-VTR04) or its ЕИК;
b. form_data["municipality"] (EKATTE code such as VTR04, or the municipality's name): the one
   active ДСП of that municipality; several (Sofia's districts) means the form must name it (a);
c. otherwise the message FAILS with the reason: a message is never guessed into a directorate.

Bad input never raises out of `poll()`: a message that cannot be read or is refused (no sender,
invalid ЕГН/ЛНЧ, no directorate) is FAILED with its reason and put aside by the adapter (never
deleted); an attachment of a refused type is listed (in the entry's note, the message and the
reply) while the message and its other attachments are registered; an unexpected error is logged,
written on the message and tried again at the next poll, MAX_ATTEMPTS times before the message is
FAILED.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from socplan.core.exceptions import ApplicationError
from socplan.organizations.models import Body, Organization

from .. import services
from ..models import DIRECTORATE_KINDS, Batch, Document, InboxMessage, RegisterEntry, Route, archive_storage
from ..register import default_code, local_date, register_entry_create
from .adapters import InboxAdapter, MalformedMessage, Message, Reply, adapter_get, adapters_active
from .classify import route_for

log = logging.getLogger("socplan.archive.edelivery")

MAX_ATTEMPTS = 5
# Lines of a register entry's note written by the robot (Bulgarian: the register is kept in Bulgarian).
TEAM_PREFIX = "Отговорно звено: "
REFUSED_PREFIX = "Неприет прикачен файл: "
Status = InboxMessage.Status


class Refused(Exception):
    """The message is readable but cannot be registered as it is (the reason is shown to staff)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class PollResult:
    answered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# --- The loop ------------------------------------------------------------------------------------


def poll(*, adapters: list[InboxAdapter] | None = None) -> PollResult:
    """Process every new message of every inbox. Never raises for a message: each one's error is
    logged and kept on the message, and the next message is processed."""
    result = PollResult()
    for adapter in adapters if adapters is not None else adapters_active():
        try:
            ids = adapter.list_new()
        except Exception:
            log.exception("e-delivery: the inbox %s cannot be read", adapter.name)
            result.errors.append(adapter.name)
            continue
        for external_id in ids:
            try:
                record = message_process(adapter=adapter, external_id=external_id)
            except Exception as error:
                log.exception("e-delivery: message %s of %s not processed; tried again at the next poll", external_id, adapter.name)
                _error_keep(adapter, external_id, error)
                result.errors.append(external_id)
                continue
            if record is not None and record.status == Status.ANSWERED:
                result.answered.append(external_id)
            elif record is not None and record.status == Status.FAILED:
                result.failed.append(external_id)
    return result


def message_process(*, adapter: InboxAdapter, external_id: str) -> InboxMessage | None:
    """Take one message as far as it goes (the four steps of the module's docstring)."""
    record = InboxMessage.objects.filter(adapter=adapter.name, external_id=external_id).first()
    if record is not None and record.status == Status.FAILED:
        # Failed before and still (or again) in the inbox: put it aside again; staff try it again.
        adapter.reject(external_id, record.error or _("Could not be processed."))
        return record
    if record is None or record.status == Status.NEW:
        record, message = _record(adapter, external_id)
        if record.status == Status.NEW and message is not None:
            record = _register(adapter, record, message)
    if record.status == Status.REGISTERED:
        record = _reply(adapter, record)
    if record.status == Status.ANSWERED:
        _acknowledge(adapter, record)
    return record


def message_retry(*, message: InboxMessage) -> InboxMessage:
    """Try a FAILED message again (staff dealt with the reason: a directorate's code, the file…)."""
    if message.status != Status.FAILED:
        raise ApplicationError(_("Only a message that could not be processed can be tried again."))
    InboxMessage.objects.filter(pk=message.pk, status=Status.FAILED).update(
        status=Status.NEW, error="", attempts=0, updated_at=timezone.now()
    )
    adapter = adapter_get(message.adapter)
    try:
        message_process(adapter=adapter, external_id=message.external_id)
    except Exception as error:
        log.exception("e-delivery: message %s tried again by staff failed", message.external_id)
        _error_keep(adapter, message.external_id, error)
    message.refresh_from_db()
    return message


# --- Step 1: record ------------------------------------------------------------------------------


def _record(adapter: InboxAdapter, external_id: str) -> tuple[InboxMessage, Message | None]:
    """Read the message and write it down (once). A malformed message is recorded as FAILED."""
    try:
        message = adapter.fetch(external_id)
        message_check(message)
    except MalformedMessage as error:
        record, _created = InboxMessage.objects.get_or_create(
            adapter=adapter.name, external_id=external_id, defaults={"status": Status.NEW}
        )
        return _fail(adapter, record, _("The message cannot be read: %(reason)s") % {"reason": error.reason}), None
    record, _created = InboxMessage.objects.get_or_create(
        adapter=adapter.name, external_id=external_id, defaults=_described(message)
    )
    # Counted before the work starts, so a message that kills the worker every time is given up.
    InboxMessage.objects.filter(pk=record.pk, status=Status.NEW).update(attempts=F("attempts") + 1)
    record.refresh_from_db()
    if record.status == Status.NEW and record.attempts > MAX_ATTEMPTS:
        reason = _("Given up after %(n)d attempts. Last error: %(error)s") % {"n": MAX_ATTEMPTS, "error": record.error or "—"}
        return _fail(adapter, record, reason), None
    return record, message


def message_check(message: Message) -> None:
    """Refuse what no adapter should deliver: no sender, identifiers that do not fit."""
    if not message.sender.name:
        raise MalformedMessage(_("the sender has no name"))
    if len(message.sender.identifier) > 20:
        raise MalformedMessage(_("the sender's identifier is longer than 20 characters"))


def _described(message: Message) -> dict:
    return {
        "received_at": message.received_at,
        "sender_name": message.sender.name[:255],
        "sender_identifier": message.sender.identifier[:20],
        "sender_address": message.sender.address[:255],
        "subject": message.subject[:500],
        "form_data": message.form_data,
    }


# --- Step 2: register ----------------------------------------------------------------------------


def _register(adapter: InboxAdapter, record: InboxMessage, message: Message) -> InboxMessage:
    stored: list[str] = []
    try:
        with transaction.atomic():
            record = InboxMessage.objects.select_for_update().get(pk=record.pk)
            if record.status != Status.NEW:
                return record  # another worker registered it while this one read the files
            _registration(record, message, stored)
    except Refused as error:
        _stored_remove(stored)
        return _fail(adapter, record, error.reason)
    except BaseException:
        # Rolled back: no number was taken and no document row remains; the files go too.
        _stored_remove(stored)
        raise
    return InboxMessage.objects.get(pk=record.pk)


def _registration(record: InboxMessage, message: Message, stored: list[str]) -> RegisterEntry:
    """The work of step 2, inside its transaction."""
    route = route_for(subject=message.subject, form_data=message.form_data)
    directorate = directorate_for(message)
    person = person_for(message, route=route)
    dossier = services.dossier_for_person(directorate=directorate, **person) if person else None
    team, team_note = team_for(directorate=directorate, route=route)
    subject = message.subject or (route.name if route else "") or "Съобщение през ССЕВ"
    entry = register_entry_create(
        directorate=directorate,
        sender=message.sender.name,
        sender_identifier=message.sender.identifier,
        subject=subject,
        channel=RegisterEntry.Channel.EDELIVERY,
        document_type=route.document_type if route else None,
        dossier=dossier,
        team=team,
        note=team_note,
    )
    refused = _attachments_file(message, directorate=directorate, dossier=dossier, entry=entry, stored=stored)
    if refused:
        lines = [entry.note] if entry.note else []
        lines += [f"{REFUSED_PREFIX}{name} — {reason}" for name, reason in refused]
        entry.note = "\n".join(lines)
        entry.save(update_fields=["note", "updated_at"])
    for name, value in _described(message).items():
        setattr(record, name, value)
    record.directorate = directorate
    record.route = route
    record.register_entry = entry
    record.status = Status.REGISTERED
    record.error = refused_text(entry)
    record.save()
    return entry


def refused_lines(entry: RegisterEntry) -> list[str]:
    """The attachments of the entry's message that were not accepted ("name — reason")."""
    return [line[len(REFUSED_PREFIX):] for line in entry.note.splitlines() if line.startswith(REFUSED_PREFIX)]


def refused_text(entry: RegisterEntry) -> str:
    """What the message's `error` says once it is registered: the refused attachments, if any."""
    lines = refused_lines(entry)
    return _("Registered; attachments not accepted: %(files)s") % {"files": "; ".join(lines)} if lines else ""


def _attachments_file(message: Message, *, directorate, dossier, entry, stored: list[str]) -> list[tuple[str, str]]:
    """Store each attachment into the archive, tied to the entry (and the dossier); return the
    refused ones as (name, reason)."""
    if not message.attachments:
        return []
    batch = Batch.objects.create(directorate=directorate, source=Document.Source.EDELIVERY, files_total=len(message.attachments))
    refused = []
    for attachment in message.attachments:
        with attachment.open() as file:
            try:
                ingested = services.document_ingest(
                    directorate=directorate, file=file, source=Document.Source.EDELIVERY, batch=batch,
                    dossier=dossier, register_entry=entry,
                )
            except ValidationError as error:
                refused.append((attachment.name, " ".join(error.messages)))
                continue
        if ingested.created:
            stored.append(ingested.document.original.name)
    if refused:
        batch.rejected = [{"name": n, "reason": r} for n, r in refused]
        batch.save(update_fields=["rejected", "updated_at"])
    return refused


def _stored_remove(names: list[str]) -> None:
    storage = archive_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # the storage is unreachable: only an orphan file is left behind
            log.warning("e-delivery: could not remove %s after a rollback", name, exc_info=True)
    names.clear()


def directorate_for(message: Message) -> Organization:
    """The directorate a message is for (the rule in the module's docstring); Refused otherwise."""
    from socplan.territory.models import Municipality

    form = message.form_data
    directorates = Organization.objects.filter(kind__in=DIRECTORATE_KINDS, is_active=True)
    named = str(form.get("directorate") or "").strip()
    if named:
        if named.isdigit():
            found = list(directorates.filter(eik=named))
        else:
            candidates = directorates.select_related("register_settings", "municipality", "region")
            found = [d for d in candidates if _register_code(d) == named]
        if len(found) == 1:
            return found[0]
        raise Refused(_("The form names the directorate “%(value)s”, which is not known (a register code or ЕИК).") % {"value": named})
    place = str(form.get("municipality") or "").strip()
    if place:
        municipality = Municipality.objects.filter(code=place.upper()).first() or Municipality.objects.filter(name_bg=place).first()
        if municipality is None:
            raise Refused(_("The form names the municipality “%(value)s”, which is not known.") % {"value": place})
        found = list(directorates.filter(kind=Organization.Kind.DSP, municipality=municipality))
        if len(found) == 1:
            return found[0]
        if not found:
            raise Refused(_("No social assistance directorate serves the municipality %(name)s.") % {"name": municipality.name_bg})
        raise Refused(
            _("Several directorates serve the municipality %(name)s: the form must name the directorate.") % {"name": municipality.name_bg}
        )
    raise Refused(_("The message does not say which directorate it is for (the form has neither “directorate” nor “municipality”)."))


def _register_code(directorate: Organization) -> str:
    try:
        return directorate.register_settings.code
    except Organization.register_settings.RelatedObjectDoesNotExist:
        return default_code(directorate)


# Routes whose sender applies for themself: without a person in the form, the sender's dossier.
# (Whoever sends a signal or a complaint is not, for that, the directorate's client.)
APPLICATION_TYPES = ("zayavlenie-deklaratsia",)


def person_for(message: Message, *, route: Route | None = None) -> dict | None:
    """The person whose dossier the message belongs to: the form's person; else the sender, when
    the message is an application and the sender's identifier is a personal one (10 digits).
    Refused for an identifier whose check digit is wrong (the form's, or the sender's); None when
    the message is about no identified person (from an institution's ЕИК, a signal, …)."""
    form = message.form_data
    person = form.get("person") if isinstance(form.get("person"), dict) else {}
    identifier = ""
    for source in (person, form):
        for key in ("identifier", "person_identifier", "egn", "lnch"):
            if source.get(key):
                identifier = str(source[key]).strip()
                break
        if identifier:
            break
    names = {k: str(person.get(k) or form.get(k) or "").strip() for k in ("first_name", "middle_name", "last_name")}
    sender = message.sender.identifier
    if len(sender) == 10 and sender.isdigit() and sender != identifier:
        _identifier_check(sender)  # a personal identifier that is wrong says the message is corrupt
    if not identifier:
        applies = route is None or (route.document_type is not None and route.document_type.code in APPLICATION_TYPES)
        if not (applies and len(sender) == 10 and sender.isdigit()):
            return None
        identifier = sender
        names = {}
    _identifier_check(identifier)
    if not (names.get("first_name") and names.get("last_name")):
        parts = message.sender.name.split()
        names = {"first_name": parts[0] if parts else "", "middle_name": " ".join(parts[1:-1]), "last_name": parts[-1] if len(parts) > 1 else ""}
    return {"person_identifier": identifier, **names}


def _identifier_check(identifier: str) -> None:
    try:
        services.identifier_kind(identifier)
    except ValidationError as error:
        raise Refused(" ".join(error.messages)) from error


def team_for(*, directorate: Organization, route: Route | None) -> tuple[Body | None, str]:
    """The responsible team: the directorate's body named as the route's team; without one, the
    team's name is written in the entry's note (for the clerk who passes it on)."""
    if route is None or not route.team_name:
        return None, ""
    body = Body.objects.filter(organization=directorate, is_active=True, name=route.team_name.strip()).first()
    if body is not None:
        return body, ""
    return None, f"{TEAM_PREFIX}{route.team_name}"


# --- Step 3: reply -------------------------------------------------------------------------------


def _reply(adapter: InboxAdapter, record: InboxMessage) -> InboxMessage:
    entry = RegisterEntry.objects.select_related("directorate", "document_type", "team").get(pk=record.register_entry_id)
    reply = reply_build(record=record, entry=entry)
    reply_id = adapter.send_reply(record.external_id, reply)
    InboxMessage.objects.filter(pk=record.pk, status=Status.REGISTERED).update(
        status=Status.ANSWERED, reply_sent_at=timezone.now(), reply_id=reply_id[:200], error=refused_text(entry),
        updated_at=timezone.now(),
    )
    return InboxMessage.objects.get(pk=record.pk)


NOUNS = {
    "zayavlenie-deklaratsia": "Вашето заявление „{subject}“ е регистрирано",
    "zhalba": "Вашата жалба „{subject}“ е регистрирана",
    "signal": "Вашият сигнал „{subject}“ е регистриран",
}
DEFAULT_NOUN = "Вашето съобщение „{subject}“ е регистрирано"


def reply_build(*, record: InboxMessage, entry: RegisterEntry) -> Reply:
    """The automatic answer (in Bulgarian): the incoming number and date, the team, the files
    accepted and those refused."""
    date = local_date(entry.registered_at).strftime("%d.%m.%Y")
    opening = NOUNS.get(entry.document_type.code if entry.document_type else "", DEFAULT_NOUN).format(subject=entry.subject)
    lines = [
        f"Уважаеми/а {entry.sender},",
        "",
        f"{opening} в {entry.directorate.name} с вх. № {entry.number} от {date} г.",
    ]
    team = entry.team.name if entry.team else next(
        (line[len(TEAM_PREFIX):] for line in entry.note.splitlines() if line.startswith(TEAM_PREFIX)), ""
    )
    if team:
        lines.append(f"Преписката е насочена към: {team}.")
    accepted = list(entry.documents.order_by("pk").values_list("original_name", flat=True))
    if accepted:
        lines.append(f"Приети прикачени файлове ({len(accepted)}): {', '.join(accepted)}.")
    refused = refused_lines(entry)
    if refused:
        lines.append("Не бяха приети следните прикачени файлове:")
        lines += [f"  – {line}" for line in refused]
        lines.append("Можете да ги изпратите отново като PDF, JPEG, PNG, TIFF, DOCX или ODT, като посочите входящия номер.")
    lines += [
        "",
        "Моля, посочвайте входящия номер при следваща кореспонденция по преписката.",
        "Това съобщение е изпратено автоматично.",
        "",
        entry.directorate.name,
    ]
    return Reply(
        key=f"{record.adapter}:{record.external_id}",
        subject=f"Вх. № {entry.number} от {date} г.",
        body="\n".join(lines),
        incoming_number=entry.number,
        incoming_date=date,
    )


# --- Step 4: acknowledge -------------------------------------------------------------------------


def _acknowledge(adapter: InboxAdapter, record: InboxMessage) -> None:
    adapter.acknowledge(record.external_id)


# --- Failures ------------------------------------------------------------------------------------


def _fail(adapter: InboxAdapter, record: InboxMessage, reason: str) -> InboxMessage:
    """Mark a NEW message FAILED with `reason` and have the adapter put it aside (not delete it)."""
    updated = InboxMessage.objects.filter(pk=record.pk, status=Status.NEW).update(
        status=Status.FAILED, error=reason, updated_at=timezone.now()
    )
    record.refresh_from_db()
    if updated:
        log.warning("e-delivery: message %s of %s failed: %s", record.external_id, adapter.name, reason)
    if record.status == Status.FAILED:
        adapter.reject(record.external_id, record.error)
    return record


def _error_keep(adapter: InboxAdapter, external_id: str, error: Exception) -> None:
    """Write an unexpected error on the message (tried again at the next poll)."""
    text = f"{type(error).__name__}: {error}"[:2000]
    try:
        InboxMessage.objects.filter(
            adapter=adapter.name, external_id=external_id, status__in=(Status.NEW, Status.REGISTERED)
        ).update(error=text, updated_at=timezone.now())
    except Exception:
        log.exception("e-delivery: could not record the error of message %s", external_id)
