"""A worker killed in the middle of processing a document: a real Celery worker, killed with SIGKILL.

Runs outside pytest's database (whose transaction other processes cannot see): a data folder of its
own in a temporary directory, with a file-based SQLite database (migrated by `manage.py migrate`),
the embedded filesystem queue and the archive's files. The embedded queue forgets a message when a
worker takes it (kombu's filesystem transport deletes the file), so the job of a killed worker is
brought back by the next worker itself: when it starts, it queues again what was left PROCESSING
(processing.orphans_requeue). With Redis or RabbitMQ the broker re-delivers it (acks_late), and
processing.stale_requeue on the beat catches anything else after STALE_AFTER.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from . import fixtures_scans as scans

ROOT = Path(__file__).resolve().parents[4]
SRC = ROOT / "src"
BIN = Path(sys.executable).parent
PAGES = 4

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (BIN / "celery").exists() or shutil.which("ocrmypdf") is None,
        reason="needs the virtualenv's celery and OCRmyPDF (Debian package ocrmypdf)",
    ),
]

SETUP = """
from django.core.files import File
from socplan.archive import services
from socplan.archive.models import Document
from socplan.organizations.models import Organization

directorate = Organization.objects.create(kind=Organization.Kind.DSP, name="ДСП Тест")
with open({path!r}, "rb") as handle:
    result = services.document_ingest(directorate=directorate, file=File(handle, name="dossier.tiff"), source=Document.Source.UPLOAD)
print("DOCUMENT", result.document.pk)
"""

def _environment(data: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "ARCHIVE_", "SOCPLAN_", "DJANGO_"))}
    return {
        **keep,
        "SOCPLAN_DATA_DIR": str(data),
        "SOCPLAN_READ_DOT_ENV": "0",
        "DJANGO_SETTINGS_MODULE": "socplan.config.settings.base",
        "PYTHONPATH": str(SRC),
        "ARCHIVE_OCR_JOBS": "1",
    }


def _manage(env: dict, *args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _worker(env: dict, log: Path, name: str) -> subprocess.Popen:
    command = [str(BIN / "celery"), "-A", "socplan.config", "worker", "--pool=solo", "--loglevel=INFO", "-n", f"{name}@%h",
               "--without-gossip", "--without-mingle", "--without-heartbeat"]
    # A session of its own: the kill takes the worker and the OCR programs it started, as a crash would.
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=open(log, "wb"), stderr=subprocess.STDOUT, start_new_session=True)


def _kill(worker: subprocess.Popen | None) -> None:
    if worker is None or worker.poll() is not None:
        return
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    worker.wait(timeout=30)


def _row(database: Path, sql: str, *params):
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
        return connection.execute(sql, params).fetchall()


def _wait_for_status(database: Path, pk: int, status: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _row(database, "SELECT status FROM archive_document WHERE id = ?", pk)[0][0] == status:
            return
        time.sleep(0.2)
    raise AssertionError(f"document {pk} not {status} after {timeout} s; worker log:\n{log.read_text()[-4000:]}")


def test_a_document_whose_worker_was_killed_is_processed_once_by_the_next_worker(tmp_path):
    data = tmp_path / "data"
    env = _environment(data)
    database = data / "socplan.sqlite3"
    scan = tmp_path / "dossier.tiff"
    pages = [scans.page_image(text, angle=0.5, noise=0.3, seed=n) for n, text in enumerate(scans.page_texts(PAGES))]
    scan.write_bytes(scans.tiff_bytes(pages))

    _manage(env, "migrate", "--noinput", "-v0")
    first = second = None
    try:
        first = _worker(env, tmp_path / "worker-1.log", "first")
        output = _manage(env, "shell", "-c", SETUP.format(path=str(scan)))
        pk = int(output.split("DOCUMENT")[1].split()[0])

        _wait_for_status(database, pk, "processing", 120, tmp_path / "worker-1.log")
        time.sleep(2)  # well into the OCR of the pages
        _kill(first)

        ((status, attempts, pages_saved),) = _row(
            database, "SELECT status, attempts, (SELECT COUNT(*) FROM archive_page WHERE document_id = ?) FROM archive_document WHERE id = ?", pk, pk
        )
        assert (status, attempts, pages_saved) == ("processing", 1, 0), "the worker finished before it was killed"

        # Nothing but starting the next worker brings the document back.
        second = _worker(env, tmp_path / "worker-2.log", "second")
        _wait_for_status(database, pk, "ready", 300, tmp_path / "worker-2.log")
    finally:
        _kill(first)
        _kill(second)

    ((page_count, attempts, sha256, original, error),) = _row(
        database, "SELECT page_count, attempts, sha256, original, error FROM archive_document WHERE id = ?", pk
    )
    numbers = [n for (n,) in _row(database, "SELECT number FROM archive_page WHERE document_id = ? ORDER BY number", pk)]
    assert (page_count, attempts, error) == (PAGES, 2, "")
    assert numbers == list(range(1, PAGES + 1))  # every page once
    assert hashlib.sha256((data / "archive" / original).read_bytes()).hexdigest() == sha256 == hashlib.sha256(scan.read_bytes()).hexdigest()
    texts = " ".join(text for (text,) in _row(database, "SELECT text FROM archive_page WHERE document_id = ?", pk))
    assert "7501020018" in texts
