"""The e-delivery robot over the folder inbox: registered, filed, routed and answered exactly once,
also after a crash at any step; bad messages fail with a reason and never stop the others."""

import importlib
import json

import pytest
from django.utils import translation
from django.apps import apps as django_apps
from django.utils import timezone

from socplan.archive import services
from socplan.archive.edelivery import robot
from socplan.archive.edelivery.adapters import FolderAdapter, MalformedMessage
from socplan.archive.edelivery.classify import route_for
from socplan.archive.models import (
    Document,
    Dossier,
    InboxMessage,
    RegisterCounter,
    RegisterEntry,
    RegisterSettings,
    archive_storage,
)
from socplan.archive.register import local_date
from socplan.organizations.models import Body, Organization
from socplan.organizations.tests.factories import OrganizationFactory
from socplan.territory.models import Municipality


@pytest.fixture(autouse=True)
def _english():
    """The assertions read the messages in English (the interface's default is Bulgarian)."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db

EGN = "7501020018"
PDF = b"%PDF-1.4\n% application\n%%EOF\n"
PDF2 = b"%PDF-1.4\n% income certificate\n%%EOF\n"
Status = InboxMessage.Status


class Crash(BaseException):
    """A worker killed mid-way: not an Exception, so poll() does not catch it."""


@pytest.fixture(autouse=True)
def reference_data(db):
    """The shipped routes and document types (loaded by migration 0003; loading again changes nothing)."""
    importlib.import_module("socplan.archive.migrations.0003_reference_data").load(django_apps)


@pytest.fixture
def folder(tmp_path, settings):
    settings.ARCHIVE_EDELIVERY_DIR = tmp_path
    return FolderAdapter()


def _message(**overrides) -> dict:
    data = {
        "received_at": "2026-01-15T10:20:00+02:00",
        "sender": {"name": "Мария Иванова Петрова", "identifier": EGN, "address": "ССЕВ профил 1001"},
        "subject": "Заявление за целева помощ за отопление",
        "form_data": {"service": "otoplenie", "municipality": "VTR04",
                      "person": {"identifier": EGN, "first_name": "Мария", "middle_name": "Иванова", "last_name": "Петрова"}},
        "attachments": ["zaiavlenie.pdf", "dohodi.pdf"],
    }
    data.update(overrides)
    return data


def _drop(folder, message_id="msg-1", attachments=None, **overrides):
    files = {"zaiavlenie.pdf": PDF, "dohodi.pdf": PDF2} if attachments is None else attachments
    data = _message(**overrides)
    if attachments is not None:
        data["attachments"] = list(files)
    folder.drop(message_id, data=data, attachments=files)
    return message_id


def _state(folder, message_id="msg-1"):
    record = InboxMessage.objects.get(adapter="folder", external_id=message_id)
    return {
        "status": record.status,
        "entries": RegisterEntry.objects.filter(inbox_message=record).count(),
        "inbox": (folder.inbox / message_id).exists(),
        "done": (folder.done / message_id).exists(),
        "rejected": (folder.rejected / message_id).exists(),
        "reply": folder.reply_read(message_id),
        "record": record,
    }


# --- The whole way ---------------------------------------------------------------------------------


def test_a_message_is_registered_filed_routed_and_answered(folder, vtr_dsp, no_processing, django_capture_on_commit_callbacks):
    _drop(folder)
    with django_capture_on_commit_callbacks(execute=True):
        result = robot.poll()
    assert result.answered == ["msg-1"] and not result.failed and not result.errors
    state = _state(folder)
    record = state["record"]
    assert state["status"] == Status.ANSWERED and state["done"] and not state["inbox"]
    entry = record.register_entry
    assert entry.directorate == vtr_dsp
    assert entry.channel == RegisterEntry.Channel.EDELIVERY
    assert entry.sequence == 1 and entry.number.startswith("ДСП-VTR04-00001/")
    assert entry.sender == "Мария Иванова Петрова" and entry.sender_identifier == EGN
    assert entry.subject == "Заявление за целева помощ за отопление"
    assert entry.document_type.code == "zayavlenie-deklaratsia"
    assert record.route.code == "otoplenie"
    assert record.directorate == vtr_dsp and record.reply_sent_at and record.error == ""
    # No body of the directorate is called so: the team is named in the entry's note.
    assert entry.team is None and "Отговорно звено: Отдел „Социална закрила“" in entry.note
    dossier = Dossier.objects.get(directorate=vtr_dsp, person_identifier=EGN)
    assert (dossier.first_name, dossier.last_name) == ("Мария", "Петрова")
    assert entry.dossier == dossier
    documents = list(entry.documents.order_by("original_name"))
    assert [d.original_name for d in documents] == ["dohodi.pdf", "zaiavlenie.pdf"]
    assert all(d.dossier == dossier and d.source == Document.Source.EDELIVERY and d.incoming_number == entry.number for d in documents)
    # OCR is queued once per attachment, after the registration committed.
    assert sorted(no_processing) == sorted(d.pk for d in documents)

    reply = state["reply"]
    date = local_date(entry.registered_at).strftime("%d.%m.%Y")
    assert reply["incoming_number"] == entry.number and reply["incoming_date"] == date
    assert f"с вх. № {entry.number} от {date} г." in reply["body"]
    assert "Вашето заявление „Заявление за целева помощ за отопление“ е регистрирано" in reply["body"]
    assert "Преписката е насочена към: Отдел „Социална закрила“." in reply["body"]
    assert "Приети прикачени файлове (2)" in reply["body"]
    assert reply["subject"] == f"Вх. № {entry.number} от {date} г."
    assert record.reply_id == "outbox/msg-1.reply.json"


def test_the_team_is_the_directorates_body_of_that_name(folder, vtr_dsp, no_processing):
    body = Body.objects.create(kind=Body.Kind.OTHER, name="Отдел „Социална закрила“", organization=vtr_dsp)
    _drop(folder)
    robot.poll()
    entry = _state(folder)["record"].register_entry
    assert entry.team == body and "Отговорно звено" not in entry.note
    assert "Преписката е насочена към: Отдел „Социална закрила“." in folder.reply_read("msg-1")["body"]


def test_messages_are_numbered_in_the_order_they_arrived(folder, vtr_dsp, no_processing):
    for n in range(3):
        _drop(folder, f"msg-{n}", attachments={f"f{n}.pdf": PDF + bytes([n])})
    assert robot.poll().answered == ["msg-0", "msg-1", "msg-2"]
    numbers = [InboxMessage.objects.get(external_id=f"msg-{n}").register_entry.sequence for n in range(3)]
    assert numbers == [1, 2, 3]
    assert robot.poll().answered == []  # nothing new


def test_the_attachment_reaches_processing(folder, vtr_dsp, django_capture_on_commit_callbacks):
    """Without stubs: the attachment is processed (a text PDF: its text lands on the pages)."""
    from .fixtures_scans import text_pdf_bytes

    pdf = text_pdf_bytes(["ЗАЯВЛЕНИЕ-ДЕКЛАРАЦИЯ за отпускане на целева помощ за отопление"])
    _drop(folder, attachments={"zaiavlenie.pdf": pdf})
    with django_capture_on_commit_callbacks(execute=True):
        robot.poll()
    document = _state(folder)["record"].register_entry.documents.get()
    document.refresh_from_db()
    assert document.status == Document.Status.READY, document.error
    assert "отопление" in " ".join(document.pages.values_list("text", flat=True)).lower()


# --- Exactly once ----------------------------------------------------------------------------------


def _crash_after_record(monkeypatch, folder):
    monkeypatch.setattr(robot, "_register", _raiser())


def _crash_while_registering(monkeypatch, folder):
    """The number is taken and the first attachment stored when the worker dies."""
    original = services.document_ingest
    calls = []

    def ingest(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise Crash
        return original(**kwargs)

    monkeypatch.setattr(services, "document_ingest", ingest)


def _crash_before_reply(monkeypatch, folder):
    monkeypatch.setattr(FolderAdapter, "send_reply", _raiser())


def _crash_after_reply_sent(monkeypatch, folder):
    original = FolderAdapter.send_reply

    def send_then_die(self, message_id, reply):
        original(self, message_id, reply)
        raise Crash

    monkeypatch.setattr(FolderAdapter, "send_reply", send_then_die)


def _crash_before_acknowledge(monkeypatch, folder):
    monkeypatch.setattr(FolderAdapter, "acknowledge", _raiser())


def _raiser(error=Crash):
    def fail(*args, **kwargs):
        raise error

    return fail


@pytest.mark.parametrize(
    "crash",
    [_crash_after_record, _crash_while_registering, _crash_before_reply, _crash_after_reply_sent, _crash_before_acknowledge],
    ids=lambda f: f.__name__.removeprefix("_crash_"),
)
def test_a_crash_at_any_step_and_a_restart_register_and_answer_once(crash, folder, vtr_dsp, no_processing, monkeypatch):
    _drop(folder)
    stored_before = _stored_names()
    with monkeypatch.context() as patch:
        crash(patch, folder)
        with pytest.raises(Crash):
            robot.poll()
    first_reply = folder.reply_read("msg-1")
    robot.poll()
    robot.poll()
    state = _state(folder)
    assert state["status"] == Status.ANSWERED and state["done"] and not state["inbox"]
    assert RegisterEntry.objects.filter(directorate=vtr_dsp).count() == 1
    entry = state["record"].register_entry
    assert entry.sequence == 1
    assert RegisterCounter.objects.get(directorate=vtr_dsp, year=entry.year).last == 1
    assert entry.documents.count() == 2
    assert Document.objects.filter(directorate=vtr_dsp).count() == 2
    # Only the two documents' files are new in the storage: a rolled-back attempt leaves none behind.
    assert _stored_names() - stored_before == set(entry.documents.values_list("original", flat=True))
    reply = state["reply"]
    assert reply["incoming_number"] == entry.number
    if first_reply is not None:  # sent before the crash: not written again
        assert reply == first_reply
    assert sorted(p.name for p in folder.outbox.iterdir()) == ["msg-1.reply.json"]


def _stored_names() -> set[str]:
    storage = archive_storage()
    names = set()

    def walk(path):
        try:
            folders, files = storage.listdir(path)
        except FileNotFoundError:
            return
        names.update(f"{path}/{f}" if path else f for f in files)
        for sub in folders:
            walk(f"{path}/{sub}" if path else sub)

    walk("originals")
    return names


def test_an_error_is_kept_on_the_message_and_the_next_poll_finishes_it(folder, vtr_dsp, no_processing, monkeypatch):
    _drop(folder)
    _drop(folder, "msg-2", attachments={"other.pdf": PDF + b"2"})
    with monkeypatch.context() as patch:
        patch.setattr(FolderAdapter, "send_reply", _raiser(OSError("the outbox is full")))
        result = robot.poll()
    assert result.errors == ["msg-1", "msg-2"]
    record = _state(folder)["record"]
    assert record.status == Status.REGISTERED and "the outbox is full" in record.error
    result = robot.poll()
    assert result.answered == ["msg-1", "msg-2"]
    record = _state(folder)["record"]
    assert record.status == Status.ANSWERED and record.error == ""
    assert RegisterEntry.objects.count() == 2


def test_a_message_that_fails_every_time_is_given_up(folder, vtr_dsp, no_processing, monkeypatch):
    _drop(folder)
    monkeypatch.setattr(robot, "route_for", _raiser(RuntimeError("classifier broken")))
    for _ in range(robot.MAX_ATTEMPTS):
        assert robot.poll().errors == ["msg-1"]
    assert robot.poll().failed == ["msg-1"]
    state = _state(folder)
    assert state["status"] == Status.FAILED and state["rejected"]
    assert "Given up after 5 attempts" in state["record"].error and "classifier broken" in state["record"].error
    assert not RegisterCounter.objects.filter(directorate=vtr_dsp).exists()


def test_two_polls_at_once_register_once(folder, vtr_dsp, no_processing):
    """The second worker finds the message registered under its lock and only answers (once)."""
    _drop(folder)
    adapter = FolderAdapter()
    record, message = robot._record(adapter, "msg-1")
    robot.poll()  # the other worker did everything meanwhile
    again = robot._register(adapter, record, message)
    assert again.status == Status.ANSWERED
    assert RegisterEntry.objects.count() == 1


# --- Classification and routing ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "form_data", "code"),
    [
        ("Заявление за целева помощ за отопление", {}, "otoplenie"),
        ("Искане", {"service": "pomoshti-deca"}, "pomoshti-deca"),
        ("Искане", {"service_code": "ЗСУ"}, "socialna-usluga"),
        ("Молба за месечна помощ за отглеждане на дете до 1 година", {}, "pomoshti-deca"),
        ("Заявление", {"request": "Еднократна помощ за лечение"}, "ednokratna-pomosht"),
        ("Заявление за месечна финансова подкрепа на хора с увреждания", {}, "hora-s-uvrezhdania"),
        ("Сигнал за дете в риск", {}, "zakrila-signal"),
        ("Искане за ползване на социална услуга „Личен асистент“", {}, "socialna-usluga"),
        ("Жалба срещу отказ", {}, "zhalba"),
        ("Запитване за работното време", {}, "drugo"),
        # The applicant's name and address are not evidence of what the message is about.
        ("Запитване", {"person": {"first_name": "Отопление"}, "address": "ул. Жалба 1"}, "drugo"),
    ],
)
def test_messages_are_classified_by_service_code_or_words(subject, form_data, code):
    assert route_for(subject=subject, form_data=form_data).code == code


@pytest.mark.parametrize(
    ("form_data", "chosen"),
    [
        ({"directorate": "ДСП-VTR04"}, "vtr"),
        ({"directorate": "ВТ-ДСП"}, "vtr_coded"),
        ({"directorate": "000695324"}, "vtr_eik"),
        ({"municipality": "VTR04"}, "vtr"),
        ({"municipality": "Плевен"}, "pvn"),
    ],
)
def test_the_directorate_comes_from_the_form(form_data, chosen, folder, vtr_dsp, pvn_dsp, no_processing):
    if chosen == "vtr_coded":
        RegisterSettings.objects.create(directorate=vtr_dsp, code="ВТ-ДСП")
    if chosen == "vtr_eik":
        vtr_dsp.eik = "000695324"
        vtr_dsp.save()
    _drop(folder, form_data=form_data)
    robot.poll()
    record = _state(folder)["record"]
    assert record.status == Status.ANSWERED, record.error
    assert record.directorate == (pvn_dsp if chosen == "pvn" else vtr_dsp)


@pytest.mark.parametrize(
    ("form_data", "reason"),
    [
        ({}, "does not say which directorate"),
        ({"directorate": "ДСП-НИКЪДЕ"}, "“ДСП-НИКЪДЕ”, which is not known"),
        ({"municipality": "XXX99"}, "municipality “XXX99”, which is not known"),
        ({"municipality": "VTR26"}, "No social assistance directorate serves"),
        ({"municipality": "VTR04", "note": "two"}, "Several directorates serve"),
    ],
)
def test_a_message_for_no_known_directorate_fails_and_is_kept(form_data, reason, folder, vtr_dsp, no_processing):
    if form_data.get("note") == "two":
        OrganizationFactory(kind=Organization.Kind.DSP, name="ДСП Велико Търново 2", municipality=Municipality.objects.get(code="VTR04"))
    _drop(folder, form_data=form_data)
    assert robot.poll().failed == ["msg-1"]
    state = _state(folder)
    assert state["status"] == Status.FAILED and reason in state["record"].error
    assert state["rejected"] and not state["inbox"] and state["reply"] is None
    assert reason in (folder.rejected / "msg-1" / "reason.txt").read_text(encoding="utf-8")
    # Nothing is lost: the message and its files are all there.
    assert sorted(p.name for p in (folder.rejected / "msg-1").iterdir()) == ["dohodi.pdf", "message.json", "reason.txt", "zaiavlenie.pdf"]
    assert not RegisterEntry.objects.exists()


def test_a_failed_message_is_tried_again_once_the_reason_is_dealt_with(folder, vtr_dsp, no_processing):
    _drop(folder, form_data={"directorate": "ВТ-1"})
    robot.poll()
    record = _state(folder)["record"]
    assert record.status == Status.FAILED
    RegisterSettings.objects.create(directorate=vtr_dsp, code="ВТ-1", number_format="{code}-{seq}/{year}")
    record = robot.message_retry(message=record)
    assert record.status == Status.ANSWERED
    assert record.register_entry.number.startswith("ВТ-1-1/")
    state = _state(folder)
    assert state["done"] and not state["rejected"] and not (folder.done / "msg-1" / "reason.txt").exists()
    with pytest.raises(Exception, match="Only a message"):
        robot.message_retry(message=record)


def test_a_sender_without_a_personal_identifier_opens_no_dossier(folder, vtr_dsp, no_processing):
    _drop(folder, sender={"name": "Община Велико Търново", "identifier": "000133634", "address": "ССЕВ"},
          form_data={"municipality": "VTR04"}, subject="Писмо относно социални услуги")
    robot.poll()
    entry = _state(folder)["record"].register_entry
    assert entry.dossier is None and entry.sender_identifier == "000133634"
    assert not Dossier.objects.exists()
    assert "Вашето заявление" in folder.reply_read("msg-1")["body"]


def test_the_applicant_is_the_person_when_the_form_names_nobody(folder, vtr_dsp, no_processing):
    _drop(folder, form_data={"municipality": "VTR04"}, subject="Заявление за еднократна помощ")
    robot.poll()
    entry = _state(folder)["record"].register_entry
    assert entry.dossier.person_identifier == EGN
    assert (entry.dossier.first_name, entry.dossier.middle_name, entry.dossier.last_name) == ("Мария", "Иванова", "Петрова")


def test_whoever_sends_a_signal_gets_no_dossier(folder, vtr_dsp, no_processing):
    _drop(folder, form_data={"municipality": "VTR04"}, subject="Сигнал за дете в риск")
    robot.poll()
    entry = _state(folder)["record"].register_entry
    assert entry.dossier is None and entry.sender_identifier == EGN and not Dossier.objects.exists()
    assert entry.documents.count() == 2
    assert "Вашият сигнал „Сигнал за дете в риск“ е регистриран" in folder.reply_read("msg-1")["body"]


# --- Bad input ---------------------------------------------------------------------------------------


def test_a_batch_with_bad_messages_processes_the_good_ones(folder, vtr_dsp, no_processing):
    _drop(folder, "a-good")
    folder.drop("b-bad-json", data={}, raw_message=b'{"sender": {"name": "X"', attachments={"x.pdf": PDF})
    folder.drop("c-no-sender", data={"subject": "Заявление", "form_data": {"municipality": "VTR04"}})
    _drop(folder, "d-bad-egn", form_data={"municipality": "VTR04", "person": {"identifier": "7501020019"}},
          attachments={"y.pdf": PDF + b"y"})
    _drop(folder, "e-bad-sender-egn", sender={"name": "Иван", "identifier": "7501020019"}, form_data={"municipality": "VTR04"},
          attachments={"z.pdf": PDF + b"z"})
    folder.drop("f-not-utf8", data={}, raw_message="{\"sender\": \"Иван\"}".encode("cp1251"))
    _drop(folder, "g-good", attachments={"g.pdf": PDF + b"g"})
    result = robot.poll()
    assert result.answered == ["a-good", "g-good"]
    assert sorted(result.failed) == ["b-bad-json", "c-no-sender", "d-bad-egn", "e-bad-sender-egn", "f-not-utf8"]
    assert not result.errors
    reasons = dict(InboxMessage.objects.filter(status=Status.FAILED).values_list("external_id", "error"))
    assert "not valid JSON" in reasons["b-bad-json"]
    assert "no sender" in reasons["c-no-sender"]
    assert "“7501020019” is not a valid ЕГН or ЛНЧ" in reasons["d-bad-egn"]
    assert "“7501020019” is not a valid ЕГН or ЛНЧ" in reasons["e-bad-sender-egn"]
    assert "not UTF-8" in reasons["f-not-utf8"]
    assert sorted(p.name for p in folder.rejected.iterdir()) == sorted(result.failed)
    assert [e.sequence for e in RegisterEntry.objects.order_by("sequence")] == [1, 2]
    # Failed again by the next poll? No: they wait for staff, and the inbox is empty.
    assert robot.poll() == robot.PollResult()


def test_a_refused_attachment_is_listed_and_the_rest_registered(folder, vtr_dsp, no_processing):
    _drop(folder, attachments={"zaiavlenie.pdf": PDF, "program.exe": b"MZ\x90\x00", "fake.pdf": b"GIF89a not a pdf"})
    result = robot.poll()
    assert result.answered == ["msg-1"]
    record = _state(folder)["record"]
    entry = record.register_entry
    assert list(entry.documents.values_list("original_name", flat=True)) == ["zaiavlenie.pdf"]
    assert "Неприет прикачен файл: program.exe — " in entry.note and "Неприет прикачен файл: fake.pdf — " in entry.note
    assert "program.exe" in record.error and "fake.pdf" in record.error
    body = folder.reply_read("msg-1")["body"]
    assert "Не бяха приети следните прикачени файлове:" in body and "program.exe" in body and "fake.pdf" in body
    batch = entry.documents.get().batch
    assert [r["name"] for r in batch.rejected] == ["fake.pdf", "program.exe"]


def test_an_attachment_listed_but_missing_is_malformed(folder, vtr_dsp, no_processing):
    folder.drop("msg-1", data=_message(attachments=["zaiavlenie.pdf", "lost.pdf"]), attachments={"zaiavlenie.pdf": PDF})
    robot.poll()
    assert "“lost.pdf”" in _state(folder)["record"].error or "'lost.pdf'" in _state(folder)["record"].error


# --- The folder adapter ------------------------------------------------------------------------------


def test_the_folder_adapter_reads_what_was_dropped(folder):
    _drop(folder)
    assert folder.list_new() == ["msg-1"]
    message = folder.fetch("msg-1")
    assert message.sender.name == "Мария Иванова Петрова" and message.sender.identifier == EGN
    assert message.received_at == timezone.datetime.fromisoformat("2026-01-15T10:20:00+02:00")
    assert [a.name for a in message.attachments] == ["dohodi.pdf", "zaiavlenie.pdf"]
    with message.attachments[1].open() as file:
        assert file.read() == PDF
    assert message.form_data["service"] == "otoplenie"


def test_a_directory_still_being_written_is_not_offered(folder):
    (folder.inbox / ".incoming-x").mkdir(parents=True)
    (folder.inbox / "half").mkdir()
    (folder.inbox / "half" / "a.pdf").write_bytes(PDF)
    assert folder.list_new() == []
    with pytest.raises(MalformedMessage):
        folder.fetch("half")
    with pytest.raises(MalformedMessage):
        folder.fetch("../etc")


def test_a_reply_is_written_once_by_its_key(folder):
    from socplan.archive.edelivery.adapters import Reply

    _drop(folder)
    first = folder.send_reply("msg-1", Reply(key="folder:msg-1", subject="Вх. № 1", body="първи"))
    second = folder.send_reply("msg-1", Reply(key="folder:msg-1", subject="Вх. № 1", body="втори"))
    assert first == second == "outbox/msg-1.reply.json"
    assert folder.reply_read("msg-1")["body"] == "първи"
    assert [p.name for p in folder.outbox.iterdir()] == ["msg-1.reply.json"]
    folder.acknowledge("msg-1")
    folder.acknowledge("msg-1")
    assert (folder.done / "msg-1" / "message.json").exists()
    json.loads((folder.done / "msg-1" / "message.json").read_text(encoding="utf-8"))


# --- Pages -------------------------------------------------------------------------------------------


def test_the_inbox_shows_the_directorates_messages_and_tries_a_failed_one_again(folder, vtr_dsp, pvn_dsp, users, no_processing):
    from django.urls import reverse

    from socplan.conftest import client_for

    _drop(folder, "a-ok")
    _drop(folder, "b-pleven", form_data={"municipality": "PVN24"}, attachments={"p.pdf": PDF + b"p"})
    _drop(folder, "c-code", form_data={"directorate": "ВТ-9"}, attachments={"c.pdf": PDF + b"c"})
    robot.poll()
    client = client_for(users["directorate"])
    html = client.get(reverse("archive:inbox_list")).content.decode()
    assert "a-ok" not in html  # listed by subject
    ok = InboxMessage.objects.get(external_id="a-ok")
    pleven = InboxMessage.objects.get(external_id="b-pleven")
    failed = InboxMessage.objects.get(external_id="c-code")
    assert reverse("archive:inbox_detail", args=[ok.pk]) in html
    assert reverse("archive:inbox_detail", args=[pleven.pk]) not in html
    # A message for no known directorate belongs to none: the agency sees it, the directorate does not.
    assert reverse("archive:inbox_detail", args=[failed.pk]) not in html
    assert client.get(reverse("archive:inbox_detail", args=[pleven.pk])).status_code == 404
    detail = client.get(reverse("archive:inbox_detail", args=[ok.pk])).content.decode()
    assert ok.register_entry.number in detail and "Вашето заявление" in detail

    national = client_for(users["national"])
    assert national.get(reverse("archive:inbox_detail", args=[failed.pk])).status_code == 200
    assert national.post(reverse("archive:inbox_retry", args=[failed.pk])).status_code == 403
    admin = client_for(users["admin"])
    page = admin.get(reverse("archive:inbox_detail", args=[failed.pk])).content.decode()
    assert "“ВТ-9”, which is not known" in page and reverse("archive:inbox_retry", args=[failed.pk]) in page
    RegisterSettings.objects.filter(directorate=vtr_dsp).update(code="ВТ-9")
    response = admin.post(reverse("archive:inbox_retry", args=[failed.pk]))
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == Status.ANSWERED and failed.directorate == vtr_dsp
    # Now it is the directorate's: its staff see it.
    assert client.get(reverse("archive:inbox_detail", args=[failed.pk])).status_code == 200


def test_a_municipal_expert_has_no_inbox(users):
    from django.urls import reverse

    from socplan.conftest import client_for

    assert client_for(users["municipal"]).get(reverse("archive:inbox_list")).status_code == 403
    assert client_for(users["directorate"]).get(reverse("archive:inbox_list")).status_code == 200


def test_the_demo_command_drops_a_message_the_robot_registers(folder, vtr_dsp, no_processing):
    from django.core.management import call_command

    call_command("edelivery_demo_message", "--kind", "signal", "--poll")
    record = InboxMessage.objects.get()
    assert record.status == Status.ANSWERED and record.route.code == "zakrila-signal"
    assert record.register_entry.documents.count() == 1
