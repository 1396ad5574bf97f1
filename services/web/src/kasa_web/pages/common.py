"""What every page module shares: the API client, the signed-in viewer, forms and rendering."""

from typing import Annotated, Any

from fastapi import Depends, Request

from kasa_web.api_client import Api


async def get_api(request: Request) -> Api:
    return request.app.state.api


ApiDep = Annotated[Api, Depends(get_api)]


def safe_next(target: str | None, default: str = "/") -> str:
    """Only a path of this site: never an open redirect to somewhere else."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def page(items: Any) -> list[Any]:
    """The items of a cursor page (``{"items": [...], "next_cursor": ...}``) or a plain list."""
    if isinstance(items, dict):
        return list(items.get("items", []))
    return list(items or [])
