"""``kasa-<service>``: a service's own subcommands run next to serve and migrate."""

import argparse
import sys

import pytest

from kasa_servicekit import cli
from kasa_servicekit.cli import Command, service_main
from kasa_servicekit.settings import ServiceSettings


@pytest.fixture(autouse=True)
def no_migrations(monkeypatch):
    def upgrade(*args):
        raise AssertionError("a service's own command must not migrate")

    monkeypatch.setattr(cli, "upgrade", upgrade)


def run_main(monkeypatch, argv, build, commands=()) -> int:
    monkeypatch.setattr(sys, "argv", ["kasa-test", *argv])
    with pytest.raises(SystemExit) as exit_:
        service_main(build, commands)
    return exit_.value.code


def test_a_services_own_command_runs_with_the_built_spec_and_its_arguments(monkeypatch):
    spec = object()
    calls = []

    def configure(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--workspace", required=True)

    def reindex(given, args) -> int:
        calls.append((given, args.workspace))
        return 3

    command = Command("reindex", "rebuild the search index", reindex, configure)

    code = run_main(monkeypatch, ["reindex", "--workspace", "w1"], lambda: spec, [command])

    assert code == 3
    assert calls == [(spec, "w1")]


def test_an_unknown_command_is_a_usage_error(monkeypatch, capsys):
    command = Command("reindex", "rebuild the search index", lambda spec, args: 0)

    code = run_main(monkeypatch, ["reindx"], lambda: object(), [command])

    assert code == 2
    assert "reindex" in capsys.readouterr().err


def test_an_invalid_configuration_stops_before_any_command(monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)

    def build():
        return ServiceSettings()

    def reindex(spec, args) -> int:
        raise AssertionError("must not run")

    code = run_main(monkeypatch, ["reindex"], build, [Command("reindex", "…", reindex)])

    assert code == 2
    assert "invalid configuration" in capsys.readouterr().err
