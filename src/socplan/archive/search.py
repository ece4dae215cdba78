"""Full-text search over the text of the archive's pages, in any Bulgarian word form.

Two engines behind one API (`page_search`, `document_search`, `highlight`):

- PostgreSQL: `archive_page.search` is a stored generated column (migration 0002, not a model field)
  `to_tsvector('socplan_bg', text)` with a GIN index. The text search configuration `socplan_bg`
  reduces Bulgarian words to their dictionary form with Debian's Hunspell dictionary (hunspell-bg)
  and keeps unknown words (names, numbers) as they are; where the server lacked the dictionary it
  is a copy of `simple` until `manage.py archive_search_setup` is run. Queries go through
  `websearch_to_tsquery`, which accepts anything a user types ("…", OR, -word) without errors.
  Highlighting asks socplan_bg for the lexemes of the page's words, so it marks what the index
  matched.
- SQLite (the embedded default): the FTS5 table `archive_page_fts(body)`, rowid = the page's id,
  holds each page's text reduced to stems by `stemming.stem`; the query is stemmed the same way and
  written as an FTS5 expression of quoted terms (no user text reaches FTS5's syntax). The table is
  filled by `index_document` (the processing pipeline calls it when it writes a document's pages);
  a trigger removes the rows of deleted pages. Ranking is FTS5's bm25.

`pages_qs`/`documents_qs` come already scoped by the caller (`access.archive_visible`); the search
condition is added to that query in SQL, so nothing outside it is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Document, Page
from .stemming import WORD, stem, stem_text

PG_CONFIG = "socplan_bg"
FTS_TABLE = "archive_page_fts"

# User input is cut to this many characters and terms: a pasted paragraph is a query that finds
# nothing, not a reason to build a huge one.
MAX_QUERY_CHARS = 500
MAX_TERMS = 32

# PostgreSQL ranks at most this many matching pages, the newest first (highest id), and orders
# those by relevance. Why: ts_rank reads every ranked page's tsvector (~2.7 kB), so ranking all
# the matches of a common word ("заявление" on nearly all of 200 000 pages) takes seconds, while
# the newest N matches are cheap to find: for a common word PostgreSQL walks the pages newest first
# and stops after N, for a rarer one it takes the GIN index's matches and sorts their ids. So for a
# query that matches more than N pages in the caller's scope, the best of its newest N are shown —
# in an archive the recent documents are the ones usually looked for, and another word narrows
# the search; below N matches the ranking is exact. SQLite (small embedded installations) ranks
# every match (FTS5's bm25 is computed inside the index, without reading the rows).
PG_RANK_CANDIDATES = 2000

# The snippet: about this many characters around the best match.
SNIPPET_CHARS = 200


@dataclass
class PageHit:
    page: Page
    rank: float
    snippet: SafeString

    @property
    def page_id(self) -> int:
        return self.page.pk

    @property
    def document_id(self) -> int:
        return self.page.document_id

    @property
    def number(self) -> int:
        return self.page.number


@dataclass
class DocumentHit:
    document: Document
    rank: float
    # The numbers of the document's pages that match, in page order.
    page_numbers: list[int]
    # The best matching page and a snippet of it.
    page: Page
    snippet: SafeString

    @property
    def document_id(self) -> int:
        return self.document.pk


# --- The query ------------------------------------------------------------------------------------

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass
class _Item:
    words: list[str]
    negated: bool = False
    # Joined to the previous item by OR instead of AND.
    or_previous: bool = False
    # As typed: a phrase, or one token such as a date (12.03.2024), which PostgreSQL parses whole.
    raw: str = ""


@dataclass
class _Query:
    text: str
    items: list[_Item] = field(default_factory=list)

    @property
    def positive_words(self) -> list[str]:
        return [w for item in self.items if not item.negated for w in item.words]


def _parse(query: str) -> _Query:
    """The query as web search engines read it (and PostgreSQL's websearch_to_tsquery): words,
    "quoted phrases", OR between two terms, -word to exclude."""
    # NUL: PostgreSQL refuses it in text.
    text = " ".join((query or "")[:MAX_QUERY_CHARS].replace("\x00", " ").split())
    parsed = _Query(text=text)
    pending_or = False
    for match in _TOKEN.finditer(text):
        negated = bool(match.group(1) or match.group(3))
        raw = match.group(2) if match.group(2) is not None else match.group(4)
        if match.group(4) is not None and raw.lower() == "or" and not negated:
            pending_or = bool(parsed.items)
            continue
        found = WORD.findall(raw)
        if not found:
            continue
        parsed.items.append(_Item(words=found, negated=negated, or_previous=pending_or and not negated, raw=raw))
        pending_or = False
        if len(parsed.items) >= MAX_TERMS:
            break
    return parsed


def query_terms(query: str) -> list[str]:
    """The words of `query` that a result must contain (not the excluded ones), as typed."""
    return _parse(query).positive_words


def _fts5_expression(parsed: _Query) -> str | None:
    """The FTS5 query: each term quoted (so no user text is FTS5 syntax), phrases kept, OR and NOT."""

    def quoted(item: _Item) -> str:
        return '"' + " ".join(stem(w) for w in item.words).replace('"', '""') + '"'

    groups: list[list[str]] = []
    negated = []
    for item in parsed.items:
        if item.negated:
            negated.append(quoted(item))
        elif item.or_previous and groups:
            groups[-1].append(quoted(item))
        else:
            groups.append([quoted(item)])
    if not groups:
        return None
    expression = " AND ".join(g[0] if len(g) == 1 else "(" + " OR ".join(g) + ")" for g in groups)
    for term in negated:
        expression = f"({expression}) NOT {term}"
    return expression


# --- Finding and ranking --------------------------------------------------------------------------


def _is_postgres(alias: str) -> bool:
    return connections[alias].vendor == "postgresql"


def _pg_term(item: _Item) -> tuple[str, list]:
    """One word: its dictionary form (Hunspell) or its stem, which the page's `stems` carry (see
    index_document); a phrase or a token such as a date: as PostgreSQL parses it."""
    if len(item.words) > 1:
        return f"phraseto_tsquery('{PG_CONFIG}', %s)", [item.raw or " ".join(item.words)]
    word = item.words[0]
    return f"(plainto_tsquery('{PG_CONFIG}', %s) || to_tsquery('simple', %s))", [word, f"'{stem(word)}'"]


def _pg_tsquery(parsed: _Query) -> tuple[str, list]:
    """The tsquery of a parsed query as SQL with its parameters — words, phrases, OR and NOT, read
    as websearch_to_tsquery reads them, but built from parameters (no user text is tsquery syntax)."""
    groups: list[list[tuple[str, list]]] = []
    negated: list[tuple[str, list]] = []
    for item in parsed.items:
        term = _pg_term(item)
        if item.negated:
            negated.append(term)
        elif item.or_previous and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
    parts, params = [], []
    for group in groups:
        parts.append("(" + " || ".join(sql for sql, _p in group) + ")")
        params += [p for _sql, group_params in group for p in group_params]
    for sql, term_params in negated:
        parts.append(f"!!({sql})")
        params += term_params
    return "(" + " && ".join(parts) + ")", params


def _ranked(
    pages_qs: QuerySet, parsed: _Query, *, limit: int, candidates: int
) -> list[tuple[int, int, int, float]]:
    """(page id, document id, page number, rank) of the best matching pages of `pages_qs`, best first."""
    alias = pages_qs.db
    connection = connections[alias]
    if _is_postgres(alias):
        tsquery, tsquery_params = _pg_tsquery(parsed)
        matching = pages_qs.filter(
            RawSQL(f'"archive_page"."search" @@ {tsquery}', tsquery_params, output_field=BooleanField())
        )
        try:
            scoped_sql, scoped_params = (
                matching.order_by("-pk").values("pk")[:candidates].query.sql_with_params()
            )
        except EmptyResultSet:
            return []
        # ts_rank's normalisation 1 divides by 1 + log(length), so a long page does not win only by
        # being long.
        sql = (
            f"SELECT p.id, p.document_id, p.number, ts_rank(p.search, {tsquery}, 1) AS rank "
            f"FROM ({scoped_sql}) AS c (id) JOIN archive_page p ON p.id = c.id "
            "ORDER BY rank DESC, p.id DESC LIMIT %s"
        )
        params = [*tsquery_params, *scoped_params, limit]
    else:
        expression = _fts5_expression(parsed)
        if expression is None:
            return []
        try:
            scoped_sql, scoped_params = pages_qs.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:
            return []
        # bm25() is lower for better matches; the rank handed out is its negation (higher = better).
        # The matches are found first (MATERIALIZED): with `rowid IN (…)` beside MATCH, SQLite
        # would run the full-text query once for every page of the scope.
        sql = (
            f"WITH m AS MATERIALIZED (SELECT rowid AS id, -bm25({FTS_TABLE}) AS rank FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s) "
            "SELECT p.id, p.document_id, p.number, m.rank FROM m JOIN archive_page p ON p.id = m.id "
            f"WHERE p.id IN ({scoped_sql}) ORDER BY m.rank DESC, p.id DESC LIMIT %s"
        )
        params = [expression, *scoped_params, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(row[0], row[1], row[2], float(row[3])) for row in cursor.fetchall()]


def page_search(pages_qs: QuerySet, query: str, *, limit: int = 50) -> list[PageHit]:
    """The pages of `pages_qs` whose text matches `query` in any word form, best first, each with a
    snippet of about 200 characters around the best match (safe HTML, matches in <mark>)."""
    parsed = _parse(query)
    if not parsed.positive_words or limit <= 0:
        return []
    ranked = _ranked(pages_qs, parsed, limit=limit, candidates=PG_RANK_CANDIDATES)
    if not ranked:
        return []
    pages = (
        pages_qs.model._default_manager.using(pages_qs.db)
        .select_related("document")
        .in_bulk([r[0] for r in ranked])
    )
    snippets = _snippets([pages[r[0]] for r in ranked if r[0] in pages], parsed, alias=pages_qs.db)
    return [
        PageHit(page=pages[pid], rank=rank, snippet=snippets[pid])
        for pid, _doc, _num, rank in ranked
        if pid in pages
    ]


def document_search(documents_qs: QuerySet, query: str, *, limit: int = 50) -> list[DocumentHit]:
    """The documents of `documents_qs` with pages matching `query`, ranked by their best page, with
    the numbers of the matching pages and a snippet of the best one."""
    parsed = _parse(query)
    if not parsed.positive_words or limit <= 0:
        return []
    pages_qs = Page.objects.using(documents_qs.db).filter(document__in=documents_qs.order_by().values("pk"))
    # Documents are ranked by their best page among the ranked candidates (see PG_RANK_CANDIDATES).
    ranked = _ranked(pages_qs, parsed, limit=PG_RANK_CANDIDATES, candidates=PG_RANK_CANDIDATES)
    best: dict[int, tuple[int, float]] = {}
    numbers: dict[int, list[int]] = {}
    for page_id, document_id, number, rank in ranked:
        best.setdefault(document_id, (page_id, rank))  # rows come best first
        numbers.setdefault(document_id, []).append(number)
    order = sorted(best, key=lambda d: (-best[d][1], -d))[:limit]
    if not order:
        return []
    documents = documents_qs.in_bulk(order)
    pages = Page.objects.using(documents_qs.db).in_bulk([best[d][0] for d in order])
    snippets = _snippets(list(pages.values()), parsed, alias=documents_qs.db)
    hits = []
    for document_id in order:
        document, page = documents.get(document_id), pages.get(best[document_id][0])
        if document is None or page is None:
            continue
        page.document = document
        hits.append(
            DocumentHit(
                document=document,
                rank=best[document_id][1],
                page_numbers=sorted(numbers[document_id]),
                page=page,
                snippet=snippets[page.pk],
            )
        )
    return hits


# --- Highlighting ---------------------------------------------------------------------------------


def _matching_words(texts: list[str], parsed: _Query, *, alias: str) -> set[str]:
    """The words (lower case) of `texts` that are a form of one of the query's words (not the
    excluded ones): same stem on SQLite, a common lexeme in socplan_bg on PostgreSQL — so what is
    marked is what the search matched. One query for all the texts on PostgreSQL."""
    # Bulgarian inflects at the end of a word: a form begins with the same two letters as the word
    # (дете/деца, заявление/заявленията), so only such words are looked up; words joined by dots,
    # hyphens or slashes (dates, numbers) are taken whole, as PostgreSQL's parser also keeps them.
    prefixes = sorted({w[:2] for w in parsed.positive_words}, key=len, reverse=True)
    finder = re.compile(
        r"(?<![^\W_])(?:" + "|".join(map(re.escape, prefixes)) + r")[^\W_]*(?:[./-][^\W_]+)*", re.IGNORECASE
    )
    candidates = set()
    for found in finder.findall("\n".join(texts)):
        found = found.lower()
        candidates.add(found)
        candidates.add(WORD.match(found).group(0))  # "12" of "12.03.2024"
    if not candidates:
        return set()
    if not _is_postgres(alias):
        stems = {stem(w) for w in parsed.positive_words}
        return {w for w in candidates if stem(w) in stems}
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"WITH q AS (SELECT tsvector_to_array(to_tsvector('{PG_CONFIG}', %s)) AS lexemes) "
            f"SELECT u.w FROM unnest(%s::text[]) AS u(w), q "
            f"WHERE tsvector_to_array(to_tsvector('{PG_CONFIG}', u.w)) && q.lexemes",
            [" ".join(parsed.positive_words), sorted(candidates)],
        )
        matching = {row[0] for row in cursor.fetchall()}
    # And the forms with the same stem, which the page's stems matched (see index_document).
    stems = {stem(w) for w in parsed.positive_words}
    return matching | {w for w in candidates if stem(w) in stems}


def _marks(text: str, matching: set[str]) -> list[tuple[int, int]]:
    """Spans of the matching words in `text`, in order (a whole date before its parts)."""
    if not matching:
        return []
    # One regular expression for all of them: the page is scanned once, in C.
    pattern = re.compile(
        r"(?<![^\W_])(?:"
        + "|".join(re.escape(w) for w in sorted(matching, key=len, reverse=True))
        + r")(?![^\W_])",
        re.IGNORECASE,
    )
    return [m.span() for m in pattern.finditer(text)]


def _render(text: str, marks: list[tuple[int, int]], start: int = 0, end: int | None = None) -> str:
    """text[start:end] escaped, with the marks in <mark>: the only way HTML is made here."""
    end = len(text) if end is None else end
    out, position = [], start
    for a, b in marks:
        if a < start or b > end:
            continue
        out.append(escape(text[position:a]))
        out.append(f"<mark>{escape(text[a:b])}</mark>")
        position = b
    out.append(escape(text[position:end]))
    return "".join(out)


def _snippet(text: str, matching: set[str]) -> SafeString:
    """About SNIPPET_CHARS characters of `text` around its best match (the one with the most
    matches near it), whole words, with "…" where it was cut."""
    text = " ".join(text.split())
    marks = _marks(text, matching)
    if len(text) <= SNIPPET_CHARS:
        return mark_safe(_render(text, marks))
    start = 0
    if marks:
        lead = SNIPPET_CHARS // 4

        def nearby(mark: tuple[int, int]) -> int:
            begin = max(0, mark[0] - lead)
            return sum(1 for a, b in marks if begin <= a and b <= begin + SNIPPET_CHARS)

        start = max(0, max(marks, key=nearby)[0] - lead)
    end = min(len(text), start + SNIPPET_CHARS)
    start = max(0, end - SNIPPET_CHARS)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < start + 30 else start
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start + SNIPPET_CHARS // 2 else end
    html = _render(text, marks, start, end)
    return mark_safe(("… " if start > 0 else "") + html + (" …" if end < len(text) else ""))


def _snippets(pages: list[Page], parsed: _Query, *, alias: str) -> dict[int, SafeString]:
    matching = _matching_words([p.text for p in pages], parsed, alias=alias)
    return {page.pk: _snippet(page.text, matching) for page in pages}


def highlight(text: str, query: str, *, using: str = "default") -> SafeString:
    """The whole of `text` as safe HTML with every word that matches `query` (in any of its forms)
    in <mark>; for the page viewer."""
    parsed = _parse(query)
    text = (text or "").replace("\x00", "")
    if not parsed.positive_words or not text:
        return mark_safe(escape(text))
    return mark_safe(_render(text, _marks(text, _matching_words([text], parsed, alias=using))))


# --- Keeping the SQLite index ---------------------------------------------------------------------


def _uses_fts5(alias: str) -> bool:
    return connections[alias].vendor == "sqlite"


def index_pages(page_ids_and_texts, *, using: str = "default") -> int:
    """Write the FTS5 rows of these (page id, text) pairs, replacing the old ones."""
    rows = [(pk, stem_text(text)) for pk, text in page_ids_and_texts]
    if not rows:
        return 0
    with connections[using].cursor() as cursor:
        cursor.executemany(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [(pk,) for pk, _ in rows])
        cursor.executemany(f"INSERT INTO {FTS_TABLE} (rowid, body) VALUES (%s, %s)", rows)
    return len(rows)


def stems_write(page_ids_and_texts, *, using: str = "default") -> int:
    """PostgreSQL: write the pages' `stems` (a column of migration 0004, not a model field), which
    the generated `search` column adds to the Hunspell lexemes: Debian's dictionary does not link
    every form ("майката" to "майка"), socplan's stemmer does."""
    rows = [(stem_text(text), pk) for pk, text in page_ids_and_texts]
    if rows:
        with connections[using].cursor() as cursor:
            cursor.executemany("UPDATE archive_page SET stems = %s WHERE id = %s", rows)
    return len(rows)


def index_document(document: Document) -> None:
    """Make the document's pages searchable as they are now: their stems on PostgreSQL (the
    generated column follows), their FTS5 rows on SQLite. Call it in the transaction that writes
    the pages."""
    using = document._state.db or "default"
    if not _uses_fts5(using):
        if _is_postgres(using):
            stems_write(Page.objects.using(using).filter(document=document).values_list("pk", "text"), using=using)
        return
    unindex_document(document)
    index_pages(Page.objects.using(using).filter(document=document).values_list("pk", "text"), using=using)


def unindex_document(document: Document) -> None:
    """Take the document's pages out of the search, e.g. when a destruction act removes their text
    (on PostgreSQL the stems; the text's lexemes go with the text). Deleted pages leave the index by
    themselves (a trigger on SQLite, the row on PostgreSQL)."""
    using = document._state.db or "default"
    if not _uses_fts5(using):
        if _is_postgres(using):
            with connections[using].cursor() as cursor:
                cursor.execute("UPDATE archive_page SET stems = '' WHERE document_id = %s", [document.pk])
        return
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {FTS_TABLE} WHERE rowid IN (SELECT id FROM archive_page WHERE document_id = %s)",
            [document.pk],
        )
