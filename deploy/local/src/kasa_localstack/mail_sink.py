"""A real SMTP server on loopback that keeps every message it accepts.

``make run`` starts one so the mail Kasa sends can be read under ``.data/mail/`` (one ``.eml``
file per message, and one line on the console with its recipient and subject). Tests start
their own to receive mail exactly as a provider would, and can make it refuse mail.
"""

import asyncio
import time
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class _Keeper:
    def __init__(self, sink: "MailSink") -> None:
        self.sink = sink

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.sink.refusing:
            return "550 5.7.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode()
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.sink.keep(message, list(envelope.rcpt_tos))
        return "250 Message accepted"


class MailSink:
    """An SMTP server on ``127.0.0.1:port`` that stores what it receives.

    ``messages`` holds every accepted message in order; with ``folder`` each is also written
    as an ``.eml`` file. ``refusing`` makes it answer 550 to every recipient.
    """

    def __init__(
        self,
        port: int,
        folder: Path | None = None,
        announce: Callable[[str], None] | None = None,
    ) -> None:
        self.port = port
        self.folder = folder
        self.announce = announce
        self.refusing = False
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._controller: Controller | None = None

    def start(self) -> "MailSink":
        self._controller = Controller(_Keeper(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def keep(self, message: EmailMessage, recipients: list[str]) -> None:
        self.messages.append(message)
        self.recipients.append(recipients)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            stamp = time.strftime("%Y%m%d-%H%M%S")
            name = f"{stamp}-{len(self.messages):05d}.eml"
            (self.folder / name).write_bytes(message.as_bytes())
        if self.announce is not None:
            self.announce(f"mail to {', '.join(recipients)}: {message['Subject']}")

    def to(self, address: str, kind: str | None = None) -> list[EmailMessage]:
        """The messages delivered to ``address`` (only Kasa's mails of ``kind``, if given:
        ``password_reset``, ``email_verification``, ``invoice``…)."""
        return [
            m
            for m, rcpts in zip(self.messages, self.recipients, strict=True)
            if address in rcpts and kind in (None, m["X-Kasa-Mail"])
        ]

    async def wait_for(
        self,
        count: int,
        address: str | None = None,
        timeout_s: float = 30.0,
        kind: str | None = None,
    ) -> list[EmailMessage]:
        """Wait (bounded) until ``count`` messages arrived (to ``address`` and of ``kind``, if
        given)."""
        deadline = time.monotonic() + timeout_s
        while True:
            if address:
                found = self.to(address, kind)
            else:
                found = [m for m in self.messages if kind in (None, m["X-Kasa-Mail"])]
            if len(found) >= count or time.monotonic() > deadline:
                return found
            await asyncio.sleep(0.05)


def link_token(message: EmailMessage) -> str:
    """The ``token=…`` of the link in a mail's plain text (a reset or verification link)."""
    body = message.get_body(("plain",))
    assert body is not None, "the mail has no plain-text part"
    text = str(body.get_content())
    return text.split("token=")[1].split()[0]
