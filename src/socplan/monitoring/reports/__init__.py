"""Documents of monitoring: the regional report of a round (DOCX, PDF), the agency's national summary
(DOCX, PDF, XLSX) and the minutes of a meeting (DOCX), and the background job that makes a report.

`data` reads a round once into a `RegionalReport`; `charts` draws its figures; `docx` and `pdf` lay
it out; `national` and `minutes` read and lay out their own documents; `build` runs a Report job.
"""

from .build import report_build
from .charts import report_charts
from .data import RegionalReport, round_report_data
from .docx import regional_report_docx
from .minutes import minutes_docx
from .national import (
    NationalSummary,
    national_summary_data,
    national_summary_docx,
    national_summary_pdf,
    national_summary_xlsx,
)
from .pdf import regional_report_html, regional_report_pdf

__all__ = [
    "NationalSummary",
    "RegionalReport",
    "minutes_docx",
    "national_summary_data",
    "national_summary_docx",
    "national_summary_pdf",
    "national_summary_xlsx",
    "regional_report_docx",
    "regional_report_html",
    "regional_report_pdf",
    "report_build",
    "report_charts",
    "round_report_data",
]
