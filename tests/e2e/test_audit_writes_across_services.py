"""Every public write of every service lands in the audit trail with its user, source and entity.

The writes to cover come from the merged API description the gateway serves, so a new write
endpoint without a case here fails this test, as a new event type without an audit mapping
fails audit's own tests.
"""

import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from kasa_localstack.mail_sink import link_token
from kasa_localstack.testing import KasaClient, eventually

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio(loop_scope="session")]

ROOT = Path(__file__).resolve().parents[2]
STATEMENT = ROOT / "services/integrations/tests/unit/statements/camt053_v02.xml"
PASSWORD = "correct horse battery"
NEW_PASSWORD = "a brand new horse battery"

WRITE_METHODS = ("post", "put", "patch", "delete")
PUBLIC_PREFIXES = ("/api/v1/", "/portal/")

# Writes that change nothing a person would look for in the trail. Keep this short and honest:
# everything else a user can change must be in the trail.
NOT_AUDITED = {
    "POST /api/v1/auth/refresh": "trades a refresh token for new tokens of the same session",
    "POST /api/v1/me/email-verification": "mails a new link to the address; changes nothing",
    # The instance operator's actions span workspaces, whose chains are each their own: they
    # are logged with the operator's id instead (ADR 0022).
    "POST /api/v1/operator/queues/{queue}/parked/requeue": "the instance operator's, logged",
    "POST /api/v1/operator/queues/{queue}/parked/discard": "the instance operator's, logged",
    "POST /api/v1/operator/mail/{service}/retry": "the instance operator's, logged",
    "POST /api/v1/operator/mail/{service}/drop": "the instance operator's, logged",
}


@dataclass
class Expected:
    operation: str
    reader: KasaClient
    """Whose current workspace holds the entry."""
    event_type: str
    entity_type: str
    entity_id: str
    actor_id: str
    source: dict[str, Any]
    changed: set[str] = field(default_factory=set)
    """Fields the entry's ``changes`` must name."""
    actor_type: str = "user"


class Writes:
    """Performs writes through the gateway, remembering each operation and what it must leave."""

    def __init__(self) -> None:
        self.covered: set[str] = set()
        self.expected: list[Expected] = []
        self._last: str | None = None

    async def write(
        self,
        who: KasaClient,
        operation: str,
        *,
        path: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        status: int | None = None,
        **kwargs: Any,
    ) -> Any:
        method, template = operation.split(" ", 1)
        response = await who.http.request(
            method,
            template.format(**(path or {})),
            headers={**who.headers, **(headers or {})},
            **kwargs,
        )
        ok = response.status_code == status if status else response.is_success
        assert ok, (operation, response.status_code, response.text)
        self.record(operation)
        return response.json() if response.content else None

    def record(self, operation: str) -> None:
        """A write made without ``write`` (one that had to be retried)."""
        self.covered.add(operation)
        self._last = operation

    def expect(
        self,
        reader: KasaClient,
        event_type: str,
        entity_type: str,
        entity_id: Any,
        *,
        actor: KasaClient | None = None,
        source: dict[str, Any] | None = None,
        changed: set[str] | None = None,
        operation: str | None = None,
        actor_id: str | None = None,
    ) -> None:
        """The last write (or ``operation``) must leave this entry in ``reader``'s trail, by
        ``actor`` (the reader by default) or the system actor ``actor_id``."""
        assert operation in self.covered if operation else self._last is not None
        service = event_type.split(".")[0]
        self.expected.append(
            Expected(
                operation=operation or str(self._last),
                reader=reader,
                event_type=event_type,
                entity_type=entity_type,
                entity_id=str(entity_id),
                actor_id=actor_id or str((actor or reader).user["user_id"]),
                actor_type="system" if actor_id else "user",
                source=source or {"service": "gateway" if service == "identity" else service},
                changed=changed or set(),
            )
        )


