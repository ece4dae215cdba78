"""Metadata suggested from a document's text, for the operator to confirm or correct.

The text is OCR output, so every pattern tolerates what Tesseract does to print: spaces inside
numbers, "N" or "Nо" for "№", Latin look-alikes of Cyrillic letters. Nothing here is saved as the
document's metadata by itself: the suggestions are shown beside the form, and an identifier is
offered only when its check digits are right.
"""

from __future__ import annotations

import re
from datetime import date

from socplan.core.validators import egn_is_valid, lnch_is_valid

from .services import egn_facts

# Ten digits, possibly split by OCR into groups ("750102 0018").
_IDENTIFIER = re.compile(r"(?<!\d)(\d(?:[ \u00a0]?\d){9})(?!\d)")
_LABEL = re.compile(r"(ЕГН|ЛНЧ|EGN|LNCH|ЕГH|EГН)\s*[:№]?\s*$", re.IGNORECASE)
_DATE = re.compile(r"(?<!\d)(\d{1,2})[./-](\d{1,2})[./-]((?:19|20)\d{2})(?!\d)")
# "Вх. № 94-00-123/12.03.2024", "вх.№ ДСП-0012", "входящ номер 1234"
_INCOMING = re.compile(
    r"(?:\b[ВвB][хx]\.?|[Вв]ходящ(?:\s+номер)?)\s*(?:№|N[оo°]?\.?|No\.?|Хе|He)?\s*[:.]?\s*"
    r"([0-9A-Za-zА-Яа-я][0-9A-Za-zА-Яа-я\-/.]{0,40}[0-9])",
)
# A person's name: two or three capitalised Cyrillic words (or the same in capitals).
_NAME_WORD = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?|[А-ЯЁ]{2,}(?:-[А-ЯЁ]{2,})?"
_NAME_WORD_RE = re.compile(_NAME_WORD)
# Words before a name in forms ("Долуподписаният Иван…", "трите имена: …") are not part of it.
_NOT_NAMES = {
    "долуподписаният", "долуподписаната", "долуподписания", "име", "имена", "трите", "собствено", "бащино", "фамилно",
    "заявление", "декларация", "заявление-декларация", "гр", "град", "село", "община", "област", "адрес", "ул",
    "лична", "карта", "егн", "лнч", "от", "на", "за", "до", "директор", "дирекция", "социално", "подпомагане",
    "уважаеми", "уважаема", "господин", "госпожо", "господине", "г-н", "г-жа", "вх", "номер", "дата", "телефон",
}


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def identifiers_find(text: str) -> list[dict]:
    """Valid ЕГН and ЛНЧ in the text, those labelled "ЕГН"/"ЛНЧ" first, each once."""
    found: dict[str, dict] = {}
    for match in _IDENTIFIER.finditer(text):
        value = _digits(match.group(1))
        if value in found:
            continue
        labelled = bool(_LABEL.search(text[max(0, match.start() - 12) : match.start()]))
        if egn_is_valid(value):
            birth, sex = egn_facts(value)
            found[value] = {
                "value": value,
                "kind": "egn",
                "birth_date": birth.isoformat() if birth else None,
                "sex": sex,
                "labelled": labelled,
                "position": match.start(),
            }
        elif lnch_is_valid(value):
            found[value] = {"value": value, "kind": "lnch", "labelled": labelled, "position": match.start()}
    return sorted(found.values(), key=lambda f: (not f["labelled"], f["position"]))


def name_near(text: str, position: int) -> dict | None:
    """The name written closest before `position` (on the same or the previous lines): the last run
    of two or three capitalised words that are not form words ("Долуподписаният", "ЕГН")."""
    window = text[max(0, position - 240) : position]
    runs, run = [], []
    for token in re.findall(r"\S+", window):
        word = token.strip(".,:;„“\"()")
        if _NAME_WORD_RE.fullmatch(word) and word.lower() not in _NOT_NAMES:
            run.append(word)
            if token != word and token.rstrip(".,:;„“\"()") != token:
                # Punctuation after a word ends the name ("Иванов, ЕГН …").
                runs.append(run)
                run = []
        else:
            runs.append(run)
            run = []
    runs.append(run)
    names = [r for r in runs if len(r) >= 2]
    if not names:
        return None
    words = [w.capitalize() if w.isupper() else w for w in names[-1][-3:]]
    first, *rest = words
    return {
        "first_name": first,
        "middle_name": rest[0] if len(rest) == 2 else "",
        "last_name": rest[-1],
    }


def dates_find(text: str) -> list[str]:
    """Real calendar dates (dd.mm.yyyy) in the order they appear, each once, as ISO strings."""
    seen: list[str] = []
    for day, month, year in _DATE.findall(text):
        try:
            value = date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            continue
        if value not in seen:
            seen.append(value)
    return seen


def incoming_numbers_find(text: str) -> list[str]:
    seen: list[str] = []
    for match in _INCOMING.finditer(text):
        value = match.group(1).strip(" .")
        if value not in seen:
            seen.append(value)
    return seen


def document_type_guess(text: str) -> str | None:
    """The code of the first active document type whose keywords appear in the document's head."""
    from .models import DocumentType

    head = text[:1500].lower()
    best, best_position = None, None
    for code, keywords in DocumentType.objects.filter(is_active=True).values_list("code", "keywords"):
        for keyword in filter(None, (k.strip().lower() for k in keywords.splitlines())):
            position = head.find(keyword)
            if position >= 0 and (best_position is None or position < best_position):
                best, best_position = code, position
    return best


def suggest(text: str) -> dict:
    """Everything the text suggests: identifiers (with names), dates, incoming numbers, type."""
    identifiers = identifiers_find(text)
    for identifier in identifiers:
        name = name_near(text, identifier.pop("position"))
        if name:
            identifier["name"] = name
    dates = dates_find(text)
    return {
        "identifiers": identifiers,
        "dates": dates,
        "incoming_numbers": incoming_numbers_find(text),
        "document_type": document_type_guess(text),
    }
