"""The invoice pages' own logic: list filters, the draft's request body, the paid trail."""

from types import SimpleNamespace
from typing import Any

import pytest

from kasa_web import i18n
from kasa_web.forms import Form
from kasa_web.pages import invoices, supplier
from kasa_web.rendering import env

INVOICE: dict[str, Any] = {
    "id": "0190a000-0000-7000-8000-000000000001",
    "client_id": "0190a000-0000-7000-8000-000000000002",
    "client_name": "Acme s.r.o.",
    "number": "2026-0001",
    "variable_symbol": "20260001",
    "status": "issued",
    "overdue": True,
    "currency": "CZK",
    "language": "cs",
    "issue_date": "2026-03-31",
    "due_date": "2026-04-14",
    "payment_terms_days": 14,
    "subtotal": "2700.00",
    "vat_total": "567.00",
    "total": "3267.00",
    "paid_total": "0.00",
    "outstanding": "3267.00",
    "paid_on": None,
    "note": "Thank you",
    "created_at": "2026-03-31T10:00:00Z",
    "issued_at": "2026-03-31T10:00:00Z",
    "cancelled_at": None,
    "supplier": {"name": "Studio", "address": "Dlouhá 1", "iban": "CZ6508000000192000145399"},
    "client": {"name": "Acme s.r.o.", "email": "billing@acme.example"},
    "lines": [
        {
            "id": "0190a000-0000-7000-8000-000000000003",
            "position": 1,
            "description": "Design",
            "quantity": "2.25",
            "unit": "h",
            "unit_price": "1200.00",
            "vat_rate": "21",
            "net_amount": "2700.00",
            "work_entry_ids": [],
        }
    ],
    "vat_summary": [{"rate": "21", "base": "2700.00", "vat": "567.00"}],
    "payments": [
        {
            "match_id": "m",
            "transaction_id": "0190a000-0000-7000-8000-000000000009",
            "amount": "1000.00",
            "currency": "CZK",
            "paid_on": "2026-04-02",
            "removed": False,
        }
    ],
}


def test_overdue_is_asked_of_the_api_as_a_flag_and_pages_keep_their_filters() -> None:
    filters = {"status": "overdue", "client_id": "", "from": "2026-01-01", "to": ""}
    assert invoices.list_query(filters) == {"from": "2026-01-01", "overdue": "true"}
    assert invoices.list_query({**filters, "status": "paid"}, "c1") == {
        "from": "2026-01-01",
        "status": "paid",
        "cursor": "c1",
    }
    assert invoices.page_link(filters, "abc") == (
        "/invoices?status=overdue&from=2026-01-01&cursor=abc"
    )
    assert invoices.page_link({k: "" for k in filters}) == "/invoices"


def test_unusable_filters_are_named_and_left_out() -> None:
    request = SimpleNamespace(
        query_params={"status": "lost", "client_id": "x", "from": "2026-05-01", "to": "2026-04-01"}
    )
    filters, form = invoices.list_filters(request)  # type: ignore[arg-type]
    assert filters == {"status": "", "client_id": "", "from": "2026-05-01", "to": ""}
    assert set(form.errors) == {"status", "client_id", "to"}
    assert form.get("to") == "2026-04-01"  # what was typed stays in the field


def test_a_draft_from_picked_entries_and_extra_lines_skips_empty_rows() -> None:
    form = Form.of(
        {
            "client_id": "c",
            "source": "entries",
            "grouping": "day",
            "vat_rate": "21",
            "line-0-description": "Hosting",
            "line-0-unit_price": "250",
            "line-2-description": "Licence",
            "line-2-quantity": "3",
            "line-2-unit_price": "10",
            "payment_terms_days": "",
        }
    )
    body = invoices.draft_body(form, ["e1", "e2"])
    assert form.valid
    assert body == {
        "client_id": "c",
        "grouping": "day",
        "vat_rate": "21",
        "work_entry_ids": ["e1", "e2"],
        "extra_lines": [
            {"description": "Hosting", "quantity": "1", "unit_price": "250"},
            {"description": "Licence", "quantity": "3", "unit_price": "10"},
        ],
    }
    # Room for one more line after the last one used.
    assert invoices.extra_line_count(form) == 4


def test_a_draft_from_a_project_and_period_and_a_draft_of_nothing() -> None:
    form = Form.of({"client_id": "c", "source": "project", "project_id": "p", "from": "2026-03-01"})
    assert invoices.draft_body(form, ["ignored"]) == {
        "client_id": "c",
        "grouping": "entry",
        "vat_rate": "0",
        "project_id": "p",
        "from": "2026-03-01",
    }
    empty = Form.of({"client_id": "c", "source": "entries"})
    invoices.draft_body(empty, [])
    assert set(empty.errors) == {"work_entry_ids"}
    no_project = Form.of({"client_id": "c", "source": "project"})
    invoices.draft_body(no_project, [])
    assert set(no_project.errors) == {"project_id"}


