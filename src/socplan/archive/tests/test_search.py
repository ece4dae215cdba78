"""Full-text search over the pages (archive.search), on SQLite (FTS5 + our stemmer) and PostgreSQL
(Hunspell through the socplan_bg configuration): run this module with DATABASE_URL set too."""

import pytest
from django.core.management import call_command
from django.db import connection

from socplan.archive.models import Document, Page
from socplan.archive.search import (
    document_search,
    highlight,
    index_document,
    page_search,
    query_terms,
    unindex_document,
)
from socplan.archive.stemming import stem, stem_text

POSTGRES = connection.vendor == "postgresql"

# --- The stemmer (SQLite side; no database) -------------------------------------------------------

FAMILIES = [
    "заявление заявлението заявления заявленията",
    "решение решението решения решенията",
    "доклад доклада докладът доклади докладите",
    "социален социална социално социални социалния социалният социалната социалното социалните",
    "помощ помощта помощи помощите",
    "майка майката майки майките",
    "заповед заповедта заповеди заповедите",
    "семейство семейството семейства семействата",
    "Иванов Иванова Иванови",
    "център центъра центърът центрове центровете",
    "работник работника работникът работници работниците",
    "психолог психолога психолози психолозите",
    "комисия комисията комисии комисиите",
    "община общината общини общините",
    "месечен месечна месечни месечната месечния",
    "детски детска детско детския детската детските",
    "случай случая случаят случаи случаите",
    "становище становища становищата становището",
    "член члена членът членове членовете",
    "обезщетение обезщетения обезщетението",
    "удостоверение удостоверения удостоверението",
    "възрастен възрастна възрастни възрастните",
    "дете детето",
    "лице лицето лица лицата",
]


@pytest.mark.parametrize("family", FAMILIES)
def test_the_forms_of_a_word_have_one_stem(family):
    forms = family.split()
    assert len({stem(w) for w in forms}) == 1, {w: stem(w) for w in forms}


@pytest.mark.parametrize(
    "a, b",
    [
        ("заявление", "заявка"),
        ("социален", "социология"),
        ("доклад", "договор"),
        ("дете", "детски"),
        ("решение", "ред"),
    ],
)
def test_different_words_keep_different_stems(a, b):
    assert stem(a) != stem(b)


def test_numbers_short_words_and_case():
    assert stem("8001011234") == "8001011234"
    assert stem("на") == "на" and stem("ЕГН") == "егн"
    assert stem("ЗАЯВЛЕНИЕТО") == stem("заявление")
    assert stem_text("Социално-икономически, 12 стр.") == "социалн икономическ 12 стр"


# --- Fixtures -------------------------------------------------------------------------------------


def _document(directorate, name: str, pages: list[str]) -> Document:
    document = Document.objects.create(
        directorate=directorate,
        sha256=(name.encode().hex() * 64)[:64],
        original=f"originals/{name}.pdf",
        original_name=f"{name}.pdf",
        status=Document.Status.READY,
        page_count=len(pages),
    )
    Page.objects.bulk_create(Page(document=document, number=n, text=text) for n, text in enumerate(pages, 1))
    index_document(document)
    return document


@pytest.fixture
def archive(vtr_dsp, pvn_dsp):
    return {
        "request": _document(
            vtr_dsp,
            "request",
            [
                "Заявлението е подадено от Мария Иванова Петрова на 12.03.2024 г.",
                "Приложения: удостоверение за доходите, декларация.",
            ],
        ),
        "report": _document(
            vtr_dsp,
            "report",
            ["Социален доклад. Към социалния доклад са приложени заявления и заявленията на майката."],
        ),
        "order": _document(vtr_dsp, "order", ["Заповед за отпускане на месечна помощ по чл. 9 от ППЗСП."]),
        "elsewhere": _document(pvn_dsp, "elsewhere", ["Заявление от лице в Плевен."]),
    }


def _pages(*documents):
    return Page.objects.filter(document__in=documents)


# --- Finding in any word form ---------------------------------------------------------------------


