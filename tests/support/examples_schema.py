"""Where the checked-in schema is."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCHEMA_FILE = REPO / "schema.graphql"
