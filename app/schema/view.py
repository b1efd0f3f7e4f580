"""The Flask view that serves /graphql."""

from __future__ import annotations

from types import NoneType
from typing import Any

import orjson
from cross_web import FlaskHTTPRequestAdapter, SyncHTTPRequestAdapter
from flask import Request, Response, render_template
from strawberry.flask.views import GraphQLView
from strawberry.http import GraphQLRequestData

from app.schema.context import Context

JSON = "application/json"


class RequestBody(FlaskHTTPRequestAdapter):
    @property
    def body(self) -> str:
        """The body as text, read without `request.data`'s look for form
        fields: strawberry reads the body of JSON requests only."""
        return self.request.get_data().decode()


class ContactsGraphQLView(GraphQLView[Context, None]):
    request_adapter_class = RequestBody

    def parse_http_body(
        self, request: SyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """strawberry's, with a shortcut for what frontends send: a POST of
        `application/json` (no parameters) holding one operation, with an
        `Accept` that cannot ask for a stream. strawberry parses the content
        type and looks for a streaming transport first: more work than the
        rest of a small query. Anything else takes strawberry's own path,
        errors included."""
        if (
            request.method == "POST"
            and request.content_type == JSON
            and not _may_ask_for_a_stream(request.headers.get("Accept", ""))
        ):
            data = self.parse_json(request.body)
            if _is_one_operation(data):
                return GraphQLRequestData(
                    query=data.get("query"),
                    variables=data.get("variables"),
                    operation_name=data.get("operationName"),
                    extensions=data.get("extensions"),
                )
        return super().parse_http_body(request)

    def get_context(self, request: Request, response: Response) -> Context:
        return Context(request=request, response=response)

    def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page (app/templates/graphiql.html): its scripts and
        styles are served from app/static/graphiql/, never from a CDN."""
        return Response(render_template("graphiql.html"), mimetype="text/html")

    def encode_json(self, data: object) -> str | bytes:
        """orjson, several times faster than json on a page of contacts.
        What it refuses (a lone surrogate echoed in an error message, an
        integer beyond 64 bits) falls back to the standard encoder."""
        try:
            return orjson.dumps(data)
        except TypeError:
            return super().encode_json(data)


def _may_ask_for_a_stream(accept: str) -> bool:
    """Whether strawberry's streaming transports (multipart/mixed and
    text/event-stream) could take an `Accept` header of this value."""
    accept = accept.lower()
    return "multipart" in accept or "event-stream" in accept


def _is_one_operation(data: Any) -> bool:
    """A JSON object whose members are of the types strawberry accepts."""
    return (
        type(data) is dict
        and isinstance(data.get("query"), (str, NoneType))
        and isinstance(data.get("variables"), (dict, NoneType))
        and isinstance(data.get("extensions"), (dict, NoneType))
    )
