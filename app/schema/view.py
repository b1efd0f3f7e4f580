"""The Flask view that serves /graphql."""

from __future__ import annotations

from flask import Request, Response
from strawberry.flask.views import GraphQLView

from app.schema.context import Context


class ContactsGraphQLView(GraphQLView[Context, None]):
    def get_context(self, request: Request, response: Response) -> Context:
        return Context(request=request, response=response)
