from pathlib import Path

from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

import socplan

CATALOGUE = Path(socplan.__file__).parent / "locale" / "bg" / "LC_MESSAGES" / "django.po"


def _entries(text: str):
    """(msgid, msgstr, flags) of every entry of a .po file (enough of the format for this check)."""
    for block in text.split("\n\n"):
        lines = block.strip().splitlines()
        flags = " ".join(line for line in lines if line.startswith("#,"))
        msgid, msgstr, current = [], [], None
        for line in lines:
            if line.startswith("msgid "):
                current = msgid
                line = line[6:]
            elif line.startswith("msgstr"):
                current = msgstr
                line = line.split(" ", 1)[1]
            elif not line.startswith('"'):
                continue
            if current is not None:
                current.append(line.strip().strip('"'))
        if msgid:
            yield "".join(msgid), "".join(msgstr), flags


def test_every_string_of_the_interface_has_a_bulgarian_translation():
    untranslated = [
        msgid for msgid, msgstr, flags in _entries(CATALOGUE.read_text(encoding="utf-8")) if msgid and (not msgstr or "fuzzy" in flags)
    ]
    assert untranslated == []


def test_the_interface_is_bulgarian_by_default_and_english_on_request(client):
    assert "Вход" in client.get(reverse("core:login")).content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Sign in" in client.get(reverse("core:login")).content.decode()


def test_dates_are_written_dd_mm_yyyy_in_both_languages():
    import datetime

    for language in ("bg", "en"):
        with translation.override(language):
            assert date_format(datetime.date(2017, 6, 20), "SHORT_DATE_FORMAT") == "20.06.2017"


def test_an_english_browser_still_gets_bulgarian_until_the_user_switches(client):
    page = client.get(reverse("core:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Вход" in page


def test_no_string_of_the_code_is_missing_from_the_catalogue(tmp_path):
    """Extract the strings of the code afresh (as makemessages does) and look for new, untranslated ones."""
    import shutil
    import subprocess
    import sys

    import pytest

    if shutil.which("xgettext") is None:
        pytest.skip("gettext is not installed (./run test installs it where it can)")
    source = Path(socplan.__file__).parent
    copy = tmp_path / "socplan"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("static", "data", "__pycache__", "*.mo"))
    manage = source.parents[1] / "manage.py"
    subprocess.run(
        [sys.executable, str(manage), "makemessages", "-l", "bg", "--no-obsolete", "-v0"],
        cwd=copy,
        check=True,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "socplan.config.settings.test"},
    )
    fresh = (copy / "locale" / "bg" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    missing = [msgid for msgid, msgstr, flags in _entries(fresh) if msgid and (not msgstr or "fuzzy" in flags)]
    assert missing == [], "translate these in src/socplan/locale/bg/LC_MESSAGES/django.po"
