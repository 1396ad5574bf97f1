"""Pages offer only what the person's role may do, and owners see changes to bank details."""

from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from kasa_web import i18n
from kasa_web.pages import supplier
from kasa_web.payout_changes import PayoutChange, payout_changes
from kasa_web.rendering import env

INVOICE: dict[str, Any] = {
    "id": "0190a000-0000-7000-8000-000000000001",
    "number": "2026-0001",
    "status": "issued",
    "currency": "CZK",
    "total": "100.00",
    "client": {"name": "Acme"},
}


def viewer(role: str) -> Any:
    return SimpleNamespace(
        can_write=role != "viewer",
        csrf_token="t",
        name="Jana",
        principal=SimpleNamespace(role=role),
    )


def render(template: str, role: str, **context: Any) -> str:
    i18n.current_locale.set("en")
    return env.get_template(template).render(viewer=viewer(role), locale="en", **context)


@pytest.mark.parametrize(("role", "editable"), [("member", False), ("admin", True)])
def test_only_admins_get_a_supplier_form_they_can_save(role: str, editable: bool) -> None:
    html = render(
        "supplier/edit.html",
        role,
        form=supplier.form_of_profile({"name": "Studio", "iban": "CZ6508000000192000145399"}),
        new=False,
        currencies=supplier.CURRENCIES,
        section="invoices",
    )
    assert ("Save profile" in html) is editable
    assert ("disabled" in html) is not editable
    assert ("Only admins and owners can change the supplier profile" in html) is not editable
    assert "CZ6508000000192000145399" in html, "the profile is still shown"


@pytest.mark.parametrize(("role", "offered"), [("member", False), ("admin", True)])
def test_cancelling_an_issued_invoice_is_offered_to_admins_only(role: str, offered: bool) -> None:
    confirm = render("invoices/confirm.html", role, invoice=INVOICE, what="cancel")
    assert ("Yes, cancel the invoice" in confirm) is offered
    assert ("Only admins and owners can cancel" in confirm) is not offered
    # Deleting a draft stays a member's work.
    delete = render("invoices/confirm.html", "member", invoice=INVOICE, what="delete")
    assert "Yes, delete the draft" in delete


def test_the_admin_check_follows_the_role_order() -> None:
    template = env.from_string('{{ allowed("admin") }} {{ allowed("member") }}')
    assert template.render(viewer=viewer("owner")) == "True True"
    assert template.render(viewer=viewer("member")) == "False True"
    assert template.render(viewer=viewer("viewer")) == "False False"
    assert template.render() == "False False", "no one signed in"


ENTRIES: list[dict[str, Any]] = [
    {
        "entity_type": "supplier_profile",
        "entity_id": "w",
        "occurred_at": "2026-03-02T10:00:00Z",
        "actor": {"type": "user", "id": "u1", "name": "Mallory"},
        "changes": {
            "iban": {
                "before": "CZ6508000000192000145399",
                "after": "CZ5508000000001234567899",
                "redacted": False,
            },
            "name": {"before": "Studio", "after": "Studio 2", "redacted": False},
        },
    },
    {
        "entity_type": "supplier_profile",
        "occurred_at": "2026-03-03T10:00:00Z",
        "actor": {"type": "user", "id": "u2", "name": "Eva"},
        "changes": {"address": {"before": "A", "after": "B", "redacted": False}},
    },
    {
        "entity_type": "plugin_config",
        "entity_id": "fio",
        "occurred_at": "2026-03-04T10:00:00Z",
        "actor": {"type": "user", "id": "u1", "name": "Mallory"},
        "source": {"plugin": "fio"},
        "changes": {"credentials.token": {"before": None, "after": None, "redacted": True}},
    },
    {
        "entity_type": "plugin_config",
        "entity_id": "demo",
        "occurred_at": "2026-03-05T10:00:00Z",
        "actor": {"type": "user", "id": "u2", "name": "Eva"},
        "changes": {"enabled": {"before": True, "after": False, "redacted": False}},
    },
]


def test_only_iban_bic_and_credential_changes_are_picked_newest_first() -> None:
    changes = payout_changes(ENTRIES)
    assert changes == [
        PayoutChange("credentials", "2026-03-04T10:00:00Z", "Mallory", plugin="fio"),
        PayoutChange(
            "payout",
            "2026-03-02T10:00:00Z",
            "Mallory",
            field="iban",
            before="CZ6508000000192000145399",
            after="CZ5508000000001234567899",
        ),
    ]


def test_an_owner_is_not_told_of_their_own_changes() -> None:
    assert payout_changes(ENTRIES, by_others_than="u1") == []
    assert len(payout_changes(ENTRIES, by_others_than="u2")) == 2


@pytest.mark.parametrize("locale", ["en", "cs"])
def test_the_owners_notice_names_each_change_and_never_a_credential(locale: str) -> None:
    i18n.current_locale.set(locale)
    html = env.get_template("partials/payout_changes.html").render(
        payout_changes=payout_changes(ENTRIES), locale=locale
    )
    assert "CZ6508000000192000145399" in html and "CZ5508000000001234567899" in html
    assert "fio" in html and "Mallory" in html
    assert ("Bank details changed" in html) is (locale == "en")
    assert ("Bankovní údaje se změnily" in html) is (locale == "cs")
    assert env.get_template("partials/payout_changes.html").render(payout_changes=[]).strip() == ""


async def test_the_notice_asks_the_trail_for_the_last_30_days_only() -> None:
    from kasa_web.payout_changes import recent_payout_changes

    asked: list[dict[str, Any]] = []

    class Api:
        async def json(self, method: str, path: str, token: str, **kwargs: Any) -> Any:
            asked.append({"path": path, **kwargs["params"]})
            kind = kwargs["params"]["entity_type"]
            return {"items": [e for e in ENTRIES if e["entity_type"] == kind]}

    now = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    changes = await recent_payout_changes(Api(), "token", "u2", now=now)  # type: ignore[arg-type]
    assert len(changes) == 2
    assert {a["entity_type"] for a in asked} == {"supplier_profile", "plugin_config"}
    assert {a["since"] for a in asked} == {"2026-03-01T12:00:00+00:00"}
    assert {a["path"] for a in asked} == {"/api/v1/audit-events"}
