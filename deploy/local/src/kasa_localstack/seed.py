"""Demo data through the public API: a demo user, workspace and a first bank sync."""

import time

import httpx

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "kasa-demo-password"  # noqa: S105 - the documented demo login
DEMO_SYNC_COUNT = 250


def seed(gateway_url: str) -> dict[str, str]:
    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        response = client.post(
            "/api/v1/auth/register",
            json={
                "email": DEMO_EMAIL,
                "password": DEMO_PASSWORD,
                "name": "Dana Demo",
                "workspace_name": "Demo Studio s.r.o.",
            },
        )
        if response.status_code not in (201, 409):
            response.raise_for_status()
        token = (
            client.post("/api/v1/auth/token", json={"email": DEMO_EMAIL, "password": DEMO_PASSWORD})
            .raise_for_status()
            .json()["access_token"]
        )
        headers = {"Authorization": f"Bearer {token}"}
        syncs = client.get("/api/v1/syncs", headers=headers).raise_for_status().json()
        if not syncs["items"]:
            sync = (
                client.post(
                    "/api/v1/plugins/demo/syncs", json={"count": DEMO_SYNC_COUNT}, headers=headers
                )
                .raise_for_status()
                .json()
            )
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                state = client.get(f"/api/v1/syncs/{sync['id']}", headers=headers).json()
                if state["status"] in ("completed", "failed"):
                    break
                time.sleep(0.5)
    return {"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "token": token}
