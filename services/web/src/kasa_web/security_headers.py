"""The pages' content security policy (everything comes from Kasa itself, nothing inline)
and their ``Server-Timing``: how many API calls a page made and how long they took."""

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kasa_web.api_client import ApiTiming, api_timing

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", PAGE_CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]


class PageSecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        timing = ApiTiming()
        token = api_timing.set(timing)
        started = time.perf_counter()

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in HEADERS if k not in present]
                total = (time.perf_counter() - started) * 1000
                headers.append(
                    (
                        b"server-timing",
                        f'api;dur={timing.seconds * 1000:.2f};desc="{timing.calls} calls", '
                        f"page;dur={total:.2f}".encode(),
                    )
                )
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            api_timing.reset(token)
