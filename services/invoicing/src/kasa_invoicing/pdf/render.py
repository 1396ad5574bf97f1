"""HTML to PDF with xhtml2pdf (pure Python on ReportLab) and bundled DejaVu Sans.

The font ships inside the package so that Czech diacritics render the same on every machine
and in the slim container image, with no system font to install (see the ADR on rendering).
"""

import io
from pathlib import Path

import jinja2
from xhtml2pdf import pisa

from kasa_invoicing.pdf.document import InvoiceDocument
from kasa_invoicing.pdf.labels import labels

_HERE = Path(__file__).parent
FONTS = {
    "regular": str(_HERE / "fonts" / "DejaVuSans.ttf"),
    "bold": str(_HERE / "fonts" / "DejaVuSans-Bold.ttf"),
}
_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(_HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


class RenderFailed(RuntimeError):
    """The renderer reported errors for the document."""


def render_template(name: str, **context: object) -> str:
    return _templates.get_template(name).render(**context)


def invoice_html(doc: InvoiceDocument) -> str:
    return render_template("invoice.html", doc=doc, t=labels(doc.language), fonts=FONTS)


def invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice as PDF bytes. CPU-bound: call it from a worker thread."""
    buffer = io.BytesIO()
    result = pisa.CreatePDF(invoice_html(doc), dest=buffer, encoding="utf-8")
    if result.err:
        raise RenderFailed(f"the invoice PDF could not be rendered ({result.err} errors)")
    return buffer.getvalue()
