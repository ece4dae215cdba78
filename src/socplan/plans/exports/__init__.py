"""Exports of a plan version: the document for the council (DOCX), a PDF and the action plan (XLSX).

`common` reads the version once and formats the content; `docx`, `pdf` and `xlsx` lay it out.
"""

from ..models import PlanVersion
from .common import CONTENT_TYPES, FORMATS, collect, content_disposition, export_filename
from .docx import plan_docx
from .pdf import plan_html, plan_pdf
from .xlsx import action_plan_xlsx

__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "action_plan_xlsx",
    "collect",
    "content_disposition",
    "export",
    "export_filename",
    "plan_docx",
    "plan_html",
    "plan_pdf",
]

def export(*, version: PlanVersion, fmt: str) -> tuple[bytes, str, str]:
    """The document in the given format: (content, content type, file name)."""
    writers = {"docx": plan_docx, "pdf": plan_pdf, "xlsx": action_plan_xlsx}
    if fmt not in writers:
        raise ValueError(f"Unknown export format: {fmt}")
    return writers[fmt](version), CONTENT_TYPES[fmt], export_filename(version, fmt)

