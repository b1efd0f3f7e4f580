"""Production-cost hashing and the account the login timing measures."""

from __future__ import annotations

PRODUCTION_COST = {
    "PASSWORD_HASH_TIME_COST": 3,
    "PASSWORD_HASH_MEMORY_COST": 64 * 1024,
    "PASSWORD_HASH_PARALLELISM": 4,
}

KNOWN = "ada@example.com"
