"""The route table: which service owns each public resource family."""

RESOURCE_OWNERS: dict[str, str] = {
    "plugins": "integrations",
    "syncs": "integrations",
    "transactions": "ledger",
    "accounts": "ledger",
    "categories": "ledger",
    "assets": "ledger",
    "liabilities": "ledger",
    "loans": "ledger",
    "reports": "ledger",
    "matches": "ledger",
    "clients": "invoicing",
    "projects": "invoicing",
    "work-entries": "invoicing",
    "invoices": "invoicing",
    "timer": "invoicing",
    "supplier": "invoicing",
    "dashboard": "invoicing",
    "reminders": "invoicing",
    "audit-events": "audit",
}
"""``/api/v1/<resource>/…`` → owning service. ``/portal/…`` belongs to invoicing."""

PORTAL_OWNER = "invoicing"
PAGES_OWNER = "web"
"""Every other path is a page of the web application."""
