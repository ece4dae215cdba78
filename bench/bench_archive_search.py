"""The archive's full-text search over 200 000 pages on PostgreSQL (and a smaller set on SQLite).

    .venv/bin/python bench/bench_archive_search.py [--db postgres://postgres@127.0.0.1:5432/socplan_bench_archive]
        [--pages 200000] [--runs 200] [--fresh] [--sqlite-pages 20000] [--json FILE]

1. Set-up: creates the database if it is missing (--fresh: drops it first; only socplan_bench…
   databases) and migrates it (migration 0002 makes the Bulgarian text search configuration, the
   generated tsvector column and its GIN index).
2. Load (skipped when the pages are there): 10 directorates, documents of 1–8 pages (about 4), and
   --pages pages of fictional social-assistance text (~1 500 characters each): applications,
   social reports, orders and decisions, in varied word forms, with names, ЕГН-like numbers, dates
   and addresses; a few words are rare on purpose. Documents through bulk_create, pages through
   COPY on two connections; PostgreSQL computes every page's tsvector (Hunspell) as it stores it.
   The GIN index is dropped for the load and built afterwards (faster than keeping it up to date),
   then VACUUM ANALYZE. Prints the time of each step and the table's size.
3. Timing, in this process over one warm connection: page_search() and document_search() for a
   common word, a rare word, two words, a phrase, a surname, an ЕГН, over the whole archive (a
   national expert's view) and over one directorate (a directorate expert's), --runs runs each
   after a warm-up: p50/p95/p99/max in ms, and how many pages match.
   Target: p95 under 300 ms for every query.
4. --sqlite-pages N (0: skip): the same queries over N pages in a temporary SQLite database (FTS5),
   in a child process.

Exit code 0 when every PostgreSQL p95 is under the target, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import ensure_database  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/socplan_bench_archive"
P95_TARGET_MS = 300.0
DIRECTORATES = 10
SEED = 20240612

# --- The text -----------------------------------------------------------------------------------

MALE = ["Иван", "Георги", "Димитър", "Петър", "Николай", "Христо", "Стоян", "Тодор", "Васил", "Атанас", "Йордан", "Красимир"]
FEMALE = ["Мария", "Елена", "Йорданка", "Пенка", "Иванка", "Надежда", "Десислава", "Гергана", "Радка", "Цветелина"]
SURNAMES = [
    "Иванов", "Георгиев", "Димитров", "Петров", "Николов", "Христов", "Стоянов", "Тодоров", "Йорданов", "Василев",
    "Атанасов", "Колев", "Маринов", "Ангелов", "Попов", "Костадинов", "Русев", "Михайлов", "Станчев", "Кирилов",
    "Миланов", "Добрев", "Симеонов", "Лазаров", "Цветков", "Андонов", "Петков", "Генчев", "Бонев", "Славов",
]
TOWNS = ["Велико Търново", "Горна Оряховица", "Свищов", "Павликени", "Елена", "Плевен", "Габрово", "Ловеч", "Русе", "Сливен"]
STREETS = ["Васил Левски", "Христо Ботев", "Раковски", "Стефан Стамболов", "Цар Симеон", "Възраждане", "Независимост"]

# Sentences with {a|b|c} alternatives and slots; (weight, template). The weights make a few words
# very common ("заявление" on about half of the pages) and some rare ("епикриза", "хоспис").
SENTENCES = [
    (9, "{Заявление|Заявлението|Заявление-декларация} за отпускане на {месечна|еднократна|целева} {социална помощ|помощ} по чл. {9|12|16} от ППЗСП."),
    (6, "{Лицето|Заявителят|Заявителката} {NAME} с ЕГН {EGN}, живущ{|а} в гр. {TOWN}, ул. „{STREET}“ № {N}, {подава|е подал|подаде} {заявление|заявлението}."),
    (6, "{Социален доклад|Социалният доклад|В социалния доклад} {е изготвен|се посочва|отразява} {обстоятелствата|положението} на {семейството|домакинството|лицето}."),
    (5, "След проверка на {документите|приложените документи|представените доказателства} се установи, че {лицето|семейството} {отговаря|не отговаря} на {условията|изискванията} на {закона|наредбата|правилника}."),
    (5, "{Заповед|Със заповед|Заповедта} № {N}/{DATE} на директора на дирекция „Социално подпомагане“ {TOWN} {се отпуска|се отказва|е отпусната} {помощ|помощта} в размер на {AMOUNT} лв."),
    (4, "Към {заявлението|заявленията|преписката} са приложени {удостоверение|удостоверения} за {доходите|брутния доход|наличните банкови сметки} и {декларация|декларации} за {имущественото състояние|семейното положение}."),
    (4, "{Децата|Детето|Двете деца} {посещават|посещава} {детска градина|училище|детско заведение} в {TOWN} и {са|е} {записани|записано|записана} за {учебната|новата} година."),
    (4, "{Майката|Бащата|Настойникът|Попечителят} {NAME} {живее|живеят|пребивава} на {посочения|настоящия|постоянния} адрес от {DATE}."),
    (4, "{Социалният работник|Социалната работничка|Служителят} {посети|посетиха|извърши посещение на} {домакинството|жилището|адреса} на {DATE} и {установи|констатира}, че {условията|жилищните условия} са {задоволителни|лоши|добри}."),
    (3, "{Решение|Решението|С решение} № {N} от {DATE} на {ТЕЛК|НЕЛК|комисията} {определя|е определила} {степен|процент} на {трайно намалена работоспособност|увреждане} {N}%."),
    (3, "{Месечните|Семейните|Целевите} {помощи|помощта|обезщетения} за {деца|отглеждане на дете|отопление} се {изплащат|изплаща|превеждат} по {банкова сметка|пощенски запис} до {DATE}."),
    (3, "{Жалба|Жалбата|Възражението} срещу {заповедта|решението|отказа} {може да се подаде|се подава|е подадена} в {14|7}-дневен срок чрез {дирекцията|директора} до {Агенцията|регионалната дирекция}."),
    (3, "{Лицето|Гражданинът|Гражданката} {е регистриран|е регистрирана|не е регистриран} в {бюрото по труда|Агенцията по заетостта} като {безработен|безработна|търсещ работа}."),
    (3, "Доходът на {семейството|домакинството|лицето} за {предходния|последния} {месец|период} е {AMOUNT} лв., {под|над} {диференцирания минимален доход|гарантирания минимален доход}."),
    (3, "{Комисията|Комисията за детето|Екипът} {разгледа|обсъди|прие} {случая|случаите|предложението} на {заседание|заседанието} на {DATE}."),
    (2, "{Мярка|Мярката|Мерки} за закрила на {детето|децата} в {семейна среда|приемно семейство|резидентна грижа} {се предприема|се предприемат|е предприета} по чл. {23|26} от ЗЗДт."),
    (2, "{Приемното семейство|Приемните родители|Детето} {получава|получават|ползва} {социални услуги|подкрепа|консултации} в {Център за обществена подкрепа|Дневен център|Център за социална рехабилитация}."),
    (2, "Вх. № {N}/{DATE} г. {Входящ номер|Регистрационен номер} {N} в {деловодството|регистъра} на дирекцията."),
    (2, "{Личният асистент|Социалният асистент|Домашният помощник} {полага|полагат|ще полага} грижи {за лицето|за майката|за детето} по {Закона за личната помощ|Закона за социалните услуги}."),
    (2, "Телефон за контакт: 0{N}{N}{N}; e-mail: {bench|social|dsp}@example.bg."),
    (1, "{Дете|Детето|Деца} в риск: {сигнал|сигналът|сигнали} за {насилие|неглижиране|изоставяне} {е получен|са получени|постъпи} на {DATE} от {училището|лекаря|съседите}."),
    (1, "Пълномощно {N}/{DATE}: {NAME} {упълномощава|упълномощи} {NAME} да {подава|получава} документи от {негово|нейно} име."),
    (1, "{Осиновяване|Осиновяването|Осиновяванията}: {регистърът|регистър} на {деца|децата} за пълно осиновяване се води от {регионалната дирекция|РДСП}."),
    (0.3, "{Епикриза|Епикризата|Епикризи} от {болницата|МБАЛ} {TOWN} {удостоверява|удостоверяват} {заболяването|диагнозата} на {лицето|детето}."),
    (0.2, "{Хоспис|Хосписът|Хосписи} „{STREET}“ {предоставя|предоставят} {палиативни|продължителни} грижи."),
]


def _compile(template: str):
    """A template as a list of parts: a string, a tuple of alternatives or a slot name."""
    parts, i = [], 0
    while i < len(template):
        j = template.find("{", i)
        if j < 0:
            parts.append(template[i:])
            break
        if j > i:
            parts.append(template[i:j])
        k = template.index("}", j)
        body = template[j + 1 : k]
        parts.append(body if body in SLOTS else tuple(body.split("|")))
        i = k + 1
    return parts


SLOTS = {"NAME", "EGN", "TOWN", "STREET", "N", "DATE", "AMOUNT"}


class TextMaker:
    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.sentences = [_compile(t) for _w, t in SENTENCES]
        self.weights = [w for w, _t in SENTENCES]

    def egn(self) -> str:
        r = self.random
        # ЕГН-shaped (birth date + 4 digits), fictional: the check digit is not computed.
        return f"{r.randint(40, 99):02d}{r.randint(1, 12):02d}{r.randint(1, 28):02d}{r.randint(0, 9999):04d}"

    def name(self) -> str:
        r = self.random
        if r.random() < 0.55:
            return f"{r.choice(FEMALE)} {r.choice(SURNAMES)}а"
        return f"{r.choice(MALE)} {r.choice(SURNAMES)}"

    def slot(self, name: str) -> str:
        r = self.random
        if name == "NAME":
            return self.name()
        if name == "EGN":
            return self.egn()
        if name == "TOWN":
            return r.choice(TOWNS)
        if name == "STREET":
            return r.choice(STREETS)
        if name == "N":
            return str(r.randint(1, 999))
        if name == "DATE":
            return f"{r.randint(1, 28):02d}.{r.randint(1, 12):02d}.{r.randint(2015, 2025)}"
        return f"{r.randint(50, 2500)},{r.randint(0, 99):02d}"

    def page(self) -> str:
        r = self.random
        out, length, target = [], 0, r.randint(900, 2100)
        while length < target:
            (parts,) = r.choices(self.sentences, weights=self.weights)
            sentence = "".join(p if isinstance(p, str) and p not in SLOTS else (r.choice(p) if isinstance(p, tuple) else self.slot(p)) for p in parts)
            out.append(sentence)
            length += len(sentence) + 1
        # Paragraphs as OCR gives them.
        return "\n".join(" ".join(out[i : i + 3]) for i in range(0, len(out), 3))


# --- Set-up and load ----------------------------------------------------------------------------


def configure(db: str, data_dir: Path) -> None:
    os.environ.update(
        {
            "DATABASE_URL": db,
            "SOCPLAN_DATA_DIR": str(data_dir),
            "SOCPLAN_READ_DOT_ENV": "0",
            "DEBUG": "0",
            "DJANGO_SETTINGS_MODULE": "socplan.config.settings.base",
            "LOG_LEVEL": "WARNING",
        }
    )
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def directorates():
    from socplan.organizations.models import Organization

    found = list(Organization.objects.filter(name__startswith="[bench archive]").order_by("pk"))
    for index in range(len(found), DIRECTORATES):
        found.append(
            Organization.objects.create(kind=Organization.Kind.DSP, name=f"[bench archive] Дирекция „Социално подпомагане“ {index + 1}")
        )
    return found


def documents_create(pages_total: int, orgs, log) -> list[tuple[int, int]]:
    """Documents of 1–8 pages (about 4) until pages_total; returns (document id, page count)."""
    from socplan.archive.models import Document

    r = random.Random(SEED)
    counts, total = [], 0
    while total < pages_total:
        n = min(r.choice([1, 1, 2, 2, 3, 4, 4, 5, 6, 8]), pages_total - total)
        counts.append(n)
        total += n
    out = []
    for start in range(0, len(counts), 5000):
        batch = [
            Document(
                directorate=orgs[(start + i) % len(orgs)],
                sha256=f"{start + i:064x}",
                original=f"originals/bench/{start + i}.pdf",
                original_name=f"bench-{start + i}.pdf",
                content_type="application/pdf",
                source=Document.Source.DEMO,
                status=Document.Status.READY,
                page_count=n,
            )
            for i, n in enumerate(counts[start : start + 5000])
        ]
        created = Document.objects.bulk_create(batch)
        out += [(d.pk, d.page_count) for d in created]
    log(f"  {len(out):,} documents")
    return out


def pages_copy_postgres(db: str, documents: list[tuple[int, int]], log) -> None:
    """COPY the pages on two connections, each generating the text of half of the documents."""
    import psycopg

    from socplan.archive.stemming import stem_text

    url = db.replace("pgsql://", "postgresql://")
    errors = []

    def worker(part: int) -> None:
        maker = TextMaker(SEED + part)
        try:
            with psycopg.connect(url) as conn, conn.cursor() as cursor:
                # With each page's stems, as search.index_document writes them (migration 0004).
                with cursor.copy("COPY archive_page (document_id, number, text, image, width, height, stems) FROM STDIN") as copy:
                    for document_id, n in documents[part::2]:
                        for number in range(1, n + 1):
                            text = maker.page()
                            copy.write_row((document_id, number, text, "", 2480, 3508, stem_text(text)))
        except Exception as error:  # reported after the join
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(part,)) for part in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


def load_postgres(args, log) -> dict:
    from django.db import connection

    from socplan.archive.models import Page

    existing = Page.objects.count()
    if existing == args.pages:
        log(f"{existing:,} pages are there: no load (--fresh to load again).")
        return {}
    if existing:
        raise SystemExit(f"The database has {existing:,} pages, not {args.pages:,}: use --fresh.")
    timings = {}
    log(f"Loading {args.pages:,} pages …")
    started = time.monotonic()
    documents = documents_create(args.pages, directorates(), log)
    timings["documents_s"] = round(time.monotonic() - started, 1)
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS archive_page_search")
    step = time.monotonic()
    pages_copy_postgres(args.db, documents, log)
    timings["pages_copy_with_tsvector_s"] = round(time.monotonic() - step, 1)
    log(f"  pages (text generated here, tsvectors computed by PostgreSQL): {timings['pages_copy_with_tsvector_s']} s")
    step = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute("CREATE INDEX archive_page_search ON archive_page USING gin (search)")
    timings["gin_index_s"] = round(time.monotonic() - step, 1)
    log(f"  GIN index: {timings['gin_index_s']} s")
    step = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE archive_page")
        cursor.execute("VACUUM ANALYZE archive_document")
    timings["vacuum_analyze_s"] = round(time.monotonic() - step, 1)
    timings["load_total_s"] = round(time.monotonic() - started, 1)
    log(f"  VACUUM ANALYZE: {timings['vacuum_analyze_s']} s; load in all: {timings['load_total_s']} s")
    return timings


def load_sqlite(args, log) -> dict:
    from django.db import transaction

    from socplan.archive.models import Page
    from socplan.archive.search import index_pages

    if Page.objects.exists():
        return {}
    started = time.monotonic()
    documents = documents_create(args.pages, directorates(), log)
    maker = TextMaker(SEED)
    rows = [Page(document_id=d, number=n, text=maker.page()) for d, count in documents for n in range(1, count + 1)]
    with transaction.atomic():
        Page.objects.bulk_create(rows, batch_size=2000)
    step = time.monotonic()
    with transaction.atomic():
        index_pages(Page.objects.values_list("pk", "text").iterator(chunk_size=2000))
    timings = {"fts5_index_s": round(time.monotonic() - step, 1), "load_total_s": round(time.monotonic() - started, 1)}
    log(f"  {len(rows):,} pages; stemming + FTS5: {timings['fts5_index_s']} s; load in all: {timings['load_total_s']} s")
    return timings


def sizes() -> dict:
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('archive_page')), pg_size_pretty(pg_relation_size('archive_page_search')),"
            " (SELECT avg(length(text))::int FROM (SELECT text FROM archive_page LIMIT 5000) s)"
        )
        total, index, avg_chars = cursor.fetchone()
    return {"archive_page_total": total, "gin_index": index, "average_page_chars": avg_chars}


# --- Timing -------------------------------------------------------------------------------------

QUERIES = [
    ("common word", "заявление"),
    ("common word, other form", "помощите"),
    ("rare word", "епикризата"),
    ("rarer word", "хосписи"),
    ("two words", "социален доклад"),
    ("phrase", '"месечна помощ"'),
    ("surname", "Костадинова"),
    ("name + surname", "Гергана Славова"),
    ("ЕГН-like number", None),  # one that the text holds, chosen after the load
]


def matches(query: str) -> int | None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM archive_page WHERE search @@ websearch_to_tsquery('socplan_bg', %s)", [query])
        else:
            from socplan.archive.search import _fts5_expression, _parse

            cursor.execute("SELECT count(*) FROM archive_page_fts WHERE archive_page_fts MATCH %s", [_fts5_expression(_parse(query))])
        return cursor.fetchone()[0]


def an_egn(directorate) -> str:
    """An ЕГН-like number from a page of `directorate` (so the scoped search finds it too)."""
    import re

    from socplan.archive.models import Page

    for text in Page.objects.filter(document__directorate=directorate).order_by("pk").values_list("text", flat=True)[:200]:
        found = re.search(r"ЕГН (\d{10})", text)
        if found:
            return found.group(1)
    return "8001011234"


def measure(fn, runs: int) -> dict:
    for _ in range(3):
        fn()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()

    def pct(p):
        return round(times[min(len(times) - 1, round(p / 100 * len(times)) - 1)], 1)

    return {"p50": round(statistics.median(times), 1), "p95": pct(95), "p99": pct(99), "max": round(times[-1], 1), "results": len(result)}


def timings(args, log) -> list[dict]:
    from socplan.archive.models import Document, Page
    from socplan.archive.search import document_search, page_search

    orgs = directorates()
    one = orgs[0]
    scopes = {
        "all": (Page.objects.all(), Document.objects.exclude(status=Document.Status.DESTROYED)),
        "one directorate": (
            Page.objects.filter(document__directorate__in=[one.pk]),
            Document.objects.filter(directorate__in=[one.pk]).exclude(status=Document.Status.DESTROYED),
        ),
    }
    rows = []
    log("")
    log(f"{'query':<26} {'text':<20} {'matches':>8}  {'scope':<16} {'call':<16} {'p50':>7} {'p95':>7} {'p99':>7} {'max':>7} {'hits':>5}")
    for label, query in QUERIES:
        query = query or an_egn(one)
        count = matches(query)
        for scope, (pages, documents) in scopes.items():
            for call, fn in (
                ("page_search", lambda pages=pages, query=query: page_search(pages, query, limit=50)),
                ("document_search", lambda documents=documents, query=query: document_search(documents, query, limit=50)),
            ):
                figures = measure(fn, args.runs)
                rows.append({"query": label, "text": query, "matches": count, "scope": scope, "call": call, **figures})
                log(
                    f"{label:<26} {query:<20} {count:>8,}  {scope:<16} {call:<16} {figures['p50']:>7} {figures['p95']:>7} "
                    f"{figures['p99']:>7} {figures['max']:>7} {figures['results']:>5}"
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default=DEFAULT_DB)
    parser.add_argument("--pages", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--fresh", action="store_true", help="drop the benchmark database first")
    parser.add_argument("--sqlite-pages", type=int, default=20_000, help="pages for the SQLite figures (0: skip)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, flush=True)

    sqlite = args.db.startswith("sqlite")
    report = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    if not sqlite:
        ensure_database(args.db, fresh=args.fresh)
    configure(args.db, Path(tempfile.mkdtemp(prefix="socplan-bench-search-")))
    from django.core.management import call_command
    from django.db import connection

    log(f"Database: {connection.vendor} {connection.settings_dict['NAME']}")
    step = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    log(f"migrate: {time.monotonic() - step:.1f} s")
    if not sqlite:
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_tsvector('socplan_bg', 'заявленията')::text")
            log(f"socplan_bg: заявленията → {cursor.fetchone()[0]} (Hunspell when it says 'заявление')")
    report["load"] = load_sqlite(args, log) if sqlite else load_postgres(args, log)
    report["sizes"] = sizes()
    if report["sizes"]:
        log(f"archive_page with TOAST and indexes: {report['sizes']['archive_page_total']}; GIN index: "
            f"{report['sizes']['gin_index']}; average page: {report['sizes']['average_page_chars']} characters")
    report["timing"] = timings(args, log)
    worst = max(row["p95"] for row in report["timing"])
    ok = worst < P95_TARGET_MS
    log(f"\nWorst p95: {worst} ms — {'PASS' if ok else 'FAIL'} (target {P95_TARGET_MS:g} ms, {args.runs} runs each, one warm connection)")
    if not sqlite and args.sqlite_pages > 0:
        log(f"\n== SQLite (FTS5), {args.sqlite_pages:,} pages, in a child process")
        with tempfile.TemporaryDirectory(prefix="socplan-bench-search-sqlite-") as folder:
            subprocess.run(
                [sys.executable, __file__, "--db", f"sqlite:///{folder}/bench.sqlite3", "--pages", str(args.sqlite_pages),
                 "--runs", str(min(args.runs, 50))],
                check=False,
            )
    if args.json:
        args.json.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if ok or sqlite else 1


if __name__ == "__main__":
    sys.exit(main())