def test_the_qr_code_is_offered_only_for_what_a_bank_can_pay() -> None:
    assert invoices.payable_by_qr(INVOICE)
    assert not invoices.payable_by_qr({**INVOICE, "status": "paid"})
    assert not invoices.payable_by_qr({**INVOICE, "currency": "USD"})
    assert not invoices.payable_by_qr({**INVOICE, "supplier": {"name": "No bank"}})


def entry(event_type: str, at: str, seq: int, **extra: Any) -> dict[str, Any]:
    return {
        "event_type": event_type,
        "occurred_at": at,
        "seq": seq,
        "actor": {"type": "system", "id": "ledger", "name": None},
        "source": {"service": "ledger"},
        "correlation_id": None,
        **extra,
    }


def test_the_paid_trail_reads_in_order_without_progress_noise() -> None:
    trail = invoices.steps(
        [
            entry("invoicing.invoice.paid", "2026-04-02T10:00:03Z", 9),
            entry(
                "integrations.transaction.imported",
                "2026-04-02T10:00:01Z",
                3,
                actor={"type": "plugin", "id": "demo", "name": "Demo bank"},
                source={"service": "integrations", "plugin": "demo", "plugin_version": "1.0.0"},
            ),
            entry("integrations.sync.progressed", "2026-04-02T10:00:02Z", 4),
            entry("something.new.happened", "2026-04-02T10:00:02Z", 5),
        ]
    )
    assert [s["text"] for s in trail] == [
        "The bank reported an incoming payment.",
        "something.new.happened",
        "The invoice was marked paid.",
    ]
    assert trail[0]["actor"] == "Demo bank (bank plugin)"
    assert trail[0]["source"] == "integrations · demo 1.0.0"
    assert trail[2]["actor"] == "Kasa"


def test_each_payment_leads_to_the_request_or_sync_that_brought_it() -> None:
    history = [
        entry("invoicing.invoice.issued", "2026-04-01T00:00:00Z", 1, correlation_id="req"),
        entry("invoicing.invoice.payment_recorded", "2026-04-02T00:00:00Z", 2, correlation_id="s1"),
        entry("invoicing.invoice.paid", "2026-04-02T00:00:01Z", 3, correlation_id="s1"),
        entry("invoicing.invoice.payment_recorded", "2026-04-03T00:00:00Z", 4, correlation_id="s2"),
    ]
    assert invoices.payment_chains(history) == ["s1", "s2"]


def test_the_supplier_form_sends_absent_optional_fields_and_the_checkbox() -> None:
    form = supplier.form_of_profile({"name": "Studio", "vat_payer": True, "iban": None})
    assert form.get("vat_payer") == "on" and form.get("number_format") == "{year}-{seq:04d}"
    posted = Form.of({"name": " Studio ", "iban": "", "payment_terms_days": "30"})
    body = supplier.profile_body(posted)
    assert body["name"] == "Studio" and body["iban"] is None and body["vat_payer"] is False
    assert body["payment_terms_days"] == "30" and body["default_currency"] == "CZK"


def viewer() -> Any:
    return SimpleNamespace(
        can_write=True, csrf_token="t", name="Jana", principal=SimpleNamespace(role="owner")
    )


