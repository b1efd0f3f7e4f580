"""The rate limits and spellings of the email-spelling tests."""

from __future__ import annotations

HIGH = "1000/minute"

SPELLINGS = [
    "user@xn--bcher-kva.example",
    "USER@B\u00dcCHER.example",
    "user@bu\u0308cher.example",  # NFD: u and a combining diaeresis
]
