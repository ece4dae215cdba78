"""Small helpers for HTTP responses shared by the apps."""

import urllib.parse


def attachment_header(filename: str, fallback: str) -> str:
    """A Content-Disposition for a download: the UTF-8 name (RFC 5987/6266 `filename*`) for browsers
    that read it, and an ASCII `fallback` name for those that do not."""
    fallback = fallback.replace('"', "").replace("\r", "").replace("\n", "")
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{urllib.parse.quote(filename, safe='')}"
