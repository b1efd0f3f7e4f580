"""The Flask view that serves /graphql."""

from __future__ import annotations

import logging
import sys
from types import NoneType
from typing import Any, TypeGuard

import orjson
from cross_web import FlaskHTTPRequestAdapter, HTTPException, SyncHTTPRequestAdapter
from flask import Request, Response, current_app, render_template
from flask import request as current_request
from flask.typing import ResponseReturnValue
from strawberry.flask.views import GraphQLView
from strawberry.http import GraphQLRequestData
from strawberry.http.parse_content_type import parse_content_type

from app.http.errors import error_body
from app.schema.context import Context
from app.schema.errors import BAD_USER_INPUT

logger = logging.getLogger("app.graphql")

JSON = "application/json"
UTF8 = frozenset({"utf-8", "utf8"})
NOT_AN_OPERATION = "The request body must be a JSON object: one GraphQL operation."


class RequestBody(FlaskHTTPRequestAdapter):
    @property
    def body(self) -> str:
        """The body as text, read without `request.data`'s look for form
        fields: strawberry reads the body of JSON requests only. JSON is
        UTF-8 (RFC 8259): another charset or a compressed body is refused
        (415), and bytes that are not UTF-8 are the client's error (400)."""
        environ = self.request.environ  # cheaper than the header properties
        _check_encoding(
            environ.get("HTTP_CONTENT_ENCODING"), environ.get("CONTENT_TYPE")
        )
        try:
            return self.request.get_data().decode()
        except UnicodeDecodeError:
            raise HTTPException(400, "The request body is not valid UTF-8.") from None