def found(entry: dict[str, Any], want: Expected) -> bool:
    return (
        entry["event_type"] == want.event_type
        and entry["entity_type"] == want.entity_type
        and entry["entity_id"] == want.entity_id
        and entry["action"] == want.event_type.rsplit(".", 1)[1]
        and entry["actor"]["type"] == ("user" if want.actor_type == "user" else "system")
        and entry["actor"]["id"] == want.actor_id
        and want.source.items() <= entry["source"].items()
        and want.changed <= set(entry["changes"])
    )


def same_entry(one: Expected, other: Expected) -> bool:
    return (one.event_type, one.entity_type, one.entity_id, one.actor_id) == (
        other.event_type,
        other.entity_type,
        other.entity_id,
        other.actor_id,
    ) and (one.source, one.changed) == (other.source, other.changed)


async def write_operations(gateway: str) -> set[str]:
    """Every public write the merged API description lists, as ``METHOD /path``."""
    async with httpx.AsyncClient(base_url=gateway, timeout=30) as http:
        document = (await http.get("/api/v1/openapi.json")).json()
    assert "x-kasa-missing-services" not in document["info"], document["info"]
    return {
        f"{method.upper()} {path}"
        for path, operations in document["paths"].items()
        if path.startswith(PUBLIC_PREFIXES)
        for method in operations
        if method in WRITE_METHODS
    }


async def sign_up(w: Writes, system: Any, label: str) -> KasaClient:
    """A new account whose address is proven through the mailed link, signed in again so its
    token says so."""
    client = KasaClient(system.gateway)
    email = f"{label}-{uuid.uuid4().hex[:10]}@example.com"
    client.user = await w.write(
        client,
        "POST /api/v1/auth/register",
        json={
            "email": email,
            "password": PASSWORD,
            "name": label.title(),
            "workspace_name": f"{label.title()} s.r.o.",
        },
    )
    w.expect(client, "identity.user.registered", "user", client.user["user_id"])
    tokens = await w.write(
        client, "POST /api/v1/auth/token", json={"email": email, "password": PASSWORD}
    )
    client.token = tokens["access_token"]
    w.expect(client, "identity.user.logged_in", "user", client.user["user_id"])
    await open_link(w, system, client, email)
    w.expect(client, "identity.user.email_verified", "user", client.user["user_id"])
    tokens = await w.write(
        client, "POST /api/v1/auth/token", json={"email": email, "password": PASSWORD}
    )
    client.token = tokens["access_token"]
    w.expect(client, "identity.user.logged_in", "user", client.user["user_id"])
    return client


async def open_link(w: Writes, system: Any, client: KasaClient, email: str) -> None:
    """Open the newest verification link mailed to ``email``."""
    count = len(system.mail.to(email, "email_verification")) + 1
    found = await system.mail.wait_for(count, address=email, kind="email_verification")
    await w.write(client, "POST /api/v1/auth/verify-email", json={"token": link_token(found[-1])})


async def email_change_writes(w: Writes, system: Any) -> None:
    """A new address asked for, then proven through the link mailed to it."""
    mover = await sign_up(w, system, "mover")
    new = f"moved-{uuid.uuid4().hex[:10]}@example.com"
    await w.write(mover, "POST /api/v1/me/email", json={"email": new, "password": PASSWORD})
    w.expect(mover, "identity.user.email_change_requested", "user", mover.user["user_id"])
    await open_link(w, system, mover, new)
    w.expect(mover, "identity.user.email_changed", "user", mover.user["user_id"], changed={"email"})


async def as_workspace(w: Writes, user: KasaClient, workspace_id: str) -> KasaClient:
    """The same person acting in another of their workspaces."""
    switched = await w.write(user, "POST /api/v1/auth/switch", json={"workspace_id": workspace_id})
    other = KasaClient(str(user.http.base_url))
    other.token = switched["access_token"]
    other.user = {**user.user, "workspace_id": workspace_id}
    w.expect(other, "identity.user.logged_in", "user", user.user["user_id"])
    return other


