"""Refuses request bodies above a size limit with 413, declared or streamed."""

from contextlib import suppress

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kasa_gateway.guards import header, send_problem


class BodyTooLargeError(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        detail = f"the request body is larger than {self.max_bytes} bytes"
        declared = header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            await send_problem(send, 413, "Content Too Large", detail, scope["path"])
            return
        received = 0
        too_large = answered = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    raise BodyTooLargeError
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal answered
            # Whatever the app makes of the interrupted body (an error, a proxy failure), the
            # caller is told the one true reason.
            if too_large:
                if not answered:
                    answered = True
                    await send_problem(send, 413, "Content Too Large", detail, scope["path"])
                return
            if message["type"] == "http.response.start":
                answered = True
            await send(message)

        with suppress(BodyTooLargeError):
            await self.app(scope, counting_receive, guarded_send)
        if too_large and not answered:
            await send_problem(send, 413, "Content Too Large", detail, scope["path"])
