"""Apps with CORS origins."""

from __future__ import annotations

ALLOWED = "http://allowed.example"

SECOND = "http://second.example"