def test_a_word_finds_its_other_forms(archive):
    hits = page_search(Page.objects.all(), "заявления")
    found = {(h.page.document.original_name, h.page.number) for h in hits}
    assert ("request.pdf", 1) in found  # "Заявлението"
    assert ("report.pdf", 1) in found  # "заявления", "заявленията"
    assert ("elsewhere.pdf", 1) in found  # "Заявление"
    assert ("order.pdf", 1) not in found

    assert {h.page.document.original_name for h in page_search(Page.objects.all(), "заявлението")} == {
        "request.pdf",
        "report.pdf",
        "elsewhere.pdf",
    }
    assert [h.page.document.original_name for h in page_search(Page.objects.all(), "социалният доклад")] == [
        "report.pdf"
    ]
    assert [h.page.document.original_name for h in page_search(Page.objects.all(), "помощи")] == ["order.pdf"]


def test_forms_the_dictionary_does_not_link_are_found_too(archive):
    # Hunspell's Bulgarian dictionary keeps "майката" a word of its own; its stem finds it anyway.
    assert [h.page.document.original_name for h in page_search(Page.objects.all(), "майка")] == ["report.pdf"]
    assert "<mark>майката</mark>" in highlight(archive["report"].pages.get().text, "майка")


def test_surnames_and_numbers_are_found(archive):
    assert [h.page.document.original_name for h in page_search(Page.objects.all(), "Петрова")] == [
        "request.pdf"
    ]
    assert [h.page.document.original_name for h in page_search(Page.objects.all(), "12.03.2024")] == [
        "request.pdf"
    ]


def test_all_words_must_match_and_excluded_words_must_not(archive):
    everything = Page.objects.all()
    assert {h.page.document.original_name for h in page_search(everything, "заявление доклади")} == {
        "report.pdf"
    }
    assert {h.page.document.original_name for h in page_search(everything, "заявление -доклади")} == {
        "request.pdf",
        "elsewhere.pdf",
    }
    assert {h.page.document.original_name for h in page_search(everything, "заповед or майката")} == {
        "order.pdf",
        "report.pdf",
    }
    assert page_search(everything, '"доклад социален"') == []  # a phrase keeps its order
    assert [h.page.document.original_name for h in page_search(everything, '"социален доклад"')] == [
        "report.pdf"
    ]


def test_a_page_with_the_word_more_often_ranks_higher(vtr_dsp):
    filler = " ".join(["Текстът на страницата описва обстоятелствата."] * 3)
    once = _document(vtr_dsp, "once", [f"Решение. {filler}"])
    thrice = _document(vtr_dsp, "thrice", [f"Решение. Решението. Решения. {filler}"])
    hits = page_search(Page.objects.all(), "решение")
    assert [h.page.document_id for h in hits] == [thrice.pk, once.pk]
    assert hits[0].rank > hits[1].rank


def test_documents_are_ranked_by_their_best_page_with_the_matching_page_numbers(vtr_dsp):
    weak = _document(
        vtr_dsp,
        "weak",
        ["Помощ се иска от семейството на детето.", "Нищо общо.", "Ще се иска помощ за детето, по-нататък."],
    )
    strong = _document(vtr_dsp, "strong", ["Без думата.", "Помощта, помощи, помощ — месечна помощ."])
    hits = document_search(Document.objects.all(), "помощ")
    assert [h.document for h in hits] == [strong, weak]
    assert hits[0].page_numbers == [2] and hits[0].page.number == 2
    assert hits[1].page_numbers == [1, 3]
    assert "<mark>" in hits[0].snippet


# --- The caller's scope ---------------------------------------------------------------------------


def test_pages_outside_the_queryset_are_never_returned(archive):
    vtr_pages = Page.objects.filter(document__directorate=archive["request"].directorate)
    names = {h.page.document.original_name for h in page_search(vtr_pages, "заявление")}
    assert names == {"request.pdf", "report.pdf"}
    assert page_search(_pages(archive["order"]), "заявление") == []
    assert page_search(Page.objects.none(), "заявление") == []

    documents = Document.objects.filter(directorate=archive["elsewhere"].directorate)
    assert [h.document for h in document_search(documents, "заявление")] == [archive["elsewhere"]]
    assert document_search(Document.objects.none(), "заявление") == []


def test_limit(archive):
    assert len(page_search(Page.objects.all(), "заявление", limit=2)) == 2
    assert len(document_search(Document.objects.all(), "заявление", limit=1)) == 1


