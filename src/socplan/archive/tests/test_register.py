"""The incoming register: numbers in sequence per directorate and year, never repeated or skipped."""

import datetime
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from socplan.archive.models import RegisterCounter, RegisterEntry, RegisterSettings
from socplan.archive.register import (
    default_code,
    next_number_preview,
    number_format_check,
    register_entry_create,
    register_settings_get,
    register_settings_save,
)
from socplan.organizations.models import Organization
from socplan.organizations.tests.factories import OrganizationFactory
from socplan.territory.models import Municipality

SOFIA = ZoneInfo("Europe/Sofia")
COUNTER = RegisterEntry.Channel.COUNTER


def _at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SOFIA)


def _register(directorate, **kwargs):
    return register_entry_create(
        directorate=directorate, sender=kwargs.pop("sender", "Иван Петров"), subject=kwargs.pop("subject", "Заявление"),
        channel=kwargs.pop("channel", COUNTER), **kwargs,
    )


def test_numbers_follow_each_other_in_the_default_format(vtr_dsp):
    entries = [_register(vtr_dsp, registered_at=_at(2026, 3, 5, 10, n)) for n in range(3)]
    assert [e.sequence for e in entries] == [1, 2, 3]
    assert [e.number for e in entries] == [
        "ДСП-VTR04-00001/05.03.2026", "ДСП-VTR04-00002/05.03.2026", "ДСП-VTR04-00003/05.03.2026",
    ]
    assert {e.year for e in entries} == {2026}
    assert RegisterCounter.objects.get(directorate=vtr_dsp, year=2026).last == 3


def test_a_directorate_without_settings_gets_them_with_a_code_of_its_own(vtr_dsp):
    assert not RegisterSettings.objects.filter(directorate=vtr_dsp).exists()
    _register(vtr_dsp)
    settings_ = RegisterSettings.objects.get(directorate=vtr_dsp)
    assert settings_.code == "ДСП-VTR04"
    assert settings_.number_format == "{code}-{seq:05d}/{date}"
    rdsp = Organization.objects.get(kind=Organization.Kind.RDSP, region__code="VTR")
    assert default_code(rdsp) == rdsp.short_name


def test_each_directorate_counts_on_its_own(vtr_dsp, pvn_dsp):
    a = _register(vtr_dsp)
    b = _register(pvn_dsp)
    c = _register(vtr_dsp)
    assert (a.sequence, b.sequence, c.sequence) == (1, 1, 2)
    assert b.number.startswith("ДСП-PVN24-00001/")


def test_the_directorates_format_is_used(vtr_dsp):
    register_settings_save(directorate=vtr_dsp, code="ВТ", number_format="{code}/{year}/{seq:04d}")
    entry = _register(vtr_dsp, registered_at=_at(2026, 1, 7, 9))
    assert entry.number == "ВТ/2026/0001"
    register_settings_save(directorate=vtr_dsp, code="ВТ", number_format="{seq}-{date}")
    assert _register(vtr_dsp, registered_at=_at(2026, 1, 8, 9)).number == "2-08.01.2026"


@pytest.mark.parametrize(
    ("number_format", "fragment"),
    [
        ("{code}-{year}", "{seq}"),
        ("{code}-{seq:05d}", "{year} or {date}"),
        ("{code}-{seq}/{month}", "Unknown field"),
        ("{code}-{seq:05q}/{year}", "cannot be filled in"),
        ("{code}-{seq/{year}", "not valid"),
        ("{code!r}-{seq}/{year}", "Conversions"),
        ("{code}-{seq:0100d}/{year}", "longer than 60"),
    ],
)
def test_a_format_that_could_repeat_or_cannot_be_filled_is_refused(number_format, fragment):
    with pytest.raises(ValidationError) as error:
        number_format_check(number_format)
    assert fragment in " ".join(error.value.messages)


def test_saving_an_invalid_format_changes_nothing(vtr_dsp):
    register_settings_get(vtr_dsp)
    with pytest.raises(ValidationError):
        register_settings_save(directorate=vtr_dsp, code="X", number_format="{code}")
    assert RegisterSettings.objects.get(directorate=vtr_dsp).code == "ДСП-VTR04"


