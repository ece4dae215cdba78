"""Time the OCR of scanned Bulgarian pages: a typical document-management set-up against socplan's.

    .venv/bin/python bench/bench_archive_ocr.py [--pages 20] [--per-document 2] [--jobs 2] [--explore]
        [--only NAME…] [--keep DIR] [--json FILE]

Generates --pages A4 pages of Bulgarian text (the first is an application form, the others are
sentences of social-assistance letters), rendered at 300 dpi in DejaVu Sans as a grey-scale scanner
sees them (a tilt of up to ±1.5°, grain, blur, specks of dust) and saved as JPEG images in PDFs of
--per-document pages (what scanners send). Then, on the same files, in one run:

  (a) "paperless-style": OCRmyPDF as a typical document-management system calls it (paperless-ngx's
      defaults): --skip-text --deskew --clean --rotate-pages --output-type pdfa -l bul+eng;
  (b) "socplan": exactly the options socplan.archive.ocr.ocr_options() gives processing.py.

--explore adds the variants the choice was made from (one option changed at a time). For each:
wall-clock time, pages per minute, CPU seconds of the programs, the output's size and the text
quality: the character error rate (Levenshtein distance / length of the ground truth, both with
whitespace collapsed) and the share of the ground truth's words found. Finally the cost of the rest
of socplan's pipeline (each page's text and viewer image, convert.pages_read) on (b)'s output.

Needs the Debian packages ocrmypdf, tesseract-ocr-bul, tesseract-ocr-eng, ghostscript, unpaper.
No database: the Django settings are configured in memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, os.environ.get("SOCPLAN_SRC") or str(ROOT / "src"))

LANGUAGES = "bul+eng"


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20, help="pages in all (default 20)")
    parser.add_argument("--per-document", type=int, default=2, help="pages per PDF (default 2)")
    parser.add_argument("--jobs", type=int, default=2, help="OCRmyPDF --jobs, both sides (default 2)")
    parser.add_argument("--explore", action="store_true", help="also time the variants the options were chosen from")
    parser.add_argument("--only", nargs="*", default=None, help="run only the variants whose name contains a word")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", default="", help="folder to keep the scans and the outputs in")
    parser.add_argument("--json", default="", help="write the figures to this file")
    return parser.parse_args()


def _django(jobs: int) -> None:
    from django.conf import settings

    settings.configure(USE_I18N=False, ARCHIVE_OCR_LANGUAGES=LANGUAGES, ARCHIVE_OCR_JOBS=jobs)


def _scans(folder: Path, pages: int, per_document: int, seed: int) -> tuple[list[Path], list[str]]:
    """The scanned documents and the ground-truth text of each page, in order."""
    import img2pdf

    from socplan.archive.tests import fixtures_scans as scans

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    texts = scans.page_texts(pages, seed=seed)
    documents = []
    for start in range(0, pages, per_document):
        images = []
        for number in range(start, min(start + per_document, pages)):
            # Most sheets lie nearly straight on the glass; a few are visibly crooked.
            angle = rng.choice((0.0, 0.3, -0.4, 0.7, -1.0, 1.5))
            image = scans.page_image(texts[number], angle=angle, noise=0.6, seed=seed + number)
            images.append(scans.jpeg_bytes(image, quality=80))
        path = folder / f"scan-{start // per_document + 1:02d}.pdf"
        path.write_bytes(img2pdf.convert(images, layout_fun=img2pdf.get_fixed_dpi_layout_fun((300, 300))))
        documents.append(path)
    return documents, texts


def _variants(jobs: int, explore: bool) -> list[tuple[str, list[str]]]:
    from socplan.archive.ocr import ocr_options

    common = ["-l", LANGUAGES, "--jobs", str(jobs)]
    paperless = [*common, "--skip-text", "--deskew", "--clean", "--rotate-pages", "--output-type", "pdfa"]
    socplan = ocr_options(languages=LANGUAGES, jobs=jobs)
    variants = [("(a) paperless-style", paperless), ("(b) socplan", socplan)]
    if explore:
        base = [*common, "--skip-text", "--output-type", "pdfa"]
        variants += [
            ("ocrmypdf defaults (pdfa)", base),
            ("  + --clean", [*base, "--clean"]),
            ("  + --deskew", [*base, "--deskew"]),
            ("  + --rotate-pages", [*base, "--rotate-pages"]),
            ("  + --optimize 0", [*base, "--optimize", "0"]),
            ("  + --pdfa-image-compression lossless", [*base, "--pdfa-image-compression", "lossless"]),
            ("  + --fast-web-view 999999", [*base, "--fast-web-view", "999999"]),
            ("socplan without --clean", [o for o in socplan if o != "--clean"]),
            ("socplan with -l bul", _with(socplan, "-l", "bul")),
            ("socplan with --tesseract-pagesegmode 6", [*socplan, "--tesseract-pagesegmode", "6"]),
            ("socplan with --jobs 1", _with(socplan, "--jobs", "1")),
            ("socplan with --output-type pdf (not PDF/A)", _with(_without(socplan, "--pdfa-image-compression"), "--output-type", "pdf")),
        ]
    return variants


def _with(options: list[str], flag: str, value: str) -> list[str]:
    """`options` with `flag`'s value replaced."""
    index = options.index(flag)
    return [*options[: index + 1], value, *options[index + 2 :]]


