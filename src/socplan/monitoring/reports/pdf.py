"""The regional monitoring report as a PDF, printed by WeasyPrint from HTML with the same content as
the Word document (the same `RegionalReport`, the same charts)."""

from __future__ import annotations

import base64

from django.template.loader import render_to_string
from django.utils.translation import get_language

from socplan.core.pdf import html_to_pdf
from socplan.plans.exports.common import page_parts
from socplan.plans.exports.pdf import css_string

from .charts import Chart, report_charts
from .data import RegionalReport, round_report_data


def page_css() -> str:
    """The footer "стр. 3 от 12" as CSS content (page counters between the translated words)."""
    counters = {"PAGE": "counter(page)", "NUMPAGES": "counter(pages)"}
    return " ".join(counters[text] if is_field else css_string(text) for is_field, text in page_parts())


def regional_report_html(data: RegionalReport, *, charts: list[Chart] | None = None) -> str:
    """The HTML the PDF is printed from (self-contained: the charts are inlined as data: URLs)."""
    charts = report_charts(data) if charts is None else charts
    return render_to_string(
        "monitoring/report/regional.html",
        {
            "data": data,
            "labels": data.labels,
            "charts": [
                {
                    "title": chart.title,
                    "src": "data:image/png;base64," + base64.b64encode(chart.png).decode("ascii"),
                }
                for chart in charts
            ],
            "page_css": page_css(),
            "language": get_language() or "bg",
        },
    )


def regional_report_pdf(data: RegionalReport, *, charts: list[Chart] | None = None) -> bytes:
    """The regional report of a round (from `round_report_data`) as a PDF."""
    return html_to_pdf(regional_report_html(data, charts=charts))


def round_report_pdf(round) -> bytes:
    return regional_report_pdf(round_report_data(round))
