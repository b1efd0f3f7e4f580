"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, keeping every
message that arrives, parsed, for a test to read."""

from __future__ import annotations

import asyncio
import email
import logging
import re
import socket
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

LINK = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Received:
    """One message as the server got it: the envelope and the parsed mail."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None, "no text/plain part"
        text: str = part.get_content()  # type: ignore[attr-defined]
        return text

    def links(self) -> list[str]:
        return LINK.findall(self.body)


class SmtpServer:
    """The handler of an aiosmtpd Controller (its `handle_DATA` hook) and
    what arrived, in order."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.delay = 0.0  # seconds to wait before accepting each message
        self._arrived = threading.Condition()
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(message, EmailMessage)
        with self._arrived:
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), message)
            )
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The messages once at least `count` arrived (AssertionError after
        `timeout` seconds)."""
        with self._arrived:
            arrived = self._arrived.wait_for(
                lambda: len(self.received) >= count, timeout
            )
            assert arrived, f"{len(self.received)} of {count} messages arrived"
            return list(self.received)

    def clear(self) -> None:
        with self._arrived:
            self.received.clear()
            self.delay = 0.0

    def settings(self) -> dict[str, Any]:
        """The app settings that send mail here."""
        return {
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": self.port,
            "MAIL_USE_TLS": False,
            "MAIL_USE_SSL": False,
            "MAIL_USERNAME": None,
            "MAIL_PASSWORD": None,
        }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_smtp_server() -> tuple[SmtpServer, Controller]:
    # aiosmtpd logs every SMTP command at INFO; the tests read the messages.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    handler = SmtpServer()
    handler.port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
    controller.start()
    return handler, controller
