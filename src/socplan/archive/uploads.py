"""Refusing an oversized file while it is being uploaded, not after a 2 GB file has reached the disk.

The handler stops receiving a file as soon as it passes ARCHIVE_MAX_FILE_BYTES (Django's SkipFile:
the rest of the request, other files included, goes on) and remembers its name, so the batch lists
it with the reason like any other refused file.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class SizeLimitUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.ARCHIVE_MAX_FILE_BYTES:
            refused = getattr(self.request, "archive_oversized", [])
            refused.append(self.file_name)
            self.request.archive_oversized = refused
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


def size_limit_install(request) -> None:
    """Put the size check first (before the handlers that write to memory or disk)."""
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request))
