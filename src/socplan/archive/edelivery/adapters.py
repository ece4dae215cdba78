"""Where e-delivery messages come from: an inbox adapter.

The real secure e-delivery system (ССЕВ) cannot be reached from here, so the robot talks to an
InboxAdapter; FolderAdapter behaves like the ССЕВ mailbox over a folder (a demo, the tests, or a
bridge that copies the mailbox to disk). An adapter for the ССЕВ web service implements the same
five methods.

The folder (settings.ARCHIVE_EDELIVERY_DIR):

    inbox/<message-id>/message.json      the message (see below), written last
    inbox/<message-id>/<attachment>      its attached files
    outbox/<message-id>.reply.json       the automatic reply (written once, atomically)
    done/<message-id>/                   a message the robot registered, answered and acknowledged
    rejected/<message-id>/               a message that could not be processed, with reason.txt

message.json:

    {"received_at": "2026-01-15T10:20:00+02:00",
     "sender": {"name": "Иван Петров", "identifier": "7501020018", "address": "ССЕВ профил 12345"},
     "subject": "Заявление за целева помощ за отопление",
     "form_data": {"service": "heating", "directorate": "ДСП-VTR04", "municipality": "VTR04",
                   "person": {"identifier": "7501020018", "first_name": "Иван", "last_name": "Петров"}},
     "attachments": ["zaiavlenie.pdf"]}

A writer puts the attachments in place first and message.json last (or renames a finished
directory into inbox/); a directory whose name starts with a dot is still being written. A
directory that has had no message.json for STALE_SECONDS is offered anyway, and refused as
malformed, so that nothing waits there unseen.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import tempfile
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from django.utils.translation import gettext as _
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.utils import timezone
from django.utils.dateparse import parse_datetime

MESSAGE_FILE = "message.json"
REASON_FILE = "reason.txt"
STALE_SECONDS = 600
SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class MalformedMessage(Exception):
    """The message cannot be read as an e-delivery message (the reason is shown to staff)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Attachment:
    """A file attached to a message: its content in memory, or the path of a file on disk."""

    name: str
    content: bytes | Path

    def open(self) -> File:
        """A Django File with the attachment's name (the caller closes it)."""
        if isinstance(self.content, Path):
            return File(self.content.open("rb"), name=self.name)
        return ContentFile(self.content, name=self.name)

    @property
    def size(self) -> int:
        return self.content.stat().st_size if isinstance(self.content, Path) else len(self.content)


@dataclass
class Sender:
    name: str = ""
    identifier: str = ""
    address: str = ""


@dataclass
class Message:
    """One e-delivery message as the adapter delivers it."""

    id: str
    received_at: datetime.datetime | None
    sender: Sender
    subject: str = ""
    form_data: dict = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)


@dataclass(frozen=True)
class Reply:
    """The automatic answer to a message. `key` makes sending it idempotent: a reply with a key
    already sent is not sent again."""

    key: str
    subject: str
    body: str
    incoming_number: str = ""
    incoming_date: str = ""


class InboxAdapter(ABC):
    """A mailbox of secure e-delivery messages."""

    #: Stored in InboxMessage.adapter with the message's id; must not change once messages exist.
    name: str = ""

    @abstractmethod
    def list_new(self) -> list[str]:
        """The ids of the messages not acknowledged yet, oldest first."""

    @abstractmethod
    def fetch(self, message_id: str) -> Message:
        """The message with its attachments; MalformedMessage when it cannot be read."""

    @abstractmethod
    def acknowledge(self, message_id: str) -> None:
        """Mark the message as handled, so list_new() no longer offers it (idempotent)."""

    @abstractmethod
    def reject(self, message_id: str, reason: str) -> None:
        """Put the message aside as not processable, with the reason (idempotent; never deletes it)."""

    @abstractmethod
    def send_reply(self, message_id: str, reply: Reply) -> str:
        """Send `reply` to the sender of the message and return the reply's id. Idempotent by
        reply.key: when that reply was sent already, nothing is sent and its id is returned."""


