"""Mail: messages through Flask-Mailman, sent by a worker thread.

`MAIL_BACKEND` says where a message goes: `smtp` (production; `MAIL_SERVER`,
`MAIL_PORT`, `MAIL_USE_TLS` for STARTTLS or `MAIL_USE_SSL` for implicit TLS,
`MAIL_USERNAME`, `MAIL_PASSWORD`, `MAIL_TIMEOUT`), `console` (development:
printed to standard output, whole), `locmem` (tests that read no mail).

The `Outbox` runs work that must not hold up a request, e.g. everything a
password-reset request does after its answer is decided: an answer that
waits for an SMTP server would take longer for an address that has an
account than for one that has none. Work that fails is logged by the type
of its error only (an SMTP reply can quote addresses; messages carry
tokens), never retried.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from flask_mailman import EmailMessage

from app.extensions import mail

logger = logging.getLogger(__name__)

Job = Callable[[], None]
OUTBOX_CAPACITY = 1000  # jobs waiting in one process; more are dropped
DRAIN_AT_EXIT_SECONDS = 15.0


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str


def init_mail(app: Flask) -> None:
    mail.init_app(app)


def send(message: Message) -> None:
    """Send `message` now from MAIL_DEFAULT_SENDER through MAIL_BACKEND (in
    an app context); raises what the backend raises when it cannot."""
    EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.to],
        connection=mail.get_connection(),
    ).send()


class Outbox:
    """Jobs run one at a time on a daemon thread of this process, each in
    its app's context, in the order they came.

    At most `capacity` wait; past that a job is dropped with a warning (the
    rate limits keep a real queue far shorter). The thread starts with the
    first job, so a worker forked from a process that had one starts its
    own, and the process waits up to DRAIN_AT_EXIT_SECONDS at exit for the
    jobs still waiting (gunicorn's graceful stop).
    """

    def __init__(self, capacity: int = OUTBOX_CAPACITY) -> None:
        self.capacity = capacity
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._jobs: deque[tuple[Flask, str, Job]] = deque()
        self._pending = 0  # waiting or running
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None

    def submit(self, app: Flask, name: str, job: Job) -> bool:
        """Queue `job` (called `name` in logs); False when it was dropped."""
        with self._condition:
            if self._pending >= self.capacity:
                logger.warning("outbox full (%d jobs); dropped %s", self._pending, name)
                return False
            self._jobs.append((app, name, job))
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="outbox", daemon=True
                )
                self._thread.start()
            self._condition.notify_all()
        return True

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job waits or runs; False if `timeout` seconds passed."""
        with self._condition:
            return self._condition.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: bool(self._jobs))
                app, name, job = self._jobs.popleft()
            try:
                with app.app_context():
                    job()
            except Exception as error:
                logger.error("%s failed (%s)", name, type(error).__name__)
            finally:
                with self._condition:
                    self._pending -= 1
                    self._condition.notify_all()


OUTBOX = Outbox()
atexit.register(OUTBOX.wait_idle, DRAIN_AT_EXIT_SECONDS)
