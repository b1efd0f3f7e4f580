"""Query texts already known to be valid, so that a client's repeated query
is parsed (strawberry's ParserCache) and validated once per worker, not once
per request."""

from __future__ import annotations

from collections import OrderedDict
from threading import Lock


class ValidQueries:
    """A bounded, least-recently-used set of query texts that passed
    validation against one schema with one set of rules and limits.

    Only successes are kept: errors carry per-request details (the request
    id is added to them), and a query that fails is not worth remembering.
    Thread-safe, for gthread workers.
    """

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._texts: OrderedDict[str, None] = OrderedDict()
        self._lock = Lock()

    def __contains__(self, query: object) -> bool:
        with self._lock:
            if query not in self._texts:
                return False
            self._texts.move_to_end(query)  # type: ignore[arg-type]
            return True

    def add(self, query: str) -> None:
        if self.maxsize <= 0:
            return
        with self._lock:
            self._texts[query] = None
            self._texts.move_to_end(query)
            while len(self._texts) > self.maxsize:
                self._texts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._texts)