async def identity_writes(w: Writes, system: Any) -> tuple[KasaClient, KasaClient, KasaClient]:
    gateway = system.gateway
    owner = await sign_up(w, system, "owner")
    guest = await sign_up(w, system, "guest")
    email = owner.user["email"]

    # A second session, ended by logout with its tokens.
    second = KasaClient(gateway)
    second.user = owner.user
    tokens = await w.write(
        second, "POST /api/v1/auth/token", json={"email": email, "password": PASSWORD}
    )
    second.token = tokens["access_token"]
    await w.write(
        second, "POST /api/v1/auth/logout", json={"refresh_token": tokens["refresh_token"]}
    )
    w.expect(owner, "identity.user.logged_out", "user", owner.user["user_id"])

    # A browser session: the cookie signs in, the CSRF token guards the sign-out.
    browser = KasaClient(gateway)
    browser.user = owner.user
    web = await w.write(
        browser, "POST /api/v1/auth/session", json={"email": email, "password": PASSWORD}
    )
    w.expect(owner, "identity.user.logged_in", "user", owner.user["user_id"])
    # The cookies are Secure; this plain-HTTP client hands them back itself.
    cookies = "; ".join(f"{name}={value}" for name, value in browser.http.cookies.items())
    browser.http.cookies.clear()
    await w.write(
        browser,
        "DELETE /api/v1/auth/session",
        headers={"Cookie": cookies, "X-CSRF-Token": web["csrf_token"]},
    )
    w.expect(owner, "identity.user.logged_out", "user", owner.user["user_id"])
    for client in (second, browser):
        await client.close()

    await w.write(
        owner,
        "POST /api/v1/me/password",
        json={"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )
    w.expect(
        owner, "identity.user.password_changed", "user", owner.user["user_id"], changed={"password"}
    )
    await w.write(owner, "PATCH /api/v1/me", json={"name": "Owner Renamed", "locale": "cs"})
    w.expect(
        owner,
        "identity.user.profile_changed",
        "user",
        owner.user["user_id"],
        changed={"name", "locale"},
    )

    invitation = await w.write(
        owner,
        "POST /api/v1/invitations",
        json={"email": guest.user["email"], "role": "member"},
    )
    w.expect(owner, "identity.member.invited", "invitation", invitation["id"])
    await w.write(guest, "POST /api/v1/invitations/accept", json={"token": invitation["token"]})
    w.expect(owner, "identity.member.added", "member", guest.user["user_id"], actor=guest)
    await w.write(
        owner,
        "PATCH /api/v1/members/{user_id}",
        path={"user_id": guest.user["user_id"]},
        json={"role": "viewer"},
    )
    w.expect(owner, "identity.member.updated", "member", guest.user["user_id"], changed={"role"})
    await w.write(
        owner, "DELETE /api/v1/members/{user_id}", path={"user_id": guest.user["user_id"]}
    )
    w.expect(owner, "identity.member.removed", "member", guest.user["user_id"])
    withdrawn = await w.write(
        owner, "POST /api/v1/invitations", json={"email": "nobody@example.com"}
    )
    w.expect(owner, "identity.member.invited", "invitation", withdrawn["id"])
    await w.write(
        owner,
        "DELETE /api/v1/invitations/{invitation_id}",
        path={"invitation_id": withdrawn["id"]},
    )
    w.expect(owner, "identity.invitation.revoked", "invitation", withdrawn["id"])
    renewed = await w.write(
        owner, "POST /api/v1/invitations", json={"email": "later@example.com", "role": "viewer"}
    )
    w.expect(owner, "identity.member.invited", "invitation", renewed["id"])
    await w.write(
        owner,
        "POST /api/v1/invitations/{invitation_id}/resend",
        path={"invitation_id": renewed["id"]},
    )
    w.expect(owner, "identity.member.invited", "invitation", renewed["id"])

    # A member's sessions signed out by the owner: one, then all the others.
    # Signed up outside the record: only the owner's trail is read for what follows.
    helper = KasaClient(gateway)
    await helper.register_and_login(f"helper-{uuid.uuid4().hex[:10]}@example.com", PASSWORD)
    asked = await w.write(
        owner, "POST /api/v1/invitations", json={"email": helper.user["email"], "role": "member"}
    )
    w.expect(owner, "identity.member.invited", "invitation", asked["id"])
    await w.write(helper, "POST /api/v1/invitations/accept", json={"token": asked["token"]})
    w.expect(owner, "identity.member.added", "member", helper.user["user_id"], actor=helper)
    # Two sessions acting in the owner's workspace, each a switch into it.
    for _ in range(2):
        await w.write(
            helper, "POST /api/v1/auth/switch", json={"workspace_id": owner.user["workspace_id"]}
        )
        w.expect(owner, "identity.user.logged_in", "user", helper.user["user_id"], actor=helper)
    sessions = (await owner.get(f"/api/v1/members/{helper.user['user_id']}/sessions")).json()
    await w.write(
        owner,
        "DELETE /api/v1/members/{user_id}/sessions/{session_id}",
        path={"user_id": helper.user["user_id"], "session_id": sessions["items"][0]["id"]},
    )
    w.expect(owner, "identity.session.revoked", "user", helper.user["user_id"])
    await w.write(
        owner, "DELETE /api/v1/members/{user_id}/sessions", path={"user_id": helper.user["user_id"]}
    )
    w.expect(owner, "identity.session.revoked", "user", helper.user["user_id"])

    workspace = await w.write(owner, "POST /api/v1/workspaces", json={"name": "Side project"})
    side = await as_workspace(w, owner, workspace["id"])
    w.expect(
        side,
        "identity.workspace.created",
        "workspace",
        workspace["id"],
        actor=owner,
        operation="POST /api/v1/workspaces",
    )

    # A browser session moved to the other workspace.
    browser = KasaClient(gateway)
    browser.user = owner.user
    web = await w.write(
        browser, "POST /api/v1/auth/session", json={"email": email, "password": NEW_PASSWORD}
    )
    w.expect(owner, "identity.user.logged_in", "user", owner.user["user_id"])
    cookies = "; ".join(f"{name}={value}" for name, value in browser.http.cookies.items())
    browser.http.cookies.clear()
    await w.write(
        browser,
        "PUT /api/v1/auth/session/workspace",
        headers={"Cookie": cookies, "X-CSRF-Token": web["csrf_token"]},
        json={"workspace_id": workspace["id"]},
    )
    w.expect(side, "identity.user.logged_in", "user", owner.user["user_id"], actor=owner)
    await browser.close()
    return owner, guest, side


async def signed_in_again(w: Writes, gateway: str, ended: KasaClient, password: str) -> KasaClient:
    """A new session for someone whose sessions all ended; it reads their trail from now."""
    reader = KasaClient(gateway)
    reader.user = ended.user
    tokens = await w.write(
        reader,
        "POST /api/v1/auth/token",
        json={"email": ended.user["email"], "password": password},
    )
    reader.token = tokens["access_token"]
    w.expect(reader, "identity.user.logged_in", "user", ended.user["user_id"])
    for entry in w.expected:
        if entry.reader is ended:
            entry.reader = reader
    return reader


async def password_reset_writes(w: Writes, system: Any) -> KasaClient:
    """A forgotten password, reset through the mailed link: asked by nobody known (the system
    records it), set by the account's owner."""
    forgetful = await sign_up(w, system, "forgetful")
    email = forgetful.user["email"]
    await w.write(forgetful, "POST /api/v1/auth/password-reset", json={"email": email})
    w.expect(
        forgetful,
        "identity.user.password_reset_requested",
        "user",
        forgetful.user["user_id"],
        actor_id="gateway",
    )
    [message] = await system.mail.wait_for(1, address=email, kind="password_reset")
    token = link_token(message)
    await w.write(
        forgetful,
        "POST /api/v1/auth/password-reset/confirm",
        json={"token": token, "password": NEW_PASSWORD},
    )
    w.expect(forgetful, "identity.user.password_reset", "user", forgetful.user["user_id"])
    # Every session ended with the reset: a new one reads the trail.
    return await signed_in_again(w, system.gateway, forgetful, NEW_PASSWORD)


async def integrations_writes(w: Writes, user: KasaClient) -> None:
    demo = {"service": "integrations", "plugin": "demo", "plugin_version": "1.0.0"}
    # No demo payment may pay this test's invoices: matching is driven by hand below.
    await w.write(
        user,
        "PUT /api/v1/plugins/{plugin_name}/config",
        path={"plugin_name": "demo"},
        json={"enabled": True, "settings": {"invoice_payments": []}},
    )
    w.expect(
        user,
        "integrations.plugin.configured",
        "plugin_config",
        "demo",
        source=demo,
        changed={"enabled"},
    )
    sync = await w.write(
        user,
        "POST /api/v1/plugins/{plugin_name}/syncs",
        path={"plugin_name": "demo"},
        json={"count": 1_000_000},
    )
    w.expect(user, "integrations.sync.requested", "sync", sync["id"], source=demo)
    await w.write(user, "POST /api/v1/syncs/{sync_id}/cancel", path={"sync_id": sync["id"]})
    w.expect(user, "integrations.sync.cancelled", "sync", sync["id"], source=demo)

    upload = await w.write(
        user,
        "POST /api/v1/plugins/{plugin_name}/imports",
        path={"plugin_name": "camt053"},
        files={"file": ("statement.xml", STATEMENT.read_bytes(), "application/xml")},
    )
    w.expect(
        user,
        "integrations.sync.requested",
        "sync",
        upload["id"],
        source={"service": "integrations", "plugin": "camt053"},
    )


async def invoicing_writes(w: Writes, user: KasaClient) -> dict[str, Any]:
    """Invoicing's writes; returns an issued invoice for the ledger to match."""
    await w.write(
        user,
        "PUT /api/v1/supplier",
        json={"name": "Studio", "iban": "CZ6508000000192000145399", "vat_payer": True},
    )
    w.expect(
        user, "invoicing.supplier_profile.updated", "supplier_profile", user.user["workspace_id"]
    )

    client = await w.write(user, "POST /api/v1/clients", json={"name": "Acme", "currency": "CZK"})
    w.expect(user, "invoicing.client.created", "client", client["id"])
    await w.write(
        user,
        "PATCH /api/v1/clients/{client_id}",
        path={"client_id": client["id"]},
        json={"name": "Acme s.r.o."},
    )
    w.expect(user, "invoicing.client.updated", "client", client["id"], changed={"name"})
    spare = await w.write(user, "POST /api/v1/clients", json={"name": "Spare"})
    w.expect(user, "invoicing.client.created", "client", spare["id"])
    await w.write(user, "DELETE /api/v1/clients/{client_id}", path={"client_id": spare["id"]})
    w.expect(user, "invoicing.client.deleted", "client", spare["id"])

    project = await w.write(
        user,
        "POST /api/v1/projects",
        json={"client_id": client["id"], "name": "Site", "hourly_rate": "900.00"},
    )
    w.expect(user, "invoicing.project.created", "project", project["id"])
    await w.write(
        user,
        "PATCH /api/v1/projects/{project_id}",
        path={"project_id": project["id"]},
        json={"name": "Website"},
    )
    w.expect(user, "invoicing.project.updated", "project", project["id"], changed={"name"})
    idle = await w.write(
        user, "POST /api/v1/projects", json={"client_id": client["id"], "name": "Idle"}
    )
    w.expect(user, "invoicing.project.created", "project", idle["id"])
    await w.write(user, "DELETE /api/v1/projects/{project_id}", path={"project_id": idle["id"]})
    w.expect(user, "invoicing.project.deleted", "project", idle["id"])

    entries = []
    for day, minutes in (("2026-03-02", 120), ("2026-03-03", 60), ("2026-03-04", 30)):
        entry = await w.write(
            user,
            "POST /api/v1/work-entries",
            json={"project_id": project["id"], "work_date": day, "minutes": minutes},
        )
        w.expect(user, "invoicing.work_entry.created", "work_entry", entry["id"])
        entries.append(entry["id"])
    await w.write(
        user,
        "PATCH /api/v1/work-entries/{entry_id}",
        path={"entry_id": entries[0]},
        json={"description": "Wireframes"},
    )
    w.expect(
        user, "invoicing.work_entry.updated", "work_entry", entries[0], changed={"description"}
    )
    await w.write(user, "DELETE /api/v1/work-entries/{entry_id}", path={"entry_id": entries[2]})
    w.expect(user, "invoicing.work_entry.deleted", "work_entry", entries[2])
    timed = await w.write(
        user, "POST /api/v1/timer/start", json={"project_id": project["id"]}, status=201
    )
    w.expect(user, "invoicing.work_entry.created", "work_entry", timed["id"])
    await w.write(user, "POST /api/v1/timer/stop")
    w.expect(user, "invoicing.work_entry.updated", "work_entry", timed["id"], changed={"minutes"})

    draft = await w.write(
        user,
        "POST /api/v1/invoices",
        json={"client_id": client["id"], "work_entry_ids": [timed["id"]]},
    )
    w.expect(user, "invoicing.invoice.drafted", "invoice", draft["id"])
    await w.write(user, "DELETE /api/v1/invoices/{invoice_id}", path={"invoice_id": draft["id"]})
    w.expect(user, "invoicing.invoice.draft_deleted", "invoice", draft["id"])

    invoice = await w.write(
        user,
        "POST /api/v1/invoices",
        json={"client_id": client["id"], "work_entry_ids": [entries[0]], "vat_rate": "21"},
    )
    w.expect(user, "invoicing.invoice.drafted", "invoice", invoice["id"])
    await w.write(
        user,
        "PATCH /api/v1/invoices/{invoice_id}/lines/{line_id}",
        path={"invoice_id": invoice["id"], "line_id": invoice["lines"][0]["id"]},
        json={"description": "Wireframes and design"},
    )
    w.expect(
        user,
        "invoicing.invoice.draft_updated",
        "invoice",
        invoice["id"],
        changed={"lines.1.description"},
    )
    issued = await w.write(
        user,
        "POST /api/v1/invoices/{invoice_id}/issue",
        path={"invoice_id": invoice["id"]},
        json={},
    )
    w.expect(user, "invoicing.invoice.issued", "invoice", invoice["id"])
    await w.write(
        user,
        "POST /api/v1/invoices/{invoice_id}/share",
        path={"invoice_id": invoice["id"]},
        json={},
    )
    w.expect(user, "invoicing.invoice.shared", "invoice", invoice["id"])
    await w.write(
        user, "DELETE /api/v1/invoices/{invoice_id}/share", path={"invoice_id": invoice["id"]}
    )
    w.expect(user, "invoicing.invoice.share_revoked", "invoice", invoice["id"])
    await w.write(
        user,
        "POST /api/v1/invoices/{invoice_id}/send",
        path={"invoice_id": invoice["id"]},
        json={"to": "client@example.com"},
    )
    w.expect(user, "invoicing.invoice.sent", "invoice", invoice["id"])
    await w.write(user, "PUT /api/v1/reminders/settings", json={"enabled": True, "days": [5]})
    w.expect(
        user,
        "invoicing.reminder_settings.changed",
        "workspace",
        user.user["workspace_id"],
        changed={"days"},
    )

    doomed = await w.write(
        user,
        "POST /api/v1/invoices",
        json={"client_id": client["id"], "work_entry_ids": [entries[1]]},
    )
    w.expect(user, "invoicing.invoice.drafted", "invoice", doomed["id"])
    await w.write(
        user, "POST /api/v1/invoices/{invoice_id}/issue", path={"invoice_id": doomed["id"]}, json={}
    )
    w.expect(user, "invoicing.invoice.issued", "invoice", doomed["id"])
    await w.write(
        user, "POST /api/v1/invoices/{invoice_id}/cancel", path={"invoice_id": doomed["id"]}
    )
    w.expect(user, "invoicing.invoice.cancelled", "invoice", doomed["id"])
    return dict(issued)


async def record(w: Writes, user: KasaClient, kind: str, amount: str, **fields: Any) -> str:
    body = {"type": kind, "amount": amount, "currency": "CZK", "transacted_on": "2026-03-10"}
    tx = await w.write(user, "POST /api/v1/transactions", json=body | fields)
    w.expect(user, "ledger.transaction.recorded", "transaction", tx["id"])
    return str(tx["id"])


async def ledger_writes(w: Writes, user: KasaClient, invoice: dict[str, Any]) -> None:
    account = await w.write(
        user, "POST /api/v1/accounts", json={"name": "Cash box", "currency": "CZK"}
    )
    w.expect(user, "ledger.account.created", "account", account["id"])
    await w.write(
        user,
        "PATCH /api/v1/accounts/{account_id}",
        path={"account_id": account["id"]},
        json={"name": "Petty cash"},
    )
    w.expect(user, "ledger.account.updated", "account", account["id"], changed={"name"})

    paper = await record(
        w, user, "expense", "250.00", description="paper", account_id=account["id"]
    )
    category = await w.write(user, "POST /api/v1/categories", json={"name": "Office"})
    w.expect(user, "ledger.category.created", "category", category["id"])
    rule = await w.write(
        user,
        "POST /api/v1/categories/rules",
        json={"category_id": category["id"], "description_contains": "paper"},
    )
    w.expect(user, "ledger.category_rule.created", "category_rule", rule["id"])
    await w.write(user, "POST /api/v1/categories/rules/apply")
    w.expect(user, "ledger.transaction.updated", "transaction", paper, changed={"category"})
    await w.write(
        user,
        "PATCH /api/v1/transactions/{transaction_id}",
        path={"transaction_id": paper},
        json={"notes": "for the printer"},
    )
    w.expect(user, "ledger.transaction.updated", "transaction", paper, changed={"notes"})
    await w.write(
        user,
        "POST /api/v1/transactions/{transaction_id}/corrections",
        path={"transaction_id": paper},
        json={"amount": "260.00", "reason": "receipt said 260"},
    )
    w.expect(user, "ledger.transaction.corrected", "transaction", paper)
    mistake = await record(w, user, "expense", "99.00")
    await w.write(
        user,
        "POST /api/v1/transactions/{transaction_id}/void",
        path={"transaction_id": mistake},
        json={"reason": "never happened"},
    )
    w.expect(user, "ledger.transaction.corrected", "transaction", mistake)

    loan = await w.write(
        user,
        "POST /api/v1/loans",
        json={
            "name": "Car",
            "principal": "120000.00",
            "currency": "CZK",
            "annual_rate": "5",
            "term_months": 24,
            "first_due": "2026-04-01",
        },
    )
    w.expect(user, "ledger.loan.created", "loan", loan["id"])
    installment = await record(w, user, "expense", "5264.55")
    await w.write(
        user,
        "POST /api/v1/loans/{loan_id}/payments",
        path={"loan_id": loan["id"]},
        json={"installment": 1, "transaction_id": installment},
    )
    w.expect(user, "ledger.loan_payment.linked", "loan", loan["id"])
    await w.write(
        user,
        "POST /api/v1/loans/{loan_id}/installments/{installment}/payment",
        path={"loan_id": loan["id"], "installment": 2},
        json={"paid_on": "2026-05-01"},
    )
    w.expect(user, "ledger.loan_payment.linked", "loan", loan["id"])

    for side in ("assets", "liabilities"):
        holding = await w.write(
            user, f"POST /api/v1/{side}", json={"name": f"Some {side}", "currency": "CZK"}
        )
        w.expect(user, "ledger.holding.created", "holding", holding["id"])
        await w.write(
            user,
            f"POST /api/v1/{side}/{{holding_id}}/values",
            path={"holding_id": holding["id"]},
            json={"valued_on": date.today().isoformat(), "value": "1000"},
        )
        w.expect(user, "ledger.holding.valued", "holding", holding["id"])
        await w.write(
            user,
            f"POST /api/v1/{side}/{{holding_id}}/close",
            path={"holding_id": holding["id"]},
            json={"closed_on": date.today().isoformat(), "reason": "sold"},
        )
        w.expect(user, "ledger.holding.closed", "holding", holding["id"])

    # Matching: the ledger learns of the invoice from invoicing's event, so wait for it.
    paying = await record(w, user, "income", invoice["total"])

    async def match() -> httpx.Response:
        return await user.post(
            f"/api/v1/transactions/{paying}/match", json={"invoice_id": invoice["id"]}
        )

    matched = await eventually(
        match, lambda r: r.status_code != 404, what="the ledger knows the invoice"
    )
    assert matched.status_code == 201, matched.text
    w.record("POST /api/v1/transactions/{transaction_id}/match")
    w.expect(user, "ledger.payment.matched", "payment", matched.json()["id"])
    # The invoice is covered now: payments naming it again are only suggested.
    vs = invoice["variable_symbol"]
    rejected_tx = await record(w, user, "income", "1.00", variable_symbol=vs)
    accepted_tx = await record(w, user, "income", "2.00", variable_symbol=vs)
    suggestions = await user.all_items("/api/v1/matches/suggestions", invoice_id=invoice["id"])
    by_tx = {s["transaction_id"]: s["id"] for s in suggestions}
    assert {rejected_tx, accepted_tx} <= set(by_tx), suggestions
    await w.write(
        user,
        "POST /api/v1/matches/suggestions/{suggestion_id}/reject",
        path={"suggestion_id": by_tx[rejected_tx]},
    )
    w.expect(user, "ledger.match_suggestion.rejected", "match_suggestion", by_tx[rejected_tx])
    await w.write(
        user,
        "DELETE /api/v1/transactions/{transaction_id}/match",
        path={"transaction_id": paying},
    )
    w.expect(user, "ledger.payment.unmatched", "payment", matched.json()["id"])
    accepted = await w.write(
        user,
        "POST /api/v1/matches/suggestions/{suggestion_id}/accept",
        path={"suggestion_id": by_tx[accepted_tx]},
    )
    w.expect(user, "ledger.payment.matched", "payment", accepted["id"])


async def test_every_public_write_is_in_the_trail_with_its_user_source_and_entity(system):
    w = Writes()
    owner, guest, side = await identity_writes(w, system)
    await email_change_writes(w, system)
    await integrations_writes(w, owner)
    invoice = await invoicing_writes(w, owner)
    await ledger_writes(w, owner, invoice)
    forgetful = await password_reset_writes(w, system)

    public = await write_operations(system.gateway)
    assert not set(NOT_AUDITED) - public, "an exclusion names a write that no longer exists"
    missing = sorted(public - set(NOT_AUDITED) - w.covered)
    assert not missing, f"write endpoints without a case in this test: {missing}"
    assert not {e.operation for e in w.expected} ^ w.covered, "every write expects an entry"

    readers = {id(e.reader): e.reader for e in w.expected}
    for reader in readers.values():
        wanted = [e for e in w.expected if e.reader is reader]

        async def absent(reader: KasaClient = reader, wanted: list[Expected] = wanted) -> list:
            entries = await reader.all_items("/api/v1/audit-events")
            # Writes expecting the same entry (two sign-outs, say) need one entry each.
            return [
                (e.operation, e.event_type, e.entity_id)
                for e in wanted
                if sum(found(entry, e) for entry in entries)
                < sum(same_entry(e, other) for other in wanted)
            ]

        await eventually(absent, lambda left: not left, timeout=60, what="every write in the trail")

    updated = next(
        e
        for e in await owner.all_items(
            "/api/v1/audit-events", event_type="invoicing.client.updated"
        )
    )
    assert updated["changes"]["name"] == {
        "before": "Acme",
        "after": "Acme s.r.o.",
        "redacted": False,
    }
    for client in (owner, guest, side, forgetful):
        await client.close()