def test_the_preview_shows_the_next_number_without_taking_it(vtr_dsp):
    moment = _at(2026, 4, 1, 12)
    _register(vtr_dsp, registered_at=moment)
    assert next_number_preview(directorate=vtr_dsp, at=moment) == "ДСП-VTR04-00002/01.04.2026"
    assert next_number_preview(directorate=vtr_dsp, number_format="{seq}/{year}", code="Z", at=moment) == "2/2026"
    assert RegisterCounter.objects.get(directorate=vtr_dsp, year=2026).last == 1


def test_the_first_of_january_starts_at_one_in_sofia_time(vtr_dsp):
    last = _register(vtr_dsp, registered_at=_at(2025, 12, 31, 23, 30))
    _register(vtr_dsp, registered_at=_at(2025, 12, 31, 23, 50))
    # 00:10 on 1 January in Sofia is still 31 December in UTC.
    first = _register(vtr_dsp, registered_at=datetime.datetime(2025, 12, 31, 22, 10, tzinfo=datetime.UTC))
    assert (last.year, last.sequence) == (2025, 1)
    assert (first.year, first.sequence) == (2026, 1)
    assert first.number == "ДСП-VTR04-00001/01.01.2026"
    assert RegisterCounter.objects.get(directorate=vtr_dsp, year=2025).last == 2


def test_a_rolled_back_registration_gives_its_number_back(vtr_dsp):
    _register(vtr_dsp)
    with pytest.raises(RuntimeError), transaction.atomic():
        taken = _register(vtr_dsp)
        assert taken.sequence == 2
        raise RuntimeError("the caller failed after registering")
    assert RegisterCounter.objects.get(directorate=vtr_dsp, year=taken.year).last == 1
    assert _register(vtr_dsp).sequence == 2
    assert list(RegisterEntry.objects.filter(directorate=vtr_dsp).values_list("sequence", flat=True)) == [2, 1]


def test_an_incomplete_entry_takes_no_number(vtr_dsp):
    _register(vtr_dsp)
    with pytest.raises(ValidationError) as error:
        _register(vtr_dsp, sender="  ")
    assert "sender" in error.value.message_dict
    with pytest.raises(ValidationError):
        _register(vtr_dsp, channel="pigeon")
    assert _register(vtr_dsp).sequence == 2


def test_the_entry_keeps_who_and_what(vtr_dsp, directorate):
    entry = _register(
        vtr_dsp, user=directorate, sender_identifier="7501020018", channel=RegisterEntry.Channel.POST, note="С обратна разписка"
    )
    entry.refresh_from_db()
    assert entry.registered_by == directorate
    assert entry.channel == "post"
    assert entry.sender_identifier == "7501020018"


# --- Parallel registration on PostgreSQL -----------------------------------------------------------

WORKERS = 8
PER_WORKER = 25


def _in_thread(function):
    """Run `function` in a new thread: a connection of its own, outside the test's transaction."""
    def run():
        try:
            return function()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.mark.django_db
