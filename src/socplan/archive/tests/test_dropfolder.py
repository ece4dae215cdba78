"""The scanners' drop folders: complete files taken once as a batch, then moved aside."""

from __future__ import annotations

import os
import time

import pytest
from django.utils import translation
from django.utils.translation import gettext

from socplan.archive import dropfolder
from socplan.archive.models import Batch, Document, RegisterSettings

from . import fixtures_scans as scans

CODE = "ДСП-ВТ"


@pytest.fixture
def folder(settings, tmp_path, vtr_dsp):
    settings.ARCHIVE_DROP_DIR = tmp_path / "scanner"
    RegisterSettings.objects.create(directorate=vtr_dsp, code=CODE)
    path = settings.ARCHIVE_DROP_DIR / CODE
    path.mkdir(parents=True)
    return path


def drop(folder, name: str, data: bytes, *, age: float = 60) -> None:
    """A file the scanner finished writing `age` seconds ago."""
    path = folder / name
    path.write_bytes(data)
    moment = time.time() - age
    os.utime(path, (moment, moment))


def listing(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_complete_files_are_taken_as_one_batch_and_moved_to_processed(folder, vtr_dsp):
    drop(folder, "zayavlenie.pdf", scans.text_pdf_bytes(["Заявление"]))
    drop(folder, "scan-0001.png", scans.png_bytes(scans.page_image("Сканирано", size=(600, 800))))

    (batch,) = dropfolder.sweep_all()

    assert batch.source == Document.Source.FOLDER and batch.directorate == vtr_dsp
    assert batch.files_total == 2 and batch.rejected == []
    documents = Document.objects.filter(batch=batch)
    assert sorted(documents.values_list("original_name", flat=True)) == ["scan-0001.png", "zayavlenie.pdf"]
    assert set(documents.values_list("source", flat=True)) == {Document.Source.FOLDER}
    assert listing(folder) == ["processed"]
    assert listing(folder / "processed") == ["scan-0001.png", "zayavlenie.pdf"]


def test_files_still_being_written_and_temporary_files_wait(folder):
    drop(folder, "pishe-se.pdf", scans.text_pdf_bytes(["Още се пише"]), age=1)
    drop(folder, ".skrit.pdf", scans.text_pdf_bytes(["Скрит"]))
    drop(folder, "scan.pdf.part", scans.text_pdf_bytes(["Половин"]))
    drop(folder, "~$zayavlenie.docx", b"lock")
    (folder / "podpapka").mkdir()

    assert dropfolder.sweep_all() == []

    assert not Document.objects.exists() and not Batch.objects.exists()
    assert listing(folder) == ["pishe-se.pdf", "podpapka", "scan.pdf.part", "~$zayavlenie.docx"]


def test_refused_file_goes_to_refused_with_the_reason(folder):
    drop(folder, "belezhka.txt", "бележка".encode())
    drop(folder, "falshiv.pdf", b"this is not a PDF at all")
    drop(folder, "dobar.pdf", scans.text_pdf_bytes(["Добър"]))

    (batch,) = dropfolder.sweep_all()

    assert {item["name"] for item in batch.rejected} == {"belezhka.txt", "falshiv.pdf"}
    assert Document.objects.get().original_name == "dobar.pdf"
    assert listing(folder / "refused") == ["belezhka.txt", "belezhka.txt.error.txt", "falshiv.pdf", "falshiv.pdf.error.txt"]
    reason = (folder / "refused" / "belezhka.txt.error.txt").read_text(encoding="utf-8")
    with translation.override("bg"):
        expected = gettext("Files of this type cannot be attached. Allowed: %(types)s.").split("%")[0]
    assert expected in reason
    assert listing(folder / "processed") == ["dobar.pdf"]


def test_a_file_taken_but_not_moved_is_not_taken_twice(folder):
    data = scans.text_pdf_bytes(["Веднъж"])
    drop(folder, "vednazh.pdf", data)
    dropfolder.sweep_all()
    # The worker died after ingesting, before moving: the file is still there at the next sweep.
    drop(folder, "vednazh.pdf", data)

    dropfolder.sweep_all()

    assert Document.objects.count() == 1
    assert len(listing(folder / "processed")) == 2  # the second copy is kept under a new name
    assert listing(folder) == ["processed"]


def test_a_folder_of_its_own_and_a_missing_folder(settings, tmp_path, vtr_dsp, agency):
    own = tmp_path / "share"
    own.mkdir()
    RegisterSettings.objects.create(directorate=vtr_dsp, code="ДСП-ВТ", drop_folder=str(own))
    RegisterSettings.objects.create(directorate=agency, code="АСП")  # its folder does not exist
    settings.ARCHIVE_DROP_DIR = tmp_path / "nowhere"
    drop(own, "a.pdf", scans.text_pdf_bytes(["А"]))

    (batch,) = dropfolder.sweep_all()

    assert batch.directorate == vtr_dsp
    assert listing(own / "processed") == ["a.pdf"]


def test_a_folder_swept_by_another_job_is_left_alone(folder):
    import fcntl

    drop(folder, "a.pdf", scans.text_pdf_bytes(["А"]))
    with open(folder / dropfolder.LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        assert dropfolder.sweep_all() == []
    assert listing(folder) == ["a.pdf"]


def test_an_error_leaves_the_file_for_the_next_sweep(folder, monkeypatch):
    drop(folder, "a.pdf", scans.text_pdf_bytes(["А"]))

    def broken(**kwargs):
        raise OSError("storage is down")

    monkeypatch.setattr(dropfolder.services, "document_ingest", broken)
    dropfolder.sweep_all()

    assert listing(folder) == ["a.pdf"]
