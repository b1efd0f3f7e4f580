"""A clock the rate-limit tests set and move by hand."""

from __future__ import annotations

import limits.storage.memory
import limits.storage.redis
import pytest

from app.services import rate_limits


class Clock:
    """Stands in for the `time` module where the limiter and the `limits`
    storages read the time, so windows and retryAfter are exact."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def freeze_time(monkeypatch: pytest.MonkeyPatch, now: float) -> Clock:
    fake = Clock(now)
    for module in (limits.storage.memory, limits.storage.redis, rate_limits):
        monkeypatch.setattr(module, "time", fake)
    return fake
