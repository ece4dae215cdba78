"""The machine-readable zone of an identity card: generated zones, OCR noise, failed check digits."""

import datetime
import io
import shutil

import pytest
from django.utils import translation

from socplan.archive import mrz
from socplan.archive.mrz import MRZError, check_digit, compose, parse

# A fictional card: ЕГН 7501020018 (born 02.01.1975, a woman: the ninth digit is odd; valid check digit).
EGN = "7501020018"


def _zone(**overrides):
    values = dict(
        document_number="AA1234567", birth_date=datetime.date(1975, 1, 2), sex="male",
        expiry_date=datetime.date(2031, 5, 17), surname="Иванов", given_names="", personal_number=EGN,
    )
    values.update(overrides)
    values["surname"] = values["surname"] if values["surname"].isascii() else "IVANOV"
    values["given_names"] = values["given_names"] or "PETAR GEORGIEV"
    return compose(**values)


def test_the_icao_check_digit():
    # ICAO Doc 9303 part 3 worked example: "520727" → 3.
    assert check_digit("520727") == 3
    assert check_digit("L898902C<") == 3


def test_a_generated_zone_reads_back():
    line1, line2, line3 = _zone()
    assert len(line1) == len(line2) == len(line3) == 30
    card = parse("\n".join((line1, line2, line3)))
    assert card.valid, card.problems
    assert (card.document_code, card.issuing_state, card.document_number) == ("ID", "BGR", "AA1234567")
    assert card.birth_date == datetime.date(1975, 1, 2) and card.sex == "male"
    assert card.expiry_date == datetime.date(2031, 5, 17) and card.nationality == "BGR"
    assert (card.surname, card.given_names) == ("IVANOV", "PETAR GEORGIEV")
    assert card.personal_number == EGN


def test_ocr_noise_is_tolerated():
    line1, line2, line3 = _zone()
    # Spaces, surrounding text, and an O read for a 0 in a digits-only field.
    noisy = "РЕПУБЛИКА БЪЛГАРИЯ\n" + " ".join(line1) + "\n" + line2.replace("0", "O", 1) + "  \n" + line3 + "\nend"
    card = parse(noisy)
    assert card.valid, card.problems
    assert card.personal_number == EGN


def test_every_failed_check_is_reported():
    line1, line2, line3 = _zone()
    broken_birth = line2[:6] + str((int(line2[6]) + 1) % 10) + line2[7:]
    with translation.override("en"):
        card = parse("\n".join((line1, broken_birth, line3)))
    assert not card.valid
    assert any("birth date" in p for p in card.problems) and any("whole zone" in p for p in card.problems)


def test_an_egn_with_a_wrong_check_digit_is_not_taken():
    wrong = EGN[:9] + str((int(EGN[9]) + 1) % 10)
    card = parse("\n".join(_zone(personal_number=wrong)))
    assert card.personal_number == ""
    assert not card.valid


def test_births_of_the_2000s_and_an_egn_that_disagrees_with_the_zone():
    # Born 2005-03-09: the ЕГН's month carries +40 (0543 09…).
    egn = next(f"0543090{n:02d}{c}" for n in range(100) for c in range(10) if _valid(f"0543090{n:02d}{c}"))
    card = parse("\n".join(_zone(birth_date=datetime.date(2005, 3, 9), personal_number=egn)))
    assert card.valid and card.personal_number == egn and card.birth_date == datetime.date(2005, 3, 9)
    # The same ЕГН on a zone with another birth date is refused.
    card = parse("\n".join(_zone(birth_date=datetime.date(1975, 3, 9), personal_number=egn)))
    assert card.personal_number == ""


def _valid(egn: str) -> bool:
    from socplan.core.validators import egn_is_valid

    return egn_is_valid(egn)


def test_text_without_a_zone():
    with pytest.raises(MRZError):
        parse("Заявление-декларация\nза отпускане на помощ")


def test_compose_writes_cyrillic_names_in_latin_letters():
    lines = mrz.compose(
        document_number="645123456", birth_date=datetime.date(1975, 1, 2), sex="female",
        expiry_date=datetime.date(2030, 5, 6), surname="Щерева", given_names="Мария Георгиева",
        personal_number="7501020018",
    )
    assert lines[2] == "SHTEREVA<<MARIA<GEORGIEVA<<<<<"


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="Tesseract is not installed")
def test_zone_read_from_a_rendered_card_image():
    from PIL import Image, ImageDraw, ImageFont

    from socplan.archive import mrz_image
    from socplan.archive.translit import to_cyrillic

    lines = mrz.compose(
        document_number="645123456", birth_date=datetime.date(1975, 1, 2), sex="female",
        expiry_date=datetime.date(2030, 5, 6), surname="Щерева", given_names="Мария Георгиева",
        personal_number="7501020018",
    )
    card = Image.new("L", (1000, 640), 235)
    draw = ImageDraw.Draw(card)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 30)
    draw.text((40, 60), "REPUBLIC OF BULGARIA  ЛИЧНА КАРТА", font=font, fill=20)
    draw.text((40, 200), "Фамилия/Surname ЩЕРЕВА", font=font, fill=20)
    for index, line in enumerate(lines):
        draw.text((30, 470 + index * 48), line, font=font, fill=10)
    buffer = io.BytesIO()
    card.rotate(0.8, expand=True, fillcolor=235).save(buffer, "PNG")

    data = mrz_image.image_read(buffer.getvalue())

    assert data.valid, data.problems
    assert data.personal_number == "7501020018"
    assert data.document_number == "645123456"
    assert data.expiry_date == datetime.date(2030, 5, 6)
    assert (to_cyrillic(data.surname), to_cyrillic(data.given_names)) == ("Щерева", "Мария Георгиева")


def test_an_image_that_is_not_an_image_is_refused_clearly():
    from socplan.archive import mrz_image

    with pytest.raises(mrz.MRZError):
        mrz_image.image_read(b"not an image at all")
