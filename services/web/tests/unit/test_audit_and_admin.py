"""The audit pages turn filters into the API's query and entries into words and links; the
workspace settings offer each role only what the API lets it do."""

from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from starlette.requests import Request

from kasa_web import i18n
from kasa_web.pages import audit, workspace_admin
from kasa_web.rendering import env

ENTRY: dict[str, Any] = {
    "id": "0190a000-0000-7000-8000-0000000000e1",
    "event_id": "0190a000-0000-7000-8000-0000000000f1",
    "occurred_at": "2026-03-01T12:00:00+00:00",
    "recorded_at": "2026-03-01T12:00:01+00:00",
    "event_type": "invoicing.client.updated",
    "event_version": 1,
    "service": "invoicing",
    "actor": {"type": "user", "id": "u-1", "name": "Eva"},
    "source": {"service": "invoicing"},
    "entity_type": "client",
    "entity_id": "0190a000-0000-7000-8000-0000000000c1",
    "action": "updated",
    "changes": {
        "name": {"before": "Acme", "after": "Acme s.r.o.", "redacted": False},
        "hourly_rate": {"before": "1000.00", "after": "1200.00", "redacted": False},
        "token": {"before": None, "after": None, "redacted": True},
    },
    "correlation_id": "req-1",
    "causation_id": None,
    "trace_id": None,
    "seq": 7,
    "prev_hash": "a" * 64,
    "hash": "b" * 64,
}


def viewer(role: str) -> Any:
    return SimpleNamespace(
        role=role,
        can_write=role != "viewer",
        csrf_token="t",
        name="Jana",
        workspace_name="Studio",
        principal=SimpleNamespace(role=role, user_id="u-1"),
        at_least=lambda minimum: (
            workspace_admin.ROLES.index(role) <= workspace_admin.ROLES.index(minimum)
        ),
    )


def request(query: str) -> Request:
    return Request({"type": "http", "query_string": query.encode(), "headers": []})


def test_the_pages_filters_become_the_apis_query_with_local_days() -> None:
    filters, form = audit.trail_filters(
        request("actor=user:u-1&entity_type=invoice&from=2026-03-01&to=2026-03-31&source=fio")
    )
    assert form.valid
    assert audit.api_query(filters) == {
        "entity_type": "invoice",
        "source": "fio",
        "actor_type": "user",
        "actor_id": "u-1",
        "since": "2026-03-01T00:00:00+01:00",
        "until": "2026-04-01T00:00:00+02:00",
    }, "Prague's days: winter time in, summer time out"
    export = urlsplit(audit.export_link(filters))
    assert export.path == "/api/v1/audit-events/export"
    assert parse_qs(export.query)["actor_id"] == ["u-1"]
    assert parse_qs(export.query)["format"] == ["csv"]
    assert audit.api_query(audit.trail_filters(request("actor=system"))[0]) == {
        "actor_type": "system"
    }


def test_filters_that_cannot_be_used_are_marked_and_left_out() -> None:
    filters, form = audit.trail_filters(request("actor=robot:1&from=yesterday&to=2026-01-01"))
    assert set(form.errors) == {"actor", "from"}
    assert audit.api_query(filters) == {"until": "2026-01-02T00:00:00+01:00"}
    filters, form = audit.trail_filters(request("from=2026-02-01&to=2026-01-01"))
    assert set(form.errors) == {"to"} and "until" not in audit.api_query(filters)


@pytest.mark.parametrize(
    ("entity_type", "entity_id", "link"),
    [
        ("invoice", "0190a000-0000-7000-8000-000000000001", "/invoices/"),
        ("client", "0190a000-0000-7000-8000-000000000001", "/clients/"),
        ("transaction", "0190a000-0000-7000-8000-000000000001", "/transactions/"),
        ("sync", "0190a000-0000-7000-8000-000000000001", "/bank/syncs/"),
        ("plugin_config", "fio", "/bank/fio"),
        ("supplier_profile", "0190a000-0000-7000-8000-000000000001", "/supplier"),
        ("invoice", "../../ops", None),
        ("loan_payment", "0190a000-0000-7000-8000-000000000001", None),
        ("user", "0190a000-0000-7000-8000-000000000001", None),
    ],
)
def test_an_entry_links_to_its_entitys_page_when_there_is_one(
    entity_type: str, entity_id: str, link: str | None
) -> None:
    found = audit.entity_link({"entity_type": entity_type, "entity_id": entity_id}, None)
    if link is None:
        assert found is None
    else:
        assert found is not None and found.startswith(link)


def test_members_and_invitations_link_to_the_settings_for_admins_only() -> None:
    entry = {"entity_type": "invitation", "entity_id": "x"}
    assert audit.entity_link(entry, viewer("admin")) == "/workspace"
    assert audit.entity_link(entry, viewer("member")) is None


def test_an_entry_shows_before_and_after_of_each_field_and_hides_secrets() -> None:
    i18n.current_locale.set("en")
    html = env.get_template("audit/entry.html").render(
        viewer=viewer("viewer"),
        locale="en",
        entry=ENTRY,
        link="/clients/x",
        entity_label="Client",
        actor_types=audit.actor_type_labels(),
        related=[ENTRY],
        cause=None,
        correlation_link="/audit?correlation_id=req-1",
        entity_trail_link="/audit?entity_type=client",
        actor_trail_link="/audit?actor=user:u-1",
    )
    assert "Client changed" in html
    assert "<del>1000.00</del>" in html and "<ins>1200.00</ins>" in html
    assert "a secret, so its values are not recorded" in html
    assert 'href="/clients/x"' in html and "a" * 64 in html


@pytest.mark.parametrize(
    ("role", "target", "offered"),
    [
        ("owner", "owner", ["owner", "admin", "member", "viewer"]),
        ("admin", "member", ["admin", "member", "viewer"]),
        ("admin", "owner", []),
        ("member", "viewer", []),
    ],
)
def test_roles_are_offered_as_the_api_allows(role: str, target: str, offered: list[str]) -> None:
    assert workspace_admin.assignable(viewer(role), target) == offered


def test_a_sessions_device_is_named_in_a_few_words() -> None:
    i18n.current_locale.set("en")
    firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
    assert workspace_admin.device(firefox) == "Firefox on Linux"
    assert workspace_admin.device("Kasa-mobile/1.2 (iOS)") == "Kasa-mobile/1.2"
    assert workspace_admin.device(None) == "Unknown device"
