"""How the page's language names what the API reports by a code (a sync's status, say).

Pages share these so one code reads the same on every screen.
"""

from kasa_web.rendering import gettext as _


def sync_status(status: str | None) -> str:
    labels = {
        "pending": _("Pending"),
        "running": _("Running"),
        "completed": _("Completed"),
        "failed": _("Failed"),
        "cancelled": _("Cancelled"),
    }
    return labels.get(status or "", status or "")
