"""A request id on every request: the caller's `X-Request-ID` when it is a
sane token, a new one otherwise; echoed in the response header, so that a
user can quote it and an operator can find the matching log lines."""

from __future__ import annotations

import re
import uuid

from flask import Flask, Response, g, has_request_context, request

HEADER = "X-Request-ID"
ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str | None:
    if not has_request_context():
        return None
    request_id: str | None = g.get("request_id")
    return request_id


def assign_request_id() -> None:
    given = request.headers.get(HEADER, "")
    g.request_id = given if ACCEPTABLE.match(given) else uuid.uuid4().hex


def echo_request_id(response: Response) -> Response:
    request_id = current_request_id()
    if request_id:
        response.headers[HEADER] = request_id
    return response


def init_request_ids(app: Flask) -> None:
    app.before_request(assign_request_id)
    app.after_request(echo_request_id)
