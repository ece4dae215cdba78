"""Time the strategy importer (extract + parse) on a ~150-page document as DOCX, PDF and TXT.

    .venv/bin/python bench/bench_import.py [--repeat 3] [--copies 37] [--keep DIR] [--no-pdf]

The document is built from the Veliko Tarnovo strategy used by the tests: its priority 4 (one
general goal, 3 specific goals listed and then written out, 10 measures, 27 activities) is
repeated with renumbered goals (4 → 1, 2, 3, …), with one paragraph under each heading and a few
paragraphs of the chapter on roles between the copies: 37 copies give about 1,500 nodes, 60,000
words and 150 pages. In the DOCX, measures are table rows (label | title | period) and every
general goal ends with an action-plan table whose rows name its activities again; the PDF is the
same text rendered by WeasyPrint, with measures in narrow table cells, a running header and
"страница N/M" footers. The target is under 3 s for extract + parse of each format.

No Django: the importer is plain Python, so only src/ goes on the path.
"""

from __future__ import annotations

import argparse
import io
import re
import statistics
import sys
import time
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src/socplan/plans/tests/fixtures/vtr_regional_strategy_2011.txt"
TARGET_SECONDS = 3.0
_LABEL_LINE = re.compile(r"^(\s*(?:•\s*)?(?:Обща цел|Специфична цел|Мярка|Дейност) )4(?=[.\s])")
_MEASURE_LINE = re.compile(r"^(Мярка \d+\.\d+\.\d+)\.\s*(.*)$")


def _sections(text: str) -> tuple[list[str], list[str]]:
    """The prose of chapter 6 (filler) and the written-out priority 4 (the structure to repeat)."""
    lines = [line.rstrip() for line in text.splitlines()]
    start = next(i for i, line in enumerate(lines) if line.startswith("Обща цел 4."))
    end = next(i for i, line in enumerate(lines) if line.strip() == "1. Източници на финансиране")
    prose_start = next(i for i, line in enumerate(lines) if line.startswith("6.1 Отговорности"))
    prose_end = next(i for i, line in enumerate(lines) if line.startswith("Обща цел 5."))
    prose = [line.strip() for line in lines[prose_start:prose_end] if line.strip()]
    structure = [line for line in lines[start:end] if line.strip()]
    return prose, structure


def build_lines(copies: int, *, text_per_node: int = 1, prose_per_copy: int = 4) -> list[str]:
    """The document as lines (bullets as "• …"): copies of priority 4, renumbered, each with at most
    `text_per_node` paragraphs under a heading, and `prose_per_copy` paragraphs of chapter 6."""
    prose, structure = _sections(SOURCE.read_text(encoding="utf-8"))
    out: list[str] = []
    for copy in range(1, copies + 1):
        start = (copy * prose_per_copy) % max(1, len(prose) - prose_per_copy)
        out.extend(prose[start : start + prose_per_copy])
        since_heading = 0
        for line in structure:
            renumbered = _LABEL_LINE.sub(lambda m, n=copy: f"{m.group(1)}{n}", line).strip()
            if _LABEL_LINE.match(line):
                since_heading = 0
                out.append(renumbered)
            elif since_heading < text_per_node:
                since_heading += 1
                out.append(renumbered)
    return out


def word_count(lines: list[str]) -> int:
    return sum(len(re.findall(r"\w+", line)) for line in lines)


def make_txt(lines: list[str]) -> bytes:
    return "\n\n".join(lines).encode("utf-8")


