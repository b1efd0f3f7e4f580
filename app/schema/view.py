"""The Flask view that serves /graphql."""

from __future__ import annotations

from flask import Request, Response, render_template
from strawberry.flask.views import GraphQLView

from app.schema.context import Context


class ContactsGraphQLView(GraphQLView[Context, None]):
    def get_context(self, request: Request, response: Response) -> Context:
        return Context(request=request, response=response)

    def render_graphql_ide(self, request: Request) -> Response:
        """Our GraphiQL page (app/templates/graphiql.html): its scripts and
        styles are served from app/static/graphiql/, never from a CDN."""
        return Response(render_template("graphiql.html"), mimetype="text/html")
