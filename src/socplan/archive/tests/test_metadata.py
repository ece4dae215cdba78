"""Metadata suggested from OCR text: only identifiers with valid check digits, the name before them."""

from socplan.archive.metadata import suggest

# As Tesseract read a demo scan: "Вх. №" came out as "Bx. No" (Latin letters), "№" as "Хе".
OCR = """ДО ДИРЕКТОРА НА ДИРЕКЦИЯ „СОЦИАЛНО ПОДПОМАГАНЕ“ ВЕЛИКО ТЪРНОВО
Bx. No ДСП-ВТ-00010/09.11.2025
ЗАЯВЛЕНИЕ-ДЕКЛАРАЦИЯ
Долуподписаният Стефан Маринов Щерев, ЕГН 4709171500,
адрес: гр. Велико Търново, ул. „Демо“ Хе 1
лична карта 645123456, телефон 0888123456, сметка 7501020019
Дата: 09.11.2025 г. Подпис:..........
"""


def test_suggestions_from_ocr_text(db):
    found = suggest(OCR)
    assert [i["value"] for i in found["identifiers"]] == ["4709171500"]
    person = found["identifiers"][0]
    assert person["name"] == {"first_name": "Стефан", "middle_name": "Маринов", "last_name": "Щерев"}
    assert (person["birth_date"], person["sex"]) == ("1947-09-17", "m")
    assert found["incoming_numbers"] == ["ДСП-ВТ-00010/09.11.2025"]
    assert found["dates"] == ["2025-11-09"]
    assert found["document_type"] == "zayavlenie-deklaratsia"


def test_an_lnch_and_an_identifier_split_by_ocr(db):
    found = suggest("Заявител: Ахмед Хасан, ЛНЧ 1000000001\nдете: ЕГН 750102 0018")
    values = {i["value"]: i["kind"] for i in found["identifiers"]}
    assert values == {"1000000001": "lnch", "7501020018": "egn"}


def test_nothing_is_suggested_from_text_without_metadata(db):
    assert suggest("Протокол от заседание") == {"identifiers": [], "dates": [], "incoming_numbers": [], "document_type": None}
