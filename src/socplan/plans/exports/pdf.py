"""The plan as a PDF, printed by WeasyPrint from HTML with the same content as the Word document."""

from __future__ import annotations

import logging

from django.template.loader import render_to_string
from django.utils.translation import get_language

from socplan.core.exceptions import ApplicationError

from ..models import PlanVersion
from .common import ExportData, page_parts, collect

# --- PDF ----------------------------------------------------------------------------------------------


def css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plan_html(version: PlanVersion, data: ExportData | None = None) -> str:
    """The HTML the PDF is printed from (self-contained: no external files)."""
    data = data or collect(version)
    counters = {"PAGE": "counter(page)", "NUMPAGES": "counter(pages)"}
    page_css = " ".join(counters[text] if is_field else css_string(text) for is_field, text in page_parts())
    return render_to_string(
        "plans/export/plan_pdf.html",
        {"data": data, "labels": data.labels, "page_css": page_css, "language": get_language() or "bg"},
    )


def plan_pdf(version: PlanVersion) -> bytes:
    """The plan as a PDF, printed by WeasyPrint from the same content as the Word document.

    WeasyPrint is imported here, not at the top: it needs Pango from the system, and the rest of the
    application (and the other two formats) must keep working on a server without it.
    """
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:
        raise ApplicationError(
            "Експортът в PDF не е достъпен: на сървъра липсва WeasyPrint или библиотеката Pango. "
            "Изтеглете документа като DOCX. / PDF export is unavailable: WeasyPrint or the Pango "
            f"library is missing on the server. Download the DOCX instead. ({error})"
        ) from error
    # WeasyPrint reports every layout step and fontTools every subsetting step at INFO: thousands of
    # lines per document under the project's INFO root logger.
    for name in ("weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)
    data = collect(version)
    return HTML(string=plan_html(version, data)).write_pdf()


