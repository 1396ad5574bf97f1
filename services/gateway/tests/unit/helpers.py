"""Accounts and memberships set up directly in the fake store."""

from kasa_gateway.db.tables import Membership, User, Workspace
from kasa_servicekit.db import utcnow
from kasa_servicekit.ids import new_id


async def person(store, email: str, name: str = "Eva") -> User:
    user = User(id=new_id(), email=email, name=name, password_hash="-", created_at=utcnow())
    await store.tx.add(user)
    return user


async def workspace(store, name: str = "Eva s.r.o.") -> Workspace:
    made = Workspace(id=new_id(), name=name, created_at=utcnow())
    await store.tx.add(made)
    return made


async def join(store, user: User, place: Workspace, role: str) -> Membership:
    membership = Membership(user_id=user.id, workspace_id=place.id, role=role, created_at=utcnow())
    await store.tx.add(membership)
    return membership