class ContactsGraphQLView(GraphQLView[Context, None]):
    request_adapter_class = RequestBody

    def parse_http_body(
        self, request: SyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """strawberry's, with a shortcut for what frontends send: a POST of
        JSON holding one operation, with an `Accept` that cannot ask for a
        stream. strawberry parses the content type and looks for a streaming
        transport first: more work than the rest of a small query. Anything
        else takes strawberry's own path, errors included, except JSON that
        is not an object or a list (strawberry would call `.get` on it).
        Either way, variables nested past MAX_VARIABLES_DEPTH are refused
        before graphql-core walks them."""
        operation = self._read_post(request) or super().parse_http_body(request)
        limit: int = current_app.config["MAX_VARIABLES_DEPTH"]
        for one in operation if isinstance(operation, list) else (operation,):
            _check_nesting("variables", one.variables, limit)
            _check_nesting("extensions", one.extensions, limit)
        return operation

    def _read_post(self, request: SyncHTTPRequestAdapter) -> GraphQLRequestData | None:
        """The operation of a JSON POST by the shortcut, None for strawberry."""
        if request.method != "POST" or not _reads_as_json(request.content_type):
            return None
        data = self.parse_json(request.body)
        if type(data) is not dict and type(data) is not list:
            raise HTTPException(400, NOT_AN_OPERATION)
        if _may_ask_for_a_stream(request.headers.get("Accept", "")):
            return None
        if not _is_one_operation(data):
            return None
        return GraphQLRequestData(
            query=data.get("query"),
            variables=data.get("variables"),
            operation_name=data.get("operationName"),
            extensions=data.get("extensions"),
        )

    def parse_json(self, data: str | bytes) -> Any:
        """strawberry's, where JSON the standard decoder cannot take is the
        client's error too: nesting past the recursion limit, or an integer
        of more digits than int() reads (sys.get_int_max_str_digits)."""
        try:
            return super().parse_json(data)
        except RecursionError:
            raise HTTPException(
                400, "The request body is nested too deeply to read."
            ) from None
        except ValueError:  # strawberry has made JSONDecodeError a 400 already
            digits = sys.get_int_max_str_digits()
            raise HTTPException(
                400, f"The request body holds a number of more than {digits} digits."
            ) from None

    def dispatch_request(self) -> ResponseReturnValue:
        """strawberry's, with its refusals (an unreadable body, a batch, a
        mutation over GET, …) in the contract's JSON shape, not plain text."""
        try:
            return self.run(request=current_request)
        except HTTPException as error:
            return error_body(error.reason), error.status_code

    def get_context(self, request: Request, response: Response) -> Context:
        return Context(request=request, response=response)

    def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page (app/templates/graphiql.html): its scripts and
        styles are served from app/static/graphiql/, never from a CDN."""
        return Response(render_template("graphiql.html"), mimetype="text/html")

    def encode_json(self, data: object) -> str | bytes:
        """orjson, several times faster than json on a page of contacts.
        What it refuses (a lone surrogate echoed in an error message, an
        integer beyond 64 bits) falls back to the standard encoder. A
        response over MAX_RESPONSE_BYTES is replaced by an error: the cost
        limit counts list items, not the bytes of the text in them."""
        try:
            encoded: str | bytes = orjson.dumps(data)
        except TypeError:
            encoded = super().encode_json(data)
        return _within_response_limit(encoded)


def _within_response_limit(encoded: str | bytes) -> str | bytes:
    """`encoded`, or the error that says it is over MAX_RESPONSE_BYTES."""
    limit: int = current_app.config["MAX_RESPONSE_BYTES"]
    size = len(encoded) if isinstance(encoded, bytes) else len(encoded.encode())
    if size <= limit:
        return encoded
    logger.warning("response of %d bytes refused (MAX_RESPONSE_BYTES)", size)
    message = (
        f"The response is larger than the limit of {limit} bytes "
        "(MAX_RESPONSE_BYTES). Ask for fewer fields or smaller pages."
    )
    return orjson.dumps(
        {
            "data": None,
            "errors": [{"message": message, "extensions": {"code": BAD_USER_INPUT}}],
        }
    )


def _may_ask_for_a_stream(accept: str) -> bool:
    """Whether strawberry's streaming transports (multipart/mixed and
    text/event-stream) could take an `Accept` header of this value."""
    accept = accept.lower()
    return "multipart" in accept or "event-stream" in accept


def _is_one_operation(data: object) -> TypeGuard[dict[str, Any]]:
    """A JSON object whose members are of the types strawberry accepts."""
    return (
        type(data) is dict
        and isinstance(data.get("query"), (str, NoneType))
        and isinstance(data.get("variables"), (dict, NoneType))
        and isinstance(data.get("extensions"), (dict, NoneType))
    )


def _reads_as_json(content_type: str | None) -> bool:
    """Whether strawberry reads a body of this `Content-Type` as JSON; plain
    `application/json` without parsing the header."""
    if content_type == JSON:
        return True
    return "application/json" in parse_content_type(content_type or "")[0]


def _check_encoding(content_encoding: str | None, content_type: str | None) -> None:
    """415 for a body that is compressed or declared in a charset other than
    UTF-8: read as UTF-8 it would be garbage, or a UnicodeDecodeError."""
    if content_encoding and content_encoding.lower() != "identity":
        raise HTTPException(
            415,
            f"Content-Encoding {content_encoding} is not accepted; "
            "send the body uncompressed.",
        )
    if content_type == JSON:
        return
    charset = parse_content_type(content_type or "")[1].get("charset", "utf-8")
    if charset.lower() not in UTF8:
        raise HTTPException(415, f"The request body must be UTF-8, not {charset}.")


def _check_nesting(member: str, value: object, limit: int) -> None:
    """400 when `value` nests lists and objects more than `limit` levels
    deep (itself the first; MAX_VARIABLES_DEPTH). Level by level, without
    recursion, so that no depth can exhaust the stack here."""
    level = [value] if isinstance(value, (dict, list)) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            raise HTTPException(
                400,
                f"`{member}` are nested deeper than {limit} levels "
                "(MAX_VARIABLES_DEPTH).",
            )
        level = [
            child
            for container in level
            for child in (container.values() if type(container) is dict else container)
            if isinstance(child, (dict, list))
        ]
