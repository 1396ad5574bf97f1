"""The instance operator: granted and revoked by a command, carried by the access token, the
only caller ``/api/v1/operator`` lets through; without its settings the API says what is
missing."""

import argparse

import jwt
import pytest
from pydantic import ValidationError

from kasa_gateway.commands import operator_role
from kasa_gateway.main import build
from kasa_gateway.settings import GatewaySettings

from .conftest import bearer, events, login, register

EMAIL = "eva@example.com"


def claims(tokens) -> dict:
    return jwt.decode(tokens["access_token"], options={"verify_signature": False})


def command(run, email: str = EMAIL) -> int:
    return run(build(), argparse.Namespace(email=email))


def test_an_ordinary_user_is_refused_before_the_body_is_read(client):
    register(client)
    tokens = login(client)
    assert "operator" not in claims(tokens)

    status = client.get("/api/v1/operator/status", headers=bearer(tokens))
    assert status.status_code == 403
    assert status.headers["content-type"] == "application/problem+json"
    assert status.json()["required_role"] == "operator"
    garbage = client.post(
        "/api/v1/operator/queues/ledger.transactions/parked/requeue",
        content=b"{not json",
        headers={**bearer(tokens), "content-type": "application/json"},
    )
    assert garbage.status_code == 403, garbage.text


def test_the_operator_api_is_marked_operator_in_the_api_document(client):
    document = client.get("/api/v1/openapi.json").json()
    requeue = document["paths"]["/api/v1/operator/queues/{queue}/parked/requeue"]["post"]
    assert requeue["x-kasa-min-role"] == "operator"


def test_a_granted_operator_gets_the_claim_and_is_told_what_is_not_configured(client, capsys):
    register(client)
    assert command(operator_role.grant) == 0
    assert "is now an instance operator" in capsys.readouterr().out
    assert command(operator_role.grant) == 0
    assert "already" in capsys.readouterr().out
    tokens = login(client)
    assert claims(tokens)["operator"] is True

    answer = client.get("/api/v1/operator/status", headers=bearer(tokens))

    assert answer.status_code == 503, answer.text
    problem = answer.json()
    assert "OPERATOR_AMQP_URL" in problem["missing_settings"]
    assert "LEDGER_OPS_URL" in problem["missing_settings"]
    assert "GATEWAY_OPS_URL" not in problem["missing_settings"]  # its own listener by default
    assert "OPERATOR_AMQP_URL" in problem["detail"]


def test_an_unknown_email_is_refused_by_the_command(client, capsys):
    assert command(operator_role.grant, "nobody@example.com") == 1
    assert "no such user" in capsys.readouterr().err


def test_revoking_ends_the_operators_sessions_and_the_claim(client, capsys):
    register(client)
    command(operator_role.grant)
    tokens = login(client)
    assert claims(tokens)["operator"] is True

    assert command(operator_role.revoke) == 0
    assert "1 session(s) ended" in capsys.readouterr().out

    [revoked] = [
        e
        for e in events(client, "identity.session.revoked.v1")
        if e.payload.reason == "operator_revoked"
    ]
    assert [str(s) for s in revoked.payload.session_ids] == [claims(tokens)["sid"]]
    assert "operator" not in claims(login(client))
    assert command(operator_role.revoke) == 0
    assert "was no instance operator" in capsys.readouterr().out


def test_the_operator_broker_user_must_be_the_replay_user(gateway_env):
    gateway_env.setenv("OPERATOR_AMQP_URL", "amqp://kasa-ledger:secret@127.0.0.1:5672/")
    with pytest.raises(ValidationError, match="replay user kasa-ops"):
        GatewaySettings()
    gateway_env.setenv("OPERATOR_AMQP_URL", "amqp://kasa-ops:secret@127.0.0.1:5672/")
    assert GatewaySettings().operator_settings_missing() == [
        "INTEGRATIONS_OPS_URL",
        "LEDGER_OPS_URL",
        "INVOICING_OPS_URL",
        "AUDIT_OPS_URL",
    ]