def _without(options: list[str], flag: str) -> list[str]:
    """`options` without `flag` and its value."""
    index = options.index(flag)
    return [*options[:index], *options[index + 2 :]]


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def _levenshtein(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _texts(pdf: Path) -> list[str]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        return [document[i].get_textpage().get_text_bounded() for i in range(len(document))]
    finally:
        document.close()


def _quality(outputs: list[Path], truth: list[str]) -> tuple[float, float]:
    """Character error rate and the share of ground-truth words found, over all pages."""
    pages = [text for pdf in outputs for text in _texts(pdf)]
    errors = length = found = words = 0
    for got, want in zip(pages, truth, strict=True):
        got, want = _normalise(got), _normalise(want)
        errors += _levenshtein(got, want)
        length += len(want)
        got_words = set(got.split())
        want_words = want.split()
        words += len(want_words)
        found += sum(word in got_words for word in want_words)
    return errors / max(length, 1), found / max(words, 1)


def _run_variant(name: str, options: list[str], documents: list[Path], out: Path) -> dict:
    from socplan.archive.convert import subprocess_env
    from socplan.archive.ocr import ocrmypdf_program

    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="ocr-bench-", dir=out))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    outputs = []
    for document in documents:
        target = out / document.name
        command = [ocrmypdf_program(), "-q", *options, str(document), str(target)]
        result = subprocess.run(command, capture_output=True, env=subprocess_env(tmp), check=False)
        if result.returncode not in (0, 10):
            raise SystemExit(f"{name}: OCRmyPDF exit {result.returncode}: {result.stderr.decode()[-2000:]}")
        outputs.append(target)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    shutil.rmtree(tmp, ignore_errors=True)
    return {
        "name": name,
        "options": options,
        "seconds": seconds,
        "cpu_seconds": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "bytes": sum(path.stat().st_size for path in outputs),
        "outputs": outputs,
    }


def _rest_of_pipeline(outputs: list[Path]) -> float:
    """socplan's own steps after OCR: each page's text and viewer image (convert.pages_read)."""
    from socplan.archive.convert import pages_read

    started = time.perf_counter()
    for pdf in outputs:
        for _ in pages_read(pdf):
            pass
    return time.perf_counter() - started


def main() -> None:
    args = _parse()
    # SIGTERM ends the run through the `finally` below, which removes the scans and outputs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if shutil.which("ocrmypdf") is None:
        raise SystemExit("OCRmyPDF is not installed (Debian package ocrmypdf).")
    _django(args.jobs)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="socplan-bench-ocr-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        started = time.perf_counter()
        documents, truth = _scans(work / "scans", args.pages, args.per_document, args.seed)
        print(
            f"{args.pages} scanned pages in {len(documents)} PDFs (300 dpi, grey JPEG, tilt ≤ 1.5°, noise), "
            f"made in {time.perf_counter() - started:.1f} s; --jobs {args.jobs}, {os.cpu_count()} CPUs"
        )
        # Warm the page cache and Tesseract's models, so the first variant is not penalised.
        _run_variant("warm-up", _variants(args.jobs, False)[1][1], documents[:1], work / "warm-up")
        results = []
        for number, (name, options) in enumerate(_variants(args.jobs, args.explore)):
            if args.only and not any(word in name for word in args.only):
                continue
            result = _run_variant(name, options, documents, work / f"out-{number:02d}")
            result["cer"], result["words_found"] = _quality(result["outputs"], truth)
            result["pages_per_minute"] = args.pages * 60 / result["seconds"]
            results.append(result)
            print(
                f"{name:45} {result['seconds']:7.1f} s {result['pages_per_minute']:6.1f} pages/min  "
                f"cpu {result['cpu_seconds']:6.1f} s  {result['bytes'] / 2**20:6.1f} MB  "
                f"CER {result['cer'] * 100:5.2f} %  words {result['words_found'] * 100:5.1f} %",
                flush=True,
            )
        by_name = {r["name"]: r for r in results}
        typical, ours = by_name.get("(a) paperless-style"), by_name.get("(b) socplan")
        if typical and ours:
            print(
                f"\nsocplan / paperless-style: {typical['seconds'] / ours['seconds']:.2f}× the speed "
                f"({ours['pages_per_minute']:.1f} vs {typical['pages_per_minute']:.1f} pages/min), "
                f"{typical['cpu_seconds'] / max(ours['cpu_seconds'], 0.001):.2f}× less CPU; "
                f"CER {ours['cer'] * 100:.2f} % vs {typical['cer'] * 100:.2f} %, "
                f"words found {ours['words_found'] * 100:.1f} % vs {typical['words_found'] * 100:.1f} %"
            )
            rest = _rest_of_pipeline(ours["outputs"])
            print(
                f"socplan's page texts and viewer images after OCR: {rest:.1f} s "
                f"({rest / args.pages * 1000:.0f} ms per page)"
            )
        if args.json:
            for result in results:
                result["outputs"] = [str(p) for p in result["outputs"]]
            Path(args.json).write_text(json.dumps({"pages": args.pages, "jobs": args.jobs, "results": results}, indent=2))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
