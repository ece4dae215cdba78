"""The machine-readable zone of an identity card (ICAO Doc 9303, TD1: three lines of 30 characters).

Reads the zone from the text an OCR engine or a document reader gives (noise, spaces, common OCR
confusions), checks every check digit, and returns the holder's data: names (Latin, as printed in
the zone), document number, birth date, sex, expiry, nationality and, for a Bulgarian card, the
ЕГН (found in an optional data field and accepted only with a valid ЕГН check digit and the same
birth date as the zone's).

TD1 layout (positions from 1):
  line 1: 1–2 document code, 3–5 issuing state, 6–14 document number, 15 its check digit,
          16–30 optional data;
  line 2: 1–6 birth date (YYMMDD), 7 check, 8 sex, 9–14 expiry (YYMMDD), 15 check,
          16–18 nationality, 19–29 optional data, 30 composite check digit (over line 1 6–30,
          line 2 1–7, 9–15 and 19–29);
  line 3: surname << given names, words separated by <.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from socplan.core.validators import egn_birth_date, egn_is_valid, lnch_is_valid

WEIGHTS = (7, 3, 1)
LINE = 30
# What OCR engines read in place of the zone's characters where only digits can stand.
TO_DIGIT = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "G": "6", "<": "0"})
TO_LETTER = str.maketrans({"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"})


class MRZError(ValueError):
    """The text holds no readable zone; the message says what is wrong."""


def char_value(char: str) -> int:
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise MRZError(_("“%(char)s” cannot stand in a machine-readable zone.") % {"char": char})


def check_digit(text: str) -> int:
    """The ICAO 9303 check digit: weights 7, 3, 1 repeated, sum modulo 10."""
    return sum(char_value(c) * WEIGHTS[i % 3] for i, c in enumerate(text)) % 10


@dataclass
class CardData:
    document_code: str
    issuing_state: str
    document_number: str
    birth_date: datetime.date | None
    sex: str  # "male", "female" or ""
    expiry_date: datetime.date | None
    nationality: str
    surname: str
    given_names: str
    personal_number: str = ""  # the ЕГН (or ЛНЧ) when one is found and valid
    optional_data: tuple[str, str] = ("", "")
    lines: tuple[str, str, str] = ("", "", "")
    problems: list[str] = field(default_factory=list)  # failed check digits, an invalid ЕГН

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def expired(self) -> bool:
        return self.expiry_date is not None and self.expiry_date < datetime.date.today()


def _date(text: str, *, future: bool) -> datetime.date | None:
    """YYMMDD; a birth date is in the past century when needed, an expiry within the next 50 years."""
    if not text.isdigit():
        return None
    yy, month, day = int(text[:2]), int(text[2:4]), int(text[4:6])
    this_year = datetime.date.today().year % 100
    if future:
        century = 2000 if yy <= this_year + 50 else 1900
    else:
        century = 2000 if yy <= this_year else 1900
    try:
        return datetime.date(century + yy, month, day)
    except ValueError:
        return None


def find_lines(text: str) -> tuple[str, str, str]:
    """The three lines of a TD1 zone in OCR or reader text (the last three lines that look like it)."""
    candidates = []
    for raw in text.splitlines():
        line = re.sub(r"\s+", "", raw.upper())
        if len(line) >= LINE - 2 and re.fullmatch(r"[A-Z0-9<]+", line or "-"):
            candidates.append(line[:LINE].ljust(LINE, "<"))
    for start in range(len(candidates) - 3, -1, -1):
        first = candidates[start]
        if first[0] in "IAC":
            return candidates[start], candidates[start + 1], candidates[start + 2]
    # A reader may give the zone as one run of 90 characters.
    run = re.sub(r"[^A-Z0-9<]", "", text.upper())
    match = re.search(r"[IAC][A-Z0-9<][A-Z<]{3}[A-Z0-9<]{85}", run)
    if match:
        zone = match.group(0)
        return zone[:30], zone[30:60], zone[60:90]
    raise MRZError(_("No machine-readable zone of an identity card (three lines of 30 characters) was found."))


def _digits(text: str) -> str:
    return text.translate(TO_DIGIT)


def parse(text: str) -> CardData:
    """Read a TD1 zone from text; the result lists every failed check instead of raising."""
    line1, line2, line3 = find_lines(text)
    problems = []
    number_field = line1[5:14]
    number_check = _digits(line1[14])
    birth = _digits(line2[0:6])
    birth_check = _digits(line2[6])
    expiry = _digits(line2[8:14])
    expiry_check = _digits(line2[14])
    composite = _digits(line2[29])
    # The composite check runs over the zone as printed, with the repaired digits.
    repaired2 = birth + birth_check + line2[7] + expiry + expiry_check + line2[15:29] + composite
    checks = [
        (_("The check digit of the document number does not match."), number_field, number_check),
        (_("The check digit of the birth date does not match."), birth, birth_check),
        (_("The check digit of the expiry date does not match."), expiry, expiry_check),
        (_("The check digit of the whole zone does not match."), line1[5:30] + repaired2[0:7] + repaired2[8:15] + repaired2[18:29], composite),
    ]
    for message, value, digit in checks:
        try:
            ok = digit.isdigit() and check_digit(value) == int(digit)
        except MRZError:
            ok = False
        if not ok:
            problems.append(message)
    names = line3.rstrip("<").split("<<", 1)
    surname = names[0].replace("<", " ").strip().translate(TO_LETTER)
    given = names[1].replace("<", " ").strip().translate(TO_LETTER) if len(names) > 1 else ""
    sex = {"M": "male", "F": "female"}.get(line2[7], "")
    birth_date = _date(birth, future=False)
    optional = (line1[15:30].strip("<"), line2[18:29].strip("<"))
    personal = _personal_number(optional, birth_date)
    if any(re.fullmatch(r"\d{10}", o[:10]) for o in optional) and not personal:
        problems.append(_("The personal number (ЕГН/ЛНЧ) in the zone is not valid or does not match the birth date."))
    return CardData(
        document_code=line1[0:2].replace("<", ""),
        issuing_state=line1[2:5].replace("<", ""),
        document_number=number_field.replace("<", ""),
        birth_date=birth_date,
        sex=sex,
        expiry_date=_date(expiry, future=True),
        nationality=line2[15:18].replace("<", ""),
        surname=surname,
        given_names=given,
        personal_number=personal,
        optional_data=optional,
        lines=(line1, line2, line3),
        problems=problems,
    )


def _personal_number(optional: tuple[str, str], birth_date: datetime.date | None) -> str:
    """The ЕГН of a Bulgarian card (either optional field): valid check digit, same birth date; or an ЛНЧ."""
    for text in optional:
        candidate = _digits(text[:10])
        if len(candidate) != 10 or not candidate.isdigit():
            continue
        if egn_is_valid(candidate) and (birth_date is None or egn_birth_date(candidate) == birth_date):
            return candidate
        if lnch_is_valid(candidate):
            return candidate
    return ""


def compose(
    *, document_number: str, birth_date: datetime.date, sex: str, expiry_date: datetime.date, surname: str,
    given_names: str, nationality: str = "BGR", issuing_state: str = "BGR", personal_number: str = "", code: str = "ID",
) -> tuple[str, str, str]:
    """A TD1 zone with correct check digits (for tests and for printing a sample card)."""
    number = document_number.upper().ljust(9, "<")[:9]
    line1 = (code.ljust(2, "<") + issuing_state + number + str(check_digit(number))).ljust(LINE, "<")
    birth = birth_date.strftime("%y%m%d")
    expiry = expiry_date.strftime("%y%m%d")
    optional = personal_number.ljust(11, "<")[:11]
    body = birth + str(check_digit(birth)) + {"male": "M", "female": "F"}.get(sex, "<") + expiry + str(check_digit(expiry))
    body += nationality + optional
    composite = check_digit(line1[5:30] + body[0:7] + body[8:15] + body[18:29])
    line2 = body + str(composite)

    def name(text: str) -> str:
        from .translit import to_latin

        return re.sub(r"[^A-Z]+", "<", to_latin(text).upper()).strip("<")

    line3 = (name(surname) + "<<" + name(given_names)).ljust(LINE, "<")[:LINE]
    return line1, line2, line3
