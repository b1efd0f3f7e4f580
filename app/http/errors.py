"""Refusals made before any GraphQL runs, in the contract's JSON shape: a
body over MAX_CONTENT_LENGTH, or an import's over IMPORT_MAX_BYTES (413),
and any other HTTP error (an unknown path, a method /graphql does not
take), never Werkzeug's HTML page."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response


def error_body(
    message: str, code: str = "BAD_USER_INPUT", **extensions: object
) -> dict[str, Any]:
    """The body of a refusal made before any GraphQL runs (a request too
    large, too frequent or unreadable): one error in the contract's shape."""
    return {
        "errors": [{"message": message, "extensions": {"code": code, **extensions}}]
    }


def body_too_large(_error: RequestEntityTooLarge) -> tuple[dict[str, Any], int]:
    """The limit that applied: MAX_CONTENT_LENGTH, or for a POST to
    /graphql over that, IMPORT_MAX_BYTES (app/http/body_limit.py)."""
    limit = request.max_content_length
    setting = (
        "MAX_CONTENT_LENGTH"
        if limit == current_app.config["MAX_CONTENT_LENGTH"]
        else "IMPORT_MAX_BYTES"
    )
    message = f"The request body is larger than the limit of {limit} bytes ({setting})."
    return error_body(message), 413


def http_error(error: HTTPException) -> Response:
    """Werkzeug's error as JSON in the contract's shape, never its HTML
    page; its headers (a 405's `Allow`) are kept."""
    response = error.get_response()
    response.set_data(json.dumps(error_body(f"{error.name}.")))
    response.content_type = "application/json"
    return response


def init_error_bodies(app: Flask) -> None:
    app.register_error_handler(RequestEntityTooLarge, body_too_large)
    app.register_error_handler(HTTPException, http_error)
