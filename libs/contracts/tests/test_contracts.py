from datetime import UTC, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from pydantic import TypeAdapter, ValidationError

from kasa_contracts import CATALOG, Actor, Envelope, parse_envelope
from kasa_contracts.catalog import UnknownEventError
from kasa_contracts.events.integrations import BankAccountRef, TransactionImported
from kasa_contracts.snapshots import stale_files
from kasa_contracts.types import MoneyAmount


def imported(**overrides):
    fields = dict(
        plugin="demo",
        plugin_version="1.0.0",
        sync_id=uuid4(),
        account=BankAccountRef(
            provider_account_id="a1", iban="CZ6508000000192000145399", currency="CZK"
        ),
        external_id="tx-1",
        booking_date="2026-01-31",
        amount="1234.50",
        direction="income",
        currency="CZK",
        variable_symbol="0012345",
    )
    return TransactionImported(**(fields | overrides))


def envelope(payload):
    return Envelope[type(payload)](
        event_id=uuid4(),
        event_type=payload.event_type,
        event_version=payload.event_version,
        occurred_at=datetime.now(UTC),
        producer="integrations",
        workspace_id=uuid4(),
        actor=Actor(type="plugin", id="demo", name="Demo bank"),
        payload=payload,
    )


def test_snapshots_match_the_models():
    assert stale_files() == [], "run `make contracts` and commit the regenerated snapshots"


def test_amount_travels_as_an_exact_decimal_string():
    env = envelope(imported(amount="0.10"))
    wire = env.model_dump_json()
    assert '"amount":"0.10"' in wire
    back = parse_envelope(wire)
    assert back.payload.amount == Decimal("0.10")
    assert back.payload.variable_symbol == "0012345"


@pytest.mark.parametrize("amount", [0.1, "-5", "0", "abc", "1.23456"])
def test_float_negative_zero_or_garbage_amounts_are_refused(amount):
    with pytest.raises(ValidationError):
        imported(amount=amount)


def test_unknown_event_type_is_refused():
    with pytest.raises(UnknownEventError):
        parse_envelope(b'{"event_type": "nope.nothing.happened", "event_version": 1}')


def test_every_event_names_its_entity_and_routing_key():
    for key, spec in CATALOG.items():
        assert key == f"{spec.payload.event_type}.v{spec.payload.event_version}"
        assert spec.payload.entity_id_field in spec.payload.model_fields
        assert key.split(".")[0] in {"integrations", "ledger", "invoicing", "identity", "audit"}


@pytest.mark.parametrize(
    ("value", "stored"),
    [("-1250.5", Decimal("-1250.5")), ("0", Decimal(0)), ("99999999999999.9999", None)],
)
def test_a_money_amount_takes_either_sign_within_what_can_be_stored(value, stored):
    amount = TypeAdapter(MoneyAmount)
    assert amount.validate_python(value) == (stored if stored is not None else Decimal(value))
    for unstorable in ("404124.03226061", "1e20", "100000000000000"):
        with pytest.raises(ValidationError):
            amount.validate_python(unstorable)