def make_docx(lines: list[str]) -> bytes:
    import docx

    document = docx.Document()
    goal = None
    activities: list[str] = []

    def action_plan() -> None:
        if goal is None or not activities:
            return
        document.add_paragraph(f"План за действие към Обща цел {goal}", style="Heading 3")
        table = document.add_table(rows=1, cols=4)
        for cell, text in zip(
            table.rows[0].cells, ("Дейност", "Срок", "Отговорник", "Бюджет, лв."), strict=True
        ):
            cell.text = text
        for number in activities:
            row = table.add_row().cells
            row[0].text, row[1].text, row[2].text, row[3].text = (
                f"Дейност {number}",
                "2012–2015",
                "Общини",
                "5000",
            )
        activities.clear()

    for line in lines:
        measure = _MEASURE_LINE.match(line)
        if line.startswith("Обща цел "):
            action_plan()
            goal = line.split()[2].rstrip(".")
            document.add_paragraph(line, style="Heading 1")
        elif measure:
            row = document.add_table(rows=1, cols=3).rows[0].cells
            row[0].text, row[1].text, row[2].text = measure[1], measure[2], "2011–2015"
        elif line.startswith(("Специфична цел", "Дейност")):
            if line.startswith("Дейност"):
                activities.append(line.split()[1].rstrip("."))
            document.add_paragraph(line, style="Heading 2" if line.startswith("Спец") else "Heading 3")
        elif line.startswith("•"):
            document.add_paragraph(line.lstrip("• "), style="List Bullet")
        else:
            document.add_paragraph(line)
    action_plan()
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pdf(lines: list[str]) -> bytes:
    import weasyprint

    css = """
    @page { size: A4; margin: 2.2cm 2cm;
      @top-center { content: "Областна стратегия за развитие на социалните услуги"; font-size: 9pt; }
      @bottom-center { content: "страница " counter(page) "/" counter(pages); font-size: 9pt; } }
    body { font-family: "DejaVu Serif"; font-size: 10.5pt; line-height: 1.35; }
    p { margin: 0 0 0.4em 0; } p.b { margin-left: 1.5em; }
    td { border: 0.5pt solid #999; padding: 2pt 4pt; }
    """
    parts = []
    for line in lines:
        measure = _MEASURE_LINE.match(line)
        if measure:
            parts.append(
                f"<table><tr><td>{escape(measure[1])}</td><td>{escape(measure[2])}</td></tr></table>"
            )
        else:
            parts.append(f"<p{' class=b' if line.startswith('•') else ''}>{escape(line)}</p>")
    html = (
        f"<html><head><meta charset='utf-8'><style>{css}</style></head><body>{''.join(parts)}</body></html>"
    )
    return weasyprint.HTML(string=html).write_pdf()


def pdf_pages(data: bytes) -> int:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(data)
    try:
        return len(document)
    finally:
        document.close()


def measure(data: bytes, filename: str, repeat: int) -> tuple[list[float], float, int]:
    """Seconds of each extract + parse run, and of extraction alone in the best run; node count."""
    from socplan.plans.importing import extract_blocks, parse_blocks

    times: list[float] = []
    extract_times: list[float] = []
    nodes = 0
    for _ in range(repeat):
        start = time.perf_counter()
        blocks = extract_blocks(data, filename)
        middle = time.perf_counter()
        result = parse_blocks(blocks)
        end = time.perf_counter()
        times.append(end - start)
        extract_times.append(middle - start)
        nodes = len(result.nodes)
    return times, extract_times[times.index(min(times))], nodes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per format (default 3)")
    parser.add_argument("--copies", type=int, default=37, help="copies of priority 4 (41 nodes each)")
    parser.add_argument("--keep", type=Path, help="write the generated files into this folder")
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF (WeasyPrint takes ~30 s)")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "src"))

    lines = build_lines(args.copies)
    words = word_count(lines)
    print(f"Building the documents: {len(lines)} paragraphs, {words} words …", flush=True)
    started = time.perf_counter()
    files = {"docx": make_docx(lines), "txt": make_txt(lines)}
    if not args.no_pdf:
        files["pdf"] = make_pdf(lines)
    print(f"  built in {time.perf_counter() - started:.1f} s", flush=True)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for kind, data in files.items():
            (args.keep / f"strategy.{kind}").write_bytes(data)
        print(f"  files in {args.keep}")
    pages = pdf_pages(files["pdf"]) if "pdf" in files else None
    print()
    header = f"{'format':<6} {'size':>9} {'pages':>6} {'nodes':>6} {'words':>7} {'best s':>7} {'mean s':>7} "
    print(header + f"{'extract s':>9}  target < {TARGET_SECONDS:g} s")
    failed = False
    for kind, data in files.items():
        times, extract_s, nodes = measure(data, f"strategy.{kind}", args.repeat)
        best, mean = min(times), statistics.mean(times)
        ok = best < TARGET_SECONDS
        failed |= not ok
        page_text = str(pages) if pages else "—"
        print(
            f"{kind:<6} {len(data) / 1024:>7.0f}kB {page_text:>6} {nodes:>6} {words:>7} "
            f"{best:>7.3f} {mean:>7.3f} {extract_s:>9.3f}  {'ok' if ok else 'TOO SLOW'}"
        )
    if pages:
        print("\n(pages: of the PDF; the DOCX and TXT hold the same text)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