# --- Snippets and highlighting --------------------------------------------------------------------


def test_the_snippet_marks_the_matching_forms_and_escapes_html(vtr_dsp):
    text = (
        "Начало "
        + "дълъг текст " * 40
        + "<script>alert(1)</script> Заявлението & заявленията "
        + "край " * 60
    )
    _document(vtr_dsp, "long", [text])
    (hit,) = page_search(Page.objects.all(), "заявление")
    assert "<mark>Заявлението</mark>" in hit.snippet and "<mark>заявленията</mark>" in hit.snippet
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    assert "&amp;" in hit.snippet
    assert len(hit.snippet) < 600


def test_highlight_marks_every_form_in_the_whole_page(db):
    html = highlight(
        "Заявлението <b>и</b> заявленията; заявка. Социалния доклад & други доклади.", "заявления доклад"
    )
    assert "<mark>Заявлението</mark>" in html and "<mark>заявленията</mark>" in html
    assert "<mark>доклад</mark>" in html and "<mark>доклади</mark>" in html
    assert "заявка" in html and "<mark>заявка</mark>" not in html
    assert "&lt;b&gt;и&lt;/b&gt;" in html and "&amp;" in html
    assert "<b>" not in html


def test_highlight_marks_dates_and_numbers(db):
    html = highlight("Заповед № 123/12.03.2024 г., ЕГН 8001011234.", "12.03.2024 8001011234")
    assert "<mark>" in html and "<mark>8001011234</mark>" in html
    assert "123" in html and "<mark>123</mark>" not in html


def test_highlight_without_a_query_only_escapes(db):
    assert highlight("<i>текст</i>", "") == "&lt;i&gt;текст&lt;/i&gt;"
    assert highlight("", "заявление") == ""


# --- What users type ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        '"',
        '""',
        "'",
        'заявление"',
        "AND OR NOT",
        "-",
        "--заявление",
        "* ^ : ( ) { } [ ] NEAR/2",
        "заявление* OR",
        "col:заявление",
        "& | ! <-> :*",
        "'; DROP TABLE archive_page; --",
        "\x00 заявление",
        "заявление " * 50,
        "я" * 500,
    ],
)
def test_malformed_queries_never_raise(archive, query):
    assert isinstance(page_search(Page.objects.all(), query), list)
    assert isinstance(document_search(Document.objects.all(), query), list)
    assert isinstance(highlight("Заявлението е тук.", query), str)


def test_query_terms():
    assert query_terms('заявление "социален доклад" -отказ or молба') == [
        "заявление",
        "социален",
        "доклад",
        "молба",
    ]
    assert query_terms("  ") == []


# --- Keeping the index ----------------------------------------------------------------------------


def test_reindexing_a_document_follows_its_new_text(archive):
    order = archive["order"]
    Page.objects.filter(document=order).update(text="Социален доклад за детето.")
    index_document(order)
    assert archive["order"] in {h.document for h in document_search(Document.objects.all(), "детето")}
    assert order not in {h.document for h in document_search(Document.objects.all(), "заповед")}

    unindex_document(order)
    if not POSTGRES:  # on PostgreSQL the index follows the text (the column is generated from it)
        assert order not in {h.document for h in document_search(Document.objects.all(), "детето")}


def test_deleted_pages_leave_the_index(archive):
    archive["report"].pages.all().delete()
    assert archive["report"] not in {h.document for h in document_search(Document.objects.all(), "доклад")}
    if not POSTGRES:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM archive_page_fts WHERE rowid NOT IN (SELECT id FROM archive_page)"
            )
            assert cursor.fetchone()[0] == 0


def test_the_setup_command_rebuilds_the_index(archive, capsys):
    call_command("archive_search_setup")
    assert "rebuilt for 5 pages" in capsys.readouterr().out
    assert {h.page.document.original_name for h in page_search(Page.objects.all(), "заявления")} == {
        "request.pdf",
        "report.pdf",
        "elsewhere.pdf",
    }


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL's Hunspell configuration")
def test_postgresql_uses_the_bulgarian_dictionary(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_tsvector('socplan_bg', 'Заявлението, заявления и социалния доклад')::text")
        vector = cursor.fetchone()[0]
    assert "'заявление':1,2" in vector and "'социален'" in vector
