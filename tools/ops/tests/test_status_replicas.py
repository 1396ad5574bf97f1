"""``kasa status`` over several replicas of a service: ready only when every one is."""

import json

from typer.testing import CliRunner

from kasa_ops.cli import app, status

runner = CliRunner()


def test_a_service_is_ready_only_when_each_of_its_replicas_is(monkeypatch):
    monkeypatch.setenv("KASA_LEDGER_OPS_URL", "http://ledger-0:9102,http://ledger-1:9102")
    monkeypatch.setenv("KASA_AUDIT_OPS_URL", "http://audit-0:9104,http://audit-1:9104")
    monkeypatch.setenv("OPS_TOKEN", "t" * 43)

    async def collect(config):
        return {
            "broker": {"reachable": True},
            "services": [
                {"service": name, "url": config.url(name), "ready": True, "version": "1"}
                for name in ("ledger", "audit", "gateway")
            ],
        }

    async def replica(url):
        return {"url": url, "ready": url != "http://audit-1:9104", "version": "1"}

    monkeypatch.setattr(status, "collect", collect)
    monkeypatch.setattr(status, "_replica", replica)

    result = runner.invoke(app, ["status", "--json"])

    assert result.exit_code == 0, result.output
    by_name = {s["service"]: s for s in json.loads(result.output)["services"]}
    assert by_name["ledger"]["ready"] is True
    assert [r["url"] for r in by_name["ledger"]["replicas"]] == [
        "http://ledger-0:9102",
        "http://ledger-1:9102",
    ]
    assert by_name["audit"]["ready"] is False, "one replica of two is not ready"
    assert [r["ready"] for r in by_name["audit"]["replicas"]] == [True, False]
    assert "replicas" not in by_name["gateway"], "one listener: reported as before"

    table = runner.invoke(app, ["status"])
    assert "2/2" in table.output and "1/2" in table.output
