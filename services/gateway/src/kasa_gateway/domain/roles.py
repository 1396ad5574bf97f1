"""Who may manage whom inside a workspace."""

ROLES = ("owner", "admin", "member", "viewer")
MANAGERS = ("owner", "admin")


def can_manage_members(role: str) -> bool:
    return role in MANAGERS


def can_assign(actor_role: str, target_role: str, new_role: str | None = None) -> bool:
    """Owners manage everyone; admins manage everyone but owners and cannot make owners."""
    if actor_role == "owner":
        return True
    if actor_role == "admin":
        return target_role != "owner" and new_role != "owner"
    return False