@pytest.mark.parametrize("locale", ["en", "cs"])
@pytest.mark.parametrize(
    "template",
    ["detail", "confirm", "line", "why_paid", "list", "new", "supplier"],
)
def test_every_invoice_page_renders_in_both_languages(template: str, locale: str) -> None:
    i18n.current_locale.set(locale)
    base = {
        "viewer": viewer(),
        "locale": locale,
        "invoice": INVOICE,
        "statuses": invoices.status_labels(),
        "qr": True,
        "awaiting": True,
        "share_days": invoices.SHARE_DAYS,
        "today": "2026-04-01",
        "share": {"url": "https://kasa.example/portal/abc", "expires_at": "2026-04-08T00:00:00Z"},
        "form": Form(values={"description": "Design"}, errors={"vat_rate": "Enter a number."}),
    }
    contexts: dict[str, tuple[str, dict[str, Any]]] = {
        "detail": ("invoices/detail.html", {"issue_error": None}),
        "confirm": ("invoices/confirm.html", {"what": "cancel"}),
        "line": ("invoices/line.html", {"line": INVOICE["lines"][0]}),
        "why_paid": (
            "invoices/why_paid.html",
            {"chains": [invoices.steps([entry("invoicing.invoice.paid", "2026-04-02", 1)])]},
        ),
        "list": (
            "invoices/list.html",
            {
                "invoices": [INVOICE],
                "totals": [
                    {
                        "currency": "CZK",
                        "count": 1,
                        "total": "1",
                        "paid": "0",
                        "outstanding": "1",
                    }
                ],
                "clients": [{"id": "c", "name": "Acme"}],
                "filters": {"status": "", "client_id": "c", "from": "", "to": ""},
                "next_link": "/invoices?cursor=x",
                "first_link": None,
            },
        ),
        "new": (
            "invoices/new.html",
            {
                "clients": [{"id": "c", "name": "Acme", "currency": "CZK"}],
                "client": {"id": "c", "name": "Acme", "currency": "CZK"},
                "supplier": None,
                "entries": [
                    {
                        "id": "e",
                        "work_date": "2026-03-01",
                        "project_id": "p",
                        "description": "Design",
                        "minutes": 90,
                        "fixed_amount": None,
                    }
                ],
                "project_names": {"p": "Web"},
                "project_options": [("p", "Web")],
                "picked": {"e"},
                "groupings": invoices.grouping_labels(),
                "line_count": 3,
            },
        ),
        "supplier": ("supplier/edit.html", {"new": True, "currencies": supplier.CURRENCIES}),
    }
    name, extra = contexts[template]
    html = env.get_template(name).render({**base, **extra})
    assert "<h1" in html
    if template == "detail" and locale == "cs":
        assert "Faktura 2026-0001" in html and "Po splatnosti" in html


def test_a_portal_path_becomes_a_link_on_the_origin_the_browser_posted_from() -> None:
    posted = SimpleNamespace(headers={"origin": "https://kasa.example"})
    assert invoices.absolute(posted, "/portal/t") == "https://kasa.example/portal/t"  # type: ignore[arg-type]
    assert (
        invoices.absolute(posted, "https://pub.example/portal/t") == "https://pub.example/portal/t"
    )  # type: ignore[arg-type]
    odd = SimpleNamespace(headers={"origin": "null"})
    assert invoices.absolute(odd, "/portal/t") == "/portal/t"  # type: ignore[arg-type]


def test_the_live_status_fragment_renders_on_its_own() -> None:
    from jinja2_fragments import render_block

    i18n.current_locale.set("en")
    html = render_block(
        env,
        "invoices/detail.html",
        "status",
        invoice={**INVOICE, "status": "paid", "overdue": False},
        statuses=invoices.status_labels(),
        viewer=viewer(),
    )
    assert html.lstrip().startswith('<section id="invoice-status"')
    assert "badge-paid" in html and "Why is this paid?" in html


def test_a_sync_that_imported_many_transactions_shows_only_this_invoices_payment() -> None:
    ours, other = "tx-ours", "tx-other"
    chain = [
        entry("integrations.sync.requested", "t1", 1, event_id="s"),
        entry("integrations.transaction.imported", "t2", 2, event_id="i1", entity_id="demo-0"),
        entry("integrations.transaction.imported", "t2", 3, event_id="i2", entity_id="demo-1"),
        entry(
            "ledger.transaction.recorded", "t3", 4, event_id="r1", entity_id=ours, causation_id="i1"
        ),
        entry(
            "ledger.transaction.recorded",
            "t3",
            5,
            event_id="r2",
            entity_id=other,
            causation_id="i2",
        ),
        entry("ledger.payment.matched", "t4", 6, event_id="m1", causation_id="i1"),
        entry("ledger.payment.matched", "t4", 7, event_id="m2", causation_id="i2"),
        entry("invoicing.invoice.paid", "t5", 8, event_id="p1", entity_id=INVOICE["id"]),
        entry("invoicing.invoice.paid", "t5", 9, event_id="p2", entity_id="another invoice"),
    ]
    history = [entry("invoicing.invoice.paid", "t5", 8, event_id="p1", causation_id="m1")]
    invoice = {**INVOICE, "payments": [{**INVOICE["payments"][0], "transaction_id": ours}]}
    kept = invoices.about_this_invoice(chain, invoice, history)
    assert [e["event_id"] for e in kept] == ["s", "i1", "r1", "m1", "p1"]


def test_the_filtered_table_renders_on_its_own() -> None:
    from jinja2_fragments import render_block

    i18n.current_locale.set("en")
    html = render_block(
        env,
        "invoices/list.html",
        "results",
        invoices=[INVOICE],
        totals=[],
        statuses=invoices.status_labels(),
        viewer=viewer(),
        filtered=True,
    )
    assert html.lstrip().startswith('<div id="invoice-results"') and "badge-issued" in html