class FolderAdapter(InboxAdapter):
    """The ССЕВ mailbox over a folder (see the module's docstring for the layout)."""

    name = "folder"

    def __init__(self, root: Path | str | None = None):
        self.root = Path(root or settings.ARCHIVE_EDELIVERY_DIR)
        self.inbox = self.root / "inbox"
        self.outbox = self.root / "outbox"
        self.done = self.root / "done"
        self.rejected = self.root / "rejected"

    def _ensure(self) -> None:
        for folder in (self.inbox, self.outbox, self.done, self.rejected):
            folder.mkdir(parents=True, exist_ok=True)

    def _check_id(self, message_id: str) -> None:
        if not SAFE_ID.match(message_id or "") or message_id in (".", ".."):
            raise MalformedMessage(_("Unsafe message id “%(id)s”.") % {"id": message_id})

    def _locate(self, message_id: str) -> Path | None:
        """The message's directory: in inbox/, or in rejected/ (a message tried again by staff)."""
        self._check_id(message_id)
        for folder in (self.inbox, self.rejected):
            path = folder / message_id
            if path.is_dir():
                return path
        return None

    def list_new(self) -> list[str]:
        self._ensure()
        now = time.time()
        found = []
        for path in self.inbox.iterdir():
            if not path.is_dir() or path.name.startswith(".") or not SAFE_ID.match(path.name):
                continue
            message_file = path / MESSAGE_FILE
            if message_file.is_file():
                found.append((message_file.stat().st_mtime, path.name))
            elif now - path.stat().st_mtime > STALE_SECONDS:
                found.append((path.stat().st_mtime, path.name))
        return [name for _mtime, name in sorted(found)]

    def fetch(self, message_id: str) -> Message:
        path = self._locate(message_id)
        if path is None:
            raise MalformedMessage(_("The message %(id)s is not in the inbox.") % {"id": message_id})
        message_file = path / MESSAGE_FILE
        if not message_file.is_file():
            raise MalformedMessage(_("The message has no %(file)s.") % {"file": MESSAGE_FILE})
        try:
            data = json.loads(message_file.read_text(encoding="utf-8"))
        except UnicodeDecodeError as error:
            raise MalformedMessage(_("%(file)s is not UTF-8 text: %(error)s.") % {"file": MESSAGE_FILE, "error": error}) from error
        except json.JSONDecodeError as error:
            raise MalformedMessage(_("%(file)s is not valid JSON: %(error)s.") % {"file": MESSAGE_FILE, "error": error}) from error
        except OSError as error:
            raise MalformedMessage(_("%(file)s cannot be read: %(error)s.") % {"file": MESSAGE_FILE, "error": error}) from error
        return self._parse(message_id, path, data)

    def _parse(self, message_id: str, path: Path, data) -> Message:
        if not isinstance(data, dict):
            raise MalformedMessage(_("%(file)s does not hold a JSON object.") % {"file": MESSAGE_FILE})
        sender = data.get("sender")
        if not isinstance(sender, dict):
            raise MalformedMessage(_("The message has no sender."))
        values = {}
        for key in ("name", "identifier", "address"):
            value = sender.get(key, "")
            if value is None:
                value = ""
            if not isinstance(value, str | int):
                raise MalformedMessage(_("The sender's %(field)s is not text.") % {"field": key})
            values[key] = str(value).strip()
        if not values["name"]:
            raise MalformedMessage(_("The message has no sender's name."))
        subject = data.get("subject") or ""
        if not isinstance(subject, str):
            raise MalformedMessage(_("The subject is not text."))
        form_data = data.get("form_data") or {}
        if not isinstance(form_data, dict):
            raise MalformedMessage(_("form_data is not a JSON object."))
        received_at = None
        if data.get("received_at"):
            received_at = parse_datetime(str(data["received_at"])) if isinstance(data["received_at"], str) else None
            if received_at is None:
                raise MalformedMessage(_("received_at is not a date and time: “%(value)s”.") % {"value": data["received_at"]})
            if timezone.is_naive(received_at):
                received_at = timezone.make_aware(received_at)
        else:
            received_at = datetime.datetime.fromtimestamp((path / MESSAGE_FILE).stat().st_mtime, tz=datetime.UTC)
        files = sorted(p for p in path.iterdir() if p.is_file() and p.name not in (MESSAGE_FILE, REASON_FILE))
        listed = data.get("attachments") or []
        if not isinstance(listed, list):
            raise MalformedMessage(_("attachments is not a list of file names."))
        present = {p.name for p in files}
        for item in listed:
            name = item.get("name") if isinstance(item, dict) else item
            if not isinstance(name, str) or name not in present:
                raise MalformedMessage(_("The attachment “%(name)s” is listed but missing.") % {"name": name})
        return Message(
            id=message_id,
            received_at=received_at,
            sender=_sender(values),
            subject=subject.strip(),
            form_data=form_data,
            attachments=[Attachment(name=p.name, content=p) for p in files],
        )

    def _move(self, message_id: str, target_folder: Path) -> Path | None:
        self._ensure()
        source = self._locate(message_id)
        target = target_folder / message_id
        if source is None or source == target:
            return target if target.exists() else None
        if target.exists():
            # Moved there before, and the message came in again under the same id: keep both.
            target = target_folder / f"{message_id}.{int(time.time())}"
        os.replace(source, target)
        return target

    def acknowledge(self, message_id: str) -> None:
        target = self._move(message_id, self.done)
        if target is not None and (target / REASON_FILE).exists():
            (target / REASON_FILE).unlink()

    def reject(self, message_id: str, reason: str) -> None:
        self._check_id(message_id)
        source = self._locate(message_id)
        if source is None:
            return
        _write_atomic(source / REASON_FILE, reason.encode("utf-8") + b"\n")
        if source.parent != self.rejected:
            self._move(message_id, self.rejected)

    def reply_path(self, message_id: str) -> Path:
        self._check_id(message_id)
        return self.outbox / f"{message_id}.reply.json"

    def send_reply(self, message_id: str, reply: Reply) -> str:
        self._ensure()
        path = self.reply_path(message_id)
        reply_id = f"outbox/{path.name}"
        if path.exists():
            return reply_id
        body = json.dumps(
            {
                "key": reply.key,
                "in_reply_to": message_id,
                "subject": reply.subject,
                "body": reply.body,
                "incoming_number": reply.incoming_number,
                "incoming_date": reply.incoming_date,
                "sent_at": timezone.now().isoformat(),
            },
            ensure_ascii=False,
            indent=2,
        ).encode("utf-8")
        # Written in full under a temporary name, then linked into place: the link fails if another
        # worker sent the reply a moment ago, so the reply is never written twice or half.
        handle, temporary = tempfile.mkstemp(dir=self.outbox, prefix=".reply-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
        return reply_id

    def reply_read(self, message_id: str) -> dict | None:
        path = self.reply_path(message_id)
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def drop(self, message_id: str, *, data: dict, attachments: dict[str, bytes] | None = None,
             raw_message: bytes | None = None) -> Path:
        """Put a message into the inbox as the ССЕВ bridge would (demo data and tests)."""
        self._ensure()
        self._check_id(message_id)
        staging = Path(tempfile.mkdtemp(dir=self.inbox, prefix=".incoming-"))
        for name, content in (attachments or {}).items():
            (staging / name).write_bytes(content)
        (staging / MESSAGE_FILE).write_bytes(
            raw_message if raw_message is not None else json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        )
        target = self.inbox / message_id
        os.replace(staging, target)
        return target


def _sender(values: dict) -> Sender:
    return Sender(name=values["name"][:255], identifier=values["identifier"], address=values["address"][:255])


def _write_atomic(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(content)
    os.replace(temporary, path)


ADAPTERS: dict[str, type[InboxAdapter]] = {FolderAdapter.name: FolderAdapter}


def adapter_get(name: str) -> InboxAdapter:
    """The adapter that InboxMessage.adapter names."""
    return ADAPTERS[name]()


def adapters_active() -> list[InboxAdapter]:
    """The inboxes the robot polls (the folder; an ССЕВ client joins here when it exists)."""
    return [FolderAdapter()]


