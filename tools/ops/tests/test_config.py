"""Where ``kasa`` finds the ops listeners, the operator token and its broker user."""

import json

from kasa_ops.config import OpsConfig


def clean(monkeypatch, tmp_path):
    for name in ("OPS_TOKEN", "KASA_OPS_TOKEN_FILE", "AMQP_URL", "KASA_LEDGER_OPS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KASA_DATA_DIR", str(tmp_path))


def test_the_local_stacks_ops_listeners_token_and_replay_user_are_found(monkeypatch, tmp_path):
    clean(monkeypatch, tmp_path)
    (tmp_path / "ops-token").write_text("t" * 43 + "\n")
    (tmp_path / "broker-users.json").write_text(json.dumps({"kasa-ops": "pa/ss"}))

    config = OpsConfig.from_env()

    assert config.url("gateway") == "http://127.0.0.1:9000"
    assert config.url("ledger") == "http://127.0.0.1:9102"
    assert config.headers == {"Authorization": f"Bearer {'t' * 43}"}
    assert config.amqp_url == "amqp://kasa-ops:pa%2Fss@127.0.0.1:5672/"
    assert config.broker_user == "kasa-ops"


def test_the_environment_wins(monkeypatch, tmp_path):
    clean(monkeypatch, tmp_path)
    (tmp_path / "ops-token").write_text("from the file")
    monkeypatch.setenv("OPS_TOKEN", "from the environment")
    monkeypatch.setenv("AMQP_URL", "amqp://ops-user:x@broker:5672/kasa")
    monkeypatch.setenv("KASA_LEDGER_OPS_URL", "http://ledger:9102")

    config = OpsConfig.from_env()

    assert config.ops_token == "from the environment"
    assert config.url("ledger") == "http://ledger:9102"
    assert config.broker_user == "ops-user"


def test_without_a_token_kasa_sends_none(monkeypatch, tmp_path):
    clean(monkeypatch, tmp_path)
    assert OpsConfig.from_env().headers == {}


def test_a_service_of_several_replicas_lists_each_ones_listener(monkeypatch, tmp_path):
    clean(monkeypatch, tmp_path)
    monkeypatch.setenv("KASA_LEDGER_OPS_URL", "http://ledger-0:9102, http://ledger-1:9102,")

    config = OpsConfig.from_env()

    assert config.replica_urls["ledger"] == ("http://ledger-0:9102", "http://ledger-1:9102")
    assert config.url("ledger") == "http://ledger-0:9102", "other commands talk to the first"
    assert config.replica_urls["audit"] == (config.url("audit"),)
