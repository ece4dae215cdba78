"""Printing HTML to PDF with WeasyPrint, for every app's documents."""

import logging

from .exceptions import ApplicationError


def html_to_pdf(html: str) -> bytes:
    """Print HTML with WeasyPrint.

    WeasyPrint is imported here, not at the top: it needs Pango from the system, and the rest of the
    application (and the DOCX and XLSX documents) must keep working on a server without it.
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
    return HTML(string=html).write_pdf()
