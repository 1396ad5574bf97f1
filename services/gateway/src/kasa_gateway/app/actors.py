"""Who the gateway's events name as their actor: the person, or the gateway itself."""

from kasa_contracts import Actor
from kasa_gateway.db.tables import User

SYSTEM = Actor(type="system", id="gateway")
"""The gateway, for what it records on nobody's proven behalf (a failed sign-in, a reset)."""


def user_actor(user: User) -> Actor:
    return Actor(type="user", id=str(user.id), name=user.name)
