"""A bounded, thread-safe mapping for per-worker caches."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """At most `maxsize` entries (0: keeps nothing); putting one more forgets
    the least recently used. Thread-safe, for gthread workers."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        if self.maxsize <= 0:
            return
        with self._lock:
            self._keep(key, value)

    def setdefault(self, key: K, make: Callable[[], V]) -> V:
        """The value at `key`; if there is none, `make()`, kept there. One
        look-up under the lock, so concurrent callers share one value."""
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                value = make()
                if self.maxsize <= 0:
                    return value
            self._keep(key, value)
            return value

    def _keep(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.maxsize:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
