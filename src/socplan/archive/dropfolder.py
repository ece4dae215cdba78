"""The scanners' drop folders: what a directorate's scanner saves into its folder enters the archive.

Each directorate with register settings has a folder: its `drop_folder`, or
ARCHIVE_DROP_DIR/<register code>. Every minute (the beat) sweep_all() takes each complete file of
each folder, ingests the files of one folder as one Batch (source "scanner drop folder") and moves
each file into `processed/`, or into `refused/` beside `<name>.error.txt`, which gives the reason
in Bulgarian for the person at the scanner.

A crash between ingesting a file and moving it is harmless: the next sweep ingests the same content
again, which gives the same document (the archive keeps a content once per directorate), and moves it.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils import timezone, translation

from . import services
from .models import Batch, Document, RegisterSettings

log = logging.getLogger(__name__)

PROCESSED = "processed"
REFUSED = "refused"
# A file changed in the last seconds may still be being written by the scanner (a 200-page scan
# over the network takes a while); it is taken at the next sweep.
QUIET_SECONDS = 15
# Files per folder and sweep; the rest wait a minute (so that one sweep never runs for long).
MAX_FILES = 200
# What scanners, copy programs and office suites leave while they write.
TEMPORARY_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".filepart", ".download", ".lock", "~")
LOCK_NAME = ".socplan-sweep.lock"


def sweep_all() -> list[Batch]:
    """Sweep every directorate's drop folder; returns the batches made (one per folder with files)."""
    batches = []
    for register in RegisterSettings.objects.select_related("directorate").order_by("pk"):
        folder = drop_folder(register)
        if folder is None:
            continue
        try:
            batch = folder_sweep(directorate=register.directorate, folder=folder)
        except Exception:
            # One unreadable share must not stop the other directorates' folders.
            log.exception("Drop folder %s of %s could not be swept", folder, register.directorate)
            continue
        if batch is not None:
            batches.append(batch)
    return batches


def drop_folder(register: RegisterSettings) -> Path | None:
    if register.drop_folder:
        return Path(register.drop_folder)
    code = register.code.strip()
    if not code or "/" in code or "\\" in code or code.startswith("."):
        log.warning("Register code %r cannot name a drop folder; set the folder explicitly", code)
        return None
    return Path(settings.ARCHIVE_DROP_DIR) / code


def folder_sweep(*, directorate, folder: Path, user=None) -> Batch | None:
    """Ingest the complete files of `folder` for `directorate` as one batch; None if there were none."""
    if not folder.is_dir():
        return None
    with _locked(folder) as locked:
        if not locked:
            log.info("Drop folder %s is being swept by another job", folder)
            return None
        files = files_complete(folder)
        if not files:
            return None
        with translation.override(settings.LANGUAGE_CODE):
            return _ingest(directorate=directorate, folder=folder, files=files, user=user)


def files_complete(folder: Path, *, now: float | None = None) -> list[Path]:
    """The files ready to take, oldest first: no folders, links, hidden or temporary files, nothing
    changed in the last QUIET_SECONDS."""
    now = time.time() if now is None else now
    ready = []
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if name.startswith((".", "~")) or name.lower().endswith(TEMPORARY_SUFFIXES):
                continue
            # A link could point anywhere the worker can read; a scanner never makes one.
            if entry.is_symlink() or not entry.is_file(follow_symlinks=False):
                continue
            modified = entry.stat(follow_symlinks=False).st_mtime
            if now - modified < QUIET_SECONDS:
                continue
            ready.append((modified, name))
    return [folder / name for _, name in sorted(ready)[:MAX_FILES]]


def _ingest(*, directorate, folder: Path, files: list[Path], user) -> Batch:
    batch = Batch.objects.create(directorate=directorate, source=Document.Source.FOLDER, created_by=user, files_total=len(files))
    rejected = []
    for path in files:
        try:
            with open(path, "rb") as handle:
                services.document_ingest(
                    directorate=directorate, file=File(handle, name=path.name), source=Document.Source.FOLDER, user=user, batch=batch
                )
        except ValidationError as error:
            reason = " ".join(error.messages)
            rejected.append({"name": path.name, "reason": reason})
            _refuse(path, folder / REFUSED, reason)
        except FileNotFoundError:
            # Taken by someone else (an operator, another sweep) between the listing and now.
            log.info("Drop folder: %s disappeared before it was read", path)
        except Exception:
            # Left where it is and tried again at the next sweep (the database or storage may be down).
            log.exception("Drop folder: %s could not be ingested; it stays for the next sweep", path)
        else:
            _move(path, folder / PROCESSED)
    if rejected:
        batch.rejected = rejected
        batch.save(update_fields=["rejected", "updated_at"])
    log.info("Drop folder %s: %s file(s) taken, %s refused (batch %s)", folder, len(files) - len(rejected), len(rejected), batch.pk)
    return batch


def _move(path: Path, target_dir: Path) -> Path | None:
    """Move `path` into `target_dir` without overwriting a file of the same name there."""
    target_dir.mkdir(exist_ok=True)
    target = target_dir / path.name
    if target.exists():
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        counter = 1
        while target.exists():
            target = target_dir / f"{path.stem}.{stamp}-{counter}{path.suffix}"
            counter += 1
    try:
        os.replace(path, target)
    except FileNotFoundError:
        log.info("Drop folder: %s was moved by someone else", path)
        return None
    return target


def _refuse(path: Path, target_dir: Path, reason: str) -> None:
    target = _move(path, target_dir)
    if target is None:
        return
    when = timezone.localtime().strftime("%d.%m.%Y %H:%M")
    (target_dir / f"{target.name}.error.txt").write_text(f"{target.name}\n{when}\n{reason}\n", encoding="utf-8")


@contextmanager
def _locked(folder: Path):
    """A lock file in the folder, so that two sweeps (two workers) do not take the same files at once.
    Without it nothing breaks (the content hash keeps a file once); it only saves the double work."""
    try:
        handle = open(folder / LOCK_NAME, "a")
    except OSError:
        yield True  # a folder we may not write in: sweep without the lock
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        handle.close()