def test_parallel_workers_take_every_number_once_on_postgresql(django_db_blocker):
    """200 registrations from 8 threads, each with its own connection and committed transactions:
    numbers 1..200, none repeated, none skipped. The counter and settings are created by the race
    itself (nobody registered in this directorate before)."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race is tested on PostgreSQL")
    name = f"ДСП паралелен регистър {uuid.uuid4().hex[:8]}"
    with django_db_blocker.unblock():
        directorate_id = _in_thread(
            lambda: Organization.objects.create(
                kind=Organization.Kind.DSP, name=name, municipality=Municipality.objects.get(code="VTR04"),
                region=Municipality.objects.get(code="VTR04").region,
            ).pk
        )
        try:
            barrier = threading.Barrier(WORKERS)
            active, most = [0], [0]
            lock = threading.Lock()

            def worker(n):
                try:
                    directorate = Organization.objects.get(pk=directorate_id)
                    barrier.wait(timeout=30)
                    numbers = []
                    for i in range(PER_WORKER):
                        with lock:
                            active[0] += 1
                            most[0] = max(most[0], active[0])
                        try:
                            entry = register_entry_create(
                                directorate=directorate, sender=f"Подател {n}-{i}", subject="Заявление", channel=COUNTER
                            )
                        finally:
                            with lock:
                                active[0] -= 1
                        numbers.append((entry.sequence, entry.number))
                    return numbers
                finally:
                    connections.close_all()

            with ThreadPoolExecutor(max_workers=WORKERS) as pool:
                results = [number for part in pool.map(worker, range(WORKERS)) for number in part]

            sequences = sorted(s for s, _number in results)
            assert sequences == list(range(1, WORKERS * PER_WORKER + 1))
            assert len({number for _s, number in results}) == WORKERS * PER_WORKER
            assert most[0] > 1, "the workers did not run at the same time"

            def committed():
                year = RegisterEntry.objects.filter(directorate_id=directorate_id).values_list("year", flat=True).first()
                return (
                    sorted(RegisterEntry.objects.filter(directorate_id=directorate_id).values_list("sequence", flat=True)),
                    RegisterCounter.objects.get(directorate_id=directorate_id, year=year).last,
                    RegisterSettings.objects.filter(directorate_id=directorate_id).count(),
                )

            stored, last, settings_rows = _in_thread(committed)
            assert stored == list(range(1, WORKERS * PER_WORKER + 1))
            assert last == WORKERS * PER_WORKER
            assert settings_rows == 1
        finally:
            _in_thread(lambda: _remove_directorate(directorate_id))


def _remove_directorate(directorate_id: int) -> None:
    """Delete every committed row of the test's directorate (its history included)."""
    with transaction.atomic():
        RegisterEntry.history.filter(directorate_id=directorate_id).delete()
        RegisterEntry.objects.filter(directorate_id=directorate_id).delete()
        RegisterCounter.objects.filter(directorate_id=directorate_id).delete()
        RegisterSettings.history.filter(directorate_id=directorate_id).delete()
        RegisterSettings.objects.filter(directorate_id=directorate_id).delete()
        Organization.history.filter(id=directorate_id).delete()
        Organization.objects.filter(pk=directorate_id).delete()


@pytest.fixture
def other_dsp(db):
    return OrganizationFactory(
        kind=Organization.Kind.DSP, name="ДСП Свищов (регистър)", municipality=Municipality.objects.get(code="VTR26")
    )


def test_settings_are_per_directorate(vtr_dsp, other_dsp):
    register_settings_save(directorate=vtr_dsp, code="ВТ", number_format="{code}-{seq}/{year}")
    assert _register(other_dsp).number.startswith("ДСП-VTR26-00001/")


# --- Pages -----------------------------------------------------------------------------------------

from django.urls import reverse  # noqa: E402

from socplan.archive.models import Document  # noqa: E402
from socplan.conftest import client_for  # noqa: E402
from socplan.core.models import PersonalDataAccess  # noqa: E402


@pytest.fixture(autouse=True)
def _english():
    """The assertions read the messages in English (the interface's default is Bulgarian)."""
    with translation.override("en"):
        yield


PDF = b"%PDF-1.4\n% counter scan\n%%EOF\n"


