"""Errors in `errors[]`: every one carries a contract code in
`extensions.code`, and unexpected ones are logged and, in production, masked."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from app.errors import ApiError
from app.http.request_id import current_request_id

logger = logging.getLogger("app.graphql")

MASKED_MESSAGE = "Unexpected error."
INTERNAL = "INTERNAL_SERVER_ERROR"
BAD_USER_INPUT = "BAD_USER_INPUT"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"


def is_unexpected(error: GraphQLError) -> bool:
    """An exception from our code or a library, rather than a rule of the
    API or of GraphQL (syntax, validation, variable coercion)."""
    original = error.original_error
    return original is not None and not isinstance(original, (ApiError, GraphQLError))


def log_unexpected(errors: list[GraphQLError]) -> None:
    for error in errors:
        if is_unexpected(error):
            logger.error(
                "unexpected error in %s (request id %s)",
                ".".join(str(part) for part in error.path or ()) or "operation",
                current_request_id(),
                exc_info=error.original_error,
            )


def masked_message(request_id: str | None) -> str:
    if request_id is None:
        return MASKED_MESSAGE
    return f"{MASKED_MESSAGE} Request id: {request_id}."


class ErrorCodes(SchemaExtension):
    """Rewrites each error of the result into the contract's shape.

    With `mask`, unexpected errors say only "Unexpected error." and the
    request id.
    """

    def __init__(self, *, mask: bool) -> None:
        self.mask = mask

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [self.format(error) for error in result.errors]

    def format(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if isinstance(original, ApiError):
            return self._with(
                error, original.message, {"code": original.code, **original.extensions}
            )
        if is_unexpected(error):
            request_id = current_request_id()
            message = masked_message(request_id) if self.mask else error.message
            return self._with(
                error, message, {"code": INTERNAL, "requestId": request_id}
            )
        default = (
            PARSE_FAILED if isinstance(error, GraphQLSyntaxError) else BAD_USER_INPUT
        )
        code = (error.extensions or {}).get("code", default)
        return self._with(
            error, error.message, {**(error.extensions or {}), "code": code}
        )

    @staticmethod
    def _with(
        error: GraphQLError, message: str, extensions: dict[str, object]
    ) -> GraphQLError:
        return GraphQLError(
            message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )
