"""No cookie sessions: a client proves who it is with a bearer token on
every request, so the API keeps nothing in cookies. Flask's default
interface would still build a signing serializer for every request."""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin


class NoSessions(SessionInterface):
    """Every request gets Flask's null session, which refuses writes."""

    def open_session(self, app: Flask, request: Request) -> None:
        return None

    def save_session(
        self, app: Flask, session: SessionMixin, response: Response
    ) -> None:
        """Never called: Flask saves no null session."""