def test_a_clerk_registers_at_the_counter_with_a_scan(directorate, vtr_dsp, no_processing):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(directorate)
    page = client.get(reverse("archive:register_create"))
    assert page.status_code == 200
    assert "ДСП-VTR04-00001/" in page.content.decode()
    response = client.post(reverse("archive:register_create"), {
        "directorate": vtr_dsp.pk, "sender": "Мария Иванова Петрова", "sender_identifier": "7501020018",
        "subject": "Заявление-декларация за месечна помощ", "channel": "counter", "note": "", "into_dossier": "on",
        "files": [SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")],
    })
    assert response.status_code == 302, response.context["form"].errors
    entry = RegisterEntry.objects.get(directorate=vtr_dsp)
    assert response["Location"] == reverse("archive:register_detail", args=[entry.pk])
    assert entry.registered_by == directorate and entry.sequence == 1
    assert entry.dossier.person_identifier == "7501020018" and entry.dossier.last_name == "Петрова"
    document = entry.documents.get()
    assert document.dossier == entry.dossier and document.incoming_number == entry.number
    assert document.source == Document.Source.UPLOAD and document.uploaded_by == directorate
    detail = client.get(response["Location"])
    assert entry.number in detail.content.decode() and "scan.pdf" in detail.content.decode()
    assert PersonalDataAccess.objects.filter(person_identifier="7501020018", object_type="archive.register_entry").exists()


def test_a_refused_file_or_a_wrong_identifier_registers_nothing(directorate, vtr_dsp, no_processing):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(directorate)
    response = client.post(reverse("archive:register_create"), {
        "directorate": vtr_dsp.pk, "sender": "Иван", "sender_identifier": "7501020019", "subject": "Жалба",
        "channel": "post", "files": [SimpleUploadedFile("virus.exe", b"MZ", content_type="application/octet-stream")],
    })
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "sender_identifier" in errors and "files" in errors
    assert not RegisterEntry.objects.exists() and not RegisterCounter.objects.exists()


def test_the_register_lists_searches_and_exports_the_users_directorate_only(directorate, vtr_dsp, pvn_dsp):
    own = _register(vtr_dsp, sender="Петрова", subject="Заявление за отопление", registered_at=_at(2025, 5, 2, 9))
    _register(vtr_dsp, sender="Георгиев", subject="Жалба", registered_at=_at(2026, 1, 3, 9))
    other = _register(pvn_dsp, sender="Плевенчанин", subject="Заявление")
    client = client_for(directorate)
    html = client.get(reverse("archive:register_list")).content.decode()
    assert own.number in html and other.number not in html
    html = client.get(reverse("archive:register_list"), {"q": "отопление"}).content.decode()
    assert own.number in html and "Георгиев" not in html
    html = client.get(reverse("archive:register_list"), {"year": 2026}).content.decode()
    assert "Георгиев" in html and own.number not in html
    export = client.get(reverse("archive:register_export"), {"year": 2025})
    text = export.content.decode("utf-8-sig")
    assert export["Content-Type"].startswith("text/csv")
    assert own.number in text and "02.05.2025" in text and "Георгиев" not in text and other.number not in text
    assert client.get(reverse("archive:register_detail", args=[other.pk])).status_code == 404


def test_the_settings_page_previews_and_saves_the_format(directorate, vtr_dsp):
    client = client_for(directorate)
    url = reverse("archive:register_settings", args=[vtr_dsp.pk])
    page = client.get(url)
    assert page.status_code == 200 and "ДСП-VTR04-00001/" in page.content.decode()
    preview = client.get(url, {"code": "ВТ", "number_format": "{code}/{seq:03d}/{year}"}, headers={"HX-Request": "true"})
    assert preview.content.decode().strip().startswith("ВТ/001/")
    bad = client.get(url, {"code": "ВТ", "number_format": "{code}"}, headers={"HX-Request": "true"})
    assert "{seq}" in bad.content.decode()
    refused = client.post(url, {"code": "ВТ", "number_format": "{code}-{seq}"})
    assert refused.status_code == 200 and "number_format" in refused.context["form"].errors
    saved = client.post(url, {"code": "ВТ", "number_format": "{code}/{seq:03d}/{year}", "drop_folder": ""})
    assert saved.status_code == 302
    assert RegisterSettings.objects.get(directorate=vtr_dsp).number_format == "{code}/{seq:03d}/{year}"
    assert _register(vtr_dsp, registered_at=_at(2026, 2, 2, 10)).number == "ВТ/001/2026"


def test_who_reaches_the_register_pages(users, vtr_dsp, pvn_dsp):
    entry = _register(pvn_dsp)
    # A municipal expert has no archive; the national expert reads but registers nothing.
    assert client_for(users["municipal"]).get(reverse("archive:register_list")).status_code == 403
    assert client_for(users["municipal"]).get(reverse("archive:register_detail", args=[entry.pk])).status_code == 403
    national = client_for(users["national"])
    assert national.get(reverse("archive:register_detail", args=[entry.pk])).status_code == 200
    assert national.get(reverse("archive:register_create")).status_code == 403
    assert national.get(reverse("archive:register_settings", args=[pvn_dsp.pk])).status_code == 403
    # The directorate's staff: another directorate's settings are not found.
    assert client_for(users["directorate"]).get(reverse("archive:register_settings", args=[pvn_dsp.pk])).status_code == 404
    assert client_for(None).get(reverse("archive:register_list")).status_code == 302
