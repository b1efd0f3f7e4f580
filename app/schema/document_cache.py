"""Query texts already known to be valid, so that a client's repeated query
is parsed (strawberry's ParserCache) and validated once per worker, not once
per request."""

from __future__ import annotations

from app.lru import LruCache


class ValidQueries(LruCache[str, bool]):
    """The query texts, least recently used forgotten first, that passed
    validation against one schema with one set of rules and limits.

    Only successes are kept: errors carry per-request details (the request
    id is added to them), and a query that fails is not worth remembering.
    """

    def __contains__(self, query: object) -> bool:
        return isinstance(query, str) and self.get(query) is not None

    def add(self, query: str) -> None:
        self.put(query, True)
