"""``kasa-gateway grant-operator EMAIL`` and ``revoke-operator EMAIL``: who may operate the
instance through ``/api/v1/operator`` and the web's operator pages."""

import argparse
import asyncio
import sys

from kasa_gateway.app import operator_role
from kasa_gateway.db.identities import IdentityStore
from kasa_gateway.domain.errors import UnknownEntity
from kasa_gateway.settings import GatewaySettings
from kasa_servicekit.cli import Command
from kasa_servicekit.db import Database
from kasa_servicekit.events import EventWriter
from kasa_servicekit.service import ServiceSpec


def _email(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("email", help="the user's email")


def _settings(spec: ServiceSpec) -> GatewaySettings:
    settings = spec.settings
    assert isinstance(settings, GatewaySettings)
    return settings


def grant(spec: ServiceSpec, args: argparse.Namespace) -> int:
    settings = _settings(spec)

    async def run() -> bool:
        db = Database(settings.database_url)
        try:
            return await operator_role.grant(IdentityStore(db), args.email)
        finally:
            await db.dispose()

    try:
        changed = asyncio.run(run())
    except UnknownEntity as exc:
        print(f"no such user: {exc.detail}", file=sys.stderr)
        return 1
    print(
        f"{args.email} is now an instance operator"
        if changed
        else f"{args.email} was an instance operator already"
    )
    return 0


def revoke(spec: ServiceSpec, args: argparse.Namespace) -> int:
    settings = _settings(spec)

    async def run() -> int | None:
        db = Database(settings.database_url)
        try:
            store = IdentityStore(db)
            return await operator_role.revoke(store, EventWriter("gateway"), settings, args.email)
        finally:
            await db.dispose()

    try:
        ended = asyncio.run(run())
    except UnknownEntity as exc:
        print(f"no such user: {exc.detail}", file=sys.stderr)
        return 1
    if ended is None:
        print(f"{args.email} was no instance operator")
    else:
        print(f"{args.email} is no longer an instance operator; {ended} session(s) ended")
    return 0


GRANT = Command(
    name="grant-operator",
    help="make a user an instance operator (status and parked messages, in the API and pages)",
    run=grant,
    configure=_email,
)
REVOKE = Command(
    name="revoke-operator",
    help="take the instance operator away from a user and end their sessions",
    run=revoke,
    configure=_email,
)
