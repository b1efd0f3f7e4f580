"""Password hashing cheap enough for production apps in tests."""

from __future__ import annotations

# Production's password hashing costs a noticeable time per sign-up, and
# nothing here depends on it.
CHEAP_HASHING = {
    "PASSWORD_HASH_TIME_COST": 1,
    "PASSWORD_HASH_MEMORY_COST": 8,
    "PASSWORD_HASH_PARALLELISM": 1,
}
