"""The rows the compiled-read tests read."""

from __future__ import annotations

from datetime import UTC, date, datetime

BORN = date(1815, 12, 10)

CREATED = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
