"""Query texts already checked, so that a client's repeated query is parsed
(strawberry's ParserCache) and validated once per worker, not once per
request, and a refused one costs nothing the second time."""

from __future__ import annotations

from graphql import GraphQLError

from graphql_fastpath.lru import LruCache


class ValidQueries(LruCache[str, tuple[GraphQLError, ...]]):
    """Whether each query text checked against one schema with one set of
    rules and limits is valid, least recently used forgotten first: its
    errors whatever the variables, none when it is.

    The errors can be kept because nothing changes them after validation:
    the request id goes into the copies `ErrorCodes` makes for each
    response (app/schema/errors.py).
    """
