"""The invoice PDF: rendered in the client's language, its text read back from the file."""

import io
import re

from pypdf import PdfReader


def pdf_text(response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Locales separate thousands with (narrow) no-break spaces, and table cells wrap:
    # compare any run of white space as one space.
    return re.sub(r"[\s\u00a0\u202f]+", " ", text)


def invoice(owner, currency, language, rate):
    client_id, project_id = owner.setup_work(currency=currency, language=language, rate=rate)
    owner.ok(
        "PATCH",
        f"/api/v1/clients/{client_id}",
        json={"address": "Náměstí Míru 5\n120 00 Praha 2", "company_id": "87654321"},
    )
    entry = owner.add_entry(project_id, "2026-03-02", minutes=60, description="Údržba webu")
    created = owner.ok(
        "POST",
        "/api/v1/invoices",
        201,
        json={"client_id": client_id, "work_entry_ids": [entry["id"]], "vat_rate": "21"},
    )
    owner.ok("POST", f"/api/v1/invoices/{created['id']}/issue", json={"issue_date": "2026-03-31"})
    return created["id"]


def test_a_czech_invoice_reads_in_czech_with_czech_numbers(owner):
    invoice_id = invoice(owner, "CZK", "cs", "1234.50")
    text = pdf_text(owner.get(f"/api/v1/invoices/{invoice_id}/pdf"))
    for expected in (
        "Faktura 2026-0001",
        "Dodavatel",
        "Jana Nováková",
        "Odběratel",
        "Acme s.r.o.",
        "Náměstí Míru 5",
        "IČO: 87654321",
        "Údržba webu",
        "1 234,50 Kč",  # the net line and the base
        "259,25 Kč",  # 21 % VAT
        "Celkem k úhradě",
        "1 493,75 Kč",
        "Variabilní symbol: 20260001",
        "CZ6508000000192000145399",
        "31. 3. 2026",
        "QR platba",
    ):
        assert expected in text, expected


def test_an_english_invoice_reads_in_english(owner, service):
    invoice_id = invoice(owner, "EUR", "en", "1234.50")
    text = pdf_text(owner.get(f"/api/v1/invoices/{invoice_id}/pdf"))
    for expected in ("Invoice 2026-0001", "Supplier", "Customer", "€1,234.50", "€1,493.75"):
        assert expected in text, expected
    assert "Faktura" not in text
    assert service.member().get(f"/api/v1/invoices/{invoice_id}/pdf").status_code == 404


def test_a_draft_renders_without_a_number(owner):
    client_id, project_id = owner.setup_work(language="en")
    entry = owner.add_entry(project_id, "2026-03-02", minutes=30)
    draft = owner.ok(
        "POST",
        "/api/v1/invoices",
        201,
        json={"client_id": client_id, "work_entry_ids": [entry["id"]]},
    )
    text = pdf_text(owner.get(f"/api/v1/invoices/{draft['id']}/pdf"))
    assert "Draft invoice" in text and "Jana Nováková" in text and "Scan to pay" not in text
