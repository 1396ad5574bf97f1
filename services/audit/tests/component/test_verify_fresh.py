from uuid import uuid4


def test_a_workspace_without_a_trail_verifies_as_empty(client, token):
    response = client.get(
        "/api/v1/audit-events/verify", headers={"Authorization": f"Bearer {token(uuid4())}"}
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "checked": 0, "first_broken": None}
