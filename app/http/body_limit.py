"""The request-size limit of /graphql: MAX_CONTENT_LENGTH for everything
but an import, which may send up to IMPORT_MAX_BYTES (a contact file is
larger than any other operation).

Flask refuses a body over `request.max_content_length` (413, the body of
app/http/errors.py) before anything reads it. A POST to /graphql gets
IMPORT_MAX_BYTES instead; a body over MAX_CONTENT_LENGTH then passes only
when it holds exactly one operation, a mutation whose only root field is
`importContacts` (an alias of it included), in a `query` text itself within
MAX_CONTENT_LENGTH: the file rides in `variables`. Anything else over
MAX_CONTENT_LENGTH (another operation, a second root field or operation in
the document, a fragment spread at the root, a batch, text that is not
JSON) gets the same 413 as before, without running. GET keeps
MAX_CONTENT_LENGTH. The check reads only bodies over MAX_CONTENT_LENGTH and
parses their document once, within MAX_QUERY_TOKENS; the document cache
never holds a text larger than before.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

import orjson
from flask import current_app, request
from flask.typing import ResponseReturnValue, RouteCallable
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    parse,
)
from werkzeug.exceptions import RequestEntityTooLarge

IMPORT_FIELD = "importContacts"


def admit_imports(view: RouteCallable) -> RouteCallable:
    """`view` (/graphql), with the import's larger body limit."""

    @wraps(view)
    def limited(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        check_body_size()
        return cast(Callable[..., ResponseReturnValue], view)(*args, **kwargs)

    return cast(RouteCallable, limited)


def check_body_size() -> None:
    """Let a POST body up to IMPORT_MAX_BYTES through when it is an import;
    RequestEntityTooLarge for any other body over MAX_CONTENT_LENGTH."""
    settings = current_app.config
    limit: int = settings["MAX_CONTENT_LENGTH"]
    import_limit: int = settings["IMPORT_MAX_BYTES"]
    if request.method != "POST" or import_limit <= limit:
        return
    length = request.content_length
    if length is not None and length <= limit:
        return
    request.max_content_length = import_limit
    body = request.get_data()  # 413 past IMPORT_MAX_BYTES; kept for the view
    if len(body) > limit and not is_an_import(
        body, limit, settings["MAX_QUERY_TOKENS"]
    ):
        request.max_content_length = limit  # the 413 names MAX_CONTENT_LENGTH
        raise RequestEntityTooLarge()


def is_an_import(body: bytes, max_query_bytes: int, max_tokens: int) -> bool:
    """Whether `body` is a JSON object whose `query` (at most
    `max_query_bytes`) holds one operation, a mutation, selecting
    `importContacts` alone, and fragments."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return False
    query = data.get("query") if type(data) is dict else None
    if not isinstance(query, str) or len(query.encode()) > max_query_bytes:
        return False
    try:
        document = parse(query, no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return False
    operations = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    others = [
        d
        for d in document.definitions
        if not isinstance(d, (OperationDefinitionNode, FragmentDefinitionNode))
    ]
    if len(operations) != 1 or others:
        return False
    (operation,) = operations
    selections = operation.selection_set.selections
    return (
        operation.operation is OperationType.MUTATION
        and len(selections) == 1
        and isinstance(selections[0], FieldNode)
        and selections[0].name.value == IMPORT_FIELD
    )
