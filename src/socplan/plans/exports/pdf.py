"""The plan as a PDF, printed by WeasyPrint from HTML with the same content as the Word document."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.translation import get_language

from socplan.core.pdf import html_to_pdf

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
    """The plan as a PDF, printed by WeasyPrint from the same content as the Word document."""
    data = collect(version)
    return html_to_pdf(plan_html(version, data))
