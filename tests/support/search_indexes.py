"""The address books the search-index tests plan queries over."""

from __future__ import annotations

ADDRESS_BOOK = 2_000  # contacts each seeded user has: enough for real plans
