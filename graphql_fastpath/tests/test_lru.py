"""LruCache: bounded, least recently used first out."""

from __future__ import annotations

from graphql_fastpath.lru import LruCache


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "b" is now the least recently used
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_setdefault_makes_a_value_once() -> None:
    cache: LruCache[str, list[int]] = LruCache(1)
    made = cache.setdefault("a", list)
    assert cache.setdefault("a", lambda: [1]) is made
    assert cache.setdefault("b", lambda: [2]) == [2]
    assert cache.get("a") is None


def test_a_size_of_zero_keeps_nothing() -> None:
    cache: LruCache[str, int] = LruCache(0)
    cache.put("a", 1)
    assert cache.setdefault("b", lambda: 2) == 2
    assert (cache.get("a"), cache.get("b"), len(cache)) == (None, None, 0)
